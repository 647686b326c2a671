//! HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures
//! 12): the `Signature` header's parameters, the string that is signed,
//! RSASSA-PKCS1-v1_5 with SHA-256 (`rsa-sha256`, or `hs2019` with an RSA
//! key), and the `Digest` of a body. Pure: no I/O.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use rsa::RsaPublicKey;
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

/// The headers every signed request must have signed; a POST signs
/// `digest` too.
pub const REQUIRED_HEADERS: [&str; 3] = ["(request-target)", "host", "date"];

/// Why a request's signature is refused. Every one is a 401: nothing the
/// request asked for is done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed (no Signature header)")]
    Missing,
    #[error("the Signature header cannot be read: {0}")]
    Malformed(&'static str),
    #[error("the signature algorithm {0:?} is not rsa-sha256 or hs2019")]
    Algorithm(String),
    #[error("the signature does not cover the {0} header")]
    NotCovered(&'static str),
    #[error("the signed header {0} is not in the request")]
    Absent(String),
    #[error("the Date header is not an HTTP date")]
    BadDate,
    #[error("the Date header is more than 12 hours from the server's clock")]
    Expired,
    #[error("the request has no SHA-256 Digest")]
    NoDigest,
    #[error("the Digest is not the body's")]
    DigestMismatch,
    #[error("the signing key cannot be fetched: {0}")]
    KeyUnavailable(String),
    #[error("the signing key's document is not usable: {0}")]
    BadKey(String),
    #[error("the signature does not verify with the key {0}")]
    Invalid(String),
    #[error("the activity's actor {actor} is not the owner of the signing key ({owner})")]
    NotOwner { actor: String, owner: String },
}

/// The parameters of a `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    pub key_id: String,
    pub algorithm: Option<String>,
    /// Lowercase, in the order signed.
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<String>,
    pub expires: Option<String>,
}

impl SignatureParams {
    /// Reads `keyId="…",algorithm="…",headers="…",signature="…"` (the
    /// value of `Signature`, or of `Authorization` after `Signature `).
    pub fn parse(value: &str) -> Result<SignatureParams, SignatureError> {
        let mut key_id = None;
        let mut algorithm = None;
        let mut headers = None;
        let mut signature = None;
        let mut created = None;
        let mut expires = None;
        for (name, value) in parameters(value)? {
            let slot = match name.to_ascii_lowercase().as_str() {
                "keyid" => &mut key_id,
                "algorithm" => &mut algorithm,
                "headers" => &mut headers,
                "signature" => &mut signature,
                "created" => &mut created,
                "expires" => &mut expires,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(SignatureError::Malformed("a parameter is given twice"));
            }
        }
        let key_id = key_id.ok_or(SignatureError::Malformed("no keyId"))?;
        let signature = signature.ok_or(SignatureError::Malformed("no signature"))?;
        let signature = BASE64
            .decode(signature.trim())
            .map_err(|_| SignatureError::Malformed("the signature is not base64"))?;
        if let Some(algorithm) = &algorithm
            && !matches!(
                algorithm.to_ascii_lowercase().as_str(),
                "rsa-sha256" | "hs2019"
            )
        {
            return Err(SignatureError::Algorithm(algorithm.clone()));
        }
        // The draft's default is `date` alone, which is not enough here.
        let headers = headers
            .unwrap_or_else(|| "date".into())
            .split_ascii_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        Ok(SignatureParams {
            key_id,
            algorithm,
            headers,
            signature,
            created,
            expires,
        })
    }

    /// Whether the headers a request of `method` must sign are all signed.
    pub fn covers_required(&self, method: &str) -> Result<(), SignatureError> {
        let post = method.eq_ignore_ascii_case("post");
        let required = REQUIRED_HEADERS
            .iter()
            .chain(post.then_some(&"digest"))
            .copied();
        for name in required {
            if !self.headers.iter().any(|h| h == name) {
                return Err(SignatureError::NotCovered(name));
            }
        }
        Ok(())
    }

    /// The string that was signed: each signed header as `name: value`,
    /// one a line. `header` gives a request header's values (lowercase
    /// name), several joined with `, `.
    pub fn signing_string(
        &self,
        method: &str,
        path_and_query: &str,
        header: impl Fn(&str) -> Option<String>,
    ) -> Result<String, SignatureError> {
        let mut lines = Vec::with_capacity(self.headers.len());
        for name in &self.headers {
            let value = match name.as_str() {
                "(request-target)" => {
                    format!("{} {path_and_query}", method.to_ascii_lowercase())
                }
                "(created)" => self
                    .created
                    .clone()
                    .ok_or(SignatureError::Absent(name.clone()))?,
                "(expires)" => self
                    .expires
                    .clone()
                    .ok_or(SignatureError::Absent(name.clone()))?,
                _ => header(name).ok_or_else(|| SignatureError::Absent(name.clone()))?,
            };
            lines.push(format!("{name}: {value}"));
        }
        Ok(lines.join("\n"))
    }
}

/// The `name="value"` pairs of a parameter list, commas between them;
/// quoted values may hold commas, unquoted ones (`created=123`) may not.
fn parameters(text: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or(SignatureError::Malformed("a parameter has no value"))?;
        let name = name.trim().to_owned();
        let after = after.trim_start();
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted
                    .find('"')
                    .ok_or(SignatureError::Malformed("a quoted value does not end"))?;
                (quoted[..end].to_owned(), &quoted[end + 1..])
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_owned(), &after[end..])
            }
        };
        pairs.push((name, value));
        let after = after.trim_start();
        rest = match after.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if after.is_empty() => after,
            None => {
                return Err(SignatureError::Malformed(
                    "parameters must be separated by commas",
                ));
            }
        };
    }
    Ok(pairs)
}

/// `SHA-256=<base64>` of a body, as the `Digest` header carries it.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", BASE64.encode(Sha256::digest(body)))
}

/// Checks a `Digest` header against the body: its SHA-256 member (any
/// case) must be the body's.
pub fn check_digest(header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::NoDigest)?;
    let expected = Sha256::digest(body);
    let sha256 = header
        .split(',')
        .filter_map(|member| member.trim().split_once('='))
        .find(|(algorithm, _)| algorithm.trim().eq_ignore_ascii_case("sha-256"))
        .ok_or(SignatureError::NoDigest)?;
    match BASE64.decode(sha256.1.trim()) {
        Ok(given) if given.as_slice() == expected.as_slice() => Ok(()),
        _ => Err(SignatureError::DigestMismatch),
    }
}

/// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature with a public key in
/// PEM (`BEGIN PUBLIC KEY`, or PKCS#1's `BEGIN RSA PUBLIC KEY`). Keys
/// under 2048 bits are refused.
pub fn verify_rsa_sha256(
    public_pem: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, SignatureError> {
    let key = RsaPublicKey::from_public_key_pem(public_pem.trim())
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(public_pem.trim()))
        .map_err(|_| SignatureError::BadKey("the key is not an RSA public key in PEM".into()))?;
    let der = key
        .to_pkcs1_der()
        .map_err(|_| SignatureError::BadKey("the key cannot be encoded".into()))?;
    Ok(
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_bytes())
            .verify(message, signature)
            .is_ok(),
    )
}

/// The `Signature` header of an outgoing request: `keyId`, `rsa-sha256`,
/// the headers signed, and the signature made by `sign`.
pub fn signature_header(
    key_id: &str,
    signed: &[(&str, &str)],
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> String {
    let names: Vec<&str> = signed.iter().map(|(name, _)| *name).collect();
    let text: Vec<String> = signed
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect();
    let signature = sign(text.join("\n").as_bytes());
    format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
        names.join(" "),
        BASE64.encode(signature)
    )
}

#[cfg(test)]
mod tests;
