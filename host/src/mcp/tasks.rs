//! MCP tasks (the `io.modelcontextprotocol/tasks` extension) served by the component's task
//! functions, which its WIT declares (`# Task` sections, read by `wit-mcp`).
//!
//! A client that declares the extension and calls a start function gets a task whose id is what
//! the function returned (for KTRDR, the operation id). Nothing about a task is kept here:
//! `tasks/get` calls the status function (and the result function once the task has finished),
//! and `tasks/cancel` the cancel function. So any host process answers for any task, another
//! replica or this one after a restart, and the backend stays the only task store.

use rmcp::model::{
    CallToolResponse, CallToolResult, CreateTaskResult, DetailedTask, GetTaskResult, JsonObject,
    Task, TaskPayload, TaskStatus,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use wit_mcp::{TaskFunctions, TaskState};

use super::results;
use super::server::{Outcome, ToolServer};

/// How often a client should poll a task.
const POLL_INTERVAL_MS: u64 = 1000;

impl ToolServer {
    /// Whether a call of function `index` starts a task: it is a start function and the client
    /// declared the tasks extension (on the request, or at `initialize`).
    pub(super) fn starts_task(&self, index: usize, context: &RequestContext<RoleServer>) -> bool {
        self.task_functions()
            .is_some_and(|tasks| tasks.start_id_field(index).is_some())
            && context
                .client_capabilities()
                .is_some_and(|capabilities| capabilities.supports_tasks())
    }

    /// Calls start function `index`; its success becomes a task, its failure the tool result
    /// it would be without tasks.
    pub(super) async fn start_task(
        &self,
        index: usize,
        arguments: JsonObject,
        cancel: &CancellationToken,
    ) -> CallToolResponse {
        let tasks = self.task_functions().expect("checked by starts_task");
        let id_field = tasks.start_id_field(index).expect("a start function");
        let started = match self.invoke(index, arguments, cancel).await {
            Outcome::Value(value) => value,
            failed => return self.tool_result(index, failed).into(),
        };
        let Some(task_id) = started[id_field].as_str() else {
            return results::tool_error(json!(format!(
                "the call started work but gave no `{id_field}` to follow it by"
            )))
            .into();
        };
        let task = match self.status_of(tasks, task_id, cancel).await {
            Ok(status) => task(tasks, task_id, &status),
            Err(_) => new_task(task_id, TaskStatus::Working, None),
        };
        CallToolResponse::Task(CreateTaskResult::new(task))
    }

    /// `tasks/get`: the task's state, with its result once it has finished.
    pub(super) async fn read_task(
        &self,
        task_id: &str,
        cancel: &CancellationToken,
    ) -> Result<GetTaskResult, ErrorData> {
        let tasks = self.task_functions().ok_or_else(no_tasks)?;
        let status = self.status_of(tasks, task_id, cancel).await?;
        let payload = match tasks.state(&status) {
            TaskState::Working => TaskPayload::Working,
            TaskState::Cancelled => TaskPayload::Cancelled,
            TaskState::Completed => TaskPayload::Completed {
                result: self.result_of(tasks, task_id, cancel).await,
            },
            // A task whose work failed still completes, with an error result; the extension's
            // `failed` is for JSON-RPC errors.
            TaskState::Failed => TaskPayload::Completed {
                result: failed_result(tasks, &status),
            },
        };
        Ok(GetTaskResult::new(DetailedTask::new(
            task(tasks, task_id, &status),
            payload,
        )))
    }

    /// `tasks/cancel`: cancels a working task; a finished one is acknowledged unchanged.
    pub(super) async fn stop_task(
        &self,
        task_id: &str,
        cancel: &CancellationToken,
    ) -> Result<(), ErrorData> {
        let tasks = self.task_functions().ok_or_else(no_tasks)?;
        let status = self.status_of(tasks, task_id, cancel).await?;
        if tasks.state(&status) != TaskState::Working {
            return Ok(());
        }
        match self.task_call(tasks.cancel, task_id, cancel).await {
            // A refusal means it finished between the two calls.
            Err(error) if error.data.as_ref().is_some_and(|e| e["code"] == "rejected") => Ok(()),
            outcome => outcome.map(drop),
        }
    }

    /// The status function's result for `task_id`, or the JSON-RPC error to answer.
    async fn status_of(
        &self,
        tasks: &TaskFunctions,
        task_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Value, ErrorData> {
        self.task_call(tasks.status, task_id, cancel).await
    }

    /// Calls task function `index` for `task_id`: its value, or the JSON-RPC error to answer
    /// (carrying the function's error value, if it gave one).
    async fn task_call(
        &self,
        index: usize,
        task_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Value, ErrorData> {
        match self
            .invoke(index, self.task_arguments(index, task_id), cancel)
            .await
        {
            Outcome::Value(value) => Ok(value),
            Outcome::Error(error) => Err(task_error(task_id, error)),
            Outcome::Failed(result) => Err(ErrorData::internal_error(text_of(&result), None)),
        }
    }

    /// The result function's tool result for `task_id`, as a JSON object (a failed call is an
    /// error result, as the tool would answer).
    async fn result_of(
        &self,
        tasks: &TaskFunctions,
        task_id: &str,
        cancel: &CancellationToken,
    ) -> JsonObject {
        let outcome = self
            .invoke(
                tasks.result,
                self.task_arguments(tasks.result, task_id),
                cancel,
            )
            .await;
        as_object(&self.tool_result(tasks.result, outcome))
    }

    /// The arguments of task function `index`: the task id as its first parameter.
    fn task_arguments(&self, index: usize, task_id: &str) -> JsonObject {
        let name = &self.interface().functions[index].function.params[0].name;
        let mut arguments = JsonObject::new();
        arguments.insert(wit_mcp::json_name(name), json!(task_id));
        arguments
    }

    fn task_functions(&self) -> Option<&TaskFunctions> {
        self.interface().tasks.as_ref()
    }
}

/// The MCP task of `task_id` whose status function gave `status`.
fn task(tasks: &TaskFunctions, task_id: &str, status: &Value) -> Task {
    let state = match tasks.state(status) {
        TaskState::Working => TaskStatus::Working,
        TaskState::Completed | TaskState::Failed => TaskStatus::Completed,
        TaskState::Cancelled => TaskStatus::Cancelled,
    };
    let task = new_task(task_id, state, tasks.created_at(status));
    match tasks.message(status) {
        Some(message) => task.with_status_message(message),
        None => task,
    }
}

/// A task in `state`, updated now and created at `created` (now when not known), polled every
/// [`POLL_INTERVAL_MS`].
fn new_task(task_id: &str, state: TaskStatus, created: Option<String>) -> Task {
    let now = now();
    let created = created.unwrap_or_else(|| now.clone());
    Task::new(task_id, state, created, now).with_poll_interval_ms(POLL_INTERVAL_MS)
}

/// The error result of a task whose work failed: what the status says went wrong.
fn failed_result(tasks: &TaskFunctions, status: &Value) -> JsonObject {
    let reason = tasks
        .error(status)
        .unwrap_or_else(|| "the task's work failed".to_owned());
    as_object(&results::tool_error(json!({
        "code": "failed",
        "message": reason,
        "details": { "status": status },
    })))
}

/// The JSON-RPC error for a task function's error value: an unknown or malformed id is the
/// caller's (-32602); anything else is the server's (-32603). Both carry the error value.
fn task_error(task_id: &str, error: Value) -> ErrorData {
    let message = error["message"]
        .as_str()
        .unwrap_or("the task cannot be read");
    match error["code"].as_str() {
        Some("not_found" | "invalid_argument") => {
            ErrorData::invalid_params(format!("Unknown task `{task_id}`: {message}"), Some(error))
        }
        _ => ErrorData::internal_error(format!("Task `{task_id}`: {message}"), Some(error)),
    }
}

fn no_tasks() -> ErrorData {
    ErrorData::method_not_found::<rmcp::model::GetTaskMethod>()
}

fn as_object(result: &CallToolResult) -> JsonObject {
    match serde_json::to_value(result) {
        Ok(Value::Object(object)) => object,
        _ => JsonObject::new(),
    }
}

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The current time, ISO 8601 (UTC).
fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}
