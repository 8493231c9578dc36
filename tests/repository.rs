//! Repository invariants: the shipped config equals the built-in defaults, and the CI files
//! are present and wired to the README's commands.

use std::path::Path;

use bench_core::targets::Targets;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn root_noisegate_toml_is_the_built_in_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("noisegate.toml");
    let shipped = Targets::load(&path).unwrap();
    assert_eq!(shipped.sets, Targets::defaults().sets);
}

#[test]
fn ci_runs_the_readme_commands() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    for cmd in ["cargo test --workspace", "cargo bench"] {
        assert!(readme.contains(cmd), "README lacks `{cmd}`");
    }
    assert!(ci.contains("cargo test --workspace"), ".ci/run must run the README's test command");
    for step in ["cargo fmt --all --check", "cargo clippy --workspace --all-targets", "-D warnings", "--no-run"] {
        assert!(ci.contains(step), ".ci/run lacks `{step}`");
    }
    let workflow = read(".github/workflows/ci.yml");
    assert!(workflow.contains("bash .ci/run"), "the GitHub workflow must run .ci/run");
}
