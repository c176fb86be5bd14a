//! What a secret is replaced with: a marker naming the rule, or, when the row's tenant has a
//! key, a keyed HMAC-SHA256 so that equal secrets correlate within that tenant and never
//! across tenants. A plain (unkeyed) hash of a secret is never written: secrets are short
//! and guessable enough that a plain hash would give them back.

pub use sluice_plugin_sdk::digest::HmacKey;

/// Whether `hay` holds `needle`. The needle's first byte (a marker's opening, `[`, is rare)
/// is looked for sixteen bytes at a time ([`crate::vector::positions`]) and the needle
/// compared only there. `str::contains` sets up a two-way search on every call, `memchr`
/// costs more to set up than reading the short stretch before a finding (and has no SIMD path
/// inside Wasm unless the whole build enables it), and the eight-bytes-at-a-time loop this
/// replaced was half of writing the markers on secret-dense text.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    crate::vector::positions(hay, first, |k| hay[k..].starts_with(needle))
}

/// A tenant's key and the version written into its markers (so keys can rotate).
#[derive(Debug, Clone)]
pub struct TenantKey {
    /// The prepared key.
    pub key: HmacKey,
    /// `v<version>`.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Rule,
    Hmac,
    Version,
}

/// A marker format such as `[REDACTED:{rule}]`: `{rule}`, `{hmac}` and `{version}` are
/// replaced, everything else is literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Piece>);

impl Template {
    /// Parses a format; `allowed` lists the placeholders it may use.
    pub fn parse(format: &str, allowed: &[&str]) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = format;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Lit(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed `{{` in {format:?}"))?;
            let name = &rest[open + 1..open + close];
            if !allowed.contains(&name) {
                return Err(format!(
                    "unknown placeholder `{{{name}}}` in {format:?}, expected {}",
                    allowed
                        .iter()
                        .map(|a| format!("{{{a}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            pieces.push(match name {
                "rule" => Piece::Rule,
                "hmac" => Piece::Hmac,
                _ => Piece::Version,
            });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Lit(rest.to_string()));
        }
        Ok(Template(pieces))
    }

    /// Whether the format uses `{hmac}`.
    pub fn uses_hmac(&self) -> bool {
        self.0.contains(&Piece::Hmac)
    }
}

/// The two marker formats.
#[derive(Debug, Clone)]
pub struct Markers {
    plain: Template,
    keyed: Template,
    /// What [`Markers::may_hold_marker`] looks for, worked out once: the formats' openings
    /// (one when they start alike, as by default with `[REDACTED:`), or `None` when a
    /// format does not start with literal text (every string may then hold a marker).
    openings: Option<Vec<Vec<u8>>>,
}

impl Markers {
    /// Builds from the plain and the keyed format.
    pub fn new(plain: Template, keyed: Template) -> Markers {
        fn opening(t: &Template) -> Option<&[u8]> {
            match t.0.first() {
                Some(Piece::Lit(open)) => Some(open.as_bytes()),
                _ => None,
            }
        }
        let openings = match (opening(&plain), opening(&keyed)) {
            // Both formats start alike: one scan for the shorter opening.
            (Some(a), Some(b)) if a.starts_with(b) || b.starts_with(a) => {
                Some(vec![if a.len() <= b.len() { a } else { b }.to_vec()])
            }
            (Some(a), Some(b)) => Some(vec![a.to_vec(), b.to_vec()]),
            _ => None,
        };
        Markers {
            plain,
            keyed,
            openings,
        }
    }

    /// Whether `hay` may hold a marker (it has a format's opening text); when it does not,
    /// [`Markers::inside_marker`] is false for every span starting at or before its end
    /// (a marker's opening must lie wholly before the span), and need not be asked.
    pub fn may_hold_marker(&self, hay: &str) -> bool {
        self.openings
            .as_ref()
            .is_none_or(|o| o.iter().any(|open| contains(hay.as_bytes(), open)))
    }

    /// Whether `hay[start..end]` lies inside a marker already in `hay` (its literal start up
    /// to its literal end), so that redacting twice, or text that quotes a marker, never
    /// nests markers: `[REDACTED:github_token:hmac:v1:..]` reads like `token: ...`.
    pub fn inside_marker(&self, hay: &str, start: usize, end: usize) -> bool {
        [&self.plain, &self.keyed].iter().any(|t| {
            let (Some(Piece::Lit(open)), Some(Piece::Lit(close))) = (t.0.first(), t.0.last())
            else {
                return false;
            };
            let Some(at) = hay[..start.min(hay.len())].rfind(open.as_str()) else {
                return false;
            };
            hay[at + open.len()..]
                .find(close.as_str())
                .is_some_and(|c| at + open.len() + c + close.len() >= end)
        })
    }

    /// Appends the marker for `secret` found by `rule` to `out`.
    pub fn write(&self, out: &mut String, rule: &str, secret: &str, tenant: Option<&TenantKey>) {
        let template = if tenant.is_some() {
            &self.keyed
        } else {
            &self.plain
        };
        for piece in &template.0 {
            match piece {
                Piece::Lit(s) => out.push_str(s),
                Piece::Rule => out.push_str(rule),
                Piece::Version => out.push_str(tenant.map_or("", |t| t.version.as_str())),
                Piece::Hmac => {
                    if let Some(t) = tenant {
                        // 16 hex digits (64 bits): enough to correlate within a tenant
                        // while keeping markers short.
                        out.push_str(&hex::encode(&t.key.mac(secret.as_bytes())[..8]));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::contains;

    /// Every needle placement around the 16-byte steps of the vector loop, near misses
    /// (the first byte alone, a cut-off needle at the end) and several first bytes before a
    /// real occurrence, against the plain window search.
    #[test]
    fn contains_is_a_substring_test() {
        let needle = b"[REDACTED:";
        let fillers: [&[u8]; 3] = [b"a", b"[", b"[REDACTED"];
        let mut checked = 0;
        for len in 0..70 {
            for filler in fillers {
                let base: Vec<u8> = filler.iter().copied().cycle().take(len).collect();
                for put in 0..=len {
                    for cut in [needle.len(), needle.len() - 1, 1] {
                        let mut hay = base.clone();
                        hay.splice(put..put, needle[..cut].iter().copied());
                        let want = hay.windows(needle.len()).any(|w| w == needle);
                        assert_eq!(contains(&hay, needle), want, "{:?}", hay.escape_ascii());
                        checked += usize::from(want);
                    }
                }
            }
        }
        assert!(checked > 1000);
        assert!(contains(b"abc", b""));
        assert!(!contains(b"", b"["));
    }
}
