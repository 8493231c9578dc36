//! What the cluster's replicated state machine stores and the typed commands that change it:
//! a key-value map and the model registry (the entries the cluster's HTTP API serves).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use super::NodeId;

/// A model the cluster distributes: its metadata lives in the replicated state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// Unique name, e.g. `llama-7b-q4`.
    pub name: String,
    /// Total size in bytes.
    pub size_bytes: u64,
    /// Size of each distribution chunk in bytes.
    pub chunk_bytes: u64,
    /// Content digest (hex) of the whole model.
    pub digest: String,
    /// Nodes holding a full copy.
    pub replicas: Vec<NodeId>,
}

/// A change to the state machine, replicated through the Raft log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Sets `key` to `value`.
    Put {
        /// The key.
        key: String,
        /// The new value.
        value: Vec<u8>,
    },
    /// Removes `key`.
    Delete {
        /// The key.
        key: String,
    },
    /// Adds or replaces a model's entry.
    RegisterModel(ModelEntry),
    /// Removes a model's entry.
    RemoveModel {
        /// The model's name.
        name: String,
    },
}

/// What applying a command returned: the value or entry it replaced, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// A blank or membership entry: nothing to return.
    #[default]
    Nothing,
    /// The previous value of a key.
    Value(Option<Vec<u8>>),
    /// The previous entry of a model.
    Model(Option<ModelEntry>),
}

/// The replicated data: keys and models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvState {
    /// Key → value (hashed: point reads and writes are all the cluster does with keys).
    pub kv: FxHashMap<String, Vec<u8>>,
    /// Model name → entry.
    pub models: BTreeMap<String, ModelEntry>,
}

impl KvState {
    /// Applies `cmd` (deterministically: every replica computes the same result).
    pub fn apply(&mut self, cmd: &Command) -> Response {
        match cmd {
            Command::Put { key, value } => Response::Value(self.kv.insert(key.clone(), value.clone())),
            Command::Delete { key } => Response::Value(self.kv.remove(key)),
            Command::RegisterModel(m) => Response::Model(self.models.insert(m.name.clone(), m.clone())),
            Command::RemoveModel { name } => Response::Model(self.models.remove(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_return_what_they_replaced() {
        let mut s = KvState::default();
        let put = |v: &[u8]| Command::Put { key: "k".into(), value: v.to_vec() };
        assert_eq!(s.apply(&put(b"1")), Response::Value(None));
        assert_eq!(s.apply(&put(b"2")), Response::Value(Some(b"1".to_vec())));
        assert_eq!(s.apply(&Command::Delete { key: "k".into() }), Response::Value(Some(b"2".to_vec())));
        let m = ModelEntry { name: "m".into(), size_bytes: 10, chunk_bytes: 4, digest: "ab".into(), replicas: vec![1] };
        assert_eq!(s.apply(&Command::RegisterModel(m.clone())), Response::Model(None));
        assert_eq!(s.apply(&Command::RemoveModel { name: "m".into() }), Response::Model(Some(m)));
        assert!(s.kv.is_empty() && s.models.is_empty());
    }
}
