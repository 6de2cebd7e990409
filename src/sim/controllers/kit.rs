//! What the Kubeflow controllers share: a reconcile loop over one kind, owned pods, services,
//! events and conditions.
//!
//! Every controller here is time-driven like the Argo engine: the desired state of an object is
//! a function of its spec, its timestamps (and its children's creation times) and `now`, so a
//! seeded object from two hours ago and a live one move the same way.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::pods::{self, PodState};
use crate::sim::error::ApiError;
use crate::sim::events::{self, Involved, Occurrence};
use crate::sim::logs::{ERROR_ANNOTATION, PROFILE_ANNOTATION};
use crate::sim::rng::{fnv32a, hash64};
use crate::sim::store::{Filter, Part, Store, timestamp};
use crate::sim::types::{self, ResourceType};

/// Desired state of one object at `now`: mutate it in place; return when to look again.
pub type ReconcileFn = fn(&Store, &mut Value, DateTime<Utc>) -> Option<DateTime<Utc>>;

/// Objects are looked at again at least this often, to notice deleted children.
const MAX_IDLE: TimeDelta = TimeDelta::seconds(10);

/// A reconcile loop over one kind.
pub struct Loop {
    rt: Option<&'static ResourceType>,
    memo: HashMap<(String, String), (u64, DateTime<Utc>)>,
    f: ReconcileFn,
}

impl Loop {
    pub fn new(group: &'static str, plural: &'static str, f: ReconcileFn) -> Self {
        Self {
            rt: types::find(group, plural),
            memo: HashMap::new(),
            f,
        }
    }

    pub fn tick(&mut self, store: &Store, now: DateTime<Utc>) {
        let Some(rt) = self.rt else { return };
        let mut seen = HashMap::new();
        for meta in store.metas(rt, &Filter::default()) {
            let key = (meta.namespace.clone(), meta.name.clone());
            if let Some(&(rv, due)) = self.memo.get(&key)
                && rv == meta.rv
                && due > now
            {
                seen.insert(key, (rv, due));
                continue;
            }
            match reconcile_one(store, rt, &meta.namespace, &meta.name, now, self.f) {
                Ok(memo) => {
                    seen.insert(key, memo);
                }
                Err(e) => tracing::debug!("{} {}/{}: {e}", rt.kind, meta.namespace, meta.name),
            }
        }
        self.memo = seen;
    }
}

/// Reconciles one object now (also used by seeding, so seeded objects start settled).
pub fn reconcile_one(
    store: &Store,
    rt: &'static ResourceType,
    ns: &str,
    name: &str,
    now: DateTime<Utc>,
    f: ReconcileFn,
) -> Result<(u64, DateTime<Utc>), ApiError> {
    let stored = store.get(rt, ns, name)?;
    let before = stored.value()?;
    let mut obj = before.clone();
    let due = f(store, &mut obj, now)
        .map_or(now + MAX_IDLE, |d| d.min(now + MAX_IDLE))
        .max(now + TimeDelta::milliseconds(200));
    let rv = if obj == before {
        stored.meta.rv
    } else {
        let rv = store
            .replace(rt, ns, name, obj.clone(), Some(stored.meta.rv), Part::All)?
            .meta
            .rv;
        condition_events(store, Some(&before), &obj, now);
        rv
    };
    Ok((rv, due))
}

// ---- events ----

/// The component whose event recorder reports about objects of `kind`.
pub fn component(kind: &str) -> &'static str {
    match kind {
        "Notebook" => "notebook-controller",
        "InferenceService" => "v1beta1Controllers",
        "TrainJob" => "trainjob-controller",
        "PyTorchJob" => "pytorchjob-controller",
        "Experiment" => "experiment-controller",
        "Trial" => "trial-controller",
        "Suggestion" => "suggestion-controller",
        _ => "controller-manager",
    }
}

/// Records a Normal event about `obj` from its controller.
pub fn normal(store: &Store, obj: &Value, reason: &str, message: String, at: DateTime<Utc>) {
    let occ = Occurrence::normal(reason, message, component(s(obj, "/kind")), at);
    events::record(store, &Involved::of(obj), &occ);
}

/// The events a controller records when an object's conditions change: each condition that
/// became true reports its reason and message (a `Failed` one as a Warning); an
/// InferenceService reports becoming Ready, or no longer Ready, as KServe does.
pub fn condition_events(store: &Store, before: Option<&Value>, after: &Value, now: DateTime<Utc>) {
    let kind = s(after, "/kind");
    let conds = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(|v| v.pointer("/status/conditions"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let old = conds(before);
    let new = conds(Some(after));
    let is_true = |list: &[Value], t: &str| {
        list.iter()
            .any(|c| s(c, "/type") == t && s(c, "/status") == "True")
    };
    let inv = Involved::of(after);
    let from = component(kind);
    match kind {
        "Notebook" => {}
        "InferenceService" => {
            let name = s(after, "/metadata/name");
            let (was, is) = (is_true(&old, "Ready"), is_true(&new, "Ready"));
            let ready = new.iter().find(|c| s(c, "/type") == "Ready");
            let at = ready
                .and_then(|c| time_at(c, "/lastTransitionTime"))
                .unwrap_or(now);
            if is && !was {
                let occ = Occurrence::normal(
                    "InferenceServiceReady",
                    format!("InferenceService [{name}] is Ready"),
                    from,
                    at,
                );
                events::record(store, &inv, &occ);
            } else if was && !is {
                let why = ready.map_or("", |c| s(c, "/reason"));
                let why = if why.is_empty() {
                    "the predictor is not ready"
                } else {
                    why
                };
                let occ = Occurrence::warning(
                    "InferenceServiceNotReady",
                    format!("InferenceService [{name}] is no longer Ready because of: {why}"),
                    from,
                    at,
                );
                events::record(store, &inv, &occ);
            }
        }
        _ => {
            for c in &new {
                let t = s(c, "/type");
                if s(c, "/status") != "True" || is_true(&old, t) {
                    continue;
                }
                let reason = if s(c, "/reason").is_empty() {
                    t
                } else {
                    s(c, "/reason")
                };
                let at = time_at(c, "/lastTransitionTime").unwrap_or(now);
                let message = s(c, "/message").to_string();
                let occ = if t == "Failed" {
                    Occurrence::warning(reason, message, from, at)
                } else {
                    Occurrence::normal(reason, message, from, at)
                };
                events::record(store, &inv, &occ);
            }
        }
    }
}

// ---- small readers ----

pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

pub fn has_annotation(obj: &Value, key: &str) -> bool {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .is_some()
}

pub fn time_at(obj: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    super::argo::parse_time(obj.pointer(pointer).and_then(Value::as_str))
}

pub fn created(obj: &Value, now: DateTime<Utc>) -> DateTime<Utc> {
    time_at(obj, "/metadata/creationTimestamp").unwrap_or(now)
}

/// A number annotation (`sim.kftui.dev/run-seconds`, …).
pub fn number(obj: &Value, key: &str) -> Option<i64> {
    annotation(obj, key).and_then(|s| s.trim().parse().ok())
}

pub fn set_status(obj: &mut Value, status: Value) {
    if let Some(o) = obj.as_object_mut() {
        o.insert("status".into(), status);
    }
}

/// A deterministic `n`-character generateName-style suffix for `seed`.
pub fn suffix(seed: &str, n: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = hash64(seed);
    (0..n)
        .map(|_| {
            let c = ALPHABET[(h % ALPHABET.len() as u64) as usize];
            h = (h / ALPHABET.len() as u64) ^ u64::from(fnv32a(seed)).rotate_left(17);
            char::from(c)
        })
        .collect()
}

// ---- conditions ----

/// A `metav1.Condition` (TrainJob, Profile-like kinds).
pub fn condition(kind: &str, ok: bool, reason: &str, message: &str, at: DateTime<Utc>) -> Value {
    json!({
        "type": kind,
        "status": if ok { "True" } else { "False" },
        "reason": reason,
        "message": message,
        "lastTransitionTime": timestamp(at),
    })
}

/// Keeps the `lastTransitionTime` of conditions whose status did not change.
pub fn keep_transitions(old: Option<&Value>, new: &mut [Value]) {
    let Some(old) = old.and_then(Value::as_array) else {
        return;
    };
    for c in new.iter_mut() {
        let same = old
            .iter()
            .find(|o| o.get("type") == c.get("type") && o.get("status") == c.get("status"));
        if let (Some(o), Some(m)) = (same, c.as_object_mut()) {
            for k in ["lastTransitionTime", "lastUpdateTime"] {
                if let (Some(t), true) = (o.get(k), m.contains_key(k)) {
                    m.insert(k.into(), t.clone());
                }
            }
        }
    }
}

// ---- owned children ----

/// The ownerReference pointing at `obj` (a controller reference).
pub fn owner_ref(obj: &Value) -> Value {
    json!({
        "apiVersion": s(obj, "/apiVersion"),
        "kind": s(obj, "/kind"),
        "name": s(obj, "/metadata/name"),
        "uid": s(obj, "/metadata/uid"),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// One container of a workload pod.
#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    pub image: String,
    /// Extra fields of the container spec (ports, resources, env, …).
    pub spec: Value,
}

impl Container {
    pub fn new(name: &str, image: &str) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
            spec: json!({}),
        }
    }

    pub fn with(mut self, spec: Value) -> Self {
        self.spec = spec;
        self
    }
}

/// A pod a Kubeflow controller owns.
#[derive(Debug, Clone)]
pub struct PodDef {
    pub name: String,
    pub namespace: String,
    pub labels: Map<String, Value>,
    pub annotations: Map<String, Value>,
    pub containers: Vec<Container>,
    pub inits: Vec<Container>,
    pub created: DateTime<Utc>,
    pub state: PodState,
    /// The main containers' waiting reason and message instead of the state (image pulls).
    pub waiting: Option<(String, String)>,
    /// A previous instance of the first container: (exit code, reason, started, finished).
    pub restarted: Option<(i64, String, DateTime<Utc>, DateTime<Utc>)>,
    pub restart_policy: &'static str,
    pub service_account: String,
    /// The pod's volumes (a mount must name one, or a real API server refuses the pod).
    pub volumes: Vec<Value>,
}

impl PodDef {
    pub fn new(name: &str, namespace: &str, created: DateTime<Utc>, state: PodState) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
            labels: Map::new(),
            annotations: Map::new(),
            containers: Vec::new(),
            inits: Vec::new(),
            created,
            state,
            waiting: None,
            restarted: None,
            restart_policy: "Never",
            service_account: "default-editor".into(),
            volumes: Vec::new(),
        }
    }

    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.labels.insert(k.into(), json!(v));
        self
    }

    pub fn annotate(mut self, k: &str, v: &str) -> Self {
        self.annotations.insert(k.into(), json!(v));
        self
    }

    /// Log profile (`train`, `server`, `jupyter`, …) and, when failing, the last error line.
    pub fn logs(self, profile: &str, error: Option<&str>) -> Self {
        let p = self.annotate(PROFILE_ANNOTATION, profile);
        match error {
            Some(e) => p.annotate(ERROR_ANNOTATION, e),
            None => p,
        }
    }

    /// The pod object, owned by `owner`.
    pub fn build(&self, owner: &Value) -> Value {
        let host = pods::host_for(&self.name);
        let exit = match self.state {
            PodState::Terminated { exit, .. } => exit,
            _ => 0,
        };
        let spec_of = |c: &Container| {
            let mut v = c.spec.clone();
            if !v.is_object() {
                v = json!({});
            }
            if let Some(o) = v.as_object_mut() {
                o.insert("name".into(), json!(c.name));
                o.insert("image".into(), json!(c.image));
                o.entry("imagePullPolicy")
                    .or_insert_with(|| json!("IfNotPresent"));
                o.entry("resources").or_insert_with(|| json!({}));
                o.entry("terminationMessagePath")
                    .or_insert_with(|| json!("/dev/termination-log"));
                o.entry("terminationMessagePolicy")
                    .or_insert_with(|| json!("File"));
            }
            v
        };
        let cs: Vec<(&str, &str, i64)> = self
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.image.as_str(), exit))
            .collect();
        let is: Vec<(&str, &str)> = self
            .inits
            .iter()
            .map(|c| (c.name.as_str(), c.image.as_str()))
            .collect();
        let mut status = pods::pod_status(&self.name, self.created, &cs, &is, &host, self.state);
        if let Some((reason, message)) = &self.waiting
            && let Some(list) = status.get_mut("containerStatuses").and_then(Value::as_array_mut)
        {
            for c in list.iter_mut() {
                c["state"] = json!({"waiting": {"reason": reason, "message": message}});
                c["ready"] = json!(false);
                c["started"] = json!(false);
            }
        }
        if let Some((code, reason, started, finished)) = &self.restarted
            && let Some(first) = status
                .get_mut("containerStatuses")
                .and_then(Value::as_array_mut)
                .and_then(|l| l.first_mut())
        {
            first["restartCount"] = json!(1);
            first["lastState"] = json!({"terminated": {
                "exitCode": code,
                "reason": reason,
                "startedAt": timestamp(*started),
                "finishedAt": timestamp(*finished),
                "containerID": format!("containerd://{:016x}", hash64(&format!("{}/prev", self.name))),
            }});
        }
        let mut pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "uid": uuid_for(&format!("pod/{}/{}/{}", self.namespace, self.name, timestamp(self.created))),
                "creationTimestamp": timestamp(self.created),
                "labels": self.labels,
                "annotations": self.annotations,
                "ownerReferences": [owner_ref(owner)],
            },
            "spec": {
                "initContainers": self.inits.iter().map(spec_of).collect::<Vec<_>>(),
                "containers": self.containers.iter().map(spec_of).collect::<Vec<_>>(),
                "restartPolicy": self.restart_policy,
                "serviceAccountName": self.service_account,
                "nodeName": host,
                "schedulerName": "default-scheduler",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
            },
            "status": status,
        });
        if !self.volumes.is_empty() {
            pod["spec"]["volumes"] = json!(self.volumes);
        }
        pod
    }
}

/// A stable UUID-shaped id for `seed`.
pub fn uuid_for(seed: &str) -> String {
    let a = hash64(seed);
    let b = hash64(&format!("{seed}#2"));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Creates the pod, or brings an existing one's status (and labels) to the desired state.
/// Returns whether it created the pod.
pub fn ensure_pod(store: &Store, pod: Value, now: DateTime<Utc>) -> bool {
    let pods_t = types::pod_type();
    let ns = s(&pod, "/metadata/namespace").to_string();
    let name = s(&pod, "/metadata/name").to_string();
    match store.create(pods_t, &ns, pod.clone(), true, now) {
        Ok(_) => return true,
        Err(e) if e.code == 409 => {}
        Err(e) => {
            tracing::debug!("creating pod {ns}/{name}: {e}");
            return false;
        }
    }
    let result = store.mutate(pods_t, &ns, &name, Part::All, |current| {
        if let Some(o) = current.as_object_mut() {
            o.insert("status".into(), pod.get("status").cloned().unwrap_or(json!({})));
        }
        Ok(())
    });
    if let Err(e) = result {
        tracing::debug!("updating pod {ns}/{name}: {e}");
    }
    false
}

/// Deletes pods matching `selector` in `ns` (ignores what is already gone).
pub fn delete_pods(store: &Store, ns: &str, selector: &str) -> usize {
    let Ok(labels) = crate::sim::selector::LabelSelector::parse(selector) else {
        return 0;
    };
    let filter = Filter {
        namespace: Some(ns.into()),
        labels,
        ..Filter::default()
    };
    store.delete_collection(types::pod_type(), &filter).len()
}

/// Pods in `ns` matching `selector`, as values.
pub fn pods_of(store: &Store, ns: &str, selector: &str) -> Vec<Value> {
    let Ok(labels) = crate::sim::selector::LabelSelector::parse(selector) else {
        return Vec::new();
    };
    let filter = Filter {
        namespace: Some(ns.into()),
        labels,
        ..Filter::default()
    };
    store
        .list(types::pod_type(), &filter, None, None)
        .map(|p| p.items.iter().filter_map(|i| i.value().ok()).collect())
        .unwrap_or_default()
}

/// A ClusterIP Service owned by `owner` (created once), with the proxy backend the sim serves.
/// Returns whether it created the service.
pub fn ensure_service(
    store: &Store,
    owner: &Value,
    name: &str,
    ports: Value,
    selector: Value,
    backend: &str,
    now: DateTime<Utc>,
) -> bool {
    let ns = s(owner, "/metadata/namespace");
    let h = fnv32a(&format!("{ns}/{name}"));
    let svc = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": ns,
            "creationTimestamp": timestamp(created(owner, now)),
            "uid": uuid_for(&format!("svc/{ns}/{name}/{}", s(owner, "/metadata/uid"))),
            "annotations": {BACKEND_ANNOTATION: backend},
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": format!("10.96.{}.{}", h % 250 + 1, (h >> 8) % 250 + 2),
            "ports": ports,
            "selector": selector,
            "sessionAffinity": "None",
        },
        "status": {"loadBalancer": {}},
    });
    match store.create(types::service_type(), ns, svc, true, now) {
        Ok(_) => true,
        Err(e) if e.code == 409 => false,
        Err(e) => {
            tracing::debug!("creating service {ns}/{name}: {e}");
            false
        }
    }
}

/// Annotation on a Service naming what the service proxy answers with (`kfp`, `jupyter`, `kserve`).
pub const BACKEND_ANNOTATION: &str = "sim.kftui.dev/proxy-backend";

/// The phase-like state of a pod a controller planned: pending until `start`, running until
/// `end` (if any), then terminated with `exit`.
pub fn planned_state(
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    exit: i64,
    now: DateTime<Utc>,
) -> PodState {
    match end {
        Some(end) if now >= end => PodState::Terminated {
            since: start,
            at: end,
            exit,
        },
        _ if now >= start => PodState::Running { since: start },
        _ => PodState::Pending,
    }
}

/// When a planned pod next changes state.
pub fn next_change(
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if now < start {
        Some(start)
    } else {
        end.filter(|e| now < *e)
    }
}

/// Creates a child object, or brings an existing one's status to the desired one; the child's
/// controller records the changes of its conditions.
pub fn apply_child(store: &Store, rt: &'static ResourceType, child: Value, now: DateTime<Utc>) {
    let ns = s(&child, "/metadata/namespace").to_string();
    let name = s(&child, "/metadata/name").to_string();
    let before = store.get(rt, &ns, &name).ok().and_then(|o| o.value().ok());
    let result = if before.is_some() {
        Err(ApiError::already_exists(rt, &name))
    } else {
        store.create(rt, &ns, child.clone(), true, now)
    };
    match result {
        Ok(created) => {
            let after = created.value().unwrap_or(child);
            condition_events(store, None, &after, now);
            return;
        }
        Err(e) if e.code == 409 => {}
        Err(e) => {
            tracing::debug!("creating {} {ns}/{name}: {e}", rt.kind);
            return;
        }
    }
    let result = store.mutate(rt, &ns, &name, Part::All, |current| {
        for part in ["spec", "status"] {
            if let (Some(o), Some(v)) = (current.as_object_mut(), child.get(part)) {
                o.insert(part.into(), v.clone());
            }
        }
        Ok(())
    });
    match result.and_then(|o| o.value()) {
        Ok(after) => condition_events(store, before.as_ref(), &after, now),
        Err(e) => tracing::debug!("updating {} {ns}/{name}: {e}", rt.kind),
    }
}
