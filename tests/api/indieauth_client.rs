//! The IndieAuth client against a fake authorization server on a loopback
//! port: discovery, the authorization request, redeeming the code and
//! confirming the identity, and every way those can fail.

use std::time::Duration;

use starpunk::domain::ProfileUrl;
use starpunk::indieauth_client::{
    AuthServer, Pkce, SignInError, authorization_url, check_issuer, discover, redeem,
};
use starpunk::outbound::{Outbound, OutboundRules};
use starpunk::random::random_token;
use url::Url;

use crate::fake_indieauth::FakeIndieAuth;

mod discovery;
mod redemption;

const CLIENT_ID: &str = "https://site.example/";
const REDIRECT_URI: &str = "https://site.example/auth/callback";
const FALLBACK: &str = "https://indielogin.example/auth";

fn rules() -> OutboundRules {
    OutboundRules {
        https_only: false,
        user_agent: "StarPunk/0.1.0 (+https://site.example/)".into(),
        timeout: Duration::from_secs(5),
    }
}

fn outbound() -> Outbound {
    Outbound::new(rules())
}

fn me(url: &str) -> ProfileUrl {
    ProfileUrl::parse(url).expect("a profile URL")
}

fn fallback() -> Url {
    Url::parse(FALLBACK).expect("a URL")
}

fn url(text: &str) -> Url {
    Url::parse(text).expect("a URL")
}

async fn discover_owner(fake: &FakeIndieAuth) -> Result<AuthServer, SignInError> {
    discover(&outbound(), &me(&fake.me_url()), &fallback()).await
}

/// A whole sign-in up to the redeemed `me`: what the web layer will do,
/// with the fake standing in for the browser.
async fn sign_in(fake: &FakeIndieAuth, server: &AuthServer) -> Result<String, SignInError> {
    let pkce = Pkce::generate();
    let state = random_token();
    let request = authorization_url(
        server,
        CLIENT_ID,
        REDIRECT_URI,
        &state,
        &pkce.challenge,
        &me(&fake.me_url()),
    );
    let callback = fake.approve(&request).await;
    assert_eq!(callback.state, state);
    check_issuer(server, callback.iss.as_deref())?;
    redeem(
        &outbound(),
        server,
        &callback.code,
        CLIENT_ID,
        REDIRECT_URI,
        &pkce.verifier,
    )
    .await
}
