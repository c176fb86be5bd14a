//! Runs a `wasm32-wasip2` command component the way sluice runs plugins (Cranelift at
//! `OptLevel::Speed`, epoch interruption on), so that code built for the plugin can be timed
//! and profiled inside Wasm without the host:
//!
//! - the guest's monotonic clock (`std::time::Instant`) reads this thread's CPU time, so
//!   neighbours on a shared machine do not count (`WALL=1` for wall time);
//! - `PERFMAP=1` writes wasmtime's perf map, so `perf record` names guest functions;
//! - `NO_EPOCH=1` compiles and runs without epoch interruption (sluice always has it on),
//!   to measure what its checks at loop heads and function entries cost;
//! - `DUMP=file.cwasm` writes the compiled code instead of running (`objdump -d` reads it);
//!   a `.cwasm` so written runs without compiling again (for counting the guest's
//!   instructions under `valgrind --tool=callgrind --smc-check=all-non-file`, where
//!   Cranelift's compile would be most of the count).
//!
//! The plugin's own imports (`sluice:plugin/batch`, linked into an example with the library)
//! are stubs that fail if called; a command does not call them. The exception is the
//! `digest` import's `sha256`, which the content path calls for every content value: it is
//! the `sha2` crate here (the host's own is SHA-NI too).

#![allow(unsafe_code)]

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, ResourceTable, ResourceType};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::{HostMonotonicClock, WasiCtx, WasiCtxView, WasiView};

struct State {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// This thread's CPU time (the guest runs on the calling thread).
struct CpuClock;

impl HostMonotonicClock for CpuClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, exclusively borrowed out-parameter for the call.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
}

fn main() -> wasmtime::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: redact-wasm-run COMMAND.wasm [ARGS...]");
        std::process::exit(2);
    };
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(std::env::var_os("NO_EPOCH").is_none());
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    if std::env::var_os("PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let engine = Engine::new(&config)?;
    if let Some(out) = std::env::var_os("DUMP") {
        std::fs::write(out, engine.precompile_component(&std::fs::read(path)?)?)?;
        return Ok(());
    }
    let component = if path.ends_with(".cwasm") {
        // SAFETY: a `.cwasm` given here is one `DUMP` wrote with this engine configuration
        // (wasmtime checks the version and settings and refuses others), not untrusted input.
        unsafe { Component::deserialize_file(&engine, path)? }
    } else {
        Component::from_file(&engine, path)?
    };
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    for (name, item) in component.component_type().imports(&engine) {
        if !name.starts_with("sluice:") {
            continue;
        }
        let ComponentItem::ComponentInstance(ty) = item.ty else {
            continue;
        };
        let mut instance = linker.instance(name)?;
        for (export, item) in ty.exports(&engine) {
            match item.ty {
                // The content path hashes every prompt through the host: an example that
                // times it needs a real `sha256` (typed, so the bytes are copied once).
                ComponentItem::ComponentFunc(_)
                    if name.contains("/digest") && export == "sha256" =>
                {
                    instance.func_wrap(export, |_, (data,): (Vec<u8>,)| {
                        Ok((<sha2::Sha256 as sha2::Digest>::digest(&data).to_vec(),))
                    })?;
                }
                ComponentItem::ComponentFunc(_) => {
                    instance.func_new(export, |_, _, _, _| wasmtime::bail!("not a host"))?;
                }
                ComponentItem::Resource(_) => {
                    instance.resource(export, ResourceType::host::<u32>(), |_, _| Ok(()))?;
                }
                _ => {}
            }
        }
    }
    let mut wasi = WasiCtx::builder();
    wasi.inherit_stdio().args(&args);
    if std::env::var_os("WALL").is_none() {
        wasi.monotonic_clock(CpuClock);
    }
    let state = State {
        ctx: wasi.build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, state);
    if std::env::var_os("NO_EPOCH").is_none() {
        store.set_epoch_deadline(u64::MAX);
    }
    let command = Command::instantiate(&mut store, &component, &linker)?;
    let _ = command.wasi_cli_run().call_run(&mut store)?;
    Ok(())
}
