//! Locating and verifying the converted network weights in `models/`.
//!
//! Each network ships as `NAME.safetensors` plus a model card `NAME.json` written by
//! `models/convert/`. The card records where the weights came from, their licence, their SHA-256 and
//! the network's own configuration. A missing or altered file is an error that says where Kith looked:
//! a network that cannot run must never quietly produce numbers.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The detector's model card name.
pub const DETECTOR: &str = "retinaface-mnet025";
/// The embedder's model card name.
pub const EMBEDDER: &str = "dlib-resnet-v1";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no Kith models found; looked in: {}", format_looked(.looked))]
    NotFound { looked: Vec<PathBuf> },
    #[error("cannot read model file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model card {path} is not valid: {source}")]
    Card {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "model file {path} is damaged: its SHA-256 is {actual}, the model card says {expected}"
    )]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
}

fn format_looked(looked: &[PathBuf]) -> String {
    looked
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `models/convert/` records about one converted network.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelCard {
    pub name: String,
    pub file: String,
    pub sha256: String,
    pub license: String,
    #[serde(default)]
    pub source: serde_json::Value,
    /// The network-specific configuration, deserialised by the network's own module.
    #[serde(default)]
    pub config: serde_json::Value,
}

/// A folder holding model cards and their weights.
#[derive(Debug, Clone)]
pub struct ModelDir {
    root: PathBuf,
}

impl ModelDir {
    /// Finds the models folder, in this order: `explicit` (the `--models` flag), `$KITH_MODELS`,
    /// `models/` next to the executable (in a macOS .app also `Contents/Resources/models`), the
    /// platform data directory, the installed share directory, and finally the source tree this
    /// binary was built from.
    pub fn locate(explicit: Option<&Path>) -> Result<Self, ModelError> {
        let candidates = Self::candidates(explicit);
        for dir in &candidates {
            if dir.join(format!("{DETECTOR}.json")).is_file() {
                tracing::debug!(models = %dir.display(), "using models");
                return Ok(Self { root: dir.clone() });
            }
        }
        Err(ModelError::NotFound { looked: candidates })
    }

    /// Uses `root` as it is, without searching elsewhere.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
        if let Some(dir) = explicit {
            // An explicit choice is the only place to look: falling back would hide a typo.
            return vec![dir.to_path_buf()];
        }
        let mut dirs = Vec::new();
        if let Some(dir) = std::env::var_os("KITH_MODELS") {
            dirs.push(PathBuf::from(dir));
        }
        if let Some(exe_dir) = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
        {
            dirs.push(exe_dir.join("models"));
            // In a macOS .app the executable sits in Contents/MacOS and data belongs in
            // Contents/Resources, the part of the bundle that code signing seals as resources.
            #[cfg(target_os = "macos")]
            if let Some(contents) = exe_dir.parent() {
                dirs.push(contents.join("Resources").join("models"));
            }
        }
        if let Some(project) = crate::paths::project_dirs() {
            dirs.push(project.data_dir().join("models"));
        }
        dirs.push(PathBuf::from("/usr/share/kith/models"));
        dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
        dirs
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads the card of `name` without touching its weights.
    pub fn card(&self, name: &str) -> Result<ModelCard, ModelError> {
        let path = self.root.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).map_err(|source| ModelError::Read {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ModelError::Card { path, source })
    }

    /// The embedder's same-person distance threshold tau, read from its model card (no weights are
    /// loaded, so people commands stay instant).
    pub fn same_person_threshold(&self) -> Result<f32, ModelError> {
        let path = self.root.join(format!("{EMBEDDER}.json"));
        let card = self.card(EMBEDDER)?;
        #[derive(Deserialize)]
        struct Threshold {
            threshold: f32,
        }
        let t: Threshold = serde_json::from_value(card.config)
            .map_err(|source| ModelError::Card { path, source })?;
        Ok(t.threshold)
    }

    /// Reads the card of `name` and checks its weights against the recorded SHA-256; returns the card
    /// and the path of the weights.
    pub fn verified(&self, name: &str) -> Result<(ModelCard, PathBuf), ModelError> {
        let card = self.card(name)?;
        let path = self.root.join(&card.file);
        let bytes = std::fs::read(&path).map_err(|source| ModelError::Read {
            path: path.clone(),
            source,
        })?;
        let actual = hex(&Sha256::digest(&bytes));
        if !actual.eq_ignore_ascii_case(&card.sha256) {
            return Err(ModelError::Checksum {
                path,
                expected: card.sha256.clone(),
                actual,
            });
        }
        Ok((card, path))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_dir_is_the_only_candidate_and_the_error_names_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = ModelDir::locate(Some(dir.path())).expect_err("empty dir has no models");
        let message = err.to_string();
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
    }

    #[test]
    fn altered_weights_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("w.safetensors"), b"not the weights").expect("write");
        std::fs::write(
            dir.path().join("m.json"),
            r#"{"name":"m","file":"w.safetensors","sha256":"00","license":"MIT"}"#,
        )
        .expect("write");
        let err = ModelDir::at(dir.path())
            .verified("m")
            .expect_err("hash differs");
        assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    }
}
