//! The engine the component is compiled for: epoch interruption (deadlines) and a pooling
//! allocator with one slot per call that may run at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::component::Component;
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::compiled_cache;
use super::limits::TABLE_ELEMENTS_CAP;
use crate::config::Config;

/// How often the epoch advances; a CPU-bound guest yields (and checks its deadline) this often.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Address space reserved per linear memory: the whole 32-bit index range, so that Cranelift
/// needs no bounds check on the guest's loads and stores (the guard pages and the memory cap
/// catch what is out of range). It is only reserved, never committed: resident memory is what
/// a guest touches.
const MEMORY_RESERVATION_BYTES: u64 = 4 << 30;

/// Per call slot: the core instances, memories and tables one component instance may use (a
/// Rust `wasm32-wasip2` component has 3 core instances, 1 memory and 2 tables).
const CORE_INSTANCES_PER_SLOT: u32 = 16;
const MEMORIES_PER_SLOT: u32 = 4;
const TABLES_PER_SLOT: u32 = 8;

/// An engine for `config` and the component `bytes` compiled for it, or its compiled code
/// loaded from the cache in `config.cache_dir`.
pub fn compile(config: &Config, bytes: &[u8]) -> Result<(Engine, Component)> {
    let engine = engine(config)?;
    let component = compiled_cache::load_or_compile(&engine, bytes, config.cache_dir.as_deref())?;
    Ok((engine, component))
}

/// The engine: epoch interruption for deadlines, a pooling allocator with one slot per call
/// that may run at once, each memory capped at the memory cap but reserved (address space only)
/// at [`MEMORY_RESERVATION_BYTES`] or the cap if larger, plus Wasmtime's guard region.
fn engine(config: &Config) -> Result<Engine> {
    let slots = config.max_concurrent_calls;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(slots)
        .total_core_instances(slots * CORE_INSTANCES_PER_SLOT)
        .total_memories(slots * MEMORIES_PER_SLOT)
        .total_tables(slots * TABLES_PER_SLOT)
        .total_stacks(slots)
        .max_memory_size(config.max_memory_bytes)
        .table_elements(TABLE_ELEMENTS_CAP);
    let reservation = MEMORY_RESERVATION_BYTES.max(config.max_memory_bytes as u64);
    let mut engine_config = wasmtime::Config::new();
    engine_config
        .epoch_interruption(true)
        .memory_reservation(reservation)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&engine_config)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "cannot reserve the instance pool: each call slot reserves {} GiB of address space, \
                 not memory (lower --max-concurrent-calls, or raise `ulimit -v`)",
                (reservation * u64::from(MEMORIES_PER_SLOT)) >> 30
            )
        })
}

/// A thread that advances `engine`'s epoch every [`EPOCH_TICK`], until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    /// Starts ticking `engine`'s epoch.
    pub fn start(engine: Engine) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .context("cannot start the epoch ticker thread")?;
        Ok(Self { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
