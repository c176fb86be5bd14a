//! The table as serde reads it, and the rules that turn its levels into schedules.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::price::{Rate, Rates, Schedule};

/// Names that mean "no service tier": they are the standard prices, not a tier of their own.
pub(super) const STANDARD_TIER_NAMES: &[&str] = &["default", "standard", "auto", "on_demand"];

/// The top level of the table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    pub(super) extends: Option<String>,
    pub(super) pricing_version: Option<String>,
    #[serde(default)]
    pub(super) overwrite: bool,
    #[serde(default = "yes")]
    pub(super) legacy_attributes: bool,
    #[serde(default)]
    pub(super) models: Vec<RawModel>,
}

fn yes() -> bool {
    true
}

/// One `[[models]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModel {
    pub(super) name: Option<String>,
    pub(super) provider: Option<String>,
    #[serde(default)]
    pub(super) aliases: Vec<String>,
    pub(super) effective_date: Option<String>,
    // Serde's `flatten` does not combine with `deny_unknown_fields`, so the four price
    // fields are spelled out in each level's struct.
    pub(super) input_per_mtok: Option<toml::Value>,
    pub(super) output_per_mtok: Option<toml::Value>,
    pub(super) cache_read_per_mtok: Option<toml::Value>,
    pub(super) cache_write_per_mtok: Option<toml::Value>,
    #[serde(default)]
    pub(super) tiers: Vec<RawTier>,
    #[serde(default)]
    pub(super) service_tiers: BTreeMap<String, RawServiceTier>,
}

/// One `[[...tiers]]` long-context tier.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTier {
    pub(super) above_input_tokens: Option<i64>,
    pub(super) input_per_mtok: Option<toml::Value>,
    pub(super) output_per_mtok: Option<toml::Value>,
    pub(super) cache_read_per_mtok: Option<toml::Value>,
    pub(super) cache_write_per_mtok: Option<toml::Value>,
}

/// One `[models.service_tiers.NAME]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServiceTier {
    pub(super) input_per_mtok: Option<toml::Value>,
    pub(super) output_per_mtok: Option<toml::Value>,
    pub(super) cache_read_per_mtok: Option<toml::Value>,
    pub(super) cache_write_per_mtok: Option<toml::Value>,
    #[serde(default)]
    pub(super) tiers: Vec<RawTier>,
}

/// Prices as written at one level of the table; `None` means "not given here".
#[derive(Clone, Copy, Default)]
pub(super) struct Partial {
    pub(super) input: Option<Rate>,
    pub(super) output: Option<Rate>,
    pub(super) cache_read: Option<Rate>,
    pub(super) cache_write: Option<Rate>,
}

impl Partial {
    pub(super) fn read(
        path: &str,
        fields: [&Option<toml::Value>; 4],
        errors: &mut Vec<String>,
    ) -> Partial {
        const NAMES: [&str; 4] = [
            "input_per_mtok",
            "output_per_mtok",
            "cache_read_per_mtok",
            "cache_write_per_mtok",
        ];
        let mut out = [None; 4];
        for ((slot, value), name) in out.iter_mut().zip(fields).zip(NAMES) {
            if let Some(v) = value {
                match Rate::from_toml(v) {
                    Ok(rate) => *slot = Some(rate),
                    Err(e) => errors.push(format!("{path}.{name}: {e}")),
                }
            }
        }
        Partial {
            input: out[0],
            output: out[1],
            cache_read: out[2],
            cache_write: out[3],
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.input.is_none()
            && self.output.is_none()
            && self.cache_read.is_none()
            && self.cache_write.is_none()
    }

    /// This level's prices, the parent's where this level gives none.
    pub(super) fn over(self, parent: Partial) -> Partial {
        Partial {
            input: self.input.or(parent.input),
            output: self.output.or(parent.output),
            cache_read: self.cache_read.or(parent.cache_read),
            cache_write: self.cache_write.or(parent.cache_write),
        }
    }

    /// Concrete rates. A cache price nobody gave means the provider bills those tokens as
    /// ordinary input (OpenAI charges nothing extra for cache writes, for instance).
    pub(super) fn finish(self) -> Rates {
        let input = self.input.unwrap_or_default();
        Rates {
            input,
            output: self.output.unwrap_or_default(),
            cache_read: self.cache_read.unwrap_or(input),
            cache_write: self.cache_write.unwrap_or(input),
        }
    }
}

pub(super) fn tier_fields(t: &RawTier) -> [&Option<toml::Value>; 4] {
    [
        &t.input_per_mtok,
        &t.output_per_mtok,
        &t.cache_read_per_mtok,
        &t.cache_write_per_mtok,
    ]
}

/// Builds a schedule from a level's prices and its long-context tiers.
pub(super) fn schedule(
    path: &str,
    own: Partial,
    tiers: &[RawTier],
    errors: &mut Vec<String>,
) -> Schedule {
    let mut out = Vec::with_capacity(tiers.len());
    for (i, t) in tiers.iter().enumerate() {
        let tpath = format!("{path}tiers[{i}]");
        let prices = Partial::read(&tpath, tier_fields(t), errors);
        if prices.is_empty() {
            errors.push(format!("{tpath}: sets no price"));
        }
        match t.above_input_tokens {
            None => errors.push(format!("{tpath}.above_input_tokens: missing")),
            Some(n) if n <= 0 => errors.push(format!(
                "{tpath}.above_input_tokens: must be positive, got {n}"
            )),
            Some(n) if out.iter().any(|(a, _)| *a == n as u64) => {
                errors.push(format!("{tpath}.above_input_tokens: {n} is listed twice"))
            }
            Some(n) => out.push((n as u64, prices.over(own).finish())),
        }
    }
    out.sort_by_key(|(above, _)| *above);
    Schedule {
        base: own.finish(),
        tiers: out,
    }
}

pub(super) fn check_date(path: &str, date: &str, errors: &mut Vec<String>) {
    let b = date.as_bytes();
    let num = |r: std::ops::Range<usize>| date.get(r).and_then(|s| s.parse::<u32>().ok());
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && date
            .bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && num(5..7).is_some_and(|m| (1..=12).contains(&m))
        && num(8..10).is_some_and(|d| (1..=31).contains(&d));
    if !ok {
        errors.push(format!(
            "{path}: expected a date as YYYY-MM-DD, got {date:?}"
        ));
    }
}
