//! Who is reachable: agents and clients by id, and the capability index.
//!
//! Lookups are hash-map hits (FxHash: ids are trusted integers, so a DoS-resistant hasher buys
//! nothing and costs ~10 ns per message). The capability index keeps, per capability, a dense
//! vector of holders plus each holder's position, so both lookup and removal are O(1) and
//! round-robin picking needs no allocation. Capability names are interned: 10,000 agents offering
//! `"sink"` share one string.

use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use rustc_hash::FxHashMap;

use super::message::AgentId;
use super::slot::{AgentSlot, ClientInbox};

pub(crate) enum Endpoint {
    Agent(Arc<AgentSlot>),
    Client(Arc<ClientInbox>),
}

#[derive(Default)]
struct Holders {
    ids: Vec<AgentId>,
    position: FxHashMap<AgentId, usize>,
    cursor: AtomicUsize,
}

#[derive(Default)]
pub(crate) struct Registry {
    endpoints: FxHashMap<AgentId, Endpoint>,
    by_capability: FxHashMap<Arc<str>, Holders>,
}

impl Registry {
    pub(crate) fn get(&self, id: AgentId) -> Option<&Endpoint> {
        self.endpoints.get(&id)
    }

    /// The interned name for `capability`, creating its (empty) entry.
    pub(crate) fn intern(&mut self, capability: &str) -> Arc<str> {
        if let Some((name, _)) = self.by_capability.get_key_value(capability) {
            return name.clone();
        }
        let name: Arc<str> = Arc::from(capability);
        self.by_capability.insert(name.clone(), Holders::default());
        name
    }

    pub(crate) fn insert_agent(&mut self, slot: Arc<AgentSlot>) {
        for cap in slot.capabilities.iter() {
            let holders = self.by_capability.entry(cap.clone()).or_default();
            if let Entry::Vacant(v) = holders.position.entry(slot.id) {
                v.insert(holders.ids.len());
                holders.ids.push(slot.id);
            }
        }
        self.endpoints.insert(slot.id, Endpoint::Agent(slot));
    }

    pub(crate) fn insert_client(&mut self, id: AgentId, inbox: Arc<ClientInbox>) {
        self.endpoints.insert(id, Endpoint::Client(inbox));
    }

    pub(crate) fn remove(&mut self, id: AgentId) -> Option<Endpoint> {
        let endpoint = self.endpoints.remove(&id)?;
        if let Endpoint::Agent(slot) = &endpoint {
            for cap in slot.capabilities.iter() {
                let Some(holders) = self.by_capability.get_mut(cap) else { continue };
                if let Some(pos) = holders.position.remove(&id) {
                    holders.ids.swap_remove(pos);
                    if let Some(&moved) = holders.ids.get(pos) {
                        holders.position.insert(moved, pos);
                    }
                }
            }
        }
        Some(endpoint)
    }

    /// Removes everything, for shutdown.
    pub(crate) fn drain(&mut self) -> Vec<Endpoint> {
        self.by_capability.clear();
        self.endpoints.drain().map(|(_, e)| e).collect()
    }

    /// Every agent offering `capability` (in no particular order).
    pub(crate) fn find(&self, capability: &str) -> &[AgentId] {
        self.by_capability.get(capability).map_or(&[], |h| &h.ids)
    }

    /// One holder of `capability`, rotating through them.
    pub(crate) fn pick(&self, capability: &str) -> Option<AgentId> {
        let h = self.by_capability.get(capability)?;
        if h.ids.is_empty() {
            return None;
        }
        Some(h.ids[h.cursor.fetch_add(1, Relaxed) % h.ids.len()])
    }

    pub(crate) fn agents(&self) -> impl Iterator<Item = &Arc<AgentSlot>> {
        self.endpoints.values().filter_map(|e| match e {
            Endpoint::Agent(s) => Some(s),
            Endpoint::Client(_) => None,
        })
    }
}
