//! Built-in plugin: tenant residency. Each record is denied every destination its tenant's
//! policy does not allow (outside its regions, third-party when those are denied), through
//! the contract's `deny-destination`, so the denial is final whatever order plugins run in.
//! Records of tenants without a policy of their own get the default policy, which denies
//! third-party destinations unless configured otherwise.
//!
//! Not yet here (tracked in the residency issue): content modes (strip, hash,
//! metadata-only), `retain = false`, audit counters and the audit log.

mod policy;

pub use policy::{Config, Policy, ThirdParty};
use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, export_plugin};
use std::collections::HashMap;

/// The plugin.
pub struct Residency {
    config: Config,
}

impl Plugin for Residency {
    fn init(config: &str) -> Result<Self, String> {
        Ok(Residency {
            config: Config::parse(config)?,
        })
    }

    fn info(&self) -> Info {
        Info::new(
            "residency",
            "0.1.0",
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let destinations = batch.destinations();
        let tenants = batch.column(&Key::resource(self.config.tenant_attribute.as_str()));
        // Rows to deny, per destination; decided once per distinct tenant.
        let mut denied: Vec<Vec<u32>> = vec![Vec::new(); destinations.len()];
        let mut decided: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for row in 0..batch.len() {
            let tenant = tenants.str(row);
            let policy = self.config.policy(tenant);
            let deny = decided.entry(tenant).or_insert_with(|| {
                (0..destinations.len())
                    .filter(|d| policy.denies(&destinations[*d]).is_some())
                    .collect()
            });
            for d in deny.iter() {
                denied[*d].push(row);
            }
        }
        for (d, rows) in denied.iter().enumerate() {
            if !rows.is_empty() {
                batch.deny_destination(rows, &destinations[d].name)?;
            }
        }
        Ok(())
    }
}

export_plugin!(Residency);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::Destination;

    fn dest(name: &str, region: Option<&str>, third_party: bool) -> Destination {
        Destination {
            name: name.into(),
            region: region.map(Into::into),
            third_party,
            retains: true,
        }
    }

    #[test]
    fn policies_deny_by_region_and_third_party_with_named_exceptions() {
        let c = Config::parse(
            "[default]\n[[tenants]]\ntenant = \"acme\"\nregions = [\"eu\"]\nthird_party = \"allow\"\n\
             [[tenants]]\ntenant = \"globex\"\nallow = [\"vendor-us\"]\n",
        )
        .unwrap();
        let eu_vendor = dest("vendor-eu", Some("eu"), true);
        let us_vendor = dest("vendor-us", Some("us"), true);
        let archive = dest("archive", None, false);
        let acme = c.policy(Some("acme"));
        assert_eq!(acme.denies(&eu_vendor), None);
        assert_eq!(acme.denies(&us_vendor), Some("region"));
        assert_eq!(
            acme.denies(&archive),
            Some("region"),
            "no region is outside every list"
        );
        let globex = c.policy(Some("globex"));
        assert_eq!(globex.denies(&us_vendor), None, "allowed by name");
        assert_eq!(globex.denies(&eu_vendor), Some("third_party"));
        let unknown = c.policy(None);
        assert_eq!(
            unknown.denies(&eu_vendor),
            Some("third_party"),
            "fails closed on vendors"
        );
        assert_eq!(unknown.denies(&archive), None);
    }

    #[test]
    fn bad_config_names_the_field() {
        let err = Config::parse("[[tenants]]\ntenant = \"a\"\nthird_party = \"maybe\"\n")
            .err()
            .unwrap();
        assert!(
            err.contains("maybe") && err.starts_with("residency:"),
            "{err}"
        );
        let err = Config::parse("[[tenants]]\ntenant = \"a\"\n[[tenants]]\ntenant = \"a\"\n")
            .err()
            .unwrap();
        assert_eq!(err, "residency: tenants[1].tenant: `a` is listed twice");
    }
}
