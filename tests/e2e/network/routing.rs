//! Tenancy and routing: each tenant's records reach only its own destination, whatever the
//! data claims, and a wrong key gets nothing in.

use crate::python::Send;
use crate::support::capture::{Behaviour, Capture};
use crate::support::daemon::Daemon;
use crate::{ACME_KEY, GLOBEX_KEY, config, dest, expect_exactly, run_id};

const ROUTES: &[(&str, &str)] = &[("acme", "a"), ("globex", "b")];

fn two_destinations() -> (Capture, Capture, Daemon) {
    let (a, b) = (
        Capture::start(Behaviour::ok()),
        Capture::start(Behaviour::ok()),
    );
    let sluice = Daemon::start(&config(
        &[dest("a", &a, ""), dest("b", &b, "")],
        ROUTES,
        4 << 20,
        "",
    ));
    (a, b, sluice)
}

#[test]
fn two_tenants_over_grpc_and_http_reach_only_their_own_destination() {
    let (a, b, sluice) = two_destinations();
    let acme = Send::new(sluice.grpc_endpoint(), "grpc", &run_id("acme"), ACME_KEY);
    let globex = Send::new(
        sluice.http_endpoint(),
        "http",
        &run_id("globex"),
        GLOBEX_KEY,
    );
    acme.run_ok();
    globex.run_ok();

    expect_exactly(&a, &acme, "acme");
    expect_exactly(&b, &globex, "globex");
    // Each destination's own headers, on every request.
    for (capture, name) in [(&a, "a"), (&b, "b")] {
        for r in capture.requests() {
            let expected = format!("Bearer dest-{name}-FAKE");
            assert_eq!(
                r.header("authorization"),
                Some(expected.as_str()),
                "request to {name}: {r:?}"
            );
        }
    }
    let metrics = sluice.metrics();
    for sample in [
        r#"sluice_records_received_total{signal="traces",tenant="acme"} 5"#,
        r#"sluice_records_received_total{signal="logs",tenant="globex"} 5"#,
        r#"sluice_records_received_total{signal="metrics",tenant="globex"} 3"#,
    ] {
        assert!(
            metrics.contains(sample),
            "/metrics lacks {sample}:\n{metrics}"
        );
    }
}

#[test]
fn a_client_claiming_another_tenant_lands_in_its_own() {
    let (a, b, sluice) = two_destinations();
    let claim = Send::new(
        sluice.grpc_endpoint(),
        "grpc",
        &run_id("claims-globex"),
        ACME_KEY,
    )
    .resource("tenant.id=globex");
    claim.run_ok();
    expect_exactly(&a, &claim, "acme");

    // globex's destination gets globex's own records and nothing of the claimant's: its
    // queue is in order, so once the marker is there, anything sent before it would be too.
    let mut marker = Send::new(
        sluice.http_endpoint(),
        "http",
        &run_id("globex-marker"),
        GLOBEX_KEY,
    );
    marker.counts = (1, 1, 1);
    marker.run_ok();
    expect_exactly(&b, &marker, "globex");
}

#[test]
fn a_wrong_api_key_is_refused() {
    let (a, b, sluice) = two_destinations();
    let attempts = [
        (
            Send::new(
                sluice.grpc_endpoint(),
                "grpc",
                &run_id("wrong-grpc"),
                "k-nobody-FAKE-9999",
            ),
            "UNAUTHENTICATED",
        ),
        (
            Send::new(
                sluice.http_endpoint(),
                "http",
                &run_id("wrong-http"),
                "k-nobody-FAKE-9999",
            ),
            "401",
        ),
        (
            Send::new(sluice.grpc_endpoint(), "grpc", &run_id("nokey-grpc"), ""),
            "UNAUTHENTICATED",
        ),
        (
            Send::new(sluice.http_endpoint(), "http", &run_id("nokey-http"), ""),
            "401",
        ),
    ];
    for (attempt, expected) in &attempts {
        let sent = attempt.run();
        assert!(
            !sent.ok,
            "{} was accepted with a wrong or no key:\n{}",
            attempt.run, sent.output
        );
        assert!(
            sent.output.contains(expected),
            "{}: the client was not told {expected}:\n{}",
            attempt.run,
            sent.output
        );
        assert!(
            !sent.output.contains("k-nobody"),
            "the key was echoed back:\n{}",
            sent.output
        );
    }
    // Markers through both queues: once they arrive, anything accepted before would have too.
    let mut acme = Send::new(
        sluice.grpc_endpoint(),
        "grpc",
        &run_id("acme-marker"),
        ACME_KEY,
    );
    let mut globex = Send::new(
        sluice.http_endpoint(),
        "http",
        &run_id("globex-marker"),
        GLOBEX_KEY,
    );
    acme.counts = (1, 1, 1);
    globex.counts = (1, 1, 1);
    acme.run_ok();
    globex.run_ok();
    expect_exactly(&a, &acme, "acme");
    expect_exactly(&b, &globex, "globex");
    assert!(
        !sluice.metrics().contains(r#"tenant="unknown""#),
        "refused records were counted as received"
    );
    assert!(
        !sluice.stderr().contains("k-nobody"),
        "sluice logged the wrong key:\n{}",
        sluice.stderr()
    );
}
