//! The built-in rule table: every rule's name, group, prefilter gate, pattern and check.
//!
//! A pattern's secret is its first capture group that took part in the match, or the whole
//! match when no group did; every other group in a pattern is non-capturing. `\b` in a
//! pattern is compiled as an ASCII word boundary (see [`compile_pattern`]) because a Unicode
//! boundary makes the regex engine leave its fast DFA on any non-ASCII text.

mod cloud;
mod context;
mod pii;
mod tokens;

/// The group a rule belongs to; rules are switched on and off by group as well as by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Credentials: keys, tokens, passwords, private keys.
    Credentials,
    /// Personal data: e-mail addresses, card numbers, phone numbers, ...
    Pii,
    /// Rules from the config's `custom_rules`.
    Custom,
}

impl Group {
    /// The group's config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Credentials => "credentials",
            Group::Pii => "pii",
            Group::Custom => "custom",
        }
    }
}

/// What must be present in a string before a rule's regex is run at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// One of these literals (ASCII, matched case-insensitively; written lower-case).
    Anchors(&'static [&'static str]),
    /// A run of `[0-9 ().+-]` holding at least this many digits; the rule's regex then runs
    /// only over such runs (its matches must consist of those bytes).
    NumRun(u32),
    /// A run of at least this many `[A-Za-z0-9_-]` bytes.
    Run(u32),
    /// A run of at least this many `[A-Za-z0-9_.-]` bytes (dotted tokens).
    DotRun(u32),
    /// A run of `[A-Z0-9 ]` holding at least this many letters and digits.
    UpperRun(u32),
    /// Always run (custom rules, and rules that are off by default).
    Always,
}

/// How a candidate match is confirmed (and possibly narrowed) after the regex found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Accept every match.
    None,
    /// A token of a known shape: rejected when it is an obvious placeholder (`xxxx`, `****`,
    /// `example`).
    Token,
    /// A value found by context (`password=...`): rejected when it is a placeholder,
    /// template, code reference, file path or status word.
    Value,
    /// Like `Value`, where the value cannot be code (a URL's password, a header): no
    /// code-reference test, so `a.b` is a secret too.
    Literal,
    /// A value in prose (`password is x`): also needs a digit or a symbol.
    Prose,
    /// A bearer token without a header name: long, letters and digits.
    Bearer,
    /// `Basic <base64>` without a header name: must decode to `user:password`.
    Basic,
    /// A PEM / OpenSSH block: must have a real base64 body.
    Pem,
    /// The match is a key's name: the PEM block right after it is the secret.
    PemAfter,
    /// A Discord bot token: its first part must decode to a numeric user id.
    Discord,
    /// An AWS secret key next to its key id: needs upper, lower case and digits.
    Mixed,
    /// An e-mail address.
    Email,
    /// A payment card number: issuer prefix, grouping and Luhn.
    Card,
    /// Digits passing the Luhn checksum (custom rules with `validator = "luhn"`).
    Luhn,
    /// A US social security number: valid area, group and serial.
    Ssn,
    /// A phone number in international (`+...`) form.
    PhoneIntl,
    /// A phone number in a national form.
    PhoneNational,
    /// An IBAN: country length and mod-97 checksum; narrows the match to the IBAN.
    Iban,
    /// An IPv4 or IPv6 address.
    Ip,
}

/// One built-in rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    /// The rule's name, as written in markers and the config.
    pub name: &'static str,
    /// Its group.
    pub group: Group,
    /// Whether it is on when the config does not say.
    pub on: bool,
    /// The prefilter gate.
    pub gate: Gate,
    /// The regex.
    pub pattern: &'static str,
    /// The confirmation.
    pub check: Check,
}

/// Every built-in rule, most specific first: when two matches overlap, the earlier one in
/// this list names the marker.
pub fn builtin() -> Vec<RuleDef> {
    let mut all = Vec::with_capacity(64);
    all.extend_from_slice(cloud::RULES);
    all.extend_from_slice(tokens::RULES);
    all.extend_from_slice(context::RULES);
    all.extend_from_slice(pii::RULES);
    all
}

/// Compiles a pattern with ASCII word boundaries.
pub fn compile_pattern(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&pattern.replace(r"\b", r"(?-u:\b)"))
        .size_limit(1 << 22)
        .build()
}

/// Shorthand for the tables.
const fn rule(
    name: &'static str,
    group: Group,
    gate: Gate,
    pattern: &'static str,
    check: Check,
) -> RuleDef {
    RuleDef {
        name,
        group,
        on: true,
        gate,
        pattern,
        check,
    }
}
