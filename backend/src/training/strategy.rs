//! Strategy files (`<strategies-dir>/<name>.yaml`, upstream's v2 shape): safe name resolution,
//! parsing of the parts training uses, and validation.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::indicators::IndicatorKind;
use super::mlp::{Activation, OptimizerKind};

/// The parts of a strategy file that drive training. Other keys are accepted and ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Strategy {
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Indicators computed on every timeframe.
    pub indicators: Vec<IndicatorSpec>,
    /// Fuzzy sets per indicator (keyed by `feature_id`, else `name`), by set name.
    #[serde(default)]
    pub fuzzy_sets: BTreeMap<String, BTreeMap<String, FuzzySetSpec>>,
    /// `model:` section.
    pub model: ModelSpec,
    /// `training:` section.
    pub training: TrainingSpec,
}

/// One entry of `indicators:`.
#[derive(Debug, Clone, Deserialize)]
pub struct IndicatorSpec {
    /// `rsi`, `sma`, `ema` or `roc`.
    pub name: String,
    /// Key of its fuzzy sets; defaults to `name`.
    #[serde(default)]
    pub feature_id: Option<String>,
    /// Look-back period in bars.
    pub period: usize,
}

impl IndicatorSpec {
    /// The key of this indicator's fuzzy sets and feature names.
    pub fn key(&self) -> &str {
        self.feature_id.as_deref().unwrap_or(&self.name)
    }
}

/// A fuzzy set: `{type: triangular, parameters: [a, b, c]}`.
#[derive(Debug, Clone, Deserialize)]
pub struct FuzzySetSpec {
    /// Only `triangular`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `[a, b, c]` with `a <= b <= c`.
    pub parameters: Vec<f64>,
}

/// `model:`.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelSpec {
    /// Only `mlp`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `model.architecture`.
    pub architecture: ArchitectureSpec,
    /// `model.features`.
    #[serde(default)]
    pub features: FeatureSpec,
    /// `model.training`.
    pub training: OptimizationSpec,
}

/// `model.architecture`.
#[derive(Debug, Clone, Deserialize)]
pub struct ArchitectureSpec {
    /// Hidden layer widths.
    pub hidden_layers: Vec<usize>,
    /// Hidden activation.
    #[serde(default = "default_activation")]
    pub activation: String,
    /// Dropout rate after each hidden layer.
    #[serde(default)]
    pub dropout: f64,
}

fn default_activation() -> String {
    "relu".into()
}

/// `model.features`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct FeatureSpec {
    /// Bars of fuzzy memberships per sample (1 = current bar only).
    pub lookback_periods: usize,
    /// Standardize features with the training set's mean and deviation.
    pub scale_features: bool,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        Self {
            lookback_periods: 1,
            scale_features: true,
        }
    }
}

/// `model.training`.
#[derive(Debug, Clone, Deserialize)]
pub struct OptimizationSpec {
    /// Step size.
    pub learning_rate: f64,
    /// Samples per batch.
    pub batch_size: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// `adam` or `sgd`.
    #[serde(default = "default_optimizer")]
    pub optimizer: String,
    /// Optional early stopping on validation loss.
    #[serde(default)]
    pub early_stopping: Option<EarlyStoppingSpec>,
}

fn default_optimizer() -> String {
    "adam".into()
}

/// `model.training.early_stopping`.
#[derive(Debug, Clone, Deserialize)]
pub struct EarlyStoppingSpec {
    /// Off unless true.
    #[serde(default)]
    pub enabled: bool,
    /// Epochs without improvement before stopping.
    #[serde(default = "default_patience")]
    pub patience: usize,
    /// Smallest decrease of validation loss that counts as improvement.
    #[serde(default)]
    pub min_delta: f64,
}

fn default_patience() -> usize {
    10
}

/// `training:`.
#[derive(Debug, Clone, Deserialize)]
pub struct TrainingSpec {
    /// `training.labels`.
    pub labels: LabelSpec,
    /// `training.data_split`.
    pub data_split: DataSplitSpec,
}

/// `training.labels`: zigzag labels.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelSpec {
    /// Only `zigzag`.
    pub source: String,
    /// Relative move that makes a BUY or SELL.
    pub zigzag_threshold: f64,
    /// Bars looked ahead.
    pub label_lookahead: usize,
}

/// `training.data_split`: chronological fractions.
#[derive(Debug, Clone, Deserialize)]
pub struct DataSplitSpec {
    /// Training share.
    pub train: f64,
    /// Validation share.
    pub validation: f64,
    /// Test share.
    pub test: f64,
}

/// Why a strategy cannot be used (each becomes a 400 `{"detail": ...}`).
#[derive(Debug, PartialEq, Eq)]
pub enum StrategyError {
    /// The name is not `^[A-Za-z0-9][A-Za-z0-9_-]*$`.
    InvalidName,
    /// No `<name>.yaml`; lists the strategy files that exist.
    NotFound {
        file: String,
        available: Vec<String>,
    },
    /// The file cannot be read, parsed or validated.
    Invalid { file: String, reason: String },
}

impl std::fmt::Display for StrategyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidName => write!(
                f,
                "Strategy name may only contain alphanumerics, dashes, or underscores"
            ),
            Self::NotFound { file, available } => write!(
                f,
                "Strategy file not found: {file} (searched: {})",
                available.join(", ")
            ),
            Self::Invalid { file, reason } => {
                write!(f, "Invalid strategy configuration {file}: {reason}")
            }
        }
    }
}

/// Whether `name` is a usable strategy name: `^[A-Za-z0-9][A-Za-z0-9_-]*$`, at most 100 chars.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphanumeric())
        && name.len() <= 100
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Finds, reads and validates `<dir>/<name>.yaml`.
pub fn resolve(dir: &Path, name: &str) -> Result<(PathBuf, Strategy), StrategyError> {
    if !is_valid_name(name) {
        return Err(StrategyError::InvalidName);
    }
    let file = format!("{name}.yaml");
    let path = dir.join(&file);
    if !path.is_file() {
        return Err(StrategyError::NotFound {
            file,
            available: available_files(dir),
        });
    }
    let invalid = |reason: String| StrategyError::Invalid {
        file: file.clone(),
        reason,
    };
    let text = fs::read_to_string(&path).map_err(|error| invalid(error.to_string()))?;
    let strategy: Strategy =
        serde_yaml::from_str(&text).map_err(|error| invalid(error.to_string()))?;
    validate(&strategy).map_err(invalid)?;
    Ok((path, strategy))
}

fn available_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| path.display().to_string())
        .collect();
    files.sort();
    if files.is_empty() {
        files.push(dir.display().to_string());
    }
    files
}

/// Checks everything training relies on.
pub fn validate(strategy: &Strategy) -> Result<(), String> {
    let model = &strategy.model;
    let optimization = &model.training;
    let labels = &strategy.training.labels;
    let split = &strategy.training.data_split;
    let checks: [(bool, String); 12] = [
        (model.kind == "mlp", format!("model.type must be 'mlp', not '{}'", model.kind)),
        (
            !model.architecture.hidden_layers.is_empty() && model.architecture.hidden_layers.iter().all(|&w| (1..=4096).contains(&w)),
            "model.architecture.hidden_layers must list 1 to 4096 units per layer".into(),
        ),
        (Activation::parse(&model.architecture.activation).is_some(), "model.architecture.activation must be relu, tanh or sigmoid".into()),
        ((0.0..0.95).contains(&model.architecture.dropout), "model.architecture.dropout must be in [0, 0.95)".into()),
        ((1..=1_000_000).contains(&optimization.epochs), "model.training.epochs must be in 1..=1000000".into()),
        ((1..=65_536).contains(&optimization.batch_size), "model.training.batch_size must be in 1..=65536".into()),
        (optimization.learning_rate > 0.0 && optimization.learning_rate < 10.0, "model.training.learning_rate must be in (0, 10)".into()),
        (OptimizerKind::parse(&optimization.optimizer).is_some(), "model.training.optimizer must be adam or sgd".into()),
        ((1..=100).contains(&model.features.lookback_periods), "model.features.lookback_periods must be in 1..=100".into()),
        (
            labels.source == "zigzag" && labels.zigzag_threshold > 0.0 && (1..=1000).contains(&labels.label_lookahead),
            "training.labels must be zigzag with zigzag_threshold > 0 and label_lookahead in 1..=1000".into(),
        ),
        (
            [split.train, split.validation, split.test].iter().all(|share| *share > 0.0) && (split.train + split.validation + split.test - 1.0).abs() < 1e-6,
            "training.data_split train/validation/test must be positive and sum to 1".into(),
        ),
        (!strategy.indicators.is_empty(), "indicators must not be empty".into()),
    ];
    if let Some((_, problem)) = checks.iter().find(|(ok, _)| !ok) {
        return Err(problem.clone());
    }
    for indicator in &strategy.indicators {
        if IndicatorKind::parse(&indicator.name).is_none()
            || !(1..=1000).contains(&indicator.period)
        {
            return Err(format!(
                "indicator '{}' must be rsi, sma, ema or roc with a period in 1..=1000",
                indicator.name
            ));
        }
        for (set, spec) in strategy
            .fuzzy_sets
            .get(indicator.key())
            .into_iter()
            .flatten()
        {
            let ordered = spec.parameters.len() == 3
                && spec.parameters.windows(2).all(|pair| pair[0] <= pair[1])
                && spec.parameters[0] < spec.parameters[2];
            if spec.kind != "triangular" || !ordered {
                return Err(format!("fuzzy set {}.{set} must be triangular with parameters [a, b, c], a <= b <= c, a < c", indicator.key()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_any_file_access() {
        for bad in [
            "../etc/passwd",
            "a/b",
            "",
            "-x",
            "a.b",
            "a b",
            "..",
            "%2e%2e",
        ] {
            assert_eq!(
                resolve(Path::new("/nonexistent"), bad).unwrap_err(),
                StrategyError::InvalidName,
                "{bad}"
            );
        }
        assert!(is_valid_name("mlp_basic") && is_valid_name("A-1"));
    }

    #[test]
    fn shipped_strategies_are_valid() {
        for (name, yaml) in crate::seed::STRATEGIES {
            let strategy: Strategy = serde_yaml::from_str(yaml).unwrap();
            assert!(validate(&strategy).is_ok(), "{name}");
        }
    }
}
