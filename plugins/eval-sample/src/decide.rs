//! The pure decision functions: a trace's randomness (W3C `tracestate` `rv`, a keyed hash or
//! the trace id), OpenTelemetry's rejection threshold for a probability, rate tables by
//! stratum, and RFC 3339 times. Nothing here has state, so every replica answers the same.

use std::collections::HashMap;

/// 2^56: randomness values and thresholds are 56-bit, as in OpenTelemetry's consistent
/// probability sampling.
pub const RANDOMNESS_RANGE: u64 = 1 << 56;

/// The rejection threshold for sampling probability `p`: `(1 - p) * 2^56`, rounded to the
/// nearest integer (computed as `2^56 - round(p * 2^56)` so small rates keep their
/// precision). A trace is kept when its randomness is at least the threshold, so `p = 1`
/// keeps everything (threshold 0) and `p = 0` nothing (threshold 2^56, above every value).
pub fn threshold(p: f64) -> u64 {
    if p.is_nan() || p <= 0.0 {
        return RANDOMNESS_RANGE;
    }
    if p >= 1.0 {
        return 0;
    }
    let kept = (p * RANDOMNESS_RANGE as f64).round() as u64;
    RANDOMNESS_RANGE - kept.min(RANDOMNESS_RANGE)
}

/// Whether randomness `rv` is kept at probability `p`. Consistent: a trace kept at `p` is kept
/// at every higher probability, by every sampler that uses the same randomness.
pub fn kept(rv: u64, p: f64) -> bool {
    rv >= threshold(p)
}

/// SplitMix64's finaliser: a fast, well-mixed 64-bit hash step.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A trace's 56-bit randomness when it carries no explicit `rv`: with a seed, the top 56 bits
/// of a keyed hash of all 16 id bytes (robust to ids that are not random, and different per
/// seed); without one, the low 56 bits of the trace id, which W3C Trace Context level 2 and
/// OpenTelemetry SDKs make random, so the decision agrees with upstream OpenTelemetry samplers.
pub fn randomness(trace_id: &[u8; 16], seed: Option<u64>) -> u64 {
    let hi = u64::from_be_bytes(trace_id[..8].try_into().unwrap_or_default());
    let lo = u64::from_be_bytes(trace_id[8..].try_into().unwrap_or_default());
    match seed {
        Some(seed) => mix(mix(seed ^ hi) ^ lo) >> 8,
        None => lo & (RANDOMNESS_RANGE - 1),
    }
}

/// The explicit randomness of a W3C `tracestate`: the `rv` sub-key of the `ot` list member
/// (`ot=...;rv:<14 lowercase hex digits>;...`). `None` when there is no `ot` member, no `rv`
/// in it, or the value is malformed (the OpenTelemetry spec says to ignore an invalid `rv`).
pub fn tracestate_rv(tracestate: &str) -> Option<u64> {
    for member in tracestate.split(',') {
        let member = member.trim_matches([' ', '\t']);
        let Some((key, value)) = member.split_once('=') else {
            continue;
        };
        if key != "ot" {
            continue;
        }
        // List keys are unique in a valid tracestate: the first `ot` member is the one.
        return value
            .split(';')
            .find_map(|field| field.strip_prefix("rv:"))
            .and_then(parse_rv);
    }
    None
}

fn parse_rv(hex: &str) -> Option<u64> {
    let valid = hex.len() == 14
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !valid {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// A value to match: exact, or a prefix when written with a trailing `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// The whole value.
    Exact(String),
    /// The value's beginning.
    Prefix(String),
}

impl Pattern {
    /// `gpt-4o*` is a prefix; anything else is exact.
    pub fn new(text: &str) -> Self {
        match text.strip_suffix('*') {
            Some(prefix) => Pattern::Prefix(prefix.to_string()),
            None => Pattern::Exact(text.to_string()),
        }
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Exact(v) => v == value,
            Pattern::Prefix(p) => value.starts_with(p.as_str()),
        }
    }
}

/// Rates of one stratum: exact values first, then the longest matching prefix.
#[derive(Debug, Clone, Default)]
pub struct RateTable {
    exact: HashMap<String, f64>,
    /// Longest first, so the first match is the most specific.
    prefixes: Vec<(String, f64)>,
}

impl RateTable {
    /// Adds `value` (or `prefix*`) at `rate`.
    pub fn insert(&mut self, value: &str, rate: f64) {
        match Pattern::new(value) {
            Pattern::Exact(v) => {
                self.exact.insert(v, rate);
            }
            Pattern::Prefix(p) => {
                self.prefixes.push((p, rate));
                // Stable: equal lengths keep their (sorted) config order.
                self.prefixes
                    .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
            }
        }
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty()
    }

    /// The rate for `value`, if the table has one.
    pub fn get(&self, value: &str) -> Option<f64> {
        if let Some(r) = self.exact.get(value) {
            return Some(*r);
        }
        self.prefixes
            .iter()
            .find(|(p, _)| value.starts_with(p.as_str()))
            .map(|(_, r)| *r)
    }
}

/// Days from 1970-01-01 to the given civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses an RFC 3339 date-time with an offset (`2025-07-01T12:00:00Z`,
/// `2025-07-01T14:00:00.250+02:00`) to Unix nanoseconds. `None` when malformed, without an
/// offset, or outside what an `i64` of nanoseconds holds (1677 to 2262).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then_some(())?;
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if sep(i, b".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    let offset_secs = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && sep(i + 3, b":") => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = oh * 3600 + om * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
    let total = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    i64::try_from(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u64, salt: u64) -> Vec<[u8; 16]> {
        (0..n)
            .map(|i| {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&mix(i ^ salt).to_be_bytes());
                id[8..].copy_from_slice(&mix(i.wrapping_add(salt) ^ 0xabcdef).to_be_bytes());
                id
            })
            .collect()
    }

    #[test]
    fn thresholds_follow_the_otel_definition() {
        assert_eq!(threshold(1.0), 0);
        assert_eq!(threshold(0.0), RANDOMNESS_RANGE);
        assert_eq!(threshold(f64::NAN), RANDOMNESS_RANGE);
        assert_eq!(threshold(0.5), 1 << 55);
        assert_eq!(threshold(0.25), 3 << 54);
        // 10%: the spec's example `th:e666666666666` (the threshold 0xe6666666666666 rounded).
        assert_eq!(threshold(0.1), 0x00e6_6666_6666_6666);
        // The largest randomness is kept at any positive rate that is representable.
        assert!(kept(RANDOMNESS_RANGE - 1, 1e-15));
        assert!(!kept(RANDOMNESS_RANGE - 1, 0.0));
        assert!(kept(0, 1.0));
        assert!(!kept(0, 0.999_999));
        // The boundary: kept exactly when rv >= threshold.
        assert!(kept(1 << 55, 0.5) && !kept((1 << 55) - 1, 0.5));
    }

    #[test]
    fn decisions_are_consistent_across_rates() {
        let all = ids(20_000, 1);
        for seed in [None, Some(7)] {
            let rv: Vec<u64> = all.iter().map(|id| randomness(id, seed)).collect();
            // A trace kept at a low rate is kept at every higher rate.
            assert!(rv.iter().filter(|r| kept(**r, 0.05)).all(|r| kept(*r, 0.2)));
            assert!(rv.iter().all(|r| *r < RANDOMNESS_RANGE));
        }
    }

    #[test]
    fn randomness_uses_the_low_56_bits_or_the_seeded_hash() {
        let mut id = [0u8; 16];
        id[9..].copy_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]);
        id[8] = 0xff; // outside the 56 bits
        id[0] = 0xaa;
        assert_eq!(randomness(&id, None), 0x0012_3456_789a_bcde);
        let a = randomness(&id, Some(1));
        assert_eq!(a, randomness(&id, Some(1)), "same seed, same answer");
        assert_ne!(a, randomness(&id, Some(2)), "the seed changes the answer");
        let mut other = id;
        other[0] = 0xab; // outside the low 56 bits: only the hash sees it
        assert_eq!(randomness(&other, None), randomness(&id, None));
        assert_ne!(randomness(&other, Some(1)), a);
    }

    #[test]
    fn seeded_hash_is_uniform_enough() {
        // 200,000 ids at 10%: the count is Binomial(200000, 0.1), sd ~134; allow 5 sd.
        let all = ids(200_000, 99);
        let n = all
            .iter()
            .filter(|id| kept(randomness(id, Some(42)), 0.1))
            .count() as i64;
        assert!((n - 20_000).abs() < 670, "{n}");
    }

    #[test]
    fn tracestate_rv_is_read_from_the_ot_member_only() {
        assert_eq!(tracestate_rv("ot=rv:00000000000001"), Some(1));
        assert_eq!(
            tracestate_rv("vendor=x, ot=th:8;rv:ffffffffffffff ,other=y"),
            Some(RANDOMNESS_RANGE - 1)
        );
        assert_eq!(tracestate_rv("ot=th:c;rv:80000000000000"), Some(1 << 55));
        // Not 14 digits, upper case, no rv, rv of another member: ignored.
        for bad in [
            "ot=rv:fffffffffffff",
            "ot=rv:fffffffffffffff",
            "ot=rv:FFFFFFFFFFFFFF",
            "ot=rv:0x000000000000",
            "ot=th:8",
            "vendor=rv:ffffffffffffff",
            "",
        ] {
            assert_eq!(tracestate_rv(bad), None, "{bad}");
        }
        // The first `ot` member decides.
        assert_eq!(tracestate_rv("ot=th:0,ot=rv:ffffffffffffff"), None);
    }

    #[test]
    fn rate_tables_prefer_exact_then_the_longest_prefix() {
        let mut t = RateTable::default();
        t.insert("gpt-4o*", 0.1);
        t.insert("gpt-4o-mini*", 0.2);
        t.insert("gpt-4o-mini-2024-07-18", 0.3);
        t.insert("gpt*", 0.4);
        assert_eq!(t.get("gpt-4o-mini-2024-07-18"), Some(0.3));
        assert_eq!(t.get("gpt-4o-mini"), Some(0.2));
        assert_eq!(t.get("gpt-4o-2024-08-06"), Some(0.1));
        assert_eq!(t.get("gpt-5"), Some(0.4));
        assert_eq!(t.get("claude"), None);
    }

    #[test]
    fn rfc3339_times_parse_to_unix_nanoseconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2025-07-01T00:00:00Z"),
            Some(1_751_328_000_000_000_000)
        );
        assert_eq!(
            parse_rfc3339("2025-07-01T02:00:00.5+02:00"),
            Some(1_751_328_000_500_000_000)
        );
        assert_eq!(
            parse_rfc3339("2025-06-30t19:00:00.123456789123-05:00"),
            Some(1_751_328_000_123_456_789)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29 12:00:00z"),
            Some(1_709_208_000_000_000_000)
        );
        for bad in [
            "2025-07-01T00:00:00",
            "2025-07-01",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-07-01T24:00:00Z",
            "2025-07-01T00:00:00.Z",
            "2025-07-01T00:00:00+0200",
            "2025-07-01T00:00:00Z ",
            "3000-01-01T00:00:00Z",
            "tomorrow",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
