//! The training client: start a training, read a finished training's performance.
//!
//! Endpoints (contract §4): `POST /trainings/start` (body `{symbols, timeframes,
//! strategy_name[, start_date][, end_date][, detailed_analytics]}`; the id is `operation_id`
//! when present, else `task_id`) and `GET /trainings/{id}/performance` (the metrics of a
//! finished training, read when plan-era backends cannot serialize its results).

use crate::data::timeframe_name;
use crate::error::{ApiError, ErrorHints};
use crate::http::{ApiRequest, Method};
use crate::json::{Fields, ShapeError};
use crate::tools::{OperationResults, OperationStatus, OperationType, Timeframe, TrainingStarted};
use crate::validate;
use serde_json::{Map, Value};

/// The validated arguments of `start_training`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingArgs {
    /// Strategy name: the file stem of `strategy_config_path`.
    pub strategy_name: String,
    /// Upper-cased symbols, at least one.
    pub symbols: Vec<String>,
    /// Bar sizes, at least one.
    pub timeframes: Vec<Timeframe>,
    /// `training_config.detailed_analytics`, when given.
    pub detailed_analytics: Option<bool>,
    /// Start of the training data as given.
    pub start_date: Option<String>,
    /// End of the training data as given.
    pub end_date: Option<String>,
}

impl TrainingArgs {
    /// Checks every argument; `timeframes` defaults to `["1h"]`. Arguments the backend cannot
    /// honour (any `training_config` key but `detailed_analytics`) are refused, not dropped.
    pub fn new(
        strategy_config_path: &str,
        symbols: &[String],
        timeframes: Option<&[Timeframe]>,
        training_config: Option<&str>,
        start_date: Option<&str>,
        end_date: Option<&str>,
    ) -> Result<Self, ApiError> {
        let strategy_name = validate::strategy_name(strategy_config_path)?;
        let symbols = validate::symbols("symbols", symbols)?;
        let timeframes = match timeframes {
            None => vec![Timeframe::Hour1],
            Some([]) => {
                return Err(ApiError::invalid(
                    "timeframes",
                    "must list at least one timeframe, e.g. [\"1h\"] (or be omitted for \
                     [\"1h\"])",
                ))
            }
            Some(list) => list.to_vec(),
        };
        let detailed_analytics = validate::training_config(training_config)?;
        let (start_date, end_date) = validate::date_range(start_date, end_date)?;
        Ok(TrainingArgs {
            strategy_name,
            symbols,
            timeframes,
            detailed_analytics,
            start_date,
            end_date,
        })
    }

    /// `POST /trainings/start` with the fields the backend accepts.
    pub fn request(&self) -> ApiRequest {
        let mut body = Map::new();
        body.insert("symbols".to_owned(), Value::from(self.symbols.as_slice()));
        let timeframes: Vec<&str> = self
            .timeframes
            .iter()
            .copied()
            .map(timeframe_name)
            .collect();
        body.insert("timeframes".to_owned(), Value::from(timeframes));
        body.insert(
            "strategy_name".to_owned(),
            Value::from(self.strategy_name.as_str()),
        );
        if let Some(start) = &self.start_date {
            body.insert("start_date".to_owned(), Value::from(start.as_str()));
        }
        if let Some(end) = &self.end_date {
            body.insert("end_date".to_owned(), Value::from(end.as_str()));
        }
        if let Some(flag) = self.detailed_analytics {
            body.insert(validate::DETAILED_ANALYTICS.to_owned(), Value::from(flag));
        }
        ApiRequest::new(Method::Post, &["trainings", "start"])
            .with_json(Value::Object(body))
            .with_hints(ErrorHints {
                not_found: ErrorHints::GENERAL.not_found,
                rejected: "Check that strategy_config_path names a strategy file the backend \
                           has (the backend's message lists the ones it searched).",
            })
    }
}

/// Reads `TrainingStartResponse` (`{"success", "task_id", "status": "training_started",
/// "message", "symbols", "timeframes", "strategy_name", "estimated_duration_minutes"}`, plus
/// `operation_id` on newer backends) into the normalised start result.
pub fn parse_training_started(body: &Value) -> Result<TrainingStarted, ShapeError> {
    let fields = Fields::of(body, "")?;
    let non_empty = |key: &str| -> Result<Option<String>, ShapeError> {
        Ok(fields.opt_string(key)?.filter(|id| !id.trim().is_empty()))
    };
    let operation_id = non_empty("operation_id")?;
    let task_id = non_empty("task_id")?;
    let Some(operation_id) = operation_id.clone().or_else(|| task_id.clone()) else {
        return Err(ShapeError(
            "operation_id, task_id: missing (no id to track the training with)".to_owned(),
        ));
    };
    let strategy_name = fields.opt_string("strategy_name")?.unwrap_or_default();
    let symbols = fields.strings("symbols")?;
    let backend_message = fields
        .opt_string("message")?
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| {
            format!(
                "Training started for {} using {strategy_name} strategy",
                symbols.join(", ")
            )
        });
    Ok(TrainingStarted {
        message: format!(
            "{} as {operation_id}; poll get_operation_status with the operation_id",
            backend_message.trim_end_matches('.')
        ),
        task_id: task_id.unwrap_or_else(|| operation_id.clone()),
        operation_id,
        operation_type: OperationType::Training,
        status: "started".to_owned(),
        strategy_name,
        symbols,
        timeframes: fields.strings("timeframes")?,
        estimated_duration_minutes: fields
            .opt_u64("estimated_duration_minutes")?
            .map(|minutes| u32::try_from(minutes).unwrap_or(u32::MAX)),
    })
}

/// `GET /trainings/{id}/performance`.
pub fn performance_request(operation_id: &str) -> Result<ApiRequest, ApiError> {
    let id = validate::operation_id("operation_id", operation_id)?;
    Ok(
        ApiRequest::new(Method::Get, &["trainings", &id, "performance"])
            .with_hints(ErrorHints::OPERATION),
    )
}

/// Why results read from the performance route carry a note.
pub const PERFORMANCE_NOTE: &str = "Read from GET /trainings/{id}/performance: this backend \
    cannot serialize the training's results (HTTP 500 PydanticSerializationError, a defect of \
    plan-era KTRDR), so they hold training_metrics, test_metrics and model_info only.";

/// Reads `{"success", "task_id", "status", "training_metrics", "test_metrics", "model_info"}`
/// as the results of the training `operation_id`.
pub fn performance_results(
    operation_id: &str,
    body: &Value,
) -> Result<OperationResults, ShapeError> {
    let fields = Fields::of(body, "")?;
    let status = match fields.string("status")?.as_str() {
        "completed" => OperationStatus::Completed,
        "failed" => OperationStatus::Failed,
        other => {
            return Err(ShapeError(format!(
                "status: {other:?} is not a finished training's status"
            )))
        }
    };
    let mut results = Map::new();
    for key in ["training_metrics", "test_metrics", "model_info"] {
        let value = fields
            .get(key)
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if !value.is_object() {
            return Err(ShapeError(format!(
                "{key}: expected an object, got {value}"
            )));
        }
        results.insert(key.to_owned(), value);
    }
    Ok(OperationResults {
        operation_id: operation_id.to_owned(),
        operation_type: OperationType::Training,
        status,
        results: crate::json::text(&Value::Object(results)),
        note: Some(PERFORMANCE_NOTE.to_owned()),
    })
}

/// The training client over the wasi-http transport.
#[cfg(target_arch = "wasm32")]
pub struct TrainingClient<'a> {
    http: &'a crate::http::HttpClient,
}

#[cfg(target_arch = "wasm32")]
impl<'a> TrainingClient<'a> {
    /// A client sending through `http`.
    pub fn new(http: &'a crate::http::HttpClient) -> Self {
        TrainingClient { http }
    }

    /// Starts a training; returns at once with the operation id.
    pub fn start_training(&self, args: &TrainingArgs) -> Result<TrainingStarted, ApiError> {
        self.http.execute(&args.request(), parse_training_started)
    }

    /// The results of the finished training `operation_id`, from its performance route.
    pub fn performance_results(&self, operation_id: &str) -> Result<OperationResults, ApiError> {
        self.http
            .execute(&performance_request(operation_id)?, |body| {
                performance_results(operation_id, body)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ErrorCode;
    use serde_json::json;

    fn args(path: &str, config: Option<&str>) -> Result<TrainingArgs, ApiError> {
        TrainingArgs::new(
            path,
            &["aapl".into(), "MSFT".into()],
            None,
            config,
            None,
            None,
        )
    }

    #[test]
    fn start_request_sends_what_the_backend_accepts() {
        let request = args("strategies/mlp_basic.yaml", None).unwrap().request();
        assert_eq!(request.method(), Method::Post);
        assert_eq!(request.path_and_query(), "/trainings/start");
        assert_eq!(
            request.body(),
            Some(&json!({"symbols": ["AAPL", "MSFT"], "timeframes": ["1h"],
                         "strategy_name": "mlp_basic"}))
        );
    }

    #[test]
    fn start_request_carries_dates_timeframes_and_analytics() {
        let request = TrainingArgs::new(
            "trend",
            &["AAPL".into()],
            Some(&[Timeframe::Hour4, Timeframe::Day1]),
            Some(r#"{"detailed_analytics": true}"#),
            Some("2024-01-01"),
            Some("2024-06-01"),
        )
        .unwrap()
        .request();
        assert_eq!(
            request.body(),
            Some(
                &json!({"symbols": ["AAPL"], "timeframes": ["4h", "1d"], "strategy_name": "trend",
                         "start_date": "2024-01-01", "end_date": "2024-06-01",
                         "detailed_analytics": true})
            )
        );
    }

    #[test]
    fn arguments_the_backend_cannot_honour_are_refused() {
        let error = args("mlp_basic", Some(r#"{"epochs": 100}"#)).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidArgument);
        assert!(error.to_string().contains("`epochs`"));
        let empty =
            TrainingArgs::new("m", &["AAPL".into()], Some(&[]), None, None, None).unwrap_err();
        assert!(empty.to_string().contains("`timeframes`"));
        let no_symbols = TrainingArgs::new("m", &[], None, None, None, None).unwrap_err();
        assert!(no_symbols.to_string().contains("`symbols`"));
        let bad_name = args("../etc/passwd", None).unwrap_err();
        assert!(bad_name.to_string().contains("`strategy_config_path`"));
    }

    #[test]
    fn operation_id_is_preferred_over_task_id() {
        let body = json!({"success": true, "operation_id": "op_a", "task_id": "op_b",
                          "status": "training_started", "message": "Started.",
                          "symbols": ["AAPL"], "timeframes": ["1h"], "strategy_name": "s"});
        let started = parse_training_started(&body).unwrap();
        assert_eq!(started.operation_id, "op_a");
        assert_eq!(started.task_id, "op_b");
        assert_eq!(started.estimated_duration_minutes, None);
        let no_ids = json!({"success": true, "task_id": "", "message": "x"});
        assert!(parse_training_started(&no_ids)
            .unwrap_err()
            .0
            .contains("task_id"));
    }

    #[test]
    fn performance_request_encodes_the_id() {
        let request = performance_request("a/b").unwrap();
        assert_eq!(request.path_and_query(), "/trainings/a%2Fb/performance");
        assert!(performance_request(" ").is_err());
    }

    #[test]
    fn performance_reads_as_results_with_a_note() {
        let body = json!({"success": true, "task_id": "op_training_1", "status": "completed",
            "training_metrics": {"final_train_loss": 0.5}, "test_metrics": {"test_accuracy": 0.6},
            "model_info": {"parameters_count": 10}});
        let results = performance_results("op_training_1", &body).unwrap();
        assert_eq!(results.operation_type, OperationType::Training);
        assert_eq!(results.status, OperationStatus::Completed);
        assert_eq!(results.note.as_deref(), Some(PERFORMANCE_NOTE));
        let metrics: Value = serde_json::from_str(&results.results).unwrap();
        assert_eq!(metrics["test_metrics"]["test_accuracy"], json!(0.6));
        let running = json!({"success": true, "task_id": "t", "status": "running"});
        assert!(performance_results("t", &running).is_err());
        let bad = json!({"success": true, "task_id": "t", "status": "completed",
                         "training_metrics": 5});
        assert!(performance_results("t", &bad).is_err());
    }
}
