//! Residency policies from the plugin's config, and which destinations a policy forbids.
//!
//! Every field's default is the restrictive one where a restriction exists: third parties are
//! denied unless a policy says `third_party = "allow"`, and the policy of tenants without one
//! of their own (`[default]`) denies them even when `[default]` is left out of the config.
//! Restrictions that are opt-in (`regions`, `retain = false`, `content`) default to none.
//! A tenant's policy does not inherit from `[default]`: what it does not say takes the field
//! default above, never the default policy's value, so reading one `[[tenants]]` entry tells
//! the whole policy.

use crate::content::{KeySet, Settings};
use crate::digest::HmacKey;
use serde::Deserialize;
use sluice_plugin_sdk::Destination;

/// Whether third-party (vendor-operated) destinations may receive a tenant's records.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ThirdParty {
    /// Allowed.
    Allow,
    /// Denied (the safe default).
    #[default]
    Deny,
}

/// What happens to a tenant's GenAI content (prompts, answers, tool payloads, log bodies).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ContentMode {
    /// Left as it is.
    #[default]
    Keep,
    /// Removed: content attributes are removed, content leaves elsewhere emptied.
    Strip,
    /// Every content string replaced by its digest (`sha256:<hex>`, or `hmac-sha256:<hex>`
    /// with the tenant's `hash_key`).
    Hash,
    /// `strip`, and every string-bearing attribute not on the metadata allow-list removed.
    MetadataOnly,
}

impl ContentMode {
    /// The name used in the config, the record mark and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            ContentMode::Keep => "keep",
            ContentMode::Strip => "strip",
            ContentMode::Hash => "hash",
            ContentMode::MetadataOnly => "metadata_only",
        }
    }

    /// The audit log's rule name for this mode (`None` for `keep`).
    pub fn rule(self) -> Option<&'static str> {
        match self {
            ContentMode::Keep => None,
            ContentMode::Strip => Some("content_strip"),
            ContentMode::Hash => Some("content_hash"),
            ContentMode::MetadataOnly => Some("metadata_only"),
        }
    }

    /// Whether content attributes are removed (rather than kept or hashed).
    pub fn strips(self) -> bool {
        matches!(self, ContentMode::Strip | ContentMode::MetadataOnly)
    }
}

/// Why a destination is denied, as the audit log names it.
pub type Rule = &'static str;

/// One policy, as the config states it (the fields of `[default]` and of a `[[tenants]]`
/// entry; not flattened into [`RawTenant`], because serde cannot refuse unknown fields
/// through a flattened struct).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    regions: Option<Vec<String>>,
    #[serde(default)]
    third_party: ThirdParty,
    #[serde(default)]
    allow: Vec<String>,
    retain: Option<bool>,
    #[serde(default)]
    content: ContentMode,
    hash_key: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    tenant: String,
    regions: Option<Vec<String>>,
    #[serde(default)]
    third_party: ThirdParty,
    #[serde(default)]
    allow: Vec<String>,
    retain: Option<bool>,
    #[serde(default)]
    content: ContentMode,
    hash_key: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Raw {
    tenant_attribute: Option<String>,
    /// Absent: the fail-closed default policy (third parties denied).
    default: Option<RawPolicy>,
    #[serde(default)]
    tenants: Vec<RawTenant>,
    audit_log: Option<String>,
    mark_attribute: Option<String>,
    content_keys: Option<Vec<String>>,
    #[serde(default)]
    extra_content_keys: Vec<String>,
    content_events: Option<Vec<String>>,
    #[serde(default)]
    extra_content_events: Vec<String>,
    metadata_keys: Option<Vec<String>>,
    #[serde(default)]
    extra_metadata_keys: Vec<String>,
}

/// One tenant's policy, ready to apply.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Regions the data may go to; any region when absent. A destination with no region is
    /// outside every list.
    pub regions: Option<Vec<String>>,
    /// Third-party destinations allowed or not.
    pub third_party: ThirdParty,
    /// Destinations allowed by name whatever `regions` and `third_party` say (not
    /// `retain = false`, and not for records without a tenant).
    pub allow: Vec<String>,
    /// Whether destinations that persist records (`retains = true`) may receive them.
    pub retain: bool,
    /// What happens to GenAI content.
    pub content: ContentMode,
    /// The key of `hash` digests (HMAC-SHA256), when configured.
    pub hash_key: Option<HmacKey>,
}

impl Policy {
    /// The policy of tenants without one of their own when the config has no `[default]`:
    /// third parties denied, any region, retention allowed, content kept.
    pub fn fail_closed_default() -> Policy {
        Policy {
            regions: None,
            third_party: ThirdParty::Deny,
            allow: Vec::new(),
            retain: true,
            content: ContentMode::Keep,
            hash_key: None,
        }
    }

    /// Why `d` is denied under this policy, or `None` when it is allowed. `tenantless`: the
    /// record names no tenant, so no third party may receive it whatever the policy says.
    pub fn denies(&self, d: &Destination, tenantless: bool) -> Option<Rule> {
        if tenantless && d.third_party {
            return Some("third_party");
        }
        if !self.retain && d.retains {
            return Some("retention");
        }
        if self.allow.contains(&d.name) {
            return None;
        }
        if d.third_party && self.third_party == ThirdParty::Deny {
            return Some("third_party");
        }
        if let Some(regions) = &self.regions
            && !d.region.as_ref().is_some_and(|r| regions.contains(r))
        {
            return Some("region");
        }
        None
    }
}

/// The plugin's config, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The resource attribute naming the tenant.
    pub tenant_attribute: String,
    /// The policy of tenants without one of their own, and of records without a tenant
    /// (which additionally never go to a third party).
    pub default: Policy,
    /// Per-tenant policies, in config order.
    pub tenants: Vec<(String, Policy)>,
    /// Where the audit log is appended (a guest path), when configured.
    pub audit_log: Option<String>,
    /// Content keys and events, the metadata allow-list and the record mark.
    pub content: Settings,
}

/// The shortest `hash_key` accepted, in bytes: a short key makes keyed digests guessable.
pub const MIN_HASH_KEY_BYTES: usize = 16;

fn build_policy(at: &str, raw: RawPolicy, problems: &mut Vec<String>) -> Policy {
    let hash_key = match raw.hash_key {
        Some(k) if k.len() < MIN_HASH_KEY_BYTES => {
            problems.push(format!(
                "{at}.hash_key: {} bytes is too short, at least {MIN_HASH_KEY_BYTES} are needed",
                k.len()
            ));
            None
        }
        Some(k) => Some(HmacKey::new(k.as_bytes())),
        None => None,
    };
    if let Some(regions) = &raw.regions {
        for (i, r) in regions.iter().enumerate() {
            if r.is_empty() {
                problems.push(format!("{at}.regions[{i}]: a region is never empty"));
            }
        }
    }
    Policy {
        regions: raw.regions,
        third_party: raw.third_party,
        allow: raw.allow,
        retain: raw.retain.unwrap_or(true),
        content: raw.content,
        hash_key,
    }
}

fn key_list(
    at: &str,
    base: Option<Vec<String>>,
    default: &[&str],
    extra: Vec<String>,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let mut list: Vec<String> =
        base.unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect());
    list.extend(extra);
    for (i, k) in list.iter().enumerate() {
        if k.is_empty() || k == "*" {
            problems.push(format!(
                "{at}[{i}]: {k:?} matches nothing or everything; name keys or key prefixes"
            ));
        }
    }
    list
}

impl Config {
    /// Parses and checks the config; every problem is reported, one per line, naming its field.
    pub fn parse(text: &str) -> Result<Config, String> {
        // Only the message and the field path, never the source line: after `${ENV}`
        // interpolation it may hold a `hash_key`.
        let de = toml::Deserializer::parse(text)
            .map_err(|e| format!("residency: config: {}", e.message()))?;
        let raw: Raw = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let mut message = e.into_inner().message().to_string();
            if path.ends_with("hash_key") {
                // The message may quote the value.
                message = "must be a string".into();
            }
            if path == "." {
                format!("residency: {message}")
            } else {
                format!("residency: {path}: {message}")
            }
        })?;
        let mut problems = Vec::new();
        let tenant_attribute = raw.tenant_attribute.unwrap_or_else(|| "tenant.id".into());
        if tenant_attribute.is_empty() {
            problems.push("tenant_attribute: must not be empty".into());
        }
        let default = match raw.default {
            Some(p) => build_policy("default", p, &mut problems),
            None => Policy::fail_closed_default(),
        };
        let mut tenants: Vec<(String, Policy)> = Vec::with_capacity(raw.tenants.len());
        for (i, t) in raw.tenants.into_iter().enumerate() {
            let at = format!("tenants[{i}]");
            if t.tenant.is_empty() {
                problems.push(format!("{at}.tenant: must not be empty"));
            } else if tenants.iter().any(|(name, _)| *name == t.tenant) {
                problems.push(format!("{at}.tenant: `{}` is listed twice", t.tenant));
            }
            let raw = RawPolicy {
                regions: t.regions,
                third_party: t.third_party,
                allow: t.allow,
                retain: t.retain,
                content: t.content,
                hash_key: t.hash_key,
            };
            tenants.push((t.tenant, build_policy(&at, raw, &mut problems)));
        }
        if let Some(path) = &raw.audit_log
            && !path.starts_with('/')
        {
            problems.push(format!(
                "audit_log: `{path}` must be an absolute path inside a directory granted to \
                 this stage (e.g. `/audit/residency.jsonl` with [plugins.grants] dirs = \
                 [{{ host = \"/var/log/sluice\", guest = \"/audit\", writable = true }}])"
            ));
        }
        let content_keys = key_list(
            "content_keys",
            raw.content_keys,
            crate::content::CONTENT_KEYS,
            raw.extra_content_keys,
            &mut problems,
        );
        let content_events = key_list(
            "content_events",
            raw.content_events,
            crate::content::CONTENT_EVENTS,
            raw.extra_content_events,
            &mut problems,
        );
        let metadata_keys = key_list(
            "metadata_keys",
            raw.metadata_keys,
            crate::content::METADATA_KEYS,
            raw.extra_metadata_keys,
            &mut problems,
        );
        let mark = raw
            .mark_attribute
            .unwrap_or_else(|| crate::content::MARK_ATTRIBUTE.into());
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(|p| format!("residency: {p}")).collect();
            return Err(lines.join("\n"));
        }
        let content = Settings {
            content_keys: KeySet::new(&content_keys),
            content_events,
            metadata_keys: KeySet::new(&metadata_keys),
            tenant_attribute: tenant_attribute.clone(),
            mark: (!mark.is_empty()).then_some(mark),
        };
        Ok(Config {
            tenant_attribute,
            default,
            tenants,
            audit_log: raw.audit_log,
            content,
        })
    }

    /// The index of `tenant`'s own policy in [`Config::tenants`], if it has one.
    pub fn tenant_index(&self, tenant: &str) -> Option<usize> {
        self.tenants.iter().position(|(name, _)| name == tenant)
    }

    /// The policy of `tenant` (`None`: the record names no tenant).
    pub fn policy(&self, tenant: Option<&str>) -> &Policy {
        tenant
            .and_then(|t| self.tenant_index(t))
            .map_or(&self.default, |i| &self.tenants[i].1)
    }
}
