//! The eval sampler compiled natively, run on the host's real batch view (`BatchState`, the
//! same `RecordsApi` the Wasm boundary serves) over OTLP prost payloads: rates per stratum
//! over many traces, determinism across instances, `tracestate` randomness, rules picking
//! whole traces across batches and signals, budgets, and residency denials winning.
//!
//! Everything is deterministic: trace ids come from a fixed-seed generator, and time from a
//! record attribute, never the clock.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::Event;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use sluice::config::Config;
use sluice::otlp::Payload;
use sluice::pipeline::BatchState;
use sluice::router::Destinations;
use sluice_plugin_eval_sample::decide::{kept, mix, randomness};
use sluice_plugin_eval_sample::{EvalSample, REASON, SAMPLED, WEIGHT};
use sluice_plugin_sdk::{Batch, Plugin, RecordsApi};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const TIME: &str = "sluice.end_time_unix_nano";
const MINUTE: i64 = 60_000_000_000;
/// 2025-07-01T00:00:00Z.
const T0: i64 = 1_751_328_000_000_000_000;

fn destinations() -> Arc<Destinations> {
    let config: Config = toml::from_str(
        "[[destinations]]\nname = \"main\"\ntype = \"discard\"\n[[destinations]]\nname = \"evals\"\ntype = \"discard\"\n[routing]\ndefault = [\"main\"]\n",
    )
    .unwrap();
    Arc::new(Destinations::from_config(&config))
}

fn plugin(config: &str) -> EvalSample {
    EvalSample::init(&format!("destination = \"evals\"\n{config}")).unwrap()
}

/// Trace id `n` of a fixed-seed sequence: every bit pseudo-random.
fn trace_id(n: u64) -> [u8; 16] {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&mix(0x5eed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_be_bytes());
    id[8..].copy_from_slice(&mix(!n).to_be_bytes());
    id
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(key: &str, v: &str) -> KeyValue {
    kv(key, Value::StringValue(v.into()))
}

fn int(key: &str, v: i64) -> KeyValue {
    kv(key, Value::IntValue(v))
}

fn strings(key: &str, v: &[&str]) -> KeyValue {
    let values = v
        .iter()
        .map(|x| AnyValue {
            value: Some(Value::StringValue(x.to_string())),
        })
        .collect();
    kv(key, Value::ArrayValue(ArrayValue { values }))
}

fn span(trace: [u8; 16], n: u64, attributes: Vec<KeyValue>) -> Span {
    Span {
        trace_id: trace.to_vec(),
        span_id: mix(n ^ 0xabc).to_be_bytes().to_vec(),
        name: "op".into(),
        attributes,
        ..Default::default()
    }
}

/// A traces payload: one resource per tenant (first-seen order), spans in order.
fn traces(spans: Vec<(&str, Span)>) -> Payload {
    let mut by_tenant: Vec<(&str, Vec<Span>)> = Vec::new();
    for (tenant, span) in spans {
        match by_tenant.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, list)) => list.push(span),
            None => by_tenant.push((tenant, vec![span])),
        }
    }
    let resource_spans = by_tenant
        .into_iter()
        .map(|(tenant, spans)| ResourceSpans {
            resource: Some(Resource {
                attributes: vec![s("tenant.id", tenant)],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    Payload::Traces(ExportTraceServiceRequest { resource_spans })
}

/// One row of a processed batch.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    trace: [u8; 16],
    tenant: String,
    attrs: BTreeMap<String, Value>,
    /// Routed to `evals`.
    evals: bool,
}

impl Row {
    fn sampled(&self) -> bool {
        self.attrs.get(SAMPLED) == Some(&Value::BoolValue(true))
    }

    fn reason(&self) -> Option<&str> {
        match self.attrs.get(REASON) {
            Some(Value::StringValue(s)) => Some(s),
            _ => None,
        }
    }

    fn weight(&self) -> Option<f64> {
        match self.attrs.get(WEIGHT) {
            Some(Value::DoubleValue(d)) => Some(*d),
            _ => None,
        }
    }

    fn attr(&self, key: &str) -> Option<&str> {
        match self.attrs.get(key) {
            Some(Value::StringValue(s)) => Some(s),
            _ => None,
        }
    }

    /// A pick is all of: the marks, and the route to `evals`.
    fn picked(&self) -> bool {
        assert_eq!(
            self.sampled(),
            self.evals,
            "marked and routed disagree: {self:?}"
        );
        assert_eq!(self.sampled(), self.reason().is_some());
        assert_eq!(self.sampled(), self.weight().is_some());
        self.sampled()
    }
}

fn attrs_of(list: &[KeyValue]) -> BTreeMap<String, Value> {
    list.iter()
        .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?.value?)))
        .collect()
}

/// Runs the plugin over a payload as the chain does (commit on success), after `before`
/// (e.g. a residency denial) has been committed, and lists the rows in payload order.
fn run_with(
    plugin: &mut EvalSample,
    payload: Payload,
    before: impl FnOnce(&mut BatchState),
) -> Vec<Row> {
    let dests = destinations();
    let evals = dests.index("evals").unwrap();
    let mut state = BatchState::new(payload, dests);
    before(&mut state);
    state.commit();
    plugin.process(&mut Batch::new(&mut state)).unwrap();
    state.commit();
    let out = state.finish();
    let mut masks = out.masks.iter();
    let mut rows = Vec::new();
    let mut push = |trace: &[u8], tenant: &str, attrs: &[KeyValue]| {
        let mask = masks.next().expect("one mask per row");
        rows.push(Row {
            trace: trace.try_into().unwrap_or([0; 16]),
            tenant: tenant.into(),
            attrs: attrs_of(attrs),
            evals: mask & (1 << evals) != 0,
        });
    };
    let tenant_of = |r: &Option<Resource>| {
        r.as_ref()
            .and_then(|r| attrs_of(&r.attributes).remove("tenant.id"))
            .map(|v| match v {
                Value::StringValue(s) => s,
                _ => String::new(),
            })
            .unwrap_or_default()
    };
    match &out.payload {
        Payload::Traces(t) => {
            for rs in &t.resource_spans {
                let tenant = tenant_of(&rs.resource);
                for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                    push(&span.trace_id, &tenant, &span.attributes);
                }
            }
        }
        Payload::Logs(l) => {
            for rl in &l.resource_logs {
                let tenant = tenant_of(&rl.resource);
                for log in rl.scope_logs.iter().flat_map(|s| &s.log_records) {
                    push(&log.trace_id, &tenant, &log.attributes);
                }
            }
        }
        Payload::Metrics(_) => unreachable!(),
    }
    rows
}

fn run(plugin: &mut EvalSample, payload: Payload) -> Vec<Row> {
    run_with(plugin, payload, |_| {})
}

/// A stratum of the rate test: its name, rate, relative tolerance, and a function adding its
/// attributes to a span and returning its tenant.
type Stratum = (
    &'static str,
    f64,
    f64,
    fn(&mut Vec<KeyValue>) -> &'static str,
);

#[test]
fn the_picked_fraction_matches_each_strata_rate_over_100k_traces() {
    // Four strata of 100,000 single-span traces each, chosen by prompt version, feature, model
    // and tenant (each the most specific stratum its spans carry), in batches of 2,000.
    //
    // The tolerance: the number picked of n traces at rate p is Binomial(n, p) (the trace
    // ids are uniformly random, so their low 56 bits are), with relative standard deviation
    // sqrt((1 - p) / (n p)). At n = 100,000 that is 0.11 % at p = 0.9, 0.16 % at 0.8 and
    // 0.23 % at 0.65, so a 1 % relative tolerance is 9.5, 6.3 and 4.3 standard deviations:
    // a correct sampler fails it with probability below 2e-5 for any seed, and a sampler off
    // by 1 % fails it. At p = 0.05 the relative deviation is 1.38 %, so 1 % cannot be asked
    // of 100,000 traces; it gets 4 standard deviations (5.5 %) instead.
    let config = concat!(
        "rate = 0.0\n",
        "[rates.prompt_version]\n\"summarize@v8\" = 0.9\n",
        "[rates.feature]\nsupport = 0.8\n",
        "[rates.model]\n\"gpt-4o*\" = 0.65\n",
        "[rates.tenant]\nsmall = 0.05\n",
    );
    let strata: [Stratum; 4] = [
        ("prompt_version", 0.9, 0.01, |a| {
            a.push(s("app.prompt_version", "summarize@v8"));
            a.push(s("app.feature", "support"));
            "acme"
        }),
        ("feature", 0.8, 0.01, |a| {
            a.push(s("app.feature", "support"));
            a.push(s("gen_ai.request.model", "gpt-4o-mini"));
            "acme"
        }),
        ("model", 0.65, 0.01, |a| {
            a.push(s("gen_ai.request.model", "gpt-4o-2024-08-06"));
            "small"
        }),
        ("tenant", 0.05, 0.055, |_| "small"),
    ];
    let mut p = plugin(config);
    const N: u64 = 100_000;
    for (k, (name, rate, tolerance, attrs)) in strata.iter().enumerate() {
        let (mut picked, mut seen) = (0u64, 0u64);
        for chunk in 0..(N / 2_000) {
            let spans = (0..2_000)
                .map(|i| {
                    let n = (k as u64) * N + chunk * 2_000 + i;
                    let mut a = Vec::new();
                    let tenant = attrs(&mut a);
                    (tenant, span(trace_id(n), n, a))
                })
                .collect();
            for row in run(&mut p, traces(spans)) {
                seen += 1;
                if row.picked() {
                    picked += 1;
                    assert_eq!(row.reason(), Some("rate"));
                    assert_eq!(row.weight(), Some(1.0 / rate));
                }
            }
        }
        assert_eq!(seen, N);
        let fraction = picked as f64 / N as f64;
        let error = (fraction - rate).abs() / rate;
        assert!(
            error <= *tolerance,
            "stratum {name}: picked {picked} of {N} = {fraction}, rate {rate}, relative error {error}"
        );
    }
}

/// A mixed workload for determinism checks: 3-span traces across tenants and strata, some
/// matching a rule.
fn workload(traces_n: u64) -> Vec<(&'static str, Span)> {
    let tenants = ["acme", "globex", "initech"];
    let mut spans = Vec::new();
    for t in 0..traces_n {
        let id = trace_id(1_000_000 + t);
        let tenant = tenants[(mix(t) % 3) as usize];
        spans.push((tenant, span(id, 3 * t, vec![s("http.route", "/chat")])));
        let mut llm = vec![s("gen_ai.request.model", "gpt-4o")];
        if mix(t ^ 77).is_multiple_of(50) {
            llm.push(s("user.feedback", "thumbs_down"));
        }
        spans.push((tenant, span(id, 3 * t + 1, llm)));
        spans.push((
            tenant,
            span(id, 3 * t + 2, vec![s("app.feature", "search")]),
        ));
    }
    spans
}

const MIXED: &str = concat!(
    "rate = 0.02\n",
    "[rates.route]\n\"/chat\" = 0.1\n",
    "[rates.model]\n\"gpt-4o\" = 0.2\n",
    "[rates.tenant]\nglobex = 0.5\n",
    "[[rules]]\nname = \"thumbs_down\"\nattribute = \"user.feedback\"\nequals = \"thumbs_down\"\n",
);

/// Picks by trace id: (reason, weight).
fn picks(rows: &[Row]) -> BTreeMap<[u8; 16], (String, u64)> {
    let mut out = BTreeMap::new();
    for r in rows.iter().filter(|r| r.picked()) {
        let pick = (
            r.reason().unwrap().to_string(),
            r.weight().unwrap().to_bits(),
        );
        let previous = out.insert(r.trace, pick.clone());
        assert!(previous.is_none_or(|p| p == pick), "one decision per trace");
    }
    out
}

#[test]
fn two_independent_instances_give_every_trace_the_same_decision() {
    for seed in ["", "seed = 42\n"] {
        let spans = workload(6_000);
        // Instance A: batches of 1,500 spans in order.
        let mut a = plugin(&format!("{seed}{MIXED}"));
        let mut rows_a = Vec::new();
        for chunk in spans.chunks(1_500) {
            rows_a.extend(run(&mut a, traces(chunk.to_vec())));
        }
        // Instance B, initialised separately: whole traces in reverse order, odd batch size.
        let mut b = plugin(&format!("{seed}{MIXED}"));
        let mut reversed: Vec<_> = spans.chunks(3).rev().flatten().cloned().collect();
        let mut rows_b = Vec::new();
        while !reversed.is_empty() {
            let rest = reversed.split_off(reversed.len().min(1_002));
            rows_b.extend(run(&mut b, traces(std::mem::replace(&mut reversed, rest))));
        }
        let (pa, pb) = (picks(&rows_a), picks(&rows_b));
        assert_eq!(pa, pb, "seed config {seed:?}");
        // Whole traces: every span of a picked trace is picked.
        let per_trace = rows_a.iter().fold(HashMap::new(), |mut m, r| {
            *m.entry(r.trace).or_insert(0) += usize::from(r.sampled());
            m
        });
        assert!(per_trace.values().all(|n| *n == 0 || *n == 3));
        // The rate of a trace is the highest of its spans' strata: globex 0.5, else model 0.2.
        for (trace, (reason, weight)) in &pa {
            let tenant = &rows_a.iter().find(|r| r.trace == *trace).unwrap().tenant;
            let rate = if tenant == "globex" { 0.5 } else { 0.2 };
            if reason == "rate" {
                assert_eq!(f64::from_bits(*weight), 1.0 / rate);
                let rv = randomness(trace, if seed.is_empty() { None } else { Some(42) });
                assert!(kept(rv, rate));
            } else {
                assert_eq!(
                    (reason.as_str(), f64::from_bits(*weight)),
                    ("rule:thumbs_down", 1.0)
                );
            }
        }
        assert!(pa.values().any(|(r, _)| r == "rate") && pa.values().any(|(r, _)| r != "rate"));
    }
}

#[test]
fn tracestate_randomness_is_honoured_over_the_trace_id() {
    let mut p = plugin(concat!(
        "rate = 0.5\nseed = 9\n",
        "[attributes]\ntracestate = \"sluice.tracestate\"\n",
        "[rates.feature]\nrare = 0.001\nusual = 0.999\n",
    ));
    let ts = |v: &str| s("sluice.tracestate", v);
    let feature = |v: &str| s("app.feature", v);
    let spans = vec![
        // rv = max: kept at 0.1 %; the trace's other span has no tracestate but shares it.
        (
            "t",
            span(
                trace_id(1),
                1,
                vec![ts("ot=rv:ffffffffffffff"), feature("rare")],
            ),
        ),
        ("t", span(trace_id(1), 2, vec![feature("rare")])),
        // rv = 0: dropped at 99.9 %, however its id hashes.
        (
            "t",
            span(
                trace_id(2),
                3,
                vec![ts("ot=th:0;rv:00000000000000"), feature("usual")],
            ),
        ),
        // rv = 2^55: exactly the threshold at 50 %, kept; below it at 0.1 %, dropped.
        (
            "t",
            span(trace_id(3), 4, vec![ts("vendor=a,ot=rv:80000000000000")]),
        ),
        (
            "t",
            span(
                trace_id(4),
                5,
                vec![ts("ot=rv:80000000000000"), feature("rare")],
            ),
        ),
        // An invalid rv is ignored: the seeded hash decides.
        ("t", span(trace_id(5), 6, vec![ts("ot=rv:xyz")])),
    ];
    let rows = run(&mut p, traces(spans));
    let got: Vec<bool> = rows.iter().map(Row::picked).collect();
    let hashed = kept(randomness(&trace_id(5), Some(9)), 0.5);
    assert_eq!(got, vec![true, true, false, true, false, hashed]);
    assert_eq!(rows[0].weight(), Some(1000.0));

    // Over many traces, the decision follows rv and not the id: give each trace an rv equal
    // to the inverted low bits of its id and compare with what the id alone would give.
    let mut p = plugin("rate = 0.3\n[attributes]\ntracestate = \"sluice.tracestate\"\n");
    let spans: Vec<_> = (0..4_000u64)
        .map(|n| {
            let id = trace_id(n);
            let rv = !randomness(&id, None) & ((1 << 56) - 1);
            ("t", span(id, n, vec![ts(&format!("ot=rv:{rv:014x}"))]))
        })
        .collect();
    let rows = run(&mut p, traces(spans));
    let mut disagree_with_id = 0;
    for row in &rows {
        let rv = !randomness(&row.trace, None) & ((1 << 56) - 1);
        assert_eq!(row.picked(), kept(rv, 0.3));
        disagree_with_id += usize::from(row.picked() != kept(randomness(&row.trace, None), 0.3));
    }
    assert!(disagree_with_id > 1_000, "{disagree_with_id}");
}

const RULES: &str = concat!(
    "rate = 0.0\n",
    "[[rules]]\nname = \"thumbs_down\"\nattribute = \"user.feedback\"\nequals = \"thumbs_down\"\n",
    "[[rules]]\nname = \"refusal\"\nattribute = \"gen_ai.response.finish_reasons\"\ncontains = \"content_filter\"\n",
    "[[rules]]\nname = \"error\"\nerror = true\n",
    "[[rules]]\nname = \"risky_tool\"\nattribute = \"gen_ai.tool.name\"\nany_of = [\"shell\", \"sql.execute\"]\n",
    "[[rules]]\nname = \"expensive\"\nattribute = \"gen_ai.usage.cost.amount\"\nabove = 0.5\n",
    "[[rules]]\nname = \"slow\"\nlatency_above_ms = 30000\n",
    "[time]\nstart_attribute = \"sluice.start_time_unix_nano\"\nend_attribute = \"sluice.end_time_unix_nano\"\n",
);

#[test]
fn rules_pick_whole_traces_in_the_batch_and_in_later_batches() {
    let mut p = plugin(RULES);
    let (a, b, c, d, e, f, g, quiet) = (
        trace_id(11),
        trace_id(12),
        trace_id(13),
        trace_id(14),
        trace_id(15),
        trace_id(16),
        trace_id(17),
        trace_id(18),
    );
    let mut exception = span(d, 7, vec![]);
    exception.events.push(Event {
        name: "exception".into(),
        attributes: vec![s("exception.message", "boom")],
        ..Default::default()
    });
    let mut status = span(e, 8, vec![]);
    status.status = Some(Status {
        message: "upstream 500".into(),
        code: 2,
    });
    let start = |t: i64| int("sluice.start_time_unix_nano", t);
    let end = |t: i64| int("sluice.end_time_unix_nano", t);
    let batch1 = vec![
        ("acme", span(a, 1, vec![s("http.route", "/chat")])),
        ("acme", span(a, 2, vec![s("user.feedback", "thumbs_down")])),
        ("acme", span(a, 3, vec![])),
        (
            "acme",
            span(quiet, 4, vec![s("user.feedback", "thumbs_up")]),
        ),
        // Arrays are not columns: the element is found among the string leaves.
        (
            "acme",
            span(
                b,
                5,
                vec![strings(
                    "gen_ai.response.finish_reasons",
                    &["stop", "content_filter"],
                )],
            ),
        ),
        ("acme", span(c, 6, vec![s("error.type", "timeout")])),
        ("acme", exception),
        ("acme", status),
        ("acme", span(f, 9, vec![s("gen_ai.tool.name", "shell")])),
        (
            "acme",
            span(
                g,
                10,
                vec![kv("gen_ai.usage.cost.amount", Value::DoubleValue(0.75))],
            ),
        ),
        (
            "acme",
            span(quiet, 11, vec![start(T0), end(T0 + 29_000_000_000)]),
        ),
        (
            "acme",
            span(
                quiet,
                12,
                vec![kv("gen_ai.usage.cost.amount", Value::DoubleValue(0.5))],
            ),
        ),
        (
            "acme",
            span(quiet, 13, vec![s("gen_ai.tool.name", "search")]),
        ),
    ];
    let rows = run(&mut p, traces(batch1));
    let reasons: Vec<Option<&str>> = rows
        .iter()
        .map(|r| r.picked().then(|| r.reason().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            Some("rule:thumbs_down"),
            Some("rule:thumbs_down"),
            Some("rule:thumbs_down"),
            None,
            Some("rule:refusal"),
            Some("rule:error"),
            Some("rule:error"),
            Some("rule:error"),
            Some("rule:risky_tool"),
            Some("rule:expensive"),
            None,
            None,
            None,
        ]
    );
    assert!(
        rows.iter()
            .filter(|r| r.sampled())
            .all(|r| r.weight() == Some(1.0))
    );

    // A later batch: trace a's late spans are picked with its reason, a new slow span picks
    // its trace, the quiet trace stays unpicked.
    let h = trace_id(19);
    let batch2 = vec![
        (
            "acme",
            span(a, 20, vec![s("gen_ai.request.model", "gpt-4o")]),
        ),
        ("acme", span(quiet, 21, vec![])),
        (
            "acme",
            span(h, 22, vec![start(T0), end(T0 + 30_001_000_000)]),
        ),
        ("acme", span(h, 23, vec![])),
    ];
    let rows = run(&mut p, traces(batch2));
    let reasons: Vec<Option<&str>> = rows
        .iter()
        .map(|r| r.picked().then(|| r.reason().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            Some("rule:thumbs_down"),
            None,
            Some("rule:slow"),
            Some("rule:slow")
        ]
    );

    // Logs of a picked trace are picked too; a log outside any trace is picked by a rule alone.
    let log = |trace: Option<[u8; 16]>, attributes| LogRecord {
        trace_id: trace.map(|t| t.to_vec()).unwrap_or_default(),
        attributes,
        ..Default::default()
    };
    let logs = Payload::Logs(ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![s("tenant.id", "acme")],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    log(Some(b), vec![]),
                    log(Some(quiet), vec![]),
                    log(None, vec![s("user.feedback", "thumbs_down")]),
                    log(None, vec![s("exception.type", "ValueError")]),
                    log(None, vec![]),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    });
    let rows = run(&mut p, logs);
    let reasons: Vec<Option<&str>> = rows
        .iter()
        .map(|r| r.picked().then(|| r.reason().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            Some("rule:refusal"),
            None,
            Some("rule:thumbs_down"),
            Some("rule:error"),
            None
        ]
    );
}

#[test]
fn a_budget_caps_a_spiking_tenant_while_another_keeps_its_rate() {
    // Rate 50 %, at most 100 rate picks per tenant per minute. Over 10 minutes `spiky` sends
    // 5,000 traces a minute (about 2,500 pass the rate each minute), `steady` 100 a minute
    // (about 50 pass). Both tenants share every batch; time comes from the records.
    let mut p = plugin(concat!(
        "rate = 0.5\n",
        "[budget]\nrate_per_minute = 100\n",
        "[time]\nend_attribute = \"sluice.end_time_unix_nano\"\n",
    ));
    let mut n = 0u64;
    let mut rows = Vec::new();
    for minute in 0..10i64 {
        // Ten batches a minute, each 500 spiky and 10 steady single-span traces.
        for tick in 0..10i64 {
            let t = T0 + minute * MINUTE + tick * MINUTE / 10;
            let mut spans = Vec::new();
            for i in 0..510 {
                n += 1;
                let tenant = if i % 51 == 50 { "steady" } else { "spiky" };
                spans.push((tenant, span(trace_id(n), n, vec![int(TIME, t + i)])));
            }
            rows.extend(run(&mut p, traces(spans)));
        }
    }
    let count = |tenant: &str, f: &dyn Fn(&Row) -> bool| {
        rows.iter().filter(|r| r.tenant == tenant && f(r)).count()
    };
    let passes = |r: &Row| kept(randomness(&r.trace, None), 0.5);
    assert_eq!(count("spiky", &|_| true), 50_000);
    assert_eq!(count("steady", &|_| true), 1_000);
    // spiky: a full bucket of 100 at the start, then 100 a minute over 9.9 minutes.
    let spiky = count("spiky", &|r| r.picked());
    assert!((1_000..=1_090).contains(&spiky), "spiky picked {spiky}");
    assert!(count("spiky", &passes) > 24_000);
    // Only traces that pass the rate are picked, and a refused trace is not marked.
    assert!(rows.iter().all(|r| !r.picked() || passes(r)));
    assert!(
        rows.iter()
            .filter(|r| !r.sampled())
            .all(|r| r.reason().is_none())
    );
    // steady is never refused: exactly its traces that pass the rate are picked.
    assert_eq!(count("steady", &|r| r.picked()), count("steady", &passes));
    assert_eq!(p.state().budget_tenants(), 2);
}

#[test]
fn a_residency_denial_wins_over_a_pick() {
    let mut p = plugin("rate = 1.0\n");
    let spans = vec![
        ("eu-only", span(trace_id(1), 1, vec![])),
        ("anyone", span(trace_id(2), 2, vec![])),
    ];
    // What the residency plugin does before the sampler: deny `evals` for the first row.
    let rows = run_with(&mut p, traces(spans), |state| {
        state.deny_destination(&[0], "evals").unwrap();
    });
    // Both are marked (the sampler picked them), only the second reaches `evals`.
    assert!(rows[0].sampled() && !rows[0].evals);
    assert!(rows[1].sampled() && rows[1].evals);
    assert_eq!(rows[0].attr(REASON), Some("rate"));
}
