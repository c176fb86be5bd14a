//! A batch in flight: the payload, its rows, each row's route, and the edits the current
//! plugin call has recorded.
//!
//! Edits are journaled and applied only when the plugin returns successfully, so a plugin
//! that traps half-way leaves the batch exactly as it received it (what `fail_open` needs).

use super::rows::{self, RowLoc};
use super::texts::{self, Leaf};
use super::{columns, retain::retain_rows};
use crate::otlp::Payload;
use crate::router::{Destinations, Route};
use sluice_plugin_sdk::counters::Count;
use sluice_plugin_sdk::{
    Column, Destination, Key, PackedStrings, RecordsApi, Scope, Signal, Texts,
};
use std::sync::Arc;

/// Rows an edit applies to.
type Rows = Vec<u32>;

#[derive(Debug)]
enum Edit {
    Set(Key, Column),
    Remove(Key, Rows),
    Replace(Vec<u32>, PackedStrings),
    Drop(Vec<u32>),
    Add(Rows, usize),
    Deny(Rows, usize),
}

/// A batch moving through the plugin chain.
#[derive(Debug)]
pub struct BatchState {
    payload: Payload,
    rows: Vec<RowLoc>,
    /// For each current row, its index in the payload as it arrived.
    origin: Vec<u32>,
    /// Whether each row of the arrived payload is still alive.
    alive: Vec<bool>,
    routes: Vec<Route>,
    destinations: Arc<Destinations>,
    journal: Vec<Edit>,
    leaves: Vec<Leaf>,
    /// Counter increments of the call in progress, then of the committed calls.
    pending_counts: Vec<Count>,
    counts: Vec<Count>,
}

/// Each row's starting route: its tenant's destinations, or the default route.
fn initial_routes(payload: &Payload, rows: &[RowLoc], destinations: &Destinations) -> Vec<Route> {
    let route = |allowed| Route { allowed, denied: 0 };
    if !destinations.has_tenant_routes() {
        return vec![route(destinations.default_mask()); rows.len()];
    }
    let key = Key::resource(destinations.tenant_attribute());
    let tenants = columns::read(payload, rows, &key);
    (0..rows.len() as u32)
        .map(|r| route(destinations.route_for(tenants.str(r))))
        .collect()
}

/// A batch that has been through the chain: what is left of it, and where each row goes.
#[derive(Debug)]
pub struct Processed {
    /// The payload with dropped rows removed.
    pub payload: Payload,
    /// Each remaining row's effective destination mask, in payload order.
    pub masks: Vec<u64>,
    /// Each remaining row's destinations it was routed to but a plugin denied, in payload
    /// order (for the denial counters).
    pub withheld: Vec<u64>,
    /// Rows dropped by plugins.
    pub dropped: usize,
    /// Stages that failed on this batch under `fail_open`.
    pub failed_open: usize,
}

fn refuse_intrinsic(key: &Key) -> Result<(), String> {
    if key.scope == Scope::Record && super::intrinsics::is_intrinsic(&key.name) {
        return Err(super::intrinsics::read_only(&key.name));
    }
    Ok(())
}

impl BatchState {
    /// A batch whose every row starts on the default route.
    pub fn new(payload: Payload, destinations: Arc<Destinations>) -> Self {
        let rows = rows::index(&payload);
        let n = rows.len();
        let routes = initial_routes(&payload, &rows, &destinations);
        BatchState {
            payload,
            rows,
            origin: (0..n as u32).collect(),
            alive: vec![true; n],
            routes,
            destinations,
            journal: Vec::new(),
            leaves: Vec::new(),
            pending_counts: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// The payload as it is now (edits of committed calls applied, drops not yet removed).
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// Number of live rows.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Each live row's route.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Each live row's index in the batch as it arrived (rows dropped by committed calls are
    /// gone), so a caller can pair each row after a call with what it was before.
    pub fn origins(&self) -> &[u32] {
        &self.origin
    }

    /// Applies the current call's edits: text replacements first (their ids name leaves of
    /// the batch as the plugin saw it), then attribute sets and removals in call order, then
    /// drops and destination changes.
    pub fn commit(&mut self) {
        self.counts.append(&mut self.pending_counts);
        let journal = std::mem::take(&mut self.journal);
        let leaves = std::mem::take(&mut self.leaves);
        for edit in &journal {
            if let Edit::Replace(ids, strings) = edit {
                for (i, id) in ids.iter().enumerate() {
                    texts::replace(
                        &mut self.payload,
                        &leaves[*id as usize],
                        strings.get(i).unwrap_or(""),
                    );
                }
            }
        }
        let mut dropped = Vec::new();
        for edit in journal {
            match edit {
                Edit::Set(key, column) => {
                    columns::write(&mut self.payload, &self.rows, &key, &column)
                }
                Edit::Remove(key, rows) => {
                    let locs: Vec<RowLoc> = rows.iter().map(|r| self.rows[*r as usize]).collect();
                    columns::remove(&mut self.payload, &locs, &key);
                }
                Edit::Replace(..) => {}
                Edit::Drop(rows) => dropped.extend(rows),
                Edit::Add(rows, d) => self.each_route(rows, |r| r.allowed |= 1 << d),
                Edit::Deny(rows, d) => self.each_route(rows, |r| r.denied |= 1 << d),
            }
        }
        if !dropped.is_empty() {
            self.drop_now(dropped);
        }
    }

    /// Discards the current call's edits.
    pub fn rollback(&mut self) {
        self.journal.clear();
        self.leaves.clear();
        self.pending_counts.clear();
    }

    /// The counter increments of the calls committed since the last take.
    pub fn take_counts(&mut self) -> Vec<Count> {
        std::mem::take(&mut self.counts)
    }

    fn each_route(&mut self, rows: Rows, f: impl Fn(&mut Route)) {
        rows.iter().for_each(|r| f(&mut self.routes[*r as usize]));
    }

    fn drop_now(&mut self, rows: Vec<u32>) {
        let mut gone = vec![false; self.rows.len()];
        for r in rows {
            gone[r as usize] = true;
            self.alive[self.origin[r as usize] as usize] = false;
        }
        let mut i = 0;
        self.rows.retain(|_| (!gone[i], i += 1).0);
        i = 0;
        self.origin.retain(|_| (!gone[i], i += 1).0);
        i = 0;
        self.routes.retain(|_| (!gone[i], i += 1).0);
    }

    /// Ends the chain: removes dropped rows from the payload and hands out each row's mask.
    pub fn finish(self) -> Processed {
        let mut payload = self.payload;
        let dropped = self.alive.iter().filter(|a| !**a).count();
        if dropped > 0 {
            let alive = self.alive;
            retain_rows(&mut payload, |i| alive[i]);
        }
        let masks = self.routes.iter().map(|r| r.effective()).collect();
        let withheld = self.routes.iter().map(|r| r.allowed & r.denied).collect();
        Processed {
            payload,
            masks,
            withheld,
            dropped,
            failed_open: 0,
        }
    }

    fn check_rows(&self, rows: &[u32]) -> Result<Rows, String> {
        match rows.iter().find(|r| **r as usize >= self.rows.len()) {
            Some(bad) => Err(format!(
                "row {bad} is out of range: the batch has {} rows",
                self.rows.len()
            )),
            None => Ok(rows.to_vec()),
        }
    }

    fn destination(&self, name: &str) -> Result<usize, String> {
        self.destinations.index(name).ok_or_else(|| {
            let known: Vec<&str> = self
                .destinations
                .list()
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            format!(
                "unknown destination `{name}`; configured: {}",
                known.join(", ")
            )
        })
    }
}

impl RecordsApi for BatchState {
    fn len(&self) -> u32 {
        self.rows.len() as u32
    }

    fn signal(&self) -> Signal {
        self.payload.signal()
    }

    fn trace_ids(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.rows.len() * 16];
        for (i, loc) in self.rows.iter().enumerate() {
            let (trace, _) = rows::ids(&self.payload, *loc);
            if trace.len() == 16 {
                out[i * 16..i * 16 + 16].copy_from_slice(trace);
            }
        }
        out
    }

    fn span_ids(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.rows.len() * 8];
        for (i, loc) in self.rows.iter().enumerate() {
            let (_, span) = rows::ids(&self.payload, *loc);
            if span.len() == 8 {
                out[i * 8..i * 8 + 8].copy_from_slice(span);
            }
        }
        out
    }

    fn keys(&self, scope: Scope) -> PackedStrings {
        columns::keys(&self.payload, &self.rows, scope)
    }

    fn column(&self, key: &Key) -> Column {
        columns::read(&self.payload, &self.rows, key)
    }

    fn set_column(&mut self, key: &Key, values: Column) -> Result<(), String> {
        refuse_intrinsic(key)?;
        columns::check_shape(&values, self.rows.len())?;
        self.journal.push(Edit::Set(key.clone(), values));
        Ok(())
    }

    fn remove(&mut self, key: &Key, rows: &[u32]) -> Result<(), String> {
        refuse_intrinsic(key)?;
        let rows = self.check_rows(rows)?;
        self.journal.push(Edit::Remove(key.clone(), rows));
        Ok(())
    }

    fn texts(&mut self, rows: &[u32]) -> Result<Texts, String> {
        let wanted = self.check_rows(rows)?;
        Ok(texts::collect(
            &self.payload,
            &self.rows,
            &wanted,
            &mut self.leaves,
        ))
    }

    fn replace_texts(&mut self, ids: &[u32], strings: PackedStrings) -> Result<(), String> {
        strings.check_replacement(ids, self.leaves.len())?;
        self.journal.push(Edit::Replace(ids.to_vec(), strings));
        Ok(())
    }

    fn drop_rows(&mut self, rows: &[u32]) -> Result<(), String> {
        let rows = self.check_rows(rows)?;
        self.journal.push(Edit::Drop(rows));
        Ok(())
    }

    fn add_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String> {
        let d = self.destination(destination)?;
        let rows = self.check_rows(rows)?;
        self.journal.push(Edit::Add(rows, d));
        Ok(())
    }

    fn deny_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String> {
        let d = self.destination(destination)?;
        let rows = self.check_rows(rows)?;
        self.journal.push(Edit::Deny(rows, d));
        Ok(())
    }

    fn count(&mut self, name: &str, labels: &[(&str, &str)], value: u64) -> Result<(), String> {
        self.pending_counts.push(Count::new(name, labels, value)?);
        Ok(())
    }

    fn destinations(&self) -> Vec<Destination> {
        self.destinations.list().to_vec()
    }
}
