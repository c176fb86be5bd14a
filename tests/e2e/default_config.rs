//! The embedded default config, end to end: what `sluice run` does for a newcomer. Its text
//! (from `sluice default-config`) runs as is, except that the listeners move to port 0 and
//! the compile cache is the tests' shared one. The official OpenTelemetry Python SDK sends
//! spans, logs and metric points for tenant `acme` over OTLP/HTTP with the `X-Scope-OrgID`
//! header the config names; the records land in `sluice-data/acme.jsonl` with the fake secret
//! the client sent redacted.

mod support;

#[path = "network/python.rs"]
#[allow(dead_code)]
mod python;

use std::time::{Duration, Instant};
use support::daemon::Daemon;
use support::run_sluice;

/// A fake AWS access key id (the shape the redactor knows); never a real one.
const FAKE_KEY: &str = "AKIAQN7HVA5NKFPGHUSJ";

#[test]
fn the_default_config_redacts_and_writes_each_tenant_to_its_own_file() {
    let tmp = support::temp_dir();
    let printed = run_sluice(tmp.path(), &["default-config"], &[]);
    printed.assert_code(0);
    let config = printed
        .stdout
        .replace("127.0.0.1:4317", "127.0.0.1:0")
        .replace("127.0.0.1:4318", "127.0.0.1:0")
        .replace("127.0.0.1:8888", "127.0.0.1:0")
        .replace(
            "[runtime]\n",
            "[runtime]\ncache_dir = \"${SLUICE_TEST_CACHE}\"\n",
        );
    assert_ne!(config, printed.stdout, "the listeners moved to port 0");
    let daemon = Daemon::start(&config);

    let run = format!("default-{}", std::process::id());
    let mut send = python::Send::new(daemon.http_endpoint(), "http", &run, "")
        .resource(&format!("deploy.note=rotated {FAKE_KEY} yesterday"));
    send.headers.push("X-Scope-OrgID=acme".into());
    send.run_ok();

    // The file destination writes in queue order; poll until every record is there.
    let file = daemon.dir().join("sluice-data/acme.jsonl");
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let found = send.ids().iter().all(|(_, id)| text.contains(id.as_str()));
        if found {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "not every record reached {} within 60 s; it holds:\n{text}\nsluice:\n{}\nmetrics:\n{}",
            file.display(),
            daemon.stderr(),
            daemon.metrics()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        !text.contains(FAKE_KEY),
        "the fake key was redacted:\n{text}"
    );
    assert!(text.contains("rotated "), "the rest of the value is kept");
    assert!(
        text.contains("\"tenant.id\""),
        "the tenant is stamped on the records"
    );
    let (code, log) = daemon.terminate(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{log}");
    assert!(!log.contains(FAKE_KEY), "sluice never logs record content");
}
