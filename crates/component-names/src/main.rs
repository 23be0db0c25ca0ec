//! `component-names FILE`: shortens the function and global names in a component file, in place
//! (see the library), and reports its size before and after on stderr.

use std::process::ExitCode;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("component-names: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        anyhow::bail!("usage: component-names COMPONENT.wasm (rewritten in place)");
    };
    let before = std::fs::read(&path).with_context(|| format!("cannot read {path:?}"))?;
    let after = component_names::shorten_component(&before)
        .with_context(|| format!("cannot rewrite {path:?}"))?;
    if after != before {
        std::fs::write(&path, &after).with_context(|| format!("cannot write {path:?}"))?;
    }
    eprintln!(
        "{}: {} -> {} bytes (function and global names shortened)",
        path.to_string_lossy(),
        before.len(),
        after.len()
    );
    Ok(())
}
