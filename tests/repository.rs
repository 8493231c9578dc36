//! Repository invariants: the shipped config equals the built-in defaults, the CI files are
//! present and wired to the README's commands, and the documentation stays true to the code.
//!
//! Documentation checks (README.md and every `docs/*.md`, read as text):
//! - README.md stays short (at most [`README_MAX_LINES`] lines); the detail lives in `docs/`;
//! - every relative Markdown link `](path)` or `](path#anchor)` points to an existing file
//!   (resolved against the linking file's directory; web, mail and same-page links are skipped);
//! - every `noisegate <command> [<subcommand>]` shown in a fenced code block is a subcommand that
//!   `src/cli.rs` defines (clap derive: a variant of a `Subcommand` enum, kebab-cased, or the
//!   variant's explicit `#[command(name = "…")]`);
//! - every `--bench NAME` (of `cargo bench`, `noisegate ab` or `calibrate`) names a `[[bench]]`
//!   target of `Cargo.toml` or `crates/*/Cargo.toml`.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use bench_core::targets::Targets;

/// The README is the front page: the pitch, the commands, the map and the headline figures.
const README_MAX_LINES: usize = 200;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn root_noisegate_toml_is_the_built_in_defaults() {
    let path = root().join("noisegate.toml");
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

#[test]
fn readme_is_short() {
    let lines = read("README.md").lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines (at most {README_MAX_LINES}): move detail to a page under docs/"
    );
}

#[test]
fn relative_links_resolve() {
    let mut broken = Vec::new();
    for (rel, text) in documentation() {
        let dir = Path::new(&rel).parent().unwrap_or(Path::new(""));
        for target in markdown_links(&text) {
            if ["http://", "https://", "mailto:", "#"].iter().any(|p| target.starts_with(p)) {
                continue;
            }
            let path = target.split('#').next().unwrap_or_default();
            if !root().join(dir).join(path).exists() {
                broken.push(format!("{rel}: ]({target})"));
            }
        }
    }
    assert!(broken.is_empty(), "links to missing files:\n{}", broken.join("\n"));
}

#[test]
fn shown_noisegate_commands_exist() {
    let cli = CliCommands::parse(&read("src/cli.rs"));
    let mut shown = 0;
    let mut unknown = Vec::new();
    for (rel, text) in documentation() {
        for line in code_block_lines(&text) {
            for words in noisegate_invocations(&line) {
                if rel == "README.md" {
                    shown += 1;
                }
                if let Err(e) = cli.check(&words) {
                    unknown.push(format!("{rel}: `{}`: {e}", line.trim()));
                }
            }
        }
    }
    assert!(shown > 0, "README.md shows no `noisegate <command>` in a code block (the CI flow belongs there)");
    assert!(unknown.is_empty(), "commands that src/cli.rs does not define:\n{}", unknown.join("\n"));
}

#[test]
fn shown_bench_targets_exist() {
    let targets = bench_targets();
    assert!(!targets.is_empty(), "no [[bench]] found in Cargo.toml or crates/*/Cargo.toml");
    let mut unknown = Vec::new();
    for (rel, text) in documentation() {
        for name in bench_flags(&text) {
            if !targets.contains(&name) {
                unknown.push(format!("{rel}: --bench {name}"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "bench targets not declared as [[bench]] (known: {targets:?}):\n{}",
        unknown.join("\n")
    );
}

#[test]
fn cli_parser_reads_clap_names() {
    let source = r#"
        #[derive(Debug, Parser)]
        pub struct Cli {
            #[command(subcommand)]
            pub command: Command,
        }
        #[derive(Debug, Subcommand)]
        pub enum Command {
            /// Doc with { braces }.
            Ab { base: String },
            #[command(name = "cmp")]
            Compare {
                #[arg(long)]
                base: Vec<String>,
            },
            #[command(subcommand)]
            Baseline(BaselineCommand),
        }
        #[derive(Debug, Subcommand)]
        pub enum BaselineCommand {
            Export { name: String },
            ImportAll,
        }
    "#;
    let cli = CliCommands::parse(source);
    let words = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
    assert!(cli.check(&words("ab")).is_ok());
    assert!(cli.check(&words("cmp")).is_ok());
    assert!(cli.check(&words("compare")).is_err());
    assert!(cli.check(&words("baseline export")).is_ok());
    assert!(cli.check(&words("baseline import-all")).is_ok());
    assert!(cli.check(&words("baseline import")).is_err());
    assert_eq!(noisegate_invocations("./target/release/noisegate ab --base x"), vec![vec!["ab".to_owned()]]);
    assert_eq!(noisegate_invocations("noisegate baseline export main"), vec![words("baseline export")]);
    assert!(noisegate_invocations("noisegate --help").is_empty());
    assert_eq!(bench_flags("`cargo bench --bench load -- --quick` and (`--bench`)"), vec!["load".to_owned()]);
}

/// README.md and every `docs/*.md`, as (path relative to the root, text), README first.
fn documentation() -> Vec<(String, String)> {
    let mut pages: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ must exist")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    assert!(!pages.is_empty(), "docs/ holds no .md page");
    pages.sort();
    std::iter::once("README.md".to_owned()).chain(pages).map(|rel| (rel.clone(), read(&rel))).collect()
}

/// Lines inside fenced code blocks (```), fences excluded.
fn code_block_lines(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if inside {
            lines.push(line.to_owned());
        }
    }
    lines
}

/// Link targets of `[text](target)` outside code blocks (up to the first space or `)`).
fn markdown_links(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut links = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
            continue;
        }
        if inside {
            continue;
        }
        for (at, _) in line.match_indices("](") {
            let rest = &line[at + 2..];
            let end = rest.find([')', ' ']).unwrap_or(rest.len());
            links.push(rest[..end].to_owned());
        }
    }
    links
}

/// The words after each `noisegate` (or `…/noisegate`) on a line: the command, maybe a
/// subcommand. Only words that look like command names count, so options, placeholders and
/// shell syntax end the list.
fn noisegate_invocations(line: &str) -> Vec<Vec<String>> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let is_name = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let mut invocations = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if *word == "noisegate" || word.ends_with("/noisegate") {
            let args: Vec<String> =
                words[i + 1..].iter().take(2).copied().take_while(|w| is_name(w)).map(str::to_owned).collect();
            if !args.is_empty() {
                invocations.push(args);
            }
        }
    }
    invocations
}

/// Every `--bench NAME` / `--bench=NAME` in a text, wherever it appears.
fn bench_flags(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let clean = |w: &str| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).to_owned();
    let mut names = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let word = word.trim_start_matches(['`', '(']);
        if word == "--bench" {
            if let Some(next) = words.get(i + 1) {
                names.push(clean(next));
            }
        } else if let Some(name) = word.strip_prefix("--bench=") {
            names.push(clean(name));
        }
    }
    names
}

/// Names of the `[[bench]]` targets in `Cargo.toml` and `crates/*/Cargo.toml`.
fn bench_targets() -> BTreeSet<String> {
    let mut manifests = vec![root().join("Cargo.toml")];
    for entry in std::fs::read_dir(root().join("crates")).expect("crates/ must exist") {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        if manifest.is_file() {
            manifests.push(manifest);
        }
    }
    let mut names = BTreeSet::new();
    for manifest in manifests {
        let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        let mut in_bench = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_bench = line == "[[bench]]";
            } else if in_bench
                && let Some(value) = line.strip_prefix("name").and_then(|rest| rest.trim_start().strip_prefix('='))
            {
                names.insert(value.trim().trim_matches('"').to_owned());
            }
        }
    }
    names
}

/// The subcommands of `src/cli.rs`, read as text (clap derive).
struct CliCommands {
    /// The enum of the top-level commands (the type of the parser's `#[command(subcommand)]` field).
    top: String,
    /// Per `Subcommand` enum: command name → the nested `Subcommand` enum it wraps, if any.
    enums: HashMap<String, HashMap<String, Option<String>>>,
}

impl CliCommands {
    fn parse(source: &str) -> Self {
        let lines: Vec<&str> = source.lines().map(str::trim).collect();
        // `#[command(subcommand)]` followed by a field `name: Type,` (not a variant `Name(Type)`).
        let top = lines
            .windows(2)
            .find(|w| w[0] == "#[command(subcommand)]" && w[1].contains(':') && !w[1].contains('('))
            .map(|w| w[1].split(':').nth(1).unwrap().trim().trim_end_matches(',').to_owned())
            .expect("src/cli.rs: no `#[command(subcommand)]` field naming the commands enum");

        let mut enums = HashMap::new();
        let mut i = 0;
        while i < lines.len() {
            let derives_subcommand = lines[i].starts_with("#[derive(") && lines[i].contains("Subcommand");
            i += 1;
            if !derives_subcommand {
                continue;
            }
            // Skip further attributes and doc comments to the `enum` line.
            while i < lines.len() && (lines[i].starts_with("#[") || lines[i].starts_with("//")) {
                i += 1;
            }
            let Some(name) = lines
                .get(i)
                .and_then(|l| l.trim_start_matches("pub(crate) ").trim_start_matches("pub ").strip_prefix("enum "))
            else {
                continue;
            };
            let name = name.trim_end_matches('{').trim().to_owned();
            let (variants, next) = Self::variants(&lines, i + 1);
            enums.insert(name, variants);
            i = next;
        }
        assert!(enums.contains_key(&top), "src/cli.rs: no `Subcommand` enum `{top}`");
        CliCommands { top, enums }
    }

    /// Variants of the enum whose body starts at `lines[start]`: command name → wrapped enum.
    /// Returns them and the index of the line after the enum.
    fn variants(lines: &[&str], start: usize) -> (HashMap<String, Option<String>>, usize) {
        let mut variants = HashMap::new();
        let mut explicit_name = None;
        let mut depth = 1;
        for (i, line) in lines.iter().enumerate().skip(start) {
            if line.starts_with("//") {
                continue;
            }
            if depth == 1 {
                if line.starts_with("#[command(") {
                    explicit_name = attribute_value(line, "name").or(explicit_name);
                } else if line.starts_with(|c: char| c.is_ascii_uppercase()) {
                    let ident: String = line.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    let wrapped = line[ident.len()..]
                        .strip_prefix('(')
                        .and_then(|rest| rest.split(')').next())
                        .map(|ty| ty.trim().to_owned());
                    variants.insert(explicit_name.take().unwrap_or_else(|| kebab_case(&ident)), wrapped);
                }
            }
            depth += line.matches('{').count();
            depth -= line.matches('}').count();
            if depth == 0 {
                return (variants, i + 1);
            }
        }
        (variants, lines.len())
    }

    /// `words` is `[command]` or `[command, subcommand?]`: the command must exist, and when it
    /// wraps a nested enum, a following word must be one of that enum's commands.
    fn check(&self, words: &[String]) -> Result<(), String> {
        let commands = &self.enums[&self.top];
        let Some(nested) = commands.get(&words[0]) else {
            return Err(format!("no command `{}` (known: {:?})", words[0], sorted(commands.keys())));
        };
        if let (Some(nested), Some(sub)) = (nested, words.get(1)) {
            let subs = self.enums.get(nested).ok_or_else(|| format!("no `Subcommand` enum `{nested}`"))?;
            if !subs.contains_key(sub) {
                return Err(format!("no `{} {sub}` (known: {:?})", words[0], sorted(subs.keys())));
            }
        }
        Ok(())
    }
}

/// The string value of `key = "…"` inside an attribute line (`name` does not match `value_name`).
fn attribute_value(line: &str, key: &str) -> Option<String> {
    let pattern = format!("{key} = \"");
    let (at, _) = line
        .match_indices(&pattern)
        .find(|(at, _)| !line[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))?;
    let rest = &line[at + pattern.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// clap's default command name for a variant: `GithubBenchmark` → `github-benchmark`.
fn kebab_case(ident: &str) -> String {
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn sorted<'a>(names: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut names: Vec<_> = names.collect();
    names.sort();
    names
}
