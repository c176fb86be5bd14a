//! Delivery to destinations that fail, hang or are slow: retries until delivered, no retry
//! of permanent failures, per-destination isolation, and draining on SIGTERM.

use crate::python::Send;
use crate::support::capture::{Answer, Behaviour, Capture};
use crate::support::daemon::Daemon;
use crate::{ACME_KEY, ARRIVAL, GLOBEX_KEY, INITECH_KEY, config, dest, expect_exactly, run_id};
use std::time::Duration;
use tonic::Code;

/// The delay the `RESOURCE_EXHAUSTED` destination asks for; the configured backoff is 20 ms.
const RETRY_INFO_DELAY: Duration = Duration::from_millis(700);

#[test]
fn retryable_failures_are_retried_until_delivered() {
    let a = Capture::start(Behaviour::failing(3, Code::Unavailable));
    let b = Capture::start(Behaviour::failing(usize::MAX, Code::InvalidArgument));
    let c = Capture::start(Behaviour {
        retry_after: Some(RETRY_INFO_DELAY),
        ..Behaviour::failing(1, Code::ResourceExhausted)
    });
    let dests = [dest("a", &a, ""), dest("b", &b, ""), dest("c", &c, "")];
    let routes = [("acme", "a"), ("globex", "b"), ("initech", "c")];
    let sluice = Daemon::start(&config(&dests, &routes, 4 << 20, ""));
    let acme = Send::new(sluice.grpc_endpoint(), "grpc", &run_id("acme"), ACME_KEY);
    let globex = Send::new(
        sluice.http_endpoint(),
        "http",
        &run_id("globex"),
        GLOBEX_KEY,
    );
    let initech = Send::new(
        sluice.grpc_endpoint(),
        "grpc",
        &run_id("initech"),
        INITECH_KEY,
    );
    for client in [&acme, &globex, &initech] {
        client.run_ok();
    }

    // UNAVAILABLE three times: the first batch is retried until accepted, then the others
    // go; everything arrives exactly once.
    expect_exactly(&a, &acme, "acme");
    let requests = a.requests();
    let failed: Vec<_> = requests
        .iter()
        .filter(|r| r.answer == Answer::Failed(Code::Unavailable))
        .collect();
    assert_eq!(
        (failed.len(), requests.len()),
        (3, 6),
        "3 failures and 3 accepted batches expected: {requests:#?}"
    );
    for f in failed {
        assert!(
            requests
                .iter()
                .any(|r| r.answer == Answer::Ok && r.records == f.records),
            "a failed batch was never delivered: {f:?}"
        );
    }

    // RESOURCE_EXHAUSTED with RetryInfo: retryable, and retried after the server's delay,
    // not the configured 20 ms backoff.
    expect_exactly(&c, &initech, "initech");
    let requests = c.requests();
    assert_eq!(requests[0].answer, Answer::Failed(Code::ResourceExhausted));
    assert_eq!(
        requests[1].records, requests[0].records,
        "the second request must be the retry"
    );
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= RETRY_INFO_DELAY,
        "retried after {waited:?}, before the server's RetryInfo delay"
    );

    // INVALID_ARGUMENT: permanent; each batch is sent once, dropped, and counted.
    let permanent = r#"sluice_export_failures_total{destination="b",kind="permanent"}"#;
    sluice.wait_for_metric(permanent, 3.0, ARRIVAL);
    let requests = b.requests();
    assert_eq!(
        requests.len(),
        3,
        "each of globex's 3 batches must be sent exactly once: {requests:#?}"
    );
    let mut ids: Vec<(&str, String)> = requests
        .iter()
        .flat_map(|r| &r.records)
        .map(|r| (r.signal, r.id.clone()))
        .collect();
    ids.sort();
    assert_eq!(ids, globex.ids());
    assert_eq!(
        sluice.metric(r#"sluice_export_retries_total{destination="b"}"#),
        0.0
    );
    assert_eq!(
        sluice.metric(r#"sluice_records_dropped_total{signal="traces",reason="export_rejected"}"#),
        5.0
    );
    assert_eq!(
        sluice.metric(permanent),
        3.0,
        "a permanent failure was retried"
    );
}

#[test]
fn a_hanging_destination_does_not_slow_another_tenant() {
    let a = Capture::start(Behaviour::hanging());
    let b = Capture::start(Behaviour::ok());
    let dests = [dest("a", &a, "timeout_ms = 60000"), dest("b", &b, "")];
    let sluice = Daemon::start(&config(
        &dests,
        &[("acme", "a"), ("globex", "b")],
        4 << 20,
        "",
    ));

    // Accepted (queued) although its destination never answers.
    let acme = Send::new(sluice.grpc_endpoint(), "grpc", &run_id("acme"), ACME_KEY);
    acme.run_ok();
    a.wait_until(
        "the hanging destination gets acme's first batch",
        ARRIVAL,
        |r| !r.is_empty(),
    );

    let globex = Send::new(
        sluice.http_endpoint(),
        "http",
        &run_id("globex"),
        GLOBEX_KEY,
    );
    globex.run_ok();
    // Far less than the 60 s the hanging export holds its worker.
    b.wait_for_records(globex.total(), Duration::from_secs(10));
    expect_exactly(&b, &globex, "globex");

    // acme's other two batches wait in a's queue behind the one in flight.
    sluice.wait_for_metric(r#"sluice_queue_depth{destination="a"}"#, 2.0, ARRIVAL);
    let stuck = a.requests();
    assert_eq!(
        stuck.len(),
        1,
        "a's one worker must still be on its first batch: {stuck:#?}"
    );
    assert_eq!(stuck[0].answer, Answer::Hung);
    assert!(
        stuck[0]
            .records
            .iter()
            .all(|r| r.tenant.as_deref() == Some("acme"))
    );
}

#[test]
fn sigterm_drains_the_queues_and_exits_cleanly() {
    let a = Capture::start(Behaviour {
        delay: Duration::from_millis(600),
        ..Behaviour::ok()
    });
    let sluice = Daemon::start(&config(
        &[dest("a", &a, "")],
        &[("acme", "a"), ("globex", "a")],
        4 << 20,
        "",
    ));
    let acme = Send::new(sluice.grpc_endpoint(), "grpc", &run_id("acme"), ACME_KEY);
    let globex = Send::new(
        sluice.http_endpoint(),
        "http",
        &run_id("globex"),
        GLOBEX_KEY,
    );
    acme.run_ok();
    globex.run_ok();
    let mut expected = [acme.ids(), globex.ids()].concat();
    expected.sort();
    // Six batches at 600 ms each: most are still queued now.
    let before = a.delivered().len();
    assert!(
        before < expected.len(),
        "everything was delivered before SIGTERM: the test proves nothing"
    );

    let (code, log) = sluice.terminate(Duration::from_secs(30));
    assert_eq!(
        code,
        Some(0),
        "sluice did not exit cleanly on SIGTERM; stderr:\n{log}"
    );
    let ids: Vec<(&str, String)> = a
        .delivered()
        .into_iter()
        .map(|r| (r.signal, r.id))
        .collect();
    assert_eq!(
        ids, expected,
        "not everything accepted was delivered (exactly once) before exit; stderr:\n{log}"
    );
    for needle in ["shutting down", "stopped"] {
        assert!(log.contains(needle), "the log lacks {needle:?}:\n{log}");
    }
    assert!(
        !log.contains("undelivered"),
        "batches were dropped at shutdown:\n{log}"
    );
}
