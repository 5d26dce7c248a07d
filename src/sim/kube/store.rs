//! The object store: every object by resource, namespace and name, one
//! global resourceVersion counter (like etcd's revision), a bounded history
//! of watch events and a broadcast of new ones. Writes keep
//! `metadata.managedFields` for the current [`Writer`]: the controllers
//! unless a request is being served ([`Store::with_writer`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::clock::{Clock, SimTime, format_time};
use super::errors::ApiError;
use super::managed_fields::{self, Writer};
use super::resources::{ALL, Res};
use super::util::{self, Rng};

/// `(namespace, name)`; the namespace is empty for cluster-scoped objects.
pub type Key = (String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One change, as watches see it.
#[derive(Debug)]
pub struct Event {
    pub rv: u64,
    pub res: Res,
    pub kind: EventType,
    pub object: Arc<Value>,
    /// The object before a modification (for selector transitions).
    pub prev: Option<Arc<Value>>,
}

pub const DEFAULT_HISTORY: usize = 20_000;

pub struct Store {
    rv: u64,
    objects: BTreeMap<Res, BTreeMap<Key, Arc<Value>>>,
    history: VecDeque<Arc<Event>>,
    history_limit: usize,
    /// The oldest resourceVersion a watch can start from.
    oldest_servable: u64,
    tx: broadcast::Sender<Arc<Event>>,
    /// Off while the initial world is settled: no history, no broadcast.
    recording: bool,
    pub rng: Rng,
    pub clock: Arc<Clock>,
    /// Who the writes are by (their managedFields manager).
    writer: Writer,
}

impl Store {
    pub fn new(clock: Arc<Clock>, seed: u64) -> Store {
        let (tx, _) = broadcast::channel(16_384);
        let mut objects = BTreeMap::new();
        for r in ALL {
            objects.insert(r, BTreeMap::new());
        }
        Store {
            rv: 1,
            objects,
            history: VecDeque::new(),
            history_limit: DEFAULT_HISTORY,
            oldest_servable: 1,
            tx,
            recording: true,
            rng: Rng::new(seed),
            clock,
            writer: Writer::default(),
        }
    }

    /// Runs `f` with the store's writes made by `writer` (e.g. a client's
    /// field manager for one request), then back to the previous writer.
    pub fn with_writer<T>(&mut self, writer: Writer, f: impl FnOnce(&mut Store) -> T) -> T {
        let previous = std::mem::replace(&mut self.writer, writer);
        let out = f(self);
        self.writer = previous;
        out
    }

    pub fn now(&self) -> SimTime {
        self.clock.now()
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn oldest_servable(&self) -> u64 {
        self.oldest_servable
    }

    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
        if on {
            self.history.clear();
            self.oldest_servable = self.rv;
        }
    }

    pub fn set_history_limit(&mut self, n: usize) {
        self.history_limit = n.max(16);
    }

    /// Drops the watch history: watches from any older resourceVersion now
    /// get 410 Gone.
    pub fn compact(&mut self) {
        self.history.clear();
        self.rv += 1;
        self.oldest_servable = self.rv;
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Events after `rv`, or `None` when they are no longer kept.
    pub fn events_since(&self, rv: u64) -> Option<Vec<Arc<Event>>> {
        if rv < self.oldest_servable {
            return None;
        }
        Some(self.history.iter().filter(|e| e.rv > rv).cloned().collect())
    }

    pub fn get(&self, res: Res, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.objects
            .get(&res)?
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// Objects of a resource in key order, optionally in one namespace.
    pub fn list(&self, res: Res, ns: Option<&str>) -> Vec<Arc<Value>> {
        let Some(map) = self.objects.get(&res) else {
            return vec![];
        };
        match ns {
            Some(ns) => map
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v.clone())
                .collect(),
            None => map.values().cloned().collect(),
        }
    }

    /// Keys after `after` (exclusive) in key order, for paging.
    pub fn list_after(&self, res: Res, ns: Option<&str>, after: &Key) -> Vec<Arc<Value>> {
        let Some(map) = self.objects.get(&res) else {
            return vec![];
        };
        use std::ops::Bound;
        map.range((Bound::Excluded(after.clone()), Bound::Unbounded))
            .filter(|((n, _), _)| ns.is_none_or(|ns| n == ns))
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn record(&mut self, res: Res, kind: EventType, object: Arc<Value>, prev: Option<Arc<Value>>) {
        if !self.recording {
            return;
        }
        let ev = Arc::new(Event {
            rv: self.rv,
            res,
            kind,
            object,
            prev,
        });
        self.history.push_back(ev.clone());
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.oldest_servable = old.rv;
            }
        }
        let _ = self.tx.send(ev);
    }

    fn key_of(res: Res, obj: &Value) -> Key {
        let ns = if res.namespaced() {
            util::namespace(obj).to_string()
        } else {
            String::new()
        };
        (ns, util::name(obj).to_string())
    }

    /// Fills in the server-set metadata of a new object without storing
    /// it: name from generateName, uid, resourceVersion, creationTimestamp,
    /// generation, apiVersion and kind.
    pub fn prepare_create(&mut self, res: Res, mut obj: Value) -> Result<Value, ApiError> {
        if !obj.is_object() {
            return Err(ApiError::bad_request("the object must be a JSON object"));
        }
        obj["apiVersion"] = json!(res.api_version());
        obj["kind"] = json!(res.kind());
        if !obj.get("metadata").is_some_and(Value::is_object) {
            obj["metadata"] = json!({});
        }
        if util::name(&obj).is_empty() {
            let prefix = util::s(&obj, "/metadata/generateName").to_string();
            if prefix.is_empty() {
                return Err(ApiError::invalid(
                    res.kind(),
                    res.group(),
                    "",
                    &[(
                        "metadata.name".into(),
                        "Required value: name or generateName is required".into(),
                    )],
                ));
            }
            loop {
                let candidate = format!("{prefix}{}", self.rng.suffix(5));
                let key = (util::namespace(&obj).to_string(), candidate.clone());
                if !self.objects[&res].contains_key(&key) {
                    obj["metadata"]["name"] = json!(candidate);
                    break;
                }
            }
        }
        if !res.namespaced()
            && let Some(m) = obj["metadata"].as_object_mut()
        {
            m.remove("namespace");
        }
        let key = Self::key_of(res, &obj);
        if self.objects[&res].contains_key(&key) {
            return Err(ApiError::already_exists(res, &key.1));
        }
        let uid = self.rng.uid();
        let m = &mut obj["metadata"];
        m["uid"] = json!(uid);
        m["resourceVersion"] = json!((self.rv + 1).to_string());
        if m.get("creationTimestamp").and_then(Value::as_str).is_none() {
            m["creationTimestamp"] = json!(format_time(self.clock.now()));
        }
        if res.tracks_generation() {
            m["generation"] = json!(1);
        }
        if let Some(mm) = m.as_object_mut() {
            mm.remove("deletionTimestamp");
            mm.remove("managedFields");
        }
        if res == Res::Jobs {
            super::batch::generate_selector(&mut obj);
        }
        let now = format_time(self.clock.now());
        managed_fields::track(&self.writer, res, None, &mut obj, &now);
        Ok(obj)
    }

    /// Creates an object (see [`Store::prepare_create`]).
    pub fn create(&mut self, res: Res, obj: Value) -> Result<Arc<Value>, ApiError> {
        let obj = self.prepare_create(res, obj)?;
        self.rv += 1;
        let key = Self::key_of(res, &obj);
        let obj = Arc::new(obj);
        if let Some(map) = self.objects.get_mut(&res) {
            map.insert(key, obj.clone());
        }
        self.record(res, EventType::Added, obj.clone(), None);
        Ok(obj)
    }

    /// Computes the stored form of an update of `old` to `new` without
    /// storing it; `None` when nothing would change.
    pub fn prepare_update(&self, res: Res, old: &Value, mut new: Value) -> Option<Value> {
        new["apiVersion"] = json!(res.api_version());
        new["kind"] = json!(res.kind());
        for field in ["uid", "creationTimestamp", "resourceVersion", "generation"] {
            match old["metadata"].get(field) {
                Some(v) => new["metadata"][field] = v.clone(),
                None => {
                    if let Some(m) = new["metadata"].as_object_mut() {
                        m.remove(field);
                    }
                }
            }
        }
        for field in [
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            // What a client sends is ignored; the write's own are set below.
            "managedFields",
        ] {
            match old["metadata"].get(field) {
                Some(v) => new["metadata"][field] = v.clone(),
                None => {
                    if let Some(m) = new["metadata"].as_object_mut() {
                        m.remove(field);
                    }
                }
            }
        }
        if new == *old {
            return None;
        }
        if res.tracks_generation() && old.get("spec") != new.get("spec") {
            new["metadata"]["generation"] = json!(util::i(old, "/metadata/generation") + 1);
        }
        new["metadata"]["resourceVersion"] = json!((self.rv + 1).to_string());
        let now = format_time(self.clock.now());
        managed_fields::track(&self.writer, res, Some(old), &mut new, &now);
        Some(new)
    }

    /// Replaces an object; a no-op update keeps its resourceVersion.
    pub fn update(&mut self, res: Res, new: Value) -> Result<Arc<Value>, ApiError> {
        let key = Self::key_of(res, &new);
        let Some(old) = self.objects[&res].get(&key).cloned() else {
            return Err(ApiError::not_found(res, &key.1));
        };
        let Some(obj) = self.prepare_update(res, &old, new) else {
            return Ok(old);
        };
        self.rv += 1;
        let obj = Arc::new(obj);
        if let Some(map) = self.objects.get_mut(&res) {
            map.insert(key, obj.clone());
        }
        self.record(res, EventType::Modified, obj.clone(), Some(old));
        Ok(obj)
    }

    /// Changes an object in place through `f`; a no-op keeps it as is.
    pub fn modify(
        &mut self,
        res: Res,
        ns: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Option<Arc<Value>> {
        let old = self.get(res, ns, name)?;
        let mut v = (*old).clone();
        f(&mut v);
        self.update(res, v).ok()
    }

    /// Starts a graceful deletion: sets `deletionTimestamp` (the object is
    /// removed later by its controller).
    pub fn mark_deleting(
        &mut self,
        res: Res,
        ns: &str,
        name: &str,
        grace_seconds: i64,
    ) -> Option<Arc<Value>> {
        let old = self.get(res, ns, name)?;
        if util::is_deleting(&old) {
            return Some(old);
        }
        let mut v = (*old).clone();
        let at = self.clock.now() + grace_seconds * 1000;
        v["metadata"]["deletionTimestamp"] = json!(format_time(at));
        v["metadata"]["deletionGracePeriodSeconds"] = json!(grace_seconds);
        if res.tracks_generation() {
            v["metadata"]["generation"] = json!(util::i(&old, "/metadata/generation") + 1);
        }
        self.rv += 1;
        v["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let obj = Arc::new(v);
        let key = (ns.to_string(), name.to_string());
        if let Some(map) = self.objects.get_mut(&res) {
            map.insert(key, obj.clone());
        }
        self.record(res, EventType::Modified, obj.clone(), Some(old));
        Some(obj)
    }

    /// Removes an object now.
    pub fn delete(&mut self, res: Res, ns: &str, name: &str) -> Option<Arc<Value>> {
        let key = (ns.to_string(), name.to_string());
        let old = self.objects.get_mut(&res)?.remove(&key)?;
        self.rv += 1;
        let mut v = (*old).clone();
        v["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let obj = Arc::new(v);
        self.record(res, EventType::Deleted, obj.clone(), Some(old));
        Some(obj)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::new(Arc::new(Clock::new(1.0)), 1)
    }

    #[test]
    fn create_update_delete_bump_versions_and_record() {
        let mut s = store();
        let mut rx = s.subscribe();
        let d = s
            .create(
                Res::Deployments,
                json!({"metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 1}}),
            )
            .unwrap();
        assert_eq!(d["metadata"]["generation"], 1);
        let rv1: u64 = d["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let mut v = (*d).clone();
        v["metadata"]["annotations"] = json!({"a": "b"});
        let d2 = s.update(Res::Deployments, v.clone()).unwrap();
        assert_eq!(d2["metadata"]["generation"], 1);
        // No-op update: same rv.
        let d3 = s.update(Res::Deployments, v).unwrap();
        assert_eq!(
            d3["metadata"]["resourceVersion"],
            d2["metadata"]["resourceVersion"]
        );
        let d4 = s
            .modify(Res::Deployments, "default", "web", |o| {
                o["spec"]["replicas"] = json!(3)
            })
            .unwrap();
        assert_eq!(d4["metadata"]["generation"], 2);
        assert!(s.delete(Res::Deployments, "default", "web").is_some());
        let mut kinds = vec![];
        while let Ok(e) = rx.try_recv() {
            kinds.push(e.kind);
        }
        assert_eq!(
            kinds,
            [
                EventType::Added,
                EventType::Modified,
                EventType::Modified,
                EventType::Deleted
            ]
        );
        assert_eq!(s.events_since(rv1).unwrap().len(), 3);
        s.compact();
        assert!(s.events_since(rv1).is_none());
        assert!(s.events_since(s.resource_version()).is_some());
    }

    #[test]
    fn generate_name_and_conflicts() {
        let mut s = store();
        let p = s
            .create(
                Res::Pods,
                json!({"metadata": {"generateName": "web-", "namespace": "default"}}),
            )
            .unwrap();
        assert!(util::name(&p).starts_with("web-"));
        assert_eq!(util::name(&p).len(), 9);
        let e = s
            .create(
                Res::Pods,
                json!({"metadata": {"name": util::name(&p), "namespace": "default"}}),
            )
            .unwrap_err();
        assert_eq!(e.code, 409);
        assert_eq!(s.list(Res::Pods, Some("default")).len(), 1);
        assert_eq!(s.list(Res::Pods, Some("other")).len(), 0);
    }

    #[test]
    fn history_is_bounded() {
        let mut s = store();
        s.set_history_limit(16);
        let start = s.resource_version();
        for n in 0..40 {
            s.create(
                Res::Namespaces,
                json!({"metadata": {"name": format!("ns{n}")}}),
            )
            .unwrap();
        }
        assert!(s.events_since(start).is_none());
        assert_eq!(s.events_since(s.resource_version() - 5).unwrap().len(), 5);
    }
}
