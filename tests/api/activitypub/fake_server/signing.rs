//! How the fake server signs its requests ([`Sign`]: rightly, or wrongly in
//! every way a test needs) and verifies the site's, as Mastodon does.

use std::collections::HashMap;

use actix_web::HttpRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde_json::Value;
use sha2::{Digest, Sha256};

use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};

use super::{FakeServer, Shared};

/// How a request is signed.
#[derive(Debug, Clone)]
pub struct Sign {
    /// Signed as this actor; `None`: not signed.
    pub actor: Option<String>,
    /// Signed with another actor's key (under `actor`'s key id).
    pub key_of: Option<String>,
    /// Signed with this key instead.
    pub key_pem: Option<String>,
    pub key_id: Option<String>,
    pub algorithm: String,
    pub headers: Vec<&'static str>,
    pub date: Option<String>,
    pub digest_header: bool,
    /// The Digest sent (and signed) instead of the body's.
    pub digest_value: Option<String>,
    /// The body signed and sent instead of the activity.
    pub body: Option<Vec<u8>>,
    /// The body sent in place of the one signed.
    pub tampered: Option<Vec<u8>>,
}

impl Sign {
    /// As Mastodon signs: rsa-sha256 over `(request-target) host date
    /// digest content-type`.
    pub fn as_actor(name: &str) -> Sign {
        Sign {
            actor: Some(name.to_owned()),
            key_of: None,
            key_pem: None,
            key_id: None,
            algorithm: "rsa-sha256".into(),
            headers: vec!["(request-target)", "host", "date", "digest", "content-type"],
            date: None,
            digest_header: true,
            digest_value: None,
            body: None,
            tampered: None,
        }
    }

    /// The same signing over `body`, sent instead of the activity.
    pub fn with_body(mut self, body: &[u8]) -> Sign {
        self.body = Some(body.to_vec());
        self
    }

    pub fn unsigned() -> Sign {
        Sign {
            actor: None,
            ..Sign::as_actor("nobody")
        }
    }
}

impl FakeServer {
    /// POSTs `activity` to `inbox`, signed (or not) as `sign` says.
    pub async fn post(&self, inbox: &str, activity: &Value, sign: Sign) -> reqwest::Response {
        let body = sign
            .body
            .clone()
            .unwrap_or_else(|| serde_json::to_vec(activity).unwrap());
        let url = url::Url::parse(inbox).unwrap();
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap()),
            None => url.host_str().unwrap().to_owned(),
        };
        let date = sign
            .date
            .clone()
            .unwrap_or_else(|| httpdate::fmt_http_date(std::time::SystemTime::now()));
        let digest = format!("SHA-256={}", BASE64.encode(Sha256::digest(&body)));
        let mut request = self
            .shared
            .client
            .post(inbox)
            .header("content-type", "application/activity+json")
            .header("date", &date);
        if sign.digest_header {
            let sent = sign.digest_value.clone().unwrap_or_else(|| digest.clone());
            request = request.header("digest", sent);
        }
        if let Some(signer) = &sign.actor {
            let key_name = sign.key_of.as_deref().unwrap_or(signer);
            let actors = self.shared.actors.lock().unwrap();
            let key = match &sign.key_pem {
                Some(pem) => RsaPrivateKey::from_pkcs8_pem(pem).unwrap(),
                None => actors[key_name].key.clone(),
            };
            drop(actors);
            let target = format!("post {}", url.path());
            let values: Vec<(&str, String)> = sign
                .headers
                .iter()
                .map(|name| {
                    let value = match *name {
                        "(request-target)" => target.clone(),
                        "host" => host.clone(),
                        "date" => date.clone(),
                        "digest" => sign.digest_value.clone().unwrap_or_else(|| digest.clone()),
                        "content-type" => "application/activity+json".into(),
                        other => panic!("cannot sign {other}"),
                    };
                    (*name, value)
                })
                .collect();
            let text = values
                .iter()
                .map(|(n, v)| format!("{n}: {v}"))
                .collect::<Vec<_>>()
                .join("\n");
            let signature = SigningKey::<Sha256>::new(key).sign(text.as_bytes());
            let key_id = sign.key_id.clone().unwrap_or_else(|| self.key_id(signer));
            let header = format!(
                "keyId=\"{key_id}\",algorithm=\"{}\",headers=\"{}\",signature=\"{}\"",
                sign.algorithm,
                sign.headers.join(" "),
                BASE64.encode(signature.to_bytes())
            );
            request = request.header("signature", header);
        }
        let sent = sign.tampered.clone().unwrap_or(body);
        request.body(sent).send().await.expect("the site answers")
    }
}

/// Verifies a request's HTTP Signature as Mastodon does: the signed
/// headers, `Date` within 12 hours, the `Digest` of a body, and the
/// signature with the key its `keyId` names (fetched from the site).
pub(super) async fn verify(
    shared: &Shared,
    req: &HttpRequest,
    body: &[u8],
) -> Result<String, String> {
    let header = req
        .headers()
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Signature header")?;
    let params: HashMap<String, String> = header
        .split("\",")
        .filter_map(|part| {
            let (name, value) = part.split_once('=')?;
            Some((name.trim().to_owned(), value.trim_matches('"').to_owned()))
        })
        .collect();
    let key_id = params.get("keyId").ok_or("no keyId")?;
    let headers: Vec<&str> = params
        .get("headers")
        .ok_or("no headers")?
        .split(' ')
        .collect();
    let post = req.method() == actix_web::http::Method::POST;
    for needed in ["(request-target)", "host", "date"]
        .into_iter()
        .chain(post.then_some("digest"))
    {
        if !headers.contains(&needed) {
            return Err(format!("{needed} is not signed"));
        }
    }
    let date = req
        .headers()
        .get("date")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Date")?;
    let date = httpdate::parse_http_date(date).map_err(|_| "a bad Date")?;
    let skew = date
        .duration_since(std::time::SystemTime::now())
        .or_else(|e| Ok::<_, ()>(e.duration()))
        .unwrap();
    if skew > std::time::Duration::from_secs(12 * 3600) {
        return Err("the Date is too far off".into());
    }
    if post {
        let digest = format!("SHA-256={}", BASE64.encode(Sha256::digest(body)));
        let sent = req.headers().get("digest").and_then(|v| v.to_str().ok());
        if sent != Some(digest.as_str()) {
            return Err(format!("the Digest {sent:?} is not the body's"));
        }
    }
    let target = format!(
        "{} {}",
        req.method().as_str().to_ascii_lowercase(),
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let text = headers
        .iter()
        .map(|name| {
            let value = match *name {
                "(request-target)" => target.clone(),
                other => req
                    .headers()
                    .get(other)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
            };
            format!("{name}: {value}")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let owner: Value = shared
        .client
        .get(key_id.split('#').next().unwrap_or_default())
        .header("accept", "application/activity+json")
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    if owner["publicKey"]["id"] != key_id.as_str() {
        return Err("the key is not the actor's".into());
    }
    let pem = owner["publicKey"]["publicKeyPem"]
        .as_str()
        .ok_or("no publicKeyPem")?;
    let key = RsaPublicKey::from_public_key_pem(pem).map_err(|e| e.to_string())?;
    let signature = BASE64
        .decode(params.get("signature").ok_or("no signature")?)
        .map_err(|e| e.to_string())?;
    let signature = Signature::try_from(signature.as_slice()).map_err(|e| e.to_string())?;
    VerifyingKey::<Sha256>::new(key)
        .verify(text.as_bytes(), &signature)
        .map_err(|_| "the signature does not verify".to_owned())?;
    Ok(key_id.clone())
}
