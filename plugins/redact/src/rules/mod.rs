//! The built-in rule table: every rule's name, group, prefilter gate, pattern and check.
//!
//! A pattern's secret is its first capture group that took part in the match, or the whole
//! match when no group did; every other group in a pattern is non-capturing. `\b` in a
//! pattern is compiled as an ASCII word boundary (see [`compile_pattern`]) because a Unicode
//! boundary makes the regex engine leave its fast DFA on any non-ASCII text.
//!
//! **Where a match can start** is part of a rule ([`Start`]): the detector never searches a
//! whole string for an anchored rule, it runs the regex at (or in a small window around) each
//! place the prefilter found one of the rule's anchors. So a rule's pattern must begin where
//! its anchor begins (most do: `ghp_...`, `password...`), or the rule names the window.
//! `tests/prefilter_equivalence.rs` holds every rule to this against a whole-string search.

mod cloud;
mod context;
mod pii;
pub mod shape;
mod tokens;

pub use shape::Shape;

use crate::matchers::Matcher;

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
    /// A run of at least this many (31 or more) `[A-Za-z0-9_-]` bytes; the regex runs over
    /// the `[A-Za-z0-9_.-]` runs that long (its matches must consist of those bytes).
    Run(u32),
    /// A run of at least this many (31 or more) `[A-Za-z0-9_.-]` bytes (dotted tokens); the
    /// regex runs over those runs.
    DotRun(u32),
    /// Two upper-case letters then two digits; the regex runs from there (anchored).
    Caps,
    /// Always run over the whole string (custom rules, and rules that are off by default).
    Always,
}

/// Where, relative to an anchor occurrence, a rule's match can start (for `Gate::Anchors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Exactly where the anchor starts: one anchored search per occurrence.
    Anchor,
    /// Anywhere from `back` bytes before the anchor; the match ends within `fwd` bytes after
    /// the anchor's start (bounded-length patterns, e.g. `[0-9]{8,10}:AA...`).
    Window {
        /// Bytes before the anchor.
        back: u16,
        /// Bytes after the anchor's start.
        fwd: u16,
    },
    /// An e-mail address around `@`: the local part before it, the domain after it.
    Email,
    /// Credentials in a URL around `://`: the scheme before it, the authority after it (only
    /// when the authority has an `@`).
    Url,
    /// A command-line flag ending with the anchor: from the blank before its dashes.
    Flag,
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

/// How the secret's span is taken from a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// The regex's capture groups (its first participating group).
    Groups,
    /// `password_assignment`'s value, parsed from the match (`name`, separator, quoted or
    /// bare value): the same span the groups give, without running a capture engine, which
    /// costs ten times the match itself. Falls back to the groups when the parse disagrees.
    /// At an anchor the whole match is read without the regex (`assign::match_at`), which
    /// knows only the built-in `password_assignment` pattern: no other rule may say this.
    Assignment,
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
    /// Where a match starts relative to an anchor (`Gate::Anchors` only).
    pub start: Start,
    /// For rules run over runs (`NumRun`, `Run`, `DotRun`): a run holding none of these
    /// byte strings is skipped (what every match contains, e.g. the `+` of `+44 ...`).
    pub needs: &'static [&'static str],
    /// The regex.
    pub pattern: &'static str,
    /// The confirmation.
    pub check: Check,
    /// How the secret's span is found in a match.
    pub capture: Capture,
    /// The pattern as a [`Shape`], when it is one: matched without the regex at each anchor
    /// (`Start::Anchor` rules without capture groups only).
    pub shape: Option<Shape>,
    /// The pattern as a hand matcher, which reads it without the regex wherever an anchored
    /// search would start (`Start::Anchor` and `Start::Flag` rules only; the matcher must
    /// mean exactly this pattern).
    pub matcher: Option<Matcher>,
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

/// Compiles a pattern with ASCII word boundaries; the error is the `regex` crate's message.
pub fn compile_pattern(pattern: &str) -> Result<regex_automata::meta::Regex, String> {
    let pattern = pattern.replace(r"\b", r"(?-u:\b)");
    // The `regex` crate's parser gives the readable error for a bad pattern.
    regex::RegexBuilder::new(&pattern)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| e.to_string())?;
    regex_automata::meta::Regex::builder()
        .configure(regex_automata::meta::Config::new().nfa_size_limit(Some(1 << 22)))
        .build(&pattern)
        .map_err(|e| e.to_string())
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
        start: Start::Anchor,
        needs: &[],
        pattern,
        check,
        capture: Capture::Groups,
        shape: None,
        matcher: None,
    }
}

impl RuleDef {
    /// The same rule with another [`Start`].
    const fn from(self, start: Start) -> RuleDef {
        RuleDef { start, ..self }
    }

    /// The same rule with another [`Capture`].
    const fn capture(self, capture: Capture) -> RuleDef {
        RuleDef { capture, ..self }
    }

    /// The same rule, matched by `shape` (which must mean exactly its pattern).
    const fn shape(self, shape: Shape) -> RuleDef {
        RuleDef {
            shape: Some(shape),
            ..self
        }
    }

    /// The same rule, read by `matcher` at its anchors (which must mean exactly its pattern).
    const fn matcher(self, matcher: Matcher) -> RuleDef {
        RuleDef {
            matcher: Some(matcher),
            ..self
        }
    }

    /// The same rule, run only over runs holding one of `needs`.
    const fn needs(self, needs: &'static [&'static str]) -> RuleDef {
        RuleDef { needs, ..self }
    }
}
