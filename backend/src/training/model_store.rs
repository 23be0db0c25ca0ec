//! Trained models on disk: `<models-dir>/<strategy>/<SYMBOLS>_<tf>_v<N>/` with `model.json`
//! (architecture, weights, feature names, scaler) and `metadata.json` (what `GET /models` lists).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::features::{Scaler, CLASSES};
use super::mlp::Mlp;

/// What was written.
#[derive(Debug)]
pub struct SavedModel {
    /// The model's directory.
    pub dir: PathBuf,
    /// Size of `model.json`.
    pub size_bytes: u64,
}

/// Everything a model file records besides the network.
pub struct ModelRecord<'a> {
    /// Strategy name.
    pub strategy_name: &'a str,
    /// Trained symbols.
    pub symbols: &'a [String],
    /// Timeframes, base first.
    pub timeframes: &'a [String],
    /// Input names, in order.
    pub feature_names: &'a [String],
    /// Input standardization, if used.
    pub scaler: Option<&'a Scaler>,
    /// `metadata.json` content (model id and path are added).
    pub metadata: Value,
}

/// Writes a new version of the model under `models_dir`.
pub fn save(models_dir: &Path, mlp: &Mlp, record: ModelRecord<'_>) -> io::Result<SavedModel> {
    let first_timeframe = record.timeframes.first().map_or("", String::as_str);
    let stem = format!("{}_{first_timeframe}", record.symbols.join("-"));
    let strategy_dir = models_dir.join(record.strategy_name);
    fs::create_dir_all(&strategy_dir)?;
    let (dir, version) = claim_version_dir(&strategy_dir, &stem)?;
    let layers: Vec<Value> = mlp
        .layers()
        .into_iter()
        .map(|(weights, biases)| json!({ "weights": weights, "biases": biases }))
        .collect();
    let model = json!({
        "format": "ktrdr-backend-mlp/1",
        "strategy_name": record.strategy_name,
        "symbols": record.symbols,
        "timeframes": record.timeframes,
        "classes": CLASSES,
        "feature_names": record.feature_names,
        "scaler": record.scaler.map(|scaler| json!({ "mean": scaler.mean, "std": scaler.std })),
        "architecture": {
            "layer_sizes": mlp.sizes(),
            "activation": mlp.activation().name(),
            "output_activation": "softmax",
        },
        "layers": layers,
    });
    let model_text = serde_json::to_string(&model).map_err(io::Error::other)?;
    fs::write(dir.join("model.json"), &model_text)?;
    let mut metadata = record.metadata;
    if let Some(object) = metadata.as_object_mut() {
        object.insert(
            "model_id".into(),
            json!(format!("{}/{stem}_v{version}", record.strategy_name)),
        );
        object.insert("model_path".into(), json!(dir.display().to_string()));
    }
    let metadata_text = serde_json::to_string_pretty(&metadata).map_err(io::Error::other)?;
    fs::write(dir.join("metadata.json"), metadata_text)?;
    Ok(SavedModel {
        dir,
        size_bytes: model_text.len() as u64,
    })
}

/// Creates `<stem>_v<N>` with the first free N (safe against concurrent trainings).
fn claim_version_dir(strategy_dir: &Path, stem: &str) -> io::Result<(PathBuf, u32)> {
    for version in 1..=100_000 {
        let dir = strategy_dir.join(format!("{stem}_v{version}"));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok((dir, version)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::other("too many model versions"))
}

/// The `metadata.json` of every saved model, newest first.
pub fn list(models_dir: &Path) -> Vec<Value> {
    let mut models: Vec<Value> = fs::read_dir(models_dir)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|strategy| {
            fs::read_dir(strategy.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .filter_map(|version| fs::read_to_string(version.path().join("metadata.json")).ok())
        .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
        .filter(Value::is_object)
        .collect();
    models.sort_by(|a, b| b["created_at"].as_str().cmp(&a["created_at"].as_str()));
    models
}
