//! The caps of one instance's store: linear memory and table growth.

use wasmtime::ResourceLimiter;

/// Table elements one call may grow each table to.
pub const TABLE_ELEMENTS_CAP: usize = 20_000;

/// The memory and table caps of an instance; remembers its memory's size and whether a call
/// hit the cap.
pub struct CallLimits {
    max_memory_bytes: usize,
    /// The size of the largest linear memory (a Rust component has one), as last grown.
    pub memory_bytes: usize,
    /// Whether the guest tried to grow a memory past the cap since this was last cleared.
    pub memory_cap_hit: bool,
}

impl CallLimits {
    /// Caps of `max_memory_bytes` per linear memory and [`TABLE_ELEMENTS_CAP`] per table.
    pub fn new(max_memory_bytes: usize) -> Self {
        Self {
            max_memory_bytes,
            memory_bytes: 0,
            memory_cap_hit: false,
        }
    }
}

impl ResourceLimiter for CallLimits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            self.memory_cap_hit = true;
            return Ok(false);
        }
        self.memory_bytes = self.memory_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= TABLE_ELEMENTS_CAP)
    }
}
