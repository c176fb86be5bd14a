//! SHA-256 and HMAC-SHA256 for plugins.
//!
//! Inside Wasm these are the host's `digest` import: WebAssembly has no SHA instructions, and
//! the host's SHA-NI code hashes about ten times faster than `sha2` compiled to Wasm, which
//! matters to a plugin hashing every prompt. Natively (unit tests, benchmarks, the host
//! itself) the same functions run on the `sha2` and `hmac` crates, so a plugin computes the
//! same bytes in both builds.

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    imp::sha256(data)
}

/// HMAC-SHA256 (RFC 2104) of `data` under `key`, for keys of any length.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    imp::hmac_sha256(key, data)
}

/// A secret HMAC-SHA256 key. Its `Debug` never shows the key, so a plugin's config can be
/// logged or asserted on without leaking it.
#[derive(Clone, PartialEq, Eq)]
pub struct HmacKey(Vec<u8>);

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(..)")
    }
}

impl HmacKey {
    /// A key of any length.
    pub fn new(key: &[u8]) -> HmacKey {
        HmacKey(key.to_vec())
    }

    /// The MAC of `msg` under this key.
    pub fn mac(&self, msg: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0, msg)
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::guest::bindings::sluice::plugin::digest as host;

    /// The host promises 32 bytes; anything else is a broken host, and a trap (the
    /// plugin's failure policy) is the safe answer to it.
    fn digest32(bytes: Vec<u8>) -> [u8; 32] {
        bytes
            .try_into()
            .unwrap_or_else(|b: Vec<u8>| panic!("host digest returned {} bytes, not 32", b.len()))
    }

    pub fn sha256(data: &[u8]) -> [u8; 32] {
        digest32(host::sha256(data))
    }

    pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
        digest32(host::hmac_sha256(key, data))
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    pub fn sha256(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .expect("HMAC-SHA256 takes keys of any length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_fips_180_vector() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_key_never_shows_in_debug() {
        let key = HmacKey::new(b"FAKE-hmac-key-0123");
        assert_eq!(format!("{key:?}"), "HmacKey(..)");
        assert_eq!(key.mac(b"x"), hmac_sha256(b"FAKE-hmac-key-0123", b"x"));
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2: a short key; test case 6: a key longer than the block size.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
