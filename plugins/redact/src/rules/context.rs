//! Credentials found by their context: a sensitive name followed by a value in JSON, YAML,
//! `.env`, TOML, XML, query strings and command lines; passwords in URLs; HTTP
//! authorization headers and cookies.
//!
//! The name must *end* with a keyword (`DB_PASSWORD`, `x-api-key`, `client_secret`) so that
//! `max_tokens`, `token_count` or `secretary` never match; the value is then checked
//! against placeholders (`${X}`, `<redacted>`, `os.environ[...]`, `****`).

use super::{Capture, Check, Gate, Group::Credentials as C, RuleDef, Start, rule};
use crate::matchers::Matcher;

/// Key names that end with a keyword, right before their value (`$`: see the prefilter).
const ASSIGN_ANCHORS: &[&str] = &[
    "password$",
    "passwd$",
    "passphrase$",
    "pwd$",
    "secret$",
    "token$",
    "apikey$",
    "api_key$",
    "api-key$",
    "secret_key$",
    "secretkey$",
    "secret-key$",
    "access_key$",
    "accesskey$",
    "access-key$",
    "private_key$",
    "privatekey$",
    "private-key$",
    "signing_key$",
    "signingkey$",
    "signing-key$",
    "encryption_key$",
    "encryptionkey$",
    "encryption-key$",
    "master_key$",
    "masterkey$",
    "master-key$",
    "account_key$",
    "accountkey$",
    "account-key$",
    "subscription_key$",
    "subscriptionkey$",
    "subscription-key$",
    "license_key$",
    "licensekey$",
    "license-key$",
    "client_key$",
    "clientkey$",
    "client-key$",
];

/// Context rules, most specific first.
pub const RULES: &[RuleDef] = &[
    rule(
        "url_credentials",
        C,
        Gate::Anchors(&["://"]),
        // The password runs to the last `@` before the host, so it may itself contain `@`
        // (and `#`, which connection strings do not escape).
        r#"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/?#@"'<>]*:([^\s/?"'<>]+)@[a-z0-9\[_]"#,
        Check::Literal,
    )
    .from(Start::Url)
    .matcher(Matcher::UrlCredentials),
    rule(
        "authorization_header",
        C,
        Gate::Anchors(&["authorization$"]),
        r#"(?i)authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:(?:bearer|basic|token|digest|negotiate|ntlm|apikey|api-key|sso-key|aws4-hmac-sha256|hmac)[ \t]+)?([^\s"'\\,;]{6,})"#,
        Check::Literal,
    )
    .matcher(Matcher::Authorization),
    rule(
        "bearer_token",
        C,
        Gate::Anchors(&["bearer$"]),
        r"(?i)\bbearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)",
        Check::Bearer,
    )
    .matcher(Matcher::Bearer),
    rule(
        "basic_auth",
        C,
        Gate::Anchors(&["basic$"]),
        r"(?i)\bbasic[ \t]+([A-Za-z0-9+/]{8,}={0,2})",
        Check::Basic,
    ),
    rule(
        "cookie",
        C,
        Gate::Anchors(&["cookie$"]),
        r#"(?i)\bcookie\\?["']?[ \t]*:[ \t]*\\?["']?([^"'\\\r\n]{4,})"#,
        Check::Literal,
    )
    .matcher(Matcher::Cookie),
    rule(
        "cli_secret_flag",
        C,
        Gate::Anchors(&[
            "pass$",
            "password$",
            "passwd$",
            "passphrase$",
            "pwd$",
            "secret$",
            "token$",
            "apikey$",
            "api-key$",
            "access-key$",
            "accesskey$",
            "private-key$",
            "privatekey$",
            "auth$",
        ]),
        // A flag (after a blank) whose last word is the keyword: `--db-password x`, not
        // `per-token price`.
        r#"(?i)(?:^|[\s"'])--?(?:[a-z0-9]+-)*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api-?key|access-?key|private-?key|auth)(?:=|[ \t]+)(?:"([^"\r\n]+)"|'([^'\r\n]+)'|([^\s"'-][^\s"']*))"#,
        Check::Value,
    )
    .from(Start::Flag)
    .matcher(Matcher::CliFlag),
    // `curl -u user:password`, `--user user:password`.
    rule(
        "cli_secret_flag",
        C,
        Gate::Anchors(&["-u ", "--user"]),
        r#"(?:^|\s)(?:-u|--user)[ =]\\?["']?[^\s:"'\\]+:([^\s"'\\]+)"#,
        Check::Value,
    )
    .from(Start::Flag)
    .matcher(Matcher::UserFlag),
    rule(
        "password_assignment",
        C,
        Gate::Anchors(ASSIGN_ANCHORS),
        concat!(
            r#"(?i)(?:pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|apikey|(?:secret|access|private|signing|encryption|master|account|subscription|license|client)[_-]?key)"#,
            // `=>` only after a quoted name (`'password' => 'x'`), never a `match` arm.
            r#"(?:\\?["'][ \t]*(?:=>|:=|[:=])|[ \t]*(?::=|[:=]))[ \t]*(?:\\?"([^"\\\r\n]+)\\?"|'([^'\r\n]+)'|([^\s"'`,;&<>(){}\[\]\\]+))"#,
            r#"|(?:pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|apikey)>([^<\r\n]+)</"#,
        ),
        Check::Value,
    )
    .capture(Capture::Assignment),
    // `.netrc`: `machine host login user password secret`.
    rule(
        "password_assignment",
        C,
        Gate::Anchors(&["login$"]),
        r"\blogin[ \t]+[^\s]+[ \t]+password[ \t]+([^\s]+)",
        Check::Value,
    ),
    // `mysql -pSECRET` (no space: `-p` alone prompts) and `sshpass -p SECRET`.
    rule(
        "cli_secret_flag",
        C,
        Gate::Anchors(&["mysql", "sshpass"]),
        r#"\bmysql[a-z]*[ \t][^\n]*?[ \t]-p([^\s"'-][^\s"']*)|\bsshpass[ \t]+-p[ \t]*([^\s"']+)"#,
        Check::Value,
    ),
    rule(
        "password_prose",
        C,
        Gate::Anchors(&["password$", "passwd$", "passphrase$", "passcode$", "pwd$"]),
        r#"(?i)\b(?:password|passwd|passphrase|passcode|pwd)[ \t]+(?:is|was)[ \t]*[:=]?[ \t]*["']?([^\s"']{4,64})"#,
        Check::Prose,
    )
    .matcher(Matcher::PasswordProse),
];
