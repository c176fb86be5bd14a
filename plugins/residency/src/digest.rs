//! The digests `hash` writes: `sha256:<hex>` of the text, or `hmac-sha256:<hex>` keyed with
//! the tenant's `hash_key`.
//!
//! Without a key, a digest of a short or guessable text (a yes/no answer, a common prompt)
//! can be confirmed by hashing guesses; with a per-tenant key it cannot, and equal content of
//! two tenants gives different digests. Configure a key for every `hash` tenant whose
//! content could be guessed.

pub use sluice_plugin_sdk::digest::HmacKey;
use sluice_plugin_sdk::digest::sha256;

/// The digest of `text`: keyed when `key` is given.
pub fn digest(key: Option<&HmacKey>, text: &str) -> String {
    match key {
        Some(k) => format!("hmac-sha256:{}", hex::encode(k.mac(text.as_bytes()))),
        None => format!("sha256:{}", hex::encode(sha256(text.as_bytes()))),
    }
}
