//! The workflow controller: on every tick, moves each unfinished Workflow forward with the
//! [`argo`](super::argo) engine, writes its status, and creates/updates/deletes its pods. It
//! also starts a new demo run every 30–60 s so the Runs list stays alive.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::argo::{self, LABEL_COMPLETED, PodChanges};
use crate::sim::error::ApiError;
use crate::sim::events::{self, Involved, Occurrence};
use crate::sim::rng::Rng;
use crate::sim::seed;
use crate::sim::selector::LabelSelector;
use crate::sim::store::{Filter, Part, Store};
use crate::sim::types;

/// Label of the benchmark runs `--scale` seeds.
const BENCH_LABEL: &str = "kftui.dev/bench";

/// What the controller remembers of a workflow so unchanged ones are not re-read every tick.
#[derive(Debug, Clone, Copy)]
struct Memo {
    rv: u64,
    next_due: Option<DateTime<Utc>>,
    /// Seen with `spec.suspend: true`; a later tick without it is the resume.
    suspended: bool,
}

/// The controller state between ticks.
pub struct WorkflowController {
    store: Arc<Store>,
    memo: HashMap<(String, String), Memo>,
    rng: Rng,
    next_spawn: Option<DateTime<Utc>>,
    spawn: bool,
}

impl WorkflowController {
    /// `spawn`: whether new demo runs keep arriving.
    pub fn new(store: Arc<Store>, seed: u64, spawn: bool) -> Self {
        Self {
            store,
            memo: HashMap::new(),
            rng: Rng::derive(seed, "spawner"),
            next_spawn: None,
            spawn,
        }
    }

    /// One pass over the unfinished workflows.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        self.maybe_spawn(now);
        let wf_type = types::workflow_type();
        let filter = Filter {
            labels: LabelSelector::parse(&format!("{LABEL_COMPLETED}!=true")).unwrap_or_default(),
            ..Filter::default()
        };
        let metas = self.store.metas(wf_type, &filter);
        let mut seen = HashMap::with_capacity(metas.len());
        for meta in metas {
            let key = (meta.namespace.clone(), meta.name.clone());
            let memo = self.memo.get(&key).copied();
            let fresh = memo.is_some_and(|m| m.rv == meta.rv && m.next_due.is_none_or(|d| d > now));
            if fresh {
                if let Some(m) = memo {
                    seen.insert(key, m);
                }
                continue;
            }
            let was_suspended = memo.is_some_and(|m| m.suspended);
            // A live demo run met for the first time reports what it did so far (seeded runs
            // are met at start); benchmark history does not.
            let replay = memo.is_none() && !meta.labels.contains_key(BENCH_LABEL);
            match self.reconcile(&meta.namespace, &meta.name, now, was_suspended, replay) {
                Ok(m) => {
                    seen.insert(key, m);
                }
                Err(e) => tracing::debug!("workflow {}/{}: {}", meta.namespace, meta.name, e),
            }
        }
        self.memo = seen;
    }

    fn reconcile(
        &self,
        ns: &str,
        name: &str,
        now: DateTime<Utc>,
        was_suspended: bool,
        replay: bool,
    ) -> Result<Memo, ApiError> {
        let wf_type = types::workflow_type();
        let stored = self.store.get(wf_type, ns, name)?;
        let mut wf = stored.value()?;
        let resolved = resolve_template_ref(&self.store, ns, &mut wf);
        let suspended = wf.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
        let resumed_at = (was_suspended && !suspended).then_some(now);
        let before = if replay { BTreeMap::new() } else { phases(&wf) };
        let mut outcome = argo::advance_resumed(&mut wf, now, resumed_at);
        outcome.changed |= resolved;
        // The pods first: a step's pod has ended (the kubelet said so) before Argo's controller
        // marks its node, and the run, done.
        apply_pods(&self.store, ns, std::mem::take(&mut outcome.pods), now);
        let events = if outcome.changed || replay {
            transitions(&before, &wf)
        } else {
            Vec::new()
        };
        let rv = if outcome.changed {
            self.store
                .replace(wf_type, ns, name, wf, Some(stored.meta.rv), Part::All)?
                .meta
                .rv
        } else {
            stored.meta.rv
        };
        if !events.is_empty() {
            let wf_ref = Involved {
                api_version: "argoproj.io/v1alpha1".into(),
                kind: "Workflow".into(),
                name: name.into(),
                namespace: ns.into(),
                uid: stored.meta.uid.clone(),
                field_path: String::new(),
            };
            for (reason, kind, message, at) in events {
                let at = argo::parse_time(Some(&at)).unwrap_or(now);
                let occ = if kind == "Warning" {
                    Occurrence::warning(reason, message, "workflow-controller", at)
                } else {
                    Occurrence::normal(reason, message, "workflow-controller", at)
                };
                events::record(&self.store, &wf_ref, &occ);
            }
        }
        Ok(Memo {
            rv,
            next_due: outcome.next_due,
            suspended,
        })
    }

    fn maybe_spawn(&mut self, now: DateTime<Utc>) {
        if !self.spawn {
            return;
        }
        let due = *self
            .next_spawn
            .get_or_insert_with(|| now + TimeDelta::seconds(self.rng.range(30, 60) as i64));
        if now < due {
            return;
        }
        self.next_spawn = Some(now + TimeDelta::seconds(self.rng.range(30, 60) as i64));
        let mut wf = seed::live_run(&mut self.rng, now);
        let ns = wf
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(m) = wf.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("uid");
            m.remove("creationTimestamp");
        }
        if let Err(e) = self.store.create(types::workflow_type(), &ns, wf, false, now) {
            tracing::debug!("spawning a demo run failed: {e}");
        }
    }
}

/// The workflow phase and each pod node's (name, phase), keyed by node id ("" = workflow).
fn phases(wf: &Value) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let status = wf.get("status").cloned().unwrap_or(Value::Null);
    out.insert(String::new(), (String::new(), s(&status, "phase")));
    if let Some(nodes) = status.get("nodes").and_then(Value::as_object) {
        for (id, n) in nodes
            .iter()
            .filter(|(_, n)| n.get("type").and_then(Value::as_str) == Some("Pod"))
        {
            out.insert(id.clone(), (s(n, "name"), s(n, "phase")));
        }
    }
    out
}

type EventSpec = (&'static str, &'static str, String, String);

/// The events Argo's controller emits for what changed between two states of a run.
fn transitions(before: &BTreeMap<String, (String, String)>, wf: &Value) -> Vec<EventSpec> {
    let after = phases(wf);
    let now = crate::sim::store::timestamp(Utc::now());
    let message = wf
        .pointer("/status/message")
        .and_then(Value::as_str)
        .unwrap_or("");
    let run_at = |field: &str| {
        wf.pointer(&format!("/status/{field}"))
            .and_then(Value::as_str)
            .unwrap_or(&now)
            .to_string()
    };
    let mut out = Vec::new();
    for (id, (name, phase)) in &after {
        if before.get(id).is_some_and(|(_, p)| p == phase) {
            continue;
        }
        let node_at = |field: &str| {
            wf.pointer(&format!("/status/nodes/{id}/{field}"))
                .and_then(Value::as_str)
                .unwrap_or(&now)
                .to_string()
        };
        let event = match (id.is_empty(), phase.as_str()) {
            (true, "Running") => (
                "WorkflowRunning",
                "Normal",
                "Workflow Running".to_string(),
                run_at("startedAt"),
            ),
            (true, "Succeeded") => (
                "WorkflowSucceeded",
                "Normal",
                "Workflow completed".to_string(),
                run_at("finishedAt"),
            ),
            (true, "Failed" | "Error") => (
                "WorkflowFailed",
                "Warning",
                message.to_string(),
                run_at("finishedAt"),
            ),
            (false, "Running") => (
                "WorkflowNodeRunning",
                "Normal",
                format!("Running node {name}"),
                node_at("startedAt"),
            ),
            (false, "Succeeded") => (
                "WorkflowNodeSucceeded",
                "Normal",
                format!("Succeeded node {name}"),
                node_at("finishedAt"),
            ),
            (false, "Failed" | "Error") => {
                let why = wf
                    .pointer(&format!("/status/nodes/{id}/message"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                (
                    "WorkflowNodeFailed",
                    "Warning",
                    format!("Failed node {name}: {why}"),
                    node_at("finishedAt"),
                )
            }
            _ => continue,
        };
        out.push(event);
    }
    out
}

/// Applies the engine's pod changes: create new pods, update the status of existing ones
/// (keeping what users changed elsewhere), delete garbage-collected ones.
pub fn apply_pods(store: &Store, ns: &str, changes: PodChanges, now: DateTime<Utc>) {
    let pods = types::pod_type();
    for (name, (created, desired)) in changes.upserts {
        if created {
            match store.create(pods, ns, desired.clone(), true, now) {
                Ok(_) => continue,
                Err(e) if e.code == 409 => {}
                Err(e) => {
                    tracing::debug!("creating pod {ns}/{name}: {e}");
                    continue;
                }
            }
        }
        let result = store.mutate(pods, ns, &name, Part::All, |pod| {
            if let Some(o) = pod.as_object_mut() {
                o.insert(
                    "status".into(),
                    desired.get("status").cloned().unwrap_or(json!({})),
                );
            }
            let completed = desired
                .pointer("/metadata/labels/workflows.argoproj.io~1completed")
                .cloned()
                .unwrap_or(json!("false"));
            if let Some(labels) = pod.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
                labels.insert(LABEL_COMPLETED.into(), completed);
            }
            Ok(())
        });
        if let Err(e) = result
            .map(|_| ())
            .or_else(|e| if e.code == 404 { Ok(()) } else { Err(e) })
        {
            tracing::debug!("updating pod {ns}/{name}: {e}");
        }
    }
    for name in changes.deletes {
        let _ = store.delete(pods, ns, &name);
    }
}

/// Argo's `spec.workflowTemplateRef`: the (Cluster)WorkflowTemplate's spec is stored in
/// `status.storedWorkflowTemplateSpec` once, with the run's own arguments over the template's,
/// and the run executes that. A missing template fails the run with Argo's message.
/// Returns whether the Workflow changed.
fn resolve_template_ref(store: &Store, ns: &str, wf: &mut Value) -> bool {
    let Some(tref) = wf.pointer("/spec/workflowTemplateRef").cloned() else {
        return false;
    };
    if wf.pointer("/status/storedWorkflowTemplateSpec").is_some()
        || wf.pointer("/status/phase").is_some_and(|p| p == "Error")
    {
        return false;
    }
    let name = tref.get("name").and_then(Value::as_str).unwrap_or("");
    let cluster = tref.get("clusterScope").and_then(Value::as_bool) == Some(true);
    let (plural, scope_ns) = if cluster {
        ("clusterworkflowtemplates", "")
    } else {
        ("workflowtemplates", ns)
    };
    let template = types::find("argoproj.io", plural)
        .and_then(|t| store.get(t, scope_ns, name).ok())
        .and_then(|o| o.value().ok());
    let Some(template) = template else {
        let now = crate::sim::store::timestamp(Utc::now());
        wf["status"] = json!({
            "phase": "Error",
            "startedAt": now,
            "finishedAt": now,
            "progress": "0/0",
            "message": format!("{plural}.argoproj.io \"{name}\" not found"),
        });
        wf["metadata"]["labels"][LABEL_COMPLETED] = json!("true");
        wf["metadata"]["labels"]["workflows.argoproj.io/phase"] = json!("Error");
        return true;
    };
    let mut spec = template.get("spec").cloned().unwrap_or_else(|| json!({}));
    let theirs = argo_parameters(&spec);
    let ours = argo_parameters(wf.get("spec").unwrap_or(&Value::Null));
    let merged: Vec<Value> = theirs
        .iter()
        .map(|(k, v)| {
            let value = ours.iter().find(|(o, _)| o == k).map_or(v, |(_, ov)| ov);
            json!({"name": k, "value": value})
        })
        .chain(
            ours.iter()
                .filter(|(k, _)| !theirs.iter().any(|(t, _)| t == k))
                .map(|(k, v)| json!({"name": k, "value": v})),
        )
        .collect();
    spec["arguments"]["parameters"] = Value::Array(merged);
    if let Some(entry) = wf.pointer("/spec/entrypoint").cloned() {
        spec["entrypoint"] = entry;
    }
    wf["status"]["storedWorkflowTemplateSpec"] = spec;
    true
}

fn argo_parameters(spec: &Value) -> Vec<(String, Value)> {
    spec.pointer("/arguments/parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    Some((
                        p.get("name")?.as_str()?.to_string(),
                        p.get("value").cloned().unwrap_or(Value::Null),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}
