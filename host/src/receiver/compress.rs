//! OTLP/HTTP request bodies: `Content-Encoding` parsing and decompression that stops at the
//! size limit, so a small compressed body cannot inflate into gigabytes (a zip bomb).

use std::io::Read;

/// A `Content-Encoding` sluice accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// No compression.
    Identity,
    /// gzip (RFC 1952); the OTLP exporters' usual choice.
    Gzip,
    /// Zstandard (RFC 8878).
    Zstd,
}

impl Encoding {
    /// Parses a `Content-Encoding` value; `None` for an encoding sluice does not accept.
    /// A missing header is `identity`.
    pub fn parse(value: Option<&str>) -> Option<Encoding> {
        let Some(value) = value else {
            return Some(Encoding::Identity);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Some(Encoding::Identity),
            // `x-gzip` is the legacy alias RFC 9110 asks recipients to treat as gzip.
            "gzip" | "x-gzip" => Some(Encoding::Gzip),
            "zstd" => Some(Encoding::Zstd),
            _ => None,
        }
    }

    /// The header value, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Zstd => "zstd",
        }
    }
}

/// Why a body could not be decompressed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecompressError {
    /// The decompressed body would exceed the limit.
    #[error("decompressed body exceeds {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Not a valid stream of the encoding (corrupt or truncated). Deliberately carries no
    /// decoder message: those can quote bytes of the body.
    #[error("body is not valid {} data", .0.name())]
    Corrupt(Encoding),
}

/// Decompresses `body` into at most `limit` bytes.
pub fn decompress(
    encoding: Encoding,
    body: bytes::Bytes,
    limit: usize,
) -> Result<bytes::Bytes, DecompressError> {
    match encoding {
        Encoding::Identity if body.len() > limit => Err(DecompressError::TooLarge { limit }),
        Encoding::Identity => Ok(body),
        // Multi-member, because concatenated gzip members are one valid gzip body.
        Encoding::Gzip => read_bounded(
            flate2::read::MultiGzDecoder::new(&body[..]),
            encoding,
            limit,
        ),
        Encoding::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::new(&body[..])
                .map_err(|_| DecompressError::Corrupt(encoding))?;
            // A frame may ask for a window of up to 2^27 bytes (128 MiB) that the decoder
            // allocates up front; no legitimate frame needs a window larger than the whole
            // allowed output, so cap it there (but not below what compressors use by default).
            decoder
                .window_log_max(window_log_for(limit))
                .map_err(|_| DecompressError::Corrupt(encoding))?;
            read_bounded(decoder, encoding, limit)
        }
    }
}

/// The zstd window log that lets through any frame whose window fits `limit`: at least 23
/// (8 MiB, what `zstd` levels up to 19 use for streams of unknown size), at most 27.
fn window_log_for(limit: usize) -> u32 {
    let needed = usize::BITS - limit.saturating_sub(1).leading_zeros();
    needed.clamp(23, 27)
}

/// Reads the whole stream, failing as soon as it yields more than `limit` bytes.
fn read_bounded(
    reader: impl Read,
    encoding: Encoding,
    limit: usize,
) -> Result<bytes::Bytes, DecompressError> {
    let mut out = Vec::new();
    // One byte past the limit is enough to know it is too large, and reading stops there.
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| DecompressError::Corrupt(encoding))?;
    if out.len() > limit {
        return Err(DecompressError::TooLarge { limit });
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> bytes::Bytes {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap().into()
    }

    fn zstd(data: &[u8]) -> bytes::Bytes {
        zstd::stream::encode_all(data, 3).unwrap().into()
    }

    #[test]
    fn parses_content_encoding() {
        assert_eq!(Encoding::parse(None), Some(Encoding::Identity));
        assert_eq!(Encoding::parse(Some("identity")), Some(Encoding::Identity));
        assert_eq!(Encoding::parse(Some(" GZIP ")), Some(Encoding::Gzip));
        assert_eq!(Encoding::parse(Some("x-gzip")), Some(Encoding::Gzip));
        assert_eq!(Encoding::parse(Some("zstd")), Some(Encoding::Zstd));
        assert_eq!(Encoding::parse(Some("br")), None);
        assert_eq!(Encoding::parse(Some("gzip, zstd")), None);
    }

    #[test]
    fn round_trips_within_the_limit() {
        let data = b"hello otlp ".repeat(100);
        for (enc, body) in [
            (Encoding::Identity, bytes::Bytes::from(data.clone())),
            (Encoding::Gzip, gzip(&data)),
            (Encoding::Zstd, zstd(&data)),
        ] {
            assert_eq!(decompress(enc, body, data.len()).unwrap(), data, "{enc:?}");
        }
    }

    #[test]
    fn stops_inflating_at_the_limit() {
        // 64 MiB of zeros compress to a few KiB: a zip bomb against a 1 MiB limit.
        let bomb = vec![0u8; 64 << 20];
        for (enc, body) in [(Encoding::Gzip, gzip(&bomb)), (Encoding::Zstd, zstd(&bomb))] {
            assert!(body.len() < 1 << 20, "{enc:?} compressed to {}", body.len());
            assert_eq!(
                decompress(enc, body, 1 << 20),
                Err(DecompressError::TooLarge { limit: 1 << 20 }),
                "{enc:?}"
            );
        }
        assert_eq!(
            decompress(Encoding::Identity, bytes::Bytes::from(vec![0; 11]), 10),
            Err(DecompressError::TooLarge { limit: 10 })
        );
        // Exactly at the limit is fine.
        assert_eq!(
            decompress(Encoding::Gzip, gzip(&[7; 10]), 10)
                .unwrap()
                .len(),
            10
        );
    }

    #[test]
    fn rejects_corrupt_and_truncated_streams() {
        let data = b"some telemetry".repeat(50);
        for (enc, body) in [(Encoding::Gzip, gzip(&data)), (Encoding::Zstd, zstd(&data))] {
            let truncated = body.slice(..body.len() / 2);
            assert_eq!(
                decompress(enc, truncated, 1 << 20),
                Err(DecompressError::Corrupt(enc))
            );
            let garbage = bytes::Bytes::from_static(b"definitely not compressed");
            assert_eq!(
                decompress(enc, garbage, 1 << 20),
                Err(DecompressError::Corrupt(enc))
            );
        }
    }

    #[test]
    fn zstd_window_cap_follows_the_limit() {
        assert_eq!(window_log_for(1024), 23);
        assert_eq!(window_log_for(16 << 20), 24);
        assert_eq!(window_log_for((16 << 20) + 1), 25);
        assert_eq!(window_log_for(usize::MAX), 27);
    }
}
