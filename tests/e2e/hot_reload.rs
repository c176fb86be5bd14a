//! Hot reload end to end: the real `sluice run` watching a real plugin folder, the official
//! OpenTelemetry Python SDK streaming spans into it the whole time, and a real OTLP/gRPC
//! capture receiver as the destination. While the stream runs, the test adds a plugin,
//! replaces it with a different binary, drops in a corrupt file and a plugin whose `init`
//! refuses its config, and removes the plugin; then it checks that every span arrived
//! exactly once and that, in send order, the chain versions the spans went through only
//! ever moved forward (none, v1, v2, none): each request ran on exactly one chain.
//!
//! Files are written beside their final name and renamed into place, as deploy tools do.
//! Nothing sleeps to synchronise: the test polls `/plugins` and the capture receiver.

mod support;

#[path = "network/python.rs"]
#[allow(dead_code)]
mod python;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::capture::{Behaviour, Capture, Rec};
use support::daemon::{Daemon, http_request};
use support::plugins_dir;

const WAIT: Duration = Duration::from_secs(60);

fn config(capture: &Capture) -> String {
    format!(
        r#"[runtime]
workers = 2
cache_dir = "${{SLUICE_TEST_CACHE}}"

[[receivers]]
type = "otlp_grpc"
address = "127.0.0.1:0"

[plugin_dir]
path = "plugins.d"
debounce_ms = 100

[admin]
address = "127.0.0.1:0"

[[destinations]]
name = "out"
type = "otlp_grpc"
endpoint = "{}"
queue = {{ workers = 1 }}
batch = {{ timeout_ms = 0 }}
"#,
        capture.endpoint()
    )
}

struct Folder(PathBuf);

impl Folder {
    /// Writes `bytes` to a temporary beside `name`, then renames it into place.
    fn land(&self, name: &str, bytes: &[u8]) {
        let tmp = self.0.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, self.0.join(name)).unwrap();
    }

    fn land_plugin(&self, name: &str, test_plugin: &str) {
        self.land(
            name,
            &std::fs::read(plugins_dir().join(test_plugin)).unwrap(),
        );
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.0.join(name)).unwrap();
    }
}

fn chain(daemon: &Daemon) -> Value {
    let reply = http_request(daemon.admin, "GET", "/plugins", &[], b"").expect("GET /plugins");
    assert_eq!(reply.status, 200, "{}", reply.text());
    serde_json::from_slice(&reply.body).unwrap()
}

/// Polls `/plugins` until `done` holds; returns the view and how long it took.
fn wait_chain(daemon: &Daemon, what: &str, done: impl Fn(&Value) -> bool) -> (Value, Duration) {
    let start = Instant::now();
    loop {
        let view = chain(daemon);
        if done(&view) {
            return (view, start.elapsed());
        }
        assert!(
            start.elapsed() < WAIT,
            "{what}: not within {WAIT:?}; /plugins: {view:#}\nstderr:\n{}",
            daemon.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn generation(view: &Value) -> u64 {
    view["generation"].as_u64().unwrap()
}

fn last_outcome(view: &Value) -> &str {
    view["last_reload"]["outcome"].as_str().unwrap_or("")
}

fn seq(rec: &Rec, run: &str) -> u64 {
    rec.id
        .strip_prefix(&format!("{run}-span-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected record {rec:?}"))
}

/// Waits until a span sent after `after` (by sequence) arrives with `marker`.
fn wait_marker(capture: &Capture, run: &str, after: u64, marker: Option<&str>) -> u64 {
    let what = format!("a span after #{after} marked {marker:?}");
    capture.wait_until(&what, WAIT, |_| {
        capture
            .delivered()
            .iter()
            .any(|r| seq(r, run) > after && r.marker.as_deref() == marker)
    });
    capture
        .delivered()
        .iter()
        .map(|r| seq(r, run))
        .max()
        .unwrap_or(0)
}

fn stream(endpoint: &str, run: &str, stop: &Path) -> Child {
    python::script("tests/e2e/reload/stream.py")
        .args(["--endpoint", endpoint, "--run", run])
        .arg("--stop")
        .arg(stop)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stream.py")
}

#[test]
fn plugins_come_and_go_under_load_and_every_span_arrives_once_through_one_chain() {
    let capture = Capture::start(Behaviour::ok());
    let daemon = Daemon::start(&config(&capture));
    let folder = Folder(daemon.dir().join("plugins.d"));
    assert!(folder.0.is_dir(), "sluice creates the plugin folder");
    let run = format!("reload-{}", std::process::id());
    let stop = daemon.dir().join("stop");
    let client = stream(&daemon.grpc_endpoint(), &run, &stop);
    let mut swaps = Vec::new();

    // 0. No plugins: spans pass unmarked.
    let mut last = wait_marker(&capture, &run, 0, None);

    // 1. Add a plugin (sidecar first, so the stage never exists without its config).
    folder.land(
        "10-marker.toml",
        b"[config]\nkey = \"test.marker\"\nvalue = \"v1\"\n",
    );
    folder.land_plugin("10-marker.wasm", "test_add_attribute.wasm");
    let (view, took) = wait_chain(&daemon, "the marker stage goes live", |v| {
        generation(v) == 2
    });
    swaps.push(took);
    assert_eq!(view["stages"][0]["stage"], "marker");
    assert_eq!(view["stages"][0]["plugin"], "add-attribute");
    last = wait_marker(&capture, &run, last, Some("v1"));

    // 2. Replace it with a different binary that marks v2.
    folder.land(
        "10-marker.toml",
        b"[config]\n[[config.rules]]\nset = { key = \"test.marker\", value = \"v2\" }\n",
    );
    folder.land_plugin("10-marker.wasm", "test_edit.wasm");
    let (view, took) = wait_chain(&daemon, "the v2 binary goes live", |v| {
        v["stages"][0]["plugin"] == "edit"
    });
    swaps.push(took);
    let v2_generation = generation(&view);
    last = wait_marker(&capture, &run, last, Some("v2"));

    // `sluice plugins` shows the running chain.
    let listing = support::run_sluice(
        daemon.dir(),
        &["plugins", "--admin", &daemon.admin.to_string()],
        &[],
    );
    listing.assert_code(0);
    assert!(
        listing.stdout.contains("marker") && listing.stdout.contains("edit"),
        "{}",
        listing.stdout
    );

    // 3. A corrupt file is refused; the running chain stays and keeps marking v2.
    folder.land("20-corrupt.wasm", b"\0asm\x0d\0\x01\0 truncated");
    let (view, _) = wait_chain(&daemon, "the corrupt file is refused", |v| {
        last_outcome(v) == "refused"
    });
    assert_eq!(generation(&view), v2_generation);
    let refusal = &view["last_reload"]["refused"][0];
    assert!(
        refusal["file"]
            .as_str()
            .unwrap()
            .ends_with("20-corrupt.wasm"),
        "{view:#}"
    );
    assert!(
        refusal["reason"]
            .as_str()
            .unwrap()
            .contains("not a loadable WebAssembly component"),
        "{view:#}"
    );
    let ready = http_request(daemon.admin, "GET", "/readyz", &[], b"").unwrap();
    assert_eq!(ready.status, 200, "a refused reload leaves sluice serving");
    assert!(ready.text().contains("20-corrupt.wasm"), "{}", ready.text());
    last = wait_marker(&capture, &run, last, Some("v2"));
    folder.remove("20-corrupt.wasm");
    wait_chain(&daemon, "the folder is whole again", |v| {
        last_outcome(v) == "unchanged"
    });

    // 4. A plugin whose init refuses its config is refused too.
    folder.land("30-strict.toml", b"[config]\nthreshold = \"high\"\n");
    folder.land_plugin("30-strict.wasm", "test_bad_config.wasm");
    let (view, _) = wait_chain(&daemon, "the bad config is refused", |v| {
        last_outcome(v) == "refused"
            && v["last_reload"]["refused"][0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("init failed"))
    });
    assert_eq!(generation(&view), v2_generation);
    last = wait_marker(&capture, &run, last, Some("v2"));
    folder.remove("30-strict.wasm");
    folder.remove("30-strict.toml");
    wait_chain(&daemon, "the folder is whole again", |v| {
        last_outcome(v) == "unchanged"
    });

    // 5. Removing the plugin takes its stage out.
    folder.remove("10-marker.wasm");
    folder.remove("10-marker.toml");
    let (_, took) = wait_chain(&daemon, "the stage is removed", |v| {
        generation(v) == v2_generation + 1 && v["stages"].as_array().unwrap().is_empty()
    });
    swaps.push(took);
    wait_marker(&capture, &run, last, None);

    // Stop the stream and account for every span it sent.
    std::fs::write(&stop, "").unwrap();
    let out = client.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stream.py failed: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: u64 = said.trim().strip_prefix("sent ").unwrap().parse().unwrap();
    let records = capture.wait_for_records(sent as usize, WAIT);
    let mut by_seq: Vec<(u64, Option<String>)> = records
        .iter()
        .map(|r| (seq(r, &run), r.marker.clone()))
        .collect();
    by_seq.sort();
    let seqs: Vec<u64> = by_seq.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (0..sent).collect::<Vec<_>>(),
        "every span exactly once"
    );
    // In send order the chain only moves forward: none -> v1 -> v2 -> none.
    let phase = |m: &Option<String>, removed: bool| match (m.as_deref(), removed) {
        (None, false) => 0,
        (Some("v1"), _) => 1,
        (Some("v2"), _) => 2,
        (None, true) => 3,
        (Some(other), _) => panic!("unknown marker {other}"),
    };
    let mut current = 0;
    for (s, m) in &by_seq {
        let p = phase(m, current >= 2);
        assert!(
            p >= current,
            "span #{s} ran on an older chain ({m:?}) after a newer one (phase {current})"
        );
        current = p;
    }
    assert_eq!(current, 3, "the stream saw every chain version");
    eprintln!(
        "hot reload: {sent} spans; file landed -> chain live (polled via /plugins): {:?}",
        swaps
    );
    let (code, log) = daemon.terminate(WAIT);
    assert_eq!(code, Some(0), "{log}");
}
