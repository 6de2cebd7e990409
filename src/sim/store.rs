//! The generic object store: every kind's objects as serialized JSON, a global
//! `resourceVersion`, a bounded history of changes for watches, and owner-reference GC.
//!
//! Objects are kept serialized (`Bytes`) with a small extracted [`Meta`] used for selectors, so a
//! list or a watch fan-out copies no JSON and a 10,000-run cluster stays small.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use super::error::ApiError;
use super::managed::{self, Author};
use super::rng::Rng;
use super::selector::{FieldSelector, LabelSelector};
use super::types::{self, ResourceType, TypeKey};

/// How many changes the watch history keeps; older resourceVersions get 410 Gone.
pub const DEFAULT_HISTORY: usize = 10_000;
const BROADCAST_CAPACITY: usize = 16_384;

/// Namespace and name of an object (namespace is empty for cluster-scoped kinds).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    pub namespace: String,
    pub name: String,
}

impl ObjKey {
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// What selectors and GC need of an object, extracted once per write.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub rv: u64,
    pub labels: BTreeMap<String, String>,
    /// Selectable fields (`metadata.name`, `status.phase`, …) and their values.
    pub fields: Vec<(&'static str, String)>,
    /// UIDs of the owners in `metadata.ownerReferences`.
    pub owners: Vec<String>,
}

impl Meta {
    fn extract(rt: &ResourceType, obj: &Value) -> Self {
        let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
        let labels = obj
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let mut fields = vec![
            ("metadata.name", s("/metadata/name").to_string()),
            ("metadata.namespace", s("/metadata/namespace").to_string()),
        ];
        for f in rt.field_selectors {
            let v = match obj.pointer(&format!("/{}", f.replace('.', "/"))) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(Value::Object(o)) => o
                    .get("component")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                Some(other) => other.to_string(),
            };
            fields.push((*f, v));
        }
        let owners = obj
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .map(|refs| {
                refs.iter()
                    .filter_map(|r| r.get("uid").and_then(Value::as_str).map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            namespace: s("/metadata/namespace").into(),
            name: s("/metadata/name").into(),
            uid: s("/metadata/uid").into(),
            rv: s("/metadata/resourceVersion").parse().unwrap_or(0),
            labels,
            fields,
            owners,
        }
    }
}

/// An object's serialized JSON: plain, or deflated when the object has settled (a finished pod
/// or workflow) and is big enough for that to pay. Deflated bodies are inflated on each read.
#[derive(Debug, Clone)]
pub struct Body {
    bytes: Bytes,
    deflated: bool,
}

/// Objects smaller than this stay plain.
const DEFLATE_MIN: usize = 1024;

impl Body {
    pub fn plain(bytes: Bytes) -> Self {
        Self {
            bytes,
            deflated: false,
        }
    }

    /// Deflates `json` (fast level); keeps it plain when that would not save anything.
    pub fn deflate(json: Vec<u8>) -> Self {
        thread_local! {
            // One compressor per thread: its tables are big, and zeroing them per object costs
            // more than compressing.
            static DEFLATE: std::cell::RefCell<flate2::Compress> =
                std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), false));
        }
        let small = DEFLATE.with(|c| {
            let mut c = c.borrow_mut();
            c.reset();
            let mut out = Vec::with_capacity(json.len() / 3 + 64);
            loop {
                let before = c.total_in() as usize;
                let status = c.compress_vec(&json[before..], &mut out, flate2::FlushCompress::Finish);
                match status {
                    Ok(flate2::Status::StreamEnd) => return Some(out),
                    Ok(_) if out.len() < json.len() => out.reserve(out.capacity().max(256)),
                    _ => return None,
                }
            }
        });
        match small {
            Some(mut small) if small.len() < json.len() => {
                small.shrink_to_fit();
                Self {
                    bytes: Bytes::from(small),
                    deflated: true,
                }
            }
            _ => Self::plain(Bytes::from(json)),
        }
    }

    /// The JSON text.
    pub fn bytes(&self) -> Bytes {
        if !self.deflated {
            return self.bytes.clone();
        }
        use std::io::Read;
        let mut out = Vec::with_capacity(self.bytes.len() * 6);
        match flate2::read::DeflateDecoder::new(&self.bytes[..]).read_to_end(&mut out) {
            Ok(_) => Bytes::from(out),
            Err(e) => {
                tracing::warn!("stored object does not inflate: {e}");
                Bytes::from_static(b"{}")
            }
        }
    }

    /// A copy in fresh memory allocated by the calling thread (so a worker thread's heap can
    /// be given back once its garbage is freed).
    pub fn deep_copy(&self) -> Self {
        Self {
            bytes: Bytes::copy_from_slice(&self.bytes),
            deflated: self.deflated,
        }
    }

    /// Bytes held in memory.
    pub fn stored_len(&self) -> usize {
        self.bytes.len()
    }
}

/// One stored object: its metadata index and its JSON.
#[derive(Debug, Clone)]
pub struct Stored {
    pub meta: Arc<Meta>,
    pub json: Body,
}

impl Stored {
    /// The object as a JSON value.
    pub fn value(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.json.bytes())
            .map_err(|e| ApiError::internal(format!("stored object is not JSON: {e}")))
    }
}

/// Whether an object has settled (a finished pod or workflow): it will rarely change again.
fn settled(meta: &Meta) -> bool {
    meta.labels
        .get("workflows.argoproj.io/completed")
        .map(String::as_str)
        == Some("true")
        && meta.fields.iter().all(|(k, _)| *k != "status.phase")
        || meta
            .fields
            .iter()
            .any(|(k, v)| *k == "status.phase" && (v == "Succeeded" || v == "Failed"))
}

/// The body an object is kept as.
fn body_for(meta: &Meta, json: Vec<u8>) -> Body {
    if json.len() >= DEFLATE_MIN && settled(meta) {
        Body::deflate(json)
    } else {
        Body::plain(Bytes::from(json))
    }
}

/// The kind of a watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One write, as kept in the history and fanned out to watches.
#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub ty: TypeKey,
    pub kind: ChangeType,
    pub meta: Arc<Meta>,
    /// The metadata before a modification, so selector watches can turn it into ADDED/DELETED.
    pub prev: Option<Arc<Meta>>,
    pub json: Body,
}

/// An object built outside the store's lock, ready for [`Store::insert_prepared`].
pub struct Prepared {
    pub rt: &'static ResourceType,
    pub key: ObjKey,
    pub stored: Stored,
}

/// Which objects a list, watch or collection delete is about.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    pub fn matches(&self, meta: &Meta) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| ns.is_empty() || meta.namespace == ns)
            && self.labels.matches(&meta.labels)
            && self.fields.matches(&meta.fields)
    }

    /// The event type a watch with this filter sees for `change`, if any.
    pub fn view(&self, change: &Change) -> Option<ChangeType> {
        let now = self.matches(&change.meta);
        match (change.kind, change.prev.as_deref().map(|p| self.matches(p))) {
            (ChangeType::Modified, Some(true)) if !now => Some(ChangeType::Deleted),
            (ChangeType::Modified, Some(false)) if now => Some(ChangeType::Added),
            (ChangeType::Modified, Some(false)) => None,
            (kind, _) => now.then_some(kind),
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub items: Vec<Stored>,
    pub rv: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<u64>,
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchFrom {
    /// `resourceVersion` unset or `"0"`: synthetic ADDED events for what exists, then changes.
    Now,
    /// Every change after this resourceVersion.
    Rv(u64),
}

/// A started watch: the events to replay first, then the live receiver.
pub struct Watch {
    pub initial: Vec<Arc<Change>>,
    pub rx: broadcast::Receiver<Arc<Change>>,
    /// Changes at or below this RV are covered by `initial` (skip them from `rx`).
    pub start_rv: u64,
}

/// Which part of an object an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main resource (keeps `status` when the kind has a status subresource).
    Main,
    /// The `/status` subresource (keeps everything but `status`).
    Status,
    /// Internal writers (controllers, seeding): everything.
    All,
}

struct Inner {
    rv: u64,
    collections: HashMap<TypeKey, BTreeMap<ObjKey, Stored>>,
    history: VecDeque<Arc<Change>>,
    history_cap: usize,
    /// Highest RV no longer in the history: watches from below it get 410.
    compacted: u64,
    /// Owner uid → dependents, for cascading deletes.
    dependents: HashMap<String, BTreeSet<(TypeKey, ObjKey)>>,
    rng: Rng,
    /// When each Event was last written: the API server keeps events in etcd under a lease
    /// renewed by every write, and [`Store::expire_events`] ends the lapsed ones.
    event_leases: HashMap<ObjKey, DateTime<Utc>>,
    /// The same leases, oldest first.
    event_lease_order: BTreeSet<(DateTime<Utc>, ObjKey)>,
}

impl Inner {
    fn lease_event(&mut self, key: &ObjKey, at: DateTime<Utc>) {
        if let Some(old) = self.event_leases.insert(key.clone(), at) {
            self.event_lease_order.remove(&(old, key.clone()));
        }
        self.event_lease_order.insert((at, key.clone()));
    }

    fn end_event_lease(&mut self, key: &ObjKey) {
        if let Some(old) = self.event_leases.remove(key) {
            self.event_lease_order.remove(&(old, key.clone()));
        }
    }
}

/// The object store shared by the API handlers and the controllers.
pub struct Store {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<Change>>,
}

/// RFC 3339 with second precision, as Kubernetes writes timestamps.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

const NAME_RULE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

fn meta_mut(obj: &mut Value) -> Result<&mut Map<String, Value>, ApiError> {
    let o = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("the object must be a JSON object"))?;
    let m = o.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if !m.is_object() {
        *m = Value::Object(Map::new());
    }
    m.as_object_mut()
        .ok_or_else(|| ApiError::bad_request("metadata must be an object"))
}

/// Everything but `metadata` (and `status` when it is a subresource): what bumps `generation`.
fn spec_part(rt: &ResourceType, obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("metadata");
        if rt.status_subresource {
            o.remove("status");
        }
    }
    v
}

impl Store {
    pub fn new(seed: u64, history_cap: usize) -> Self {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        Self {
            inner: Mutex::new(Inner {
                rv: 1,
                collections: HashMap::new(),
                history: VecDeque::new(),
                history_cap: history_cap.max(1),
                compacted: 0,
                dependents: HashMap::new(),
                rng: Rng::derive(seed, "store"),
                event_leases: HashMap::new(),
                event_lease_order: BTreeSet::new(),
            }),
            tx,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-written in a way that
        // matters more than stopping the demo, so a poisoned lock is simply taken over.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The newest resourceVersion.
    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    /// The oldest resourceVersion a watch may start from.
    pub fn compacted_rv(&self) -> u64 {
        self.lock().compacted
    }

    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<Stored, ApiError> {
        self.lock()
            .collections
            .get(&rt.key())
            .and_then(|c| c.get(&ObjKey::new(ns, name)))
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt, name))
    }

    /// Metadata of every object of a kind matching `filter` (cheap: no JSON is copied).
    pub fn metas(&self, rt: &ResourceType, filter: &Filter) -> Vec<Arc<Meta>> {
        let inner = self.lock();
        inner
            .collections
            .get(&rt.key())
            .map(|c| {
                c.values()
                    .filter(|s| filter.matches(&s.meta))
                    .map(|s| s.meta.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A page of the objects matching `filter`, in (namespace, name) order.
    pub fn list(
        &self,
        rt: &ResourceType,
        filter: &Filter,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListPage, ApiError> {
        let inner = self.lock();
        let start = match continue_token.filter(|t| !t.is_empty()) {
            Some(t) => Some(decode_continue(t, inner.compacted)?),
            None => None,
        };
        let empty = BTreeMap::new();
        let coll = inner.collections.get(&rt.key()).unwrap_or(&empty);
        let iter: Box<dyn Iterator<Item = (&ObjKey, &Stored)>> = match (&start, &filter.namespace) {
            (Some(k), _) => {
                Box::new(coll.range((std::ops::Bound::Excluded(k.clone()), std::ops::Bound::Unbounded)))
            }
            (None, Some(ns)) if !ns.is_empty() => Box::new(coll.range(ObjKey::new(ns, "")..)),
            _ => Box::new(coll.iter()),
        };
        let mut items = Vec::new();
        let mut remaining = 0u64;
        let mut last = None;
        for (key, stored) in iter {
            if let Some(ns) = filter.namespace.as_deref().filter(|ns| !ns.is_empty())
                && key.namespace.as_str() > ns
            {
                break;
            }
            if !filter.matches(&stored.meta) {
                continue;
            }
            if limit.is_some_and(|l| items.len() >= l) {
                remaining += 1;
                continue;
            }
            last = Some(key.clone());
            items.push(stored.clone());
        }
        let rv = inner.rv;
        let continue_token = (remaining > 0)
            .then(|| last.map(|k| encode_continue(rv, &k)))
            .flatten();
        Ok(ListPage {
            items,
            rv,
            remaining: continue_token.as_ref().map(|_| remaining),
            continue_token,
        })
    }

    /// Creates an object (API semantics: name/generateName, uid, timestamps, generation).
    /// With `keep_meta`, a given `creationTimestamp` and `uid` are kept (seeding the past).
    /// Creates an object. Null values are dropped first, as a real API server prunes a CRD's
    /// non-nullable fields (none of the served schemas marks a field nullable) and decodes a
    /// core kind's nulls to absent fields.
    pub fn create(
        &self,
        rt: &'static ResourceType,
        ns: &str,
        obj: Value,
        keep_meta: bool,
        now: DateTime<Utc>,
    ) -> Result<Stored, ApiError> {
        self.create_as(Author::default(), rt, ns, obj, keep_meta, now)
    }

    /// [`Store::create`] by a named field manager (an API request).
    pub fn create_as(
        &self,
        author: Author<'_>,
        rt: &'static ResourceType,
        ns: &str,
        mut obj: Value,
        keep_meta: bool,
        now: DateTime<Utc>,
    ) -> Result<Stored, ApiError> {
        drop_nulls(&mut obj);
        normalize(rt, &mut obj);
        let mut inner = self.lock();
        let ns = if rt.namespaced { ns } else { "" };
        {
            let meta = meta_mut(&mut obj)?;
            if let Some(body_ns) = meta.get("namespace").and_then(Value::as_str)
                && rt.namespaced
                && !ns.is_empty()
                && body_ns != ns
            {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            let name = meta.get("name").and_then(Value::as_str).unwrap_or("");
            let name = if name.is_empty() {
                let prefix = meta.get("generateName").and_then(Value::as_str).unwrap_or("");
                if prefix.is_empty() {
                    return Err(ApiError::invalid(
                        rt,
                        "",
                        "metadata.name",
                        "Required value: name or generateName is required",
                    ));
                }
                format!("{prefix}{}", inner.rng.suffix(5))
            } else {
                name.to_string()
            };
            if !valid_name(&name) {
                return Err(ApiError::invalid(
                    rt,
                    &name,
                    "metadata.name",
                    &format!("Invalid value: \"{name}\": {NAME_RULE}"),
                ));
            }
            meta.insert("name".into(), Value::String(name));
            if rt.namespaced {
                meta.insert("namespace".into(), Value::String(ns.into()));
            } else {
                meta.remove("namespace");
            }
            if !keep_meta || !meta.contains_key("uid") {
                meta.insert("uid".into(), Value::String(inner.rng.uuid()));
            }
            if !keep_meta || !meta.contains_key("creationTimestamp") {
                meta.insert("creationTimestamp".into(), Value::String(timestamp(now)));
            }
            meta.insert("generation".into(), json!(1));
            meta.remove("resourceVersion");
            meta.remove("deletionTimestamp");
            meta.remove("managedFields");
        }
        if let Some(o) = obj.as_object_mut() {
            let storage = types::by_key(rt.key()).unwrap_or(rt);
            o.insert("apiVersion".into(), Value::String(storage.api_version()));
            o.insert("kind".into(), Value::String(rt.kind.into()));
        }
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if rt.namespaced {
            let ns_type = types::namespace_type();
            let exists = inner
                .collections
                .get(&ns_type.key())
                .is_some_and(|c| c.contains_key(&ObjKey::new("", ns)));
            if !exists {
                return Err(ApiError::not_found(ns_type, ns));
            }
        }
        let key = ObjKey::new(ns, &name);
        if inner
            .collections
            .get(&rt.key())
            .is_some_and(|c| c.contains_key(&key))
        {
            return Err(ApiError::already_exists(rt, &name));
        }
        let part = if author.manager.is_some() {
            Part::Main
        } else {
            Part::All
        };
        managed::stamp(rt, &mut obj, None, author, part, now);
        default_object(rt, &mut obj);
        Ok(self.commit(&mut inner, rt, key, obj, None))
    }

    /// Reserves `n` resourceVersions for objects prepared outside the lock; returns the first.
    pub fn reserve_rvs(&self, n: u64) -> u64 {
        let mut inner = self.lock();
        let first = inner.rv + 1;
        inner.rv += n;
        first
    }

    /// Builds a stored object for seeding without taking the lock: create semantics with kept
    /// metadata (uid, creationTimestamp), the given resourceVersion, serialized and compacted.
    pub fn prepare(rt: &'static ResourceType, mut obj: Value, rv: u64) -> Result<Prepared, ApiError> {
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        {
            let meta = meta_mut(&mut obj)?;
            let name = meta.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            if !valid_name(&name) {
                return Err(ApiError::invalid(rt, &name, "metadata.name", "Invalid value"));
            }
            meta.insert("generation".into(), json!(1));
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
            if !rt.namespaced {
                meta.remove("namespace");
            }
        }
        let written = obj
            .pointer("/metadata/creationTimestamp")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
        managed::stamp(rt, &mut obj, None, Author::default(), Part::All, written);
        if let Some(o) = obj.as_object_mut() {
            let storage = types::by_key(rt.key()).unwrap_or(rt);
            o.insert("apiVersion".into(), Value::String(storage.api_version()));
            o.insert("kind".into(), Value::String(rt.kind.into()));
        }
        default_object(rt, &mut obj);
        let meta = Meta::extract(rt, &obj);
        let key = ObjKey::new(if rt.namespaced { &ns } else { "" }, &meta.name);
        let json = body_for(&meta, serde_json::to_vec(&obj).unwrap_or_default());
        Ok(Prepared {
            rt,
            key,
            stored: Stored {
                meta: Arc::new(meta),
                json,
            },
        })
    }

    /// Inserts prepared objects (RVs from [`Store::reserve_rvs`]) in one go.
    pub fn insert_prepared(&self, batch: Vec<Prepared>) -> Result<(), ApiError> {
        let mut inner = self.lock();
        let ns_key = types::namespace_type().key();
        let skip = batch.len().saturating_sub(inner.history_cap);
        for (i, p) in batch.into_iter().enumerate() {
            // Long-lived copies made here, on the inserting thread.
            let p = Prepared {
                rt: p.rt,
                key: p.key.clone(),
                stored: Stored {
                    meta: Arc::new((*p.stored.meta).clone()),
                    json: p.stored.json.deep_copy(),
                },
            };
            if p.rt.namespaced {
                let exists = inner
                    .collections
                    .get(&ns_key)
                    .is_some_and(|c| c.contains_key(&ObjKey::new("", &p.key.namespace)));
                if !exists {
                    return Err(ApiError::not_found(types::namespace_type(), &p.key.namespace));
                }
            }
            let coll = inner.collections.entry(p.rt.key()).or_default();
            if coll.contains_key(&p.key) {
                return Err(ApiError::already_exists(p.rt, &p.key.name));
            }
            coll.insert(p.key.clone(), p.stored.clone());
            if p.rt.key() == types::event_type().key() {
                inner.lease_event(&p.key, Utc::now());
            }
            for owner in &p.stored.meta.owners {
                inner
                    .dependents
                    .entry(owner.clone())
                    .or_default()
                    .insert((p.rt.key(), p.key.clone()));
            }
            inner.rv = inner.rv.max(p.stored.meta.rv);
            if i >= skip {
                let change = Change {
                    rv: p.stored.meta.rv,
                    ty: p.rt.key(),
                    kind: ChangeType::Added,
                    meta: p.stored.meta.clone(),
                    prev: None,
                    json: p.stored.json.clone(),
                };
                self.record(&mut inner, change);
            }
        }
        Ok(())
    }

    /// Replaces an object. `expected_rv` (when given) must match the stored one, else 409.
    pub fn replace(
        &self,
        rt: &'static ResourceType,
        ns: &str,
        name: &str,
        obj: Value,
        expected_rv: Option<u64>,
        part: Part,
    ) -> Result<Stored, ApiError> {
        self.replace_as(Author::default(), rt, ns, name, obj, expected_rv, part)
    }

    /// [`Store::replace`] by a named field manager (an API request).
    #[allow(clippy::too_many_arguments)]
    pub fn replace_as(
        &self,
        author: Author<'_>,
        rt: &'static ResourceType,
        ns: &str,
        name: &str,
        mut obj: Value,
        expected_rv: Option<u64>,
        part: Part,
    ) -> Result<Stored, ApiError> {
        drop_nulls(&mut obj);
        normalize(rt, &mut obj);
        let mut inner = self.lock();
        let ns = if rt.namespaced { ns } else { "" };
        let key = ObjKey::new(ns, name);
        let old = inner
            .collections
            .get(&rt.key())
            .and_then(|c| c.get(&key))
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        if expected_rv.is_some_and(|rv| rv != old.meta.rv) {
            return Err(ApiError::conflict(rt, name));
        }
        let old_value = old.value()?;
        {
            let body_name = obj.pointer("/metadata/name").and_then(Value::as_str);
            if body_name.is_some_and(|n| n != name) {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    body_name.unwrap_or("")
                )));
            }
        }
        obj = match part {
            Part::Status => {
                let mut merged = old_value.clone();
                if let (Some(o), Some(status)) = (merged.as_object_mut(), obj.get("status")) {
                    o.insert("status".into(), status.clone());
                }
                merged
            }
            Part::Main if rt.status_subresource => {
                if let Some(o) = obj.as_object_mut() {
                    match old_value.get("status") {
                        Some(s) => o.insert("status".into(), s.clone()),
                        None => o.remove("status"),
                    };
                }
                obj
            }
            _ => obj,
        };
        // Server-owned metadata stays as it was.
        let generation = old_value
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let bump = spec_part(rt, &old_value) != spec_part(rt, &obj);
        {
            let meta = meta_mut(&mut obj)?;
            meta.insert("name".into(), Value::String(name.into()));
            if rt.namespaced {
                meta.insert("namespace".into(), Value::String(ns.into()));
            }
            for k in ["uid", "creationTimestamp"] {
                if let Some(v) = old_value.pointer(&format!("/metadata/{k}")) {
                    meta.insert(k.into(), v.clone());
                }
            }
            meta.insert(
                "generation".into(),
                json!(if bump { generation + 1 } else { generation }),
            );
            match old_value.pointer("/metadata/managedFields") {
                Some(m) => meta.insert("managedFields".into(), m.clone()),
                None => meta.remove("managedFields"),
            };
            meta.insert("resourceVersion".into(), Value::String(old.meta.rv.to_string()));
        }
        if let Some(o) = obj.as_object_mut() {
            let storage = types::by_key(rt.key()).unwrap_or(rt);
            o.insert("apiVersion".into(), Value::String(storage.api_version()));
            o.insert("kind".into(), Value::String(rt.kind.into()));
        }
        if obj == old_value {
            // A no-op write does not bump the resourceVersion, like the apiserver.
            return Ok(old);
        }
        let previous = old_value.pointer("/metadata/managedFields");
        managed::stamp(rt, &mut obj, previous, author, part, Utc::now());
        Ok(self.commit(&mut inner, rt, key, obj, Some(old)))
    }

    /// Reads, changes and writes back one object, retrying on concurrent writes.
    pub fn mutate(
        &self,
        rt: &'static ResourceType,
        ns: &str,
        name: &str,
        part: Part,
        f: impl FnMut(&mut Value) -> Result<(), ApiError>,
    ) -> Result<Stored, ApiError> {
        self.mutate_as(Author::default(), rt, ns, name, part, f)
    }

    /// [`Store::mutate`] by a named field manager (an API request's patch).
    pub fn mutate_as(
        &self,
        author: Author<'_>,
        rt: &'static ResourceType,
        ns: &str,
        name: &str,
        part: Part,
        mut f: impl FnMut(&mut Value) -> Result<(), ApiError>,
    ) -> Result<Stored, ApiError> {
        for _ in 0..8 {
            let current = self.get(rt, ns, name)?;
            let mut value = current.value()?;
            f(&mut value)?;
            match self.replace_as(author, rt, ns, name, value, Some(current.meta.rv), part) {
                Err(e) if e.code == 409 && e.reason == "Conflict" => continue,
                other => return other,
            }
        }
        Err(ApiError::conflict(rt, name))
    }

    /// Deletes an object and, transitively, its dependents (owner references) and — for a
    /// Namespace — everything in it. Returns the deleted object.
    pub fn delete(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<Stored, ApiError> {
        let mut inner = self.lock();
        let ns = if rt.namespaced { ns } else { "" };
        let removed = self
            .remove(&mut inner, rt.key(), &ObjKey::new(ns, name))
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        self.cascade(&mut inner, rt, &removed);
        Ok(removed)
    }

    /// Deletes every object matching `filter`; returns what was deleted.
    pub fn delete_collection(&self, rt: &ResourceType, filter: &Filter) -> Vec<Stored> {
        let mut inner = self.lock();
        let keys: Vec<ObjKey> = inner
            .collections
            .get(&rt.key())
            .map(|c| {
                c.iter()
                    .filter(|(_, s)| filter.matches(&s.meta))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        for key in keys {
            if let Some(removed) = self.remove(&mut inner, rt.key(), &key) {
                self.cascade(&mut inner, rt, &removed);
                out.push(removed);
            }
        }
        out
    }

    /// Deletes the Events last written before `written_before` (their lease lapsed, as the API
    /// server's `--event-ttl` ends them) and then the oldest ones beyond `cap`. Watches see
    /// each as DELETED. Returns how many went.
    pub fn expire_events(&self, written_before: DateTime<Utc>, cap: usize) -> usize {
        let mut inner = self.lock();
        let ty = types::event_type().key();
        let mut gone = 0;
        while let Some((at, key)) = inner.event_lease_order.first().cloned() {
            if at >= written_before && inner.event_lease_order.len() <= cap {
                break;
            }
            inner.end_event_lease(&key);
            if self.remove(&mut inner, ty, &key).is_some() {
                gone += 1;
            }
        }
        gone
    }

    /// How many Events are stored.
    pub fn event_count(&self) -> usize {
        self.lock().event_leases.len()
    }

    /// Starts a watch of one kind.
    pub fn watch(&self, rt: &ResourceType, filter: &Filter, from: WatchFrom) -> Result<Watch, ApiError> {
        let inner = self.lock();
        let rx = self.tx.subscribe();
        let key = rt.key();
        let (initial, start_rv) = match from {
            WatchFrom::Now => {
                let initial = inner
                    .collections
                    .get(&key)
                    .map(|c| {
                        c.values()
                            .filter(|s| filter.matches(&s.meta))
                            .map(|s| {
                                Arc::new(Change {
                                    rv: s.meta.rv,
                                    ty: key,
                                    kind: ChangeType::Added,
                                    meta: s.meta.clone(),
                                    prev: None,
                                    json: s.json.clone(),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (initial, inner.rv)
            }
            WatchFrom::Rv(rv) => {
                if rv < inner.compacted {
                    return Err(ApiError::gone(format!(
                        "too old resource version: {rv} ({})",
                        inner.compacted + 1
                    )));
                }
                let initial = inner
                    .history
                    .iter()
                    .filter(|c| c.rv > rv && c.ty == key)
                    .cloned()
                    .collect();
                (initial, inner.rv.max(rv))
            }
        };
        Ok(Watch {
            initial,
            rx,
            start_rv,
        })
    }

    // ---- internals ----

    fn commit(
        &self,
        inner: &mut Inner,
        rt: &ResourceType,
        key: ObjKey,
        mut obj: Value,
        old: Option<Stored>,
    ) -> Stored {
        inner.rv += 1;
        let rv = inner.rv;
        if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
        let meta = Arc::new(Meta::extract(rt, &obj));
        let json = body_for(&meta, serde_json::to_vec(&obj).unwrap_or_default());
        let stored = Stored {
            meta: meta.clone(),
            json: json.clone(),
        };
        if let Some(old) = &old {
            unlink_owners(inner, &old.meta, rt.key(), &key);
        }
        if rt.key() == types::event_type().key() {
            inner.lease_event(&key, Utc::now());
        }
        for owner in &meta.owners {
            inner
                .dependents
                .entry(owner.clone())
                .or_default()
                .insert((rt.key(), key.clone()));
        }
        inner
            .collections
            .entry(rt.key())
            .or_default()
            .insert(key, stored.clone());
        let change = Change {
            rv,
            ty: rt.key(),
            kind: if old.is_some() {
                ChangeType::Modified
            } else {
                ChangeType::Added
            },
            meta,
            prev: old.map(|o| o.meta),
            json,
        };
        self.record(inner, change);
        stored
    }

    fn record(&self, inner: &mut Inner, change: Change) {
        let change = Arc::new(change);
        inner.history.push_back(change.clone());
        while inner.history.len() > inner.history_cap {
            if let Some(old) = inner.history.pop_front() {
                inner.compacted = old.rv;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    fn remove(&self, inner: &mut Inner, ty: TypeKey, key: &ObjKey) -> Option<Stored> {
        let removed = inner.collections.get_mut(&ty)?.remove(key)?;
        unlink_owners(inner, &removed.meta, ty, key);
        if ty == types::event_type().key() {
            inner.end_event_lease(key);
        }
        inner.rv += 1;
        // Like etcd, the DELETED event carries the deletion's resourceVersion, so a client
        // resuming from it does not see the deletion again.
        let mut last = removed.value().unwrap_or(Value::Null);
        if let Some(m) = last.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("resourceVersion".into(), Value::String(inner.rv.to_string()));
        }
        let meta = Arc::new(Meta {
            rv: inner.rv,
            ..(*removed.meta).clone()
        });
        let change = Change {
            rv: inner.rv,
            ty,
            kind: ChangeType::Deleted,
            meta: meta.clone(),
            prev: None,
            json: Body::plain(Bytes::from(serde_json::to_vec(&last).unwrap_or_default())),
        };
        let removed = Stored {
            meta,
            json: change.json.clone(),
        };
        self.record(inner, change);
        Some(removed)
    }

    fn cascade(&self, inner: &mut Inner, rt: &ResourceType, removed: &Stored) {
        let mut queue = vec![removed.meta.uid.clone()];
        if rt.key() == types::namespace_type().key() {
            let ns = removed.meta.name.clone();
            let doomed: Vec<(TypeKey, ObjKey)> = inner
                .collections
                .iter()
                .filter(|(ty, _)| types::by_key(**ty).is_some_and(|t| t.namespaced))
                .flat_map(|(ty, c)| {
                    c.range(ObjKey::new(&ns, "")..)
                        .take_while(|(k, _)| k.namespace == ns)
                        .map(|(k, _)| (*ty, k.clone()))
                        .collect::<Vec<_>>()
                })
                .collect();
            for (ty, key) in doomed {
                if let Some(gone) = self.remove(inner, ty, &key) {
                    queue.push(gone.meta.uid.clone());
                }
            }
        }
        while let Some(uid) = queue.pop() {
            let Some(deps) = inner.dependents.remove(&uid) else {
                continue;
            };
            for (ty, key) in deps {
                if let Some(gone) = self.remove(inner, ty, &key) {
                    queue.push(gone.meta.uid.clone());
                }
            }
        }
    }
}

fn unlink_owners(inner: &mut Inner, meta: &Meta, ty: TypeKey, key: &ObjKey) {
    for owner in &meta.owners {
        if let Some(set) = inner.dependents.get_mut(owner) {
            set.remove(&(ty, key.clone()));
            if set.is_empty() {
                inner.dependents.remove(owner);
            }
        }
    }
}

/// Per-kind defaults on create, as the apiserver's defaulting and admission would set them.
fn default_object(rt: &ResourceType, obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    match rt.kind {
        "Namespace" => {
            let name = o
                .get("metadata")
                .and_then(|m| m.get("name"))
                .cloned()
                .unwrap_or(Value::Null);
            if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
                let labels = m.entry("labels").or_insert_with(|| Value::Object(Map::new()));
                if let Some(l) = labels.as_object_mut() {
                    l.insert("kubernetes.io/metadata.name".into(), name);
                }
            }
            o.entry("spec")
                .or_insert_with(|| json!({"finalizers": ["kubernetes"]}));
            o.entry("status").or_insert_with(|| json!({"phase": "Active"}));
        }
        "Pod" => {
            let spec = o.entry("spec").or_insert_with(|| json!({}));
            if let Some(s) = spec.as_object_mut() {
                s.entry("restartPolicy").or_insert_with(|| json!("Always"));
                s.entry("dnsPolicy").or_insert_with(|| json!("ClusterFirst"));
                s.entry("schedulerName")
                    .or_insert_with(|| json!("default-scheduler"));
                s.entry("serviceAccountName").or_insert_with(|| json!("default"));
                s.entry("terminationGracePeriodSeconds")
                    .or_insert_with(|| json!(30));
                if let Some(cs) = s.get_mut("containers").and_then(Value::as_array_mut) {
                    for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                        c.entry("imagePullPolicy")
                            .or_insert_with(|| json!("IfNotPresent"));
                        c.entry("terminationMessagePath")
                            .or_insert_with(|| json!("/dev/termination-log"));
                        c.entry("terminationMessagePolicy")
                            .or_insert_with(|| json!("File"));
                        c.entry("resources").or_insert_with(|| json!({}));
                    }
                }
            }
            o.entry("status")
                .or_insert_with(|| json!({"phase": "Pending", "qosClass": "BestEffort"}));
        }
        _ => {}
    }
}

fn encode_continue(rv: u64, key: &ObjKey) -> String {
    let token = json!({
        "v": "meta.k8s.io/v1",
        "rv": rv,
        "start": format!("{}/{}", key.namespace, key.name),
    });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
}

fn decode_continue(token: &str, compacted: u64) -> Result<ObjKey, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = v.get("rv").and_then(Value::as_u64).ok_or_else(bad)?;
    if rv < compacted {
        return Err(ApiError::gone(
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
        ));
    }
    let start = v.get("start").and_then(Value::as_str).ok_or_else(bad)?;
    let (ns, name) = start.split_once('/').ok_or_else(bad)?;
    Ok(ObjKey::new(ns, name))
}

/// What a real API server does to a built-in kind on every write: a Secret's `stringData` is
/// merged into `data` (base64) and never stored, and its `type` defaults to `Opaque`.
fn normalize(rt: &ResourceType, obj: &mut Value) {
    if rt.kind != "Secret" || !rt.group.is_empty() {
        return;
    }
    if let Some(o) = obj.as_object_mut() {
        if let Some(Value::Object(plain)) = o.remove("stringData") {
            let data = o.entry("data").or_insert_with(|| json!({}));
            if let Some(d) = data.as_object_mut() {
                for (k, v) in plain {
                    let text = v.as_str().unwrap_or_default().to_string();
                    d.insert(k, json!(base64::engine::general_purpose::STANDARD.encode(text)));
                }
            }
        }
        o.entry("type").or_insert_with(|| json!("Opaque"));
    }
}

/// Drops every `null` member of every object in `v` (array items stay where they are).
pub fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_ns(cap: usize) -> Store {
        let s = Store::new(1, cap);
        let r = s.create(
            types::namespace_type(),
            "",
            json!({"metadata":{"name":"ns1"}}),
            false,
            Utc::now(),
        );
        assert!(r.is_ok());
        s
    }

    fn pod(name: &str, labels: Value) -> Value {
        json!({"metadata":{"name":name,"labels":labels},"spec":{"containers":[{"name":"main","image":"busybox"}]}})
    }

    #[test]
    fn resource_versions_increase_and_conflicts_are_detected() {
        let s = store_with_ns(100);
        let pods = types::pod_type();
        let a = s.create(pods, "ns1", pod("a", json!({})), false, Utc::now());
        let a = a.ok().map(|a| a.meta.rv).unwrap_or_default();
        let b = s.create(pods, "ns1", pod("b", json!({})), false, Utc::now());
        let b = b.ok().map(|b| b.meta.rv).unwrap_or_default();
        assert!(b > a && a > 1);
        assert_eq!(s.current_rv(), b);
        let dup = s.create(pods, "ns1", pod("a", json!({})), false, Utc::now());
        assert_eq!(dup.err().map(|e| e.code), Some(409));
        let stale = s.replace(pods, "ns1", "b", pod("b", json!({"x":"y"})), Some(a), Part::Main);
        assert_eq!(stale.err().map(|e| e.reason), Some("Conflict"));
        let ok = s.replace(pods, "ns1", "b", pod("b", json!({"x":"y"})), Some(b), Part::Main);
        assert!(ok.is_ok_and(|o| o.meta.rv > b && o.meta.labels.contains_key("x")));
        let missing_ns = s.create(pods, "nope", pod("c", json!({})), false, Utc::now());
        assert_eq!(
            missing_ns.err().map(|e| e.message),
            Some("namespaces \"nope\" not found".to_string())
        );
    }

    #[test]
    fn watch_history_replays_exactly_once_and_expires() {
        let s = store_with_ns(5);
        let pods = types::pod_type();
        let start = s.current_rv();
        for i in 0..3 {
            assert!(
                s.create(pods, "ns1", pod(&format!("p{i}"), json!({})), false, Utc::now())
                    .is_ok()
            );
        }
        let w = s.watch(pods, &Filter::default(), WatchFrom::Rv(start));
        let w = w.ok().map(|w| w.initial).unwrap_or_default();
        let names: Vec<&str> = w.iter().map(|c| c.meta.name.as_str()).collect();
        assert_eq!(names, ["p0", "p1", "p2"]);
        for i in 3..10 {
            assert!(
                s.create(pods, "ns1", pod(&format!("p{i}"), json!({})), false, Utc::now())
                    .is_ok()
            );
        }
        let old = s.watch(pods, &Filter::default(), WatchFrom::Rv(start));
        assert_eq!(old.err().map(|e| e.code), Some(410));
        let now = s.watch(pods, &Filter::default(), WatchFrom::Now);
        assert_eq!(now.ok().map(|w| w.initial.len()), Some(10));
    }

    #[test]
    fn paging_returns_each_object_once() {
        let s = store_with_ns(1000);
        let pods = types::pod_type();
        for i in 0..25 {
            let name = format!("p{i:02}");
            assert!(
                s.create(pods, "ns1", pod(&name, json!({})), false, Utc::now())
                    .is_ok()
            );
        }
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = s.list(pods, &Filter::default(), Some(10), token.as_deref());
            let Ok(page) = page else { panic!("list failed") };
            seen.extend(page.items.iter().map(|i| i.meta.name.clone()));
            token = page.continue_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), 25);
        let mut dedup = seen.clone();
        dedup.dedup();
        assert_eq!(dedup, seen);
    }

    #[test]
    fn selector_watch_turns_modifications_into_add_and_delete() {
        let filter = Filter {
            labels: LabelSelector::parse("phase=Running").unwrap_or_default(),
            ..Filter::default()
        };
        let meta = |phase: &str| {
            Arc::new(Meta {
                labels: [("phase".to_string(), phase.to_string())].into(),
                ..Meta::default()
            })
        };
        let change = |prev: &str, now: &str| Change {
            rv: 1,
            ty: ("", "pods"),
            kind: ChangeType::Modified,
            meta: meta(now),
            prev: Some(meta(prev)),
            json: Body::plain(Bytes::new()),
        };
        assert_eq!(
            filter.view(&change("Pending", "Running")),
            Some(ChangeType::Added)
        );
        assert_eq!(filter.view(&change("Running", "Done")), Some(ChangeType::Deleted));
        assert_eq!(
            filter.view(&change("Running", "Running")),
            Some(ChangeType::Modified)
        );
        assert_eq!(filter.view(&change("A", "B")), None);
    }

    #[test]
    fn deleting_an_owner_cascades() {
        let s = store_with_ns(100);
        let pods = types::pod_type();
        let wf = s.create(
            types::workflow_type(),
            "ns1",
            json!({"metadata":{"name":"wf"},"spec":{}}),
            false,
            Utc::now(),
        );
        let uid = wf.ok().map(|w| w.meta.uid.clone()).unwrap_or_default();
        let mut child = pod("wf-main-1", json!({}));
        child["metadata"]["ownerReferences"] =
            json!([{"uid": uid, "kind":"Workflow","name":"wf","apiVersion":"argoproj.io/v1alpha1"}]);
        assert!(s.create(pods, "ns1", child, false, Utc::now()).is_ok());
        assert!(s.delete(types::workflow_type(), "ns1", "wf").is_ok());
        assert_eq!(s.get(pods, "ns1", "wf-main-1").err().map(|e| e.code), Some(404));
        assert!(s.delete(types::namespace_type(), "", "ns1").is_ok());
    }
}

#[cfg(test)]
mod null_tests {
    use super::*;

    #[test]
    fn nulls_are_dropped_at_every_depth() {
        let mut v = serde_json::json!({"status": {"phase": "Running", "finishedAt": null,
            "nodes": {"a": {"message": null, "phase": "Pending"}}}, "list": [{"x": null}, 1]});
        drop_nulls(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"status": {"phase": "Running", "nodes": {"a": {"phase": "Pending"}}},
                "list": [{}, 1]})
        );
    }
}
