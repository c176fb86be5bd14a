//! The on-disk cache of compiled components, keyed by the component file's sha256 and the
//! engine's compatibility hash, so a restart (or a second worker) never recompiles.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept; `None` disables the cache.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

/// The hex sha256 of a component file.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl CompileCache {
    /// A cache in `dir`, created with owner-only permissions on first write.
    pub fn new(dir: Option<PathBuf>) -> Self {
        CompileCache { dir }
    }

    /// The compiled component for `bytes`, from the cache when possible.
    pub fn load(&self, engine: &Engine, bytes: &[u8], digest: &str) -> wasmtime::Result<Component> {
        let Some(dir) = &self.dir else {
            return Component::new(engine, bytes);
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let path = dir.join(format!("{digest}-{:016x}.cwasm", h.finish()));
        if path.exists() {
            match deserialize(engine, &path) {
                Ok(c) => return Ok(c),
                // A stale or damaged entry is recompiled and overwritten.
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "ignoring unusable compiled-plugin cache entry")
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Err(e) = store(dir, &path, &component.serialize()?) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot write the compiled-plugin cache; continuing without it");
        }
        Ok(component)
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the file is a trusted artifact of `serialize`. Entries
    // are written only by `store` below, atomically, into a directory only this user can
    // write (0700), and their names bind the source's sha256 and the engine's settings.
    unsafe { Component::deserialize_file(engine, path) }
}

fn store(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    create_private_dir(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates `dir` (and parents) readable and writable by the owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}
