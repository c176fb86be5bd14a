//! The digests `hash` writes: `sha256:<hex>` of the text, or `hmac-sha256:<hex>` keyed with
//! the tenant's `hash_key`.
//!
//! Without a key, a digest of a short or guessable text (a yes/no answer, a common prompt)
//! can be confirmed by hashing guesses; with a per-tenant key it cannot, and equal content of
//! two tenants gives different digests. Configure a key for every `hash` tenant whose
//! content could be guessed.

use sha2::{Digest, Sha256};

/// HMAC-SHA256 (RFC 2104) with the key's pads absorbed once, so each digest costs two hash
/// finalisations and no key work.
#[derive(Clone)]
pub struct HmacKey {
    inner: Sha256,
    outer: Sha256,
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(..)")
    }
}

impl HmacKey {
    /// Prepares a key of any length (longer than a block: hashed first, as RFC 2104 says).
    pub fn new(key: &[u8]) -> HmacKey {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut h = Sha256::new();
            h.update(block.map(|b| b ^ byte));
            h
        };
        HmacKey {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    /// The MAC of `msg`.
    pub fn mac(&self, msg: &[u8]) -> [u8; 32] {
        let mut inner = self.inner.clone();
        inner.update(msg);
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        outer.finalize().into()
    }
}

/// The digest of `text`: keyed when `key` is given.
pub fn digest(key: Option<&HmacKey>, text: &str) -> String {
    match key {
        Some(k) => format!("hmac-sha256:{}", hex::encode(k.mac(text.as_bytes()))),
        None => format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes()))),
    }
}
