//! Validation of the config fields that compile into something: custom rules, the
//! allow-list, marker formats and tenant keys.

use std::collections::HashMap;

use regex::RegexSet;

use super::{RawCustom, RawTenantKey, SENSITIVE_KEY_RULE};
use crate::detect::Rule;
use crate::marker::{HmacKey, Markers, Template, TenantKey};
use crate::rules::{self, Check, Gate, Group, Start};

/// Compiles `custom_rules`, reporting bad names, validators and regexes.
pub fn custom_rules(raw: &[RawCustom], builtin: &[&str], problems: &mut Vec<String>) -> Vec<Rule> {
    let mut out = Vec::new();
    for (i, c) in raw.iter().enumerate() {
        let at = format!("custom_rules[{i}]");
        let valid_name = !c.name.is_empty()
            && c.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_name {
            problems.push(format!(
                "{at}.name: {:?} must be lower-case letters, digits and `_`",
                c.name
            ));
        } else if builtin.contains(&c.name.as_str()) || c.name == SENSITIVE_KEY_RULE {
            problems.push(format!("{at}.name: {:?} is a built-in rule's name", c.name));
        } else if raw[..i].iter().any(|o| o.name == c.name) {
            problems.push(format!(
                "{at}.name: {:?} is used by an earlier custom rule",
                c.name
            ));
        }
        let check = match c.validator.as_deref() {
            None => Check::Token,
            Some("luhn") => Check::Luhn,
            Some(v) => {
                problems.push(format!(
                    "{at}.validator: unknown validator {v:?}, expected luhn"
                ));
                Check::Token
            }
        };
        match rules::compile_pattern(&c.regex) {
            Ok(regex) => out.push(Rule {
                name: c.name.clone(),
                group: Group::Custom,
                gate: Gate::Always,
                start: Start::Anchor,
                needs: &[],
                capture: rules::Capture::Groups,
                shape: None,
                matcher: None,
                regex,
                check,
            }),
            Err(e) => problems.push(format!("{at}.regex: invalid regex: {e}")),
        }
    }
    out
}

/// Compiles `allow` into one set.
pub fn allow_list(raw: &[String], problems: &mut Vec<String>) -> Option<RegexSet> {
    for (i, p) in raw.iter().enumerate() {
        if let Err(e) = regex::Regex::new(p) {
            problems.push(format!("allow[{i}]: invalid regex: {e}"));
        }
    }
    if raw.is_empty() || !problems.is_empty() {
        return None;
    }
    RegexSet::new(raw).ok()
}

/// Parses `marker` and `hmac_marker`.
pub fn markers(
    plain: Option<&str>,
    keyed: Option<&str>,
    problems: &mut Vec<String>,
) -> Option<Markers> {
    let plain = Template::parse(plain.unwrap_or("[REDACTED:{rule}]"), &["rule"])
        .map_err(|e| problems.push(format!("marker: {e}")))
        .ok();
    let keyed = Template::parse(
        keyed.unwrap_or("[REDACTED:{rule}:hmac:{version}:{hmac}]"),
        &["rule", "hmac", "version"],
    )
    .map_err(|e| problems.push(format!("hmac_marker: {e}")))
    .ok()
    .filter(|t| {
        let ok = t.uses_hmac();
        if !ok {
            problems.push("hmac_marker: must contain {hmac}".into());
        }
        ok
    });
    Some(Markers::new(plain?, keyed?))
}

/// Prepares `tenant_keys`.
pub fn tenant_keys(raw: &[RawTenantKey], problems: &mut Vec<String>) -> HashMap<String, TenantKey> {
    let mut out = HashMap::new();
    for (i, t) in raw.iter().enumerate() {
        let at = format!("tenant_keys[{i}]");
        if t.tenant.is_empty() {
            problems.push(format!("{at}.tenant: must not be empty"));
        }
        if t.key.len() < 16 {
            // Never echo the key itself: it is a secret.
            problems.push(format!(
                "{at}.key: must be at least 16 bytes, got {}",
                t.key.len()
            ));
        }
        if t.version == 0 {
            problems.push(format!("{at}.version: must be at least 1"));
        }
        let key = TenantKey {
            key: HmacKey::new(t.key.as_bytes()),
            version: format!("v{}", t.version),
        };
        if out.insert(t.tenant.clone(), key).is_some() {
            problems.push(format!("{at}.tenant: {:?} has an earlier key", t.tenant));
        }
    }
    out
}
