//! Hand matchers for built-in rules whose regex call costs more than reading the match.
//!
//! A [`Matcher`] answers exactly what an anchored search of its rule's regex at `at` answers
//! (the whole match and the secret's span, as the first participating capture group gives
//! it), or [`Unsure`] where the pattern's Unicode semantics decide, and the detector then runs
//! the regex after all. Each matcher knows one built-in pattern and nothing else: a rule says
//! which in the `matcher` field of [`crate::rules::RuleDef`], and `tests/rule_matchers/`
//! holds every matcher to its regex at every position of the corpus, the samples and
//! generated strings.
//!
//! The matchers read a `&str`: the detector validates UTF-8 first, so `[\s\S]` is every byte
//! and a run of "anything but ..." may cross a multi-byte character without decoding it.

mod cli;
mod connection;
mod email;
mod header;
mod keyed;
mod number;
mod private_key;
mod prose;
mod read;
mod url;
mod webhook;

pub use crate::assign::Unsure;

/// A built-in rule's pattern, matched without the regex engine at an anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matcher {
    /// `private_key`: a PEM or OpenSSH block (to its `END` line, or the base64 body of a
    /// block cut short), or a PuTTY key file to its `Private-MAC`.
    PrivateKey,
    /// `authorization_header`: `Authorization: [scheme] value`, the value as the secret.
    Authorization,
    /// `cookie`: `Cookie: value`, the value (to the line's end or a quote) as the secret.
    Cookie,
    /// `azure_storage_key`: `AccountKey=<86 bytes of base64>==`, the key as the secret.
    AzureStorageKey,
    /// `bearer_token`: `Bearer <token>` without a header name, the token as the secret.
    Bearer,
    /// `aws_secret_key` by its name: `aws_secret_access_key = <40 bytes>`, the key as the
    /// secret.
    AwsSecretKey,
    /// `datadog_key`: `DD_API_KEY=<32 or 40 hex digits>`, the key as the secret.
    DatadogKey,
    /// `password_prose`: `password is <word>`, the word as the secret.
    PasswordProse,
    /// `cli_secret_flag` (keyword flags): `--db-password=<value>`, the value as the secret.
    CliFlag,
    /// `cli_secret_flag` (`-u` / `--user`): `-u user:password`, the password as the secret.
    UserFlag,
    /// `credit_card`: 13 to 19 digits, single blanks or dashes between them. A rule gated on
    /// numeric runs: the detector asks it at each digit of a run that can start a match.
    CreditCard,
    /// `us_ssn` (dashed): `123-45-6789`. Gated on numeric runs, as [`Matcher::CreditCard`].
    UsSsn,
    /// `phone_number` (international): `+` and 8 to 22 digits, blanks, parentheses, dots and
    /// dashes. Gated on numeric runs, as [`Matcher::CreditCard`].
    PhoneIntl,
    /// `aws_secret_key` next to its key id: `AKIA<16> ... <40-byte key>`, the key as the
    /// secret.
    AwsKeyPair,
    /// `email`: the whole address. The rule starts in a window around its `@`; the detector
    /// asks this matcher at the one place in it where the regex can start.
    Email,
    /// `iban`: two capitals, two digits, then 11 to 32 capitals or digits (single blanks
    /// between them).
    Iban,
    /// `azure_connection_string`: `SharedAccessKey=<key>` or `?sig=<signature>`, the key or
    /// signature as the secret.
    AzureConnectionString,
    /// `discord_webhook`: `discord.com/api/webhooks/<id>/<token>`, the token as the secret.
    DiscordWebhook,
    /// `slack_webhook`: `hooks.slack.com/services/<path>`, the path as the secret.
    SlackWebhook,
    /// `url_credentials`: `scheme://user:password@host`, the password as the secret. The
    /// rule starts in a window (`rules::Start::Url`); the detector asks this matcher at the
    /// one place in it where the regex can start.
    UrlCredentials,
}

impl Matcher {
    /// For the matchers that read bytes alone (ASCII patterns, or [`Unsure`] at any non-ASCII
    /// byte, so UTF-8 need not be checked first): the match at `at` of `b`, as
    /// [`Matcher::match_at`] gives it; `None` for the others.
    pub fn match_bytes(self, b: &[u8], at: usize) -> Option<Result<Option<[usize; 4]>, Unsure>> {
        match self {
            Matcher::CreditCard => Some(Ok(number::credit_card(b, at))),
            Matcher::UsSsn => Some(Ok(number::us_ssn(b, at))),
            Matcher::PhoneIntl => Some(Ok(number::phone_intl(b, at))),
            Matcher::Iban => Some(Ok(number::iban(b, at))),
            Matcher::Email => Some(email::email(b, at)),
            _ => None,
        }
    }

    /// The rule's anchored match at `at`: `[match start, match end, secret start, secret
    /// end]`, `None` when the regex does not match there, or [`Unsure`].
    pub fn match_at(self, hay: &str, at: usize) -> Result<Option<[usize; 4]>, Unsure> {
        match self {
            Matcher::PrivateKey => {
                Ok(private_key::match_at(hay.as_bytes(), at)?.map(|e| [at, e, at, e]))
            }
            Matcher::Authorization => header::authorization(hay.as_bytes(), at),
            Matcher::Cookie => header::cookie(hay.as_bytes(), at),
            Matcher::AzureStorageKey => keyed::azure_storage_key(hay.as_bytes(), at),
            Matcher::Bearer => header::bearer(hay.as_bytes(), at),
            Matcher::AwsSecretKey => keyed::aws_secret_key(hay.as_bytes(), at),
            Matcher::AwsKeyPair => Ok(keyed::aws_key_pair(hay.as_bytes(), at)),
            Matcher::DatadogKey => keyed::datadog_key(hay.as_bytes(), at),
            Matcher::PasswordProse => prose::password_prose(hay.as_bytes(), at),
            Matcher::CliFlag => cli::cli_flag(hay.as_bytes(), at),
            Matcher::UserFlag => cli::user_flag(hay.as_bytes(), at),
            Matcher::CreditCard
            | Matcher::UsSsn
            | Matcher::PhoneIntl
            | Matcher::Iban
            | Matcher::Email => self
                .match_bytes(hay.as_bytes(), at)
                .expect("a byte matcher"),
            Matcher::AzureConnectionString => {
                connection::azure_connection_string(hay.as_bytes(), at)
            }
            Matcher::DiscordWebhook => Ok(webhook::discord_webhook(hay.as_bytes(), at)),
            Matcher::SlackWebhook => Ok(webhook::slack_webhook(hay.as_bytes(), at)),
            Matcher::UrlCredentials => url::url_credentials(hay.as_bytes(), at),
        }
    }
}
