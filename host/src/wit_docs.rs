//! The doc comments of a component's WIT and the conventions they follow.
//!
//! A compiled component keeps its WIT types but not their doc comments, so a component that
//! wants described tools carries its WIT source in a `wit-source` custom section (of any of its
//! core modules). This module finds that source, copies its doc comments onto the types decoded
//! from the component binary (which stay authoritative), and parses a function's docs:
//! its description, `# Parameters` (with ``Default: `json`.`` and ``Range: `min..=max`.``) and
//! `# Annotations`.

use std::collections::HashMap;

use anyhow::{Context, Result};
use serde_json::Value;
use wit_parser::{
    Docs, Function, InterfaceId, PackageName, Resolve, TypeDefKind, WorldId, WorldItem, WorldKey,
};

/// Name of the custom section holding the component's WIT source text.
pub const WIT_SOURCE_SECTION: &str = "wit-source";

/// Returns the WIT source text embedded in `component`, if it has a `wit-source` section.
pub fn embedded_wit_source(component: &[u8]) -> Result<Option<String>> {
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        if let wasmparser::Payload::CustomSection(section) =
            payload.context("the component is not valid WebAssembly")?
        {
            if section.name() == WIT_SOURCE_SECTION {
                let text = std::str::from_utf8(section.data())
                    .context("the `wit-source` section is not UTF-8")?;
                return Ok(Some(text.to_string()));
            }
        }
    }
    Ok(None)
}

/// Copies the doc comments of `source` (WIT text) onto the exports of `world` in `decoded`:
/// interfaces and types are matched by package and name, functions and record fields, enum,
/// variant and flag cases by name. Items without a counterpart keep empty docs.
pub fn inject_docs(decoded: &mut Resolve, world: WorldId, source: &str) -> Result<()> {
    let mut documented = Resolve::default();
    documented
        .push_str("wit-source.wit", source)
        .context("the `wit-source` section is not valid WIT")?;
    let exports: Vec<(WorldKey, WorldItem)> = decoded.worlds[world]
        .exports
        .iter()
        .map(|(key, item)| (key.clone(), item.clone()))
        .collect();
    for (key, item) in exports {
        match item {
            WorldItem::Interface { id, .. } => {
                if let Some(source_id) = find_interface(decoded, id, &documented) {
                    copy_interface_docs(decoded, id, &documented, source_id);
                }
            }
            WorldItem::Function(_) => {
                let WorldKey::Name(name) = &key else { continue };
                if let Some(docs) = find_world_function_docs(&documented, name) {
                    if let Some(WorldItem::Function(function)) =
                        decoded.worlds[world].exports.get_mut(&key)
                    {
                        function.docs = docs;
                    }
                }
            }
            WorldItem::Type { .. } => {}
        }
    }
    Ok(())
}

fn same_package(a: &PackageName, b: &PackageName) -> bool {
    a.namespace == b.namespace && a.name == b.name
}

fn find_interface(decoded: &Resolve, id: InterfaceId, documented: &Resolve) -> Option<InterfaceId> {
    let interface = &decoded.interfaces[id];
    let package = &decoded.packages[interface.package?].name;
    let name = interface.name.as_deref()?;
    documented
        .packages
        .iter()
        .filter(|(_, candidate)| same_package(&candidate.name, package))
        .find_map(|(_, candidate)| candidate.interfaces.get(name).copied())
}

fn copy_interface_docs(
    decoded: &mut Resolve,
    id: InterfaceId,
    documented: &Resolve,
    source_id: InterfaceId,
) {
    let source = &documented.interfaces[source_id];
    decoded.interfaces[id].docs = source.docs.clone();
    for (name, function) in decoded.interfaces[id].functions.iter_mut() {
        if let Some(source_function) = source.functions.get(name) {
            function.docs = source_function.docs.clone();
        }
    }
    let types: Vec<_> = decoded.interfaces[id]
        .types
        .iter()
        .map(|(name, type_id)| (name.clone(), *type_id))
        .collect();
    for (name, type_id) in types {
        let Some(source_type) = source.types.get(&name).map(|t| &documented.types[*t]) else {
            continue;
        };
        let target = &mut decoded.types[type_id];
        target.docs = source_type.docs.clone();
        copy_item_docs(&mut target.kind, &source_type.kind);
    }
}

/// Copies the docs of record fields, enum, variant and flag cases, matched by name.
fn copy_item_docs(target: &mut TypeDefKind, source: &TypeDefKind) {
    fn copy<'a, T: 'a, S: 'a>(
        targets: impl Iterator<Item = &'a mut T>,
        sources: impl Iterator<Item = &'a S> + Clone,
        name_docs: impl Fn(&mut T) -> (&str, &mut Docs),
        source_docs: impl Fn(&S) -> (&str, &Docs),
    ) {
        for target in targets {
            let (name, docs) = name_docs(target);
            if let Some((_, found)) = sources.clone().map(&source_docs).find(|(n, _)| *n == name) {
                *docs = found.clone();
            }
        }
    }
    match (target, source) {
        (TypeDefKind::Record(t), TypeDefKind::Record(s)) => copy(
            t.fields.iter_mut(),
            s.fields.iter(),
            |f| (f.name.as_str(), &mut f.docs),
            |f| (f.name.as_str(), &f.docs),
        ),
        (TypeDefKind::Enum(t), TypeDefKind::Enum(s)) => copy(
            t.cases.iter_mut(),
            s.cases.iter(),
            |c| (c.name.as_str(), &mut c.docs),
            |c| (c.name.as_str(), &c.docs),
        ),
        (TypeDefKind::Variant(t), TypeDefKind::Variant(s)) => copy(
            t.cases.iter_mut(),
            s.cases.iter(),
            |c| (c.name.as_str(), &mut c.docs),
            |c| (c.name.as_str(), &c.docs),
        ),
        (TypeDefKind::Flags(t), TypeDefKind::Flags(s)) => copy(
            t.flags.iter_mut(),
            s.flags.iter(),
            |f| (f.name.as_str(), &mut f.docs),
            |f| (f.name.as_str(), &f.docs),
        ),
        _ => {}
    }
}

fn find_world_function_docs(documented: &Resolve, name: &str) -> Option<Docs> {
    documented.worlds.iter().find_map(|(_, world)| {
        world
            .exports
            .iter()
            .find_map(|(key, item)| match (key, item) {
                (WorldKey::Name(n), WorldItem::Function(f)) if n == name => Some(f.docs.clone()),
                _ => None,
            })
    })
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
                _ => {}
            }
        }
        docs.finish_param(current_param);
        docs.description = description.join("\n").trim().to_string();
        if section_present(text, "Annotations") {
            docs.annotations = Some(parse_annotations(&annotation_words.join(" ")));
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
                description: text,
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
        - `strategy`: A name such as `mlp_basic`, or a path\n  whose file name names it.\n\
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
            docs.params["strategy"].description,
            "A name such as `mlp_basic`, or a path whose file name names it."
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
