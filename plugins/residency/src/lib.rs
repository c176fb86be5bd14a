//! Built-in plugin: tenant residency. Each tenant's records go only where its contract allows.
//!
//! **Where records may go.** Each record is denied every destination its tenant's policy does
//! not allow, through the contract's `deny-destination`, so the denial is final whatever
//! order plugins run in (a later plugin's `add-destination` has no effect on it):
//! - `regions`: destinations outside the list (a destination with no region is outside
//!   every list);
//! - `third_party = "deny"` (the default): third-party destinations;
//! - `retain = false`: destinations that persist records (`retains = true`);
//! - `allow`: destinations allowed by name whatever `regions` and `third_party` say (never
//!   against `retain = false`).
//!
//! Every destination the policy forbids is denied, not only those the record is routed to,
//! so a record the policy leaves no destination is denied all of them: the host counts it as
//! unroutable and sends it nowhere.
//!
//! **Unknown tenants fail closed.** Tenants without a policy of their own get `[default]`;
//! without `[default]` in the config that is "third parties denied". Records with no tenant
//! (no tenant attribute, or an empty or non-string one) get `[default]` too, and never go to a
//! third party, whatever `[default]` or its `allow` say.
//!
//! **Content** (`content = "keep" | "strip" | "hash" | "metadata_only"`): see [`content`].
//!
//! **Audit** (`audit_log`): see [`audit`].

pub mod audit;
pub mod content;
pub mod digest;
mod policy;

pub use policy::{Config, ContentMode, MIN_HASH_KEY_BYTES, Policy, Rule, ThirdParty};
use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, export_plugin};
use std::collections::HashMap;

/// The plugin.
#[derive(Debug)]
pub struct Residency {
    config: Config,
    audit: Option<audit::AuditLog>,
}

impl Residency {
    /// The validated config.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

fn signal_name(s: Signal) -> &'static str {
    match s {
        Signal::Span => "traces",
        Signal::Log => "logs",
        Signal::MetricPoint => "metrics",
    }
}

impl Plugin for Residency {
    fn init(config: &str) -> Result<Self, String> {
        let config = Config::parse(config)?;
        let audit = match &config.audit_log {
            Some(path) => Some(audit::AuditLog::open(path)?),
            None => None,
        };
        Ok(Residency { config, audit })
    }

    fn info(&self) -> Info {
        Info::new(
            "residency",
            env!("CARGO_PKG_VERSION"),
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        if batch.is_empty() {
            return Ok(());
        }
        let Residency { config, audit } = self;
        let destinations = batch.destinations();
        let tenants = batch.column(&Key::resource(config.tenant_attribute.as_str()));
        // Rows by tenant, in first-seen order; each tenant's policy is looked up once.
        let mut groups: Vec<(Option<&str>, Vec<u32>)> = Vec::new();
        let mut index: HashMap<Option<&str>, usize> = HashMap::new();
        for row in 0..batch.len() {
            let tenant = tenants.str(row).filter(|t| !t.is_empty());
            let g = *index.entry(tenant).or_insert_with(|| {
                groups.push((tenant, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(row);
        }

        let mut denied: Vec<Vec<u32>> = vec![Vec::new(); destinations.len()];
        let mut tally = audit::Tally::default();
        let mut plans = vec![
            content::RowPlan {
                mode: ContentMode::Keep,
                key: None,
            };
            batch.len() as usize
        ];
        for (tenant, rows) in &groups {
            let policy = config.policy(*tenant);
            let n = rows.len() as u64;
            for (d, destination) in destinations.iter().enumerate() {
                if let Some(rule) = policy.denies(destination, tenant.is_none()) {
                    denied[d].extend_from_slice(rows);
                    tally.add(*tenant, Some(&destination.name), rule, n);
                }
            }
            if let Some(rule) = policy.content.rule() {
                tally.add(*tenant, None, rule, n);
                for &row in rows {
                    plans[row as usize] = content::RowPlan {
                        mode: policy.content,
                        key: policy.hash_key.as_ref(),
                    };
                }
            }
        }
        for (d, rows) in denied.iter().enumerate() {
            if !rows.is_empty() {
                batch.deny_destination(rows, &destinations[d].name)?;
            }
        }
        content::apply(batch, &config.content, &plans)?;
        for (tenant, destination, rule, n) in tally.entries() {
            let mut labels = vec![("rule", rule)];
            // A tenant id too long for a label value (128 bytes) is counted as `other`.
            labels.extend(tenant.map(|t| ("tenant", if t.len() <= 128 { t } else { "other" })));
            labels.extend(destination.map(|d| ("destination", d)));
            batch.count("decisions", &labels, n)?;
        }
        // Last, so a batch that fails above leaves no audit line; a failed write fails the
        // batch (quarantined under the default `fail_closed`) rather than go unaudited.
        if let Some(log) = audit
            && !tally.is_empty()
        {
            log.append(&tally.lines(signal_name(batch.signal()), audit::now()))?;
        }
        Ok(())
    }
}

export_plugin!(Residency);

#[cfg(test)]
mod tests;
