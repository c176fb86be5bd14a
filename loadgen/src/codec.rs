//! A tonic codec that moves already-encoded protobuf bytes, so neither the load generator
//! nor the capture receiver spends time in prost on the measured path.

use bytes::{Buf, BufMut, Bytes};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// An encoded message, with an optional 20-byte stamp written over `body[at..at + 20]` as
/// it is sent (the body itself is shared and never modified).
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// The encoded message.
    pub body: Bytes,
    /// Where the stamp goes, and its bytes.
    pub stamp: Option<(usize, [u8; 20])>,
}

impl Outgoing {
    /// The message as three zero-copy pieces: before the stamp, the stamp, after it.
    pub fn pieces(&self) -> bytes::buf::Chain<bytes::buf::Chain<Bytes, Bytes>, Bytes> {
        match self.stamp {
            Some((at, stamp)) if at + 20 <= self.body.len() => self
                .body
                .slice(..at)
                .chain(Bytes::copy_from_slice(&stamp))
                .chain(self.body.slice(at + 20..)),
            _ => self.body.clone().chain(Bytes::new()).chain(Bytes::new()),
        }
    }
}

/// The send time as the stamp's 20 ASCII digits (nanoseconds since the Unix epoch).
pub fn stamp_now() -> [u8; 20] {
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut out = [0u8; 20];
    out.copy_from_slice(format!("{ns:020}").as_bytes());
    out
}

/// Sends [`Outgoing`], receives raw bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

/// The encoding half of [`RawCodec`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RawEncoder;

/// The decoding half of [`RawCodec`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RawDecoder;

impl Codec for RawCodec {
    type Encode = Outgoing;
    type Decode = Bytes;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Outgoing;
    type Error = Status;

    fn encode(&mut self, item: Outgoing, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        let mut pieces = item.pieces();
        dst.reserve(pieces.remaining());
        while pieces.has_remaining() {
            let chunk = pieces.chunk();
            let n = chunk.len();
            dst.put_slice(chunk);
            pieces.advance(n);
        }
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
