//! Profile resolution, selection and every configuration error.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::targets::Targets;

#[test]
fn builtin_profiles_resolve_and_inherit_from_full() {
    let p = Profiles::defaults();
    assert_eq!(p.names(), ["full", "quick", "continuous"]);
    let full = p.get("full").unwrap();
    assert_eq!(full.mix, [("echo".to_owned(), 70), ("compute".to_owned(), 20), ("send".to_owned(), 10)]);
    assert_eq!(full.stepped.step_percents, [10.0, 50.0, 100.0, 200.0, 500.0]);
    assert_eq!(full.closed_loop.workers, [1, 10, 50, 100, 500]);
    let quick = p.get("quick").unwrap();
    assert_eq!(quick.sustained.duration, Duration::from_secs(30), "the issue's 30 s under --quick");
    assert_eq!(quick.peak.duration, Duration::from_secs(10));
    // Keys quick does not give come from full, key by key inside scenario tables.
    assert_eq!(quick.sustained.rate_percent, full.sustained.rate_percent);
    assert_eq!(quick.peak.search_trials, full.peak.search_trials);
    assert_eq!(quick.burst.burst, Duration::from_secs(10));
    let soak = p.get("continuous").unwrap();
    assert_eq!(soak.sustained.duration, Duration::from_secs(4 * 3_600));
    assert_eq!(p.origin, None);
}

#[test]
fn selection_follows_quick_then_the_environment_then_full() {
    let p = Profiles::defaults();
    assert_eq!(p.select_with(true, Some("continuous")).unwrap().name, "quick");
    assert_eq!(p.select_with(false, Some("continuous")).unwrap().name, "continuous");
    assert_eq!(p.select_with(false, None).unwrap().name, "full");
    assert_eq!(p.select_with(false, Some("  ")).unwrap().name, "full");
    let msg = p.select_with(false, Some("nightly")).unwrap_err().to_string();
    for n in
        ["profiles.nightly", "no such profile", "full, quick, continuous", "NOISEGATE_PROFILE", "[profiles.nightly]"]
    {
        assert!(msg.contains(n), "{msg:?} lacks {n:?}");
    }
}

#[test]
fn a_user_file_overrides_builtins_and_adds_profiles() {
    let text = r#"
[profiles.quick]
sustained = { duration_s = 60 }
mix = { echo = 1 }

[profiles.nightly]
inherits = "quick"
burst = { count = 7 }
"#;
    let p = Profiles::from_toml_str(text, Path::new("noisegate.toml")).unwrap();
    assert_eq!(p.names(), ["full", "continuous", "quick", "nightly"]);
    let quick = p.get("quick").unwrap();
    // No `inherits`: the built-in quick fills the rest.
    assert_eq!(quick.sustained.duration, Duration::from_secs(60));
    assert_eq!(quick.peak.duration, Duration::from_secs(10));
    assert_eq!(quick.mix, [("echo".to_owned(), 1)], "a mix replaces the inherited one whole");
    let nightly = p.get("nightly").unwrap();
    assert_eq!((nightly.burst.count, nightly.sustained.duration), (7, Duration::from_secs(60)));
    // A new profile without `inherits` starts from the built-in full.
    let p = Profiles::from_toml_str("[profiles.mine]\nagents = 3\n", Path::new("x.toml")).unwrap();
    let mine = p.get("mine").unwrap();
    assert_eq!((mine.agents, mine.sustained.duration), (3, Duration::from_secs(600)));
    // A file without profiles has the built-ins.
    assert_eq!(Profiles::from_toml_str("", Path::new("x.toml")).unwrap().names(), ["full", "quick", "continuous"]);
}

#[test]
fn the_root_config_parses_for_targets_and_profiles() {
    // The root noisegate.toml equals the defaults (see targets::tests); with [profiles] in it the
    // targets parser must accept the section and the profile parser read it.
    let text = include_str!("../defaults.toml");
    assert_eq!(Targets::from_toml_str(text, Path::new("noisegate.toml")).unwrap().sets, Targets::defaults().sets);
    let p = Profiles::from_toml_str(text, Path::new("noisegate.toml")).unwrap();
    assert_eq!(p.profiles, Profiles::defaults().profiles);
}

fn err(toml: &str) -> String {
    Profiles::from_toml_str(toml, Path::new("cfg/noisegate.toml")).unwrap_err().to_string()
}

#[test]
fn profile_errors_name_file_key_value_and_fix() {
    let cases: &[(&str, &[&str])] = &[
        ("profiles = 3", &["cfg/noisegate.toml", "`profiles`", "expected a table, found the integer 3"]),
        ("[profiles]\nquick = 1", &["`profiles.quick`", "expected a table"]),
        ("[profiles.quick]\nwarmup = 5", &["`profiles.quick.warmup`", "unknown key", "warmup_s"]),
        ("[profiles.quick]\nwarmup_s = -1", &["profiles.quick.warmup_s", "is -1 s", "zero or more"]),
        ("[profiles.quick]\ninterval_s = 0", &["profiles.quick.interval_s", "greater than zero"]),
        (
            "[profiles.quick]\ninterval_s = \"1s\"",
            &["profiles.quick.interval_s", "expected a finite number in seconds", "the string \"1s\""],
        ),
        ("[profiles.quick]\nwarmup_s = nan", &["profiles.quick.warmup_s", "finite"]),
        (
            "[profiles.quick]\nsustained = { duration_s = 1e9 }",
            &["profiles.quick.sustained.duration_s", "more than 30 days"],
        ),
        (
            "[profiles.quick]\nwarmup_s = 40\nsustained = { duration_s = 30 }",
            &[
                "profiles.quick.peak.duration_s",
                "not longer than warmup_s + cooldown_s = 40 s",
                "lengthen it or shorten the warm-up",
            ],
        ),
        (
            "[profiles.quick]\nwarmup_s = 30\npeak = { duration_s = 60 }",
            &["profiles.quick.sustained.duration_s", "is 30 s, not longer than"],
        ),
        ("[profiles.quick]\nmix = {}", &["profiles.quick.mix", "is empty"]),
        (
            "[profiles.quick]\nmix = { read = 0 }",
            &["profiles.quick.mix.read", "weight is 0", "positive weight, or remove"],
        ),
        ("[profiles.quick]\nmix = { read = 1.5 }", &["profiles.quick.mix.read", "positive whole weight", "1.5"]),
        ("[profiles.quick]\nmix = [1]", &["profiles.quick.mix", "table of weights"]),
        ("[profiles.quick]\nagents = 0", &["profiles.quick.agents", "at least 1", "the integer 0"]),
        ("[profiles.quick]\npeak = { trial = 2 }", &["profiles.quick.peak.trial", "unknown key", "trial_s"]),
        ("[profiles.quick]\npeak = 3", &["profiles.quick.peak", "expected a table"]),
        ("[profiles.quick]\nstepped = { step_percents = [] }", &["profiles.quick.stepped.step_percents", "is empty"]),
        ("[profiles.quick]\npeak = { search_trials = 50 }", &["profiles.quick.peak.search_trials", "more than 20"]),
        (
            "[profiles.quick]\nstepped = { step_percents = [100, -5] }",
            &["profiles.quick.stepped.step_percents[1]", "positive percentage", "-5"],
        ),
        (
            "[profiles.quick]\npeak = { min_success_percent = 120 }",
            &["profiles.quick.peak.min_success_percent", "at most 100"],
        ),
        ("[profiles.quick]\npeak = { headroom_percent = 100 }", &["profiles.quick.peak.headroom_percent", "below 100"]),
        (
            "[profiles.quick]\nburst = { multiplier = 0 }",
            &["profiles.quick.burst.multiplier", "is 0", "greater than zero"],
        ),
        (
            "[profiles.quick]\nburst = { burst_s = 20 }",
            &["profiles.quick.burst.burst_s", "not shorter than period_s = 20 s"],
        ),
        ("[profiles.quick]\nburst = { count = 0 }", &["profiles.quick.burst.count", "at least 1"]),
        ("[profiles.quick]\nstepped = { knee_factor = 1 }", &["profiles.quick.stepped.knee_factor", "above 1"]),
        (
            "[profiles.quick]\nsustained = { segment_percent = 60 }",
            &["profiles.quick.sustained.segment_percent", "at most 50"],
        ),
        (
            "[profiles.quick]\nclosed_loop = { workers = [1, 0] }",
            &["profiles.quick.closed_loop.workers[1]", "at least 1"],
        ),
        (
            "[profiles.quick]\nclosed_loop = { workers = 5 }",
            &["profiles.quick.closed_loop.workers", "list of worker counts"],
        ),
        (
            "[profiles.a]\ninherits = \"b\"\n[profiles.b]\ninherits = \"a\"",
            &["profiles.a.inherits", "inheritance cycle: a → b → a"],
        ),
        (
            "[profiles.a]\ninherits = \"nope\"",
            &["profiles.a.inherits", "no profile `nope` to inherit", "continuous, full, quick"],
        ),
        ("[profiles.a]\ninherits = 1", &["profiles.a.inherits", "expected the name of another profile"]),
        ("[profiles.a]\ndescription = 1", &["profiles.a.description", "expected a string"]),
        ("[profiles.a\n", &["cfg/noisegate.toml", "not valid TOML"]),
    ];
    for (toml, needles) in cases {
        let msg = err(toml);
        for n in *needles {
            assert!(msg.contains(n), "config {toml:?}: message {msg:?} lacks {n:?}");
        }
    }
}
