//! The training operation (`POST /trainings/start`): load bars, build features, train the MLP
//! batch by batch with progress and cancellation, evaluate, save, summarize.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::features::{self, Samples, Scaler, Split, CLASSES};
use super::metrics::{score, Scores};
use super::mlp::{Activation, Mlp, Optimizer, OptimizerKind};
use super::model_store::{self, ModelRecord};
use super::strategy::Strategy;
use crate::data::bars::Timeframe;
use crate::data::csv_store::{in_range, DataStore, ReadError};
use crate::models::{OperationMetadata, OperationProgress, OperationType};
use crate::random::{stable_hash, Rng};
use crate::registry::{lock, Cancelled, OperationHandle, Outcome, Registry, ResumeError};
use crate::time_format::{naive_iso, pydantic_utc};
use crate::workers::WorkerSlot;

/// A validated training request.
pub struct TrainingJob {
    /// Strategy name.
    pub strategy_name: String,
    /// Its file.
    pub strategy_path: PathBuf,
    /// Its parsed content.
    pub strategy: Strategy,
    /// Symbols, upper-cased.
    pub symbols: Vec<String>,
    /// Timeframes, base first.
    pub timeframes: Vec<Timeframe>,
    /// Training range start.
    pub start: Option<DateTime<Utc>>,
    /// Training range end.
    pub end: Option<DateTime<Utc>>,
    /// `detailed_analytics`.
    pub analytics: bool,
    /// Bar cache.
    pub store: Arc<DataStore>,
    /// Where models are written.
    pub models_dir: PathBuf,
}

/// Preparation phases before the first batch, in upstream's wording.
const PHASES: [&str; 5] = [
    "Loading market data",
    "Computing indicators and fuzzy memberships",
    "Preparing training data",
    "Creating model",
    "Starting training",
];

/// Where a cancelled training can be resumed from: the model, optimizer and random state at
/// the point it stopped, with the job that was running.
pub struct Checkpoint {
    /// Why it was taken (`cancellation`).
    pub checkpoint_type: &'static str,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// Epochs completed before it.
    pub epoch: usize,
    job: Arc<TrainingJob>,
    state: Box<TrainState>,
}

/// The checkpoints of interrupted trainings, by operation id.
#[derive(Default)]
pub struct Checkpoints(Mutex<HashMap<String, Checkpoint>>);

impl Checkpoints {
    /// Stores the checkpoint of `operation_id`, replacing an older one.
    pub fn save(&self, operation_id: &str, checkpoint: Checkpoint) {
        lock(&self.0).insert(operation_id.to_string(), checkpoint);
    }

    /// Removes and returns the checkpoint of `operation_id`.
    pub fn take(&self, operation_id: &str) -> Option<Checkpoint> {
        lock(&self.0).remove(operation_id)
    }
}

/// Where the epoch loop is: everything needed to continue it.
struct TrainState {
    mlp: Mlp,
    optimizer: Optimizer,
    rng: Rng,
    history: Vec<EpochMetrics>,
    best: Option<(f64, usize, Mlp)>,
}

/// What a training's worker needs besides its job: the worker it holds, and where to keep a
/// checkpoint if it is cancelled (none when resuming is not offered).
pub struct WorkerContext {
    /// The training worker, held (never read) until the run ends.
    _slot: WorkerSlot,
    checkpoints: Option<Arc<Checkpoints>>,
}

impl WorkerContext {
    /// A run on worker `slot`, keeping checkpoints in `checkpoints` if given.
    pub fn new(slot: WorkerSlot, checkpoints: Option<Arc<Checkpoints>>) -> Self {
        Self {
            _slot: slot,
            checkpoints,
        }
    }
}

/// Registers and starts a training operation; returns its id.
pub fn start(registry: &Arc<Registry>, job: TrainingJob, context: WorkerContext) -> String {
    let timeframe_names: Vec<&str> = job.timeframes.iter().map(|tf| tf.as_str()).collect();
    let parameters = json!({
        "strategy_name": job.strategy_name,
        "strategy_path": job.strategy_path.display().to_string(),
        "training_type": job.strategy.model.kind,
        "symbols": job.symbols,
        "timeframes": timeframe_names,
        "epochs": job.strategy.model.training.epochs,
        "use_host_service": false,
        "analytics_enabled": job.analytics,
        "training_mode": "local",
        "operation_name": "training",
        "service_name": "TrainingService",
    });
    let metadata = OperationMetadata {
        symbol: job.symbols.first().cloned(),
        timeframe: timeframe_names.first().map(|tf| tf.to_string()),
        mode: Some("training".into()),
        start_date: job.start,
        end_date: job.end,
        parameters: parameters.as_object().cloned().unwrap_or_default(),
    };
    let job = Arc::new(job);
    registry.spawn(
        OperationType::Training,
        metadata,
        phase_progress(0),
        move |handle| job.run(handle, None, context),
    )
}

/// Runs a cancelled training again from its checkpoint, as `resuming`. On refusal the
/// checkpoint is handed back.
pub fn resume(
    registry: &Arc<Registry>,
    operation_id: &str,
    checkpoint: Checkpoint,
    context: WorkerContext,
) -> Result<(), (ResumeError, Checkpoint)> {
    let handle = match registry.resume(operation_id) {
        Ok(handle) => handle,
        Err(error) => return Err((error, checkpoint)),
    };
    let Checkpoint { job, state, .. } = checkpoint;
    Registry::run_worker(handle, move |handle| job.run(handle, Some(*state), context));
    Ok(())
}

/// Stops at a cancel before the epochs, handing back the state being resumed from (if any) so
/// the next resume still has it.
fn stop_point(
    handle: &OperationHandle,
    from: &mut Option<TrainState>,
) -> Result<(), TrainingError> {
    handle
        .checkpoint()
        .map_err(|_| TrainingError::Cancelled(from.take().map(Box::new)))
}

fn service_context() -> Map<String, Value> {
    let mut context = Map::new();
    context.insert("operation".into(), json!("training"));
    context.insert("service".into(), json!("TrainingService"));
    context
}

fn phase_progress(phase: usize) -> OperationProgress {
    let mut context = service_context();
    context.insert("phase".into(), json!("phase"));
    context.insert(
        "phase_name".into(),
        json!(if phase < 3 {
            "data_preparation"
        } else {
            "model_setup"
        }),
    );
    OperationProgress {
        current_step: Some(PHASES[phase].to_string()),
        steps_completed: phase as u64,
        steps_total: PHASES.len() as u64,
        context,
        ..OperationProgress::default()
    }
}

enum TrainingError {
    /// Cancelled, with the loop's state when it stopped during the epochs.
    Cancelled(Option<Box<TrainState>>),
    Failed(String),
}

impl From<Cancelled> for TrainingError {
    fn from(_: Cancelled) -> Self {
        Self::Cancelled(None)
    }
}

/// Metrics of one finished epoch.
#[derive(Debug, Clone, Copy)]
struct EpochMetrics {
    epoch: usize,
    train_loss: f64,
    train_accuracy: f64,
    val_loss: f64,
    val_accuracy: f64,
}

/// Where the loop is, for progress reports.
struct BatchPosition {
    epoch: usize,
    batch: usize,
    batches_per_epoch: usize,
    completed_batches: usize,
    running_loss: f64,
    running_accuracy: f64,
}

/// What the training loop produced.
struct TrainedModel {
    mlp: Mlp,
    history: Vec<EpochMetrics>,
    best_epoch: usize,
    early_stopped: bool,
    final_progress: OperationProgress,
    learning_rate: f64,
}

impl TrainingJob {
    /// Trains (from `from` when resuming); a cancel during the epochs leaves a checkpoint.
    fn run(
        self: &Arc<Self>,
        handle: &OperationHandle,
        from: Option<TrainState>,
        context: WorkerContext,
    ) -> Outcome {
        let outcome = match self.execute(handle, from) {
            Ok((summary, progress)) => Outcome::Completed {
                summary,
                progress: Some(progress),
            },
            Err(TrainingError::Cancelled(state)) => {
                if let (Some(state), Some(checkpoints)) = (state, &context.checkpoints) {
                    let checkpoint = Checkpoint {
                        checkpoint_type: "cancellation",
                        created_at: Utc::now(),
                        epoch: state.history.len(),
                        job: Arc::clone(self),
                        state,
                    };
                    checkpoints.save(handle.id(), checkpoint);
                }
                Outcome::Cancelled(None)
            }
            Err(TrainingError::Failed(message)) => Outcome::Failed(message),
        };
        // The worker is free once the outcome is known.
        drop(context);
        outcome
    }

    fn execute(
        &self,
        handle: &OperationHandle,
        mut from: Option<TrainState>,
    ) -> Result<(Value, OperationProgress), TrainingError> {
        let started = Instant::now();
        let strategy = &self.strategy;
        let model_spec = &strategy.model;
        // A resumed training keeps showing its checkpoint's progress until its next batch.
        let resuming = from.is_some();
        let report_phase = |phase: usize| {
            if !resuming {
                handle.report(phase_progress(phase));
            }
        };

        report_phase(0);
        let mut bars_per_symbol = Map::new();
        let mut frames_per_symbol = Vec::new();
        for symbol in &self.symbols {
            let mut frames = Vec::new();
            for &timeframe in &self.timeframes {
                let tf = timeframe.as_str();
                let cached = self.store.read(symbol, tf).map_err(|error| match error {
                    ReadError::NotFound => {
                        TrainingError::Failed(format!("Data not found for {symbol} ({tf})"))
                    }
                    ReadError::Invalid(reason) => TrainingError::Failed(format!(
                        "Invalid cached data for {symbol} ({tf}): {reason}"
                    )),
                })?;
                let bars = in_range(&cached.bars, self.start, self.end);
                bars_per_symbol.insert(format!("{symbol}_{tf}"), json!(bars.len()));
                frames.push((timeframe, bars));
            }
            frames_per_symbol.push(frames);
            stop_point(handle, &mut from)?;
        }

        report_phase(1);
        let mut per_symbol: Vec<Samples> = Vec::new();
        for frames in &frames_per_symbol {
            per_symbol.push(features::build_samples(strategy, frames));
            stop_point(handle, &mut from)?;
        }

        report_phase(2);
        let split_spec = &strategy.training.data_split;
        let mut split = features::split(&per_symbol, split_spec.train, split_spec.validation);
        if split.train.len() < 2 || split.validation.is_empty() || split.test.is_empty() {
            let total: usize = per_symbol.iter().map(Samples::len).sum();
            return Err(TrainingError::Failed(format!(
                "Not enough data to train: {total} labelled samples from {} (need enough for non-empty train, validation and test sets)",
                self.symbols.join(", ")
            )));
        }
        let scaler = model_spec
            .features
            .scale_features
            .then(|| Scaler::fit(&split.train));
        if let Some(scaler) = &scaler {
            for set in [&mut split.train, &mut split.validation, &mut split.test] {
                scaler.apply(set);
            }
        }
        let timeframe_names: Vec<String> = self
            .timeframes
            .iter()
            .map(|tf| tf.as_str().to_string())
            .collect();
        let feature_names = features::feature_names(strategy, &self.timeframes);
        stop_point(handle, &mut from)?;

        report_phase(3);
        let trained = self.train(handle, &split, feature_names.len(), from)?;

        let test = trained
            .mlp
            .evaluate(&split.test.features, &split.test.labels);
        let test_scores = score(&test.predictions, &split.test.labels, CLASSES.len());
        let train_scores = {
            let evaluation = trained
                .mlp
                .evaluate(&split.train.features, &split.train.labels);
            (
                evaluation.loss,
                score(&evaluation.predictions, &split.train.labels, CLASSES.len()),
            )
        };
        let final_epoch = trained
            .history
            .last()
            .copied()
            .ok_or_else(|| TrainingError::Failed("No epoch completed".into()))?;
        handle.checkpoint()?;

        let created_at = Utc::now();
        let description = format!(
            "{} (trained on {} {})",
            strategy.description,
            self.symbols.join(", "),
            timeframe_names.join(", ")
        );
        let saved = model_store::save(
            &self.models_dir,
            &trained.mlp,
            ModelRecord {
                strategy_name: &self.strategy_name,
                symbols: &self.symbols,
                timeframes: &timeframe_names,
                feature_names: &feature_names,
                scaler: scaler.as_ref(),
                metadata: json!({
                    "model_name": self.strategy_name,
                    "symbol": self.symbols.join(","),
                    "timeframe": timeframe_names.join(","),
                    "created_at": naive_iso(&created_at.naive_utc()),
                    "training_accuracy": train_scores.1.accuracy,
                    "test_accuracy": test_scores.accuracy,
                    "description": description,
                    "operation_id": handle.id(),
                }),
            },
        )
        .map_err(|error| TrainingError::Failed(format!("Cannot save the model: {error}")))?;

        let per_symbol_metrics =
            self.per_symbol_metrics(&trained.mlp, &per_symbol, scaler.as_ref());
        let importance = feature_importance(&trained.mlp, &feature_names);
        let elapsed_minutes = started.elapsed().as_secs_f64() / 60.0;
        let summary = json!({
            "training_metrics": {
                "final_train_loss": final_epoch.train_loss,
                "final_val_loss": final_epoch.val_loss,
                "final_train_accuracy": final_epoch.train_accuracy,
                "final_val_accuracy": final_epoch.val_accuracy,
                "epochs_completed": trained.history.len(),
                "early_stopped": trained.early_stopped,
                "training_time_minutes": elapsed_minutes,
                "best_epoch": trained.best_epoch,
                "final_learning_rate": trained.learning_rate,
            },
            "validation_metrics": {
                "val_loss": final_epoch.val_loss,
                "val_accuracy": final_epoch.val_accuracy,
            },
            "test_metrics": test_metrics(test.loss, &test_scores),
            "resource_usage": {
                "gpu_used": false,
                "peak_memory_mb": peak_memory_mb(),
                "training_mode": "local",
            },
            "artifacts": {
                "model_path": saved.dir.display().to_string(),
                "analytics_dir": null,
                "checkpoints": [],
                "feature_importance": importance,
                "per_symbol_metrics": per_symbol_metrics,
            },
            "session_info": {
                "operation_id": handle.id(),
                "strategy_name": self.strategy_name,
                "symbols": self.symbols,
                "timeframes": timeframe_names,
                "training_mode": "local",
                "use_host_service": false,
                "start_date": self.start.as_ref().map(pydantic_utc),
                "end_date": self.end.as_ref().map(pydantic_utc),
                "data_summary": {
                    "bars": bars_per_symbol,
                    "train_samples": split.train.len(),
                    "validation_samples": split.validation.len(),
                    "test_samples": split.test.len(),
                    "feature_count": feature_names.len(),
                    "classes": CLASSES,
                },
            },
            "model_info": {
                "model_size_bytes": saved.size_bytes,
                "parameters_count": trained.mlp.parameter_count(),
                "architecture": format!("multi_symbol_mlp_{}symbols", self.symbols.len()),
                "layer_sizes": trained.mlp.sizes(),
                "activation": trained.mlp.activation().name(),
            },
        });
        Ok((summary, trained.final_progress))
    }

    /// A fresh model, optimizer and random state.
    fn initial_state(&self, inputs: usize) -> TrainState {
        let spec = &self.strategy.model;
        let optimization = &spec.training;
        let mut rng = Rng::new(stable_hash(&format!(
            "{}|{}",
            self.strategy_name,
            self.symbols.join(",")
        )));
        let activation =
            Activation::parse(&spec.architecture.activation).unwrap_or(Activation::Relu);
        let optimizer_kind =
            OptimizerKind::parse(&optimization.optimizer).unwrap_or(OptimizerKind::Adam);
        let mlp = Mlp::new(
            inputs,
            &spec.architecture.hidden_layers,
            CLASSES.len(),
            activation,
            &mut rng,
        );
        let optimizer = Optimizer::new(
            optimizer_kind,
            optimization.learning_rate,
            mlp.parameter_count(),
        );
        TrainState {
            mlp,
            optimizer,
            rng,
            history: Vec::new(),
            best: None,
        }
    }

    /// The epoch/batch loop from `from` (or from scratch), reporting after every batch and
    /// stopping at a cancel with the loop's state.
    fn train(
        &self,
        handle: &OperationHandle,
        split: &Split,
        inputs: usize,
        from: Option<TrainState>,
    ) -> Result<TrainedModel, TrainingError> {
        let spec = &self.strategy.model;
        let optimization = &spec.training;
        let state =
            match from {
                Some(state) if state.mlp.sizes().first() == Some(&inputs) => state,
                Some(_) => return Err(TrainingError::Failed(
                    "The checkpoint no longer fits the training data (its feature count changed)"
                        .into(),
                )),
                None => self.initial_state(inputs),
            };
        let TrainState {
            mut mlp,
            mut optimizer,
            mut rng,
            mut history,
            mut best,
        } = state;
        let dropout = spec.architecture.dropout as f32;
        let epochs = optimization.epochs;
        let batch_size = optimization.batch_size.min(split.train.len());
        let batches_per_epoch = split.train.len().div_ceil(batch_size);
        let early_stopping = optimization
            .early_stopping
            .as_ref()
            .filter(|spec| spec.enabled);

        let mut order: Vec<usize> = (0..split.train.len()).collect();
        let mut early_stopped = false;
        let mut last_progress = phase_progress(4);
        if history.is_empty() {
            handle.report(last_progress.clone());
        }
        for epoch in history.len() + 1..=epochs {
            rng.shuffle(&mut order);
            let (mut loss_sum, mut correct, mut seen) = (0.0, 0, 0);
            for (batch_index, chunk) in order.chunks(batch_size).enumerate() {
                if handle.checkpoint().is_err() {
                    let state = TrainState {
                        mlp,
                        optimizer,
                        rng,
                        history,
                        best,
                    };
                    return Err(TrainingError::Cancelled(Some(Box::new(state))));
                }
                let batch: Vec<(&[f32], usize)> = chunk
                    .iter()
                    .map(|&i| (split.train.features[i].as_slice(), split.train.labels[i]))
                    .collect();
                let result = mlp.train_batch(&batch, &mut optimizer, dropout, &mut rng);
                loss_sum += result.loss_sum;
                correct += result.correct;
                seen += batch.len();
                let position = BatchPosition {
                    epoch,
                    batch: batch_index + 1,
                    batches_per_epoch,
                    completed_batches: (epoch - 1) * batches_per_epoch + batch_index + 1,
                    running_loss: loss_sum / seen as f64,
                    running_accuracy: correct as f64 / seen as f64,
                };
                last_progress = self.batch_progress(&position, history.last());
                handle.report(last_progress.clone());
            }
            let validation = mlp.evaluate(&split.validation.features, &split.validation.labels);
            let val_accuracy = score(
                &validation.predictions,
                &split.validation.labels,
                CLASSES.len(),
            )
            .accuracy;
            history.push(EpochMetrics {
                epoch,
                train_loss: loss_sum / seen.max(1) as f64,
                train_accuracy: correct as f64 / seen.max(1) as f64,
                val_loss: validation.loss,
                val_accuracy,
            });
            let Some(stopping) = early_stopping else {
                continue;
            };
            let improved = best
                .as_ref()
                .is_none_or(|(best_loss, _, _)| validation.loss < best_loss - stopping.min_delta);
            if improved {
                best = Some((validation.loss, epoch, mlp.clone()));
            } else if best
                .as_ref()
                .is_some_and(|(_, best_epoch, _)| epoch - best_epoch >= stopping.patience)
            {
                early_stopped = true;
                break;
            }
        }
        let best_epoch = match best {
            Some((_, best_epoch, best_mlp)) => {
                mlp = best_mlp;
                best_epoch
            }
            None => history
                .iter()
                .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
                .map_or(0, |metrics| metrics.epoch),
        };
        last_progress.percentage = 100.0;
        Ok(TrainedModel {
            mlp,
            history,
            best_epoch,
            early_stopped,
            final_progress: last_progress,
            learning_rate: optimizer.learning_rate(),
        })
    }

    /// Progress after a batch, in upstream's shape (`Epoch 184/3000 · Batch 26/27`).
    fn batch_progress(
        &self,
        position: &BatchPosition,
        last_epoch: Option<&EpochMetrics>,
    ) -> OperationProgress {
        let epochs = self.strategy.model.training.epochs;
        let total_batches = epochs * position.batches_per_epoch;
        let multi_symbol = self.symbols.len() > 1;
        let current_item = format!(
            "Epoch {} · Batch {}/{}",
            position.epoch, position.batch, position.batches_per_epoch
        );
        let mut context = service_context();
        context.insert("phase".into(), json!("batch"));
        context.insert("phase_name".into(), json!("training"));
        context.insert("epoch_index".into(), json!(position.epoch));
        context.insert("total_epochs".into(), json!(epochs));
        context.insert("batch_index".into(), json!(position.batch - 1));
        context.insert("batch_number".into(), json!(position.batch));
        context.insert(
            "batch_total_per_epoch".into(),
            json!(position.batches_per_epoch),
        );
        context.insert("current_item".into(), json!(current_item));
        context.insert(
            "batch_metrics".into(),
            json!({
                "epoch": position.epoch - 1,
                "total_epochs": epochs,
                "batch": position.batch - 1,
                "total_batches_per_epoch": position.batches_per_epoch,
                "completed_batches": position.completed_batches,
                "total_batches": total_batches,
                "train_loss": position.running_loss,
                "train_accuracy": position.running_accuracy,
                "progress_type": "batch",
                "multi_symbol": multi_symbol,
            }),
        );
        if let Some(metrics) = last_epoch {
            context.insert(
                "epoch_metrics".into(),
                json!({
                    "epoch": metrics.epoch - 1,
                    "total_epochs": epochs,
                    "train_loss": metrics.train_loss,
                    "train_accuracy": metrics.train_accuracy,
                    "val_loss": metrics.val_loss,
                    "val_accuracy": metrics.val_accuracy,
                    "progress_type": "epoch",
                    "multi_symbol": multi_symbol,
                }),
            );
        }
        OperationProgress {
            percentage: position.completed_batches as f64 * 100.0 / total_batches.max(1) as f64,
            current_step: Some(format!(
                "Epoch {}/{epochs} · Batch {}/{}",
                position.epoch, position.batch, position.batches_per_epoch
            )),
            steps_completed: position.epoch as u64 - 1,
            steps_total: epochs as u64,
            items_processed: position.completed_batches as u64,
            items_total: Some(total_batches as u64),
            current_item: Some(current_item),
            context,
        }
    }

    /// Test-set metrics of each symbol's own chronological test share.
    fn per_symbol_metrics(
        &self,
        mlp: &Mlp,
        per_symbol: &[Samples],
        scaler: Option<&Scaler>,
    ) -> Value {
        let split_spec = &self.strategy.training.data_split;
        let metrics: Map<String, Value> = self
            .symbols
            .iter()
            .zip(per_symbol)
            .map(|(symbol, samples)| {
                let mut test = features::split(
                    std::slice::from_ref(samples),
                    split_spec.train,
                    split_spec.validation,
                )
                .test;
                if let Some(scaler) = scaler {
                    scaler.apply(&mut test);
                }
                let evaluation = mlp.evaluate(&test.features, &test.labels);
                let scores = score(&evaluation.predictions, &test.labels, CLASSES.len());
                (symbol.clone(), test_metrics(evaluation.loss, &scores))
            })
            .collect();
        Value::Object(metrics)
    }
}

fn test_metrics(loss: f64, scores: &Scores) -> Value {
    json!({
        "test_loss": loss,
        "test_accuracy": scores.accuracy,
        "precision": scores.precision,
        "recall": scores.recall,
        "f1_score": scores.f1,
    })
}

/// Share of the first layer's absolute weight attached to each input, top ten.
fn feature_importance(mlp: &Mlp, names: &[String]) -> Value {
    let Some((weights, _)) = mlp.layers().into_iter().next() else {
        return json!({});
    };
    let mut totals = vec![0.0f64; names.len()];
    for row in &weights {
        for (total, weight) in totals.iter_mut().zip(row) {
            *total += f64::from(weight.abs());
        }
    }
    let sum: f64 = totals.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let mut ranked: Vec<(&String, f64)> = names
        .iter()
        .zip(totals.iter().map(|total| total / sum))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    Value::Object(
        ranked
            .into_iter()
            .take(10)
            .map(|(name, share)| (name.clone(), json!(share)))
            .collect(),
    )
}

/// Peak resident memory of this process (Linux `VmHWM`), if known.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}
