//! Reading LiteLLM's `model_prices_and_context_window.json` the way LiteLLM's own cost
//! calculator reads it, so that an imported table prices a call as `litellm.cost_per_token`
//! does.
//!
//! Rules mirrored from LiteLLM 1.110 (`litellm_core_utils/llm_cost_calc/utils.py`):
//! - A cache price not given bills those tokens as input (the plugin's rule too).
//! - Long-context keys `<price>_above_<N>[k]_tokens` apply when the prompt has more than N
//!   tokens (at least N for `xai`, imported as above N-1); the highest crossed threshold
//!   wins, and a price it does not give is the next lower threshold's, so every tier is
//!   written out in full.
//! - Service tiers: keys suffixed `_flex`, `_priority`, `_balanced`, `_ultrafast`; a price
//!   not given for the tier is the standard one, and the tier's thresholds are the standard
//!   ones plus its own. `_batches` keys become the `batch` service tier with only its own
//!   thresholds.
//! - `tiered_pricing` (all-or-nothing ranges, `start < prompt <= end`) replaces all of the
//!   above; a cache price a range does not give is the range's input price.
//! - `fireworks_ai` models without a cache-read price get half the input price, as LiteLLM
//!   applies in code.
//!
//! Not representable, so noted on the entry and priced at the standard rates: off-peak
//! windows, a separate reasoning-token price, 1-hour cache writes, regional uplifts.

use serde_json::{Map, Value};

/// The four prices of one level, USD per token as LiteLLM gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Prices {
    /// Uncached input.
    pub input: Option<f64>,
    /// Output.
    pub output: Option<f64>,
    /// Cache reads.
    pub cache_read: Option<f64>,
    /// Cache writes.
    pub cache_write: Option<f64>,
}

/// Base prices and long-context tiers `(above_input_tokens, prices)`, ascending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schedule {
    /// Prices at or below every threshold.
    pub base: Prices,
    /// Prices above each threshold, every field given.
    pub tiers: Vec<(u64, Prices)>,
}

/// One model, ready to be written as a `[[models]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// LiteLLM's key, e.g. `gpt-4o` or `bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0`.
    pub name: String,
    /// `litellm_provider`.
    pub provider: Option<String>,
    /// Standard prices.
    pub standard: Schedule,
    /// Service tiers by sluice name (`flex`, `priority`, `batch`, ...).
    pub service_tiers: Vec<(String, Schedule)>,
    /// What the table says that sluice does not price.
    pub notes: Vec<String>,
}

/// Modes whose calls are priced by tokens in and out.
const MODES: &[&str] = &["chat", "completion", "responses"];
/// The four price keys, in [`Prices`] field order.
const KEYS: [&str; 4] = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
];
/// LiteLLM's service-tier suffixes and the tier name a span carries for each.
const SERVICE_TIERS: &[(&str, &str)] = &[
    ("_flex", "flex"),
    ("_priority", "priority"),
    ("_balanced", "balanced"),
    ("_ultrafast", "ultrafast"),
];
/// Suffixes that make a threshold key not standard (LiteLLM's `_NON_STANDARD_THRESHOLD_SUFFIXES`).
const NON_STANDARD: &[&str] = &[
    "_auto",
    "_flex",
    "_balanced",
    "_priority",
    "_fast",
    "_ultrafast",
    "_batches",
];
/// LiteLLM's `FIREWORKS_AI_DEFAULT_CACHE_READ_RATE_RATIO`.
const FIREWORKS_CACHE_READ_RATIO: f64 = 0.5;

/// Converts one JSON entry, or says why it is not a token-priced chat model.
pub fn entry(name: &str, value: &Value) -> Result<Entry, String> {
    let mut v = value.as_object().ok_or("not an object")?.clone();
    let mode = v.get("mode").and_then(Value::as_str).unwrap_or("");
    if !MODES.contains(&mode) {
        return Err(format!("mode {mode:?} is not priced by tokens"));
    }
    let provider = v
        .get("litellm_provider")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut notes = Vec::new();
    if provider.as_deref() == Some("fireworks_ai")
        && num(&v, KEYS[2]).is_none()
        && let Some(input) = num(&v, KEYS[0])
    {
        v.insert(KEYS[2].into(), (input * FIREWORKS_CACHE_READ_RATIO).into());
    }
    let tiered = tiered_pricing(&v)?;
    let standard = match &tiered {
        Some(s) => s.clone(),
        None => schedule(&v, "", provider.as_deref()),
    };
    if standard.base.input.is_none() || standard.base.output.is_none() {
        return Err("no input_cost_per_token and output_cost_per_token".into());
    }
    let mut service_tiers = Vec::new();
    if tiered.is_none() {
        for (suffix, tier) in SERVICE_TIERS.iter().chain(&[("_batches", "batch")]) {
            let has_own = v
                .keys()
                .any(|k| k.ends_with(suffix) && KEYS.iter().any(|p| k.starts_with(p)));
            let s = schedule(&v, suffix, provider.as_deref());
            if has_own && s != standard {
                service_tiers.push((tier.to_string(), s));
            }
        }
    }
    if v.contains_key("off_peak_pricing") {
        notes.push("off-peak prices not represented: standard prices apply at all hours".into());
    }
    if let Some(r) = num(&v, "output_cost_per_reasoning_token")
        && standard.base.output != Some(r)
    {
        notes
            .push("reasoning tokens are priced as output, not at LiteLLM's reasoning price".into());
    }
    if v.contains_key("cache_creation_input_token_cost_above_1hr") {
        notes.push("cache writes are priced at the 5-minute rate".into());
    }
    Ok(Entry {
        name: name.to_string(),
        provider,
        standard,
        service_tiers,
        notes,
    })
}

/// A number at `key` (LiteLLM also accepts numeric strings).
fn num(v: &Map<String, Value>, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The schedule of one service tier (`suffix` empty for standard), as LiteLLM resolves it.
fn schedule(v: &Map<String, Value>, suffix: &str, provider: Option<&str>) -> Schedule {
    let batch = suffix == "_batches";
    // LiteLLM falls back from a tier's key to the standard one, except for batches.
    let get = |key: &str| {
        let own = num(v, &format!("{key}{suffix}"));
        if batch {
            own
        } else {
            own.or_else(|| num(v, key))
        }
    };
    let [input, output, cache_read, cache_write] = KEYS.map(get);
    let base = Prices {
        input,
        output,
        cache_read,
        cache_write,
    };
    let mut thresholds: Vec<(u64, String)> =
        v.keys().filter_map(|k| threshold_of(k, suffix)).collect();
    thresholds.sort();
    thresholds.dedup();
    let inclusive = provider == Some("xai");
    let mut tiers = Vec::new();
    let mut level = base;
    for (n, text) in thresholds {
        let tiered = |key: &str, lower: Option<f64>| {
            let key = format!("{key}_above_{text}_tokens");
            if batch {
                num(v, &format!("{key}{suffix}")).or(base_of(&base, key.as_str()))
            } else {
                get(&key).or(lower)
            }
        };
        let next = Prices {
            input: tiered(KEYS[0], level.input),
            output: tiered(KEYS[1], level.output),
            cache_read: tiered(KEYS[2], level.cache_read),
            cache_write: tiered(KEYS[3], level.cache_write),
        };
        // A missing cache price is the tier's input price: write it out, since the plugin
        // would otherwise take the base cache price.
        let filled = Prices {
            cache_read: next.cache_read.or(next.input),
            cache_write: next.cache_write.or(next.input),
            ..next
        };
        let above = if inclusive { n.saturating_sub(1) } else { n };
        if above > 0 && filled != fill(level) {
            tiers.push((above, filled));
        }
        level = next;
    }
    Schedule { base, tiers }
}

/// For a batch threshold key, LiteLLM's fallback is the flat batch price of that field.
fn base_of(base: &Prices, tier_key: &str) -> Option<f64> {
    let field = KEYS.iter().position(|k| tier_key.starts_with(k))?;
    [base.input, base.output, base.cache_read, base.cache_write][field]
}

/// Cache prices filled from input, as the plugin resolves them.
fn fill(p: Prices) -> Prices {
    Prices {
        cache_read: p.cache_read.or(p.input),
        cache_write: p.cache_write.or(p.input),
        ..p
    }
}

/// The threshold a key names for the service tier `suffix`, as `(tokens, text)`.
fn threshold_of(key: &str, suffix: &str) -> Option<(u64, String)> {
    KEYS.iter()
        .find(|p| key.starts_with(&format!("{p}_above_")))?;
    if !key.contains("_tokens") {
        return None;
    }
    let counts = if suffix == "_batches" {
        key.ends_with(suffix)
    } else {
        !NON_STANDARD.iter().any(|s| key.ends_with(s))
            || (!suffix.is_empty() && key.ends_with(suffix))
    };
    if !counts {
        return None;
    }
    let text = key.rsplit_once("_above_")?.1.split("_tokens").next()?;
    let (digits, scale) = match text.strip_suffix('k') {
        Some(d) => (d, 1000),
        None => (text, 1),
    };
    let n: u64 = digits.parse().ok()?;
    Some((n.checked_mul(scale)?, text.to_string()))
}

/// A `tiered_pricing` list as a schedule; `None` when the entry has none.
fn tiered_pricing(v: &Map<String, Value>) -> Result<Option<Schedule>, String> {
    let Some(Value::Array(list)) = v.get("tiered_pricing") else {
        return Ok(None);
    };
    let mut ranges: Vec<(f64, &Map<String, Value>)> = Vec::new();
    for t in list {
        let t = t
            .as_object()
            .ok_or("tiered_pricing: a tier is not an object")?;
        let start = t
            .get("range")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(Value::as_f64)
            .ok_or("tiered_pricing: a tier has no range")?;
        ranges.push((start, t));
    }
    ranges.sort_by(|a, b| a.0.total_cmp(&b.0));
    if ranges.first().is_none_or(|(start, _)| *start != 0.0) {
        return Err("tiered_pricing does not start at 0 tokens".into());
    }
    let model_output = num(v, KEYS[1]);
    let mut schedule = Schedule::default();
    for (start, t) in ranges {
        let input = num(t, KEYS[0]).ok_or("tiered_pricing: a tier has no input price")?;
        let prices = Prices {
            input: Some(input),
            output: num(t, KEYS[1]).or(model_output),
            cache_read: Some(num(t, KEYS[2]).unwrap_or(input)),
            cache_write: Some(num(t, KEYS[3]).unwrap_or(input)),
        };
        if start == 0.0 {
            schedule.base = prices;
        } else if start.fract() == 0.0 && start > 0.0 {
            schedule.tiers.push((start as u64, prices));
        } else {
            return Err(format!(
                "tiered_pricing: range start {start} is not a token count"
            ));
        }
    }
    Ok(Some(schedule))
}
