//! The plugin's config: the TOML format (typed, unknown fields refused) and its validation
//! into [`Settings`], the compiled form the plugin runs on.
//!
//! Every problem is reported at once, each naming its field path, e.g.
//! `rules[2].above: must be a finite number`.

use crate::decide::{Pattern, RateTable, parse_rfc3339};
use crate::rules::Rule;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// The plugin's config as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The destination picked records are added to.
    pub destination: String,
    /// The default share of traces picked, 0 to 1.
    pub rate: f64,
    /// When set, a trace without an explicit `rv` gets its randomness from a keyed hash of
    /// its id under this seed (so deployments with different seeds pick different traces);
    /// when absent, from the low 56 bits of the trace id, as OpenTelemetry samplers do.
    pub seed: Option<u64>,
    /// Which attributes name the strata (and the optional `tracestate` copy).
    #[serde(default)]
    pub attributes: Attributes,
    /// Rates by stratum, overriding `rate`.
    #[serde(default)]
    pub rates: Rates,
    /// Rates for combinations of strata, optionally for a time window only; they win over
    /// `rates` and `rate`.
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// Always-pick rules, in priority order.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// The memory of decided traces.
    #[serde(default)]
    pub memory: Memory,
    /// Per-tenant caps on picked traces.
    #[serde(default)]
    pub budget: Budget,
    /// Where a record's time comes from.
    #[serde(default)]
    pub time: Time,
}

/// Attribute names of the strata.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Attributes {
    /// Resource attribute naming the tenant (the host's `tenancy.attribute`).
    pub tenant: String,
    /// Record (else resource) attribute naming the product feature.
    pub feature: String,
    /// Record (else resource) attribute naming the model.
    pub model: String,
    /// Record (else resource) attribute naming the route.
    pub route: String,
    /// Record (else resource) attribute naming the prompt's version.
    pub prompt_version: String,
    /// Record attribute holding the span's W3C `tracestate`; default `@trace_state`, the
    /// host's intrinsic field for the span's own.
    pub tracestate: Option<String>,
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes {
            tenant: "tenant.id".into(),
            feature: "app.feature".into(),
            model: "gen_ai.request.model".into(),
            route: "http.route".into(),
            prompt_version: "app.prompt_version".into(),
            tracestate: Some("@trace_state".into()),
        }
    }
}

/// Rates by one stratum each: value (or `prefix*`) to rate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    /// By tenant.
    #[serde(default)]
    pub tenant: BTreeMap<String, f64>,
    /// By feature.
    #[serde(default)]
    pub feature: BTreeMap<String, f64>,
    /// By model.
    #[serde(default)]
    pub model: BTreeMap<String, f64>,
    /// By route.
    #[serde(default)]
    pub route: BTreeMap<String, f64>,
    /// By prompt version.
    #[serde(default)]
    pub prompt_version: BTreeMap<String, f64>,
}

/// A rate for every record matching all the strata given, optionally within a time window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Tenant to match (exact, or `prefix*`).
    pub tenant: Option<String>,
    /// Feature to match.
    pub feature: Option<String>,
    /// Model to match.
    pub model: Option<String>,
    /// Route to match.
    pub route: Option<String>,
    /// Prompt version to match.
    pub prompt_version: Option<String>,
    /// The rate, 0 to 1.
    pub rate: f64,
    /// Active from this time on (RFC 3339), inclusive.
    pub from: Option<Timestamp>,
    /// Active until this time (RFC 3339), exclusive.
    pub until: Option<Timestamp>,
}

/// An always-pick rule as written: a name and exactly one condition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The rule's name, written as `sluice.eval.reason = "rule:<name>"`.
    pub name: String,
    /// The attribute the condition reads (for `equals`, `exists`, `contains`, `above`, `any_of`).
    pub attribute: Option<String>,
    /// Which attribute list: `record` (default) or `resource`.
    pub scope: Option<ScopeName>,
    /// The attribute equals this string, number or boolean.
    pub equals: Option<toml::Value>,
    /// The attribute is present (must be `true`).
    pub exists: Option<bool>,
    /// The attribute (an array, or a string of words) contains this element.
    pub contains: Option<String>,
    /// The attribute is a number above this.
    pub above: Option<f64>,
    /// The attribute is one of these strings.
    pub any_of: Option<Vec<String>>,
    /// The record ended in error, as far as the contract shows (must be `true`).
    pub error: Option<bool>,
    /// For `error`: whether status messages and `exception` events are looked at too (reads
    /// every string of the rows; default true).
    pub texts: Option<bool>,
    /// The span took longer than this (end - start, from `time.start_attribute` and
    /// `time.end_attribute`).
    pub latency_above_ms: Option<u64>,
}

/// An attribute list a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeName {
    /// The row's own attributes.
    Record,
    /// The row's resource attributes.
    Resource,
}

/// The memory of decided traces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Memory {
    /// How many trace ids are remembered (least recently seen forgotten first); 0 disables it.
    pub traces: usize,
}

impl Default for Memory {
    fn default() -> Self {
        Memory { traces: 65_536 }
    }
}

/// Token-bucket caps on picked traces per tenant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Budget {
    /// Traces picked by rate per tenant per minute; unlimited when absent.
    pub rate_per_minute: Option<u64>,
    /// The rate bucket's size (default: `rate_per_minute`).
    pub rate_burst: Option<u64>,
    /// Traces picked by rules per tenant per minute; unlimited when absent.
    pub rule_per_minute: Option<u64>,
    /// The rule bucket's size (default: `rule_per_minute`).
    pub rule_burst: Option<u64>,
    /// Most tenants with buckets; the least recently seen is forgotten first.
    pub max_tenants: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            rate_per_minute: None,
            rate_burst: None,
            rule_per_minute: None,
            rule_burst: None,
            max_tenants: 10_000,
        }
    }
}

/// Where a record's time comes from: `@time_unix_nano` / `@start_time_unix_nano` are the
/// record's own times (host intrinsic fields), or name attributes holding them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Time {
    /// Record attribute with the span's start time (int Unix nanoseconds, or RFC 3339).
    pub start_attribute: Option<String>,
    /// Record attribute with the span's end time or the log's time (same forms).
    pub end_attribute: Option<String>,
    /// Use the wall clock for records without a time attribute (needs the stage's
    /// `grants.clock`; replays are then no longer deterministic).
    #[serde(default)]
    pub clock: bool,
}

/// A point in time as Unix nanoseconds, written as an RFC 3339 string or TOML date-time
/// with an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub i64);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            toml::Value::Datetime(dt) => dt.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected an RFC 3339 date-time such as 2025-07-01T00:00:00Z, got a {}",
                    other.type_str()
                )));
            }
        };
        parse_rfc3339(&text).map(Timestamp).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not an RFC 3339 date-time with an offset, such as 2025-07-01T00:00:00Z"
            ))
        })
    }
}

/// The strata, in the order a more specific one wins: prompt version, feature, route,
/// model, tenant.
pub const DIMENSIONS: [&str; 5] = ["prompt_version", "feature", "route", "model", "tenant"];

/// A compiled override.
#[derive(Debug, Clone)]
pub struct CompiledOverride {
    /// Per dimension (in [`DIMENSIONS`] order), the pattern it must match, if any.
    pub matches: [Option<Pattern>; 5],
    /// The rate.
    pub rate: f64,
    /// Window start (inclusive), Unix ns.
    pub from: Option<i64>,
    /// Window end (exclusive), Unix ns.
    pub until: Option<i64>,
}

impl CompiledOverride {
    /// Whether it has a time window.
    pub fn windowed(&self) -> bool {
        self.from.is_some() || self.until.is_some()
    }

    /// Whether it is active at `time` (a window needs a known time).
    pub fn active(&self, time: Option<i64>) -> bool {
        if !self.windowed() {
            return true;
        }
        let Some(t) = time else { return false };
        self.from.is_none_or(|f| t >= f) && self.until.is_none_or(|u| t < u)
    }
}

/// A budget of one kind: refill per minute and bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSpec {
    /// Tokens (traces) added per minute.
    pub per_minute: u64,
    /// Most tokens held.
    pub burst: u64,
}

/// The validated config the plugin runs on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The eval destination.
    pub destination: String,
    /// The default rate.
    pub rate: f64,
    /// The randomness seed (see [`Config::seed`]).
    pub seed: Option<u64>,
    /// Attribute names.
    pub attributes: Attributes,
    /// Per dimension (in [`DIMENSIONS`] order), its rate table.
    pub tables: [RateTable; 5],
    /// Overrides, most specific first (then config order).
    pub overrides: Vec<CompiledOverride>,
    /// Rules in config order.
    pub rules: Vec<Rule>,
    /// Remembered traces.
    pub memory: usize,
    /// The rate-pick budget.
    pub rate_budget: Option<BucketSpec>,
    /// The rule-pick budget.
    pub rule_budget: Option<BucketSpec>,
    /// Most tenants with buckets.
    pub max_tenants: usize,
    /// Time sources.
    pub time: Time,
}

/// Parses the TOML config, naming the field path of a type error or unknown field.
pub fn parse(text: &str) -> Result<Config, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| e.message().to_string())?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            inner.message().to_string()
        } else {
            format!("{path}: {}", inner.message())
        }
    })
}

fn check_rate(path: &str, rate: f64, errors: &mut Vec<String>) {
    if !(0.0..=1.0).contains(&rate) {
        errors.push(format!("{path}: {rate} is outside 0..=1"));
    }
}

fn check_name(path: &str, name: &str, errors: &mut Vec<String>) {
    if name.trim().is_empty() {
        errors.push(format!("{path}: must not be empty"));
    }
}

/// Quotes a table key the way TOML paths show it when it is not a bare key.
fn key_path(table: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        format!("{table}.{key}")
    } else {
        format!("{table}.{key:?}")
    }
}

impl Config {
    /// Validates the config, listing every problem with its field path.
    pub fn compile(self) -> Result<Settings, String> {
        let mut errors = Vec::new();
        check_name("destination", &self.destination, &mut errors);
        check_rate("rate", self.rate, &mut errors);
        let a = &self.attributes;
        for (field, name) in [
            ("attributes.tenant", &a.tenant),
            ("attributes.feature", &a.feature),
            ("attributes.model", &a.model),
            ("attributes.route", &a.route),
            ("attributes.prompt_version", &a.prompt_version),
        ] {
            check_name(field, name, &mut errors);
        }
        if let Some(t) = &a.tracestate {
            check_name("attributes.tracestate", t, &mut errors);
        }
        let time = &self.time;
        for (field, name) in [
            ("time.start_attribute", &time.start_attribute),
            ("time.end_attribute", &time.end_attribute),
        ] {
            if let Some(n) = name {
                check_name(field, n, &mut errors);
            }
        }
        let has_time = time.start_attribute.is_some() || time.end_attribute.is_some() || time.clock;
        let no_time = "needs a time source: set `time.end_attribute` (or `time.start_attribute`), or `time.clock = true`";

        let r = &self.rates;
        let by_dim = [&r.prompt_version, &r.feature, &r.route, &r.model, &r.tenant];
        let tables: [RateTable; 5] = std::array::from_fn(|d| {
            let mut table = RateTable::default();
            for (value, rate) in by_dim[d] {
                let path = key_path(&format!("rates.{}", DIMENSIONS[d]), value);
                check_rate(&path, *rate, &mut errors);
                if value.is_empty() || value == "*" {
                    errors.push(format!(
                        "{path}: must name a value or a prefix (`rate` is the default)"
                    ));
                }
                table.insert(value, *rate);
            }
            table
        });

        let mut overrides = Vec::new();
        for (i, o) in self.overrides.iter().enumerate() {
            let path = format!("overrides[{i}]");
            check_rate(&format!("{path}.rate"), o.rate, &mut errors);
            let given = [&o.prompt_version, &o.feature, &o.route, &o.model, &o.tenant];
            let matches: [Option<Pattern>; 5] = std::array::from_fn(|d| {
                given[d].as_deref().map(|v| {
                    if v.is_empty() {
                        errors.push(format!("{path}.{}: must not be empty", DIMENSIONS[d]));
                    }
                    Pattern::new(v)
                })
            });
            if let (Some(f), Some(u)) = (o.from, o.until)
                && f.0 >= u.0
            {
                errors.push(format!("{path}.until: must be after `from`"));
            }
            let compiled = CompiledOverride {
                matches,
                rate: o.rate,
                from: o.from.map(|t| t.0),
                until: o.until.map(|t| t.0),
            };
            if compiled.windowed() && !has_time {
                let field = if o.from.is_some() { "from" } else { "until" };
                errors.push(format!("{path}.{field}: {no_time}"));
            }
            overrides.push(compiled);
        }
        // Most specific first; the sort is stable, so config order breaks ties.
        overrides.sort_by_key(|o| std::cmp::Reverse(o.matches.iter().flatten().count()));

        let mut rules = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, raw) in self.rules.iter().enumerate() {
            let path = format!("rules[{i}]");
            let valid_name = !raw.name.is_empty()
                && raw
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid_name {
                errors.push(format!(
                    "{path}.name: `{}` must be letters, digits, `_`, `-` or `.`",
                    raw.name
                ));
            } else if !seen.insert(raw.name.clone()) {
                errors.push(format!("{path}.name: `{}` is used twice", raw.name));
            }
            if let Some(rule) = Rule::compile(
                &path,
                raw,
                &time.start_attribute,
                &time.end_attribute,
                &mut errors,
            ) {
                rules.push(rule);
            }
        }
        if rules.len() > usize::from(u16::MAX) {
            errors.push("rules: at most 65535 rules".into());
        }

        let b = &self.budget;
        let spec = |per: Option<u64>, burst: Option<u64>, field: &str, errors: &mut Vec<String>| {
            let per_minute = per?;
            if !has_time {
                errors.push(format!("budget.{field}: {no_time}"));
            }
            Some(BucketSpec {
                per_minute,
                burst: burst.unwrap_or(per_minute),
            })
        };
        let rate_budget = spec(
            b.rate_per_minute,
            b.rate_burst,
            "rate_per_minute",
            &mut errors,
        );
        let rule_budget = spec(
            b.rule_per_minute,
            b.rule_burst,
            "rule_per_minute",
            &mut errors,
        );
        for (field, burst, per) in [
            ("rate_burst", b.rate_burst, b.rate_per_minute),
            ("rule_burst", b.rule_burst, b.rule_per_minute),
        ] {
            if burst.is_some() && per.is_none() {
                let per_field = field.replace("burst", "per_minute");
                errors.push(format!("budget.{field}: needs `budget.{per_field}`"));
            }
        }
        if (rate_budget.is_some() || rule_budget.is_some()) && b.max_tenants == 0 {
            errors.push("budget.max_tenants: must be at least 1".into());
        }

        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        Ok(Settings {
            destination: self.destination,
            rate: self.rate,
            seed: self.seed,
            attributes: self.attributes,
            tables,
            overrides,
            rules,
            memory: self.memory.traces,
            rate_budget,
            rule_budget,
            max_tenants: b.max_tenants,
            time: self.time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(extra: &str) -> Result<Settings, String> {
        parse(&format!("destination = \"evals\"\nrate = 0.1\n{extra}"))?.compile()
    }

    #[test]
    fn a_minimal_config_has_the_documented_defaults() {
        let s = settings("").unwrap();
        assert_eq!(s.attributes.tenant, "tenant.id");
        assert_eq!(s.attributes.model, "gen_ai.request.model");
        assert_eq!(s.attributes.feature, "app.feature");
        assert_eq!(s.attributes.route, "http.route");
        assert_eq!(s.attributes.prompt_version, "app.prompt_version");
        assert_eq!(s.attributes.tracestate.as_deref(), Some("@trace_state"));
        assert_eq!((s.memory, s.max_tenants), (65_536, 10_000));
        assert_eq!((s.rate_budget, s.rule_budget, s.seed), (None, None, None));
    }

    #[test]
    fn unknown_fields_and_wrong_types_name_their_path() {
        let err = settings("[[rules]]\nname = \"x\"\nequlas = \"y\"\n").unwrap_err();
        assert!(
            err.starts_with("rules[0].equlas: unknown field `equlas`, expected one of"),
            "{err}"
        );
        let err = settings("[budget]\nrate_per_minute = \"ten\"\n").unwrap_err();
        assert!(
            err.starts_with("budget.rate_per_minute: invalid type"),
            "{err}"
        );
        let err = settings("[rates.model]\n\"gpt-4o\" = \"high\"\n").unwrap_err();
        assert!(err.starts_with("rates.model.gpt-4o: invalid type"), "{err}");
        let err = parse("rate = 0.1\n").unwrap_err();
        assert_eq!(err, "missing field `destination`");
    }

    #[test]
    fn semantic_problems_are_all_listed_with_their_field() {
        let err = settings(concat!(
            "[rates.tenant]\nacme = 1.5\n",
            "[rates.model]\n\"gpt-4o*\" = -0.1\n",
            "[[overrides]]\nprompt_version = \"v8\"\nrate = 1.0\nuntil = \"2030-01-01T00:00:00Z\"\n",
            "[budget]\nrule_per_minute = 10\n",
        ))
        .unwrap_err();
        assert_eq!(
            err,
            "rates.model.\"gpt-4o*\": -0.1 is outside 0..=1; \
             rates.tenant.acme: 1.5 is outside 0..=1; \
             overrides[0].until: needs a time source: set `time.end_attribute` (or `time.start_attribute`), or `time.clock = true`; \
             budget.rule_per_minute: needs a time source: set `time.end_attribute` (or `time.start_attribute`), or `time.clock = true`"
        );
    }

    #[test]
    fn times_are_rfc3339_strings_or_toml_datetimes_with_an_offset() {
        let t = "[time]\nend_attribute = \"t\"\n";
        let s = settings(&format!(
            "{t}[[overrides]]\nmodel = \"m\"\nrate = 1.0\nfrom = 2025-07-01T00:00:00Z\nuntil = \"2025-07-01T04:00:00+02:00\"\n"
        ))
        .unwrap();
        let (from, hour) = (1_751_328_000_000_000_000, 3_600_000_000_000);
        assert_eq!(s.overrides[0].from, Some(from));
        assert_eq!(s.overrides[0].until, Some(from + 2 * hour));
        assert!(s.overrides[0].active(Some(from)), "from is inclusive");
        assert!(
            !s.overrides[0].active(Some(from + 2 * hour)),
            "until is exclusive"
        );
        assert!(!s.overrides[0].active(Some(from - 1)));
        assert!(!s.overrides[0].active(None), "a window needs a time");
        let err = settings(&format!(
            "{t}[[overrides]]\nrate = 1.0\nuntil = 2025-07-01T00:00:00\n"
        ))
        .unwrap_err();
        assert_eq!(
            err,
            "overrides[0].until: `2025-07-01T00:00:00` is not an RFC 3339 date-time with an offset, such as 2025-07-01T00:00:00Z"
        );
        let err = settings(&format!("{t}[[overrides]]\nrate = 1.0\nfrom = 3\n")).unwrap_err();
        assert!(
            err.starts_with("overrides[0].from: expected an RFC 3339"),
            "{err}"
        );
    }

    #[test]
    fn overrides_sort_most_specific_first_keeping_config_order() {
        let s = settings(concat!(
            "[[overrides]]\ntenant = \"a\"\nrate = 0.1\n",
            "[[overrides]]\ntenant = \"a\"\nmodel = \"m\"\nrate = 0.2\n",
            "[[overrides]]\nfeature = \"f\"\nrate = 0.3\n",
        ))
        .unwrap();
        let rates: Vec<f64> = s.overrides.iter().map(|o| o.rate).collect();
        assert_eq!(rates, vec![0.2, 0.1, 0.3]);
    }
}
