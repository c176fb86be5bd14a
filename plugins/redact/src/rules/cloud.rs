//! Cloud providers and private keys.

use super::shape::{ANY, Alt, Class, HEX, Part, WORD_DASH};
use super::{Check, Gate, Group::Credentials as C, RuleDef, rule};
use crate::matchers::Matcher;

/// Cloud rules, most specific first.
pub const RULES: &[RuleDef] = &[
    // A service-account JSON names its PEM under `private_key` (escaped quotes: the JSON
    // inside a JSON string). The regex finds the name only; the check takes the key block
    // that follows, which spares a capture engine run over a 2 KB match.
    rule(
        "gcp_service_account_key",
        C,
        Gate::Anchors(&["private_key"]),
        r#"private_key\\?"[ \t]*:[ \t]*\\?""#,
        Check::PemAfter,
    ),
    // PEM and OpenSSH blocks span lines; a block cut off before its END line (a truncated
    // log) is still a key, so the second branch takes the base64 body that follows.
    // Read by a hand matcher at its anchors (`matchers::private_key`): the lazy DFA read
    // every block byte by byte to find its END line.
    rule(
        "private_key",
        C,
        Gate::Anchors(&["-----BEGIN", "PuTTY-User-Key-File"]),
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,-]|\\[nr])+|PuTTY-User-Key-File-[0-9]: [\s\S]*?Private-MAC: [0-9a-f]+",
        Check::Pem,
    )
    .matcher(Matcher::PrivateKey),
    rule(
        "aws_access_key",
        C,
        Gate::Anchors(&["AKIA", "ASIA", "ABIA", "ACCA", "A3T"]),
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}\b",
        Check::Token,
    )
    .shape(&[
        Alt {
            prefixes: &["AKIA", "ASIA", "ABIA", "ACCA"],
            parts: &[Part::Run(Class::of("A-Z2-7"), 16, 16)],
            end: true,
        },
        Alt {
            prefixes: &["A3T"],
            parts: &[
                Part::Run(Class::of("A-Z0-9"), 1, 1),
                Part::Run(Class::of("A-Z2-7"), 16, 16),
            ],
            end: true,
        },
    ]),
    // The secret key has no shape of its own: it is found next to its name, or right after
    // an access key id (`AKIA... wJalr...`).
    rule(
        "aws_secret_key",
        C,
        Gate::Anchors(&[
            "secret_access_key",
            "secretaccesskey",
            "secret-access-key",
            "aws_secret",
            "aws-secret",
            "awssecret",
        ]),
        r#"(?i)(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)\\?["']?[ \t]*(?:[:=]|=>)[ \t]*\\?["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        Check::Token,
    )
    .matcher(Matcher::AwsSecretKey),
    rule(
        "aws_secret_key",
        C,
        Gate::Anchors(&["AKIA", "ASIA"]),
        r"\b(?:AKIA|ASIA)[A-Z2-7]{16}[^\n]{0,40}?[^A-Za-z0-9/+]([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)",
        Check::Mixed,
    )
    .matcher(Matcher::AwsKeyPair),
    rule(
        "gcp_api_key",
        C,
        Gate::Anchors(&["AIza"]),
        r"\bAIza[0-9A-Za-z_-]{35}\b",
        Check::Token,
    )
    .shape(&[Alt {
        prefixes: &["AIza"],
        parts: &[Part::Run(WORD_DASH, 35, 35)],
        end: true,
    }]),
    rule(
        "google_oauth_secret",
        C,
        Gate::Anchors(&["GOCSPX-"]),
        r"\bGOCSPX-[A-Za-z0-9_-]{28}\b",
        Check::Token,
    )
    .shape(&[Alt {
        prefixes: &["GOCSPX-"],
        parts: &[Part::Run(WORD_DASH, 28, 28)],
        end: true,
    }]),
    rule(
        "google_oauth_token",
        C,
        Gate::Anchors(&["ya29."]),
        r"\bya29\.[A-Za-z0-9_-]{30,}",
        Check::Token,
    )
    .shape(&[Alt {
        prefixes: &["ya29."],
        parts: &[Part::Run(WORD_DASH, 30, ANY)],
        end: false,
    }]),
    // 64 bytes of key in base64: 86 characters and `==`, named by its context.
    rule(
        "azure_storage_key",
        C,
        Gate::Anchors(&[
            "accountkey",
            "account_key",
            "account-key",
            "storage_key",
            "storagekey",
            "storage-key",
        ]),
        r#"(?i)(?:account|storage)[_-]?key\\?["']?[ \t]*[:=][ \t]*\\?["']?([A-Za-z0-9+/]{86}==)"#,
        Check::Token,
    )
    .matcher(Matcher::AzureStorageKey),
    // Service Bus / Event Hubs / IoT connection strings and SAS signatures in URLs.
    rule(
        "azure_connection_string",
        C,
        Gate::Anchors(&["sharedaccesskey", "?sig=", "&sig="]),
        r"(?i)SharedAccessKey=([A-Za-z0-9+/]{40,90}=*)|[?&]sig=([A-Za-z0-9%+/]{30,}(?:%3D|=)*)",
        Check::Token,
    )
    .matcher(Matcher::AzureConnectionString),
    rule(
        "digitalocean_token",
        C,
        Gate::Anchors(&["dop_v1_", "doo_v1_", "dor_v1_"]),
        r"\bdo[opr]_v1_[a-f0-9]{64}\b",
        Check::Token,
    )
    .shape(&[Alt {
        prefixes: &["dop_v1_", "doo_v1_", "dor_v1_"],
        parts: &[Part::Run(HEX, 64, 64)],
        end: true,
    }]),
    rule(
        "vault_token",
        C,
        Gate::Anchors(&["hvs.", "hvb.", "hvr."]),
        r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}",
        Check::Token,
    )
    .shape(&[Alt {
        prefixes: &["hvs.", "hvb.", "hvr."],
        parts: &[Part::Run(WORD_DASH, 24, ANY)],
        end: false,
    }]),
];
