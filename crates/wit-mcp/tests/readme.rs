//! The README's example holds: its WIT gives its tool, instructions, conversions and messages.

use serde_json::{json, Value};
use wit_mcp::wit_parser::Resolve;
use wit_mcp::{ComponentInterface, Val};

const README: &str = include_str!("../README.md");

/// The first fenced block of `language` after `heading`.
fn block(heading: &str, language: &str) -> &'static str {
    let section = &README[README.find(heading).expect("heading")..];
    let fence = format!("```{language}\n");
    let start = section.find(&fence).expect("block") + fence.len();
    let end = start + section[start..].find("```").expect("end of block");
    &section[start..end]
}

fn example() -> ComponentInterface {
    let mut resolve = Resolve::default();
    let package = resolve
        .push_str("jobs.wit", block("## Example", "wit"))
        .unwrap();
    let world = resolve.select_world(&[package], None).unwrap();
    ComponentInterface::of_world(resolve, world).unwrap()
}

#[test]
fn the_example_wit_gives_the_example_tool() {
    let tools = example();
    assert_eq!(tools.functions.len(), 1);
    let documented: Value = serde_json::from_str(block("## Example", "json")).unwrap();
    assert_eq!(tools.functions[0].tool_descriptor(), documented);
    assert_eq!(
        tools.instructions.as_deref(),
        Some("Start jobs and watch them.")
    );
    assert!(README.contains("gives the instructions `Start jobs and watch them.`"));
}

#[test]
fn the_example_calls_convert_as_described() {
    let tools = example();
    let index = tools.function_index("start_job").unwrap();
    let arguments = |value: Value| value.as_object().unwrap().clone();
    assert_eq!(
        tools.arguments(
            index,
            &arguments(json!({ "name": "build", "verbosity": "all" }))
        ),
        Ok(vec![
            Val::String("build".into()),
            Val::Option(None),
            Val::Option(Some(Box::new(Val::Enum("full-trace".into())))),
        ])
    );
    for (call, message) in [
        (
            json!({ "name": "build", "retries": 9 }),
            "Argument `retries` must be an integer from 0 to 5; got 9. Fix it and call again.",
        ),
        (
            json!({ "name": "build", "verbose": true }),
            r#"Unknown argument `verbose`: the accepted names are "name", "retries" and "verbosity"."#,
        ),
    ] {
        let error = tools.arguments(index, &arguments(call)).unwrap_err();
        assert_eq!(error.to_string(), message);
        let in_readme = README.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(in_readme.contains(message), "{message}");
    }
    let job = Val::Record(vec![
        ("job-id".into(), Val::String("j1".into())),
        ("eta-seconds".into(), Val::Option(None)),
    ]);
    let ok = Val::Result(Ok(Some(Box::new(job))));
    assert_eq!(
        tools.result_to_json(index, Some(&ok)),
        Ok(json!({ "job_id": "j1", "eta_seconds": null }))
    );
    let err = Val::Result(Err(Some(Box::new(Val::String("busy".into())))));
    assert_eq!(tools.result_to_json(index, Some(&err)), Err(json!("busy")));
}
