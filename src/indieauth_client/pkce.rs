//! PKCE (RFC 7636): the verifier and its challenge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::pkce_challenge;
use crate::random::random_bytes;

/// A PKCE pair: the verifier stays on the server until the code is
/// redeemed; only the challenge travels through the browser.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    /// 64 characters from the URL-safe base64 alphabet, all of which are in
    /// RFC 7636's unreserved set.
    pub verifier: String,
    /// `BASE64URL(SHA256(verifier))` without padding (method `S256`).
    pub challenge: String,
}

impl Pkce {
    pub fn generate() -> Pkce {
        // 48 random bytes are 64 base64 characters: 384 bits, well inside
        // RFC 7636's 43 to 128 characters.
        let verifier = URL_SAFE_NO_PAD.encode(random_bytes::<48>());
        Pkce::from_verifier(verifier)
    }

    fn from_verifier(verifier: String) -> Pkce {
        let challenge = pkce_challenge(&verifier);
        Pkce {
            verifier,
            challenge,
        }
    }
}

/// Keeps the verifier out of logs.
impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[hidden]")
            .field("challenge", &self.challenge)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_unreserved(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
    }

    #[test]
    fn challenge_matches_rfc_7636_appendix_b() {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_is_64_unreserved_characters_and_fresh_each_time() {
        let a = Pkce::generate();
        let b = Pkce::generate();
        assert_eq!(a.verifier.len(), 64);
        assert!(a.verifier.chars().all(is_unreserved), "{}", a.verifier);
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, pkce_challenge(&a.verifier));
        assert_eq!(a.challenge.len(), 43);
    }

    #[test]
    fn debug_hides_the_verifier() {
        let pkce = Pkce::generate();
        assert!(!format!("{pkce:?}").contains(&pkce.verifier));
    }
}
