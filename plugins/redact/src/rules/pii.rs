//! Personal data. Number-shaped rules are gated on the string's digit count and confirmed
//! by checksums (Luhn, IBAN mod-97) or numbering-plan rules, since digits alone are
//! everywhere in telemetry (timestamps, ids, counts).

use super::{Check, Gate, Group::Pii as P, RuleDef, Start, rule};
use crate::matchers::Matcher;

/// PII rules, most specific first.
pub const RULES: &[RuleDef] = &[
    rule(
        "email",
        P,
        Gate::Anchors(&["@"]),
        r"(?i)\b[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,24}\b",
        Check::Email,
    )
    .from(Start::Email)
    .matcher(Matcher::Email),
    rule(
        "iban",
        P,
        Gate::Caps,
        r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,32}\b",
        Check::Iban,
    )
    .matcher(Matcher::Iban),
    rule(
        "credit_card",
        P,
        Gate::NumRun(13),
        r"\b[0-9](?:[ -]?[0-9]){12,18}\b",
        Check::Card,
    )
    .matcher(Matcher::CreditCard),
    rule(
        "us_ssn",
        P,
        Gate::NumRun(9),
        r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b",
        Check::Ssn,
    )
    .needs(&["-"])
    .matcher(Matcher::UsSsn),
    rule(
        "us_ssn",
        P,
        Gate::Anchors(&["ssn", "social security"]),
        r"(?i)\b(?:ssn|social security(?: number)?)\W{0,4}([0-9]{9}|[0-9]{3} [0-9]{2} [0-9]{4})\b",
        Check::Ssn,
    ),
    rule(
        "phone_number",
        P,
        Gate::NumRun(8),
        r"\+[1-9][0-9 ().-]{6,20}[0-9]\b",
        Check::PhoneIntl,
    )
    .needs(&["+"])
    .matcher(Matcher::PhoneIntl),
    rule(
        "phone_number",
        P,
        Gate::NumRun(9),
        r"(?:\b1[ .-]?)?\([0-9]{3}\) ?[0-9]{3}[ .-][0-9]{4}\b|(?:\b1[ .-])?\b[0-9]{3}[ .-][0-9]{3}[ .-][0-9]{4}\b|\b0[1-9][0-9]{1,3}[ -][0-9]{3,4}[ -]?[0-9]{3,4}\b|\b0[1-9](?:[ .][0-9]{2}){4}\b",
        Check::PhoneNational,
    )
    .needs(&[" ", ".", "-", "("]),
    RuleDef {
        on: false,
        ..rule(
            "ip_address",
            P,
            Gate::Always,
            r"(?i)\b(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}\b|(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}",
            Check::Ip,
        )
    },
];
