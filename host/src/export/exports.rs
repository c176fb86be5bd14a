//! Every destination's queue, built from the config, and putting a routed payload on them.

use super::file::{DiscardExporter, FileExporter};
use super::queue::{DestinationQueue, Enqueue, QueueFull};
use super::{Body, ExportBatch, Exporter};
use crate::config::{Config, DestinationConfig, DestinationKind};
use crate::metrics::Metrics;
use crate::otlp::Payload;
use crate::otlp::wire::WireRequest;
use crate::router::split_by_tenant;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The destinations' queues, indexed like the config's destinations (and route mask bits).
pub struct Exports {
    queues: Vec<Arc<DestinationQueue>>,
    names: Vec<String>,
    per_tenant: Vec<bool>,
    tenant_attribute: String,
    unknown_tenant: String,
}

/// Whether a destination's endpoint, path or headers are templated by tenant.
pub fn is_per_tenant(d: &DestinationConfig) -> bool {
    let t = |s: &str| s.contains("{tenant}");
    d.path.as_deref().is_some_and(t)
        || d.endpoint.as_deref().is_some_and(t)
        || d.headers.values().any(|v| t(v))
}

fn exporter(d: &DestinationConfig) -> Result<Arc<dyn Exporter>, String> {
    Ok(match d.kind {
        DestinationKind::File => Arc::new(FileExporter::new(d.path.as_deref().unwrap_or("-"))),
        DestinationKind::Discard => Arc::new(DiscardExporter),
        DestinationKind::OtlpGrpc => Arc::new(super::otlp_grpc::OtlpGrpcExporter::new(d)?),
        DestinationKind::OtlpHttp => Arc::new(super::otlp_http::OtlpHttpExporter::new(d)?),
    })
}

impl Exports {
    /// Builds every exporter and starts every queue on the current tokio runtime.
    pub fn start(config: &Config, metrics: &Arc<Metrics>) -> Result<Self, String> {
        let mut queues = Vec::new();
        for d in &config.destinations {
            // A file is written in queue order only with a single writer.
            let workers = if d.kind == DestinationKind::File {
                1
            } else {
                d.queue.workers
            };
            queues.push(DestinationQueue::start(
                d,
                workers,
                exporter(d)?,
                metrics.clone(),
                &config.tenancy,
            ));
        }
        Ok(Exports {
            queues,
            names: config.destinations.iter().map(|d| d.name.clone()).collect(),
            per_tenant: config.destinations.iter().map(is_per_tenant).collect(),
            tenant_attribute: config.tenancy.attribute.clone(),
            unknown_tenant: config.tenancy.unknown.clone(),
        })
    }

    /// Destination `d`'s name.
    pub fn name(&self, d: usize) -> &str {
        &self.names[d]
    }

    /// Whether every `reject`-policy queue among the destinations of `parts` has room now
    /// for its part (by batch count and by encoded bytes).
    pub fn have_room_for(&self, parts: &[(usize, Payload)]) -> bool {
        parts.iter().all(|(d, part)| {
            let queue = &self.queues[*d];
            // Sizing a part costs a walk over it: only `reject` queues need it.
            !queue.rejects() || queue.has_room(super::encoded_len(part))
        })
    }

    /// [`Self::have_room_for`] for a request read at the wire level: `parts` are (destination,
    /// indices of the request's resources routed to it).
    pub fn have_room_for_wire(&self, request: &WireRequest, parts: &[(usize, Vec<usize>)]) -> bool {
        parts.iter().all(|(d, which)| {
            let queue = &self.queues[*d];
            !queue.rejects() || queue.has_room(request.encoded_len(which))
        })
    }

    /// Whether every destination's queue is a `reject` queue that is full: a request would
    /// be refused whatever the plugin chain routed it to.
    pub fn all_full(&self) -> bool {
        !self.queues.is_empty() && self.queues.iter().all(|q| q.is_full_rejecting())
    }

    /// Queues a destination's payload (split per tenant for templated destinations).
    pub async fn enqueue(
        &self,
        destination: usize,
        payload: Payload,
        mode: Enqueue,
    ) -> Result<(), QueueFull> {
        let queue = &self.queues[destination];
        if !self.per_tenant[destination] {
            return queue
                .enqueue(
                    ExportBatch {
                        payload: payload.into(),
                        tenant: None,
                    },
                    mode,
                )
                .await;
        }
        for (tenant, part) in split_by_tenant(payload, &self.tenant_attribute, &self.unknown_tenant)
        {
            queue
                .enqueue(
                    ExportBatch {
                        payload: part.into(),
                        tenant: Some(tenant),
                    },
                    mode,
                )
                .await?;
        }
        Ok(())
    }

    /// Queues the resources `which` of a request read at the wire level, their records as
    /// they arrived (one request per tenant for templated destinations). `tenants` holds each
    /// resource's tenant and rows, in request order.
    pub async fn enqueue_wire(
        &self,
        destination: usize,
        request: &WireRequest,
        which: &[usize],
        tenants: &[(&str, u64)],
        mode: Enqueue,
    ) -> Result<(), QueueFull> {
        let queue = &self.queues[destination];
        let groups: Vec<(Option<String>, Vec<usize>)> = if self.per_tenant[destination] {
            let by_tenant = crate::router::group(which.iter().copied(), |&r| tenants[r].0.into());
            by_tenant.into_iter().map(|(t, v)| (Some(t), v)).collect()
        } else {
            vec![(None, which.to_vec())]
        };
        for (tenant, resources) in groups {
            let counts = crate::router::tally(resources.iter().map(|&r| tenants[r]));
            let batch = ExportBatch {
                payload: Body::Encoded {
                    signal: request.signal(),
                    parts: request.encode(&resources),
                },
                tenant,
            };
            queue.enqueue_counted(batch, counts, mode).await?;
        }
        Ok(())
    }

    /// Drains every queue (in parallel) within `timeout`, then flushes the exporters.
    pub async fn shutdown(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut tasks = Vec::new();
        for q in &self.queues {
            let q = q.clone();
            tasks.push(tokio::spawn(async move { q.shutdown(deadline).await }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }
}
