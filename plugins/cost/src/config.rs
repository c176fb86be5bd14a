//! The pricing table: its TOML format, parsing and validation.
//!
//! Every problem found is reported, each naming the field path, e.g.
//! `models[3].input_per_mtok: expected a decimal number, got "abc"`. Prices are
//! USD per million tokens; see `pricing.toml` for the documented format.

mod raw;

use crate::price::Schedule;
use raw::{Partial, RawModel, RawTable, STANDARD_TIER_NAMES, check_date, schedule};

/// A validated pricing table: what the plugin runs on.
#[derive(Debug, Clone)]
pub struct PricingTable {
    /// The table's version, written on every enriched span.
    pub version: String,
    /// Whether a cost the application already set is replaced.
    pub overwrite: bool,
    /// Whether pre-convention attribute names are read as well.
    pub legacy_attributes: bool,
    /// The priced models, in table order.
    pub models: Vec<Model>,
}

/// One priced model.
#[derive(Debug, Clone)]
pub struct Model {
    /// The name as written in the table; recorded as the matched entry.
    pub name: String,
    /// The provider, canonicalised (see [`crate::matching::canonical_provider`]).
    pub provider: Option<String>,
    /// Other exact names of the model.
    pub aliases: Vec<String>,
    /// When these prices took effect (`YYYY-MM-DD`), for the reader.
    pub effective_date: Option<String>,
    /// The standard prices.
    pub standard: Schedule,
    /// Prices of named service tiers (lower-case names), e.g. `batch`, `flex`, `priority`.
    pub service_tiers: Vec<(String, Schedule)>,
}

impl Model {
    /// The schedule for a span's service tier, and the tier's name when it is not standard.
    /// A tier the table does not list is priced as standard.
    pub fn schedule_for(&self, service_tier: Option<&str>) -> (&Schedule, Option<&str>) {
        let tier = service_tier.map(str::trim).filter(|t| !t.is_empty());
        match tier.and_then(|t| {
            self.service_tiers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(t))
        }) {
            Some((name, schedule)) => (schedule, Some(name)),
            None => (&self.standard, None),
        }
    }
}

fn model(i: usize, raw: &RawModel, errors: &mut Vec<String>) -> Model {
    let path = format!("models[{i}]");
    let name = raw.name.as_deref().map(str::trim).unwrap_or_default();
    if raw.name.is_none() {
        errors.push(format!("{path}.name: missing"));
    } else if name.is_empty() {
        errors.push(format!("{path}.name: must not be empty"));
    }
    for (j, alias) in raw.aliases.iter().enumerate() {
        if alias.trim().is_empty() {
            errors.push(format!("{path}.aliases[{j}]: must not be empty"));
        }
    }
    if let Some(d) = &raw.effective_date {
        check_date(&format!("{path}.effective_date"), d, errors);
    }
    let fields = [
        &raw.input_per_mtok,
        &raw.output_per_mtok,
        &raw.cache_read_per_mtok,
        &raw.cache_write_per_mtok,
    ];
    let own = Partial::read(&path, fields, errors);
    let required = [
        ("input_per_mtok", &raw.input_per_mtok),
        ("output_per_mtok", &raw.output_per_mtok),
    ];
    for (field, given) in required.map(|(f, v)| (f, v.is_some())) {
        if !given {
            errors.push(format!("{path}.{field}: missing"));
        }
    }
    let standard = schedule(&format!("{path}."), own, &raw.tiers, errors);
    let mut service_tiers = Vec::new();
    for (tier_name, st) in &raw.service_tiers {
        let spath = format!("{path}.service_tiers.{tier_name}");
        let lower = tier_name.trim().to_ascii_lowercase();
        if lower.is_empty() || STANDARD_TIER_NAMES.contains(&lower.as_str()) {
            errors.push(format!(
                "{spath}: {tier_name:?} names the standard prices, not a service tier"
            ));
            continue;
        }
        let fields = [
            &st.input_per_mtok,
            &st.output_per_mtok,
            &st.cache_read_per_mtok,
            &st.cache_write_per_mtok,
        ];
        let prices = Partial::read(&spath, fields, errors);
        if prices.is_empty() {
            errors.push(format!("{spath}: sets no price"));
        }
        // A service tier's long-context tiers are its own: the standard ones do not carry over.
        service_tiers.push((
            lower,
            schedule(&format!("{spath}."), prices.over(own), &st.tiers, errors),
        ));
    }
    Model {
        name: name.to_string(),
        provider: raw
            .provider
            .as_deref()
            .map(crate::matching::canonical_provider),
        aliases: raw.aliases.iter().map(|a| a.trim().to_string()).collect(),
        effective_date: raw.effective_date.clone(),
        standard,
        service_tiers,
    }
}

/// Parses and validates a pricing table, reporting every problem found.
pub fn parse(text: &str) -> Result<PricingTable, Vec<String>> {
    if text.trim().is_empty() {
        return Err(vec![
            "no pricing table configured: set pricing_version and list [[models]]".into(),
        ]);
    }
    let raw: RawTable =
        toml::from_str(text).map_err(|e| vec![e.to_string().trim_end().to_string()])?;
    let mut errors = Vec::new();
    let version = raw
        .pricing_version
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if version.is_empty() {
        errors.push("pricing_version: missing".to_string());
    }
    let models: Vec<Model> = raw
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| model(i, m, &mut errors))
        .collect();
    if errors.is_empty() {
        return Ok(PricingTable {
            version,
            overwrite: raw.overwrite,
            legacy_attributes: raw.legacy_attributes,
            models,
        });
    }
    Err(errors)
}

#[cfg(test)]
mod tests;
