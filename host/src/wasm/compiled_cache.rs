//! The on-disk cache of compiled components: a start whose component, engine settings and
//! Wasmtime version are unchanged loads the machine code Wasmtime serialized instead of
//! compiling again.
//!
//! An entry is `<dir>/<key>.cwasm`, the key a SHA-256 of the component's bytes, the engine's
//! compatibility hash and the host's version; it holds `Component::serialize`'s output followed
//! by its SHA-256. A missing, stale or corrupt entry is compiled again and rewritten, and a
//! directory that cannot be written is skipped with a warning: the cache is never fatal.
//!
//! Wasmtime's own cache (`Config::cache`) is not used: it keeps entries zstd-compressed, so every
//! start decompresses and copies the whole artifact and runs a background thread for its
//! statistics. Reading the serialized component as it is starts faster and maps less of the
//! binary; `make bench` reports the cached cold start.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ring::digest::{digest, Context as Digest, SHA256, SHA256_OUTPUT_LEN};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Compiles `bytes` for `engine`, or loads their compiled code from `dir` when a valid entry is
/// there (and writes one when not).
pub fn load_or_compile(engine: &Engine, bytes: &[u8], dir: Option<&Path>) -> Result<Component> {
    let Some(dir) = dir else {
        return compile(engine, bytes);
    };
    let path = entry_path(engine, bytes, dir);
    match load(engine, &path) {
        Ok(component) => {
            tracing::debug!(path = %path.display(), "compiled component loaded from the cache");
            return Ok(component);
        }
        Err(error) if path.exists() => {
            tracing::warn!(path = %path.display(), "compiling again: the cached entry is unusable: {error:#}");
        }
        Err(_) => {}
    }
    let component = compile(engine, bytes)?;
    if let Err(error) = store(&component, dir, &path) {
        tracing::warn!(
            dir = %dir.display(),
            "compiling at every start: the compiled-code cache is unusable: {error:#}"
        );
    }
    Ok(component)
}

fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    let started = std::time::Instant::now();
    let component = Component::new(engine, bytes).map_err(anyhow::Error::from)?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(elapsed_ms, "component compiled");
    Ok(component)
}

/// `<dir>/<hex SHA-256 of the component, the engine's compatibility hash and our version>.cwasm`.
fn entry_path(engine: &Engine, bytes: &[u8], dir: &Path) -> PathBuf {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let mut key = Digest::new(&SHA256);
    key.update(bytes);
    key.update(&engine_hash.finish().to_le_bytes());
    key.update(env!("CARGO_PKG_VERSION").as_bytes());
    let name: String = key
        .finish()
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    dir.join(format!("{name}.cwasm"))
}

fn load(engine: &Engine, path: &Path) -> Result<Component> {
    let contents = std::fs::read(path).context("cannot read it")?;
    let Some(split) = contents.len().checked_sub(SHA256_OUTPUT_LEN) else {
        bail!("it is truncated");
    };
    let (artifact, checksum) = contents.split_at(split);
    if digest(&SHA256, artifact).as_ref() != checksum {
        bail!("its checksum does not match");
    }
    // SAFETY: `Component::deserialize` trusts its input to be code Wasmtime serialized. This
    // entry was written by `store` from `Component::serialize`, under a name derived from the
    // component and the engine, and its checksum was just verified; Wasmtime itself still
    // checks the header and the engine's compatibility.
    unsafe { Component::deserialize(engine, artifact) }.map_err(anyhow::Error::from)
}

fn store(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).context("cannot create the directory")?;
    let mut contents = component.serialize().map_err(anyhow::Error::from)?;
    let checksum = digest(&SHA256, &contents);
    contents.extend_from_slice(checksum.as_ref());
    // A private temporary name, then a rename: a reader never sees a partial entry.
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&temporary, &contents).context("cannot write an entry")?;
    std::fs::rename(&temporary, path).context("cannot move an entry into place")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component there is: `(component)`.
    const EMPTY_COMPONENT: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    #[test]
    fn a_second_start_loads_the_entry_the_first_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        load_or_compile(&engine, EMPTY_COMPONENT, Some(dir.path())).unwrap();
        let path = entry_path(&engine, EMPTY_COMPONENT, dir.path());
        assert!(load(&engine, &path).is_ok());
    }

    #[test]
    fn a_corrupt_entry_is_refused_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let path = entry_path(&engine, EMPTY_COMPONENT, dir.path());
        std::fs::write(&path, [7u8; 100]).unwrap();
        let error = load(&engine, &path).unwrap_err();
        assert!(format!("{error}").contains("checksum"), "{error}");
        load_or_compile(&engine, EMPTY_COMPONENT, Some(dir.path())).unwrap();
        assert!(load(&engine, &path).is_ok(), "the entry was not rewritten");
    }

    #[test]
    fn another_engine_or_component_has_another_entry() {
        let dir = Path::new("/cache");
        let engine = Engine::default();
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let other_engine = Engine::new(&config).unwrap();
        let other_component = [EMPTY_COMPONENT, &[0x00, 0x00]].concat();
        let entry = entry_path(&engine, EMPTY_COMPONENT, dir);
        assert_ne!(entry, entry_path(&other_engine, EMPTY_COMPONENT, dir));
        assert_ne!(entry, entry_path(&engine, &other_component, dir));
    }

    #[test]
    fn a_cache_that_cannot_be_written_is_not_fatal() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let not_a_dir = file.path().join("cache");
        assert!(load_or_compile(&Engine::default(), EMPTY_COMPONENT, Some(&not_a_dir)).is_ok());
    }
}
