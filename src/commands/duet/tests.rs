//! Duet tests: pure helpers, and whole rounds on stand-in bench targets (shell scripts that
//! mimic criterion's `--list` and `--save-baseline`).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use bench_core::cargo_hook::Phase;

use super::affinity::{pin, usable_cpus};
use super::merge::merge_tree;
use super::plan::{Plan, duet_flags, parse_list, split_filter};
use super::run::{Job, Order, run_round};
use crate::commands::benches::{BenchExe, RoundEnv};

fn v(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| x.to_string()).collect()
}

#[test]
fn the_filter_is_split_off_and_flag_values_stay() {
    let (flags, filter) = split_filter(&v(&["--quick", "--measurement-time", "2", "route", "--exact"]));
    assert_eq!((flags, filter), (v(&["--quick", "--measurement-time", "2"]), Some("route".into())));
    assert_eq!(split_filter(&v(&["--noplot"])), (v(&["--noplot"]), None));
}

#[test]
fn the_side_started_first_alternates_by_round() {
    assert_eq!([1, 2, 3].map(Order::of_round), [Order::BaseFirst, Order::HeadFirst, Order::BaseFirst]);
}

#[test]
fn quick_becomes_fixed_times_for_duets() {
    assert_eq!(
        duet_flags(&v(&["--quick", "--noplot"])),
        v(&["--noplot", "--warm-up-time", "0.5", "--measurement-time", "1"])
    );
    assert_eq!(
        duet_flags(&v(&["--quick", "--measurement-time", "3"])),
        v(&["--measurement-time", "3", "--warm-up-time", "0.5"])
    );
    assert_eq!(duet_flags(&v(&["--noplot"])), v(&["--noplot"]));
}

#[test]
fn reads_criterion_and_libtest_lists() {
    let out = "Gnuplot not found, using plotters backend\nroute/1to1: benchmark\ng/f/1: benchmark\nx: test\n";
    assert_eq!(parse_list(out), v(&["route/1to1", "g/f/1"]));
}

#[test]
fn merging_moves_new_entries_and_keeps_existing_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (from, to) = (tmp.path().join("from"), tmp.path().join("to"));
    for (dir, file, text) in [
        (&from, "g/b1/sample.json", "new"),
        (&from, "report/index.html", "new"),
        (&to, "report/index.html", "old"),
        (&to, "g/b0/sample.json", "old"),
    ] {
        let p = dir.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    merge_tree(&from, &to).unwrap();
    let read = |f: &str| std::fs::read_to_string(to.join(f)).unwrap();
    assert_eq!((read("g/b1/sample.json"), read("g/b0/sample.json")), ("new".into(), "old".into()));
    assert_eq!(read("report/index.html"), "old");
    assert!(merge_tree(&tmp.path().join("absent"), &to).is_ok());
}

#[cfg(target_os = "linux")]
#[test]
fn a_pinned_child_sees_one_cpu() {
    let cpu = *usable_cpus().first().expect("the affinity mask is readable on Linux");
    let mut cmd = Command::new("grep");
    cmd.args(["Cpus_allowed_list", "/proc/self/status"]);
    pin(&mut cmd, cpu);
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.split(':').nth(1).map(str::trim), Some(cpu.to_string().as_str()), "{text}");
}

/// A stand-in bench target: lists two benchmarks like criterion, "measures" the one its
/// exact filter names by writing where criterion would (with the CPUs it was allowed, its
/// phase and when it ran), and in the scenarios phase writes a `metrics.json` if `scenarios`.
#[cfg(target_os = "linux")]
fn fake_target(dir: &Path, name: &str, scenarios: bool, sleep: &str) -> BenchExe {
    let path = dir.join(name);
    let scenario = if scenarios {
        r#"mkdir -p "$NOISEGATE_DIR/scn/$save"; echo '{}' > "$NOISEGATE_DIR/scn/$save/metrics.json""#
    } else {
        ":"
    };
    let script = format!(
        r#"#!/bin/sh
list=0; save=""; filter=""
while [ $# -gt 0 ]; do
  case "$1" in --list) list=1;; --save-baseline) save="$2"; shift;; -*) ;; *) filter="$1";; esac
  shift
done
if [ $list = 1 ]; then echo "Gnuplot not found"; echo "g/a: benchmark"; echo "g/b: benchmark"; exit 0; fi
if [ "$NOISEGATE_PHASE" = scenarios ]; then {scenario}; exit 0; fi
case "$filter" in *g/a*) id=g/a;; *g/b*) id=g/b;; *) exit 3;; esac
start=$(date +%s%N); sleep {sleep}; end=$(date +%s%N)
cpus=$(grep Cpus_allowed_list /proc/self/status | cut -f2)
mkdir -p "$CRITERION_HOME/$id/$save" "$CRITERION_HOME/report"
echo '<html>' > "$CRITERION_HOME/report/index.html"
echo "$cpus $NOISEGATE_PHASE $start $end" > "$CRITERION_HOME/$id/$save/ran.txt"
"#
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    BenchExe { name: name.to_owned(), path, cwd: dir.to_path_buf() }
}

/// Where a test round's results go, under `dir/ab`.
fn round_env(dir: &Path) -> RoundEnv {
    RoundEnv {
        criterion_home: dir.join("ab/criterion"),
        results_home: dir.join("ab/noisegate"),
        log: dir.join("ab/runs.log"),
        phase: Phase::All,
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_round_runs_each_benchmark_as_a_pinned_duet_and_scenarios_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let (b, h) = (tmp.path().join("b"), tmp.path().join("h"));
    std::fs::create_dir_all(&b).unwrap();
    std::fs::create_dir_all(&h).unwrap();
    let base = [fake_target(&b, "load", true, "0.3"), fake_target(&b, "micro", false, "0.3")];
    let head = [fake_target(&h, "load", true, "0.3"), fake_target(&h, "micro", false, "0.3")];
    let env = round_env(tmp.path());
    std::fs::create_dir_all(&env.results_home).unwrap();
    let mut plan = Plan::new([&base, &head], &v(&["--quick", "g/"]), tmp.path().join("ab/scn")).unwrap();
    assert_eq!(plan.flags, v(&["--warm-up-time", "0.5", "--measurement-time", "1"]), "no --quick in duets");
    // Both targets list g/a and g/b: the second target's listing replaces the first's.
    assert_eq!(plan.jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), ["g/a", "g/b"]);
    assert_eq!(plan.scenario_targets, v(&["load", "micro"]));
    plan.round(1, None, ["ab-base-1", "ab-head-1"], &env).unwrap();

    for id in ["g/a", "g/b"] {
        let read = |name: &str| -> Vec<String> {
            let f = env.criterion_home.join(id).join(name).join("ran.txt");
            std::fs::read_to_string(&f).unwrap().split_whitespace().map(str::to_owned).collect()
        };
        let (bs, hs) = (read("ab-base-1"), read("ab-head-1"));
        // Same single CPU, criterion phase, and the two runs overlapped in time.
        assert_eq!(bs[0], hs[0], "{bs:?} {hs:?}");
        assert!(bs[0].parse::<usize>().is_ok(), "pinned to one CPU: {bs:?}");
        assert_eq!((bs[1].as_str(), hs[1].as_str()), ("criterion", "criterion"));
        let t = |v: &[String], i: usize| v[i].parse::<u128>().unwrap();
        assert!(t(&bs, 2) < t(&hs, 3) && t(&hs, 2) < t(&bs, 3), "ran together: {bs:?} {hs:?}");
    }
    assert!(env.criterion_home.join("report/index.html").is_file(), "shared pages are kept once");
    assert!(!env.criterion_home.with_file_name("duets").read_dir().unwrap().any(|_| true), "scratch cleared");
    for name in ["ab-base-1", "ab-head-1"] {
        assert!(env.results_home.join("scn").join(name).join("metrics.json").is_file());
    }
    // Only the target with results of its own keeps its whole runs.
    assert_eq!(plan.scenario_targets, v(&["load"]));
    // An extra round runs just the suspects, with no scenario runs.
    let only: BTreeSet<String> = ["g/b".to_owned()].into();
    plan.round(6, Some(&only), ["ab-base-6", "ab-head-6"], &env).unwrap();
    assert!(env.criterion_home.join("g/b/ab-head-6/ran.txt").is_file());
    assert!(!env.criterion_home.join("g/a/ab-head-6").exists());
    assert!(!env.results_home.join("scn/ab-head-6").exists());
}

#[cfg(target_os = "linux")]
#[test]
fn a_failing_duet_names_the_target_and_benchmark() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = fake_target(tmp.path(), "micro", false, "0.3");
    let env = round_env(tmp.path());
    std::fs::create_dir_all(&env.results_home).unwrap();
    let job = Job { id: "g/zzz".into(), sides: [Some(&exe), Some(&exe)] };
    let err = run_round(&[job], &[], ["x-1", "y-1"], &env, Order::BaseFirst).unwrap_err().to_string();
    assert!(err.contains("`micro`") && err.contains("`g/zzz`") && err.contains("runs.log"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_duet_whose_runs_end_far_apart_is_counted_uneven() {
    let tmp = tempfile::tempdir().unwrap();
    let (b, h) = (tmp.path().join("b"), tmp.path().join("h"));
    std::fs::create_dir_all(&b).unwrap();
    std::fs::create_dir_all(&h).unwrap();
    let (short, long) = (fake_target(&b, "micro", false, "0.1"), fake_target(&h, "micro", false, "1.5"));
    let env = round_env(tmp.path());
    let job = |a, b| Job { id: "g/a".into(), sides: [Some(a), Some(b)] };
    assert_eq!(run_round(&[job(&short, &long)], &[], ["b-1", "h-1"], &env, Order::HeadFirst).unwrap().1, 1);
    assert!(std::fs::read_to_string(&env.log).unwrap().contains("uneven"));
    assert_eq!(run_round(&[job(&long, &long)], &[], ["b-2", "h-2"], &env, Order::BaseFirst).unwrap().1, 0);
}
