//! The layers have no cycles: in every crate of the workspace, no two sibling modules depend on
//! each other, directly or through other siblings. Data types sit at the bottom and drivers on
//! top (for bench-core: `units`, `stats`, `criterion_output`, `metrics` … up to `report` and the
//! `cargo_hook`), so a `use crate::…` that points upward fails here, naming the cycle.
//!
//! The check reads the sources as text: every `use` tree and every `crate::` / `super::` /
//! `self::` path outside comments and test modules is resolved to a module, and a reference
//! from module `a::b::x` to `a::c::y` is an edge between the siblings `a::b` and `a::c`. A
//! child using its parent's items, or a parent its children, is not an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;
type Edges = BTreeMap<ModPath, BTreeSet<ModPath>>;

/// The source roots checked: one per crate of the workspace.
const CRATES: [&str; 3] = ["crates/bench-core/src", "crates/workloads/src", "src"];

/// Every module of the crate rooted at `src`, with its source text (test files left out).
fn read_crate(src: &Path) -> BTreeMap<ModPath, String> {
    let mut files = Vec::new();
    walk(src, &mut files);
    files
        .into_iter()
        .filter(|f| {
            let name = f.file_stem().unwrap().to_string_lossy();
            name != "tests" && !name.ends_with("_tests")
        })
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            (module_of(&f.strip_prefix(src).unwrap().with_extension("")), text)
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b/mod` → `[a, b]`, `a/b` → `[a, b]`, `lib` / `main` → `[]`.
fn module_of(rel: &Path) -> ModPath {
    let mut m: ModPath = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if m.last().is_some_and(|l| l == "mod") || m == ["lib"] || m == ["main"] {
        m.pop();
    }
    m
}

/// The code of a file: line comments removed, and the inline `#[cfg(test)] mod tests` cut off.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or_default();
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// Paths named by `use` trees and `crate::` / `super::` / `self::` expressions in `code`.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while let Some(at) = code[i..].find("use ") {
        let start = i + at;
        i = start + 4;
        if start > 0 && is_ident(bytes[start - 1]) {
            continue;
        }
        if let Some(end) = code[i..].find(';') {
            expand(&[], &code[i..i + end], &mut out);
        }
    }
    for root in ["crate::", "super::", "self::"] {
        let mut i = 0;
        while let Some(at) = code[i..].find(root) {
            let start = i + at;
            i = start + root.len();
            if start > 0 && (is_ident(bytes[start - 1]) || matches!(bytes[start - 1], b':' | b'$')) {
                continue;
            }
            let end = code[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| start + e);
            out.push(code[start..end].split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
        }
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Expands a use tree (`a::{b, c::{d as e, self}}`) into its paths.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(group) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let (mut depth, mut item) = (0, String::new());
        for c in group.chars().chain([',']) {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if c == ',' && depth == 0 {
                if !item.trim().is_empty() {
                    expand(prefix, &item, out);
                }
                item.clear();
            } else {
                item.push(c);
            }
        }
        return;
    }
    match tree.split_once("::") {
        Some((head, rest)) => {
            let mut p = prefix.to_vec();
            p.push(head.trim().to_owned());
            expand(&p, rest, out);
        }
        None => {
            let mut p = prefix.to_vec();
            // `x as y` names x; `*` and `self` name the prefix itself.
            match tree.split_whitespace().next() {
                Some("*" | "self") | None => {}
                Some(name) => p.push(name.to_owned()),
            }
            if !p.is_empty() {
                out.push(p);
            }
        }
    }
}

/// The module path `path` (as written in module `from`) points into.
fn resolve(from: &ModPath, path: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut cur = from.clone();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            cur.clear();
            rest = &path[1..];
        }
        Some("super" | "self") => {
            while let Some(seg) = rest.first().map(String::as_str).filter(|s| matches!(*s, "super" | "self")) {
                if seg == "super" {
                    cur.pop();
                }
                rest = &rest[1..];
            }
        }
        // A relative path is a child module, or else another crate.
        Some(first) => {
            let mut child = from.clone();
            child.push(first.to_owned());
            if !modules.contains(&child) {
                return None;
            }
        }
        None => return None,
    }
    cur.extend(rest.iter().cloned());
    Some(cur)
}

/// Edges between sibling modules of one crate.
fn sibling_edges(files: &BTreeMap<ModPath, String>) -> Edges {
    let modules: BTreeSet<ModPath> = files.keys().cloned().collect();
    let mut edges = Edges::new();
    for (from, text) in files {
        for p in paths(&code(text)) {
            let Some(to) = resolve(from, &p, &modules) else { continue };
            let k = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if k < from.len() && k < to.len() {
                let sibling = to[..=k].to_vec();
                if modules.iter().any(|m| m.starts_with(&sibling)) {
                    edges.entry(from[..=k].to_vec()).or_default().insert(sibling);
                }
            }
        }
    }
    edges
}

/// A cycle among the edges, as the modules along it (first = last), if there is one.
fn find_cycle(edges: &Edges) -> Option<Vec<ModPath>> {
    fn visit(
        n: &ModPath,
        edges: &Edges,
        state: &mut BTreeMap<ModPath, bool>,
        stack: &mut Vec<ModPath>,
    ) -> Option<Vec<ModPath>> {
        match state.get(n) {
            Some(true) => {
                let at = stack.iter().position(|m| m == n).unwrap();
                let mut cycle = stack[at..].to_vec();
                cycle.push(n.clone());
                return Some(cycle);
            }
            Some(false) => return None,
            None => {}
        }
        state.insert(n.clone(), true);
        stack.push(n.clone());
        for next in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.clone(), false);
        None
    }
    let mut state = BTreeMap::new();
    edges.keys().find_map(|n| visit(n, edges, &mut state, &mut Vec::new()))
}

fn show(cycle: &[ModPath]) -> String {
    cycle.iter().map(|m| m.join("::")).collect::<Vec<_>>().join(" → ")
}

#[test]
fn no_module_cycles_in_any_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in CRATES {
        let files = read_crate(&root.join(src));
        assert!(files.len() > 5, "{src}: found only {} modules", files.len());
        if let Some(cycle) = find_cycle(&sibling_edges(&files)) {
            panic!(
                "{src}: modules depend on each other in a cycle: {}. Move what both need into a \
                 lower module (data types down, drivers up).",
                show(&cycle)
            );
        }
    }
}

#[test]
fn bench_core_layers_point_down() {
    let files = read_crate(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/bench-core/src"));
    let edges = sibling_edges(&files);
    let m = |s: &str| vec![s.to_owned()];
    // The pure gate reads no files: nothing of the I/O layers above it.
    for io in ["sides", "calibration", "cargo_hook", "report", "results", "criterion_output"] {
        assert!(!edges[&m("gate")].contains(&m(io)), "gate uses {io}");
    }
    // The cargo hook sits above the report it prints.
    assert!(edges[&m("cargo_hook")].contains(&m("report")));
    for low in ["units", "stats", "metrics", "latency", "resource"] {
        for high in ["load", "gate", "report", "history", "cargo_hook"] {
            assert!(!edges.get(&m(low)).is_some_and(|e| e.contains(&m(high))), "{low} uses {high}");
        }
    }
}

fn crate_of(files: &[(&str, &str)]) -> BTreeMap<ModPath, String> {
    files.iter().map(|(p, t)| (module_of(Path::new(p)), (*t).to_owned())).collect()
}

#[test]
fn the_check_finds_cycles_through_use_trees_super_and_paths() {
    let two = crate_of(&[
        ("lib", "mod a;\nmod b;"),
        ("a/mod", "mod x;\nuse crate::b::{self, Thing as T};"),
        ("a/x", "fn f() { super::super::b::g(); }"),
        ("b", "// use crate::a; in a comment is not an edge\nfn g() {}"),
    ]);
    assert_eq!(find_cycle(&sibling_edges(&two)), None);
    let mut cyclic = two.clone();
    cyclic.insert(vec!["b".into()], "fn g() { let _ = crate::a::x::f; }".into());
    assert_eq!(show(&find_cycle(&sibling_edges(&cyclic)).unwrap()), "a → b → a");
    // Through a third sibling, and within a folder (`super::` from a file module).
    let three = crate_of(&[
        ("lib", "mod r;"),
        ("r/mod", "mod f;\nmod g;\nmod h;"),
        ("r/f", "use super::g::X;"),
        ("r/g", "use super::h::{Y, z::{self}};"),
        ("r/h/mod", "mod z;\nfn k() { super::f::run(); }"),
        ("r/h/z", ""),
    ]);
    assert_eq!(show(&find_cycle(&sibling_edges(&three)).unwrap()), "r::f → r::g → r::h → r::f");
}

#[test]
fn macros_test_modules_and_other_crates_are_not_edges() {
    let files = crate_of(&[
        ("lib", "mod a;\nmod b;"),
        ("a", "use crate::b::B;\nuse serde::Serialize;"),
        ("b", "macro_rules! m { () => { $crate::a::f() } }\n#[cfg(test)]\nmod tests {\n    use crate::a::f;\n}"),
    ]);
    assert_eq!(find_cycle(&sibling_edges(&files)), None);
}
