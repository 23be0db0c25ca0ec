//! Tasks declared in the WIT: which exported functions start long-running work, and which read
//! its state, give its result and cancel it (a function's `# Task` section), so that a host can
//! serve MCP's tasks extension with the component's own functions as the task store.
//!
//! ```text
//! /// # Task
//! /// start. Id: `operation-id`.                      (the ok record's field holding the task id)
//!
//! /// # Task
//! /// status. State: `status`. Message: `progress.current-step`. Created: `created-at`.
//!
//! /// # Task
//! /// result.                                         (its first parameter is the task id)
//!
//! /// # Task
//! /// cancel.                                         (likewise; other parameters are omitted)
//! ```
//!
//! The `State:` field is an enum; each case's doc comment may say ``Task: `completed`.``
//! (`working`, `completed`, `failed` or `cancelled`); a case that does not is `working`.

use std::collections::HashMap;

use serde_json::Value;
use wit_parser::{Resolve, Type, TypeDefKind};

use crate::convert::json_name;
use crate::interface::{Error, ExportedFunction};
use crate::wit_docs::CaseDocs;

/// What a function's `# Task` section says it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskRole {
    /// Starts a task; the task id is this field (WIT name) of its ok record.
    Start {
        /// The field holding the id.
        id_field: String,
    },
    /// Reads a task's state.
    Status {
        /// The enum field (WIT name) whose case is the state.
        state_field: String,
        /// The path (WIT names, `.`-separated) of a text field describing progress.
        message_path: Option<String>,
        /// The field (WIT name) holding the task's creation time (ISO 8601).
        created_field: Option<String>,
        /// The path of a text field saying why the task failed.
        error_path: Option<String>,
    },
    /// Gives a finished task's result.
    Result,
    /// Cancels a task.
    Cancel,
}

impl TaskRole {
    /// Parses the text of a `# Task` section; `Err` says what is wrong.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let (role, rest) = match text.split_once('.') {
            Some((role, rest)) => (role.trim(), rest),
            None => (text.trim(), ""),
        };
        let marked = |marker: &str| crate::wit_docs::marked(rest, marker);
        match role {
            "start" => Ok(Self::Start {
                id_field: marked("Id:").ok_or("`start` needs ``Id: `field`.``")?,
            }),
            "status" => Ok(Self::Status {
                state_field: marked("State:").ok_or("`status` needs ``State: `field`.``")?,
                message_path: marked("Message:"),
                created_field: marked("Created:"),
                error_path: marked("Error:"),
            }),
            "result" => Ok(Self::Result),
            "cancel" => Ok(Self::Cancel),
            other => Err(format!(
                "unknown role `{other}`: expected start, status, result or cancel"
            )),
        }
    }
}

/// Where a task is in its life, as MCP's tasks extension names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Still running (or not started yet).
    Working,
    /// Finished; its result is ready.
    Completed,
    /// Finished without success.
    Failed,
    /// Stopped by a cancellation.
    Cancelled,
}

impl TaskState {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "working" => Self::Working,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// The functions that serve tasks, found by their `# Task` sections.
#[derive(Debug, Clone)]
pub struct TaskFunctions {
    /// Functions that start a task (positions in the interface's functions), with the JSON
    /// name of their result field holding the task id.
    pub starts: Vec<(usize, String)>,
    /// The function that reads a task's state.
    pub status: usize,
    /// The function that gives a finished task's result.
    pub result: usize,
    /// The function that cancels a task.
    pub cancel: usize,
    state_field: String,
    message_path: Vec<String>,
    error_path: Vec<String>,
    created_field: Option<String>,
    states: HashMap<String, TaskState>,
}

impl TaskFunctions {
    /// The task functions of `functions`: `None` when no function has a `# Task` section; an
    /// error when the sections do not make one complete set (one status, result and cancel
    /// function, each taking the task id first, and at least one start).
    pub(crate) fn find(
        resolve: &Resolve,
        functions: &[ExportedFunction],
    ) -> Result<Option<Self>, Error> {
        let invalid = |reason: String| Error::TaskConvention(reason);
        let mut starts = Vec::new();
        let (mut status, mut result, mut cancel) = (None, None, None);
        for (index, function) in functions.iter().enumerate() {
            let Some(role) = &function.docs.task else {
                continue;
            };
            let role = role
                .clone()
                .map_err(|reason| invalid(format!("`{}`: {reason}", function.function.name)))?;
            let slot = match role {
                TaskRole::Start { id_field } => {
                    starts.push((index, json_name(&id_field)));
                    continue;
                }
                TaskRole::Status {
                    state_field,
                    message_path,
                    created_field,
                    error_path,
                } => {
                    let found = (index, state_field, message_path, created_field, error_path);
                    if status.replace(found).is_some() {
                        return Err(invalid("two functions are `status`".into()));
                    }
                    continue;
                }
                TaskRole::Result => &mut result,
                TaskRole::Cancel => &mut cancel,
            };
            if slot.replace(index).is_some() {
                return Err(invalid(format!(
                    "`{}` is the second function with its role",
                    function.function.name
                )));
            }
        }
        if starts.is_empty() && status.is_none() && result.is_none() && cancel.is_none() {
            return Ok(None);
        }
        let (
            Some((status, state_field, message_path, created_field, error_path)),
            Some(result),
            Some(cancel),
        ) = (status, result, cancel)
        else {
            return Err(invalid(
                "a task needs one `status`, one `result` and one `cancel` function".into(),
            ));
        };
        if starts.is_empty() {
            return Err(invalid("no function is `start`".into()));
        }
        for index in [status, result, cancel] {
            let function = &functions[index];
            if function.function.params.first().map(|param| param.ty) != Some(Type::String) {
                return Err(invalid(format!(
                    "`{}` must take the task id (a string) as its first parameter",
                    function.function.name
                )));
            }
        }
        let states = enum_states(resolve, &functions[status], &state_field).ok_or_else(|| {
            invalid(format!(
                "`{}`'s result has no enum field `{state_field}`",
                functions[status].function.name
            ))
        })?;
        Ok(Some(Self {
            starts,
            status,
            result,
            cancel,
            state_field: json_name(&state_field),
            message_path: json_path(message_path),
            error_path: json_path(error_path),
            created_field: created_field.map(|field| json_name(&field)),
            states,
        }))
    }

    /// The JSON name of the id field of `index`'s result, if `index` starts a task.
    pub fn start_id_field(&self, index: usize) -> Option<&str> {
        self.starts
            .iter()
            .find(|(start, _)| *start == index)
            .map(|(_, field)| field.as_str())
    }

    /// The task's state in the status function's (JSON) result; `working` if unrecognised.
    pub fn state(&self, status: &Value) -> TaskState {
        status[&self.state_field]
            .as_str()
            .and_then(|case| self.states.get(case).copied())
            .unwrap_or(TaskState::Working)
    }

    /// The progress text in the status function's result, if it declares one and has it.
    pub fn message(&self, status: &Value) -> Option<String> {
        text_at(status, &self.message_path)
    }

    /// Why the task failed, from the status function's result, if it declares and has it.
    pub fn error(&self, status: &Value) -> Option<String> {
        text_at(status, &self.error_path)
    }

    /// The task's creation time in the status function's result, if declared and present.
    pub fn created_at(&self, status: &Value) -> Option<String> {
        status[self.created_field.as_deref()?]
            .as_str()
            .map(String::from)
    }
}

/// A `.`-separated path of WIT names as JSON names.
fn json_path(path: Option<String>) -> Vec<String> {
    path.map(|path| path.split('.').map(json_name).collect())
        .unwrap_or_default()
}

/// The non-empty text at `path` in `value`.
fn text_at(value: &Value, path: &[String]) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let found = path
        .iter()
        .try_fold(value, |value, field| value.get(field))?;
    found
        .as_str()
        .filter(|text| !text.is_empty())
        .map(String::from)
}

/// The task state of each JSON case name of the enum field `field` of `function`'s ok record.
fn enum_states(
    resolve: &Resolve,
    function: &ExportedFunction,
    field: &str,
) -> Option<HashMap<String, TaskState>> {
    let record = match resolved(resolve, function.outcome.ok?)? {
        TypeDefKind::Record(record) => record,
        _ => return None,
    };
    let field = record.fields.iter().find(|f| f.name == field)?;
    let TypeDefKind::Enum(cases) = resolved(resolve, field.ty)? else {
        return None;
    };
    Some(
        cases
            .cases
            .iter()
            .map(|case| {
                let docs = CaseDocs::of(&case.docs);
                let state = docs
                    .task_state
                    .as_deref()
                    .and_then(TaskState::parse)
                    .unwrap_or(TaskState::Working);
                (
                    docs.json_name.unwrap_or_else(|| json_name(&case.name)),
                    state,
                )
            })
            .collect(),
    )
}

/// The definition behind `ty`, through type aliases.
fn resolved(resolve: &Resolve, mut ty: Type) -> Option<&TypeDefKind> {
    loop {
        let Type::Id(id) = ty else { return None };
        match &resolve.types[id].kind {
            TypeDefKind::Type(inner) => ty = *inner,
            kind => return Some(kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::interface::of_wit;

    const WORLD: &str = r#"package demo:jobs;
        world jobs {
            export api: interface {
                enum phase {
                    /// Waiting. Task: `working`.
                    queued,
                    /// Done. Task: `completed`.
                    done,
                    /// Broke. Task: `failed`.
                    broken,
                    /// Stopped. Task: `cancelled`.
                    stopped,
                    /// Not said.
                    other,
                }
                record progress { note: option<string> }
                record job { job-id: string, phase: phase, progress: progress, born: string, why: option<string> }
                record started { job-id: string }

                /// # Task
                /// start. Id: `job-id`.
                launch: func(name: string) -> result<started, string>;
                /// # Task
                /// status. State: `phase`. Message: `progress.note`. Created: `born`. Error: `why`.
                inspect: func(job-id: string) -> result<job, string>;
                /// # Task
                /// result.
                outcome: func(job-id: string) -> result<string, string>;
                /// # Task
                /// cancel.
                stop: func(job-id: string, reason: option<string>) -> result<_, string>;
                /// Not part of tasks.
                names: func() -> list<string>;
            }
        }"#;

    #[test]
    fn the_task_sections_name_the_functions_and_the_fields() {
        let interface = of_wit(WORLD).unwrap();
        let tasks = interface.tasks.as_ref().unwrap();
        let index = |name: &str| interface.function_index(name).unwrap();
        assert_eq!(tasks.starts, vec![(index("launch"), "job_id".to_string())]);
        assert_eq!(tasks.start_id_field(index("launch")), Some("job_id"));
        assert_eq!(tasks.start_id_field(index("names")), None);
        assert_eq!(
            (tasks.status, tasks.result, tasks.cancel),
            (index("inspect"), index("outcome"), index("stop"))
        );
        let status = |phase: &str| {
            json!({ "job_id": "j1", "phase": phase, "progress": { "note": "3 of 7" },
                    "born": "2026-01-02T03:04:05Z", "why": "disk full" })
        };
        assert_eq!(tasks.state(&status("queued")), TaskState::Working);
        assert_eq!(tasks.state(&status("done")), TaskState::Completed);
        assert_eq!(tasks.state(&status("broken")), TaskState::Failed);
        assert_eq!(tasks.state(&status("stopped")), TaskState::Cancelled);
        assert_eq!(tasks.state(&status("other")), TaskState::Working);
        assert_eq!(tasks.state(&json!({})), TaskState::Working);
        assert_eq!(tasks.message(&status("queued")).as_deref(), Some("3 of 7"));
        assert_eq!(tasks.error(&status("broken")).as_deref(), Some("disk full"));
        assert_eq!(
            tasks.created_at(&status("done")).as_deref(),
            Some("2026-01-02T03:04:05Z")
        );
        assert_eq!(
            tasks.message(&json!({ "progress": { "note": null } })),
            None
        );
        // The case docs lose their `Task:` sentence.
        let schema = &interface.functions[index("inspect")].output_schema;
        assert!(!serde_json::to_string(schema).unwrap().contains("Task:"));
    }

    #[test]
    fn without_task_sections_there_are_no_tasks() {
        let source = WORLD.replace("# Task", "# Notes");
        assert!(of_wit(&source).unwrap().tasks.is_none());
    }

    #[test]
    fn an_incomplete_or_wrong_set_is_refused_with_the_reason() {
        let error =
            |from: &str, to: &str| of_wit(&WORLD.replace(from, to)).unwrap_err().to_string();
        let without_cancel = "/// # Task\n                /// cancel.\n";
        assert!(WORLD.contains(without_cancel));
        assert!(error(without_cancel, "").contains("one `status`, one `result` and one `cancel`"));
        assert!(error("/// cancel.", "/// result.")
            .contains("`stop` is the second function with its role"));
        assert!(error("/// start. Id: `job-id`.", "/// start.")
            .contains("`start` needs ``Id: `field`.``"));
        assert!(error("/// result.", "/// finish.").contains("unknown role `finish`"));
        assert!(error("State: `phase`", "State: `born`").contains("no enum field `born`"));
        assert!(error(
            "outcome: func(job-id: string)",
            "outcome: func(job-id: u32)"
        )
        .contains("`outcome` must take the task id (a string) as its first parameter"));
    }
}
