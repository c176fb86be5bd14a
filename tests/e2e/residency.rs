//! Tenant residency end to end: the real `sluice run` process with the built-in residency
//! plugin, the official OpenTelemetry Python SDK sending LLM telemetry with fake prompts and
//! answers for many tenants (`residency/send_genai.py`), and four real OTLP/gRPC capture
//! receivers as destinations: an EU and a US archive (first party, retaining), an EU vendor
//! (third party) and an EU live view that does not retain records.
//!
//! Absence is proven without sleeping: every destination has one queue worker and sends in
//! queue order, and the client sends tenant after tenant, each export acknowledged before the
//! next; so once the last tenant (`barrier`, allowed everywhere) has arrived at a destination,
//! every earlier record routed there has arrived too, and one that has not was never sent.

mod support;

#[path = "network/python.rs"]
#[allow(dead_code)]
mod python;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};
use support::capture::{Behaviour, Capture, Rec};
use support::daemon::{Daemon, http_request};

const WAIT: Duration = Duration::from_secs(60);
const UMBRELLA_KEY: &str = "umbrella-FAKE-hash-key-0001";

/// The four destinations.
struct Dests {
    eu: Capture,
    us: Capture,
    vendor: Capture,
    live: Capture,
}

impl Dests {
    fn start() -> Dests {
        let ok = Behaviour::ok;
        Dests {
            eu: Capture::start(ok()),
            us: Capture::start(ok()),
            vendor: Capture::start(ok()),
            live: Capture::start(ok()),
        }
    }

    fn all(&self) -> [(&'static str, &Capture); 4] {
        [
            ("eu-archive", &self.eu),
            ("us-archive", &self.us),
            ("vendor-eu", &self.vendor),
            ("live-eu", &self.live),
        ]
    }
}

/// The residency policies of every test: one tenant per rule.
fn tenants(acme: &str) -> String {
    format!(
        r#"tenants = [
    {{ tenant = "acme", {acme} }},
    {{ tenant = "globex", third_party = "deny" }},
    {{ tenant = "initech", third_party = "allow", retain = false }},
    {{ tenant = "nowhere", regions = ["apac"] }},
    {{ tenant = "hooli", third_party = "allow", content = "strip" }},
    {{ tenant = "umbrella", third_party = "allow", content = "hash", hash_key = "{UMBRELLA_KEY}" }},
    {{ tenant = "soylent", third_party = "allow", content = "metadata_only" }},
    {{ tenant = "barrier", third_party = "allow" }},
]"#
    )
}

const ACME_EU: &str = r#"regions = ["eu"], third_party = "allow""#;

/// A `sluice run` config: the residency stage with `policies` (and `audit` lines), then the
/// test `edit` plugin adding the vendor to every record, tenants from the data's own
/// `tenant.id`, and the four destinations; records start on the archives and the live view.
fn config(d: &Dests, policies: &str, audit: &str) -> String {
    let mut c = format!(
        r#"[runtime]
workers = 2
cache_dir = "${{SLUICE_TEST_CACHE}}"

[[receivers]]
type = "otlp_grpc"
address = "127.0.0.1:0"

[tenancy]
source = "attribute"

[admin]
address = "127.0.0.1:0"

[[plugins]]
name = "residency"
builtin = "residency"
[plugins.config]
extra_metadata_keys = ["test.id"]
default = {{ third_party = "deny" }}
{policies}
{audit}

[[plugins]]
name = "late-vendor"
path = "${{SLUICE_TEST_PLUGINS}}/test_edit.wasm"
[plugins.config]
rules = [{{ add_destination = "vendor-eu" }}]

[routing]
default = ["eu-archive", "us-archive", "live-eu"]
"#
    );
    let props = [
        r#"region = "eu""#,
        r#"region = "us""#,
        "region = \"eu\"\nthird_party = true",
        "region = \"eu\"\nretains = false",
    ];
    for ((name, capture), props) in d.all().into_iter().zip(props) {
        c.push_str(&format!(
            "\n[[destinations]]\nname = \"{name}\"\ntype = \"otlp_grpc\"\nendpoint = \"{}\"\n{props}\nqueue = {{ workers = 1 }}\nbatch = {{ timeout_ms = 0 }}\nretry = {{ initial_backoff_ms = 20, max_backoff_ms = 100 }}\n",
            capture.endpoint()
        ));
    }
    c
}

/// Runs `send_genai.py` for `tenants` in order (`-`: no tenant) and panics unless every
/// export succeeded.
fn send(daemon: &Daemon, run: &str, tenants: &[&str]) {
    let mut cmd = python::script("tests/e2e/residency/send_genai.py");
    cmd.args(["--endpoint", &daemon.grpc_endpoint(), "--run", run]);
    for t in tenants {
        cmd.args(["--tenant", t]);
    }
    let out = cmd.output().expect("run send_genai.py");
    assert!(
        out.status.success(),
        "send_genai.py failed:\n{}{}\nsluice:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        daemon.stderr()
    );
}

/// The label of a tenant in `test.id`s.
fn label(tenant: &str) -> &str {
    if tenant == "-" { "none" } else { tenant }
}

/// The `test.id`s `send_genai.py` gives one tenant (2 spans, 2 logs, 1 metric point), sorted.
fn ids(run: &str, tenant: &str) -> Vec<String> {
    let l = label(tenant);
    let mut ids = vec![
        format!("{run}-{l}-span-0"),
        format!("{run}-{l}-span-1"),
        format!("{run}-{l}-log-0"),
        format!("{run}-{l}-log-1"),
        format!("{run}-{l}-metric-0"),
    ];
    ids.sort();
    ids
}

fn prompt(run: &str, tenant: &str, i: usize) -> String {
    format!(
        "FAKE-PROMPT {run}/{}/{i} what is the secret recipe?",
        label(tenant)
    )
}

fn answer(run: &str, tenant: &str, i: usize) -> String {
    format!("FAKE-ANSWER {run}/{}/{i} the recipe is 42", label(tenant))
}

/// The records of `run` a destination accepted, by tenant label.
fn by_tenant(capture: &Capture, run: &str) -> BTreeMap<String, Vec<Rec>> {
    let mut out: BTreeMap<String, Vec<Rec>> = BTreeMap::new();
    for r in capture.delivered() {
        if let Some(rest) = r.id.strip_prefix(&format!("{run}-")) {
            let l = rest.split('-').next().unwrap_or_default().to_string();
            out.entry(l).or_default().push(r);
        }
    }
    out
}

/// Waits until `barrier`'s records of `run` reached every destination in `at`.
fn wait_barrier(at: &[(&str, &Capture)], run: &str) {
    let want = ids(run, "barrier");
    for (name, capture) in at {
        capture.wait_until(&format!("the barrier at {name}"), WAIT, |_| {
            by_tenant(capture, run)
                .get("barrier")
                .is_some_and(|recs| recs.len() >= want.len())
        });
    }
}

/// Checks that exactly `tenants` (labels) of `run` reached the destination, each with every
/// one of its records exactly once.
fn expect_tenants(name: &str, capture: &Capture, run: &str, tenants: &[&str]) {
    let got = by_tenant(capture, run);
    let labels: BTreeSet<&str> = got.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = tenants.iter().map(|t| label(t)).collect();
    assert_eq!(labels, want, "tenants of run {run} that reached {name}");
    for t in tenants {
        let mut seen: Vec<String> = got[label(t)].iter().map(|r| r.id.clone()).collect();
        seen.sort();
        assert_eq!(seen, ids(run, t), "{t}'s records at {name}, each once");
    }
}

fn hmac_digest(key: &str, text: &str) -> String {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key.as_bytes());
    let pad = |b: u8| block.map(|x| x ^ b);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(text.as_bytes())
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    format!("hmac-sha256:{}", hex::encode(outer))
}

fn no_content(r: &Rec) {
    for s in &r.strings {
        assert!(
            !s.contains("FAKE-PROMPT") && !s.contains("FAKE-ANSWER"),
            "content arrived in {s:?} of {r:#?}"
        );
    }
}

/// Every tenant of the policies, one per rule, in send order; `barrier` last.
const EVERY_TENANT: [&str; 10] = [
    "acme", "globex", "initech", "hooli", "umbrella", "soylent", "stranger", "-", "nowhere",
    "barrier",
];

#[test]
fn each_tenant_reaches_only_the_destinations_its_policy_allows() {
    let d = Dests::start();
    let daemon = Daemon::start(&config(&d, &tenants(ACME_EU), ""));
    let run = format!("route{}", std::process::id());
    send(&daemon, &run, &EVERY_TENANT);
    wait_barrier(&d.all(), &run);

    // The EU tenant: EU destinations only (the vendor is in the EU, and acme allows vendors;
    // the vendor is on no route: the plugin after residency adds it to every record, and
    // only where residency did not deny it does that count). globex denies third parties; a
    // tenant without a policy and records without a tenant get the default (no third
    // parties); initech retains nothing: the live view only; nowhere's policy leaves it no
    // destination at all.
    let first_party = [
        "globex", "hooli", "umbrella", "soylent", "stranger", "-", "barrier",
    ];
    let mut eu: Vec<&str> = first_party.to_vec();
    eu.push("acme");
    expect_tenants("eu-archive", &d.eu, &run, &eu);
    expect_tenants("us-archive", &d.us, &run, &first_party);
    expect_tenants(
        "vendor-eu",
        &d.vendor,
        &run,
        &["acme", "hooli", "umbrella", "soylent", "barrier"],
    );
    let mut live = eu.clone();
    live.push("initech");
    expect_tenants("live-eu", &d.live, &run, &live);

    // nowhere's records were never sent "by default": the host counts them as unroutable.
    for (signal, n) in [("traces", 2.0), ("logs", 2.0), ("metrics", 1.0)] {
        let sample =
            format!("sluice_records_dropped_total{{signal=\"{signal}\",reason=\"unroutable\"}}");
        daemon.wait_for_metric(&sample, n, WAIT);
        assert_eq!(daemon.metric(&sample), n, "{sample}");
    }
    // Every decision class reaches the host's metrics through the plugin's counters.
    for (rule, tenant, destination) in [
        ("third_party", "globex", "vendor-eu"),
        ("region", "acme", "us-archive"),
        ("retention", "initech", "eu-archive"),
    ] {
        let sample = format!(
            "sluice_plugin_events_total{{plugin=\"residency\",event=\"decisions\",rule=\"{rule}\",tenant=\"{tenant}\",destination=\"{destination}\"}}"
        );
        assert!(
            daemon.metric(&sample) >= 1.0,
            "{sample}:\n{}",
            daemon.metrics()
        );
    }
    let stripped = "sluice_plugin_events_total{plugin=\"residency\",event=\"decisions\",rule=\"content_strip\",tenant=\"hooli\"}";
    assert!(daemon.metric(stripped) >= 1.0, "{stripped}");
}

/// The residency stage's audit lines for a granted directory (guest `/audit`).
fn audit_lines(dir: &Path) -> String {
    format!(
        "audit_log = \"/audit/residency.jsonl\"\n[plugins.grants]\nclock = true\ndirs = [{{ host = \"{}\", guest = \"/audit\", writable = true }}]\n",
        dir.display()
    )
}

/// Checks the audit log of one run of [`EVERY_TENANT`]: aggregated lines with a real time
/// (the clock is granted), the right counts, never content.
fn check_audit(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains("FAKE"), "content in the audit log:\n{text}");
    let mut counts: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let time = v["time"]
            .as_str()
            .unwrap_or_else(|| panic!("no time: {line}"));
        assert!(time.ends_with('Z') && time > "2025", "{line}");
        let field = |k: &str| v[k].as_str().unwrap_or("-").to_string();
        *counts
            .entry((field("tenant"), field("destination"), field("rule")))
            .or_default() += v["count"].as_u64().unwrap();
    }
    let count = |t: &str, d: &str, r: &str| {
        counts
            .get(&(t.into(), d.into(), r.into()))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(count("acme", "us-archive", "region"), 5, "{counts:#?}");
    assert_eq!(count("globex", "vendor-eu", "third_party"), 5);
    assert_eq!(count("stranger", "vendor-eu", "third_party"), 5);
    assert_eq!(count("-", "vendor-eu", "third_party"), 5, "no tenant: null");
    for dest in ["eu-archive", "us-archive", "vendor-eu"] {
        assert_eq!(count("initech", dest, "retention"), 5, "{dest}");
    }
    assert_eq!(count("nowhere", "live-eu", "region"), 5);
    assert_eq!(count("hooli", "-", "content_strip"), 5);
    assert_eq!(count("umbrella", "-", "content_hash"), 5);
    assert_eq!(count("soylent", "-", "metadata_only"), 5);
    assert!(
        !counts.keys().any(|(t, _, _)| t == "barrier"),
        "nothing denied to barrier: {counts:#?}"
    );
}

#[test]
fn an_audit_log_switched_on_by_a_config_edit_records_every_decision_without_content() {
    let d = Dests::start();
    let daemon = Daemon::start(&config(&d, &tenants(ACME_EU), ""));
    let generation = plugins_view(&daemon)["generation"].as_u64().unwrap();
    let audit_dir = support::temp_dir();
    // Without a writable grant the edit is refused, with the reason, and the chain stays.
    let read_only = audit_lines(audit_dir.path()).replace(", writable = true", "");
    edit_config(&daemon, &config(&d, &tenants(ACME_EU), &read_only));
    let start = Instant::now();
    loop {
        let view = plugins_view(&daemon);
        if view["last_reload"]["outcome"] == "refused" {
            let reason = view["last_reload"]["refused"][0]["reason"]
                .as_str()
                .unwrap_or("");
            assert!(
                reason.contains(
                    "residency: audit_log: cannot open `/audit/residency.jsonl` for appending"
                ),
                "{view:#}"
            );
            assert_eq!(view["generation"].as_u64(), Some(generation));
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "no refusal: {view:#}\n{}",
            daemon.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    edit_config(
        &daemon,
        &config(&d, &tenants(ACME_EU), &audit_lines(audit_dir.path())),
    );
    wait_generation(&daemon, generation);
    let run = format!("audit{}", std::process::id());
    send(&daemon, &run, &EVERY_TENANT);
    // Audit lines are written before the batch is handed on, so before the client's answer.
    check_audit(&audit_dir.path().join("residency.jsonl"));
}

/// The same, configured at startup. Ignored until the host builds its worker chains off the
/// async runtime: today `sluice run` instantiates each worker's plugins (running `init`) on
/// the runtime thread, where a WASI filesystem call (opening the audit log) panics inside
/// wasmtime-wasi (`Cannot start a runtime from within a runtime`).
#[test]
fn an_audit_log_configured_at_startup_records_every_decision_without_content() {
    let d = Dests::start();
    let audit_dir = support::temp_dir();
    let daemon = Daemon::start(&config(
        &d,
        &tenants(ACME_EU),
        &audit_lines(audit_dir.path()),
    ));
    let run = format!("audit{}", std::process::id());
    send(&daemon, &run, &EVERY_TENANT);
    check_audit(&audit_dir.path().join("residency.jsonl"));
}

#[test]
fn content_is_stripped_hashed_or_reduced_to_metadata_before_any_destination() {
    let d = Dests::start();
    let daemon = Daemon::start(&config(&d, &tenants(ACME_EU), ""));
    let run = format!("content{}", std::process::id());
    send(
        &daemon,
        &run,
        &["acme", "hooli", "umbrella", "soylent", "barrier"],
    );
    wait_barrier(&[("eu-archive", &d.eu), ("vendor-eu", &d.vendor)], &run);

    for (name, capture) in [("eu-archive", &d.eu), ("vendor-eu", &d.vendor)] {
        let got = by_tenant(capture, &run);
        // The control: kept content arrives, so the searches below would find it.
        let acme = &got["acme"];
        assert!(
            acme.iter()
                .any(|r| r.strings.iter().any(|s| s.contains("FAKE-PROMPT"))),
            "acme keeps content at {name}"
        );
        for tenant in ["hooli", "umbrella", "soylent"] {
            let recs = &got[tenant];
            assert_eq!(recs.len(), 5, "{tenant} at {name}");
            for r in recs {
                no_content(r);
                let mode = match tenant {
                    "hooli" => "strip",
                    "umbrella" => "hash",
                    _ => "metadata_only",
                };
                // Spans and logs are marked; metric points are not (a new series dimension).
                let marked = (r.signal != "metrics").then_some(mode);
                assert_eq!(
                    r.attrs.get("sluice.residency.content").map(String::as_str),
                    marked,
                    "{r:#?}"
                );
                assert_eq!(
                    r.attrs.get("gen_ai.request.model").map(String::as_str),
                    Some("gpt-4o")
                );
            }
            for r in recs.iter().filter(|r| r.signal == "traces") {
                // Metadata stays: tokens, latency, status, event names.
                let i: usize = r.id.rsplit('-').next().unwrap().parse().unwrap();
                let a = |k: &str| r.attrs.get(k).map(String::as_str);
                assert_eq!(
                    a("gen_ai.usage.input_tokens"),
                    Some(format!("{}", 12 + i).as_str())
                );
                assert_eq!(a("gen_ai.usage.output_tokens"), Some("34"));
                assert_eq!(a("gen_ai.response.model"), Some("gpt-4o-2024-08-06"));
                assert_eq!(r.duration_ns, 1_500_000_000, "latency");
                let status = if i % 2 == 1 {
                    (2, "upstream timeout".to_string())
                } else {
                    (1, String::new())
                };
                assert_eq!(r.status, Some(status));
                let names: Vec<&str> = r.events.iter().map(|(n, _)| n.as_str()).collect();
                assert_eq!(names, ["gen_ai.content.prompt", "gen_ai.choice"]);
                assert_eq!(r.events[1].1.get("index").map(String::as_str), Some("0"));
                match tenant {
                    "hooli" => {
                        for k in [
                            "gen_ai.prompt",
                            "gen_ai.completion",
                            "gen_ai.input.messages",
                            "gen_ai.output.messages",
                            "gen_ai.system_instructions",
                            "llm.prompts",
                            "traceloop.entity.input",
                        ] {
                            assert_eq!(a(k), None, "{k} removed: {r:#?}");
                        }
                        assert_eq!(a("llm"), Some("{prompts: [], vendor: openai}"));
                        assert_eq!(r.events[0].1["gen_ai.prompt"], "");
                        assert_eq!(r.events[1].1["message"], "");
                    }
                    "umbrella" => {
                        let p = hmac_digest(UMBRELLA_KEY, &prompt(&run, tenant, i));
                        let ans = hmac_digest(UMBRELLA_KEY, &answer(&run, tenant, i));
                        assert_eq!(a("gen_ai.prompt"), Some(p.as_str()));
                        assert_eq!(a("gen_ai.completion"), Some(ans.as_str()));
                        assert_eq!(a("traceloop.entity.input"), Some(p.as_str()));
                        assert_eq!(a("llm.prompts"), Some(format!("[{p}]").as_str()));
                        assert_eq!(r.events[0].1["gen_ai.prompt"], p, "same text, same digest");
                        assert_eq!(r.events[1].1["message"], ans);
                    }
                    _ => {
                        let keys: BTreeSet<&str> = r.attrs.keys().map(String::as_str).collect();
                        assert_eq!(
                            keys,
                            BTreeSet::from([
                                "test.id",
                                "gen_ai.operation.name",
                                "gen_ai.system",
                                "gen_ai.request.model",
                                "gen_ai.response.model",
                                "gen_ai.usage.input_tokens",
                                "gen_ai.usage.output_tokens",
                                "sluice.residency.content",
                            ])
                        );
                        assert!(!r.strings.iter().any(|s| s == "test.run"), "resource too");
                    }
                }
            }
            for r in recs.iter().filter(|r| r.signal == "logs") {
                let i: usize = r.id.rsplit('-').next().unwrap().parse().unwrap();
                let body = r.body.as_deref().unwrap();
                match (tenant, i) {
                    ("umbrella", 0) => assert_eq!(
                        body,
                        hmac_digest(
                            UMBRELLA_KEY,
                            &format!("user asked: {}", prompt(&run, tenant, 0))
                        )
                    ),
                    ("umbrella", _) => assert_eq!(
                        body,
                        format!(
                            "{{role: {}, content: {}}}",
                            hmac_digest(UMBRELLA_KEY, "user"),
                            hmac_digest(UMBRELLA_KEY, &prompt(&run, tenant, 1))
                        )
                    ),
                    (_, 0) => assert_eq!(body, ""),
                    _ => assert_eq!(body, "{role: , content: }"),
                }
                assert_eq!(
                    r.attrs
                        .get("gen_ai.usage.output_tokens")
                        .map(String::as_str),
                    Some("34")
                );
            }
        }
    }
}

/// Writes the daemon's new config beside it and renames it over `config.toml`, as editors and
/// deploy tools do.
fn edit_config(daemon: &Daemon, text: &str) {
    let tmp = daemon.dir().join(".config.toml.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, daemon.dir().join("config.toml")).unwrap();
}

/// Polls `/plugins` until a chain newer than `generation` is live (an applied reload).
fn wait_generation(daemon: &Daemon, generation: u64) {
    let start = Instant::now();
    loop {
        let view = plugins_view(daemon);
        if view["generation"].as_u64().unwrap() > generation {
            assert_eq!(view["last_reload"]["outcome"], "applied", "{view:#}");
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "the edited config did not go live within {WAIT:?}; /plugins: {view:#}\nstderr:\n{}",
            daemon.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn plugins_view(daemon: &Daemon) -> Value {
    let reply = http_request(daemon.admin, "GET", "/plugins", &[], b"").expect("GET /plugins");
    assert_eq!(reply.status, 200, "{}", reply.text());
    serde_json::from_slice(&reply.body).unwrap()
}

#[test]
fn a_policy_edited_in_the_config_applies_to_the_next_batch_without_a_restart() {
    let d = Dests::start();
    let daemon = Daemon::start(&config(&d, &tenants(ACME_EU), ""));
    let run1 = format!("before{}", std::process::id());
    send(&daemon, &run1, &["acme", "barrier"]);
    wait_barrier(&d.all(), &run1);
    expect_tenants("eu-archive", &d.eu, &run1, &["acme", "barrier"]);
    expect_tenants("us-archive", &d.us, &run1, &["barrier"]);
    let generation = plugins_view(&daemon)["generation"].as_u64().unwrap();

    // acme moves to the US, and its content is to be stripped from now on.
    let acme_us = r#"regions = ["us"], third_party = "allow", content = "strip""#;
    edit_config(&daemon, &config(&d, &tenants(acme_us), ""));
    wait_generation(&daemon, generation);

    let run2 = format!("after{}", std::process::id());
    send(&daemon, &run2, &["acme", "barrier"]);
    wait_barrier(&d.all(), &run2);
    expect_tenants("eu-archive", &d.eu, &run2, &["barrier"]);
    expect_tenants("us-archive", &d.us, &run2, &["acme", "barrier"]);
    expect_tenants("vendor-eu", &d.vendor, &run2, &["barrier"]);
    for r in &by_tenant(&d.us, &run2)["acme"] {
        no_content(r);
    }
    // What arrived before the edit stays where the old policy sent it.
    expect_tenants("eu-archive", &d.eu, &run1, &["acme", "barrier"]);
}

fn validate(dir: &Path, grants: &str) -> support::Run {
    let config = format!(
        "[runtime]\ncache_dir = \"${{SLUICE_TEST_CACHE}}\"\n\n[[plugins]]\nname = \"residency\"\nbuiltin = \"residency\"\n[plugins.config]\naudit_log = \"/audit/residency.jsonl\"\n{grants}\n\n[[destinations]]\nname = \"out\"\ntype = \"discard\"\n"
    );
    std::fs::write(dir.join("config.toml"), config).unwrap();
    support::run_sluice(
        dir,
        &["validate", "--config", "config.toml", "--plugins"],
        &[],
    )
}

#[test]
fn an_audit_log_without_a_writable_grant_refuses_to_load() {
    let tmp = support::temp_dir();
    let audit = tmp.path().join("audit");
    std::fs::create_dir(&audit).unwrap();
    for grants in [
        String::new(),
        format!(
            "[plugins.grants]\ndirs = [{{ host = \"{}\", guest = \"/audit\" }}]",
            audit.display()
        ),
    ] {
        let run = validate(tmp.path(), &grants);
        assert_ne!(run.code, 0, "{grants}: {}", run.stderr);
        run.assert_stderr_has(
            "residency: audit_log: cannot open `/audit/residency.jsonl` for appending",
        )
        .assert_stderr_has("guest = \"/audit\", writable = true");
    }
    let grants = format!(
        "[plugins.grants]\ndirs = [{{ host = \"{}\", guest = \"/audit\", writable = true }}]",
        audit.display()
    );
    validate(tmp.path(), &grants).assert_code(0);
    assert!(audit.join("residency.jsonl").is_file());
}
