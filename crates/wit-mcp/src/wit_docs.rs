//! The conventions of a component's WIT doc comments, read as tool metadata.
//!
//! A component keeps its doc comments only in a `package-docs` custom section, which the WIT
//! decoder restores onto the decoded types; without one, every text below is empty and the
//! tools get plain descriptions. This module parses a
//! function's docs: its description, `# Parameters` (with ``Default: `json`.`` and
//! ``Range: `min..=max`.``), `# Annotations` and `# Task`; an enum case's or flag's docs, whose
//! ``JSON: `name`.`` names the case in JSON (for names WIT cannot spell, such as `1h`) and
//! ``Task: `state`.`` the task state it stands for; an
//! interface's docs, whose text before the first `#` heading is for agents; and it respells the
//! WIT names that docs quote (`` `get-operation-status` ``) as the JSON names an agent sees
//! (`` `get_operation_status` ``).

use std::collections::HashMap;

use serde_json::Value;
use wit_parser::{Docs, Function};

use crate::tasks::TaskRole;

/// `text` with every quoted kebab-case WIT name (`` `operation-id` ``, `` `dry-run` ``) in its
/// JSON spelling (`` `operation_id` ``, `` `dry_run` ``): tool, parameter, field and case names
/// all cross to JSON with `-` as `_`.
pub fn json_spelling(text: &str) -> String {
    let mut parts = text.split('`');
    let mut out = parts.next().unwrap_or_default().to_string();
    for (index, part) in parts.enumerate() {
        out.push('`');
        let quoted = index % 2 == 0;
        let is_wit_name = part.contains('-')
            && part.starts_with(|c: char| c.is_ascii_lowercase())
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if quoted && is_wit_name {
            out.push_str(&part.replace('-', "_"));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// What the doc comment of an enum case or a flag says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseDocs {
    /// The text, with its `JSON:` sentence taken out.
    pub description: String,
    /// The case's name in JSON, from ``JSON: `name`.`` (the name as is, not JSON-quoted).
    pub json_name: Option<String>,
    /// The task state the case stands for, from ``Task: `state`.`` (see the `tasks` module).
    pub task_state: Option<String>,
}

impl CaseDocs {
    /// Parses the doc comment of a case or flag.
    pub fn of(docs: &Docs) -> Self {
        Self::parse(docs.contents.as_deref().unwrap_or(""))
    }

    /// Parses doc-comment text.
    pub fn parse(text: &str) -> Self {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let (text, json_name) = take_marked(&text, "JSON:");
        let (description, task_state) = take_marked(&text, "Task:");
        Self {
            description: json_spelling(&description),
            json_name: json_name.filter(|name| !name.is_empty()),
            task_state,
        }
    }
}

/// The part of an interface's (or world's) doc comment meant for agents: the paragraphs before
/// its first `#` heading, quoted WIT names in their JSON spelling. Sections under headings are
/// for hosts and developers.
pub fn overview(docs: &Docs) -> Option<String> {
    let text = docs.contents.as_deref()?;
    let overview: Vec<&str> = text
        .lines()
        .take_while(|line| !line.starts_with("# "))
        .collect();
    let overview = json_spelling(overview.join("\n").trim());
    (!overview.is_empty()).then_some(overview)
}

/// Behaviour hints from a function's `# Annotations` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations {
    /// `read-only`: the tool does not change its environment.
    pub read_only: bool,
    /// `destructive`: the tool may undo or destroy something.
    pub destructive: bool,
    /// `idempotent`: calling it again with the same arguments has no further effect.
    pub idempotent: bool,
    /// `open-world`: the tool reaches beyond the server (external data sources).
    pub open_world: bool,
}

/// What the `# Parameters` section says about one parameter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamDoc {
    /// The text, with its `Default:` and `Range:` sentences taken out.
    pub description: String,
    /// The value used when the parameter is omitted, as JSON.
    pub default: Option<Value>,
    /// Inclusive integer bounds.
    pub range: Option<IntRange>,
}

/// Inclusive bounds of an integer, either end optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntRange {
    /// The smallest value allowed.
    pub min: Option<i128>,
    /// The largest value allowed.
    pub max: Option<i128>,
}

/// A function's docs, parsed by the conventions above.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionDocs {
    /// The paragraphs before the first `#` heading.
    pub description: String,
    /// Parameter docs by WIT (kebab-case) name.
    pub params: HashMap<String, ParamDoc>,
    /// The hints, if the docs have an `# Annotations` section.
    pub annotations: Option<Annotations>,
    /// The function's part in tasks, if the docs have a `# Task` section (`Err`: what is wrong
    /// with it).
    pub task: Option<Result<TaskRole, String>>,
}

impl FunctionDocs {
    /// Parses the doc comment of `function`.
    pub fn of(function: &Function) -> Self {
        Self::parse(function.docs.contents.as_deref().unwrap_or(""))
    }

    /// Parses doc-comment text.
    pub fn parse(text: &str) -> Self {
        let mut docs = FunctionDocs::default();
        let mut section = "";
        let mut description = Vec::new();
        let mut current_param: Option<(String, String)> = None;
        let mut annotation_words = Vec::new();
        let mut task_words = Vec::new();
        for line in text.lines() {
            if let Some(heading) = line.strip_prefix("# ") {
                section = heading.trim();
                continue;
            }
            match section {
                "" => description.push(line),
                "Parameters" => {
                    if let Some((name, rest)) = parse_param_item(line) {
                        docs.finish_param(current_param.take());
                        current_param = Some((name, rest));
                    } else if let Some((_, text)) = current_param.as_mut() {
                        if !line.trim().is_empty() {
                            text.push(' ');
                            text.push_str(line.trim());
                        }
                    }
                }
                "Annotations" => annotation_words.push(line.to_string()),
                "Task" => task_words.push(line),
                _ => {}
            }
        }
        docs.finish_param(current_param);
        docs.description = json_spelling(description.join("\n").trim());
        if section_present(text, "Annotations") {
            docs.annotations = Some(parse_annotations(&annotation_words.join(" ")));
        }
        if section_present(text, "Task") {
            docs.task = Some(TaskRole::parse(&task_words.join(" ")));
        }
        docs
    }

    fn finish_param(&mut self, param: Option<(String, String)>) {
        let Some((name, text)) = param else { return };
        let (text, default) = take_marked(&text, "Default:");
        let (text, range) = take_marked(&text, "Range:");
        self.params.insert(
            name,
            ParamDoc {
                description: json_spelling(&text),
                default: default.and_then(|raw| serde_json::from_str(&raw).ok()),
                range: range.and_then(|raw| parse_range(&raw)),
            },
        );
    }
}

fn section_present(text: &str, heading: &str) -> bool {
    text.lines()
        .any(|line| line.strip_prefix("# ").map(str::trim) == Some(heading))
}

/// ``- `name`: text`` → (`name`, `text`).
fn parse_param_item(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix("- `")?;
    let (name, rest) = rest.split_once('`')?;
    let rest = rest.strip_prefix(':')?;
    Some((name.to_string(), rest.trim().to_string()))
}

/// The `value` of ``Marker: `value`.`` in `text`, if there is one.
pub(crate) fn marked(text: &str, marker: &str) -> Option<String> {
    take_marked(text, marker).1
}

/// Takes ``Marker: `value`.`` out of `text`; returns the remaining text and `value`.
fn take_marked(text: &str, marker: &str) -> (String, Option<String>) {
    let Some(start) = text.find(marker) else {
        return (text.to_string(), None);
    };
    let after = text[start + marker.len()..].trim_start();
    let Some(quoted) = after.strip_prefix('`') else {
        return (text.to_string(), None);
    };
    let Some((value, rest)) = quoted.split_once('`') else {
        return (text.to_string(), None);
    };
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let remaining = format!("{} {}", text[..start].trim_end(), rest.trim_start());
    (remaining.trim().to_string(), Some(value.to_string()))
}

/// `1..=1000`, `0..=`, `..=9` → bounds.
fn parse_range(raw: &str) -> Option<IntRange> {
    let (min, max) = raw.split_once("..=")?;
    let bound = |s: &str| -> Option<Option<i128>> {
        let s = s.trim();
        if s.is_empty() {
            Some(None)
        } else {
            s.parse().ok().map(Some)
        }
    };
    Some(IntRange {
        min: bound(min)?,
        max: bound(max)?,
    })
}

fn parse_annotations(words: &str) -> Annotations {
    let mut annotations = Annotations::default();
    for word in words.split([',', ' ', '\t']).filter(|w| !w.is_empty()) {
        match word.trim_end_matches('.') {
            "read-only" => annotations.read_only = true,
            "destructive" => annotations.destructive = true,
            "idempotent" => annotations.idempotent = true,
            "open-world" => annotations.open_world = true,
            other => tracing::warn!(hint = other, "unknown hint in # Annotations; ignored"),
        }
    }
    annotations
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIST_DOCS: &str = "List operations, newest first.\n\nUse it to discover operations.\n\n\
        # Parameters\n\
        - `active-only`: Only pending and running operations. Default: `false`.\n\
        - `limit`: How many operations to return at most. Range: `1..=1000`. Default: `10`.\n\
        - `format`: A name such as `plain_text`, or a path\n  whose file name names it.\n\
        - `timeframes`: Bar sizes. Default: `[\"hour1\"]`.\n\n\
        # Annotations\nread-only, idempotent\n";

    #[test]
    fn description_is_the_text_before_the_first_heading() {
        let docs = FunctionDocs::parse(LIST_DOCS);
        assert_eq!(
            docs.description,
            "List operations, newest first.\n\nUse it to discover operations."
        );
    }

    #[test]
    fn parameters_carry_text_default_and_range() {
        let docs = FunctionDocs::parse(LIST_DOCS);
        let limit = &docs.params["limit"];
        assert_eq!(limit.description, "How many operations to return at most.");
        assert_eq!(limit.default, Some(json!(10)));
        assert_eq!(
            limit.range,
            Some(IntRange {
                min: Some(1),
                max: Some(1000)
            })
        );
        assert_eq!(docs.params["active-only"].default, Some(json!(false)));
        assert_eq!(docs.params["timeframes"].default, Some(json!(["hour1"])));
        assert_eq!(
            docs.params["format"].description,
            "A name such as `plain_text`, or a path whose file name names it."
        );
    }

    #[test]
    fn annotations_list_the_hints_and_others_are_false() {
        let docs = FunctionDocs::parse(LIST_DOCS);
        assert_eq!(
            docs.annotations,
            Some(Annotations {
                read_only: true,
                idempotent: true,
                ..Annotations::default()
            })
        );
        assert_eq!(FunctionDocs::parse("Does things.").annotations, None);
    }

    #[test]
    fn quoted_wit_names_take_their_json_spelling() {
        assert_eq!(
            json_spelling("Poll `get-operation-status`; `a-b` `1..=9` `op_x` `read` ``."),
            "Poll `get_operation_status`; `a_b` `1..=9` `op_x` `read` ``."
        );
        assert_eq!(json_spelling("no quotes-here"), "no quotes-here");
        assert_eq!(json_spelling("odd ` `x-y"), "odd ` `x-y");
    }

    #[test]
    fn a_case_may_name_itself_in_json() {
        let docs = CaseDocs::parse("One-hour bars,\n  the default. JSON: `1h`.");
        assert_eq!(docs.json_name.as_deref(), Some("1h"));
        assert_eq!(docs.description, "One-hour bars, the default.");
        let plain = CaseDocs::parse("From the `dry-run` cache.");
        assert_eq!(plain.json_name, None);
        assert_eq!(plain.description, "From the `dry_run` cache.");
        assert_eq!(CaseDocs::parse("JSON: `1M`.").description, "");
        assert_eq!(CaseDocs::parse("JSON: ``.").json_name, None);
    }

    #[test]
    fn an_overview_is_the_text_before_the_first_heading() {
        let docs = Docs {
            contents: Some(
                "Drive `long-jobs`.\n\nPoll them.\n\n# Conventions\n- `Default:` ...".into(),
            ),
        };
        assert_eq!(
            overview(&docs).as_deref(),
            Some("Drive `long_jobs`.\n\nPoll them.")
        );
        let only_heading = Docs {
            contents: Some("# Conventions\nFor hosts.".into()),
        };
        assert_eq!(overview(&only_heading), None);
        assert_eq!(overview(&Docs::default()), None);
    }

    #[test]
    fn open_ranges_parse() {
        assert_eq!(
            parse_range("..=9"),
            Some(IntRange {
                min: None,
                max: Some(9)
            })
        );
        assert_eq!(parse_range("nonsense"), None);
    }
}
