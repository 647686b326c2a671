//! The actor's RSA key pair: made once (RSA-2048, by the `rsa` crate),
//! kept in the database as PEM, and used through `ring`, whose
//! private-key operations take constant time. The private key is never
//! printed, logged or served.

use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::store::{KeyPairPem, PrivateKeyPem};

/// The size of the key the site makes, in bits: what Mastodon makes.
pub const KEY_BITS: usize = 2048;

/// Why the key pair cannot be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot make an RSA key pair")]
    Make(#[source] rsa::Error),
    #[error("cannot write the key pair as PEM")]
    Encode,
    #[error("the stored private key is not an RSA key in PKCS#8 PEM")]
    Unreadable,
    #[error("the stored private key is refused for signing: {0}")]
    Refused(String),
}

/// The key the site signs with.
pub struct ActorKey {
    pair: RsaKeyPair,
    public_pem: String,
    random: SystemRandom,
}

impl std::fmt::Debug for ActorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorKey")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

impl ActorKey {
    /// A new key pair as PEM (PKCS#8 private key, SubjectPublicKeyInfo
    /// public key). Takes a good part of a second: call it off the async
    /// threads.
    pub fn make() -> Result<KeyPairPem, KeyError> {
        let private =
            RsaPrivateKey::new(&mut rand_core::OsRng, KEY_BITS).map_err(KeyError::Make)?;
        let public = RsaPublicKey::from(&private)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| KeyError::Encode)?;
        let private = private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| KeyError::Encode)?;
        Ok(KeyPairPem {
            private: PrivateKeyPem::new(private.to_string()),
            public,
        })
    }

    /// The key kept in the database, ready to sign.
    pub fn from_pem(pem: &KeyPairPem) -> Result<ActorKey, KeyError> {
        let private = RsaPrivateKey::from_pkcs8_pem(pem.private.expose())
            .map_err(|_| KeyError::Unreadable)?;
        let der = private.to_pkcs8_der().map_err(|_| KeyError::Unreadable)?;
        let pair =
            RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| KeyError::Refused(e.to_string()))?;
        Ok(ActorKey {
            pair,
            public_pem: pem.public.clone(),
            random: SystemRandom::new(),
        })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &self.random, message, &mut signature)
            .expect("a signature fits the modulus");
        signature
    }

    /// The public key as `publicKeyPem` carries it.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activitypub::signature::verify_rsa_sha256;

    #[test]
    fn a_made_key_signs_what_its_public_half_verifies_and_never_prints() {
        let pem = ActorKey::make().unwrap();
        assert!(pem.public.starts_with("-----BEGIN PUBLIC KEY-----"));
        let key = ActorKey::from_pem(&pem).unwrap();
        let signature = key.sign(b"hello");
        assert_eq!(signature.len(), KEY_BITS / 8);
        assert!(verify_rsa_sha256(&pem.public, b"hello", &signature).unwrap());
        assert!(!verify_rsa_sha256(&pem.public, b"hellO", &signature).unwrap());
        let shown = format!("{key:?} {pem:?}");
        assert!(!shown.contains("PRIVATE"), "{shown}");
    }
}
