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
fn one_fault_run() {
    let t = Instant::now();
    let o = faults::run(Scenario::LeaderCrash, 1, StoreFault::None).unwrap();
    eprintln!("{o:?} in {:?}", t.elapsed());
    let o2 = faults::run(Scenario::LeaderCrash, 1, StoreFault::None).unwrap();
    assert_eq!(o.trace, o2.trace);
}
