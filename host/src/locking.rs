//! Locking a mutex whose holder may have panicked.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, taking its data even when an earlier holder panicked: for the idle lists
/// this host keeps, every change is one push, pop or removal, so a panic cannot leave them
/// half-changed, and refusing them would only stop reuse.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
