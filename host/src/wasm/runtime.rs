//! Running the component: one compiled component and pre-linked instance; each call runs in
//! an instance no other call is using at the time, with a memory cap, a wall-clock deadline that
//! also preempts CPU-bound guests (via epochs), and cancellation.
//!
//! Instances come from a pool of slots reserved at start (memories, tables, fiber stacks), one
//! per call that may run at once; calls beyond the pool wait for a free slot. An instance whose
//! call succeeded is kept for a later call (up to [`CALLS_PER_INSTANCE`] calls, only while its
//! memory is at most [`KEPT_MEMORY_BYTES`], and at most [`IDLE_INSTANCES`] at a time; the
//! component keeps nothing between calls but its configuration, which the instance's
//! environment fixes), which saves instantiating and resetting memory per call while bounding
//! what idle instances keep resident. An instance whose call trapped, hit the memory cap, ran
//! out of time or was cancelled is thrown away with its store.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use wasmtime::component::{
    Component, ComponentExportIndex, Instance, InstancePre, Linker, ResourceTable, Val,
};
use wasmtime::{Engine, Store, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};
use wit_mcp::{ComponentInterface, ExportedFunction};

use super::connections::HttpClient;
use super::engine::{self, EpochTicker};
use super::limits::CallLimits;
use super::sandbox::{wasi_context, OutgoingHttpPolicy};
use crate::config::Config;

/// Successful calls one instance serves before a fresh one replaces it.
const CALLS_PER_INSTANCE: u32 = 1000;

/// Largest linear memory an instance may have grown to and still be kept for a later call. A
/// memory never shrinks, so an instance a big answer grew is dropped instead, and idle
/// instances hold at most this much each.
const KEPT_MEMORY_BYTES: usize = 2 << 20;

/// Idle instances kept at most (each may hold up to its memory's size resident).
const IDLE_INSTANCES: usize = 16;
/// How long the backend's health check may take before the host reports it unreachable.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a call produced no value.
#[derive(Debug)]
pub enum CallFailure {
    /// The call ran past its wall-clock deadline.
    Deadline(Duration),
    /// The component tried to grow its memory past the cap (bytes).
    MemoryCap(usize),
    /// The client cancelled the request.
    Cancelled,
    /// The component trapped or could not be instantiated.
    Trap(String),
}

/// The compiled component and its pool of instances, one per call in flight.
pub struct Runtime {
    engine: Engine,
    instance_pre: InstancePre<GuestState>,
    call_slots: Semaphore,
    idle: Mutex<Vec<WarmInstance>>,
    http_client: Arc<HttpClient>,
    exports: Vec<ComponentExportIndex>,
    config: Arc<Config>,
    _epoch_ticker: EpochTicker,
}

impl Runtime {
    /// Compiles the component (or loads its compiled code from the cache), links WASI and
    /// `wasi:http`, and resolves the export of every function in `interface`.
    pub fn new(bytes: &[u8], interface: &ComponentInterface, config: Arc<Config>) -> Result<Self> {
        let (engine, component) = engine::compile(&config, bytes)?;

        let mut linker = Linker::<GuestState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component imports something this host does not provide")?;

        let exports = interface
            .functions
            .iter()
            .map(|function| export_index(&component, function))
            .collect::<Result<_>>()?;

        let epoch_ticker = EpochTicker::start(engine.clone())?;
        Ok(Self {
            engine,
            instance_pre,
            call_slots: Semaphore::new(config.max_concurrent_calls as usize),
            idle: Mutex::default(),
            http_client: Arc::new(HttpClient::new(config.backend_ca.clone())),
            exports,
            config,
            _epoch_ticker: epoch_ticker,
        })
    }

    /// Calls function number `index` of the interface with `params`, in an idle instance of an
    /// earlier successful call or a new one. Returns the function's result value (`None` for a
    /// function without one).
    pub async fn call(
        &self,
        index: usize,
        params: &[Val],
        has_result: bool,
        cancel: &CancellationToken,
    ) -> Result<Option<Val>, CallFailure> {
        let budget = self.config.call_deadline;
        let deadline = Instant::now() + budget;
        // A call that times out or is cancelled drops its instance with this future.
        tokio::select! {
            outcome = tokio::time::timeout(budget, self.run(index, params, has_result, deadline)) => {
                outcome.unwrap_or(Err(CallFailure::Deadline(budget)))
            }
            () = cancel.cancelled() => Err(CallFailure::Cancelled),
        }
    }

    /// Whether the backend answers its health check, `GET {api_url}/health`, with a success
    /// (the listener's readiness); else why not.
    pub async fn backend_health(&self) -> Result<(), String> {
        let url = format!("{}/health", self.config.api_url.trim_end_matches('/'));
        let uri = url
            .parse()
            .map_err(|error| format!("{url} is not a valid URL: {error}"))?;
        match self.http_client.status_of(uri, HEALTH_TIMEOUT).await {
            Ok(status) if status.is_success() => Ok(()),
            Ok(status) => Err(format!("the backend answered {url} with {status}")),
            Err(reason) => Err(format!("the backend at {url} is unreachable: {reason}")),
        }
    }

    async fn run(
        &self,
        index: usize,
        params: &[Val],
        has_result: bool,
        deadline: Instant,
    ) -> Result<Option<Val>, CallFailure> {
        let _slot = self
            .call_slots
            .acquire()
            .await
            .map_err(|_| CallFailure::Trap("the instance pool is closed".into()))?;
        let idle = lock(&self.idle).pop();
        let mut warm = match idle {
            Some(mut warm) => {
                arm(&mut warm.store, deadline);
                warm
            }
            None => self.instantiate(deadline).await?,
        };
        let func = warm
            .instance
            .get_func(&mut warm.store, self.exports[index])
            .ok_or_else(|| {
                CallFailure::Trap(format!("the component does not export function #{index}"))
            })?;
        let mut results = if has_result {
            vec![Val::Bool(false)]
        } else {
            Vec::new()
        };
        match func.call_async(&mut warm.store, params, &mut results).await {
            Ok(()) => {
                self.keep(warm);
                Ok(results.pop())
            }
            Err(error) => Err(self.failure(&warm.store, &error)),
        }
    }

    /// A new store and instance, armed for a call that must end by `deadline`.
    async fn instantiate(&self, deadline: Instant) -> Result<WarmInstance, CallFailure> {
        let started = Instant::now();
        let mut store = Store::new(
            &self.engine,
            GuestState::new(&self.config, &self.http_client),
        );
        store.limiter(|state| &mut state.limits);
        arm(&mut store, deadline);
        let instance = match self.instance_pre.instantiate_async(&mut store).await {
            Ok(instance) => instance,
            Err(error) => return Err(self.failure(&store, &error)),
        };
        tracing::debug!(
            micros = started.elapsed().as_micros() as u64,
            "instantiated"
        );
        Ok(WarmInstance {
            store,
            instance,
            calls: 0,
        })
    }

    /// Keeps a healthy instance for a later call, unless it has served its share of calls, its
    /// memory has grown past [`KEPT_MEMORY_BYTES`], or enough instances are idle already.
    fn keep(&self, mut warm: WarmInstance) {
        warm.calls += 1;
        if warm.calls >= CALLS_PER_INSTANCE
            || warm.store.data().limits.memory_bytes > KEPT_MEMORY_BYTES
        {
            return;
        }
        let mut idle = lock(&self.idle);
        if idle.len() < IDLE_INSTANCES {
            idle.push(warm);
        }
    }

    /// What went wrong in `store`'s instance (which is then dropped, never reused).
    fn failure(&self, store: &Store<GuestState>, error: &wasmtime::Error) -> CallFailure {
        if store.data().limits.memory_cap_hit {
            return CallFailure::MemoryCap(self.config.max_memory_bytes);
        }
        if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return CallFailure::Deadline(self.config.call_deadline);
        }
        CallFailure::Trap(one_line(error))
    }
}

/// A store and its instantiated component, kept between successful calls.
struct WarmInstance {
    store: Store<GuestState>,
    instance: Instance,
    /// Successful calls served so far.
    calls: u32,
}

/// Sets `store` up for a call: a CPU-bound guest yields every epoch tick and is interrupted
/// once `deadline` has passed; the memory-cap flag starts clear.
fn arm(store: &mut Store<GuestState>, deadline: Instant) {
    store.data_mut().limits.memory_cap_hit = false;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        Ok(if Instant::now() >= deadline {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        })
    });
}

fn export_index(
    component: &Component,
    function: &ExportedFunction,
) -> Result<ComponentExportIndex> {
    let parent = match &function.interface {
        Some(interface) => Some(
            component
                .get_export_index(None, interface)
                .with_context(|| format!("the component does not export `{interface}`"))?,
        ),
        None => None,
    };
    component
        .get_export_index(parent.as_ref(), &function.function.name)
        .with_context(|| format!("the component does not export `{}`", function.function.name))
}

/// The first line of an error's message chain: what an agent can read in one line.
fn one_line(error: &wasmtime::Error) -> String {
    let text = format!("{error:#}");
    text.lines().next().unwrap_or("").trim().to_string()
}

/// The store data of one call.
struct GuestState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    http_policy: OutgoingHttpPolicy,
    table: ResourceTable,
    limits: CallLimits,
}

impl GuestState {
    fn new(config: &Config, http_client: &Arc<HttpClient>) -> Self {
        Self {
            wasi: wasi_context(&config.guest_environment()),
            http: WasiHttpCtx::new(),
            http_policy: OutgoingHttpPolicy::new(
                config.allowed_origins.clone(),
                http_client.clone(),
            ),
            table: ResourceTable::new(),
            limits: CallLimits::new(config.max_memory_bytes),
        }
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for GuestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_policy,
        }
    }
}

/// Locks `mutex`, taking its data even when an earlier holder panicked: every change to the
/// idle list is one push or pop, so a panic cannot leave it half-changed, and refusing it would
/// only stop reuse.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
