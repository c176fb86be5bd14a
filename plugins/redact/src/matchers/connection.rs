//! `azure_connection_string`: the key of a Service Bus / Event Hubs / IoT connection string
//! (`SharedAccessKey=...`) or the signature of a SAS URL (`?sig=...`).

use super::Unsure;
use super::read::name_at;

/// The end of the run from `p` of ASCII letters and digits and `extra` bytes, after at most
/// `max` bytes; [`Unsure`] when a non-ASCII byte would be next in it (`(?i)` puts the Kelvin
/// sign and `ſ` in `[A-Za-z]`).
fn run(b: &[u8], p: usize, max: usize, extra: &[u8]) -> Result<usize, Unsure> {
    let mut e = p;
    while e - p < max {
        match b.get(e) {
            Some(c) if c.is_ascii_alphanumeric() || extra.contains(c) => e += 1,
            Some(0x80..) => return Err(Unsure),
            _ => break,
        }
    }
    Ok(e)
}

/// `azure_connection_string` at `at`:
/// `(?i)SharedAccessKey=([A-Za-z0-9+/]{40,90}=*)|[?&]sig=([A-Za-z0-9%+/]{30,}(?:%3D|=)*)`.
///
/// The alternatives start differently (`s` against `?` or `&`). Each run is greedy and what
/// follows it is optional, so nothing is given back: the key takes up to 90 bytes then every
/// `=`; the signature's run takes every `%` (so `%3D` inside it too), then `=` and `%3D`.
pub fn azure_connection_string(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    match b.get(at) {
        Some(b'?' | b'&') => {
            if !name_at(b, at + 1, b"sig")? || b.get(at + 4) != Some(&b'=') {
                return Ok(None);
            }
            let s = at + 5;
            let mut e = run(b, s, usize::MAX, b"%+/")?;
            if e - s < 30 {
                return Ok(None);
            }
            loop {
                if b.get(e) == Some(&b'=') {
                    e += 1;
                } else if b
                    .get(e..e + 3)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"%3d"))
                {
                    e += 3;
                } else {
                    break;
                }
            }
            Ok(Some([at, e, s, e]))
        }
        _ => {
            if !name_at(b, at, b"sharedaccesskey")? || b.get(at + 15) != Some(&b'=') {
                return Ok(None);
            }
            let s = at + 16;
            let mut e = run(b, s, 90, b"+/")?;
            if e - s < 40 {
                return Ok(None);
            }
            while b.get(e) == Some(&b'=') {
                e += 1;
            }
            Ok(Some([at, e, s, e]))
        }
    }
}
