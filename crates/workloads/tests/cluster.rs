//! The cluster end to end: local clusters in-process and over TCP, and the seeded fault suite
//! with its invariant checker (which must catch a faulty store).

use std::time::{Duration, Instant};

use workloads::cluster::faults::{self, Scenario};
use workloads::cluster::store::StoreFault;
use workloads::cluster::{Command, LocalCluster, NetworkMode};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn writes_replicate_to_every_node_in_process_and_over_tcp() {
    for mode in [NetworkMode::InProc, NetworkMode::Tcp] {
        rt().block_on(async {
            let c = LocalCluster::start(3, mode).await.unwrap();
            for i in 0..50u32 {
                c.write(Command::Put { key: format!("k{}", i % 5), value: i.to_be_bytes().to_vec() }).await.unwrap();
            }
            let leader = c.leader(Duration::from_secs(1)).await.unwrap();
            assert_eq!(leader.read("k4").await.unwrap(), Some(49u32.to_be_bytes().to_vec()), "{mode:?}");
            let last = leader.raft.metrics().borrow().last_log_index.unwrap();
            for n in c.nodes() {
                n.raft.wait(Some(Duration::from_secs(5))).applied_index(Some(last), "caught up").await.unwrap();
                assert_eq!(n.state.data(), leader.state.data(), "{mode:?}: node {} differs", n.id);
            }
            let (messages, bytes) = c.network();
            assert!(messages > 100 && bytes > messages * 20, "{mode:?}: {messages} messages, {bytes} bytes");
            c.shutdown().await;
        });
    }
}

#[test]
fn every_scenario_survives_20_seeds_with_every_invariant_checked() {
    let t = Instant::now();
    for s in Scenario::ALL {
        let mut leader = Vec::new();
        for seed in 0..20 {
            let o = faults::run(s, seed, StoreFault::None).unwrap_or_else(|v| panic!("{v}"));
            assert_eq!(o.lost, 0);
            assert!(o.acked > 100, "{o:?}");
            leader.push(o.to_leader_ms.unwrap_or(f64::NAN));
        }
        eprintln!("{}: to leader {leader:?}", s.as_str());
    }
    eprintln!("all scenarios x 20 seeds in {:?}", t.elapsed());
}

#[test]
fn a_seed_replays_exactly_and_another_seed_differs() {
    let a = faults::run(Scenario::MajorityPartition, 42, StoreFault::None).unwrap();
    let b = faults::run(Scenario::MajorityPartition, 42, StoreFault::None).unwrap();
    let c = faults::run(Scenario::MajorityPartition, 43, StoreFault::None).unwrap();
    assert_eq!(a, b, "one seed, two different runs");
    assert_ne!(a.trace, c.trace);
}

#[test]
fn the_checker_catches_a_store_that_forgets_acknowledged_writes() {
    let caught: Vec<String> = (0..20)
        .filter_map(|seed| faults::run(Scenario::MajorityCrashRestart, seed, StoreFault::ForgetTailOnRestart).err())
        .map(|v| v.to_string())
        .collect();
    assert!(!caught.is_empty(), "a store that forgets acknowledged entries went unnoticed in 20 seeds");
    let first = &caught[0];
    assert!(
        first.contains("majority_crash_restart seed")
            && first.contains("cargo bench --bench cluster_faults -- --scenario majority_crash_restart --seed"),
        "{first}"
    );
    eprintln!("caught in {} of 20 seeds; first: {first}", caught.len());
}

#[test]
fn unknown_scenarios_and_bad_counts_are_named() {
    let e = "leader_crsh".parse::<Scenario>().unwrap_err();
    assert!(e.contains("`leader_crsh`") && e.contains("leader_crash, follower_crash"), "{e}");
}
