//! The in-memory operations registry: ids, life cycle, progress, cancellation, listing, and
//! bounded retention of finished operations.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::models::{
    OperationInfo, OperationMetadata, OperationProgress, OperationStatus, OperationSummary,
    OperationType,
};
use crate::random::splitmix64;

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Returned by a worker's checkpoint once its operation has been cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// A cancellation flag that also wakes a worker pausing on it.
#[derive(Default)]
struct CancelToken {
    cancelled: Mutex<bool>,
    wake: Condvar,
}

impl CancelToken {
    fn cancel(&self) {
        *lock(&self.cancelled) = true;
        self.wake.notify_all();
    }

    fn is_cancelled(&self) -> bool {
        *lock(&self.cancelled)
    }

    fn pause(&self, duration: Duration) -> Result<(), Cancelled> {
        let guard = lock(&self.cancelled);
        let (guard, _) = self
            .wake
            .wait_timeout_while(guard, duration, |cancelled| !*cancelled)
            .unwrap_or_else(PoisonError::into_inner);
        if *guard {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// How a worker ended.
#[derive(Debug)]
pub enum Outcome {
    /// Success: the result summary, and the progress to show from now on (if it changes).
    Completed {
        /// `result_summary`.
        summary: Value,
        /// Final progress, replacing the last reported one.
        progress: Option<OperationProgress>,
    },
    /// Failure with its `error_message`.
    Failed(String),
    /// Stopped at a checkpoint after a cancel; an optional summary of what was done.
    Cancelled(Option<Value>),
}

/// Filters and paging of `GET /operations`.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery {
    /// Only this type.
    pub operation_type: Option<OperationType>,
    /// Only this status.
    pub status: Option<OperationStatus>,
    /// Only pending or running operations.
    pub active_only: bool,
    /// Page size.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// One page of `GET /operations`.
#[derive(Debug)]
pub struct ListPage {
    /// The page, newest first.
    pub operations: Vec<OperationSummary>,
    /// Matching operations before paging.
    pub total_count: usize,
    /// Pending and running operations, ignoring the filters.
    pub active_count: usize,
}

/// What a successful cancel did.
#[derive(Debug)]
pub struct CancelReceipt {
    /// When the operation was marked cancelled.
    pub cancelled_at: DateTime<Utc>,
    /// True when a worker was told to stop (false if it had not started yet).
    pub task_cancelled: bool,
    /// The kind of the cancelled operation.
    pub operation_type: OperationType,
}

/// Why a cancel was refused.
#[derive(Debug)]
pub enum CancelError {
    /// No such operation.
    NotFound,
    /// Already in a final status.
    Finished(OperationStatus),
}

/// Why a resume was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ResumeError {
    /// No such operation.
    NotFound,
    /// Not cancelled or failed.
    NotResumable(OperationStatus),
    /// The worker of its previous run has not stopped yet.
    WorkerBusy,
}

struct Entry {
    sequence: u64,
    info: OperationInfo,
    cancel: Arc<CancelToken>,
    /// Which run of the operation the current worker belongs to; a resume starts the next one.
    run: u64,
    /// Whether a worker of the current run has not returned yet (it may outlive a cancel).
    worker_busy: bool,
}

#[derive(Default)]
struct State {
    next_sequence: u64,
    operations: HashMap<String, Entry>,
    /// Every operation by creation order.
    by_sequence: BTreeMap<u64, String>,
    /// Creation sequence numbers of finished operations, oldest first: the eviction order.
    finished: BTreeSet<u64>,
}

/// The operations registry, shared by the routes and the workers.
pub struct Registry {
    state: Mutex<State>,
    max_finished: usize,
    id_counter: AtomicU64,
}

impl Registry {
    /// A registry keeping at most `max_finished` finished operations.
    pub fn new(max_finished: usize) -> Arc<Self> {
        let seed = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64
            ^ u64::from(std::process::id());
        Arc::new(Self {
            state: Mutex::default(),
            max_finished,
            id_counter: AtomicU64::new(seed),
        })
    }

    /// Registers a pending operation and runs `work` for it on a blocking thread. Returns its id.
    pub fn spawn<F>(
        self: &Arc<Self>,
        operation_type: OperationType,
        metadata: OperationMetadata,
        initial_progress: OperationProgress,
        work: F,
    ) -> String
    where
        F: FnOnce(&OperationHandle) -> Outcome + Send + 'static,
    {
        let handle = self.register(operation_type, metadata, initial_progress);
        let id = handle.id.clone();
        Self::run_worker(handle, work);
        id
    }

    /// Runs `work` for `handle`'s operation on a blocking thread, once it has started.
    pub fn run_worker<F>(handle: OperationHandle, work: F)
    where
        F: FnOnce(&OperationHandle) -> Outcome + Send + 'static,
    {
        tokio::task::spawn_blocking(move || {
            if !handle.start() {
                // Cancelled while pending: nothing ran.
                handle.finish(Outcome::Cancelled(None));
                return;
            }
            let outcome =
                catch_unwind(AssertUnwindSafe(|| work(&handle))).unwrap_or_else(|panic| {
                    let reason = panic
                        .downcast_ref::<&str>()
                        .map(|text| text.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(operation_id = %handle.id, %reason, "worker panicked");
                    Outcome::Failed(format!("Internal error: {reason}"))
                });
            handle.finish(outcome);
        });
    }

    /// Resumes a cancelled or failed operation whose previous worker has returned: it reads
    /// `resuming` (started now, not completed, no error) until the worker given the returned
    /// handle (`run_worker`) ends it.
    pub fn resume(self: &Arc<Self>, operation_id: &str) -> Result<OperationHandle, ResumeError> {
        let mut state = lock(&self.state);
        let entry = state
            .operations
            .get_mut(operation_id)
            .ok_or(ResumeError::NotFound)?;
        Self::check_resumable(entry)?;
        let cancel = Arc::new(CancelToken::default());
        entry.run += 1;
        entry.worker_busy = true;
        entry.cancel = Arc::clone(&cancel);
        let info = &mut entry.info;
        info.status = OperationStatus::Resuming;
        info.started_at = Some(Utc::now());
        info.completed_at = None;
        info.error_message = None;
        let (sequence, run) = (entry.sequence, entry.run);
        state.finished.remove(&sequence);
        Ok(OperationHandle {
            registry: Arc::clone(self),
            id: operation_id.to_string(),
            cancel,
            run,
        })
    }

    /// Whether `operation_id` could be resumed now.
    pub fn resumable(&self, operation_id: &str) -> Result<(), ResumeError> {
        let state = lock(&self.state);
        let entry = state
            .operations
            .get(operation_id)
            .ok_or(ResumeError::NotFound)?;
        Self::check_resumable(entry)
    }

    fn check_resumable(entry: &Entry) -> Result<(), ResumeError> {
        match entry.info.status {
            OperationStatus::Cancelled | OperationStatus::Failed if entry.worker_busy => {
                Err(ResumeError::WorkerBusy)
            }
            OperationStatus::Cancelled | OperationStatus::Failed => Ok(()),
            status => Err(ResumeError::NotResumable(status)),
        }
    }

    /// Marks a finished operation failed with `message` (a resume that found nothing to resume
    /// from).
    pub fn fail_finished(&self, operation_id: &str, message: String) {
        let mut state = lock(&self.state);
        if let Some(entry) = state.operations.get_mut(operation_id) {
            let info = &mut entry.info;
            if !info.status.is_unfinished() {
                info.status = OperationStatus::Failed;
                info.completed_at = Some(Utc::now());
                info.errors.push(message.clone());
                info.error_message = Some(message);
            }
        }
    }

    fn register(
        self: &Arc<Self>,
        operation_type: OperationType,
        metadata: OperationMetadata,
        progress: OperationProgress,
    ) -> OperationHandle {
        let created_at = Utc::now();
        let cancel = Arc::new(CancelToken::default());
        let mut state = lock(&self.state);
        let operation_id = loop {
            let candidate = format!(
                "op_{}_{}_{:08x}",
                operation_type.as_str(),
                created_at.format("%Y%m%d_%H%M%S"),
                self.next_random() as u32
            );
            if !state.operations.contains_key(&candidate) {
                break candidate;
            }
        };
        let sequence = state.next_sequence;
        state.next_sequence += 1;
        let info = OperationInfo {
            operation_id: operation_id.clone(),
            operation_type,
            status: OperationStatus::Pending,
            created_at,
            started_at: None,
            completed_at: None,
            progress,
            metadata,
            error_message: None,
            warnings: Vec::new(),
            errors: Vec::new(),
            result_summary: None,
        };
        state.by_sequence.insert(sequence, operation_id.clone());
        state.operations.insert(
            operation_id.clone(),
            Entry {
                sequence,
                info,
                cancel: Arc::clone(&cancel),
                run: 0,
                worker_busy: true,
            },
        );
        OperationHandle {
            registry: Arc::clone(self),
            id: operation_id,
            cancel,
            run: 0,
        }
    }

    /// SplitMix64 over a counter seeded from the clock: distinct, well-mixed id suffixes.
    fn next_random(&self) -> u64 {
        splitmix64(self.id_counter.fetch_add(1, Ordering::Relaxed))
    }

    /// A snapshot of one operation.
    pub fn get(&self, operation_id: &str) -> Option<OperationInfo> {
        lock(&self.state)
            .operations
            .get(operation_id)
            .map(|entry| entry.info.clone())
    }

    /// One page of operations, newest first, with the contract's counts.
    pub fn list(&self, query: ListQuery) -> ListPage {
        let now = Utc::now();
        let state = lock(&self.state);
        let mut total_count = 0;
        let mut active_count = 0;
        let mut operations = Vec::new();
        for id in state.by_sequence.values().rev() {
            let Some(entry) = state.operations.get(id) else {
                continue;
            };
            let info = &entry.info;
            if info.status.is_active() {
                active_count += 1;
            }
            let matches = (!query.active_only || info.status.is_active())
                && query.status.is_none_or(|status| status == info.status)
                && query
                    .operation_type
                    .is_none_or(|kind| kind == info.operation_type);
            if !matches {
                continue;
            }
            if total_count >= query.offset && operations.len() < query.limit {
                operations.push(info.summary(now));
            }
            total_count += 1;
        }
        ListPage {
            operations,
            total_count,
            active_count,
        }
    }

    /// Cancels an unfinished operation: it is `cancelled` at once and its worker stops at its
    /// next checkpoint.
    pub fn cancel(
        &self,
        operation_id: &str,
        reason: Option<&str>,
    ) -> Result<CancelReceipt, CancelError> {
        let mut state = lock(&self.state);
        let entry = state
            .operations
            .get_mut(operation_id)
            .ok_or(CancelError::NotFound)?;
        let status = entry.info.status;
        if !status.is_unfinished() {
            return Err(CancelError::Finished(status));
        }
        let cancelled_at = Utc::now();
        entry.info.status = OperationStatus::Cancelled;
        entry.info.completed_at = Some(cancelled_at);
        entry.info.error_message =
            Some(reason.unwrap_or("Operation cancelled by user").to_string());
        entry.cancel.cancel();
        let (sequence, operation_type) = (entry.sequence, entry.info.operation_type);
        self.retire(&mut state, sequence);
        Ok(CancelReceipt {
            cancelled_at,
            task_cancelled: status.is_working(),
            operation_type,
        })
    }

    /// Records a finished operation and evicts the oldest finished ones beyond the cap.
    fn retire(&self, state: &mut State, sequence: u64) {
        state.finished.insert(sequence);
        while state.finished.len() > self.max_finished {
            let Some(oldest) = state.finished.pop_first() else {
                break;
            };
            if let Some(id) = state.by_sequence.remove(&oldest) {
                state.operations.remove(&id);
            }
        }
    }

    /// Applies `change` to an operation while `run` is working on it; a no-op once it is final,
    /// resumed by a later run, or evicted.
    fn update_working(
        &self,
        operation_id: &str,
        run: u64,
        change: impl FnOnce(&mut OperationInfo),
    ) {
        let mut state = lock(&self.state);
        if let Some(entry) = state.operations.get_mut(operation_id) {
            if entry.run == run && entry.info.status.is_working() {
                change(&mut entry.info);
            }
        }
    }
}

/// A worker's handle on its operation (on one run of it).
pub struct OperationHandle {
    registry: Arc<Registry>,
    id: String,
    cancel: Arc<CancelToken>,
    run: u64,
}

impl OperationHandle {
    /// The operation id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Moves the operation from pending to running (a resumed one stays `resuming`); false if
    /// it was cancelled meanwhile.
    fn start(&self) -> bool {
        let mut state = lock(&self.registry.state);
        let Some(entry) = state.operations.get_mut(&self.id) else {
            return false;
        };
        match entry.info.status {
            OperationStatus::Pending => {
                entry.info.status = OperationStatus::Running;
                entry.info.started_at = Some(Utc::now());
                true
            }
            OperationStatus::Resuming => true,
            _ => false,
        }
    }

    /// `Err(Cancelled)` once the operation has been cancelled: call between units of work.
    pub fn checkpoint(&self) -> Result<(), Cancelled> {
        if self.cancel.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// Waits `duration`, returning early with `Err(Cancelled)` if the operation is cancelled.
    pub fn pause(&self, duration: Duration) -> Result<(), Cancelled> {
        self.cancel.pause(duration)
    }

    /// Replaces the reported progress.
    pub fn report(&self, progress: OperationProgress) {
        self.registry
            .update_working(&self.id, self.run, |info| info.progress = progress);
    }

    /// Adds a warning.
    pub fn warn(&self, warning: String) {
        self.registry
            .update_working(&self.id, self.run, |info| info.warnings.push(warning));
    }

    /// Records how the worker ended. A cancelled operation stays cancelled.
    fn finish(&self, outcome: Outcome) {
        let registry = &self.registry;
        let mut state = lock(&registry.state);
        let Some(entry) = state.operations.get_mut(&self.id) else {
            return;
        };
        if entry.run != self.run {
            return;
        }
        entry.worker_busy = false;
        let info = &mut entry.info;
        if info.status == OperationStatus::Cancelled {
            if let Outcome::Cancelled(Some(summary)) = outcome {
                info.result_summary = Some(summary);
            }
            return;
        }
        info.completed_at = Some(Utc::now());
        match outcome {
            Outcome::Completed { summary, progress } => {
                info.status = OperationStatus::Completed;
                info.result_summary = Some(summary);
                if let Some(progress) = progress {
                    info.progress = progress;
                }
            }
            Outcome::Failed(message) => {
                info.status = OperationStatus::Failed;
                info.errors.push(message.clone());
                info.error_message = Some(message);
            }
            Outcome::Cancelled(summary) => {
                info.status = OperationStatus::Cancelled;
                info.error_message = Some("Operation cancelled by user".to_string());
                info.result_summary = summary;
            }
        }
        let sequence = entry.sequence;
        registry.retire(&mut state, sequence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(limit: usize, offset: usize) -> ListQuery {
        ListQuery {
            operation_type: None,
            status: None,
            active_only: false,
            limit,
            offset,
        }
    }

    #[test]
    fn ids_have_the_contract_format() {
        let registry = Registry::new(10);
        let handle = registry.register(
            OperationType::DataLoad,
            OperationMetadata::default(),
            OperationProgress::default(),
        );
        let id = handle.id();
        let suffix = id.strip_prefix("op_data_load_").expect("type prefix");
        let parts: Vec<&str> = suffix.split('_').collect();
        assert_eq!(parts.len(), 3, "{id}");
        assert!(
            parts[0].len() == 8 && parts[0].chars().all(|c| c.is_ascii_digit()),
            "{id}"
        );
        assert!(
            parts[1].len() == 6 && parts[1].chars().all(|c| c.is_ascii_digit()),
            "{id}"
        );
        assert!(
            parts[2].len() == 8 && parts[2].chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
    }

    #[test]
    fn finished_operations_are_evicted_oldest_first_and_cancel_sticks() {
        let registry = Registry::new(2);
        let handles: Vec<OperationHandle> = (0..4)
            .map(|_| {
                registry.register(
                    OperationType::Dummy,
                    OperationMetadata::default(),
                    OperationProgress::default(),
                )
            })
            .collect();
        for handle in &handles {
            assert!(handle.start());
        }
        registry.cancel(handles[1].id(), None).unwrap();
        handles[1].finish(Outcome::Completed {
            summary: Value::Null,
            progress: None,
        });
        assert_eq!(
            registry.get(handles[1].id()).unwrap().status,
            OperationStatus::Cancelled
        );
        for index in [0, 2] {
            handles[index].finish(Outcome::Failed("boom".into()));
        }
        // Finished in creation order 0, 1, 2 with room for two: 0 is evicted.
        assert!(registry.get(handles[0].id()).is_none());
        let page = registry.list(query(10, 0));
        assert_eq!(page.total_count, 3);
        assert_eq!(page.active_count, 1);
        let ids: Vec<&str> = page
            .operations
            .iter()
            .map(|op| op.operation_id.as_str())
            .collect();
        assert_eq!(ids, [handles[3].id(), handles[2].id(), handles[1].id()]);
        assert!(matches!(
            registry.cancel(handles[2].id(), None),
            Err(CancelError::Finished(OperationStatus::Failed))
        ));
        assert!(matches!(
            registry.cancel("op_nope", None),
            Err(CancelError::NotFound)
        ));
        let page = registry.list(query(1, 1));
        assert_eq!(page.operations.len(), 1);
        assert_eq!(page.operations[0].operation_id, handles[2].id());
    }

    #[test]
    fn a_resume_waits_for_the_old_worker_and_ignores_it_afterwards() {
        let registry = Registry::new(10);
        let old = registry.register(
            OperationType::Training,
            OperationMetadata::default(),
            OperationProgress::default(),
        );
        let id = old.id().to_string();
        assert_eq!(
            registry.resumable(&id),
            Err(ResumeError::NotResumable(OperationStatus::Pending))
        );
        assert!(old.start());
        registry.cancel(&id, None).unwrap();
        assert_eq!(registry.resumable(&id), Err(ResumeError::WorkerBusy));
        old.finish(Outcome::Cancelled(None));
        let resumed = registry
            .resume(&id)
            .expect("resumable once the worker returned");
        let info = registry.get(&id).unwrap();
        assert_eq!(info.status, OperationStatus::Resuming);
        assert!(info.completed_at.is_none() && info.error_message.is_none());
        assert!(
            resumed.start(),
            "a resumed run starts without leaving resuming"
        );
        assert_eq!(registry.get(&id).unwrap().status, OperationStatus::Resuming);
        // The old run can no longer touch the operation.
        old.finish(Outcome::Failed("late".into()));
        old.report(OperationProgress {
            percentage: 99.0,
            ..OperationProgress::default()
        });
        let info = registry.get(&id).unwrap();
        assert_eq!(
            (info.status, info.progress.percentage),
            (OperationStatus::Resuming, 0.0)
        );
        assert_eq!(registry.list(query(10, 0)).active_count, 0);
        resumed.finish(Outcome::Completed {
            summary: Value::Null,
            progress: None,
        });
        assert_eq!(
            registry.get(&id).unwrap().status,
            OperationStatus::Completed
        );
        assert_eq!(
            registry.resumable(&id),
            Err(ResumeError::NotResumable(OperationStatus::Completed))
        );
    }

    #[test]
    fn pause_wakes_on_cancel() {
        let token = Arc::new(CancelToken::default());
        let waiter = Arc::clone(&token);
        let thread = std::thread::spawn(move || waiter.pause(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(20));
        token.cancel();
        assert_eq!(thread.join().unwrap(), Err(Cancelled));
    }
}
