//! One bounded queue per destination, with its own workers, retries (exponential backoff
//! with jitter, honouring the server's requested delay) and full-queue policy, so a slow or
//! dead destination never delays another.
//!
//! A queue is bounded twice: by batches (`capacity`) and by the encoded protobuf size of the
//! payloads waiting in it (`max_bytes`); it is full when either bound is reached, and the
//! destination's `on_full` policy applies the same way to both. A payload's bytes are counted
//! from the moment it is queued until the export request it was merged into was delivered
//! (or given up).

use super::batcher::{Batcher, Item};
use super::{ExportBatch, Exporter, FailureKind};
use crate::config::{DestinationConfig, DestinationKind, OnFull, RetryConfig, TenancyConfig};
use crate::metrics::{DropReason, Metrics};
use crate::otlp::signal_name;
use crate::router::count_by_tenant;
use rand::Rng;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// After the shutdown deadline, how long the workers get to give up what they hold and count
/// it. They do at once (every wait of theirs ends at the hard stop); this only bounds one
/// stuck in an exporter call that does not yield.
const ABANDON_GRACE: Duration = Duration::from_secs(1);

/// The queue was full and its policy is to reject.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("destination `{destination}`: queue full")]
pub struct QueueFull {
    /// The destination.
    pub destination: String,
}

/// How a caller waits for room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueue {
    /// Follow the destination's `on_full` policy (network receivers).
    ByPolicy,
    /// Always wait for room (file mode: there is no client to push back on).
    Wait,
}

/// A destination's queue and workers.
pub struct DestinationQueue {
    name: String,
    on_full: OnFull,
    tx: async_channel::Sender<Item>,
    rx: async_channel::Receiver<Item>,
    exporter: Arc<dyn Exporter>,
    metrics: Arc<Metrics>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// Cancelled when the shutdown deadline passes: in-flight retries give up.
    hard_stop: CancellationToken,
    tenant_attribute: String,
    unknown_tenant: String,
    /// `queue.max_bytes`.
    max_bytes: usize,
    /// Encoded bytes of the payloads waiting in the channel, in an open request or being sent
    /// (reserved just before a payload is sent into the channel, released when its request
    /// was delivered or given up).
    bytes: AtomicUsize,
    /// Woken when bytes are released or the queue closes, for `block` senders.
    room: tokio::sync::Notify,
    /// Held while the gauges are read and set (see [`DestinationQueue::publish`]).
    gauges: Mutex<()>,
    /// The export requests being filled from the channel's payloads.
    open: Mutex<Batcher>,
    /// Woken when a request opens in an empty batcher, so idle workers wait for its due time.
    opened: tokio::sync::Notify,
    /// Payloads are encoded as they are queued (the exporter sends protobuf).
    encode: bool,
}

impl DestinationQueue {
    /// Starts the queue's workers on the current tokio runtime.
    pub fn start(
        config: &DestinationConfig,
        workers: usize,
        exporter: Arc<dyn Exporter>,
        metrics: Arc<Metrics>,
        tenancy: &TenancyConfig,
    ) -> Arc<Self> {
        let (tx, rx) = async_channel::bounded(config.queue.capacity.max(1));
        let encode = exporter.sends_protobuf();
        let queue = Arc::new(DestinationQueue {
            name: config.name.clone(),
            on_full: config.queue.on_full,
            tx,
            rx,
            exporter,
            metrics,
            workers: Mutex::new(Vec::new()),
            hard_stop: CancellationToken::new(),
            tenant_attribute: tenancy.attribute.clone(),
            unknown_tenant: tenancy.unknown.clone(),
            max_bytes: config.queue.max_bytes.max(1),
            bytes: AtomicUsize::new(0),
            room: tokio::sync::Notify::new(),
            gauges: Mutex::new(()),
            open: Mutex::new(Batcher::new(
                config.batch.max_records,
                config.batch.max_bytes,
                Duration::from_millis(config.batch.timeout_ms),
                // A file is written in queue order.
                config.kind == DestinationKind::File,
            )),
            opened: tokio::sync::Notify::new(),
            encode,
        });
        let handles = (0..workers.max(1))
            .map(|_| {
                let (q, retry) = (queue.clone(), config.retry.clone());
                tokio::spawn(async move { q.work(&retry).await })
            })
            .collect();
        *queue.workers.lock().expect("fresh mutex") = handles;
        queue
    }

    /// The destination's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a `reject` queue would take a payload of `bytes` encoded bytes now (checked
    /// for every destination of a request before enqueueing on any, so a rejected request
    /// leaves no partial copies). Queues of other policies always take it.
    pub fn has_room(&self, bytes: usize) -> bool {
        self.on_full != OnFull::Reject || (!self.tx.is_full() && self.bytes_fit(bytes))
    }

    /// Whether the queue's policy is `reject` (the only one that refuses a request).
    pub fn rejects(&self) -> bool {
        self.on_full == OnFull::Reject
    }

    /// Whether this is a `reject` queue that is full (by batches or bytes): any request
    /// routed to it would be refused.
    pub fn is_full_rejecting(&self) -> bool {
        self.on_full == OnFull::Reject
            && (self.tx.is_full() || self.bytes.load(Ordering::Acquire) >= self.max_bytes)
    }

    /// Whether `n` more bytes fit now: within `max_bytes`, or anything when nothing waits
    /// (so a payload larger than `max_bytes` is not refused forever).
    fn bytes_fit(&self, n: usize) -> bool {
        let queued = self.bytes.load(Ordering::Acquire);
        queued == 0 || queued.saturating_add(n) <= self.max_bytes
    }

    /// Reserves `n` bytes if they fit now.
    fn try_reserve(&self, n: usize) -> bool {
        let mut queued = self.bytes.load(Ordering::Acquire);
        loop {
            if queued != 0 && queued.saturating_add(n) > self.max_bytes {
                return false;
            }
            match self.bytes.compare_exchange_weak(
                queued,
                queued.saturating_add(n),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(now) => queued = now,
            }
        }
    }

    /// Waits until `n` bytes fit, and reserves them; `Err` when the queue closed meanwhile.
    async fn reserve_waiting(&self, n: usize) -> Result<(), ()> {
        loop {
            let notified = self.room.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before checking, so a release between the check and the wait wakes us.
            notified.as_mut().enable();
            if self.tx.is_closed() {
                return Err(());
            }
            if self.try_reserve(n) {
                return Ok(());
            }
            notified.await;
        }
    }

    /// Gives back bytes that left the channel (or were never sent into it).
    fn release(&self, n: usize) {
        self.bytes.fetch_sub(n, Ordering::AcqRel);
        self.room.notify_waiters();
        self.publish();
    }

    /// Sets the depth and bytes gauges to the queue's state now. One thread at a time:
    /// two that each read the state and then set a gauge could otherwise leave the older
    /// reading last, e.g. a queue shown non-empty after it drained.
    fn publish(&self) {
        let _order = self.gauges.lock().unwrap_or_else(PoisonError::into_inner);
        let open = self.batcher().len();
        self.metrics.queue_depth(&self.name, self.rx.len() + open);
        self.metrics
            .queue_bytes(&self.name, self.bytes.load(Ordering::Acquire));
    }

    /// Takes the oldest waiting payload out and counts its records as dropped (`drop_oldest`).
    fn drop_oldest(&self) -> bool {
        let Ok(old) = self.rx.try_recv() else {
            return false;
        };
        self.release(old.bytes);
        let signal = signal_name(old.batch.payload.signal());
        self.metrics
            .destination_dropped(signal, &self.name, DropReason::QueueFull, &old.tenants);
        tracing::warn!(destination = %self.name, records = old.records, bytes = old.bytes, "queue full: dropped the oldest batch");
        true
    }

    /// Puts a batch on the queue.
    pub async fn enqueue(&self, batch: ExportBatch, mode: Enqueue) -> Result<(), QueueFull> {
        let tenants = match batch.payload.decoded() {
            Ok(p) => count_by_tenant(&p, &self.tenant_attribute, &self.unknown_tenant),
            Err(_) => Vec::new(),
        };
        self.enqueue_counted(batch, tenants, mode).await
    }

    /// Puts a batch on the queue whose rows per tenant the caller counted (an encoded batch
    /// would have to be decoded to count them).
    pub async fn enqueue_counted(
        &self,
        batch: ExportBatch,
        tenants: Vec<(String, u64)>,
        mode: Enqueue,
    ) -> Result<(), QueueFull> {
        let records = tenants.iter().map(|(_, n)| n).sum();
        let (payload, bytes) = if self.encode {
            batch.payload.into_encoded()
        } else {
            let n = batch.payload.encoded_len();
            (batch.payload, n)
        };
        let batch = ExportBatch {
            payload,
            tenant: batch.tenant,
        };
        let mut item = Item {
            batch,
            records,
            tenants,
            bytes,
        };
        let policy = if mode == Enqueue::Wait {
            OnFull::Block
        } else {
            self.on_full
        };
        let result = match policy {
            OnFull::Block => match self.reserve_waiting(bytes).await {
                Err(()) => Err(()),
                Ok(()) => self.tx.send(item).await.map_err(|_| self.release(bytes)),
            },
            OnFull::Reject => {
                if self.try_reserve(bytes) {
                    self.tx.try_send(item).map_err(|_| self.release(bytes))
                } else {
                    Err(())
                }
            }
            OnFull::DropOldest => {
                // Room by bytes first, then by count; each by dropping the oldest.
                while !self.try_reserve(bytes) {
                    if !self.drop_oldest() {
                        // Nothing left to drop (what is counted is still being sent by
                        // others): take the room anyway rather than spin.
                        self.bytes.fetch_add(bytes, Ordering::AcqRel);
                        break;
                    }
                }
                loop {
                    match self.tx.try_send(item) {
                        Ok(()) => break Ok(()),
                        Err(async_channel::TrySendError::Full(back)) => {
                            item = back;
                            self.drop_oldest();
                        }
                        Err(async_channel::TrySendError::Closed(_)) => {
                            self.release(bytes);
                            break Err(());
                        }
                    }
                }
            }
        };
        self.publish();
        result.map_err(|()| QueueFull {
            destination: self.name.clone(),
        })
    }

    fn batcher(&self) -> std::sync::MutexGuard<'_, Batcher> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A worker: takes queued payloads into the open export requests (one per signal and
    /// tenant, see [`Batcher`]) and sends each request when it is full or due. Ends when the
    /// queue is closed and empty, after sending what is open.
    async fn work(&self, retry: &RetryConfig) {
        loop {
            // Registered before reading the due time, so a request opened meanwhile wakes us.
            let opened = self.opened.notified();
            let mut opened = std::pin::pin!(opened);
            opened.as_mut().enable();
            let due = {
                let mut open = self.batcher();
                match open.take_first(Some(Instant::now())) {
                    Some(item) => Err(item),
                    None => Ok(open.next_due()),
                }
            };
            let due = match due {
                Err(item) => {
                    self.send(item, retry).await;
                    continue;
                }
                Ok(due) => due,
            };
            let received = tokio::select! {
                received = self.rx.recv() => received.ok(),
                () = sleep_until(due) => continue,
                () = opened => continue,
            };
            let Some(item) = received else {
                // Closed and drained: what is still open goes now.
                loop {
                    let next = self.batcher().take_first(None);
                    let Some(item) = next else { return };
                    self.send(item, retry).await;
                }
            };
            let ready = {
                let mut open = self.batcher();
                let was_empty = open.len() == 0;
                let mut ready = open.add(item, Instant::now());
                // Open requests count against `max_bytes`: past half of it the oldest leaves
                // early, so the queue does not refuse payloads for ones only lingering.
                if open.bytes() > self.max_bytes / 2 {
                    ready.extend(open.take_first(None));
                }
                if was_empty && open.len() > 0 {
                    self.opened.notify_waiters();
                }
                ready
            };
            self.publish();
            for item in ready {
                self.send(item, retry).await;
            }
        }
    }

    /// Sends a request that left the batcher. Its bytes count against the queue until it is
    /// delivered or given up, so `max_bytes` bounds all the memory a destination's records
    /// take, those being sent included.
    async fn send(&self, item: Item, retry: &RetryConfig) {
        let bytes = item.bytes;
        self.deliver(item, retry).await;
        self.release(bytes);
    }

    async fn deliver(&self, item: Item, retry: &RetryConfig) {
        let signal = signal_name(item.batch.payload.signal());
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            // An export still in flight at the hard stop is abandoned: shutdown returns then,
            // and the process with it, so waiting for the answer would only hide the loss.
            let exported = tokio::select! {
                biased;
                () = self.hard_stop.cancelled() => None,
                result = self.exporter.export(&item.batch) => Some(result),
            };
            let error = match exported {
                None => return self.abandon(signal, &item),
                Some(Ok(())) => {
                    for (tenant, n) in &item.tenants {
                        self.metrics.exported(signal, &self.name, tenant, *n);
                    }
                    return;
                }
                Some(Err(e)) => e,
            };
            if error.kind == FailureKind::Permanent {
                self.metrics.export_failed(&self.name, "permanent");
                self.metrics.destination_dropped(
                    signal,
                    &self.name,
                    DropReason::ExportRejected,
                    &item.tenants,
                );
                tracing::error!(destination = %self.name, records = item.records, "export rejected, not retried: {error}");
                return;
            }
            self.metrics.export_failed(&self.name, "retryable");
            attempt += 1;
            let wait = error.retry_after.unwrap_or_else(|| backoff(retry, attempt));
            let limit = Duration::from_millis(retry.max_elapsed_ms);
            if retry.max_elapsed_ms > 0 && started.elapsed() + wait > limit {
                self.metrics.destination_dropped(
                    signal,
                    &self.name,
                    DropReason::RetriesExhausted,
                    &item.tenants,
                );
                tracing::error!(destination = %self.name, records = item.records, attempts = attempt, "export failed, retries exhausted: {error}");
                return;
            }
            self.metrics.export_retried(&self.name);
            tracing::warn!(destination = %self.name, attempt, wait_ms = wait.as_millis() as u64, "export failed, will retry: {error}");
            tokio::select! {
                biased;
                () = self.hard_stop.cancelled() => return self.abandon(signal, &item),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Counts a batch a worker held (in flight or between retries) at the hard stop.
    fn abandon(&self, signal: &str, item: &Item) {
        self.metrics
            .destination_dropped(signal, &self.name, DropReason::Shutdown, &item.tenants);
        tracing::error!(destination = %self.name, records = item.records, "shutdown deadline passed before the batch was delivered: dropped");
    }

    /// Takes every payload still in the channel or an open request out and counts its records
    /// as dropped at shutdown; returns how many batches and records that was.
    fn abandon_queued(&self) -> (usize, u64) {
        let (mut batches, mut records) = (0, 0);
        let take = || {
            self.rx
                .try_recv()
                .ok()
                .or_else(|| self.batcher().take_first(None))
        };
        while let Some(item) = take() {
            self.release(item.bytes);
            let signal = signal_name(item.batch.payload.signal());
            self.metrics.destination_dropped(
                signal,
                &self.name,
                DropReason::Shutdown,
                &item.tenants,
            );
            batches += 1;
            records += item.records;
        }
        self.publish();
        (batches, records)
    }

    /// Stops taking batches, lets the workers drain the queue until `deadline`, then gives up
    /// on what is left (counted as dropped, reason `shutdown`: queued, in flight or between
    /// retries) and flushes the exporter.
    pub async fn shutdown(&self, deadline: Instant) {
        self.tx.close();
        // `block` senders waiting for byte room give up.
        self.room.notify_waiters();
        let handles = std::mem::take(&mut *self.workers.lock().expect("workers mutex"));
        let remaining = deadline.saturating_duration_since(Instant::now());
        let mut all = std::pin::pin!(futures_join(handles));
        if tokio::time::timeout(remaining, all.as_mut()).await.is_err() {
            // Cancelled first: a worker taking a payload from now on counts it itself, so
            // each is counted once, by whoever took it out.
            self.hard_stop.cancel();
            let (batches, records) = self.abandon_queued();
            tracing::error!(destination = %self.name, batches, records, "shutdown deadline passed: queued batches dropped");
            // What the workers hold they count as they give it up, before the exporter is
            // flushed and the metrics read for the last time.
            if tokio::time::timeout(ABANDON_GRACE, all).await.is_err() {
                tracing::warn!(destination = %self.name, "a queue worker did not stop at the shutdown deadline");
            }
        }
        if let Err(e) = self.exporter.flush().await {
            tracing::error!(destination = %self.name, "flush failed: {e}");
        }
    }
}

/// Waits until `due`, or for ever.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due.into()).await,
        None => std::future::pending().await,
    }
}

async fn futures_join(handles: Vec<JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

/// `initial * 2^(attempt-1)`, capped, with "equal jitter" (a random wait in [d/2, d]) so
/// many senders retrying at once spread out.
fn backoff(retry: &RetryConfig, attempt: u32) -> Duration {
    let base = retry
        .initial_backoff_ms
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let capped = base.min(retry.max_backoff_ms).max(1);
    let jittered = rand::rng().random_range(capped / 2..=capped);
    Duration::from_millis(jittered)
}

#[cfg(test)]
mod limits_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let r = RetryConfig {
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
            max_elapsed_ms: 0,
        };
        for _ in 0..50 {
            let a = backoff(&r, 1).as_millis();
            let c = backoff(&r, 3).as_millis();
            let z = backoff(&r, 30).as_millis();
            assert!(
                (50..=100).contains(&a) && (200..=400).contains(&c) && (500..=1000).contains(&z),
                "{a} {c} {z}"
            );
        }
    }
}

#[cfg(test)]
mod batching_tests {
    use super::*;
    use crate::config::Config;
    use crate::export::file::FileExporter;

    fn span_line(name: &str) -> crate::otlp::Payload {
        let line = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"name":"{name}"}}]}}]}}]}}"#
        );
        crate::otlp::json::decode_line(&line).unwrap().remove(0)
    }

    #[tokio::test]
    async fn small_payloads_are_merged_up_to_max_records_and_flushed_on_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let config: Config = toml::from_str(&format!(
            "[[destinations]]\nname = \"f\"\ntype = \"file\"\npath = \"{}\"\nbatch = {{ max_records = 3, timeout_ms = 60000 }}\n",
            path.display()
        ))
        .unwrap();
        let d = &config.destinations[0];
        let exporter = Arc::new(FileExporter::new(d.path.as_deref().unwrap()));
        let queue =
            DestinationQueue::start(d, 1, exporter, Arc::new(Metrics::new(10)), &config.tenancy);
        for i in 0..5 {
            let batch = ExportBatch {
                payload: span_line(&format!("s{i}")).into(),
                tenant: None,
            };
            queue.enqueue(batch, Enqueue::Wait).await.unwrap();
        }
        queue
            .shutdown(Instant::now() + Duration::from_secs(30))
            .await;
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Three merged into one request at the limit; the last two sent when the queue closed.
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0].matches(r#""name":"s"#).count(), 3);
        assert_eq!(lines[1].matches(r#""name":"s"#).count(), 2);
        let order: Vec<usize> = (0..5)
            .map(|i| text.find(&format!(r#""name":"s{i}""#)).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "queue order is kept");
    }
}
