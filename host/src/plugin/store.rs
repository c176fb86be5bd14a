//! What a plugin instance's store holds: its sandboxed WASI context, its memory cap, and,
//! only for the duration of a `process` call, the batch it is working on.

use crate::config::Grants;
use crate::pipeline::BatchState;
use crate::router::Destinations;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

/// The host-side value behind the guest's `records` handle. The batch itself lives in
/// [`StoreState::batch`]; the handle only proves the guest was given one.
pub struct BatchHandle;

/// Per-instance store data.
pub struct StoreState {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) limits: MemoryCap,
    /// The batch of the `process` call in progress.
    pub(super) batch: Option<BatchState>,
    /// The configured destinations, which a plugin may list at any time.
    pub(super) destinations: Arc<Destinations>,
    /// The instance's exports, kept here so the instance and its store travel together.
    pub(super) bindings: Option<super::host::Plugin>,
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps an instance's linear memory and remembers whether the cap was hit, so a trap that
/// follows a refused `memory.grow` is reported as an out-of-memory failure.
pub struct MemoryCap {
    pub(super) max_bytes: usize,
    pub(super) hit: bool,
}

/// Tables hold function references; a bound keeps a hostile plugin from exhausting the host.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.max_bytes;
        self.hit |= !ok;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// A clock frozen at zero: plugins see no time unless the config grants `clock`, which
/// keeps them deterministic and closes a timing side channel.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Builds the WASI context a plugin gets: nothing beyond what `grants` lists.
pub fn wasi_context(grants: &Grants) -> Result<WasiCtx, String> {
    let mut b = WasiCtxBuilder::new();
    // No args, no env, no preopens, no stdin by default; only what is granted.
    if grants.stdio {
        b.inherit_stdout().inherit_stderr();
    }
    if !grants.clock {
        b.wall_clock(FrozenClock).monotonic_clock(FrozenClock);
    }
    if grants.network {
        b.inherit_network()
            .allow_tcp(true)
            .allow_udp(true)
            .allow_ip_name_lookup(true);
    } else {
        b.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
    }
    for name in &grants.env {
        if let Ok(value) = std::env::var(name) {
            b.env(name, value);
        }
    }
    for dir in &grants.dirs {
        let perms = if dir.writable {
            wasmtime_wasi::FsPerms::ReadWrite
        } else {
            wasmtime_wasi::FsPerms::ReadOnly
        };
        b.preopened_dir(&dir.host, &dir.guest, perms)
            .map_err(|e| format!("grants.dirs: cannot open `{}`: {e}", dir.host.display()))?;
    }
    Ok(b.build())
}
