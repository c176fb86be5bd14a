//! Built-in plugin: eval sampling. Picks whole traces for online evals, by rate per stratum
//! (deterministic, consistent with OpenTelemetry probability sampling) and by always-pick
//! rules, under per-tenant budgets; marks what it picks and sends it to the eval destination.
//!
//! # What a pick does
//!
//! Every span and log of a picked trace in the batch gets `sluice.eval.sampled = true`,
//! `sluice.eval.reason` (`rate` or `rule:<name>`) and `sluice.eval.weight` (1 / the rate for
//! rate picks, for re-weighting; 1 for rule picks), and the configured `destination` is added
//! to its routes. Residency denials (`deny-destination`) are final in the contract, so a
//! record whose tenant may not go to the eval destination is marked but never sent there.
//!
//! # Rate picks: one decision per trace, the same on every replica
//!
//! A trace has a 56-bit randomness value `rv`, and is kept at probability `p` when
//! `rv >= (1 - p) * 2^56` (OpenTelemetry's consistent probability sampling: a trace kept at
//! `p` is kept at every higher probability, by every sampler using the same `rv`). `rv` is,
//! in this order:
//! 1. the `rv:` sub-key of the `ot` member of the trace's W3C `tracestate`
//!    (`ot=th:...;rv:<14 hex digits>`), read from `attributes.tracestate`: by default
//!    `@trace_state`, the host's intrinsic field for the span's own `trace_state` (or name an
//!    attribute holding a copy);
//! 2. with `seed` set, the top 56 bits of a keyed hash of the 16 trace-id bytes (robust to
//!    trace ids that are not random, and independent between deployments with different
//!    seeds);
//! 3. otherwise the low 56 bits of the trace id, which W3C Trace Context level 2 and the
//!    OpenTelemetry SDKs make random (the contract does not carry the trace flags' random
//!    bit, so this is assumed), so the decision agrees with upstream OpenTelemetry samplers.
//!
//! # Strata
//!
//! A record's rate is the first of, most specific first:
//! 1. an active `[[overrides]]` entry matching all the strata it names (entries naming more
//!    strata first, then config order); an entry with `from` / `until` is active only when the
//!    record's time is in `[from, until)`;
//! 2. `rates.prompt_version`, `rates.feature`, `rates.route`, `rates.model`, `rates.tenant`, in
//!    that order (exact value, else the longest `prefix*`);
//! 3. `rate`.
//!
//! The tenant is a resource attribute (`attributes.tenant`, default `tenant.id`, what the
//! host's tenancy stamps); feature (`app.feature`), model (`gen_ai.request.model`), route
//! (`http.route`) and prompt version (`app.prompt_version`) are read from the record, else its
//! resource — the same defaults as the host's spend metrics. Strings, ints and bools match by
//! their text. Since one trace's spans fall into different strata (the model is on LLM spans
//! only, the route on the server span), **a trace's rate is the highest rate of its rows in
//! the batch**, evaluated at the trace's time; its weight is 1 / that rate.
//!
//! # Rules
//!
//! `[[rules]]` are evaluated on every row of the batch (records outside a trace too). If any
//! row of a trace matches, the whole trace in the batch is picked with the reason of the first
//! matching rule in config order — unless the trace is picked by rate anyway: a rate pick wins,
//! so the `reason = "rate"` records stay an unbiased probability sample (dropping the traces
//! that also matched a rule would bias it against errors). Conditions: `equals`, `exists`,
//! `contains` (an array element, or a word of a string), `above` (numbers, e.g.
//! `gen_ai.usage.cost.amount` as the cost plugin writes it; there is no `sluice.cost.usd`),
//! `any_of` (e.g. risky `gen_ai.tool.name`s), `error` and `latency_above_ms`. Attributes are the
//! record's (`scope = "resource"` for the resource's); arrays are not carried in columns, so
//! `contains` finds array elements among the string leaves of record attributes only (a
//! resource attribute must be a string for it).
//!
//! `error` matches the span's own status code (the host's intrinsic field `@status.code`),
//! `error.type` or `exception.type` present, `otel.status_code = ERROR`, and (unless
//! `texts = false`, which saves reading every string of the rows) a non-empty status message
//! or an `exception` span event. `latency_above_ms` needs `time.start_attribute` and
//! `time.end_attribute`: `"@start_time_unix_nano"` and `"@time_unix_nano"` are the span's own
//! times.
//!
//! # Memory across batches
//!
//! Decided traces (picked, or refused by a budget) are remembered by trace id in a bounded LRU
//! (`memory.traces`, default 65,536; least recently seen forgotten first), so the spans of a
//! picked trace that arrive in later batches are picked too, with the same reason and weight,
//! and a budget refusal stays a refusal. This is not whole-trace buffering (a host feature):
//! spans of a trace that went by *before* a later rule match are not picked retroactively, and
//! a trace not picked by rate in one batch may be picked in a later one if a span of a
//! higher-rate stratum arrives then. The memory is per plugin instance, and the host runs one
//! instance per worker thread: with several workers, a trace's later batches may meet another
//! instance. Run `runtime.workers = 1` when that matters (and for byte-identical replays).
//!
//! # Budgets
//!
//! With `budget.rate_per_minute` / `budget.rule_per_minute`, each tenant (missing tenant: the
//! empty name) has a token bucket per kind of pick (size `*_burst`, default one minute's
//! worth), charged once per newly picked trace; a trace its bucket refuses is not marked. A
//! refused rate pick may still be taken by a matching rule under the rule budget. Buckets
//! refill by record time, so replaying a file gives the same picks. At most
//! `budget.max_tenants` tenants have buckets; the least recently seen is forgotten first and
//! comes back with full buckets. Budgets are per instance too (see above). The weight is the
//! design weight 1 / rate: budget refusals are not accounted for in it. Each refused trace is
//! counted once through the contract's `count` (`sluice_plugin_events_total{event =
//! "budget_exhausted", tenant, kind = "rate"|"rule"}`); the host counts the picks themselves
//! from the marks (`sluice_eval_picked_records_total`, `sluice_eval_picked_traces_total`).
//!
//! # Time
//!
//! A record's time is read from `time.end_attribute`, else `time.start_attribute` (int Unix
//! nanoseconds, a numeric string, or an RFC 3339 string): `"@time_unix_nano"` is the host's
//! intrinsic field for a span's end time, a log's time or a point's time, and
//! `"@start_time_unix_nano"` a span's start; a trace's time is the latest of its rows in the
//! batch. Likewise `attributes.tracestate = "@trace_state"` reads the span's own W3C
//! tracestate. Without one,
//! the wall clock is used when `time.clock = true` (which needs the stage's `grants.clock`;
//! replays then differ), else the latest time this instance has seen. Time windows and budgets
//! are refused at init without a time source.
//!
//! ```toml
//! destination = "evals"
//! rate = 0.01
//! [rates.tenant]
//! acme = 0.05
//! [rates.model]
//! "gpt-4o*" = 0.02
//! [[overrides]]
//! prompt_version = "summarize@v8"
//! rate = 1.0
//! until = "2025-07-01T00:00:00Z"
//! [[rules]]
//! name = "error"
//! error = true
//! [[rules]]
//! name = "thumbs_down"
//! attribute = "user.feedback"
//! equals = "thumbs_down"
//! [budget]
//! rate_per_minute = 600
//! rule_per_minute = 120
//! [time]
//! start_attribute = "sluice.start_time_unix_nano"
//! end_attribute = "sluice.end_time_unix_nano"
//! ```

pub mod config;
pub mod decide;
pub mod rules;
pub mod state;

use config::Settings;
use decide::{kept, randomness, tracestate_rv};
use rules::{
    ERROR_TYPE, EXCEPTION_TYPE, Evidence, OTEL_STATUS_CODE, STATUS_CODE, TextFacts, text_of,
};
use sluice_plugin_sdk::{
    Batch, Column, Destination, Info, Key, Plugin, Scope, Signal, export_plugin,
};
pub use state::Reason;
use state::{Budgets, Kind, Lru, Memo};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Attribute marking a picked record.
pub const SAMPLED: &str = "sluice.eval.sampled";
/// Attribute saying why: `rate` or `rule:<name>`.
pub const REASON: &str = "sluice.eval.reason";
/// Attribute with the record's weight: 1 / rate for rate picks, 1 for rule picks.
pub const WEIGHT: &str = "sluice.eval.weight";

/// The plugin.
pub struct EvalSample {
    settings: Settings,
    state: State,
}

/// What the plugin remembers between batches: decided traces, budgets, the latest time.
#[derive(Debug)]
pub struct State {
    memory: Lru<[u8; 16], Memo>,
    budgets: Budgets,
    /// The latest record time seen (Unix ns): the time of records that carry none.
    latest: Option<i64>,
    /// Traces a budget refused since the last [`State::take_refused`], by tenant and kind.
    refused: std::collections::BTreeMap<(String, &'static str), u64>,
}

/// What a pick of one trace (or of one record outside a trace) decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// Why.
    pub reason: Reason,
    /// 1 / rate, or 1.
    pub weight: f64,
}

/// The rows of one trace in the batch (or one row outside any trace).
struct Unit {
    trace: Option<[u8; 16]>,
    rows: Vec<u32>,
}

/// A time attribute's value as Unix nanoseconds.
fn time_of(column: Option<&Column>, row: u32) -> Option<i64> {
    let c = column?;
    if let Some(i) = c.int(row) {
        return (i > 0).then_some(i);
    }
    let s = c.str(row)?.trim();
    match s.parse::<i64>() {
        Ok(i) => (i > 0).then_some(i),
        Err(_) => decide::parse_rfc3339(s),
    }
}

/// The wall clock in Unix ns; `None` when it reads zero (a plugin without `grants.clock`).
fn wall_clock() -> Option<i64> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    i64::try_from(d.as_nanos()).ok().filter(|t| *t > 0)
}

/// The names of the destinations the host has, when it can tell (inside Wasm).
#[cfg(target_arch = "wasm32")]
fn host_destinations() -> Vec<Destination> {
    sluice_plugin_sdk::guest::bindings::sluice::plugin::batch::destinations()
        .into_iter()
        .map(|d| Destination {
            name: d.name,
            region: d.region,
            third_party: d.third_party,
            retains: d.retains,
        })
        .collect()
}

#[cfg(not(target_arch = "wasm32"))]
fn host_destinations() -> Vec<Destination> {
    Vec::new()
}

impl EvalSample {
    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The state kept between batches.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Refuses an eval destination the host does not have (an empty list: nothing to check).
    pub fn check_destination(&self, configured: &[Destination]) -> Result<(), String> {
        let name = &self.settings.destination;
        if configured.is_empty() || configured.iter().any(|d| &d.name == name) {
            return Ok(());
        }
        let known: Vec<&str> = configured.iter().map(|d| d.name.as_str()).collect();
        Err(format!(
            "eval-sample: destination: `{name}` is not a configured destination (configured: {})",
            known.join(", ")
        ))
    }
}

impl Settings {
    /// The rate of a record whose strata are `values` (in [`config::DIMENSIONS`] order) at `time`.
    pub fn rate_for(&self, values: &[Option<Cow<'_, str>>; 5], time: Option<i64>) -> f64 {
        for o in &self.overrides {
            let all = o.matches.iter().zip(values).all(|(m, v)| match (m, v) {
                (None, _) => true,
                (Some(p), Some(v)) => p.matches(v),
                (Some(_), None) => false,
            });
            if all && o.active(time) {
                return o.rate;
            }
        }
        for (table, value) in self.tables.iter().zip(values) {
            if let Some(rate) = value.as_deref().and_then(|v| table.get(v)) {
                return rate;
            }
        }
        self.rate
    }
}

impl State {
    /// Empty memory and full budgets, as the settings size them.
    pub fn new(settings: &Settings) -> Self {
        State {
            memory: Lru::new(settings.memory),
            budgets: Budgets::new(
                settings.rate_budget,
                settings.rule_budget,
                settings.max_tenants,
            ),
            latest: None,
            refused: Default::default(),
        }
    }

    /// The decision for one trace (or one record outside a trace, `trace` = `None`), given
    /// the rate its randomness passes (if it does), the first rule a row matched, its tenant
    /// and time; updates the memory and the budgets.
    pub fn decide(
        &mut self,
        trace: Option<[u8; 16]>,
        rate_pass: Option<f64>,
        rule: Option<u16>,
        tenant: &str,
        time: i64,
    ) -> Option<Pick> {
        let mut memo = trace
            .and_then(|t| self.memory.get(&t).copied())
            .unwrap_or_default();
        if let Some((reason, weight)) = memo.picked {
            return Some(Pick { reason, weight });
        }
        let before = memo;
        let mut pick = None;
        if let Some(rate) = rate_pass
            && !memo.rate_refused
        {
            if self.budgets.take(tenant, Kind::Rate, time) {
                pick = Some(Pick {
                    reason: Reason::Rate,
                    weight: 1.0 / rate,
                });
            } else {
                memo.rate_refused = true;
                *self
                    .refused
                    .entry((tenant.to_string(), "rate"))
                    .or_default() += 1;
            }
        }
        if pick.is_none()
            && let Some(r) = rule
            && !memo.rule_refused
        {
            if self.budgets.take(tenant, Kind::Rule, time) {
                pick = Some(Pick {
                    reason: Reason::Rule(r),
                    weight: 1.0,
                });
            } else {
                memo.rule_refused = true;
                *self
                    .refused
                    .entry((tenant.to_string(), "rule"))
                    .or_default() += 1;
            }
        }
        memo.picked = pick.map(|p| (p.reason, p.weight));
        if let Some(t) = trace
            && memo != before
        {
            self.memory.insert(t, memo);
        }
        pick
    }

    /// The budget refusals counted since the last call: ((tenant, kind), traces).
    pub fn take_refused(&mut self) -> std::collections::BTreeMap<(String, &'static str), u64> {
        std::mem::take(&mut self.refused)
    }

    /// Whether the trace is remembered as picked.
    pub fn remembered(&self, trace: &[u8; 16]) -> Option<Pick> {
        let (reason, weight) = self.memory.peek(trace)?.picked?;
        Some(Pick { reason, weight })
    }

    /// Traces remembered.
    pub fn remembered_traces(&self) -> usize {
        self.memory.len()
    }

    /// Tenants with budget buckets.
    pub fn budget_tenants(&self) -> usize {
        self.budgets.tenants()
    }
}

/// The columns a batch has, read once each.
struct Columns {
    map: HashMap<Key, Column>,
}

impl Columns {
    fn read(batch: &Batch<'_>, wanted: Vec<Key>) -> Columns {
        let present =
            |scope| -> HashSet<String> { batch.keys(scope).iter().map(str::to_string).collect() };
        let (record, resource) = (present(Scope::Record), present(Scope::Resource));
        let mut map = HashMap::new();
        for key in wanted {
            let has = match key.scope {
                // Intrinsic fields (`@status.code`, ...) are never listed by `keys`.
                Scope::Record => key.name.starts_with('@') || record.contains(&key.name),
                Scope::Resource => resource.contains(&key.name),
                Scope::InstrumentationScope => false,
            };
            if has && !map.contains_key(&key) {
                let column = batch.column(&key);
                map.insert(key, column);
            }
        }
        Columns { map }
    }

    fn get(&self, key: &Key) -> Option<&Column> {
        self.map.get(key)
    }
}

impl Plugin for EvalSample {
    fn init(config: &str) -> Result<Self, String> {
        let settings = config::parse(config)
            .and_then(config::Config::compile)
            .map_err(|e| format!("eval-sample: {e}"))?;
        if settings.time.clock && wall_clock().is_none() {
            return Err(
                "eval-sample: time.clock: the plugin's clock reads zero: grant it with `grants.clock = true` on this stage"
                    .into(),
            );
        }
        let plugin = EvalSample {
            state: State::new(&settings),
            settings,
        };
        plugin.check_destination(&host_destinations())?;
        Ok(plugin)
    }

    fn info(&self) -> Info {
        Info::new("eval-sample", "0.2.0", &[Signal::Span, Signal::Log])
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let n = batch.len();
        if n == 0 {
            return Ok(());
        }
        let ids = batch.trace_ids();

        // Group rows into traces, in first-seen order; rows outside a trace stand alone.
        let mut units: Vec<Unit> = Vec::new();
        let mut by_trace: HashMap<[u8; 16], usize> = HashMap::new();
        for (row, id) in ids.iter().enumerate() {
            let row = row as u32;
            if *id == [0; 16] {
                units.push(Unit {
                    trace: None,
                    rows: vec![row],
                });
                continue;
            }
            let i = *by_trace.entry(*id).or_insert_with(|| {
                units.push(Unit {
                    trace: Some(*id),
                    rows: Vec::new(),
                });
                units.len() - 1
            });
            units[i].rows.push(row);
        }
        // Traces remembered as picked need no evaluation.
        let decided: Vec<bool> = units
            .iter()
            .map(|u| u.trace.is_some_and(|t| self.state.remembered(&t).is_some()))
            .collect();

        let s = &self.settings;
        let state = &mut self.state;
        let a = &s.attributes;
        let dim_names = [&a.prompt_version, &a.feature, &a.route, &a.model];
        let mut wanted = vec![Key::resource(a.tenant.as_str())];
        for name in dim_names {
            wanted.push(Key::record(name.as_str()));
            wanted.push(Key::resource(name.as_str()));
        }
        if let Some(t) = &a.tracestate {
            wanted.push(Key::record(t.as_str()));
        }
        for t in [&s.time.start_attribute, &s.time.end_attribute]
            .into_iter()
            .flatten()
        {
            wanted.push(Key::record(t.as_str()));
        }
        for r in &s.rules {
            wanted.extend(r.key.clone());
            if matches!(r.condition, rules::Condition::Error { .. }) {
                for name in [ERROR_TYPE, EXCEPTION_TYPE, OTEL_STATUS_CODE, STATUS_CODE] {
                    wanted.push(Key::record(name));
                }
            }
        }
        let columns = Columns::read(batch, wanted);
        let record_time = |name: &Option<String>| -> Vec<Option<i64>> {
            let c = name
                .as_ref()
                .and_then(|n| columns.get(&Key::record(n.as_str())));
            (0..n).map(|r| time_of(c, r)).collect()
        };
        let (start, end) = (
            record_time(&s.time.start_attribute),
            record_time(&s.time.end_attribute),
        );

        // String leaves, only for rows whose rules need them.
        let mut texts_rows = Vec::new();
        for (u, unit) in units.iter().enumerate() {
            if decided[u] {
                continue;
            }
            for &row in &unit.rows {
                let needs = s
                    .rules
                    .iter()
                    .any(|r| r.needs_texts(r.key.as_ref().and_then(|k| columns.get(k)), row));
                if needs {
                    texts_rows.push(row);
                }
            }
        }
        let facts = if texts_rows.is_empty() {
            TextFacts::default()
        } else {
            TextFacts::scan(&batch.texts(&texts_rows)?, &s.rules, n)
        };
        let evidence = Evidence {
            columns: &columns.map,
            texts: &facts,
            start: &start,
            end: &end,
        };

        let tenants = columns.get(&Key::resource(a.tenant.as_str()));
        let tracestates = a
            .tracestate
            .as_ref()
            .and_then(|t| columns.get(&Key::record(t.as_str())));
        let dims: Vec<(Option<&Column>, Option<&Column>)> = dim_names
            .iter()
            .map(|name| {
                (
                    columns.get(&Key::record(name.as_str())),
                    columns.get(&Key::resource(name.as_str())),
                )
            })
            .collect();
        let now = if s.time.clock { wall_clock() } else { None };

        let mut picks: Vec<(usize, Pick)> = Vec::new();
        for (u, unit) in units.iter().enumerate() {
            let time = unit
                .rows
                .iter()
                .filter_map(|&r| end[r as usize].or(start[r as usize]))
                .max();
            if let Some(t) = time {
                state.latest = Some(state.latest.map_or(t, |l| l.max(t)));
            }
            let time = time.or(now).or(state.latest);
            // The smallest tenant name, so the answer does not depend on row order.
            let tenant = unit
                .rows
                .iter()
                .filter_map(|&r| tenants.and_then(|c| c.str(r)))
                .min()
                .unwrap_or("");
            if decided[u] {
                let trace = unit.trace.unwrap_or_default();
                if let Some(p) = state.decide(Some(trace), None, None, tenant, time.unwrap_or(0)) {
                    picks.push((u, p));
                }
                continue;
            }
            let mut rule = None;
            let mut rate: f64 = 0.0;
            for &row in &unit.rows {
                if rule != Some(0) {
                    let limit = rule.map_or(s.rules.len(), usize::from);
                    if let Some(i) = (0..limit).find(|&i| s.rules[i].matches(i, row, &evidence)) {
                        rule = Some(i as u16);
                    }
                }
                if unit.trace.is_some() {
                    let mut values: [Option<Cow<'_, str>>; 5] = Default::default();
                    for (d, (record, resource)) in dims.iter().enumerate() {
                        values[d] = record
                            .and_then(|c| text_of(c, row))
                            .or_else(|| resource.and_then(|c| text_of(c, row)));
                    }
                    values[4] = tenants.and_then(|c| text_of(c, row));
                    rate = rate.max(s.rate_for(&values, time));
                }
            }
            let rate_pass = unit.trace.and_then(|trace| {
                let rv = unit
                    .rows
                    .iter()
                    .find_map(|&r| tracestates.and_then(|c| c.str(r)).and_then(tracestate_rv))
                    .unwrap_or_else(|| randomness(&trace, s.seed));
                (rate > 0.0 && kept(rv, rate)).then_some(rate)
            });
            if let Some(p) = state.decide(unit.trace, rate_pass, rule, tenant, time.unwrap_or(0)) {
                picks.push((u, p));
            }
        }
        // Budget exhaustion, for the host's metrics (the picks themselves it counts from the
        // marks). A tenant id too long for a label value is counted as `other`.
        for ((tenant, kind), n) in state.take_refused() {
            let tenant = if tenant.len() <= 128 {
                tenant.as_str()
            } else {
                "other"
            };
            batch.count("budget_exhausted", &[("tenant", tenant), ("kind", kind)], n)?;
        }
        if picks.is_empty() {
            return Ok(());
        }

        let (mut sampled, mut reason, mut weight) = (
            batch.column_builder(),
            batch.column_builder(),
            batch.column_builder(),
        );
        let mut rows = Vec::new();
        for (u, pick) in picks {
            let why: &str = match pick.reason {
                Reason::Rate => "rate",
                Reason::Rule(i) => &s.rules[usize::from(i)].reason,
            };
            for &row in &units[u].rows {
                sampled.set_bool(row, true);
                reason.set_str(row, why);
                weight.set_double(row, pick.weight);
                rows.push(row);
            }
        }
        rows.sort_unstable();
        batch.set_column(&Key::record(SAMPLED), sampled.finish())?;
        batch.set_column(&Key::record(REASON), reason.finish())?;
        batch.set_column(&Key::record(WEIGHT), weight.finish())?;
        batch.add_destination(&rows, &s.destination)
    }
}

export_plugin!(EvalSample);

#[cfg(test)]
mod tests;
