//! The plugin's config (TOML, documented in `default.toml`): parsing and validation into
//! [`Settings`]. Every problem is reported, each naming its field, e.g.
//! `redact: custom_rules[2].regex: invalid regex: ...`.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

mod fields;

use crate::detect::{Detector, MAX_RULES, Rule};
use crate::keys::{CONTENT_KEYS, Mode};
use crate::marker::{Markers, TenantKey};
use crate::rules::{self, Group};
use fields::{allow_list, custom_rules, markers, tenant_keys};

/// The name markers carry for a value redacted because of its attribute key.
pub const SENSITIVE_KEY_RULE: &str = "sensitive_key";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Raw {
    groups: Option<Vec<String>>,
    enable: Vec<String>,
    disable: Vec<String>,
    custom_rules: Vec<RawCustom>,
    allow: Vec<String>,
    sensitive_keys: Vec<String>,
    content_mode: Option<Mode>,
    attributes: BTreeMap<String, Mode>,
    preview_chars: Option<usize>,
    blob_min_chars: Option<usize>,
    marker: Option<String>,
    hmac_marker: Option<String>,
    count_attribute: bool,
    rules_attribute: bool,
    tenant_attribute: Option<String>,
    tenant_keys: Vec<RawTenantKey>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCustom {
    pub name: String,
    pub regex: String,
    #[serde(default)]
    pub validator: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenantKey {
    pub tenant: String,
    pub key: String,
    pub version: u32,
}

/// The validated config: what the plugin runs on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The enabled rules and their prefilter.
    pub detector: Detector,
    /// Marker formats.
    pub markers: Markers,
    /// Each rule's marker (by index) for a row whose tenant has no key: it depends on the
    /// rule alone, so it is written whole instead of piece by piece.
    pub plain_markers: Vec<String>,
    /// HMAC keys by tenant id.
    pub tenants: HashMap<String, TenantKey>,
    /// The resource attribute naming a row's tenant.
    pub tenant_attribute: String,
    /// Attribute modes by key (content attributes and the config's `attributes`).
    pub modes: Vec<(String, Mode)>,
    /// Extra keys (full paths or last segments) whose value is redacted whole.
    pub sensitive_keys: Vec<String>,
    /// Characters kept by `preview`.
    pub preview_chars: usize,
    /// Shortest base64 run in content that becomes a `[BLOB ...]`.
    pub blob_min_chars: usize,
    /// Whether `sluice.redaction.count` is written on records.
    pub count_attribute: bool,
    /// Whether `sluice.redaction.rules` is written on records.
    pub rules_attribute: bool,
    /// Secrets redacted per rule (by index; the last entry is `sensitive_key`) since the
    /// counts were last taken, for the plugin's counters.
    pub fired: Vec<std::cell::Cell<u32>>,
}

/// Parses and validates a config; the error lists every problem, one per line.
pub fn parse(text: &str) -> Result<Settings, String> {
    let fail = |problems: Vec<String>| {
        let lines: Vec<String> = problems.iter().map(|p| format!("redact: {p}")).collect();
        lines.join("\n")
    };
    let de = toml::Deserializer::parse(text)
        .map_err(|e| fail(vec![format!("config: {}", e.message())]))?;
    let raw: Raw = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().message().to_string();
        fail(vec![if path == "." {
            message
        } else {
            format!("{path}: {message}")
        }])
    })?;
    let mut problems = Vec::new();
    let settings = build(raw, &mut problems);
    if problems.is_empty() {
        Ok(settings.expect("no problems means settings"))
    } else {
        Err(fail(problems))
    }
}

fn build(raw: Raw, problems: &mut Vec<String>) -> Option<Settings> {
    let builtin = rules::builtin();
    let mut names: Vec<&str> = builtin.iter().map(|r| r.name).collect();
    names.dedup();
    let groups = raw
        .groups
        .unwrap_or_else(|| vec!["credentials".into(), "pii".into()]);
    for (i, g) in groups.iter().enumerate() {
        if !matches!(g.as_str(), "credentials" | "pii") {
            problems.push(format!(
                "groups[{i}]: unknown group {g:?}, expected credentials, pii"
            ));
        }
    }
    let custom = custom_rules(&raw.custom_rules, &names, problems);
    let known = |n: &str| names.contains(&n) || raw.custom_rules.iter().any(|c| c.name == n);
    for (field, list) in [("enable", &raw.enable), ("disable", &raw.disable)] {
        for (i, n) in list.iter().enumerate() {
            if !known(n) {
                problems.push(format!(
                    "{field}[{i}]: unknown rule {n:?}, expected one of {}",
                    names.join(", ")
                ));
            }
        }
    }
    let on = |name: &str, group: Group, default_on: bool| {
        let named = |l: &[String]| l.iter().any(|n| n == name);
        named(&raw.enable)
            || (default_on && groups.iter().any(|g| g == group.as_str()) && !named(&raw.disable))
    };
    let mut enabled: Vec<Rule> = builtin
        .iter()
        .filter(|d| on(d.name, d.group, d.on))
        .map(|d| Rule {
            name: d.name.to_string(),
            group: d.group,
            gate: d.gate,
            start: d.start,
            needs: d.needs,
            capture: d.capture,
            shape: d.shape,
            matcher: d.matcher,
            regex: rules::compile_pattern(d.pattern).expect("built-in patterns compile"),
            check: d.check,
        })
        .collect();
    enabled.extend(
        custom
            .into_iter()
            .filter(|r| !raw.disable.contains(&r.name)),
    );
    if enabled.len() > MAX_RULES {
        problems.push(format!(
            "custom_rules: at most {MAX_RULES} rules may be enabled in all"
        ));
    }
    let allow = allow_list(&raw.allow, problems);

    for (i, k) in raw.sensitive_keys.iter().enumerate() {
        if k.trim().is_empty() {
            problems.push(format!("sensitive_keys[{i}]: must not be empty"));
        }
    }
    let content_mode = raw.content_mode.unwrap_or(Mode::Preview);
    let mut modes: Vec<(String, Mode)> = CONTENT_KEYS
        .iter()
        .filter(|k| !raw.attributes.contains_key(**k))
        .map(|k| (k.to_string(), content_mode))
        .collect();
    for (k, m) in &raw.attributes {
        if k.trim().is_empty() {
            problems.push("attributes: a key must not be empty".into());
        }
        modes.push((k.clone(), *m));
    }
    let preview_chars = raw.preview_chars.unwrap_or(500);
    if preview_chars == 0 {
        problems.push("preview_chars: must be at least 1".into());
    }
    let blob_min_chars = raw.blob_min_chars.unwrap_or(200);
    if blob_min_chars < 16 {
        problems.push("blob_min_chars: must be at least 16".into());
    }
    let markers = markers(raw.marker.as_deref(), raw.hmac_marker.as_deref(), problems);
    let tenants = tenant_keys(&raw.tenant_keys, problems);
    let tenant_attribute = raw.tenant_attribute.unwrap_or_else(|| "tenant.id".into());
    if tenant_attribute.trim().is_empty() {
        problems.push("tenant_attribute: must not be empty".into());
    }
    if !problems.is_empty() {
        return None;
    }
    let rule_count = enabled.len();
    let markers = markers?;
    let plain_markers = enabled
        .iter()
        .map(|r| {
            let mut m = String::new();
            markers.write(&mut m, &r.name, "", None);
            m
        })
        .collect();
    Some(Settings {
        detector: Detector::new(enabled, allow),
        markers,
        plain_markers,
        tenants,
        tenant_attribute,
        modes,
        sensitive_keys: raw.sensitive_keys,
        preview_chars,
        blob_min_chars,
        count_attribute: raw.count_attribute,
        rules_attribute: raw.rules_attribute,
        fired: vec![std::cell::Cell::new(0); rule_count + 1],
    })
}
