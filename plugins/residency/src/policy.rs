//! Residency policies from the plugin's config, and which destinations a policy forbids.

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

/// One tenant's policy.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Regions the data may go to; any region when absent. A destination with no region is
    /// outside every list.
    pub regions: Option<Vec<String>>,
    /// Third-party destinations allowed or not.
    #[serde(default)]
    pub third_party: ThirdParty,
    /// Destinations allowed by name whatever the rules above say.
    #[serde(default)]
    pub allow: Vec<String>,
}

/// A tenant and its policy (the fields of [`Policy`] plus the tenant id; not flattened,
/// because serde cannot refuse unknown fields through a flattened struct).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantPolicy {
    /// The tenant id.
    pub tenant: String,
    /// See [`Policy::regions`].
    pub regions: Option<Vec<String>>,
    /// See [`Policy::third_party`].
    #[serde(default)]
    pub third_party: ThirdParty,
    /// See [`Policy::allow`].
    #[serde(default)]
    pub allow: Vec<String>,
}

/// The plugin's config.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The resource attribute naming the tenant.
    #[serde(default = "tenant_attribute")]
    pub tenant_attribute: String,
    /// The policy of tenants without one of their own (third parties denied by default).
    #[serde(default)]
    pub default: Policy,
    /// Per-tenant policies.
    #[serde(default)]
    pub tenants: Vec<TenantPolicy>,
    /// The same, as policies, in `tenants` order.
    #[serde(skip)]
    policies: Vec<Policy>,
}

fn tenant_attribute() -> String {
    "tenant.id".into()
}

impl Policy {
    /// Why `d` is denied under this policy, or `None` when it is allowed.
    pub fn denies(&self, d: &Destination) -> Option<&'static str> {
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

impl Config {
    /// Parses and checks the config; messages name the field.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut config: Config = toml::from_str(text).map_err(|e| format!("residency: {e}"))?;
        config.policies = config
            .tenants
            .iter()
            .map(|t| Policy {
                regions: t.regions.clone(),
                third_party: t.third_party,
                allow: t.allow.clone(),
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (i, t) in config.tenants.iter().enumerate() {
            if !seen.insert(t.tenant.as_str()) {
                return Err(format!(
                    "residency: tenants[{i}].tenant: `{}` is listed twice",
                    t.tenant
                ));
            }
        }
        Ok(config)
    }

    /// The policy of `tenant` (`None`: the record names no tenant).
    pub fn policy(&self, tenant: Option<&str>) -> &Policy {
        tenant
            .and_then(|t| self.tenants.iter().position(|p| p.tenant == t))
            .map_or(&self.default, |i| &self.policies[i])
    }
}
