//! The callback's side: the issuer, redeeming the code, and confirming
//! the identity the server vouches for.

use starpunk::indieauth_client::{
    Pkce, SignInError, authorization_url, check_issuer, discover, redeem, verify_me,
};
use starpunk::random::random_token;

use super::{CLIENT_ID, REDIRECT_URI, discover_owner, fallback, me, outbound, sign_in};
use crate::fake_indieauth::{Advertise, FakeIndieAuth, WRONG_ISSUER};

#[tokio::test]
async fn a_whole_sign_in_succeeds_once_per_code() {
    let fake = FakeIndieAuth::start().await;
    let admin = me(&fake.me_url());
    let out = outbound();
    let server = discover(&out, &admin, &fallback()).await.unwrap();

    let pkce = Pkce::generate();
    let state = random_token();
    let request = authorization_url(
        &server,
        CLIENT_ID,
        REDIRECT_URI,
        &state,
        &pkce.challenge,
        &admin,
    );
    let callback = fake.approve(&request).await;
    assert_eq!(callback.state, state);
    assert_eq!(callback.iss.as_deref(), Some(fake.issuer().as_str()));
    check_issuer(&server, callback.iss.as_deref()).unwrap();

    let returned = redeem(
        &out,
        &server,
        &callback.code,
        CLIENT_ID,
        REDIRECT_URI,
        &pkce.verifier,
    )
    .await
    .unwrap();
    assert_eq!(returned, fake.me_url());
    verify_me(&out, &admin, &returned, &server).await.unwrap();
    assert_eq!(fake.redemptions(), 1);

    let again = redeem(
        &out,
        &server,
        &callback.code,
        CLIENT_ID,
        REDIRECT_URI,
        &pkce.verifier,
    )
    .await
    .unwrap_err();
    assert!(matches!(again, SignInError::Refused { .. }), "{again:?}");
    assert_eq!(fake.redemptions(), 1);
}

#[tokio::test]
async fn a_legacy_server_signs_in_too() {
    let fake = FakeIndieAuth::start()
        .await
        .advertise(Advertise::LegacyHtml);
    let server = discover_owner(&fake).await.unwrap();
    let returned = sign_in(&fake, &server).await.unwrap();
    assert_eq!(returned, fake.me_url());
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_by_the_server() {
    let fake = FakeIndieAuth::start().await;
    let server = discover_owner(&fake).await.unwrap();
    let pkce = Pkce::generate();
    let request = authorization_url(
        &server,
        CLIENT_ID,
        REDIRECT_URI,
        &random_token(),
        &pkce.challenge,
        &me(&fake.me_url()),
    );
    let callback = fake.approve(&request).await;
    let wrong = Pkce::generate().verifier;
    let err = redeem(
        &outbound(),
        &server,
        &callback.code,
        CLIENT_ID,
        REDIRECT_URI,
        &wrong,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The authorization server did not confirm the sign-in: \"invalid_grant\" \
         (\"code_verifier does not match the challenge\")."
    );
    assert_eq!(fake.redemptions(), 0);
}

#[tokio::test]
async fn a_redirected_redemption_is_not_followed() {
    let fake = FakeIndieAuth::start().await.redeem_redirects();
    let server = discover_owner(&fake).await.unwrap();
    let err = sign_in(&fake, &server).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Could not finish signing in with the authorization server: {} answered \
             with HTTP status 307 Temporary Redirect.",
            fake.authorization_endpoint()
        )
    );
    assert_eq!(fake.forwarded(), 0, "the code and verifier went on");
}

#[tokio::test]
async fn a_wrong_redirect_uri_is_refused_by_the_server() {
    let fake = FakeIndieAuth::start().await;
    let server = discover_owner(&fake).await.unwrap();
    let pkce = Pkce::generate();
    let request = authorization_url(
        &server,
        CLIENT_ID,
        REDIRECT_URI,
        &random_token(),
        &pkce.challenge,
        &me(&fake.me_url()),
    );
    let callback = fake.approve(&request).await;
    let err = redeem(
        &outbound(),
        &server,
        &callback.code,
        CLIENT_ID,
        "https://elsewhere.example/callback",
        &pkce.verifier,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SignInError::Refused { .. }), "{err:?}");
}

#[tokio::test]
async fn an_answer_from_another_issuer_is_refused() {
    let fake = FakeIndieAuth::start().await.wrong_iss();
    let server = discover_owner(&fake).await.unwrap();
    let err = sign_in(&fake, &server).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "The sign-in came back from \"{WRONG_ISSUER}\", not from the owner's \
             authorization server {}; it was not accepted.",
            fake.issuer()
        )
    );
    assert_eq!(fake.redemptions(), 0);
}

#[tokio::test]
async fn an_oauth_error_is_quoted_without_secrets() {
    let fake = FakeIndieAuth::start()
        .await
        .redeem_error("access_denied", "The owner\nsaid no to {code}");
    let server = discover_owner(&fake).await.unwrap();
    let err = sign_in(&fake, &server).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "The authorization server did not confirm the sign-in: \"access_denied\" \
         (\"The ownersaid no to …\")."
    );
}

#[tokio::test]
async fn another_me_on_the_same_host_needs_the_same_server() {
    // The server vouches for /ada/, whose page names the same server.
    let fake = FakeIndieAuth::start()
        .await
        .me_override("/ada/")
        .profile("/ada/", None);
    let admin = me(&fake.me_url());
    let server = discover_owner(&fake).await.unwrap();
    let returned = sign_in(&fake, &server).await.unwrap();
    assert_eq!(returned, fake.url("/ada/"));
    verify_me(&outbound(), &admin, &returned, &server)
        .await
        .unwrap();

    // /bob/ names another server, so this one may not speak for it.
    let other = FakeIndieAuth::start().await;
    let fake = fake
        .me_override("/bob/")
        .profile("/bob/", Some(&other.authorization_endpoint()));
    let returned = sign_in(&fake, &server).await.unwrap();
    let err = verify_me(&outbound(), &admin, &returned, &server)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Signed in as {}, but that page names a different authorization server, \
             so the identity cannot be confirmed.",
            fake.url("/bob/")
        )
    );

    // A page that cannot be read confirms nothing.
    let fake = fake.me_override("/nobody/");
    let returned = sign_in(&fake, &server).await.unwrap();
    let err = verify_me(&outbound(), &admin, &returned, &server)
        .await
        .unwrap_err();
    assert!(matches!(err, SignInError::Unconfirmed { .. }), "{err:?}");
    assert!(err.to_string().contains("HTTP status 404"), "{err}");
}

#[tokio::test]
async fn someone_on_another_host_cannot_sign_in() {
    let fake = FakeIndieAuth::start().await;
    let elsewhere = fake.me_url().replace("127.0.0.1", "localhost");
    let fake = fake.me_override(&elsewhere);
    let server = discover_owner(&fake).await.unwrap();
    let returned = sign_in(&fake, &server).await.unwrap();
    let err = verify_me(&outbound(), &me(&fake.me_url()), &returned, &server)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Signed in as {elsewhere}, but only {} can sign in here.",
            fake.me_url()
        )
    );
}
