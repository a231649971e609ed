//! The house rules of `docs/architecture.md`, checked on the source: top-level modules import only
//! modules of lower layers (layer 3 has no sideways imports), and a few arrows are forbidden
//! outright (the report never reads the engine, the scheduler framework never names a plugin, ...).
//!
//! The check reads every `crate::` path outside comments in `src/`, so `use` lines, inline paths
//! and grouped `crate::{a, b}` imports all count. Its own tests plant bad imports and expect them
//! to be caught.

use std::path::{Path, PathBuf};

/// Top-level modules by layer, bottom first.
const LAYERS: &[&[&str]] = &[
    &["error", "time", "rng", "hash", "names"],
    &["model"],
    &["api"],
    &["scheduler", "controllers", "kubelet", "workload", "metrics", "autoscaler"],
    &["scenario"],
    &["sim"],
    &["report"],
    &["experiment"],
    &["cli"],
];

/// The layer whose modules may import each other only downwards, never sideways.
const NO_SIDEWAYS_LAYER: usize = 3;

/// Modules that may import less than everything below them: (module, highest layer it may import).
/// The report reads recorded results (`metrics`, `model`), never the scenario loader or the engine.
const NARROWER: &[(&str, usize)] = &[("report", 3)];

/// Arrows forbidden whatever the layers say: (importer path prefix, imported path prefix, why).
/// Prefixes are module paths below `crate::`, so they can name a sub-module.
const FORBIDDEN: &[(&str, &str, &str)] = &[
    ("report", "sim", "the report reads recorded results, never the engine"),
    ("report", "scenario", "the report reads recorded results, never the scenario loader"),
    ("model", "scheduler", "the model holds no scheduler type"),
    ("scheduler::plugins", "controllers", "plugins read a snapshot, never a controller"),
    ("controllers", "scheduler", "controllers react to events, never call plugins"),
    ("metrics", "scheduler", "recorders never influence decisions"),
    (
        "scheduler::framework",
        "scheduler::plugins",
        "the framework never names a plugin; the registry is passed in",
    ),
    ("scheduler::queue", "scheduler::plugins", "the queue never names a plugin"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The module path of a file below `src/`: `src/scheduler/framework/runner.rs` is
/// `scheduler::framework::runner`; `mod.rs` names its folder.
fn module_path(rel: &Path) -> String {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.last_mut() {
        *last = last.trim_end_matches(".rs").to_string();
    }
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// Code without `//` comments (doc comments included) and without string literals' contents.
fn code_only(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            }
            if !in_str {
                kept.push(c);
            }
            prev = c;
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// Every module path a file names below `crate::`, with its line number. `crate::{a, b::c}`
/// gives `a` and `b::c`.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in code_only(text).lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let path = item.trim().split(" as ").next().unwrap_or("").trim();
                    if !path.is_empty() {
                        out.push((n + 1, path.to_string()));
                    }
                }
                continue;
            }
            let path: String =
                rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            out.push((n + 1, path.trim_end_matches(':').to_string()));
        }
    }
    out
}

/// The layering violations of one file (`rel` below `src/`).
fn violations(rel: &Path, text: &str) -> Vec<String> {
    let from = module_path(rel);
    let from_top = from.split("::").next().unwrap_or("").to_string();
    if from_top == "lib" || from_top == "main" {
        return Vec::new();
    }
    let mut out = Vec::new();
    let Some(from_layer) = layer_of(&from_top) else {
        return vec![format!("{}: top-level module {from_top:?} is in no layer", rel.display())];
    };
    for (line, path) in imports(text) {
        let to_top = path.split("::").next().unwrap_or("");
        if to_top == from_top {
            for (a, b, why) in FORBIDDEN {
                if a.contains("::")
                    && (from == *a || from.starts_with(&format!("{a}::")))
                    && (path == *b || path.starts_with(&format!("{b}::")))
                {
                    out.push(format!("{}:{line}: {from} -> {path}: {why}", rel.display()));
                }
            }
            continue;
        }
        let Some(to_layer) = layer_of(to_top) else {
            // Items of lib.rs (none today) or macros: not a module.
            continue;
        };
        if to_layer > from_layer {
            out.push(format!(
                "{}:{line}: {from} (layer {from_layer}) -> {path} (layer {to_layer}): imports upwards",
                rel.display()
            ));
        } else if let Some(max) =
            NARROWER.iter().find(|(m, _)| *m == from_top).map(|(_, l)| *l).filter(|max| to_layer > *max)
        {
            out.push(format!(
                "{}:{line}: {from} (layer {from_layer}) -> {path} (layer {to_layer}): may import layers 0-{max} only",
                rel.display()
            ));
        } else if to_layer == from_layer && from_layer == NO_SIDEWAYS_LAYER {
            out.push(format!(
                "{}:{line}: {from} -> {path}: sideways within layer {from_layer}",
                rel.display()
            ));
        } else if to_layer == from_layer {
            out.push(format!("{}:{line}: {from} -> {path}: same layer", rel.display()));
        }
        for (a, b, why) in FORBIDDEN {
            let from_matches = from == *a || from.starts_with(&format!("{a}::"));
            let to_matches = path == *b || path.starts_with(&format!("{b}::"));
            if from_matches && to_matches {
                out.push(format!("{}:{line}: {from} -> {path}: {why}", rel.display()));
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_import_breaks_the_layering() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 80, "read only {} files under src/", files.len());
    let mut all = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        all.extend(violations(f.strip_prefix(&src).unwrap(), &text));
    }
    assert!(
        all.is_empty(),
        "{} imports break the layering (docs/architecture.md):\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let modules: Vec<&str> =
        lib.lines().filter_map(|l| l.strip_prefix("pub mod ")).map(|m| m.trim_end_matches(';')).collect();
    assert!(modules.len() >= 15, "{modules:?}");
    for m in modules {
        assert!(layer_of(m).is_some(), "module {m} is in no layer of tests/architecture.rs");
    }
}

#[test]
fn planted_bad_imports_are_caught() {
    let caught = |file: &str, text: &str| violations(Path::new(file), text);
    // The report reading the engine: upwards, and forbidden by name.
    let v = caught("report/mod.rs", "use crate::sim::engine::RunResult;\n");
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].contains("report (layer 6) -> sim::engine::RunResult (layer 5)"), "{v:?}");
    assert!(v[1].contains("never the engine"), "{v:?}");
    // The model storing a plugin's type, as an inline path.
    let v = caught("model/cluster.rs", "    w: Option<Arc<crate::scheduler::plugins::gpu::X>>,\n");
    assert_eq!(v.len(), 2, "{v:?}");
    // Sideways in layer 3, inside a grouped import.
    let v = caught("kubelet/runtime.rs", "use crate::{hash::fnv1a, controllers::admission};\n");
    assert_eq!(
        v,
        ["kubelet/runtime.rs:1: kubelet::runtime -> controllers::admission: sideways within layer 3"]
    );
    // The framework naming a plugin (same top-level module).
    let v = caught("scheduler/framework/registry.rs", "use crate::scheduler::plugins;\n");
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("the framework never names a plugin"), "{v:?}");
    // Anything importing the command line.
    let v = caught("experiment/compare.rs", "let p = crate::cli::progress::Bar::new();\n");
    assert_eq!(v.len(), 1, "{v:?}");
    // Comments and strings are not imports; downward imports are fine.
    assert!(caught("report/mod.rs", "//! See [`crate::sim::engine`].\nlet s = \"crate::sim\";\n").is_empty());
    assert!(
        caught("sim/engine.rs", "use crate::{model::Cluster, scheduler::Scheduler, metrics};\n").is_empty()
    );
    // A file of a module that is in no layer.
    assert_eq!(caught("mystery/mod.rs", "").len(), 1);
}
