//! LLM spend end to end: the real `sluice` binary with the built-in cost plugin, the official
//! OpenTelemetry Python SDK sending chat spans with GenAI token usage, and capture receivers
//! as destinations.
//!
//! - `[spend] export` turns the spend counters into OTLP metrics (`sluice.llm.cost`,
//!   `sluice.llm.tokens`): once at shutdown, after the last batch; every interval while
//!   running; per tenant for a `{tenant}`-templated destination; once at the end of
//!   `sluice process`. Values are checked against prices computed by hand.
//! - A user pricing file (`config_file`, `extends = "default"`) edited while `sluice run`
//!   runs changes prices without a restart.

mod support;

#[path = "network/python.rs"]
#[allow(dead_code)]
mod python;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use support::capture::{Behaviour, Capture, Rec};
use support::daemon::Daemon;
use support::{run_sluice, temp_dir};

const WAIT: Duration = Duration::from_secs(60);

/// The cost plugin on the default table plus one model of the test's own.
const COST_STAGE: &str = r#"
[[plugins]]
name = "cost"
builtin = "cost"
[plugins.config]
extends = "default"
pricing_version = "e2e-1"
[[plugins.config.models]]
name = "acme-llm"
input_per_mtok = "2"
output_per_mtok = "8"
"#;

/// One LLM call as `send_llm.py` takes it.
fn call(tenant: &str, model: &str, input: u64, output: u64) -> serde_json::Value {
    serde_json::json!({"tenant": tenant, "model": model, "input": input, "output": output})
}

fn with(mut call: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    call.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    call
}

/// The calls of the first round, and what they cost (by hand, default table prices for
/// gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens):
/// - acme, gpt-4o, 1000 in of which 400 cached, 200 out: 600 x 2.50 + 400 x 1.25 + 200 x 10
///   = 4000 per million = $0.004;
/// - acme, gpt-4o, 500 in, 100 out: 1250 + 1000 = $0.00225 (same labels: $0.00625 in all);
/// - globex, acme-llm ($2 / $8), 3000 in, 500 out: 6000 + 4000 = $0.01.
fn first_round() -> Vec<serde_json::Value> {
    let chat = serde_json::json!({"feature": "chat", "prompt_version": "v3"});
    vec![
        with(
            call("acme", "gpt-4o", 1000, 200),
            serde_json::json!({"cache_read": 400, "feature": "chat", "prompt_version": "v3"}),
        ),
        with(call("acme", "gpt-4o", 500, 100), chat),
        with(
            call("globex", "acme-llm", 3000, 500),
            serde_json::json!({"feature": "search"}),
        ),
    ]
}

fn send(endpoint: &str, run: &str, calls: &[serde_json::Value]) {
    let mut cmd = python::script("tests/e2e/spend/send_llm.py");
    cmd.args([
        "--endpoint",
        endpoint,
        "--run",
        run,
        "--calls",
        &serde_json::Value::from(calls.to_vec()).to_string(),
    ]);
    let out = cmd.output().expect("run send_llm.py");
    assert!(
        out.status.success(),
        "send_llm.py: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn destination(name: &str, capture: &Capture, extra: &str) -> String {
    format!(
        "[[destinations]]\nname = \"{name}\"\ntype = \"otlp_grpc\"\nendpoint = \"{}\"\nbatch = {{ timeout_ms = 0 }}\n{extra}\n",
        capture.endpoint()
    )
}

fn daemon_config(main: &Capture, costs: &Capture, costs_extra: &str, interval_ms: u64) -> String {
    format!(
        r#"[runtime]
workers = 2
cache_dir = "${{SLUICE_TEST_CACHE}}"

[[receivers]]
type = "otlp_grpc"
address = "127.0.0.1:0"

[admin]
address = "127.0.0.1:0"

[routing]
default = ["main"]

[spend]
export = {{ destination = "costs", interval_ms = {interval_ms} }}
{COST_STAGE}
{}
{}"#,
        destination("main", main, ""),
        destination("costs", costs, costs_extra),
    )
}

/// A spend data point: `(metric, tenant, feature, model, prompt_version, kind)` → value text.
type Points = BTreeMap<(String, String, String, String, String, String), String>;

/// The last value of every spend series in `recs` (later exports restate earlier ones).
fn points(recs: &[Rec]) -> Points {
    let mut out = Points::new();
    let mut sorted: Vec<&Rec> = recs.iter().filter(|r| r.point.is_some()).collect();
    sorted.sort_by_key(|r| r.point.as_ref().unwrap().time_unix_nano);
    for r in sorted {
        let p = r.point.as_ref().unwrap();
        let a = |k: &str| r.attrs.get(k).cloned().unwrap_or_default();
        out.insert(
            (
                p.metric.clone(),
                a("tenant"),
                a("feature"),
                a("model"),
                a("prompt_version"),
                a("kind"),
            ),
            p.value.clone(),
        );
    }
    out
}

fn key(metric: &str, labels: [&str; 5]) -> (String, String, String, String, String, String) {
    let [t, f, m, v, k] = labels.map(str::to_string);
    (metric.to_string(), t, f, m, v, k)
}

/// What the first round adds up to.
fn first_round_points() -> Points {
    let cost = "sluice.llm.cost";
    let tokens = "sluice.llm.tokens";
    let acme = |kind| ["acme", "chat", "gpt-4o", "v3", kind];
    let globex = |kind| ["globex", "search", "acme-llm", "", kind];
    [
        (key(cost, acme("")), "0.00625"),
        (key(tokens, acme("input")), "1100i"),
        (key(tokens, acme("cache_read")), "400i"),
        (key(tokens, acme("output")), "300i"),
        (key(cost, globex("")), "0.01"),
        (key(tokens, globex("input")), "3000i"),
        (key(tokens, globex("output")), "500i"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

/// Every exported point is a cumulative monotonic Sum with the right unit, from the spend
/// scope, starting when sluice started.
fn check_shape(recs: &[Rec]) {
    let starts: std::collections::BTreeSet<u64> = recs
        .iter()
        .map(|r| r.point.as_ref().unwrap().start_time_unix_nano)
        .collect();
    assert_eq!(
        starts.len(),
        1,
        "one start time for every point: {starts:?}"
    );
    for r in recs {
        let p = r.point.as_ref().unwrap();
        assert_eq!(
            (p.kind, p.monotonic, p.temporality),
            ("sum", true, 2),
            "{r:?}"
        );
        assert_eq!(p.scope, "sluice.spend");
        assert_eq!(
            p.resource.get("service.name").map(String::as_str),
            Some("sluice")
        );
        let unit = if p.metric == "sluice.llm.cost" {
            "USD"
        } else {
            "{token}"
        };
        assert_eq!(p.unit, unit, "{r:?}");
        assert!(p.time_unix_nano > p.start_time_unix_nano);
    }
}

#[test]
fn spend_reaches_each_tenant_as_otlp_metrics_once_at_shutdown() {
    let (main, costs) = (
        Capture::start(Behaviour::ok()),
        Capture::start(Behaviour::ok()),
    );
    // `{tenant}` in a header: one export request per tenant; an hour's interval: only the
    // final export at shutdown.
    let config = daemon_config(
        &main,
        &costs,
        "headers = { \"x-tenant\" = \"{tenant}\" }",
        3_600_000,
    );
    let daemon = Daemon::start(&config);
    let run = format!("spend-{}", std::process::id());
    send(&daemon.grpc_endpoint(), &run, &first_round());
    let spans = main.wait_for_records(3, WAIT);
    let acme = spans.iter().find(|r| r.id == format!("{run}-0")).unwrap();
    assert_eq!(acme.attrs["gen_ai.usage.cost.amount"], "0.004", "{acme:?}");
    assert!(
        acme.attrs["sluice.cost.pricing_version"].starts_with("default-")
            && acme.attrs["sluice.cost.pricing_version"].ends_with("+e2e-1"),
        "{acme:?}"
    );
    // The Prometheus counters say the same while it runs.
    let labels = r#"{tenant="acme",feature="chat",model="gpt-4o",prompt_version="v3"}"#;
    assert_eq!(
        daemon.metric(&format!("sluice_llm_cost_usd_total{labels}")),
        0.00625
    );
    assert!(
        costs.requests().is_empty(),
        "nothing before the interval or shutdown"
    );

    let (code, log) = daemon.terminate(WAIT);
    assert_eq!(code, Some(0), "{log}");
    let requests = costs.requests();
    assert_eq!(
        requests.len(),
        2,
        "one final export per tenant: {requests:#?}"
    );
    for r in &requests {
        let tenant = r.header("x-tenant").expect("the templated header");
        for rec in &r.records {
            assert_eq!(rec.tenant.as_deref(), Some(tenant), "{rec:?}");
            assert_eq!(rec.attrs["tenant"], tenant, "{rec:?}");
        }
    }
    let recs = costs.delivered();
    check_shape(&recs);
    assert_eq!(points(&recs), first_round_points());
}

#[test]
fn spend_is_exported_every_interval_and_sums_are_cumulative() {
    let (main, costs) = (
        Capture::start(Behaviour::ok()),
        Capture::start(Behaviour::ok()),
    );
    let daemon = Daemon::start(&daemon_config(&main, &costs, "", 200));
    let run = format!("interval-{}", std::process::id());
    send(&daemon.grpc_endpoint(), &run, &first_round()[..2]);
    let acme_cost = key("sluice.llm.cost", ["acme", "chat", "gpt-4o", "v3", ""]);
    let globex_cost = key("sluice.llm.cost", ["globex", "search", "acme-llm", "", ""]);
    let value = |k: &(String, String, String, String, String, String)| {
        points(&costs.delivered()).get(k).cloned()
    };
    costs.wait_until("acme's first spend", WAIT, |_| {
        value(&acme_cost).as_deref() == Some("0.00625")
    });
    // Another acme call (1000 in, 0 out: $0.0025) and globex's: the sums restate the whole.
    let more = [
        first_round()[2].clone(),
        with(
            call("acme", "gpt-4o", 1000, 0),
            serde_json::json!({"feature": "chat", "prompt_version": "v3"}),
        ),
    ];
    send(&daemon.grpc_endpoint(), &format!("{run}-b"), &more);
    costs.wait_until("the sums after the second round", WAIT, |_| {
        value(&acme_cost).as_deref() == Some("0.00875")
            && value(&globex_cost).as_deref() == Some("0.01")
    });
    let (code, log) = daemon.terminate(WAIT);
    assert_eq!(code, Some(0), "{log}");
    let recs = costs.delivered();
    check_shape(&recs);
    // Not per tenant: one resource with no tenant attribute; the tenant is a point attribute.
    assert!(recs.iter().all(|r| r.tenant.is_none()), "{recs:?}");
    let requests = costs.requests();
    assert!(
        requests.len() >= 3,
        "several periodic exports: {}",
        requests.len()
    );
    let mut expected = first_round_points();
    expected.insert(acme_cost, "0.00875".into());
    expected.insert(
        key(
            "sluice.llm.tokens",
            ["acme", "chat", "gpt-4o", "v3", "input"],
        ),
        "2100i".into(),
    );
    assert_eq!(points(&recs), expected);
}

/// An OTLP JSON line of one resource (`tenant.id`) with chat spans `(id, model, input, output)`.
fn json_line(tenant: &str, spans: &[(&str, &str, u64, u64)]) -> String {
    let spans: Vec<serde_json::Value> = spans
        .iter()
        .enumerate()
        .map(|(i, (id, model, input, output))| {
            let kv = |k: &str, v: serde_json::Value| serde_json::json!({"key": k, "value": v});
            serde_json::json!({
                "traceId": format!("{:032x}", i + 1),
                "spanId": format!("{:016x}", i + 1),
                "name": "chat",
                "attributes": [
                    kv("test.id", serde_json::json!({"stringValue": id})),
                    kv("gen_ai.request.model", serde_json::json!({"stringValue": model})),
                    kv("gen_ai.usage.input_tokens", serde_json::json!({"intValue": input.to_string()})),
                    kv("gen_ai.usage.output_tokens", serde_json::json!({"intValue": output.to_string()})),
                ]
            })
        })
        .collect();
    serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "tenant.id", "value": {"stringValue": tenant}}]},
        "scopeSpans": [{"spans": spans}]
    }]})
    .to_string()
}

#[test]
fn sluice_process_exports_spend_once_at_the_end() {
    let costs = Capture::start(Behaviour::ok());
    let dir = temp_dir();
    let config = format!(
        r#"[runtime]
cache_dir = "${{SLUICE_TEST_CACHE}}"

[routing]
default = ["main"]

[spend]
export = {{ destination = "costs", interval_ms = 100 }}
{COST_STAGE}
[[destinations]]
name = "main"
type = "file"
path = "out.jsonl"

{}"#,
        destination("costs", &costs, "")
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    // acme-llm ($2 / $8): 3000 in + 500 out = $0.01, and 1000 in + 1000 out = $0.01; gpt-4o:
    // 1000 in + 100 out = 2500 + 1000 = $0.0035.
    let input = [
        json_line(
            "acme",
            &[("a", "acme-llm", 3000, 500), ("b", "gpt-4o", 1000, 100)],
        ),
        json_line("acme", &[("c", "acme-llm", 1000, 1000)]),
    ]
    .join("\n");
    std::fs::write(dir.path().join("in.jsonl"), input + "\n").unwrap();
    let run = run_sluice(
        dir.path(),
        &["process", "--config", "config.toml", "--input", "in.jsonl"],
        &[],
    );
    run.assert_code(0);
    let out = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert_eq!(out.matches("gen_ai.usage.cost.amount").count(), 3, "{out}");
    let requests = costs.requests();
    assert_eq!(
        requests.len(),
        1,
        "one export, at the end: {requests:#?}\n{}",
        run.stderr
    );
    let recs = costs.delivered();
    check_shape(&recs);
    let expected: Points = [
        (
            key("sluice.llm.cost", ["acme", "", "acme-llm", "", ""]),
            "0.02",
        ),
        (
            key("sluice.llm.tokens", ["acme", "", "acme-llm", "", "input"]),
            "4000i",
        ),
        (
            key("sluice.llm.tokens", ["acme", "", "acme-llm", "", "output"]),
            "1500i",
        ),
        (
            key("sluice.llm.cost", ["acme", "", "gpt-4o", "", ""]),
            "0.0035",
        ),
        (
            key("sluice.llm.tokens", ["acme", "", "gpt-4o", "", "input"]),
            "1000i",
        ),
        (
            key("sluice.llm.tokens", ["acme", "", "gpt-4o", "", "output"]),
            "100i",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    assert_eq!(points(&recs), expected);

    // With --output there are no destination queues: the export is skipped, with a warning.
    let costs_before = costs.requests().len();
    let run = run_sluice(
        dir.path(),
        &[
            "process",
            "--config",
            "config.toml",
            "--input",
            "in.jsonl",
            "--output",
            "all.jsonl",
        ],
        &[],
    );
    run.assert_code(0)
        .assert_stderr_has("[spend] export skipped");
    assert_eq!(costs.requests().len(), costs_before);
}

/// Writes `text` beside `path` and renames it into place, as deploy tools do.
fn land(path: &Path, text: &str) {
    let tmp = path.with_extension("toml.part");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A user pricing file over the default table, pricing gpt-4o at `input` / `output`.
fn pricing(version: &str, input: &str, output: &str) -> String {
    format!(
        "extends = \"default\"\npricing_version = \"{version}\"\n\n[[models]]\nname = \"gpt-4o\"\nprovider = \"openai\"\ninput_per_mtok = \"{input}\"\noutput_per_mtok = \"{output}\"\n"
    )
}

#[test]
fn editing_the_pricing_file_changes_prices_without_a_restart() {
    let main = Capture::start(Behaviour::ok());
    let files = temp_dir();
    let table = files.path().join("pricing.toml");
    land(&table, &pricing("mine-1", "2", "8"));
    let config = format!(
        r#"[runtime]
workers = 2
cache_dir = "${{SLUICE_TEST_CACHE}}"

[[receivers]]
type = "otlp_grpc"
address = "127.0.0.1:0"

[admin]
address = "127.0.0.1:0"

[[plugins]]
name = "cost"
builtin = "cost"
config_file = "{}"

{}"#,
        table.display(),
        destination("main", &main, "")
    );
    let daemon = Daemon::start(&config);
    let run = format!("reprice-{}", std::process::id());
    // 1000 in + 1000 out: $2 + $8 per million = $0.01; after the edit $4 + $16 = $0.02.
    let calls = [call("acme", "gpt-4o", 1000, 1000)];
    send(&daemon.grpc_endpoint(), &format!("{run}-a"), &calls);
    let cost_of = |id: &str| -> Option<(String, String)> {
        main.delivered().into_iter().find(|r| r.id == id).map(|r| {
            (
                r.attrs["gen_ai.usage.cost.amount"].clone(),
                r.attrs["sluice.cost.pricing_version"].clone(),
            )
        })
    };
    main.wait_for_records(1, WAIT);
    let (amount, version) = cost_of(&format!("{run}-a-0")).unwrap();
    assert_eq!(amount, "0.01");
    assert!(
        version.starts_with("default-") && version.ends_with("+mine-1"),
        "{version}"
    );

    let applied = r#"sluice_plugin_reloads_total{outcome="applied"}"#;
    let before = daemon.metric(applied);
    land(&table, &pricing("mine-2", "4", "16"));
    daemon.wait_for_metric(applied, before + 1.0, WAIT);
    send(&daemon.grpc_endpoint(), &format!("{run}-b"), &calls);
    main.wait_for_records(2, WAIT);
    let (amount, version) = cost_of(&format!("{run}-b-0")).unwrap();
    assert_eq!(amount, "0.02");
    assert!(version.ends_with("+mine-2"), "{version}");
    let (code, log) = daemon.terminate(WAIT);
    assert_eq!(code, Some(0), "{log}");
}
