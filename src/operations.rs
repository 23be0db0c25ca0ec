//! The operations client: list operations, read one's status, cancel it, read its results.
//!
//! Endpoints (contract §4): `GET /operations`, `GET /operations/{id}`,
//! `DELETE /operations/{id}` (cancel, optional body `{"reason"}`), `GET /operations/{id}/results`.

use crate::error::{ApiError, ErrorHints};
use crate::http::{ApiRequest, Method};
use crate::json::{self, Fields, ShapeError};
use crate::tools::{
    CancelResult, OperationInfo, OperationList, OperationMetadata, OperationProgress,
    OperationResults, OperationStatus, OperationSummary, OperationType,
};
use crate::validate;
use serde_json::Value;

/// Every operation type with its wire name.
const OPERATION_TYPES: [(OperationType, &str); 9] = [
    (OperationType::DataLoad, "data_load"),
    (OperationType::Training, "training"),
    (OperationType::Backtesting, "backtesting"),
    (OperationType::IndicatorCompute, "indicator_compute"),
    (OperationType::FuzzyAnalysis, "fuzzy_analysis"),
    (OperationType::Dummy, "dummy"),
    (OperationType::AgentResearch, "agent_research"),
    (OperationType::AgentDesign, "agent_design"),
    (OperationType::AgentAssessment, "agent_assessment"),
];

/// Every operation status with its wire name.
const OPERATION_STATUSES: [(OperationStatus, &str); 6] = [
    (OperationStatus::Pending, "pending"),
    (OperationStatus::Resuming, "resuming"),
    (OperationStatus::Running, "running"),
    (OperationStatus::Completed, "completed"),
    (OperationStatus::Failed, "failed"),
    (OperationStatus::Cancelled, "cancelled"),
];

/// The backend's name of an operation type, e.g. `data_load`.
pub fn operation_type_name(kind: OperationType) -> &'static str {
    OPERATION_TYPES
        .iter()
        .find(|(known, _)| *known == kind)
        .map_or("unknown", |(_, name)| name)
}

/// The backend's name of an operation status, e.g. `running`.
pub fn status_name(status: OperationStatus) -> &'static str {
    OPERATION_STATUSES
        .iter()
        .find(|(known, _)| *known == status)
        .map_or("unknown", |(_, name)| name)
}

/// Reads an operation type field; a name this component does not know is `unknown`.
pub(crate) fn read_operation_type(
    fields: &Fields<'_>,
    key: &str,
) -> Result<OperationType, ShapeError> {
    let name = fields.string(key)?;
    Ok(OPERATION_TYPES
        .iter()
        .find(|(_, known)| *known == name)
        .map_or(OperationType::Unknown, |(kind, _)| *kind))
}

/// Reads an operation status field; a name this component does not know is `unknown`.
fn read_status(fields: &Fields<'_>, key: &str) -> Result<OperationStatus, ShapeError> {
    let name = fields.string(key)?;
    Ok(OPERATION_STATUSES
        .iter()
        .find(|(_, known)| *known == name)
        .map_or(OperationStatus::Unknown, |(status, _)| *status))
}

/// The error for filtering by `unknown`, which stands for values the backend spells in ways
/// this component does not know; it names the values that can be filtered by.
fn unknown_filter<T, const N: usize>(parameter: &'static str, known: [(T, &str); N]) -> ApiError {
    ApiError::invalid(
        parameter,
        format!(
            "`unknown` stands for values this tool cannot name, so it cannot filter by it; use \
             one of {} or omit it",
            known.map(|(_, name)| name).join(", ")
        ),
    )
}

/// A saturating `u64` → `u32` for counts.
fn count(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The validated arguments of `list_operations`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListFilter {
    /// Only operations of this kind.
    pub operation_type: Option<OperationType>,
    /// Only operations in this status.
    pub status: Option<OperationStatus>,
    /// Only pending and running operations.
    pub active_only: bool,
    /// Page size, 1 to 1000.
    pub limit: u32,
    /// Operations skipped.
    pub offset: u32,
}

impl ListFilter {
    /// Applies the defaults (`active_only` false, `limit` 10, `offset` 0) and checks `limit`
    /// and that no filter is `unknown`.
    pub fn new(
        operation_type: Option<OperationType>,
        status: Option<OperationStatus>,
        active_only: Option<bool>,
        limit: Option<u32>,
        offset: Option<u32>,
    ) -> Result<Self, ApiError> {
        if operation_type == Some(OperationType::Unknown) {
            return Err(unknown_filter("operation_type", OPERATION_TYPES));
        }
        if status == Some(OperationStatus::Unknown) {
            return Err(unknown_filter("status", OPERATION_STATUSES));
        }
        Ok(ListFilter {
            operation_type,
            status,
            active_only: active_only.unwrap_or(false),
            limit: validate::limit(limit, validate::DEFAULT_LIST_LIMIT)?,
            offset: offset.unwrap_or(0),
        })
    }

    /// `GET /operations?limit&offset[&operation_type][&status][&active_only=true]`.
    pub fn request(&self) -> ApiRequest {
        let mut request = ApiRequest::new(Method::Get, &["operations"])
            .with_query("limit", self.limit.to_string())
            .with_query("offset", self.offset.to_string());
        if let Some(kind) = self.operation_type {
            request = request.with_query("operation_type", operation_type_name(kind));
        }
        if let Some(status) = self.status {
            request = request.with_query("status", status_name(status));
        }
        if self.active_only {
            request = request.with_query("active_only", "true");
        }
        request
    }

    /// Reads `{"success", "data": [OperationSummary], "total_count", "active_count"}` and
    /// computes the page counts from this filter's offset.
    pub fn parse(&self, body: &Value) -> Result<OperationList, ShapeError> {
        let fields = Fields::of(body, "")?;
        let operations = fields
            .array("data")?
            .iter()
            .map(|item| parse_summary(&Fields::of(item, "data[]")?))
            .collect::<Result<Vec<_>, _>>()?;
        let returned = u64::try_from(operations.len()).unwrap_or(u64::MAX);
        let total = fields.u64_or_zero("total_count")?;
        let next = u64::from(self.offset).saturating_add(returned);
        Ok(OperationList {
            total_count: count(total),
            active_count: count(fields.u64_or_zero("active_count")?),
            returned_count: count(returned),
            next_offset: (returned > 0 && next < total).then(|| count(next)),
            operations,
        })
    }
}

fn parse_summary(fields: &Fields<'_>) -> Result<OperationSummary, ShapeError> {
    Ok(OperationSummary {
        operation_id: fields.string("operation_id")?,
        operation_type: read_operation_type(fields, "operation_type")?,
        status: read_status(fields, "status")?,
        created_at: fields.string("created_at")?,
        progress_percentage: fields.f64_or_zero("progress_percentage")?,
        current_step: fields.opt_string("current_step")?,
        symbol: fields.opt_string("symbol")?,
        duration_seconds: fields.opt_f64("duration_seconds")?,
    })
}

/// `GET /operations/{id}`.
pub fn status_request(operation_id: &str) -> Result<ApiRequest, ApiError> {
    let id = validate::operation_id("operation_id", operation_id)?;
    Ok(ApiRequest::new(Method::Get, &["operations", &id]).with_hints(ErrorHints::OPERATION))
}

/// Reads `{"success", "data": OperationInfo}`.
pub fn parse_status(body: &Value) -> Result<OperationInfo, ShapeError> {
    let data = Fields::of(body, "")?.object("data", "data")?;
    let progress = data.object_or_empty("progress", "data.progress")?;
    let metadata = data.object_or_empty("metadata", "data.metadata")?;
    Ok(OperationInfo {
        operation_id: data.string("operation_id")?,
        operation_type: read_operation_type(&data, "operation_type")?,
        status: read_status(&data, "status")?,
        created_at: data.string("created_at")?,
        started_at: data.opt_string("started_at")?,
        completed_at: data.opt_string("completed_at")?,
        progress: OperationProgress {
            percentage: progress.f64_or_zero("percentage")?,
            current_step: progress.opt_string("current_step")?,
            steps_completed: progress.u64_or_zero("steps_completed")?,
            steps_total: progress.u64_or_zero("steps_total")?,
            items_processed: progress.u64_or_zero("items_processed")?,
            items_total: progress.opt_u64("items_total")?,
            current_item: progress.opt_string("current_item")?,
            context: progress.object_text("context")?,
        },
        metadata: OperationMetadata {
            symbol: metadata.opt_string("symbol")?,
            timeframe: metadata.opt_string("timeframe")?,
            mode: metadata.opt_string("mode")?,
            start_date: metadata.opt_string("start_date")?,
            end_date: metadata.opt_string("end_date")?,
            parameters: metadata.object_text("parameters")?,
        },
        error_message: data.opt_string("error_message")?,
        warnings: data.strings("warnings")?,
        errors: data.strings("errors")?,
        result_summary: data.opt_object_text("result_summary")?,
        parent_operation_id: data.opt_string("parent_operation_id")?,
        metrics: data.opt_object_text("metrics")?,
    })
}

/// `DELETE /operations/{id}` with body `{"reason": …}` when a reason is given.
pub fn cancel_request(operation_id: &str, reason: Option<&str>) -> Result<ApiRequest, ApiError> {
    let id = validate::operation_id("operation_id", operation_id)?;
    let reason = validate::reason(reason)?;
    let request = ApiRequest::new(Method::Delete, &["operations", &id]).with_hints(ErrorHints {
        not_found: ErrorHints::OPERATION.not_found,
        rejected: "Only pending or running operations can be cancelled; check its status with \
                   get_operation_status.",
    });
    Ok(match reason {
        Some(reason) => request.with_json(json::object([("reason", Value::String(reason))])),
        None => request,
    })
}

/// Reads `{"success", "data": {"operation_id", "status", "cancelled_at", …}}`.
pub fn parse_cancel(body: &Value) -> Result<CancelResult, ShapeError> {
    let data = Fields::of(body, "")?.object("data", "data")?;
    Ok(CancelResult {
        operation_id: data.string("operation_id")?,
        status: read_status(&data, "status")?,
        cancelled_at: data.string("cancelled_at")?,
        cancellation_reason: data.opt_string("cancellation_reason")?,
        task_cancelled: data.bool_or_false("task_cancelled")?,
        training_session_cancelled: data.opt_bool("training_session_cancelled")?,
        remote_cancelled: data.opt_bool("remote_cancelled")?,
    })
}

/// `GET /operations/{id}/results`.
pub fn results_request(operation_id: &str) -> Result<ApiRequest, ApiError> {
    let id = validate::operation_id("operation_id", operation_id)?;
    Ok(
        ApiRequest::new(Method::Get, &["operations", &id, "results"]).with_hints(ErrorHints {
            not_found: ErrorHints::OPERATION.not_found,
            rejected: "Results exist once the status is completed or failed; poll \
                       get_operation_status until then (cancelled operations have none).",
        }),
    )
}

/// Reads `{"success", "operation_id", "operation_type", "status", "results"}`.
pub fn parse_results(body: &Value) -> Result<OperationResults, ShapeError> {
    let fields = Fields::of(body, "")?;
    Ok(OperationResults {
        operation_id: fields.string("operation_id")?,
        operation_type: read_operation_type(&fields, "operation_type")?,
        status: read_status(&fields, "status")?,
        results: fields.object_text("results")?,
        note: None,
    })
}

/// Whether `error` is plan-era KTRDR's HTTP 500 for an operation whose result summary it
/// cannot serialize (a finished training's, contract §7.4).
pub fn is_unserializable(error: &ApiError) -> bool {
    matches!(error, ApiError::Backend { status: 500, details, .. }
        if details.get("details").and_then(|inner| inner.get("type")).and_then(Value::as_str)
            == Some("PydanticSerializationError"))
}

/// `error`, reworded when it [`is_unserializable`] to say what happened and what to call
/// instead of retrying; any other error as it is.
pub fn explain_unserializable(error: ApiError) -> ApiError {
    if !is_unserializable(&error) {
        return error;
    }
    match error {
        ApiError::Backend {
            status,
            code,
            details,
            ..
        } => ApiError::Backend {
            status,
            code,
            message: format!(
                "The backend cannot serialize this operation's state (HTTP {status} \
                 PydanticSerializationError, a defect of plan-era KTRDR for finished \
                 trainings); retrying will not help. Its status is in list_operations, and a \
                 training's metrics come from get_operation_results."
            ),
            details,
        },
        other => other,
    }
}

/// The operations client over the wasi-http transport.
#[cfg(target_arch = "wasm32")]
pub struct OperationsClient<'a> {
    http: &'a crate::http::HttpClient,
}

#[cfg(target_arch = "wasm32")]
impl<'a> OperationsClient<'a> {
    /// A client sending through `http`.
    pub fn new(http: &'a crate::http::HttpClient) -> Self {
        OperationsClient { http }
    }

    /// A page of operations matching `filter`.
    pub fn list_operations(&self, filter: &ListFilter) -> Result<OperationList, ApiError> {
        self.http
            .execute(&filter.request(), |body| filter.parse(body))
    }

    /// The full state of one operation.
    pub fn get_operation_status(&self, operation_id: &str) -> Result<OperationInfo, ApiError> {
        self.http
            .execute(&status_request(operation_id)?, parse_status)
            .map_err(explain_unserializable)
    }

    /// Cancels a pending or running operation.
    pub fn cancel_operation(
        &self,
        operation_id: &str,
        reason: Option<&str>,
    ) -> Result<CancelResult, ApiError> {
        self.http
            .execute(&cancel_request(operation_id, reason)?, parse_cancel)
    }

    /// The results of a completed or failed operation. When the backend cannot serialize a
    /// finished training's results, they are read from its performance route instead.
    pub fn get_operation_results(&self, operation_id: &str) -> Result<OperationResults, ApiError> {
        match self
            .http
            .execute(&results_request(operation_id)?, parse_results)
        {
            Err(error) if is_unserializable(&error) => {
                crate::training::TrainingClient::new(self.http)
                    .performance_results(operation_id)
                    .map_err(|_| explain_unserializable(error))
            }
            outcome => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ErrorCode;
    use serde_json::json;

    #[test]
    fn list_request_sends_defaults_and_only_the_filters_given() {
        let defaults = ListFilter::new(None, None, None, None, None).unwrap();
        assert_eq!(
            defaults.request().path_and_query(),
            "/operations?limit=10&offset=0"
        );
        let inactive = ListFilter::new(None, None, Some(false), Some(5), Some(20)).unwrap();
        assert_eq!(
            inactive.request().path_and_query(),
            "/operations?limit=5&offset=20"
        );
        let filtered = ListFilter::new(
            Some(OperationType::DataLoad),
            Some(OperationStatus::Running),
            Some(true),
            Some(1000),
            None,
        )
        .unwrap();
        assert_eq!(
            filtered.request().path_and_query(),
            "/operations?limit=1000&offset=0&operation_type=data_load&status=running&active_only=true"
        );
        let error = ListFilter::new(None, None, None, Some(1001), None).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn every_type_and_status_has_its_backend_name() {
        let names: Vec<_> = OPERATION_TYPES
            .map(|(kind, _)| operation_type_name(kind))
            .to_vec();
        assert_eq!(
            names,
            [
                "data_load",
                "training",
                "backtesting",
                "indicator_compute",
                "fuzzy_analysis",
                "dummy",
                "agent_research",
                "agent_design",
                "agent_assessment"
            ]
        );
        let statuses: Vec<_> = OPERATION_STATUSES
            .map(|(status, _)| status_name(status))
            .to_vec();
        assert_eq!(
            statuses,
            [
                "pending",
                "resuming",
                "running",
                "completed",
                "failed",
                "cancelled"
            ]
        );
    }

    #[test]
    fn id_requests_encode_the_id_and_check_it_first() {
        let status = status_request(" op_x ").unwrap();
        assert_eq!(status.path_and_query(), "/operations/op_x");
        assert_eq!(
            results_request("../health").unwrap().path_and_query(),
            "/operations/..%2Fhealth/results"
        );
        for bad in ["", "  ", "op\nx"] {
            assert_eq!(
                status_request(bad).unwrap_err().code(),
                ErrorCode::InvalidArgument
            );
            assert!(cancel_request(bad, None).is_err());
            assert!(results_request(bad).is_err());
        }
    }

    #[test]
    fn cancel_is_a_delete_with_an_optional_reason() {
        let plain = cancel_request("op_x", None).unwrap();
        assert_eq!(plain.method(), Method::Delete);
        assert_eq!(plain.path_and_query(), "/operations/op_x");
        assert_eq!(plain.body(), None);
        let blank = cancel_request("op_x", Some("  ")).unwrap();
        assert_eq!(blank.body(), None);
        let reasoned = cancel_request("op_x", Some(" wrong symbol ")).unwrap();
        assert_eq!(reasoned.body(), Some(&json!({"reason": "wrong symbol"})));
    }

    #[test]
    fn unknown_kinds_and_statuses_are_read_as_unknown_and_the_rest_kept() {
        let body = json!({"success": true, "total_count": 2, "active_count": 0, "data": [
            {"operation_id": "op_a", "operation_type": "quantum", "status": "dreaming",
             "created_at": "t", "progress_percentage": 5.0},
            {"operation_id": "op_b", "operation_type": "training", "status": "resuming",
             "created_at": "t", "progress_percentage": 50.0}]});
        let filter = ListFilter::new(None, None, None, None, None).unwrap();
        let list = filter.parse(&body).unwrap();
        assert_eq!(list.operations[0].operation_type, OperationType::Unknown);
        assert_eq!(list.operations[0].status, OperationStatus::Unknown);
        assert_eq!(list.operations[1].status, OperationStatus::Resuming);
        let results = json!({"success": true, "operation_id": "op", "operation_type": "quantum",
                             "status": "completed", "results": {}});
        assert_eq!(
            parse_results(&results).unwrap().operation_type,
            OperationType::Unknown
        );
    }

    #[test]
    fn unknown_is_not_a_filter() {
        let kind = ListFilter::new(Some(OperationType::Unknown), None, None, None, None);
        let kind = kind.unwrap_err();
        assert_eq!(kind.code(), ErrorCode::InvalidArgument);
        assert!(kind.to_string().contains("data_load"), "{kind}");
        let status = ListFilter::new(None, Some(OperationStatus::Unknown), None, None, None);
        assert!(status.unwrap_err().to_string().contains("resuming"));
        let resuming = ListFilter::new(None, Some(OperationStatus::Resuming), None, None, None);
        assert_eq!(
            resuming.unwrap().request().path_and_query(),
            "/operations?limit=10&offset=0&status=resuming"
        );
    }

    #[test]
    fn both_cancel_answer_shapes_are_read() {
        let plan_era = json!({"success": true, "data": {"success": true, "operation_id": "op",
            "status": "cancelled", "cancelled_at": "t", "cancellation_reason": null,
            "task_cancelled": true, "training_session_cancelled": false}});
        let cancel = parse_cancel(&plan_era).unwrap();
        assert_eq!(cancel.training_session_cancelled, Some(false));
        assert_eq!(cancel.remote_cancelled, None);
        let current = json!({"success": true, "data": {"success": true, "operation_id": "op",
            "status": "cancelled", "cancelled_at": "t", "task_cancelled": true,
            "remote_cancelled": true, "children_cancelled": []}});
        let cancel = parse_cancel(&current).unwrap();
        assert_eq!(cancel.training_session_cancelled, None);
        assert_eq!(cancel.remote_cancelled, Some(true));
    }

    #[test]
    fn the_unserializable_training_500_is_explained() {
        let body = br#"{"success":false,"error":{"code":"INTERNAL_SERVER_ERROR","message":"An unexpected error occurred","details":{"type":"PydanticSerializationError"}}}"#;
        let error = ApiError::from_status("GET /operations/op", 500, body, ErrorHints::OPERATION);
        assert!(is_unserializable(&error));
        let explained = explain_unserializable(error);
        assert_eq!(explained.code(), ErrorCode::BackendError);
        let message = explained.to_string();
        assert!(message.contains("retrying will not help"), "{message}");
        assert!(message.contains("get_operation_results"), "{message}");
        let other = ApiError::from_status(
            "GET /operations/op",
            500,
            br#"{"detail":"boom"}"#,
            ErrorHints::OPERATION,
        );
        assert!(!is_unserializable(&other));
        assert!(explain_unserializable(other).to_string().contains("boom"));
    }
}
