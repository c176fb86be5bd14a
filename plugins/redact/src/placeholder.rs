//! What is not a secret although it sits where one would: placeholders (`<redacted>`,
//! `${API_KEY}`, `xxxx`), templates, code references (`os.environ[...]`, `settings.KEY`),
//! file paths and status words.

/// Obvious filler: `xxxx`, `****`, `....`, `<...>`, or a doc/example marker.
pub fn placeholder_shape(v: &str) -> bool {
    // One loop: runs of a filler byte, and the marker words by their first letter.
    let b = v.as_bytes();
    let (mut prev, mut run) = (0u8, 0u32);
    for (i, &c) in b.iter().enumerate() {
        run = if c == prev { run + 1 } else { 1 };
        prev = c;
        let filler = match c {
            b'x' | b'X' | b'#' => run >= 4,
            b'*' | b'.' => run >= 3,
            b'0' => run >= 7,
            _ => false,
        };
        let at = |w: &[u8]| b[i..].len() >= w.len() && b[i..i + w.len()].eq_ignore_ascii_case(w);
        let next = b.get(i + 1).map_or(0, |n| n | 0x20);
        let word = match (c | 0x20, next) {
            (b'e', b'x') => at(b"example"),
            (b'p', b'l') => at(b"placeholder"),
            (b'y', b'o') => at(b"your_") || at(b"your-"),
            (b'd', b'u') => at(b"dummy"),
            (b's', b'a') => at(b"sample"),
            (b'r', b'e') => at(b"redacted"),
            _ => false,
        };
        if filler || word {
            return true;
        }
    }
    !v.is_ascii() && (v.contains('…') || v.contains("••••"))
}

/// Words that follow `password:`/`token=` in code and logs without being a secret.
const NOT_SECRETS: &[&str] = &[
    "null",
    "none",
    "nil",
    "undefined",
    "true",
    "false",
    "redacted",
    "masked",
    "hidden",
    "filtered",
    "removed",
    "omitted",
    "scrubbed",
    "sanitized",
    "string",
    "str",
    "bool",
    "int",
    "optional",
    "required",
    "empty",
    "n/a",
    "tbd",
    "todo",
    "expired",
    "invalid",
    "missing",
    "revoked",
    "rotated",
    "provided",
    "set",
    "unset",
    "not",
    "the",
    "your",
    "stdin",
    "env",
    "default",
    "bearer",
    "basic",
    "yes",
    "no",
    "on",
    "off",
    // Type names: `password: str`, `token: f64`, `api_key: SecretStr`.
    "f64",
    "f32",
    "i64",
    "i32",
    "u64",
    "u32",
    "u8",
    "usize",
    "float",
    "double",
    "number",
    "integer",
    "boolean",
    "bytes",
    "any",
    "object",
    "char",
    "secretstr",
    "text",
    "varchar",
];

/// A value found by context: a placeholder, template, code reference or path is not one.
pub fn value(
    hay: &str,
    m: usize,
    s: usize,
    e: usize,
    code_refs: bool,
    min_chars: usize,
) -> Option<(usize, usize)> {
    if placeholder_shape(&hay[s..e]) {
        return None;
    }
    let v = hay[s..e].trim_end_matches(['.', ',', ';', ')']);
    let e = s + v.len();
    if v.is_empty() || v.chars().count() < min_chars {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    if NOT_SECRETS.contains(&lower.as_str()) {
        return None;
    }
    let b = v.as_bytes();
    let wrapped = |o: u8, c: u8| b[0] == o && b[b.len() - 1] == c;
    if wrapped(b'<', b'>') || wrapped(b'[', b']') || wrapped(b'{', b'}') || wrapped(b'(', b')') {
        return None;
    }
    // Templates and format strings: `${X}`, `$X`, `$(cmd)`, `{{ x }}`, `%s`, `%(x)s`.
    if b[0] == b'%' || v.starts_with("{{") || v.starts_with("${") || v.starts_with("$(") {
        return None;
    }
    if b[0] == b'$'
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || *c == b'_' || c.is_ascii_digit())
    {
        return None;
    }
    // Paths: `password_file=/run/secrets/db`, `PWD=/home/app`.
    if b[0] == b'/' || v.starts_with("~/") || v.starts_with("./") {
        return None;
    }
    const REFS: &[&str] = &[
        "os.environ",
        "os.getenv",
        "process.env",
        "getenv(",
        "env[",
        "env(",
        "secrets.",
        "vault:",
        "import.meta.env",
        "system.getenv",
        "config[",
        "settings.",
    ];
    if REFS.iter().any(|r| lower.contains(r)) {
        return None;
    }
    let quoted = s > 0 && matches!(hay.as_bytes()[s - 1], b'"' | b'\'');
    // `2.5e-06`: a float is a setting, not a secret (`123456` may well be a password).
    if v.contains(['.', 'e', 'E']) && v.parse::<f64>().is_ok() {
        return None;
    }
    if code_refs && !quoted {
        // `password = get_password()`, `token = self.tokens[0]`, `key = settings.API_KEY`.
        // `secret = br#"..."#`: a string prefix.
        if matches!(hay.as_bytes().get(e), Some(b'(' | b'[' | b'"' | b'\'')) {
            return None;
        }
        // Identifiers as people write them (`settings`, `DB_PASSWORD`, `Config`), not the
        // mixed-case noise of a dotted token.
        let ident = |p: &str| {
            let word = p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
            let tail = p.get(1..).unwrap_or_default();
            word && (p == p.to_ascii_lowercase()
                || p == p.to_ascii_uppercase()
                || tail == tail.to_ascii_lowercase())
        };
        if v.contains('.') && v.split('.').all(ident) && v.split('.').count() > 1 {
            return None;
        }
        // `max_token: 512`: a bare number after a `..token` name is a count, not a token;
        // `self.token = token`: a value named like its key is a variable.
        let name = hay[m..s]
            .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_ascii_lowercase();
        let number = v.parse::<f64>().is_ok();
        if name.ends_with("token") && number {
            return None;
        }
        if name.ends_with(&lower) {
            return None;
        }
    }
    Some((s, e))
}

/// `password is hunter2`: prose needs a digit or a symbol, so `password is required` is not
/// one; trailing sentence punctuation is not part of it.
pub fn prose(hay: &str, m: usize, s: usize, e: usize) -> Option<(usize, usize)> {
    let v = hay[s..e].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
    let e = s + v.len();
    let symbolic = v
        .bytes()
        .any(|c| c.is_ascii_digit() || c.is_ascii_punctuation());
    if !symbolic {
        return None;
    }
    value(hay, m, s, e, true, 3)
}

/// Whether a whole attribute value is a placeholder (`${API_KEY}`, `<redacted>`, `****`,
/// `os.environ["KEY"]`, `none`) rather than a secret.
pub fn placeholder_value(v: &str) -> bool {
    let t = v.trim();
    t.is_empty() || value(t, 0, 0, t.len(), false, 1).is_none()
}
