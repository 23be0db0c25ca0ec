//! The on-disk cache of compiled components, so that the host starts without compiling.
//!
//! An entry is named by a hash of the component's bytes and of the engine's compatibility hash
//! (Wasmtime version, compiler settings, CPU features), and holds the serialized component
//! followed by a BLAKE3 checksum of it. A missing, stale, corrupt or unreadable entry is
//! recompiled and rewritten; a cache that cannot be written is skipped. Never fatal.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use wasmtime::component::Component;
use wasmtime::Engine;

const CHECKSUM_LEN: usize = blake3::OUT_LEN;

/// Compiles `bytes`, or loads the compiled artifact from `cache_dir` when a valid one is there.
pub fn load_or_compile(
    engine: &Engine,
    bytes: &[u8],
    cache_dir: Option<&Path>,
) -> Result<Component> {
    let Some(dir) = cache_dir else {
        return compile(engine, bytes);
    };
    let path = entry_path(engine, bytes, dir);
    match load(engine, &path) {
        Ok(component) => {
            tracing::debug!(path = %path.display(), "compiled component loaded from the cache");
            return Ok(component);
        }
        Err(error) if path.exists() => {
            tracing::warn!(path = %path.display(), "cached component unusable, recompiling: {error:#}")
        }
        Err(_) => tracing::debug!(path = %path.display(), "no cached component; compiling"),
    }
    let component = compile(engine, bytes)?;
    if let Err(error) = store(&component, dir, &path) {
        tracing::warn!(dir = %dir.display(), "cannot write the compiled-component cache: {error:#}");
    }
    Ok(component)
}

fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    let started = std::time::Instant::now();
    let component = Component::new(engine, bytes).map_err(anyhow::Error::from)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "component compiled"
    );
    Ok(component)
}

/// `<dir>/<blake3(component) ‖ engine hash>.cwasm`.
fn entry_path(engine: &Engine, bytes: &[u8], dir: &Path) -> PathBuf {
    let mut engine_hasher = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hasher);
    let mut key = blake3::Hasher::new();
    key.update(bytes);
    key.update(&engine_hasher.finish().to_le_bytes());
    key.update(env!("CARGO_PKG_VERSION").as_bytes());
    dir.join(format!("{}.cwasm", key.finalize().to_hex()))
}

fn load(engine: &Engine, path: &Path) -> Result<Component> {
    let contents = std::fs::read(path).context("cannot read the entry")?;
    if contents.len() < CHECKSUM_LEN {
        bail!("the entry is truncated");
    }
    let (artifact, checksum) = contents.split_at(contents.len() - CHECKSUM_LEN);
    if blake3::hash(artifact).as_bytes() != checksum {
        bail!("the entry's checksum does not match");
    }
    // SAFETY: `Component::deserialize` trusts its input to be a Wasmtime artifact. This one was
    // written by `store` below from `Component::serialize`, sits under a name derived from the
    // component's hash and the engine's compatibility hash, and its checksum was just verified,
    // so it is exactly what this host serialized; Wasmtime itself still checks the header
    // and the engine compatibility.
    let component = unsafe { Component::deserialize(engine, artifact) };
    component.map_err(anyhow::Error::from)
}

fn store(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).context("cannot create the cache directory")?;
    let mut contents = component.serialize().map_err(anyhow::Error::from)?;
    let checksum = blake3::hash(&contents);
    contents.extend_from_slice(checksum.as_bytes());
    // Write to a private temporary name, then rename: readers never see a partial entry.
    let temporary = dir.join(format!(".{}.{}.tmp", std::process::id(), checksum.to_hex()));
    std::fs::write(&temporary, &contents).context("cannot write the entry")?;
    std::fs::rename(&temporary, path).context("cannot move the entry into place")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component there is: `(component)`.
    const EMPTY_COMPONENT: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    fn engine() -> Engine {
        Engine::default()
    }

    #[test]
    fn a_second_load_uses_the_entry_written_by_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine();
        load_or_compile(&engine, EMPTY_COMPONENT, Some(dir.path())).unwrap();
        let path = entry_path(&engine, EMPTY_COMPONENT, dir.path());
        assert!(path.is_file());
        assert!(load(&engine, &path).is_ok());
    }

    #[test]
    fn a_corrupt_entry_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine();
        let path = entry_path(&engine, EMPTY_COMPONENT, dir.path());
        std::fs::write(
            &path,
            b"not a compiled component, and long enough to have a checksum",
        )
        .unwrap();
        assert!(load(&engine, &path).is_err());
        load_or_compile(&engine, EMPTY_COMPONENT, Some(dir.path())).unwrap();
        assert!(load(&engine, &path).is_ok(), "the entry was rewritten");
    }

    #[test]
    fn an_unwritable_cache_is_not_fatal() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let not_a_dir = file.path().join("cache");
        assert!(load_or_compile(&engine(), EMPTY_COMPONENT, Some(&not_a_dir)).is_ok());
    }
}
