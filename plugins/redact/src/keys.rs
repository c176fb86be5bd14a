//! Attribute keys: which ones are sensitive (their whole value is a secret), which hold LLM
//! content, and what mode applies to a string leaf given its key path.

use serde::Deserialize;

/// What happens to an attribute's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Left exactly as it is: no scanning.
    Keep,
    /// Scanned; secrets and PII become markers, the rest stays.
    Redact,
    /// Replaced by `sha256:<hex>` of its redacted text.
    Hash,
    /// Redacted and cut to `preview_chars`, with the hash in a sibling `<key>.sha256`.
    Preview,
    /// Removed (a top-level record attribute) or emptied (anywhere else).
    Drop,
}

/// The GenAI attributes that carry prompts, answers and tool payloads.
pub const CONTENT_KEYS: &[&str] = &[
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.prompt",
    "gen_ai.completion",
];

/// Last key segments (lower case, `-` as `_`) whose value is a secret whatever it says.
const SENSITIVE: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "proxy_authorization",
    "cookie",
    "set_cookie",
    "private_key",
    "x_auth_token",
    "x_amz_security_token",
    "ocp_apim_subscription_key",
];

/// Endings that make a segment sensitive (`db_password`, `client_secret`, `x_api_key`).
const SENSITIVE_SUFFIX: &[&str] = &[
    "_password",
    "_passwd",
    "_passphrase",
    "_secret",
    "_api_key",
    "_apikey",
    "_token",
    "_private_key",
    "_secret_key",
    "_access_key",
];

/// `..._token` segments that are cursors or counts, not credentials.
const NOT_SENSITIVE: &[&str] = &[
    "page_token",
    "next_token",
    "next_page_token",
    "continuation_token",
    "cancellation_token",
    "max_token",
    "sync_token",
    "prev_page_token",
    "resume_token",
];

/// Whether a key path's value must be redacted whole: its last segment names a secret
/// (`password`, `http.request.header.authorization`, `db.connection.db_password`), or the
/// path is one of the configured `extra` keys.
pub fn is_sensitive(path: &str, extra: &[String]) -> bool {
    if path.is_empty() {
        return false;
    }
    if extra.iter().any(|k| k == path) {
        return true;
    }
    let last = path.rsplit('.').next().unwrap_or(path);
    if last.len() > 64 {
        return false;
    }
    let mut buf = [0u8; 64];
    let seg = &mut buf[..last.len()];
    for (d, c) in seg.iter_mut().zip(last.bytes()) {
        *d = if c == b'-' {
            b'_'
        } else {
            c.to_ascii_lowercase()
        };
    }
    let Ok(seg) = std::str::from_utf8(seg) else {
        return false;
    };
    if extra.iter().any(|k| k.eq_ignore_ascii_case(seg)) {
        return true;
    }
    if NOT_SENSITIVE.contains(&seg) {
        return false;
    }
    SENSITIVE.contains(&seg)
        || SENSITIVE_SUFFIX
            .iter()
            .any(|s| seg.ends_with(s) || seg == &s[1..])
}

/// The configured mode whose key is the path or a map-prefix of it (`gen_ai.input.messages`
/// covers `gen_ai.input.messages.parts.content` of a structured value). Longest key wins.
pub fn mode_for<'m>(path: &str, modes: &'m [(String, Mode)]) -> Option<(&'m str, Mode)> {
    modes
        .iter()
        .filter(|(k, _)| {
            path.len() >= k.len()
                && path.starts_with(k.as_str())
                && (path.len() == k.len() || path.as_bytes()[k.len()] == b'.')
        })
        .max_by_key(|(k, _)| k.len())
        .map(|(k, m)| (k.as_str(), *m))
}
