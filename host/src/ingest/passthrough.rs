//! Requests no plugin wants, taken without decoding their records: the tenant is stamped on
//! each resource, the route comes from the tenant alone (no plugin can change it), and each
//! destination gets the resources routed to it, encoded from the request's own bytes.

use super::{Accepted, Ingest, IngestError, unavailable};
use crate::export::queue::Enqueue;
use crate::metrics::DropReason;
use crate::otlp::signal_name;
use crate::otlp::wire::WireRequest;
use crate::router;
use sluice_plugin_sdk::Signal;

impl Ingest {
    /// Whether a request of `signal` can skip the chain: no stage of the live chain wants
    /// its records and no trace buffer holds them.
    pub(super) fn passes_through(&self, signal: Signal) -> bool {
        let i = &self.inner;
        let buffered = signal == Signal::Span && i.buffer.is_some();
        !buffered && !i.pipeline.wants(signal)
    }

    /// Routes and queues a request read at the wire level (its tenant already stamped),
    /// all or nothing like [`Ingest::submit`].
    pub(super) async fn pass_through(&self, request: WireRequest) -> Result<Accepted, IngestError> {
        let i = &self.inner;
        if i.pipeline.is_closed() {
            return Err(unavailable(crate::pipeline::service::Stopped.to_string()));
        }
        let signal = signal_name(request.signal());
        let (attribute, unknown) = (i.tenancy.attribute(), i.tenancy.unknown());
        // Each resource's tenant and rows, in request order.
        let tenants: Vec<(&str, u64)> = request
            .resources()
            .map(|(r, n)| (router::tenant_of(r, attribute).unwrap_or(unknown), n))
            .collect();
        for (tenant, n) in router::tally(tenants.iter().copied()) {
            i.metrics.received(signal, &tenant, n);
        }
        if i.exports.all_full() {
            return Err(unavailable("every destination queue is full"));
        }
        let routes = i.pipeline.destinations();
        let masks: Vec<u64> = tenants
            .iter()
            .map(|(t, _)| routes.route_for(Some(t)))
            .collect();
        let unroutable = masks
            .iter()
            .zip(&tenants)
            .filter(|(m, _)| **m == 0)
            .map(|(_, (_, n))| n)
            .sum();
        i.metrics
            .dropped(signal, DropReason::Unroutable, unroutable);
        let parts: Vec<(usize, Vec<usize>)> = (0..i.destinations)
            .map(|d| {
                let which = (0..masks.len()).filter(|&r| masks[r] >> d & 1 == 1);
                (d, which.collect::<Vec<_>>())
            })
            .filter(|(_, which)| !which.is_empty())
            .collect();
        // All or nothing: a rejected request must not leave copies that its retry duplicates.
        if !i.exports.have_room_for_wire(&request, &parts) {
            return Err(unavailable("a destination queue is full"));
        }
        for (d, which) in &parts {
            i.exports
                .enqueue_wire(*d, &request, which, &tenants, Enqueue::ByPolicy)
                .await
                .map_err(|e| unavailable(e.to_string()))?;
        }
        Ok(Accepted::default())
    }
}

#[cfg(test)]
#[path = "passthrough_tests.rs"]
mod tests;
