//! The training workers of the 2026 API: a fixed number of slots, one held by each training
//! (started or resumed) until its worker returns.

use std::sync::{Arc, Mutex};

use crate::registry::lock;

/// Training workers; unlimited when no count is set.
pub struct WorkerPool {
    capacity: Option<usize>,
    busy: Mutex<usize>,
}

/// One worker, held by a training; freed when dropped.
pub struct WorkerSlot {
    pool: Arc<WorkerPool>,
}

impl WorkerPool {
    /// A pool of `capacity` workers, or an unlimited one.
    pub fn new(capacity: Option<usize>) -> Arc<Self> {
        Arc::new(Self {
            capacity,
            busy: Mutex::new(0),
        })
    }

    /// The number of registered workers (`None` when unlimited).
    pub fn registered(&self) -> Option<usize> {
        self.capacity
    }

    /// A free worker, if any.
    pub fn try_acquire(self: &Arc<Self>) -> Option<WorkerSlot> {
        let mut busy = lock(&self.busy);
        if self.capacity.is_some_and(|capacity| *busy >= capacity) {
            return None;
        }
        *busy += 1;
        Some(WorkerSlot {
            pool: Arc::clone(self),
        })
    }
}

impl Drop for WorkerSlot {
    fn drop(&mut self) {
        *lock(&self.pool.busy) -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_limited_and_freed_on_drop() {
        let pool = WorkerPool::new(Some(1));
        let slot = pool.try_acquire().expect("one free worker");
        assert!(pool.try_acquire().is_none());
        drop(slot);
        assert!(pool.try_acquire().is_some());
        let unlimited = WorkerPool::new(None);
        let slots: Vec<_> = (0..10).filter_map(|_| unlimited.try_acquire()).collect();
        assert_eq!(slots.len(), 10);
    }
}
