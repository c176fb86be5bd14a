//! The walk behind [`Schema::check`]: prost 0.14's decoding rules, without building anything.
//!
//! Each rule mirrors a prost function (`decode_key`, `decode_varint`, `skip_field`,
//! `message::merge`, `merge_repeated` for packed scalars, `string::merge`), so the walk refuses
//! exactly what `Message::decode` refuses. One difference that never changes the verdict: prost
//! reads a nested message's fields against the whole buffer and fails afterwards if they overran
//! the message's length, while the walk bounds every read by the message's end and fails on the
//! spot, which gives a better error position.

use super::{Kind, MAX_ROW_ONEOFS, Msg, NO_SLOT, Rows, Schema, WireError, WireErrorKind};

/// Wire types, as in the protobuf encoding.
const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const START_GROUP: u8 = 3;
const END_GROUP: u8 = 4;
const I32: u8 = 5;

impl Schema {
    /// Checks that `bytes` decode with prost as a message of type `msg`, and counts its rows.
    ///
    /// `depth_left` is prost's remaining recursion budget for the fields of `msg`: 100 for an
    /// `Export*ServiceRequest` decoded with `Message::decode`. Returns `Ok` exactly when prost
    /// 0.14 would decode the bytes, with the number of rows (spans, log records or metric data
    /// points) the decoded message holds, as `Payload::record_count` would count them. Does not
    /// allocate.
    ///
    /// The walk recurses once per nesting level, so `depth_left` also bounds its stack use:
    /// pass prost's budget (at most 100), never an arbitrary large number.
    pub fn check(&self, msg: Msg, bytes: &[u8], depth_left: u32) -> Result<u64, WireError> {
        self.walk(msg.0, bytes, 0, depth_left)
    }

    /// Walks the fields of message `m` from `pos` to the end of `buf` (the message's end; `pos`
    /// stays relative to the outermost buffer so errors report absolute offsets).
    ///
    /// Positions are passed and returned by value, never by reference, so they live in
    /// registers across the loop.
    fn walk(&self, m: u32, buf: &[u8], mut pos: usize, depth: u32) -> Result<u64, WireError> {
        let info = &self.msgs[m as usize];
        let mut rows = 0u64;
        // Per row-carrying oneof: the variant last seen and the rows it holds so far.
        let mut slots = [(0u32, 0u64); MAX_ROW_ONEOFS];
        while pos < buf.len() {
            let at = pos;
            let (tag, wt) = match key(buf, pos) {
                Ok((tag, wt, next)) => {
                    pos = next;
                    (tag, wt)
                }
                Err(kind) => return Err(error(info.name, None, at, kind)),
            };
            let Some(f) = info.fields.get(tag as usize).and_then(Option::as_ref) else {
                // prost's `skip_field`, recursion check included.
                match skip(buf, pos, tag, wt, depth) {
                    Ok(next) => pos = next,
                    Err(kind) => return Err(error(info.name, Some((tag, None)), at, kind)),
                }
                continue;
            };
            let here = |kind| error(info.name, Some((tag, Some(f.name))), at, kind);
            let next = match (f.kind, wt) {
                (Kind::Varint, VARINT) => varint(buf, pos).map(|(_, next)| next),
                (Kind::Fixed64, I64) => fixed(buf, pos, 8),
                (Kind::Fixed32, I32) => fixed(buf, pos, 4),
                (Kind::Str, LEN) => match len(buf, pos) {
                    Ok((start, end)) if utf8(&buf[start..end]) => Ok(end),
                    Ok(_) => Err(WireErrorKind::Utf8),
                    Err(e) => Err(e),
                },
                (Kind::Bytes, LEN) => len(buf, pos).map(|(_, end)| end),
                (Kind::Message, LEN) => {
                    // `message::merge`: the limit is checked before the length is read.
                    if depth == 0 {
                        return Err(here(WireErrorKind::RecursionLimit));
                    }
                    let (start, end) = len(buf, pos).map_err(here)?;
                    let n = self.walk(f.ty, &buf[..end], start, depth - 1)?;
                    pos = end;
                    let add = match f.rows {
                        Rows::None => 0,
                        Rows::Count => 1,
                        Rows::Sum => n,
                    };
                    if f.slot == NO_SLOT {
                        rows += add;
                    } else {
                        // prost's oneof merge: the same variant again merges into it (its rows
                        // add up), a different variant replaces it.
                        let s = &mut slots[f.slot as usize];
                        if s.0 == tag {
                            s.1 += add;
                        } else {
                            *s = (tag, add);
                        }
                    }
                    continue;
                }
                // Repeated numeric fields accept the packed form whatever the descriptor says.
                (Kind::Varint, LEN) if f.repeated => packed_varints(buf, pos),
                (Kind::Fixed64, LEN) if f.repeated => packed_fixed(buf, pos, 8),
                (Kind::Fixed32, LEN) if f.repeated => packed_fixed(buf, pos, 4),
                (kind, actual) => Err(WireErrorKind::WrongWireType {
                    actual,
                    expected: expected(kind, f.repeated),
                }),
            };
            pos = next.map_err(here)?;
            if f.slot != NO_SLOT {
                // A scalar variant of a row-carrying oneof replaces whatever variant held rows.
                slots[f.slot as usize] = (tag, 0);
            }
        }
        Ok(rows + slots.iter().map(|s| s.1).sum::<u64>())
    }
}

#[cold]
#[inline(never)]
fn error(
    message: &'static str,
    field: Option<(u32, Option<&'static str>)>,
    offset: usize,
    kind: WireErrorKind,
) -> WireError {
    WireError {
        message,
        field,
        offset,
        kind,
    }
}

/// The wire type a field of this kind needs, for errors.
fn expected(kind: Kind, repeated: bool) -> &'static str {
    match (kind, repeated) {
        (Kind::Varint, false) => "varint",
        (Kind::Varint, true) => "varint or packed",
        (Kind::Fixed32, false) => "fixed32",
        (Kind::Fixed32, true) => "fixed32 or packed",
        (Kind::Fixed64, false) => "fixed64",
        (Kind::Fixed64, true) => "fixed64 or packed",
        (Kind::Str | Kind::Bytes | Kind::Message, _) => "length-delimited",
    }
}

/// prost's `decode_key`: a varint no wider than 32 bits, wire type 0..=5, field number >= 1.
/// Returns the field number, the wire type and the position after the key.
#[inline(always)]
fn key(buf: &[u8], pos: usize) -> Step<(u32, u8, usize)> {
    let (k, next) = varint(buf, pos)?;
    if k > u64::from(u32::MAX) {
        return Err(WireErrorKind::Key);
    }
    let wt = (k & 7) as u8;
    if wt > 5 {
        return Err(WireErrorKind::InvalidWireType(wt));
    }
    let tag = (k as u32) >> 3;
    if tag == 0 {
        return Err(WireErrorKind::TagZero);
    }
    Ok((tag, wt, next))
}

/// A step of the walk: a value and the position after it, or what went wrong.
type Step<T> = Result<T, WireErrorKind>;

/// prost's `decode_varint`, bounded by the end of `buf`: the value and the position after it.
#[inline(always)]
fn varint(buf: &[u8], pos: usize) -> Step<(u64, usize)> {
    if let Some(&b) = buf.get(pos)
        && b < 0x80
    {
        return Ok((u64::from(b), pos + 1));
    }
    varint_slow(buf, pos)
}

#[inline(never)]
fn varint_slow(buf: &[u8], pos: usize) -> Step<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&b) = buf.get(pos + i) else {
            return Err(WireErrorKind::Varint);
        };
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            // The tenth byte may carry only the 64th bit (prost's overflow check).
            if i == 9 && b >= 2 {
                return Err(WireErrorKind::Varint);
            }
            return Ok((value, pos + i + 1));
        }
    }
    Err(WireErrorKind::Varint)
}

/// Whether a string field's bytes are UTF-8. Most OTLP strings are short ASCII keys and
/// values, where the call into `from_utf8` costs more than an inline check; anything else goes
/// to `from_utf8`, which has its own fast path for long ASCII runs.
#[inline(always)]
fn utf8(s: &[u8]) -> bool {
    if s.len() <= 32 {
        let (chunks, rest) = s.as_chunks::<8>();
        let mut acc = rest.iter().fold(0u64, |a, &b| a | u64::from(b));
        for c in chunks {
            acc |= u64::from_ne_bytes(*c);
        }
        if acc & 0x8080_8080_8080_8080 == 0 {
            return true;
        }
    }
    std::str::from_utf8(s).is_ok()
}

/// A fixed-width value: the position after it.
#[inline(always)]
fn fixed(buf: &[u8], pos: usize, width: usize) -> Step<usize> {
    let left = buf.len() - pos;
    if width > left {
        return Err(WireErrorKind::Length {
            len: width as u64,
            left,
        });
    }
    Ok(pos + width)
}

/// A length prefix and the range it covers, which must fit in what is left.
#[inline(always)]
fn len(buf: &[u8], pos: usize) -> Step<(usize, usize)> {
    let (n, start) = varint(buf, pos)?;
    let left = buf.len() - start;
    if n > left as u64 {
        return Err(WireErrorKind::Length { len: n, left });
    }
    Ok((start, start + n as usize))
}

/// Packed varints: they must tile the length exactly.
fn packed_varints(buf: &[u8], pos: usize) -> Step<usize> {
    let (mut p, end) = len(buf, pos)?;
    let inner = &buf[..end];
    while p < end {
        p = varint(inner, p)?.1;
    }
    Ok(end)
}

/// Packed fixed-width values: the length must be a multiple of the width.
fn packed_fixed(buf: &[u8], pos: usize, width: u8) -> Step<usize> {
    let (start, end) = len(buf, pos)?;
    let n = (end - start) as u64;
    if !n.is_multiple_of(u64::from(width)) {
        return Err(WireErrorKind::Packed { len: n, width });
    }
    Ok(end)
}

/// prost's `skip_field` for a field the schema does not know: the recursion limit applies to
/// every unknown field, and each level of group nesting spends one more.
fn skip(buf: &[u8], pos: usize, tag: u32, wt: u8, depth: u32) -> Step<usize> {
    if depth == 0 {
        return Err(WireErrorKind::RecursionLimit);
    }
    match wt {
        VARINT => varint(buf, pos).map(|(_, next)| next),
        I64 => fixed(buf, pos, 8),
        LEN => len(buf, pos).map(|(_, end)| end),
        I32 => fixed(buf, pos, 4),
        START_GROUP => {
            let mut pos = pos;
            loop {
                let (t, w, next) = key(buf, pos)?;
                if w == END_GROUP {
                    return if t == tag {
                        Ok(next)
                    } else {
                        Err(WireErrorKind::EndGroup)
                    };
                }
                pos = skip(buf, next, t, w, depth - 1)?;
            }
        }
        _ => Err(WireErrorKind::EndGroup),
    }
}
