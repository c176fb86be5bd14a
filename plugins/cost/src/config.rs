//! The pricing table: its TOML format, parsing and validation.
//!
//! Every problem found is reported, each naming the field path, e.g.
//! `models[3].input_per_mtok: expected a decimal number, got "abc"`. Prices are
//! USD per million tokens; see `pricing.toml` for the documented format. A table with
//! `extends = "default"` lists only what it overrides or adds to the shipped table.

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

/// The default table shipped with sluice (`pricing.toml`): the cost plugin's config when the
/// stage sets none, and the table `extends = "default"` builds on.
pub const DEFAULT_TABLE: &str = include_str!("../pricing.toml");

/// The name `extends` takes for [`DEFAULT_TABLE`].
const DEFAULT_NAME: &str = "default";

/// Parses and validates a pricing table, reporting every problem found.
///
/// With `extends = "default"` the table's `[[models]]` are merged over the default table
/// (see [`merge`]) and the version says both: `default-<its version>+<this version>`.
pub fn parse(text: &str) -> Result<PricingTable, Vec<String>> {
    parse_with(text, Some(DEFAULT_TABLE))
}

/// [`parse`], with the text `extends = "default"` names (`None`: `extends` is refused, as it
/// is inside the default table itself).
fn parse_with(text: &str, default: Option<&str>) -> Result<PricingTable, Vec<String>> {
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
    let models: Vec<Model> = raw
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| model(i, m, &mut errors))
        .collect();
    let base = match (raw.extends.as_deref().map(str::trim), default) {
        (None, _) => {
            if version.is_empty() {
                errors.push("pricing_version: missing".to_string());
            }
            None
        }
        (Some(DEFAULT_NAME), Some(default)) => {
            if version.is_empty() && !models.is_empty() {
                errors.push(format!(
                    "pricing_version: missing: name the version of your entries (the table's \
                     version becomes {DEFAULT_NAME}-<its version>+<yours>)"
                ));
            }
            match parse_with(default, None) {
                Ok(table) => Some(table),
                Err(e) => {
                    errors.push(format!(
                        "extends: the default table does not load: {}",
                        e.join("; ")
                    ));
                    None
                }
            }
        }
        (Some(DEFAULT_NAME), None) => {
            errors.push("extends: the default table cannot extend a table".to_string());
            None
        }
        (Some(other), _) => {
            errors.push(format!(
                "extends: {other:?} is not a table sluice ships; the only one is {DEFAULT_NAME:?}"
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(base) = base else {
        return Ok(PricingTable {
            version,
            overwrite: raw.overwrite,
            legacy_attributes: raw.legacy_attributes,
            models,
        });
    };
    // A name priced twice among the user's own entries is reported by their own index,
    // before the merge renumbers them.
    crate::matching::Matcher::build(&models)?;
    let version = if version.is_empty() {
        format!("{DEFAULT_NAME}-{}", base.version)
    } else {
        format!("{DEFAULT_NAME}-{}+{version}", base.version)
    };
    Ok(PricingTable {
        version,
        overwrite: raw.overwrite,
        legacy_attributes: raw.legacy_attributes,
        models: merge(base.models, models),
    })
}

/// The base table's entries that `user`'s do not replace, then `user`'s.
///
/// A user entry claims its name and its aliases (case-insensitively) for its provider, or
/// for every provider when it names none. A base entry whose name is claimed is dropped
/// whole (its aliases with it); a base alias that is claimed is dropped from its entry. So
/// every name a user entry gives is priced by the user's entry, and nothing else changes.
pub fn merge(base: Vec<Model>, user: Vec<Model>) -> Vec<Model> {
    let claims: Vec<(String, Option<String>)> = user
        .iter()
        .flat_map(|m| {
            std::iter::once(&m.name)
                .chain(&m.aliases)
                .map(|n| (n.to_ascii_lowercase(), m.provider.clone()))
        })
        .collect();
    let claimed = |name: &str, provider: &Option<String>| {
        claims
            .iter()
            .any(|(n, p)| n.eq_ignore_ascii_case(name.trim()) && (p.is_none() || p == provider))
    };
    let mut out: Vec<Model> = base
        .into_iter()
        .filter(|m| !claimed(&m.name, &m.provider))
        .map(|mut m| {
            let provider = m.provider.clone();
            m.aliases.retain(|a| !claimed(a, &provider));
            m
        })
        .collect();
    out.extend(user);
    out
}

#[cfg(test)]
mod tests;
