//! The pricing table: its TOML format, parsing and validation.
//!
//! Every problem found is reported, each naming the field path, e.g.
//! `models[3].input_per_mtok: expected a decimal number, got "abc"`. Prices are
//! USD per million tokens; see `pricing.toml` for the documented format.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::price::{Rate, Rates, Schedule};

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
        match tier.and_then(|t| self.service_tiers.iter().find(|(n, _)| n.eq_ignore_ascii_case(t))) {
            Some((name, schedule)) => (schedule, Some(name)),
            None => (&self.standard, None),
        }
    }
}

/// Names that mean "no service tier": they are the standard prices, not a tier of their own.
const STANDARD_TIER_NAMES: &[&str] = &["default", "standard", "auto", "on_demand"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    pricing_version: Option<String>,
    #[serde(default)]
    overwrite: bool,
    #[serde(default = "yes")]
    legacy_attributes: bool,
    #[serde(default)]
    models: Vec<RawModel>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: Option<String>,
    provider: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    effective_date: Option<String>,
    // Serde's `flatten` does not combine with `deny_unknown_fields`, so the four price
    // fields are spelled out in each level's struct.
    input_per_mtok: Option<toml::Value>,
    output_per_mtok: Option<toml::Value>,
    cache_read_per_mtok: Option<toml::Value>,
    cache_write_per_mtok: Option<toml::Value>,
    #[serde(default)]
    tiers: Vec<RawTier>,
    #[serde(default)]
    service_tiers: BTreeMap<String, RawServiceTier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    above_input_tokens: Option<i64>,
    input_per_mtok: Option<toml::Value>,
    output_per_mtok: Option<toml::Value>,
    cache_read_per_mtok: Option<toml::Value>,
    cache_write_per_mtok: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServiceTier {
    input_per_mtok: Option<toml::Value>,
    output_per_mtok: Option<toml::Value>,
    cache_read_per_mtok: Option<toml::Value>,
    cache_write_per_mtok: Option<toml::Value>,
    #[serde(default)]
    tiers: Vec<RawTier>,
}

/// Prices as written at one level of the table; `None` means "not given here".
#[derive(Clone, Copy, Default)]
struct Partial {
    input: Option<Rate>,
    output: Option<Rate>,
    cache_read: Option<Rate>,
    cache_write: Option<Rate>,
}

impl Partial {
    fn read(path: &str, fields: [&Option<toml::Value>; 4], errors: &mut Vec<String>) -> Partial {
        const NAMES: [&str; 4] = ["input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok"];
        let mut out = [None; 4];
        for ((slot, value), name) in out.iter_mut().zip(fields).zip(NAMES) {
            if let Some(v) = value {
                match Rate::from_toml(v) {
                    Ok(rate) => *slot = Some(rate),
                    Err(e) => errors.push(format!("{path}.{name}: {e}")),
                }
            }
        }
        Partial { input: out[0], output: out[1], cache_read: out[2], cache_write: out[3] }
    }

    fn is_empty(&self) -> bool {
        self.input.is_none() && self.output.is_none() && self.cache_read.is_none() && self.cache_write.is_none()
    }

    /// This level's prices, the parent's where this level gives none.
    fn over(self, parent: Partial) -> Partial {
        Partial {
            input: self.input.or(parent.input),
            output: self.output.or(parent.output),
            cache_read: self.cache_read.or(parent.cache_read),
            cache_write: self.cache_write.or(parent.cache_write),
        }
    }

    /// Concrete rates. A cache price nobody gave means the provider bills those tokens as
    /// ordinary input (OpenAI charges nothing extra for cache writes, for instance).
    fn finish(self) -> Rates {
        let input = self.input.unwrap_or_default();
        Rates {
            input,
            output: self.output.unwrap_or_default(),
            cache_read: self.cache_read.unwrap_or(input),
            cache_write: self.cache_write.unwrap_or(input),
        }
    }
}

fn tier_fields(t: &RawTier) -> [&Option<toml::Value>; 4] {
    [&t.input_per_mtok, &t.output_per_mtok, &t.cache_read_per_mtok, &t.cache_write_per_mtok]
}

/// Builds a schedule from a level's prices and its long-context tiers.
fn schedule(path: &str, own: Partial, tiers: &[RawTier], errors: &mut Vec<String>) -> Schedule {
    let mut out = Vec::with_capacity(tiers.len());
    for (i, t) in tiers.iter().enumerate() {
        let tpath = format!("{path}tiers[{i}]");
        let prices = Partial::read(&tpath, tier_fields(t), errors);
        if prices.is_empty() {
            errors.push(format!("{tpath}: sets no price"));
        }
        match t.above_input_tokens {
            None => errors.push(format!("{tpath}.above_input_tokens: missing")),
            Some(n) if n <= 0 => errors.push(format!("{tpath}.above_input_tokens: must be positive, got {n}")),
            Some(n) if out.iter().any(|(a, _)| *a == n as u64) => {
                errors.push(format!("{tpath}.above_input_tokens: {n} is listed twice"))
            }
            Some(n) => out.push((n as u64, prices.over(own).finish())),
        }
    }
    out.sort_by_key(|(above, _)| *above);
    Schedule { base: own.finish(), tiers: out }
}

fn check_date(path: &str, date: &str, errors: &mut Vec<String>) {
    let b = date.as_bytes();
    let num = |r: std::ops::Range<usize>| date.get(r).and_then(|s| s.parse::<u32>().ok());
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && date.bytes().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && num(5..7).is_some_and(|m| (1..=12).contains(&m))
        && num(8..10).is_some_and(|d| (1..=31).contains(&d));
    if !ok {
        errors.push(format!("{path}: expected a date as YYYY-MM-DD, got {date:?}"));
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
    let fields = [&raw.input_per_mtok, &raw.output_per_mtok, &raw.cache_read_per_mtok, &raw.cache_write_per_mtok];
    let own = Partial::read(&path, fields, errors);
    let required = [("input_per_mtok", &raw.input_per_mtok), ("output_per_mtok", &raw.output_per_mtok)];
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
            errors.push(format!("{spath}: {tier_name:?} names the standard prices, not a service tier"));
            continue;
        }
        let fields = [&st.input_per_mtok, &st.output_per_mtok, &st.cache_read_per_mtok, &st.cache_write_per_mtok];
        let prices = Partial::read(&spath, fields, errors);
        if prices.is_empty() {
            errors.push(format!("{spath}: sets no price"));
        }
        // A service tier's long-context tiers are its own: the standard ones do not carry over.
        service_tiers.push((lower, schedule(&format!("{spath}."), prices.over(own), &st.tiers, errors)));
    }
    Model {
        name: name.to_string(),
        provider: raw.provider.as_deref().map(crate::matching::canonical_provider),
        aliases: raw.aliases.iter().map(|a| a.trim().to_string()).collect(),
        effective_date: raw.effective_date.clone(),
        standard,
        service_tiers,
    }
}

/// Parses and validates a pricing table, reporting every problem found.
pub fn parse(text: &str) -> Result<PricingTable, String> {
    if text.trim().is_empty() {
        return Err("no pricing table configured: set pricing_version and list [[models]]".into());
    }
    let raw: RawTable = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    let mut errors = Vec::new();
    let version = raw.pricing_version.as_deref().map(str::trim).unwrap_or_default().to_string();
    if version.is_empty() {
        errors.push("pricing_version: missing".to_string());
    }
    let models: Vec<Model> = raw.models.iter().enumerate().map(|(i, m)| model(i, m, &mut errors)).collect();
    if errors.is_empty() {
        return Ok(PricingTable { version, overwrite: raw.overwrite, legacy_attributes: raw.legacy_attributes, models });
    }
    Err(errors.join("\n"))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
