//! sluice on the network, end to end: the real `sluice run` process on 127.0.0.1, the
//! official OpenTelemetry Python SDK and OTLP exporters as clients (gRPC and HTTP), and real
//! OTLP/gRPC servers as destinations ([`support::capture`]), which record what they get
//! and fail or hang on demand.
//!
//! Every record carries a unique `test.id`, so each test checks exactly which records
//! reached which destination, and how many times. Nothing sleeps to synchronise: the tests
//! poll the capture receivers, sluice's log and its `/metrics`, each with a deadline.

mod support;

#[path = "network/delivery.rs"]
mod delivery;
#[path = "network/errors.rs"]
mod errors;
#[path = "network/python.rs"]
mod python;
#[path = "network/routing.rs"]
mod routing;

use python::Send;
use std::time::Duration;
use support::capture::Capture;

/// Fake API keys of the config's tenants.
const ACME_KEY: &str = "k-acme-FAKE-0000000001";
const GLOBEX_KEY: &str = "k-globex-FAKE-0000000002";
const INITECH_KEY: &str = "k-initech-FAKE-0000000003";

/// How long records may take to arrive where they should.
const ARRIVAL: Duration = Duration::from_secs(30);

/// A destination: its name, capture receiver, and extra TOML lines of its table.
pub struct Dest<'a> {
    name: &'a str,
    capture: &'a Capture,
    extra: &'a str,
}

/// A destination exporting to `capture`, with default settings unless `extra` says.
pub fn dest<'a>(name: &'a str, capture: &'a Capture, extra: &'a str) -> Dest<'a> {
    Dest {
        name,
        capture,
        extra,
    }
}

/// A `sluice run` config: both receivers and the admin endpoint on port 0, the passthrough
/// plugin, API-key tenancy with the three fake keys, each destination with one queue worker
/// (so its batches go out in order) and quick retries, and `routes` (tenant, destination).
/// `extra` is appended at the end.
pub fn config(dests: &[Dest], routes: &[(&str, &str)], http_limit: usize, extra: &str) -> String {
    let mut c = format!(
        r#"[runtime]
workers = 1
cache_dir = "${{SLUICE_TEST_CACHE}}"

[[receivers]]
type = "otlp_grpc"
address = "127.0.0.1:0"

[[receivers]]
type = "otlp_http"
address = "127.0.0.1:0"
max_request_bytes = {http_limit}

[[plugins]]
name = "passthrough"
path = "${{SLUICE_TEST_PLUGINS}}/test_passthrough.wasm"

[tenancy]
source = "api_key"
api_keys = [
    {{ key = "{ACME_KEY}", tenant = "acme" }},
    {{ key = "{GLOBEX_KEY}", tenant = "globex" }},
    {{ key = "{INITECH_KEY}", tenant = "initech" }},
]

[admin]
address = "127.0.0.1:0"

[routing]
default = []
"#
    );
    for (tenant, destination) in routes {
        c.push_str(&format!(
            "\n[[routing.tenants]]\ntenant = \"{tenant}\"\ndestinations = [\"{destination}\"]\n"
        ));
    }
    for d in dests {
        c.push_str(&format!(
            "\n[[destinations]]\nname = \"{}\"\ntype = \"otlp_grpc\"\nendpoint = \"{}\"\nheaders = {{ authorization = \"Bearer dest-{}-FAKE\" }}\n{}\nqueue = {{ workers = 1 }}\nbatch = {{ timeout_ms = 0 }}\nretry = {{ initial_backoff_ms = 20, max_backoff_ms = 100 }}\n",
            d.name,
            d.capture.endpoint(),
            d.name,
            d.extra
        ));
    }
    c.push_str(extra);
    c
}

/// A run id unique to this test and process.
pub fn run_id(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

/// Waits until `capture` accepted as many records as `sent` sent, then checks that they are
/// exactly `sent`'s (each once, nothing else) and carry `tenant`; returns nothing on success.
pub fn expect_exactly(capture: &Capture, sent: &Send, tenant: &str) {
    let records = capture.wait_for_records(sent.total(), ARRIVAL);
    let ids: Vec<(&str, String)> = records.iter().map(|r| (r.signal, r.id.clone())).collect();
    assert_eq!(
        ids,
        sent.ids(),
        "the records accepted by {} are not exactly {}'s, once each",
        capture.addr,
        sent.run
    );
    for r in &records {
        assert_eq!(
            r.tenant.as_deref(),
            Some(tenant),
            "{} arrived with the wrong tenant.id",
            r.id
        );
    }
}
