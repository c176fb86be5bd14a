//! What a secret is replaced with: a marker naming the rule, or, when the row's tenant has a
//! key, a keyed HMAC-SHA256 so that equal secrets correlate within that tenant and never
//! across tenants. A plain (unkeyed) hash of a secret is never written: secrets are short
//! and guessable enough that a plain hash would give them back.

pub use sluice_plugin_sdk::digest::HmacKey;

/// Whether `hay` holds `needle`. Eight bytes at a time are tested for the needle's first
/// byte (the zero-byte trick) and compared only where it may be: a marker's opening (`[`)
/// is rare, and `str::contains` sets up a two-way search on every call, which inside Wasm
/// (no SIMD fast path there) cost more than the rest of writing the markers.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    const LOW: u64 = 0x0101_0101_0101_0101;
    let Some(&first) = needle.first() else {
        return true;
    };
    let at = |k: usize| hay[k] == first && hay[k..].starts_with(needle);
    let splat = LOW * u64::from(first);
    let words = hay.chunks_exact(8);
    let tail = hay.len() - words.remainder().len();
    for (k, word) in words.enumerate() {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ splat;
        if w.wrapping_sub(LOW) & !w & (LOW << 7) != 0 && (8 * k..8 * k + 8).any(at) {
            return true;
        }
    }
    (tail..hay.len()).any(at)
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
}

impl Markers {
    /// Builds from the plain and the keyed format.
    pub fn new(plain: Template, keyed: Template) -> Markers {
        Markers { plain, keyed }
    }

    /// Whether `hay` may hold a marker (it has a format's opening text); when it does not,
    /// [`Markers::inside_marker`] is false for every span and need not be asked.
    pub fn may_hold_marker(&self, hay: &str) -> bool {
        fn opening(t: &Template) -> Option<&[u8]> {
            match t.0.first() {
                Some(Piece::Lit(open)) => Some(open.as_bytes()),
                _ => None,
            }
        }
        match (opening(&self.plain), opening(&self.keyed)) {
            // Both formats start alike by default (`[REDACTED:`): one scan.
            (Some(a), Some(b)) if a.starts_with(b) || b.starts_with(a) => {
                contains(hay.as_bytes(), if a.len() <= b.len() { a } else { b })
            }
            (Some(a), Some(b)) => contains(hay.as_bytes(), a) || contains(hay.as_bytes(), b),
            _ => true,
        }
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
