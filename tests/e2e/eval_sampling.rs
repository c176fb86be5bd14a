//! Eval sampling of whole traces over the network: the real `sluice run` with a trace buffer
//! and the built-in eval sampler, the official OpenTelemetry Python SDK sending each trace in
//! two requests, and capture receivers as the normal and the eval destination. The error is
//! the span's own status (an intrinsic field, not an attribute) and arrives in the second
//! request, after the rest of its trace: the buffer holds the trace so the sampler picks it
//! whole.

mod support;

#[path = "network/python.rs"]
#[allow(dead_code)]
mod python;

use std::time::Duration;
use support::capture::{Behaviour, Capture};
use support::daemon::Daemon;

const WAIT: Duration = Duration::from_secs(60);

fn config(main: &Capture, evals: &Capture) -> String {
    let dest = |name: &str, c: &Capture| {
        format!(
            "[[destinations]]\nname = \"{name}\"\ntype = \"otlp_grpc\"\nendpoint = \"{}\"\nbatch = {{ timeout_ms = 0 }}\n",
            c.endpoint()
        )
    };
    format!(
        r#"[runtime]
workers = 2
cache_dir = "${{SLUICE_TEST_CACHE}}"

[[receivers]]
type = "otlp_grpc"
address = "127.0.0.1:0"

[admin]
address = "127.0.0.1:0"

[trace_buffer]
decision_wait_ms = 300

[[plugins]]
name = "eval"
builtin = "eval-sample"
[plugins.config]
destination = "evals"
rate = 0.0
[[plugins.config.rules]]
name = "error"
error = true
texts = false

[routing]
default = ["main"]

{}
{}"#,
        dest("main", main),
        dest("evals", evals)
    )
}

#[test]
fn a_trace_whose_error_arrives_in_a_later_request_is_picked_whole() {
    let (main, evals) = (
        Capture::start(Behaviour::ok()),
        Capture::start(Behaviour::ok()),
    );
    let daemon = Daemon::start(&config(&main, &evals));
    let run = format!("eval-{}", std::process::id());
    let out = python::script("tests/e2e/eval/split_trace.py")
        .args(["--endpoint", &daemon.grpc_endpoint(), "--run", &run])
        .output()
        .expect("run split_trace.py");
    assert!(
        out.status.success(),
        "split_trace.py: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ids = |c: &Capture| -> Vec<String> { c.delivered().into_iter().map(|r| r.id).collect() };
    main.wait_for_records(6, WAIT);
    let picked = evals.wait_for_records(3, WAIT);
    let id = |trace: &str, span: &str| format!("{run}-{trace}-{span}");
    assert_eq!(
        picked.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        [
            id("bad", "chat"),
            id("bad", "request"),
            id("bad", "retrieve")
        ],
        "the whole erroring trace, and nothing else, reaches the eval destination"
    );
    let mut all = ids(&main);
    all.sort();
    let mut expected: Vec<String> = ["bad", "good"]
        .iter()
        .flat_map(|t| ["chat", "request", "retrieve"].map(|s| id(t, s)))
        .collect();
    expected.sort();
    assert_eq!(
        all, expected,
        "every span also reaches its normal destination once"
    );
    // Counted once the whole trace went through one batch: 3 records, 1 trace.
    let labels = r#"{signal="traces",tenant="unknown",reason="rule:error"}"#;
    assert_eq!(
        daemon.metric(&format!("sluice_eval_picked_records_total{labels}")),
        3.0
    );
    assert_eq!(
        daemon.metric(&format!("sluice_eval_picked_traces_total{labels}")),
        1.0
    );
    let (code, log) = daemon.terminate(WAIT);
    assert_eq!(code, Some(0), "{log}");
}
