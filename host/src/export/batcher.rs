//! The export requests a destination is still filling: queued payloads merged per signal and
//! tenant until a request is full or old enough to send.
//!
//! One open request per key, not one per worker: payloads of many tenants and signals arrive
//! interleaved, and a worker holding a single open request would have to send it every time
//! the next payload belonged to someone else, so a destination with per-tenant requests
//! would send about one export per client request however busy it was.

use super::ExportBatch;
use sluice_plugin_sdk::Signal;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// A payload, or several merged, with what the queue counts about it.
pub(super) struct Item {
    pub batch: ExportBatch,
    pub records: u64,
    /// Records per tenant, for the per-tenant export and drop metrics.
    pub tenants: Vec<(String, u64)>,
    /// The encoded size, counted against the queue's `max_bytes` until the item is sent.
    pub bytes: usize,
}

impl Item {
    fn key(&self) -> Key {
        (self.batch.payload.signal(), self.batch.tenant.clone())
    }

    /// Appends `other`'s records; both must have the same key.
    fn absorb(&mut self, other: Item) {
        self.batch.payload.absorb(other.batch.payload);
        self.records += other.records;
        self.bytes += other.bytes;
        for (tenant, n) in other.tenants {
            match self.tenants.iter_mut().find(|(t, _)| *t == tenant) {
                Some((_, m)) => *m += n,
                None => self.tenants.push((tenant, n)),
            }
        }
    }
}

/// What may share an export request: the signal and, for per-tenant destinations, the tenant.
type Key = (Signal, Option<String>);

struct Open {
    item: Item,
    /// When the request is sent even if not full (`batch.timeout_ms` after its first part).
    due: Instant,
    /// Tells this request from a later one of the same key in `order`.
    serial: u64,
}

/// The open requests of one destination.
pub(super) struct Batcher {
    open: HashMap<Key, Open>,
    /// Keys in the order their requests opened, which is also the order they fall due (the
    /// linger is the same for all); entries whose request was sent meanwhile are skipped.
    order: VecDeque<(u64, Key)>,
    serial: u64,
    linger: Duration,
    max_records: u64,
    max_bytes: usize,
    /// At most one open request, so requests leave in the order their payloads came (files).
    ordered: bool,
    bytes: usize,
}

impl Batcher {
    /// Requests of at most `max_records` records and `max_bytes` encoded bytes (a larger
    /// payload goes alone), each sent `linger` after its first part at the latest.
    pub fn new(max_records: usize, max_bytes: usize, linger: Duration, ordered: bool) -> Self {
        Batcher {
            open: HashMap::new(),
            order: VecDeque::new(),
            serial: 0,
            linger,
            max_records: max_records.max(1) as u64,
            max_bytes: max_bytes.max(1),
            ordered,
            bytes: 0,
        }
    }

    /// Adds a payload to its key's open request and returns requests that are ready: the
    /// previous open request when this payload would not fit in it (or, `ordered`, when it
    /// is of another key), and the payload's own request when it is full or nothing lingers.
    pub fn add(&mut self, item: Item, now: Instant) -> Vec<Item> {
        let mut ready = Vec::new();
        let key = item.key();
        if self.ordered
            && let Some(other) = self.open.keys().find(|k| **k != key).cloned()
        {
            ready.extend(self.remove(&other));
        }
        let fits = self.open.get(&key).is_some_and(|o| {
            o.item.records + item.records <= self.max_records
                && o.item.bytes + item.bytes <= self.max_bytes
        });
        if !fits {
            ready.extend(self.remove(&key));
        }
        self.bytes += item.bytes;
        match self.open.get_mut(&key) {
            Some(open) => open.item.absorb(item),
            None => {
                self.serial += 1;
                self.order.push_back((self.serial, key.clone()));
                let open = Open {
                    item,
                    due: now + self.linger,
                    serial: self.serial,
                };
                self.open.insert(key.clone(), open);
            }
        }
        let open = &self.open[&key].item;
        if self.linger.is_zero() || open.records >= self.max_records || open.bytes >= self.max_bytes
        {
            ready.extend(self.remove(&key));
        }
        ready
    }

    /// The request that opened first, if it is due at `now` (or, with `now` `None`, whatever
    /// its due time: for flushing).
    pub fn take_first(&mut self, now: Option<Instant>) -> Option<Item> {
        let (_, key) = self.first()?;
        if now.is_some_and(|now| self.open[&key].due > now) {
            return None;
        }
        self.remove(&key)
    }

    /// When the first open request falls due.
    pub fn next_due(&mut self) -> Option<Instant> {
        self.first().map(|(due, _)| due)
    }

    /// Open requests.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Encoded bytes of the open requests.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The first open request's due time and key, dropping stale entries of `order`.
    fn first(&mut self) -> Option<(Instant, Key)> {
        while let Some((serial, key)) = self.order.front() {
            match self.open.get(key) {
                Some(open) if open.serial == *serial => return Some((open.due, key.clone())),
                _ => {
                    self.order.pop_front();
                }
            }
        }
        None
    }

    fn remove(&mut self, key: &Key) -> Option<Item> {
        let open = self.open.remove(key)?;
        self.bytes -= open.item.bytes;
        Some(open.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::Payload;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::ResourceSpans;

    fn item(signal: Signal, tenant: &str, records: u64) -> Item {
        let payload = match signal {
            Signal::Span => Payload::Traces(ExportTraceServiceRequest {
                resource_spans: vec![ResourceSpans::default()],
            }),
            _ => Payload::Logs(ExportLogsServiceRequest::default()),
        };
        Item {
            batch: ExportBatch {
                payload: payload.into(),
                tenant: Some(tenant.to_string()),
            },
            records,
            tenants: vec![(tenant.to_string(), records)],
            bytes: 10 * records as usize,
        }
    }

    fn tenants(items: &[Item]) -> Vec<(String, u64)> {
        items
            .iter()
            .map(|i| (i.batch.tenant.clone().unwrap(), i.records))
            .collect()
    }

    #[test]
    fn interleaved_tenants_and_signals_fill_their_own_requests() {
        let t0 = Instant::now();
        let mut b = Batcher::new(10, 1 << 20, Duration::from_secs(1), false);
        for tenant in ["a", "b", "a", "c", "b", "a"] {
            assert!(b.add(item(Signal::Span, tenant, 3), t0).is_empty());
        }
        assert!(b.add(item(Signal::Log, "a", 3), t0).is_empty());
        assert_eq!((b.len(), b.bytes()), (4, 210));
        // a's spans hold 9: the next 3 do not fit, so the 9 leave and the 3 open a request.
        let ready = b.add(item(Signal::Span, "a", 3), t0);
        assert_eq!(tenants(&ready), [("a".to_string(), 9)]);
        assert_eq!(ready[0].tenants, [("a".to_string(), 9)]);
        let crate::export::Body::Decoded(Payload::Traces(r)) = &ready[0].batch.payload else {
            panic!("spans")
        };
        assert_eq!(r.resource_spans.len(), 3);
        assert_eq!((b.len(), b.bytes()), (4, 150));
    }

    #[test]
    fn requests_fall_due_in_the_order_they_opened() {
        let t0 = Instant::now();
        let linger = Duration::from_millis(200);
        let mut b = Batcher::new(100, 1 << 20, linger, false);
        b.add(item(Signal::Span, "a", 1), t0);
        b.add(item(Signal::Span, "b", 1), t0 + Duration::from_millis(50));
        b.add(item(Signal::Span, "a", 1), t0 + Duration::from_millis(100));
        assert_eq!(b.next_due(), Some(t0 + linger));
        assert!(
            b.take_first(Some(t0 + Duration::from_millis(199)))
                .is_none()
        );
        let a = b.take_first(Some(t0 + linger)).unwrap();
        assert_eq!(tenants(&[a]), [("a".to_string(), 2)]);
        assert_eq!(b.next_due(), Some(t0 + Duration::from_millis(250)));
        // A request re-opened for `a` after it left is due from its own first part.
        b.add(item(Signal::Span, "a", 1), t0 + Duration::from_millis(300));
        assert_eq!(
            tenants(&[b.take_first(None).unwrap()]),
            [("b".to_string(), 1)]
        );
        assert_eq!(b.next_due(), Some(t0 + Duration::from_millis(500)));
        assert_eq!(
            tenants(&[b.take_first(None).unwrap()]),
            [("a".to_string(), 1)]
        );
        assert!(b.take_first(None).is_none());
        assert_eq!((b.len(), b.bytes(), b.next_due()), (0, 0, None));
    }

    #[test]
    fn a_full_request_or_no_linger_sends_at_once_and_a_big_payload_goes_alone() {
        let t0 = Instant::now();
        let mut b = Batcher::new(10, 1 << 20, Duration::from_secs(1), false);
        assert!(b.add(item(Signal::Span, "a", 4), t0).is_empty());
        assert_eq!(
            tenants(&b.add(item(Signal::Span, "a", 6), t0)),
            [("a".into(), 10)]
        );
        let ready = b.add(item(Signal::Span, "b", 25), t0);
        assert_eq!(tenants(&ready), [("b".into(), 25)]);
        let mut now = Batcher::new(10, 1 << 20, Duration::ZERO, false);
        assert_eq!(
            tenants(&now.add(item(Signal::Span, "a", 1), t0)),
            [("a".into(), 1)]
        );
        assert_eq!(now.len(), 0);
    }

    #[test]
    fn a_request_is_also_full_by_bytes() {
        let t0 = Instant::now();
        // 10 bytes per record: 95 bytes hold 9 records.
        let mut b = Batcher::new(100, 95, Duration::from_secs(1), false);
        assert!(b.add(item(Signal::Span, "a", 5), t0).is_empty());
        assert_eq!(
            tenants(&b.add(item(Signal::Span, "a", 5), t0)),
            [("a".into(), 5)]
        );
        assert!(b.add(item(Signal::Span, "a", 4), t0).is_empty());
        let sent = b.add(item(Signal::Span, "a", 1), t0);
        assert_eq!(tenants(&sent), [("a".into(), 9)]);
        let alone = b.add(item(Signal::Span, "b", 12), t0);
        assert_eq!(tenants(&alone), [("b".into(), 12)]);
        assert_eq!((b.len(), b.bytes()), (1, 10));
    }

    #[test]
    fn ordered_keeps_one_open_request_so_payloads_leave_in_arrival_order() {
        let t0 = Instant::now();
        let mut b = Batcher::new(100, 1 << 20, Duration::from_secs(1), true);
        assert!(b.add(item(Signal::Span, "a", 1), t0).is_empty());
        assert!(b.add(item(Signal::Span, "a", 1), t0).is_empty());
        assert_eq!(
            tenants(&b.add(item(Signal::Span, "b", 1), t0)),
            [("a".into(), 2)]
        );
        assert_eq!(
            tenants(&b.add(item(Signal::Log, "b", 1), t0)),
            [("b".into(), 1)]
        );
        assert_eq!(b.len(), 1);
    }
}
