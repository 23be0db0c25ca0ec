//! Rewrites the function and global names a component's core modules carry as short Rust paths.
//!
//! Rust symbols reach a wasm `name` section mangled, with a hash per symbol
//! (`_ZN11ktrdr_tools4http4send17h470a…E`): what a trap backtrace prints, and about a sixth of
//! a small component. This rewrites each function and global name as `rustc-demangle` prints it
//! without the hash, with the paths inside generic arguments trimmed to their last segment as
//! rustc's diagnostics write them (`core::ptr::drop_in_place::<Vec<u8>>`,
//! `<serde_json::de::SeqAccess<R> as SeqAccess>::next_element_seed`). Names that are not Rust
//! symbols, every other name subsection and every other byte of the component stay as they were.

use anyhow::{bail, ensure, Context, Result};
use wasm_encoder::Encode;
use wasmparser::{BinaryReader, NameMap, Parser, Payload};

/// Section id of a core module embedded in a component.
const MODULE_SECTION: u8 = 1;
/// Section id of a custom section.
const CUSTOM_SECTION: u8 = 0;
/// Id of the function-names subsection of a `name` section.
const FUNCTION_NAMES: u8 = 1;
/// Id of the global-names subsection of a `name` section.
const GLOBAL_NAMES: u8 = 7;

/// `component` with the function and global names of each of its top-level core modules
/// shortened (modules inside nested components are left as they are). Running it again on its
/// own output changes nothing.
pub fn shorten_component(component: &[u8]) -> Result<Vec<u8>> {
    ensure!(
        wasmparser::Parser::is_component(component),
        "not a WebAssembly component"
    );
    let mut out = Vec::with_capacity(component.len());
    let mut copied = 0;
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(component) {
        match payload.context("the component does not parse")? {
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                let unchecked_range = unchecked_range.start as usize..unchecked_range.end as usize;
                if depth == 0 {
                    let module = component
                        .get(unchecked_range.clone())
                        .context("the component is truncated inside a core module")?;
                    let module = shorten_module(module)?;
                    copied = replace_section(
                        &mut out,
                        component,
                        copied,
                        (MODULE_SECTION, unchecked_range),
                        &module,
                    )?;
                }
                depth += 1;
            }
            Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out.extend_from_slice(&component[copied..]);
    Ok(out)
}

/// `module` (a core module's bytes) with its `name` section's function and global names
/// shortened.
pub fn shorten_module(module: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(module.len());
    let mut copied = 0;
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload.context("a core module does not parse")?;
        if let Payload::CustomSection(section) = &payload {
            if section.name() == "name" {
                let range = section.range();
                let mut contents = Vec::new();
                "name".encode(&mut contents);
                contents.extend(shorten_name_section(section.data(), section.data_offset())?);
                copied = replace_section(
                    &mut out,
                    module,
                    copied,
                    (CUSTOM_SECTION, range.start as usize..range.end as usize),
                    &contents,
                )?;
            }
        }
    }
    out.extend_from_slice(&module[copied..]);
    Ok(out)
}

/// The contents of a `name` section with its function and global names shortened and its other
/// subsections copied unchanged.
fn shorten_name_section(data: &[u8], offset: u64) -> Result<Vec<u8>> {
    let mut reader = BinaryReader::new(data, offset);
    let mut out = Vec::with_capacity(data.len());
    while !reader.eof() {
        let id = reader.read_u8()?;
        let size = reader.read_var_u32()? as usize;
        let position = reader.original_position();
        let contents = reader.read_bytes(size)?;
        out.push(id);
        if id == FUNCTION_NAMES || id == GLOBAL_NAMES {
            let mut names = wasm_encoder::NameMap::new();
            for naming in NameMap::new(BinaryReader::new(contents, position))? {
                let naming = naming?;
                names.append(naming.index, &short_name(naming.name));
            }
            let mut encoded = Vec::new();
            names.encode(&mut encoded);
            encoded.encode(&mut out);
        } else {
            contents.encode(&mut out);
        }
    }
    Ok(out)
}

/// A Rust symbol as its short path, also after a linker prefix such as `GOT.func.internal.`;
/// any other name unchanged.
pub fn short_name(name: &str) -> String {
    if let Some(path) = demangled(name) {
        return path;
    }
    if let Some(dot) = name.find("._") {
        let (prefix, symbol) = name.split_at(dot + 1);
        if let Some(path) = demangled(symbol) {
            return prefix.to_owned() + &path;
        }
    }
    name.to_owned()
}

/// `symbol` demangled, without its hash and with trimmed generic paths, if it is a Rust symbol.
fn demangled(symbol: &str) -> Option<String> {
    let demangled = rustc_demangle::try_demangle(symbol).ok()?;
    Some(trim_generic_paths(&format!("{demangled:#}")))
}

/// `path` (a demangled Rust path) with each path inside `<…>` cut to its last segment, except
/// the self type of a leading `<Type as Trait>`, which says whose method it is.
fn trim_generic_paths(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0usize;
    let mut rest = path;
    while let Some(c) = rest.chars().next() {
        let segment_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        if segment_len > 0 && !c.is_ascii_digit() && c != ':' {
            let segment = &rest[..segment_len];
            let leading_self_type = depth == 1 && out == "<";
            let kept = if depth > 0 && !leading_self_type {
                segment.rsplit("::").next().unwrap_or(segment)
            } else {
                segment
            };
            out.push_str(kept);
            rest = &rest[segment_len..];
            continue;
        }
        match c {
            '<' => depth += 1,
            '>' if !out.ends_with('-') => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Appends to `out` the bytes of `bytes` from `copied` up to the section `(id, contents)`, then
/// that section with `replacement` as its contents; returns the offset copying resumes from.
fn replace_section(
    out: &mut Vec<u8>,
    bytes: &[u8],
    copied: usize,
    (id, contents): (u8, std::ops::Range<usize>),
    replacement: &[u8],
) -> Result<usize> {
    let start = section_start(bytes, id, contents.clone())?;
    out.extend_from_slice(&bytes[copied..start]);
    out.push(id);
    replacement.encode(out);
    Ok(contents.end)
}

/// Offset of the id byte of the section whose contents are `contents`: the id and the LEB128
/// size sit right before them.
fn section_start(bytes: &[u8], id: u8, contents: std::ops::Range<usize>) -> Result<usize> {
    let mut size = Vec::new();
    (contents.len() as u32).encode(&mut size);
    let start = contents.start.checked_sub(1 + size.len());
    match start {
        Some(start) if bytes[start] == id && bytes[start + 1..contents.start] == size[..] => {
            Ok(start)
        }
        _ => bail!(
            "the section at byte {} has a size this tool cannot rewrite (not minimal LEB128)",
            contents.start
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, Component, ExportKind, ExportSection, Function, FunctionSection, Instruction,
        Module, ModuleSection, NameSection, TypeSection,
    };

    /// A mangled legacy Rust symbol of `path` (given as its segments).
    fn legacy_symbol(segments: &[&str]) -> String {
        let mut symbol = "_ZN".to_owned();
        for segment in segments {
            symbol += &format!("{}{segment}", segment.len());
        }
        symbol + "17h0123456789abcdefE"
    }

    /// A module of two functions named `names`, with a custom section after the name section.
    fn module(names: [&str; 2]) -> Module {
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut functions = FunctionSection::new();
        let mut exports = ExportSection::new();
        let mut code = CodeSection::new();
        let mut function_names = wasm_encoder::NameMap::new();
        for (index, name) in names.iter().enumerate() {
            functions.function(0);
            exports.export(&format!("f{index}"), ExportKind::Func, index as u32);
            let mut body = Function::new([]);
            body.instruction(&Instruction::End);
            code.function(&body);
            function_names.append(index as u32, name);
        }
        let mut name_section = NameSection::new();
        name_section.module("tools");
        name_section.functions(&function_names);
        let mut module = Module::new();
        module
            .section(&types)
            .section(&functions)
            .section(&exports)
            .section(&code)
            .section(&name_section)
            .section(&wasm_encoder::CustomSection {
                name: "producers-like".into(),
                data: b"kept as is".as_slice().into(),
            });
        module
    }

    fn component_of(module: &Module) -> Vec<u8> {
        let mut component = Component::new();
        component.section(&ModuleSection(module));
        component.finish()
    }

    /// The module name and function names of the first core module in `component`.
    fn names_in(component: &[u8]) -> (Option<String>, Vec<String>) {
        let mut module_name = None;
        let mut functions = Vec::new();
        for payload in Parser::new(0).parse_all(component) {
            if let Payload::CustomSection(section) = payload.unwrap() {
                if let wasmparser::KnownCustom::Name(reader) = section.as_known() {
                    for name in reader {
                        match name.unwrap() {
                            wasmparser::Name::Module { name, .. } => {
                                module_name = Some(name.to_owned())
                            }
                            wasmparser::Name::Function(map) => functions.extend(
                                map.into_iter()
                                    .map(|naming| naming.unwrap().name.to_owned()),
                            ),
                            _ => {}
                        }
                    }
                }
            }
        }
        (module_name, functions)
    }

    #[test]
    fn rust_symbols_lose_their_hash_and_generic_paths() {
        let send = legacy_symbol(&["ktrdr_tools", "http", "HttpClient", "send"]);
        assert_eq!(short_name(&send), "ktrdr_tools::http::HttpClient::send");
        let drop = legacy_symbol(&[
            "core",
            "ptr",
            "drop_in_place$LT$core..option..Option$LT$alloc..string..String$GT$$GT$",
        ]);
        assert_eq!(
            short_name(&drop),
            "core::ptr::drop_in_place<Option<String>>"
        );
        let method = legacy_symbol(&[
            "_$LT$serde_json..de..SeqAccess$LT$R$GT$$u20$as$u20$serde_core..de..SeqAccess$GT$",
            "next_element_seed",
        ]);
        assert_eq!(
            short_name(&method),
            "<serde_json::de::SeqAccess<R> as SeqAccess>::next_element_seed"
        );
    }

    #[test]
    fn linker_prefixes_stay_and_other_names_are_unchanged() {
        let symbol = legacy_symbol(&["serde_json", "ser", "ESCAPE"]);
        assert_eq!(
            short_name(&format!("GOT.data.internal.{symbol}")),
            "GOT.data.internal.serde_json::ser::ESCAPE"
        );
        for name in [
            "dlmalloc",
            "__stack_pointer",
            "GOT.data.internal.__memory_base",
        ] {
            assert_eq!(short_name(name), name);
        }
        let short = "<alloc::vec::Vec<T> as Drop>::drop";
        assert_eq!(short_name(short), short);
    }

    #[test]
    fn arrows_in_function_types_do_not_close_generics() {
        assert_eq!(
            trim_generic_paths(
                "<fn() -> alloc::string::String as core::ops::FnOnce<()>>::call_once"
            ),
            "<fn() -> String as FnOnce<()>>::call_once"
        );
        assert_eq!(
            trim_generic_paths("std::thread::with::<core::fmt::Arguments, u8>::{closure#0}"),
            "std::thread::with::<Arguments, u8>::{closure#0}"
        );
    }

    #[test]
    fn a_component_keeps_its_code_and_gets_short_names_once() {
        let mangled = legacy_symbol(&["ktrdr_tools", "facade", "list_operations"]);
        let component = component_of(&module([&mangled, "dlmalloc"]));
        let shortened = shorten_component(&component).unwrap();
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(&shortened)
            .unwrap();
        assert!(shortened.len() < component.len());
        let (module_name, functions) = names_in(&shortened);
        assert_eq!(module_name.as_deref(), Some("tools"));
        assert_eq!(
            functions,
            ["ktrdr_tools::facade::list_operations", "dlmalloc"]
        );
        let expected_module = component_of(&module([
            "ktrdr_tools::facade::list_operations",
            "dlmalloc",
        ]));
        assert_eq!(shortened, expected_module, "only the names changed");
        assert_eq!(shorten_component(&shortened).unwrap(), shortened);
    }

    #[test]
    fn a_core_module_is_refused() {
        let module = module(["a", "b"]).finish();
        let error = shorten_component(&module).unwrap_err();
        assert!(error.to_string().contains("not a WebAssembly component"));
        assert!(shorten_component(b"\0asm\x0d\0\x01\0\x01\x05").is_err());
    }
}
