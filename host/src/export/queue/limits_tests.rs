//! Queue bounds in bytes and the per-destination drop counts, against real destinations on
//! 127.0.0.1: one that hangs (so the queue's only worker is stuck and the queue fills), and
//! ones that answer every request with a permanent or a retryable error.

use super::*;
use crate::config::{DestinationConfig, TenancyConfig};
use crate::export::encoded_len;
use crate::export::otlp_http::OtlpHttpExporter;
use crate::export::testkit::{
    DEADLINE, Hang, answering, metric_value, wait_for_metric, wait_until,
};
use crate::otlp::Payload;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use std::net::SocketAddr;

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

/// `spans` spans of `tenant` (every tenant in these tests has a 4-letter name, so payloads
/// of the same span count have the same encoded size).
fn traces(tenant: &str, spans: u8) -> Payload {
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![text("tenant.id", tenant)],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: (0..spans)
                    .map(|i| Span {
                        trace_id: vec![1; 16],
                        span_id: vec![i; 8],
                        name: "chat".into(),
                        attributes: vec![text("gen_ai.prompt", &"p".repeat(200))],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

fn batch(payload: Payload) -> ExportBatch {
    ExportBatch {
        payload: payload.into(),
        tenant: None,
    }
}

/// An OTLP/HTTP destination `vendor` to `addr`: one worker, no batching, one try.
fn destination(addr: SocketAddr, queue: &str) -> DestinationConfig {
    toml::from_str(&format!(
        "name = \"vendor\"\ntype = \"otlp_http\"\nendpoint = \"http://{addr}\"\n\
         timeout_ms = 60000\nqueue = {{ workers = 1, {queue} }}\n\
         batch = {{ timeout_ms = 0 }}\n\
         retry = {{ initial_backoff_ms = 1, max_backoff_ms = 1, max_elapsed_ms = 1 }}\n"
    ))
    .unwrap()
}

fn start(config: &DestinationConfig, metrics: &Arc<Metrics>) -> Arc<DestinationQueue> {
    let exporter = OtlpHttpExporter::new(config).unwrap();
    DestinationQueue::start(
        config,
        1,
        Arc::new(exporter),
        metrics.clone(),
        &TenancyConfig::default(),
    )
}

const BYTES: &str = r#"sluice_queue_bytes{destination="vendor"}"#;

/// Queues one payload of one span and waits until the only worker has taken it and is stuck
/// exporting it to `hang`: from then on the queue only fills. The payload's bytes still count
/// against the queue (until it is delivered or given up); returns them.
async fn stick_the_worker(queue: &DestinationQueue, hang: &Hang, metrics: &Metrics) -> u64 {
    let stuck = traces("stck", 1);
    let size = encoded_len(&stuck) as u64;
    queue
        .enqueue(batch(stuck), Enqueue::ByPolicy)
        .await
        .unwrap();
    wait_until("the worker connects to the hanging destination", || {
        hang.accepted() >= 1
    })
    .await;
    let text = metrics.encode();
    assert_eq!(metric_value(&text, BYTES), size, "{text}");
    assert_eq!(
        metric_value(&text, r#"sluice_queue_depth{destination="vendor"}"#),
        0,
        "{text}"
    );
    size
}

async fn stop(queue: &DestinationQueue, hang: &Hang) {
    hang.release();
    queue
        .shutdown(std::time::Instant::now() + Duration::from_secs(10))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_full_by_bytes_rejects_and_reports_its_size() {
    let size = encoded_len(&traces("acme", 1));
    let hang = Hang::start().await;
    let metrics = Arc::new(Metrics::new(10));
    let config = destination(
        hang.addr,
        &format!(
            "capacity = 100, on_full = \"reject\", max_bytes = {}",
            3 * size
        ),
    );
    let queue = start(&config, &metrics);
    // The same size as one of acme's: the stuck request's bytes are a third of the room.
    assert_eq!(stick_the_worker(&queue, &hang, &metrics).await, size as u64);

    for tenant in ["acme", "beta"] {
        assert!(queue.has_room(size));
        queue
            .enqueue(batch(traces(tenant, 1)), Enqueue::ByPolicy)
            .await
            .unwrap();
    }
    // Two of the hundred batches waiting and one being sent, but all of the bytes.
    assert!(!queue.has_room(size) && queue.is_full_rejecting());
    let err = queue
        .enqueue(batch(traces("gmma", 1)), Enqueue::ByPolicy)
        .await
        .unwrap_err();
    assert_eq!(err.destination, "vendor");
    let text = metrics.encode();
    assert_eq!(metric_value(&text, BYTES), 3 * size as u64, "{text}");
    assert_eq!(
        metric_value(&text, r#"sluice_queue_depth{destination="vendor"}"#),
        2
    );
    // A rejected request was not dropped: its client retries it.
    assert!(!text.contains("reason=\"queue_full\""), "{text}");

    // Once the destination fails, the queued payloads go (counted) and the bytes with them.
    stop(&queue, &hang).await;
    let text = metrics.encode();
    assert_eq!(metric_value(&text, BYTES), 0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_larger_than_max_bytes_is_queued_only_alone() {
    let hang = Hang::start().await;
    let metrics = Arc::new(Metrics::new(10));
    let big = traces("acme", 10);
    let config = destination(
        hang.addr,
        &format!(
            "capacity = 100, on_full = \"reject\", max_bytes = {}",
            encoded_len(&big) / 2
        ),
    );
    let queue = start(&config, &metrics);
    // Nothing held: it enters, and the worker gets stuck sending it.
    queue
        .enqueue(batch(big.clone()), Enqueue::ByPolicy)
        .await
        .unwrap();
    wait_until("the worker connects to the hanging destination", || {
        hang.accepted() >= 1
    })
    .await;
    assert!(queue.is_full_rejecting());
    queue
        .enqueue(batch(traces("acme", 1)), Enqueue::ByPolicy)
        .await
        .unwrap_err();
    stop(&queue, &hang).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_oldest_makes_room_by_bytes_and_counts_the_drop_per_destination_and_tenant() {
    let size = encoded_len(&traces("acme", 2));
    let hang = Hang::start().await;
    let metrics = Arc::new(Metrics::new(10));
    let config = destination(
        hang.addr,
        &format!(
            "capacity = 100, on_full = \"drop_oldest\", max_bytes = {}",
            encoded_len(&traces("stck", 1)) + 2 * size
        ),
    );
    let queue = start(&config, &metrics);
    let stuck = stick_the_worker(&queue, &hang, &metrics).await;
    for tenant in ["acme", "beta", "gmma"] {
        // `drop_oldest` never refuses.
        assert!(queue.has_room(size));
        queue
            .enqueue(batch(traces(tenant, 2)), Enqueue::ByPolicy)
            .await
            .unwrap();
    }
    let text = metrics.encode();
    assert_eq!(
        metric_value(&text, BYTES),
        stuck + 2 * size as u64,
        "{text}"
    );
    // acme's payload, the oldest waiting, made room for gmma's.
    for (series, n) in [
        (
            r#"sluice_records_dropped_by_destination_total{signal="traces",destination="vendor",tenant="acme",reason="queue_full"}"#,
            2,
        ),
        (
            r#"sluice_records_dropped_by_destination_total{signal="traces",destination="vendor",tenant="beta",reason="queue_full"}"#,
            0,
        ),
        (
            r#"sluice_records_dropped_total{signal="traces",reason="queue_full"}"#,
            2,
        ),
    ] {
        assert_eq!(metric_value(&text, series), n, "{series}\n{text}");
    }
    stop(&queue, &hang).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_waits_until_bytes_are_freed() {
    let size = encoded_len(&traces("acme", 1));
    let hang = Hang::start().await;
    let metrics = Arc::new(Metrics::new(10));
    let config = destination(
        hang.addr,
        &format!(
            "capacity = 100, on_full = \"block\", max_bytes = {}",
            2 * size
        ),
    );
    let queue = start(&config, &metrics);
    assert_eq!(stick_the_worker(&queue, &hang, &metrics).await, size as u64);
    queue
        .enqueue(batch(traces("acme", 1)), Enqueue::ByPolicy)
        .await
        .unwrap();
    let waiting = tokio::spawn({
        let queue = queue.clone();
        async move {
            queue
                .enqueue(batch(traces("beta", 1)), Enqueue::ByPolicy)
                .await
        }
    });
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(
        !waiting.is_finished(),
        "a full `block` queue must make the sender wait"
    );
    assert_eq!(metric_value(&metrics.encode(), BYTES), 2 * size as u64);

    // The destination fails: the stuck payload is given up, the worker takes the next one,
    // and its bytes make room for the waiting sender.
    hang.release();
    tokio::time::timeout(DEADLINE, waiting)
        .await
        .expect("the sender got room")
        .unwrap()
        .unwrap();
    queue
        .shutdown(std::time::Instant::now() + Duration::from_secs(10))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_rejections_and_exhausted_retries_are_counted_per_destination_and_tenant() {
    // Two tenant labels at most: the third tenant is counted as `other`.
    let metrics = Arc::new(Metrics::new(2));
    for (status, name, reason) in [
        (400, "strict", "export_rejected"),
        (503, "flaky", "retries_exhausted"),
    ] {
        let addr = answering(status).await;
        let config: DestinationConfig = toml::from_str(&format!(
            "name = \"{name}\"\ntype = \"otlp_http\"\nendpoint = \"http://{addr}\"\n\
             queue = {{ workers = 1 }}\nbatch = {{ timeout_ms = 0 }}\n\
             retry = {{ initial_backoff_ms = 1, max_backoff_ms = 1, max_elapsed_ms = 1 }}\n"
        ))
        .unwrap();
        let queue = start(&config, &metrics);
        for (tenant, spans) in [("acme", 2), ("beta", 1), ("gmma", 3)] {
            queue
                .enqueue(batch(traces(tenant, spans)), Enqueue::Wait)
                .await
                .unwrap();
        }
        let series = |tenant: &str| {
            format!(
                r#"sluice_records_dropped_by_destination_total{{signal="traces",destination="{name}",tenant="{tenant}",reason="{reason}"}}"#
            )
        };
        let text = wait_for_metric(&metrics, &format!("{} 3", series("other"))).await;
        assert_eq!(metric_value(&text, &series("acme")), 2, "{text}");
        assert_eq!(metric_value(&text, &series("beta")), 1, "{text}");
        // The old counter goes on counting by reason alone.
        let total = format!(r#"sluice_records_dropped_total{{signal="traces",reason="{reason}"}}"#);
        assert_eq!(metric_value(&text, &total), 6, "{text}");
        queue
            .shutdown(std::time::Instant::now() + Duration::from_secs(10))
            .await;
    }
    let text = metrics.encode();
    assert!(
        metric_value(
            &text,
            r#"sluice_export_failures_total{destination="strict",kind="permanent"}"#
        ) == 3,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_left_at_the_shutdown_deadline_are_counted_as_dropped_at_shutdown() {
    let hang = Hang::start().await;
    let metrics = Arc::new(Metrics::new(10));
    let config = destination(hang.addr, "capacity = 100, on_full = \"reject\"");
    let queue = start(&config, &metrics);
    // One span in flight to a destination that never answers, ten more queued behind it.
    stick_the_worker(&queue, &hang, &metrics).await;
    for (tenant, spans) in [("acme", 2), ("beta", 3), ("gmma", 1), ("acme", 4)] {
        queue
            .enqueue(batch(traces(tenant, spans)), Enqueue::ByPolicy)
            .await
            .unwrap();
    }
    assert_ne!(metric_value(&metrics.encode(), BYTES), 0);

    // The destination is never released: nothing is delivered by the deadline.
    queue
        .shutdown(std::time::Instant::now() + Duration::from_millis(200))
        .await;
    let total = r#"sluice_records_dropped_total{signal="traces",reason="shutdown"}"#;
    let text = wait_for_metric(&metrics, &format!("{total} 11")).await;
    for (tenant, n) in [("stck", 1), ("acme", 6), ("beta", 3), ("gmma", 1)] {
        let series = format!(
            r#"sluice_records_dropped_by_destination_total{{signal="traces",destination="vendor",tenant="{tenant}",reason="shutdown"}}"#
        );
        assert_eq!(metric_value(&text, &series), n, "{series}\n{text}");
    }
    assert_eq!(metric_value(&text, BYTES), 0, "{text}");
    assert_eq!(
        metric_value(&text, r#"sluice_queue_depth{destination="vendor"}"#),
        0,
        "{text}"
    );
    assert!(!text.contains("sluice_records_exported_total{"), "{text}");
    assert!(!text.contains("reason=\"retries_exhausted\""), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_waiting_to_be_retried_at_the_shutdown_deadline_is_dropped_at_shutdown() {
    let addr = answering(503).await;
    let metrics = Arc::new(Metrics::new(10));
    // A retry far beyond the deadline, and no limit on retrying.
    let config: DestinationConfig = toml::from_str(&format!(
        "name = \"vendor\"\ntype = \"otlp_http\"\nendpoint = \"http://{addr}\"\n\
         queue = {{ workers = 1 }}\nbatch = {{ timeout_ms = 0 }}\n\
         retry = {{ initial_backoff_ms = 600000, max_backoff_ms = 600000, max_elapsed_ms = 0 }}\n"
    ))
    .unwrap();
    let queue = start(&config, &metrics);
    queue
        .enqueue(batch(traces("acme", 3)), Enqueue::ByPolicy)
        .await
        .unwrap();
    wait_for_metric(
        &metrics,
        r#"sluice_export_retries_total{destination="vendor"} 1"#,
    )
    .await;

    queue
        .shutdown(std::time::Instant::now() + Duration::from_millis(200))
        .await;
    let series = r#"sluice_records_dropped_by_destination_total{signal="traces",destination="vendor",tenant="acme",reason="shutdown"}"#;
    let text = wait_for_metric(&metrics, &format!("{series} 3")).await;
    assert!(!text.contains("reason=\"retries_exhausted\""), "{text}");
}
