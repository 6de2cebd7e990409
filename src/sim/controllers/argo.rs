//! A small Argo Workflows engine: interprets a Workflow's `steps`/`dag`/container templates and
//! moves its `status.nodes` forward in time, with Argo's node IDs, pod names and phases.
//!
//! Time is explicit: [`advance`] replays every transition due up to `now` at the instant it was
//! due, so a run seeded to have started an hour ago gets exactly the history it would have had,
//! and a live run moves the same way tick by tick.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::pods;
use crate::sim::rng::hash64;
use crate::sim::store::timestamp;

/// Annotation with the per-step plan of a run (durations, failures), as JSON.
pub const PLAN_ANNOTATION: &str = "sim.kftui.dev/plan";
pub const LABEL_PHASE: &str = "workflows.argoproj.io/phase";
pub const LABEL_COMPLETED: &str = "workflows.argoproj.io/completed";
/// Annotation: nothing is (re)scheduled before this instant (set by a retry).
pub const NOT_BEFORE: &str = "sim.kftui.dev/not-before";

// ---- spec (only what the engine interprets) ----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Spec {
    pub entrypoint: String,
    pub templates: Vec<Template>,
    pub shutdown: Option<String>,
    pub suspend: Option<bool>,
    pub active_deadline_seconds: Option<i64>,
    #[serde(rename = "podGC")]
    pub pod_gc: Option<PodGc>,
    pub service_account_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodGc {
    pub strategy: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Template {
    pub name: String,
    pub steps: Option<Vec<Vec<Step>>>,
    pub dag: Option<Dag>,
    pub container: Option<Value>,
    pub script: Option<Value>,
    pub retry_strategy: Option<RetryStrategy>,
    pub metadata: Value,
    pub outputs: Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Step {
    pub name: String,
    pub template: String,
    #[serde(rename = "templateRef")]
    pub template_ref: Option<TemplateRef>,
}

/// A template of a WorkflowTemplate (`templateRef`): this engine runs none, so a step that uses
/// one ends in Error the way Argo ends one whose WorkflowTemplate is not there.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TemplateRef {
    pub name: String,
    pub template: String,
}

/// The template a step or task runs, as `exec` looks it up (`@NAME` for a WorkflowTemplate's).
fn template_key(template: &str, template_ref: Option<&TemplateRef>) -> String {
    match template_ref.filter(|_| template.is_empty()) {
        Some(r) => format!("@{}", r.name),
        None => template.to_string(),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Dag {
    pub tasks: Vec<Task>,
    pub fail_fast: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Task {
    pub name: String,
    pub template: String,
    #[serde(rename = "templateRef")]
    pub template_ref: Option<TemplateRef>,
    pub dependencies: Vec<String>,
    pub depends: Option<String>,
    pub when: Option<String>,
}

impl Task {
    /// Dependencies from `dependencies` or a simple `depends` expression (`a && b.Succeeded`).
    fn deps(&self) -> Vec<String> {
        let mut deps = self.dependencies.clone();
        if let Some(expr) = &self.depends {
            for part in expr.split("&&").flat_map(|p| p.split("||")) {
                let name = part.trim().trim_matches(|c| c == '(' || c == ')' || c == '!');
                let name = name.split('.').next().unwrap_or("").trim();
                if !name.is_empty() && !deps.iter().any(|d| d == name) {
                    deps.push(name.to_string());
                }
            }
        }
        deps
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RetryStrategy {
    pub limit: Option<Value>,
}

impl RetryStrategy {
    fn limit(&self) -> u32 {
        match &self.limit {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0) as u32,
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        }
    }
}

// ---- plan: how long each step takes and whether it fails ----

/// What the sim decides about one step (by display name).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StepPlan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<i64>,
    /// Exit code of the main container (0 = success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<i64>,
    /// The last line a failing step logs, e.g. `ValueError: …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The first N attempts of a retried step fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_attempts: Option<u32>,
    /// The task's `when` evaluates false (a KFP cache hit): the node is Skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<bool>,
}

/// The plan of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Plan {
    /// Seconds the workflow stays Pending before it starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<i64>,
    pub steps: BTreeMap<String, StepPlan>,
}

struct Timing {
    pending: TimeDelta,
    run: TimeDelta,
}

// ---- status ----

/// One entry of `status.nodes` (unknown fields are kept).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub id: String,
    pub name: String,
    pub display_name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_scope: Option<String>,
    #[serde(default)]
    pub phase: String,
    #[serde(rename = "boundaryID", skip_serializing_if = "Option::is_none")]
    pub boundary_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbound_nodes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_node_name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn done(phase: &str) -> bool {
    matches!(phase, "Succeeded" | "Failed" | "Error" | "Skipped" | "Omitted")
}

fn failed(phase: &str) -> bool {
    matches!(phase, "Failed" | "Error")
}

pub use crate::runs::pod_name::node_id;

/// Argo's v2 pod name: `<wf>-<template>-<fnv32a(node name)>` (the root pod is `<wf>`).
pub fn pod_name(wf: &str, node_name: &str, template: &str) -> String {
    let id = node_id(wf, node_name);
    crate::runs::pod_name::pod_name(
        wf,
        node_name,
        Some(template),
        &id,
        crate::runs::pod_name::PodNameFormat::V2,
    )
}

pub fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Pod changes produced by one [`advance`].
#[derive(Debug, Default)]
pub struct PodChanges {
    /// Desired pod objects by name, and whether each is new.
    pub upserts: BTreeMap<String, (bool, Value)>,
    pub deletes: Vec<String>,
}

/// A pod to write, described; built into an object once, at the end of an advance.
#[derive(Debug, Clone)]
struct PodDesc {
    created: bool,
    node_id: String,
    template: String,
    state: pods::PodState,
    error: Option<String>,
}

/// The pod writes an advance has decided on so far.
#[derive(Debug, Default)]
struct PodPlan {
    upserts: BTreeMap<String, PodDesc>,
    deletes: Vec<String>,
}

impl PodPlan {
    fn upsert(&mut self, name: String, mut desc: PodDesc) {
        desc.created |= self.upserts.get(&name).is_some_and(|d| d.created);
        self.upserts.insert(name, desc);
    }

    fn delete(&mut self, name: String) {
        if self.upserts.remove(&name).is_some_and(|d| d.created) {
            return; // created and gone within one advance: never existed
        }
        self.deletes.push(name);
    }
}

/// The outcome of [`advance`].
#[derive(Debug, Default)]
pub struct Advance {
    pub changed: bool,
    pub pods: PodChanges,
    /// When something will next happen without outside input.
    pub next_due: Option<DateTime<Utc>>,
}

/// Identity of the workflow the pods belong to.
pub struct Owner {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub labels: Map<String, Value>,
    pub service_account: String,
}

struct Engine<'a> {
    owner: &'a Owner,
    spec: &'a Spec,
    plan: &'a Plan,
    nodes: BTreeMap<String, Node>,
    t: DateTime<Utc>,
    schedule: bool,
    /// Whether the run may schedule at all (not suspended, not shut down).
    may_schedule: bool,
    /// No node may start before this instant (the moment a suspended run was resumed).
    schedule_floor: Option<DateTime<Utc>>,
    pods: PodPlan,
    /// Pod nodes created during this advance, whose pods must be created.
    fresh: std::collections::BTreeSet<String>,
    /// Changed in the current pass.
    dirty: bool,
    /// Changed at all during this advance.
    touched: bool,
}

impl<'a> Engine<'a> {
    fn template(&self, name: &str) -> Option<&'a Template> {
        let spec: &'a Spec = self.spec;
        spec.templates.iter().find(|t| t.name == name)
    }

    fn mark(&mut self) {
        self.dirty = true;
        self.touched = true;
    }

    /// The plan of a node: by its path below the workflow (`root.train.executor`, retry
    /// attempts folded), else by its display name.
    fn step_plan(&self, node_name: &str, display: &str) -> Option<&'a StepPlan> {
        let plan: &'a Plan = self.plan;
        let path = node_name
            .strip_prefix(self.owner.name.as_str())
            .and_then(|p| p.strip_prefix('.'))
            .unwrap_or(node_name);
        let path = match path.rsplit_once('(') {
            Some((head, tail)) if tail.ends_with(')') => head,
            _ => path,
        };
        let base = display.split('(').next().unwrap_or(display);
        plan.steps.get(path).or_else(|| plan.steps.get(base))
    }

    fn timing(&self, node_name: &str, display: &str) -> Timing {
        let p = self.step_plan(node_name, display);
        let h = hash64(&format!("{}/{node_name}", self.owner.name));
        let run = p.and_then(|p| p.seconds).unwrap_or(5 + (h % 20) as i64);
        let pending = p.and_then(|p| p.pending).unwrap_or(1 + ((h >> 8) % 3) as i64);
        Timing {
            pending: TimeDelta::seconds(pending.max(0)),
            run: TimeDelta::seconds(run.max(1)),
        }
    }

    fn exit_code(&self, node_name: &str, display: &str) -> (i64, Option<String>) {
        let attempt = match display.split_once('(') {
            Some((_, rest)) => rest.trim_end_matches(')').parse::<u32>().unwrap_or(0),
            None => 0,
        };
        let Some(p) = self.step_plan(node_name, display) else {
            return (0, None);
        };
        let exit = p.exit.unwrap_or(0);
        if p.fail_attempts.is_some_and(|n| attempt < n) {
            return (if exit == 0 { 1 } else { exit }, p.error.clone());
        }
        (exit, p.error.clone())
    }

    fn add_child(&mut self, parent: &str, child: &str) {
        if let Some(p) = self.nodes.get_mut(parent)
            && !p.children.iter().any(|c| c == child)
        {
            p.children.push(child.to_string());
            self.mark();
        }
    }

    /// The node for `name`, created (if scheduling is allowed) under `parents`.
    fn ensure(
        &mut self,
        name: &str,
        display: &str,
        node_type: &str,
        template: Option<&str>,
        boundary: Option<&str>,
        parents: &[String],
    ) -> Option<String> {
        let id = node_id(&self.owner.name, name);
        if self.nodes.contains_key(&id) {
            return Some(id);
        }
        if !self.schedule {
            return None;
        }
        let is_pod = node_type == "Pod";
        let node = Node {
            id: id.clone(),
            name: name.into(),
            display_name: display.into(),
            node_type: node_type.into(),
            template_name: template.map(String::from),
            template_scope: template.map(|_| format!("local/{}", self.owner.name)),
            phase: if is_pod { "Pending" } else { "Running" }.into(),
            boundary_id: boundary.map(String::from),
            started_at: Some(timestamp(self.t)),
            progress: is_pod.then(|| "0/1".into()),
            host_node_name: is_pod.then(|| pods::host_for(&id)),
            ..Node::default()
        };
        self.nodes.insert(id.clone(), node);
        if is_pod {
            self.fresh.insert(id.clone());
        }
        for p in parents {
            self.add_child(p, &id);
        }
        self.mark();
        Some(id)
    }

    fn finish(&mut self, id: &str, phase: &str, at: DateTime<Utc>, message: Option<String>) {
        if let Some(n) = self.nodes.get_mut(id)
            && !done(&n.phase)
        {
            n.phase = phase.into();
            n.finished_at = Some(timestamp(at));
            if message.is_some() {
                n.message = message;
            }
            self.mark();
        }
    }

    fn phase(&self, id: &str) -> String {
        self.nodes.get(id).map(|n| n.phase.clone()).unwrap_or_default()
    }

    /// Runs the template `template` as node `name`; returns the node's id if it exists.
    fn exec(
        &mut self,
        name: &str,
        display: &str,
        template: &str,
        boundary: Option<&str>,
        parents: &[String],
    ) -> Option<String> {
        let Some(tmpl) = self.template(template) else {
            let id = self.ensure(name, display, "Pod", Some(template), boundary, parents)?;
            let message = match template.strip_prefix('@') {
                Some(wt) => format!("workflowtemplates.argoproj.io \"{wt}\" not found"),
                None => format!("templates.{template} not found"),
            };
            self.finish(&id, "Error", self.t, Some(message));
            return Some(id);
        };
        // A finished subtree needs no more work (this keeps replaying long histories cheap).
        if let Some(steps) = tmpl.steps.as_deref() {
            let id = self.ensure(name, display, "Steps", Some(template), boundary, parents)?;
            if !done(&self.phase(&id)) {
                self.exec_steps(&id, name, steps);
            }
            Some(id)
        } else if let Some(dag) = tmpl.dag.as_ref() {
            let id = self.ensure(name, display, "DAG", Some(template), boundary, parents)?;
            if !done(&self.phase(&id)) {
                self.exec_dag(&id, name, dag);
            }
            Some(id)
        } else if let Some(retry) = tmpl.retry_strategy.as_ref().filter(|r| r.limit() > 0) {
            let id = self.ensure(name, display, "Retry", Some(template), boundary, parents)?;
            if !done(&self.phase(&id)) {
                self.exec_retry(&id, name, display, tmpl, retry.limit(), boundary);
            }
            Some(id)
        } else {
            let id = self.ensure(name, display, "Pod", Some(template), boundary, parents)?;
            self.exec_pod(&id, tmpl);
            Some(id)
        }
    }

    fn exec_steps(&mut self, id: &str, name: &str, groups: &[Vec<Step>]) {
        let mut parents = vec![id.to_string()];
        for (i, group) in groups.iter().enumerate() {
            let gname = format!("{name}[{i}]");
            let Some(gid) = self.ensure(&gname, &format!("[{i}]"), "StepGroup", None, Some(id), &parents)
            else {
                return;
            };
            if let Some(g) = self.nodes.get(&gid).filter(|g| g.phase == "Succeeded") {
                parents = g.children.clone();
                continue;
            }
            let mut children = Vec::new();
            for step in group {
                let sname = format!("{gname}.{}", step.name);
                let key = template_key(&step.template, step.template_ref.as_ref());
                if let Some(sid) = self.exec(&sname, &step.name, &key, Some(id), std::slice::from_ref(&gid)) {
                    children.push(sid);
                }
            }
            let phases: Vec<String> = children.iter().map(|c| self.phase(c)).collect();
            if children.len() < group.len() || !phases.iter().all(|p| done(p)) {
                return;
            }
            let bad = children.iter().zip(&phases).find(|(_, p)| failed(p));
            if let Some((child, _)) = bad {
                let msg = format!("child '{child}' failed");
                self.finish(&gid, "Failed", self.t, Some(msg.clone()));
                self.finish(id, "Failed", self.t, Some(msg));
                return;
            }
            self.finish(&gid, "Succeeded", self.t, None);
            parents = children;
        }
        if let Some(n) = self.nodes.get_mut(id)
            && n.outbound_nodes != parents
        {
            n.outbound_nodes = parents;
        }
        self.finish(id, "Succeeded", self.t, None);
    }

    fn exec_dag(&mut self, id: &str, name: &str, dag: &Dag) {
        let fail_fast = dag.fail_fast.unwrap_or(true);
        let mut running = false;
        let mut first_failure: Option<String> = None;
        let mut leaves = Vec::new();
        for task in &dag.tasks {
            let tname = format!("{name}.{}", task.name);
            let tid = node_id(&self.owner.name, &tname);
            let deps: Vec<String> = task
                .deps()
                .iter()
                .map(|d| node_id(&self.owner.name, &format!("{name}.{d}")))
                .collect();
            if !self.nodes.contains_key(&tid) {
                let dep_phases: Vec<String> = deps.iter().map(|d| self.phase(d)).collect();
                if dep_phases.iter().any(|p| failed(p) || p == "Omitted") {
                    continue; // never runs
                }
                let ready = dep_phases.iter().all(|p| p == "Succeeded" || p == "Skipped");
                if !ready || (fail_fast && first_failure.is_some()) {
                    running |= !ready && first_failure.is_none();
                    continue;
                }
                let parents = if deps.is_empty() {
                    vec![id.to_string()]
                } else {
                    deps.clone()
                };
                let skip = task.when.is_some()
                    && self
                        .step_plan(&tname, &task.name)
                        .is_some_and(|p| p.skip == Some(true));
                if skip {
                    let when = task.when.clone().unwrap_or_default();
                    if let Some(sid) = self.ensure(
                        &tname,
                        &task.name,
                        "Skipped",
                        Some(&task.template),
                        Some(id),
                        &parents,
                    ) {
                        self.finish(
                            &sid,
                            "Skipped",
                            self.t,
                            Some(format!("when 'true != true' evaluated false ({when})")),
                        );
                    }
                    if !dag.tasks.iter().any(|t| t.deps().contains(&task.name)) {
                        leaves.push(tid);
                    }
                    continue;
                }
                if self
                    .exec(&tname, &task.name, &task.template, Some(id), &parents)
                    .is_none()
                {
                    running = true; // waiting to be scheduled (suspended)
                    continue;
                }
            } else {
                let key = template_key(&task.template, task.template_ref.as_ref());
                self.exec(&tname, &task.name, &key, Some(id), &[]);
            }
            let phase = self.phase(&tid);
            if failed(&phase) && first_failure.is_none() {
                first_failure = Some(tid.clone());
            }
            running |= !done(&phase);
            if !dag.tasks.iter().any(|t| t.deps().contains(&task.name)) {
                leaves.push(tid);
            }
        }
        if running {
            return;
        }
        if let Some(n) = self.nodes.get_mut(id)
            && n.outbound_nodes != leaves
        {
            n.outbound_nodes = leaves;
        }
        match first_failure {
            Some(child) => self.finish(id, "Failed", self.t, Some(format!("child '{child}' failed"))),
            None => self.finish(id, "Succeeded", self.t, None),
        }
    }

    fn exec_retry(
        &mut self,
        id: &str,
        name: &str,
        display: &str,
        tmpl: &Template,
        limit: u32,
        boundary: Option<&str>,
    ) {
        for attempt in 0..=limit {
            let aname = format!("{name}({attempt})");
            let adisplay = format!("{display}({attempt})");
            let Some(aid) = self.ensure(
                &aname,
                &adisplay,
                "Pod",
                Some(&tmpl.name),
                boundary,
                &[id.to_string()],
            ) else {
                return;
            };
            self.exec_pod(&aid, tmpl);
            let phase = self.phase(&aid);
            if !done(&phase) {
                return;
            }
            if !failed(&phase) {
                self.finish(id, "Succeeded", self.t, None);
                return;
            }
        }
        self.finish(id, "Failed", self.t, Some("No more retries left".into()));
    }

    /// Moves a pod node through Pending → Running → Succeeded/Failed at its due times.
    fn exec_pod(&mut self, id: &str, tmpl: &Template) {
        let fresh = self.fresh.remove(id);
        let Some(node) = self.nodes.get(id) else { return };
        if done(&node.phase) {
            return;
        }
        let Some(started) = parse_time(node.started_at.as_deref()) else {
            return;
        };
        let (node_name, display) = (node.name.clone(), node.display_name.clone());
        let mut phase = node.phase.clone();
        let timing = self.timing(&node_name, &display);
        let run_at = started + timing.pending;
        let end_at = run_at + timing.run;
        let (exit, error) = self.exit_code(&node_name, &display);
        let pod = pod_name(&self.owner.name, &node_name, &tmpl.name);
        let desc = |created, state| PodDesc {
            created,
            node_id: id.to_string(),
            template: tmpl.name.clone(),
            state,
            error: error.clone(),
        };
        if fresh {
            self.pods.upsert(pod.clone(), desc(true, pods::PodState::Pending));
        }
        if phase == "Pending" && self.t >= run_at {
            phase = "Running".into();
            if let Some(n) = self.nodes.get_mut(id) {
                n.phase = phase.clone();
            }
            self.mark();
            self.pods.upsert(
                pod.clone(),
                desc(false, pods::PodState::Running { since: run_at }),
            );
        }
        if phase == "Running" && self.t >= end_at {
            let (new_phase, msg) = if exit == 0 {
                ("Succeeded", None)
            } else {
                ("Failed", Some(format!("Error (exit code {exit})")))
            };
            self.finish(id, new_phase, end_at, msg);
            if let Some(n) = self.nodes.get_mut(id) {
                n.progress = Some("1/1".into());
                let secs = timing.run.num_seconds();
                n.extra.insert(
                    "resourcesDuration".into(),
                    json!({"cpu": secs, "memory": secs * 4}),
                );
                let mut outputs = json!({"exitCode": exit.to_string()});
                let params = output_parameters(tmpl, &self.owner.name, &node_name);
                if exit == 0 && !params.is_empty() {
                    outputs["parameters"] = Value::Array(params);
                }
                n.extra.insert("outputs".into(), outputs);
            }
            let gc = self
                .spec
                .pod_gc
                .as_ref()
                .map(|g| g.strategy.as_str())
                .unwrap_or("");
            if gc == "OnPodCompletion" || (gc == "OnPodSuccess" && exit == 0) {
                self.pods.delete(pod);
            } else {
                let state = pods::PodState::Terminated {
                    since: run_at,
                    at: end_at,
                    exit,
                };
                self.pods.upsert(pod, desc(false, state));
            }
        }
    }

    /// The earliest pending pod transition.
    fn next_due(&self) -> Option<DateTime<Utc>> {
        self.nodes
            .values()
            .filter(|n| n.node_type == "Pod" && !done(&n.phase))
            .filter_map(|n| {
                let started = parse_time(n.started_at.as_deref())?;
                let timing = self.timing(&n.name, &n.display_name);
                let run_at = started + timing.pending;
                Some(if n.phase == "Pending" {
                    run_at
                } else {
                    run_at + timing.run
                })
            })
            .min()
    }

    /// One instant: re-run the tree until nothing changes.
    fn reconcile(&mut self, t: DateTime<Utc>) {
        self.t = t;
        self.schedule = self.may_schedule && self.schedule_floor.is_none_or(|f| t >= f);
        let root = self.owner.name.clone();
        for _ in 0..16 {
            self.dirty = false;
            let before = self.nodes.len();
            self.exec(&root, &root, &self.spec.entrypoint.clone(), None, &[]);
            if !self.dirty && self.nodes.len() == before {
                break;
            }
        }
    }

    /// Stops everything still running at `at` (shutdown or deadline).
    fn terminate(&mut self, at: DateTime<Utc>, node_message: &str) {
        let ids: Vec<String> = self
            .nodes
            .values()
            .filter(|n| !done(&n.phase))
            .map(|n| n.id.clone())
            .collect();
        for id in ids {
            let Some(node) = self.nodes.get(&id).cloned() else {
                continue;
            };
            self.finish(&id, "Failed", at, Some(node_message.to_string()));
            if node.node_type != "Pod" {
                continue;
            }
            let tmpl_name = node.template_name.clone().unwrap_or_default();
            let pod = pod_name(&self.owner.name, &node.name, &tmpl_name);
            let started = parse_time(node.started_at.as_deref()).unwrap_or(at);
            let since = started + self.timing(&node.name, &node.display_name).pending;
            let state = if node.phase == "Running" {
                pods::PodState::Terminated { since, at, exit: 143 }
            } else {
                pods::PodState::Terminated {
                    since: at,
                    at,
                    exit: 143,
                }
            };
            let desc = PodDesc {
                created: false,
                node_id: id.clone(),
                template: tmpl_name,
                state,
                error: None,
            };
            self.pods.upsert(pod, desc);
        }
    }
}

fn owner_of(wf: &Value) -> Owner {
    let s = |p: &str| wf.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    Owner {
        name: s("/metadata/name"),
        namespace: s("/metadata/namespace"),
        uid: s("/metadata/uid"),
        labels: wf
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        service_account: wf
            .pointer("/spec/serviceAccountName")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string(),
    }
}

fn set_label(wf: &mut Value, key: &str, value: &str) {
    if let Some(meta) = wf.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            l.insert(key.into(), Value::String(value.into()));
        }
    }
}

/// Whether a workflow has finished (nothing more will happen to it).
pub fn is_completed(wf: &Value) -> bool {
    matches!(
        wf.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed" | "Error")
    )
}

/// Moves a workflow forward to `now`. The caller stores `wf` and applies the pod changes.
/// The values a finished step writes for the output parameters its template declares: a
/// metric-like name (accuracy, auc, loss, …) gets a plausible number that differs per run.
fn output_parameters(tmpl: &Template, wf: &str, node: &str) -> Vec<Value> {
    let Some(declared) = tmpl.outputs.get("parameters").and_then(Value::as_array) else {
        return Vec::new();
    };
    declared
        .iter()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let h = crate::sim::rng::hash64(&format!("{wf}/{node}/{name}"));
            let unit = (h % 10_000) as f64 / 10_000.0;
            let value = match name {
                "accuracy" | "auc" | "f1" | "precision" | "recall" => format!("{:.4}", 0.80 + unit * 0.19),
                "loss" | "rmse" | "mae" => format!("{:.4}", 0.05 + unit * 0.45),
                "null_fraction" => format!("{:.4}", unit * 0.05),
                "rows" => format!("{}", 100_000 + h % 900_000),
                _ => p
                    .pointer("/valueFrom/default")
                    .or_else(|| p.get("default"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            };
            Some(json!({"name": name, "value": value}))
        })
        .collect()
}

/// The spec a run executes: its own, over the WorkflowTemplate's stored at submission.
fn effective_spec(wf: &Value) -> Option<Value> {
    let own = wf.get("spec").cloned()?;
    match wf.pointer("/status/storedWorkflowTemplateSpec") {
        Some(stored) => {
            let mut spec = stored.clone();
            let mut overlay = own;
            if let Some(o) = overlay.as_object_mut() {
                o.remove("workflowTemplateRef");
                o.remove("arguments");
            }
            crate::sim::patch::merge_patch(&mut spec, &overlay);
            Some(spec)
        }
        None => Some(own),
    }
}

/// The most instants one pass replays for one Workflow (each is a bounded re-run of its tree).
const MAX_INSTANTS: usize = 10_000;

pub fn advance(wf: &mut Value, now: DateTime<Utc>) -> Advance {
    advance_resumed(wf, now, None)
}

/// Like [`advance`], for a run that was seen suspended and has since been resumed at
/// `resumed_at`: nothing that waited for the resume starts before it.
pub fn advance_resumed(wf: &mut Value, now: DateTime<Utc>, resumed_at: Option<DateTime<Utc>>) -> Advance {
    let mut out = Advance::default();
    if is_completed(wf) {
        return out;
    }
    let spec: Spec = effective_spec(wf)
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default();
    let plan: Plan = wf
        .pointer(&format!(
            "/metadata/annotations/{}",
            PLAN_ANNOTATION.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let owner = owner_of(wf);
    let not_before = parse_time(
        wf.pointer(&format!(
            "/metadata/annotations/{}",
            NOT_BEFORE.replace('/', "~1")
        ))
        .and_then(Value::as_str),
    )
    .filter(|t| *t > now - TimeDelta::hours(1));
    let created =
        parse_time(wf.pointer("/metadata/creationTimestamp").and_then(Value::as_str)).unwrap_or(now);
    let phase = wf
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut status = wf.get("status").cloned().unwrap_or_else(|| json!({}));
    let start_at = created + TimeDelta::seconds(plan.pending.unwrap_or(0));
    if phase.is_empty() {
        out.changed = true;
        status["phase"] = json!("Pending");
        status["progress"] = json!("0/0");
    }
    let shutdown = spec.shutdown.clone().filter(|s| !s.is_empty());
    if now < start_at && shutdown.is_none() {
        out.next_due = Some(start_at);
        write_status(wf, status, "Pending", false);
        return out;
    }
    let started = parse_time(status.get("startedAt").and_then(Value::as_str)).unwrap_or(start_at.min(now));
    if status.get("startedAt").is_none() {
        status["startedAt"] = json!(timestamp(started));
        out.changed = true;
    }
    let nodes: BTreeMap<String, Node> = status
        .get("nodes")
        .cloned()
        .and_then(|n| serde_json::from_value(n).ok())
        .unwrap_or_default();
    let mut engine = Engine {
        owner: &owner,
        spec: &spec,
        plan: &plan,
        nodes,
        t: started,
        schedule: false,
        may_schedule: spec.suspend != Some(true) && shutdown.is_none(),
        schedule_floor: resumed_at.max(not_before),
        pods: PodPlan::default(),
        fresh: std::collections::BTreeSet::new(),
        dirty: false,
        touched: false,
    };
    let deadline = spec
        .active_deadline_seconds
        .map(|s| started + TimeDelta::seconds(s.max(0)));
    let limit = deadline.map_or(now, |d| d.min(now));
    let floor = engine
        .nodes
        .values()
        .flat_map(|n| [n.started_at.as_deref(), n.finished_at.as_deref()])
        .filter_map(parse_time)
        .max()
        .unwrap_or(started)
        .max(started)
        .min(limit);
    // Replay the transitions due up to `limit`, one instant at a time. Time only moves forward:
    // a transition already due that a pass did not apply (a node the plan cannot move, as in a
    // Workflow loaded with a status this engine did not write) ends the replay, and so does the
    // cap, so no object can hold the controller.
    let mut t = floor;
    for _ in 0..MAX_INSTANTS {
        engine.reconcile(t);
        match engine.next_due() {
            Some(due) if due <= limit && due > t => t = due,
            _ => break,
        }
    }
    engine.reconcile(limit);
    let root_id = owner.name.clone();
    let root_done = engine.nodes.get(&root_id).is_some_and(|n| done(&n.phase));
    let mut message = None;
    if !root_done {
        if let Some(strategy) = &shutdown {
            engine.terminate(now, &format!("workflow shutdown with strategy: {strategy}"));
            message = Some(format!("Stopped with strategy '{strategy}'"));
        } else if let Some(d) = deadline.filter(|d| *d <= now) {
            engine.terminate(d, "Step exceeded its deadline");
            message = Some("Max duration limit exceeded".to_string());
        }
    }
    let nodes_value = serde_json::to_value(&engine.nodes).unwrap_or_default();
    out.changed |= engine.touched;
    // Only a transition still to come wakes the controller again.
    out.next_due = engine.next_due().filter(|d| *d > now);
    let root = engine.nodes.get(&root_id).cloned();
    let pods_total = engine.nodes.values().filter(|n| n.node_type == "Pod").count();
    let pods_done = engine
        .nodes
        .values()
        .filter(|n| n.node_type == "Pod" && done(&n.phase))
        .count();
    let new_phase = match &root {
        Some(r) if done(&r.phase) => match r.phase.as_str() {
            // The workflow ends as Argo ends it: Error when its own tree errored (a template
            // or WorkflowTemplate that is not there), Failed when a step failed.
            "Error" => "Error",
            p if failed(p) => "Failed",
            _ => "Succeeded",
        },
        _ => "Running",
    };
    if message.is_none() && failed(new_phase) {
        message = root.as_ref().and_then(|r| r.message.clone());
    }
    if let Some(s) = status.as_object_mut() {
        s.insert("nodes".into(), nodes_value);
        s.insert("progress".into(), json!(format!("{pods_done}/{pods_total}")));
        if done(new_phase) {
            let finished = root
                .as_ref()
                .and_then(|r| r.finished_at.clone())
                .unwrap_or_else(|| timestamp(now));
            s.insert("finishedAt".into(), json!(finished));
            s.insert(
                "conditions".into(),
                json!([{"type": "PodRunning", "status": "False"}, {"type": "Completed", "status": "True"}]),
            );
            let cpu: i64 = engine
                .nodes
                .values()
                .filter_map(|n| n.extra.get("resourcesDuration")?.get("cpu")?.as_i64())
                .sum();
            s.insert("resourcesDuration".into(), json!({"cpu": cpu, "memory": cpu * 4}));
        } else {
            s.remove("finishedAt");
            let running = engine
                .nodes
                .values()
                .any(|n| n.node_type == "Pod" && n.phase == "Running");
            s.insert(
                "conditions".into(),
                json!([{"type": "PodRunning", "status": if running { "True" } else { "False" }}]),
            );
        }
        match message {
            Some(m) => s.insert("message".into(), json!(m)),
            None => s.remove("message"),
        };
        if new_phase == "Succeeded"
            && matches!(
                spec.pod_gc.as_ref().map(|g| g.strategy.as_str()),
                Some("OnWorkflowSuccess")
            )
        {
            for n in engine.nodes.values().filter(|n| n.node_type == "Pod") {
                let tmpl = n.template_name.clone().unwrap_or_default();
                engine.pods.delete(pod_name(&owner.name, &n.name, &tmpl));
            }
        }
    }
    if phase != new_phase {
        out.changed = true;
    }
    out.pods = build_pods(&engine, &owner);
    write_status(wf, status, new_phase, done(new_phase));
    out
}

/// Turns the pod plan into pod objects (each built once, in its final state).
fn build_pods(engine: &Engine<'_>, owner: &Owner) -> PodChanges {
    let mut out = PodChanges {
        deletes: engine.pods.deletes.clone(),
        ..PodChanges::default()
    };
    for (name, d) in &engine.pods.upserts {
        let (Some(node), Some(tmpl)) = (engine.nodes.get(&d.node_id), engine.template(&d.template)) else {
            continue;
        };
        let pod = pods::argo_pod(owner, node, tmpl, name, d.state, d.error.as_deref());
        out.upserts.insert(name.clone(), (d.created, pod));
    }
    out
}

fn write_status(wf: &mut Value, mut status: Value, phase: &str, completed: bool) {
    status["phase"] = json!(phase);
    if let Some(o) = wf.as_object_mut() {
        o.insert("status".into(), status);
    }
    set_label(wf, LABEL_PHASE, phase);
    set_label(wf, LABEL_COMPLETED, if completed { "true" } else { "false" });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_match_argo_fixtures() {
        // From argoproj.io_workflow_status_steps-stepgroup-retry-running.yaml.
        assert_eq!(
            node_id("failed-retries-tjjsc", "failed-retries-tjjsc[0].fail"),
            "failed-retries-tjjsc-20069324"
        );
        assert_eq!(
            node_id("failed-retries-tjjsc", "failed-retries-tjjsc[0].fail(1)"),
            "failed-retries-tjjsc-759866442"
        );
        assert_eq!(node_id("wf", "wf"), "wf");
        assert_eq!(
            pod_name("failed-retries-tjjsc", "failed-retries-tjjsc[0].fail(1)", "fail"),
            "failed-retries-tjjsc-fail-759866442"
        );
    }

    fn wf(plan: Value, spec: Value, created: DateTime<Utc>) -> Value {
        json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": "wf", "namespace": "ns", "uid": "u", "creationTimestamp": timestamp(created),
                "annotations": {PLAN_ANNOTATION: plan.to_string()}},
            "spec": spec,
        })
    }

    fn steps_spec() -> Value {
        json!({"entrypoint": "main", "templates": [
            {"name": "main", "steps": [[{"name": "prep", "template": "prep"}], [{"name": "train", "template": "train"}, {"name": "eval", "template": "eval"}]]},
            {"name": "prep", "container": {"image": "python:3.11"}},
            {"name": "train", "container": {"image": "python:3.11"}},
            {"name": "eval", "container": {"image": "python:3.11"}}]})
    }

    #[test]
    fn steps_run_in_order_and_finish() {
        let t0 = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let plan = json!({"steps": {"prep": {"seconds": 10, "pending": 1}, "train": {"seconds": 20, "pending": 1}, "eval": {"seconds": 5, "pending": 1}}});
        let mut w = wf(plan, steps_spec(), t0);
        let a = advance(&mut w, t0 + TimeDelta::seconds(5));
        assert!(a.changed);
        assert_eq!(w["status"]["phase"], "Running");
        assert_eq!(w["status"]["progress"], "0/1");
        assert_eq!(a.pods.upserts.len(), 1);
        assert_eq!(a.next_due, Some(t0 + TimeDelta::seconds(11)));
        let a = advance(&mut w, t0 + TimeDelta::seconds(14));
        assert_eq!(w["status"]["progress"], "1/3");
        assert_eq!(a.pods.upserts.values().filter(|(new, _)| *new).count(), 2);
        let prep_id = node_id("wf", "wf[0].prep");
        assert_eq!(w["status"]["nodes"][&prep_id]["phase"], "Succeeded");
        assert_eq!(
            w["status"]["nodes"][&prep_id]["finishedAt"],
            "2024-01-01T00:00:11Z"
        );
        let _ = advance(&mut w, t0 + TimeDelta::seconds(100));
        assert_eq!(w["status"]["phase"], "Succeeded");
        assert_eq!(w["status"]["progress"], "3/3");
        assert_eq!(w["status"]["finishedAt"], "2024-01-01T00:00:32Z");
        assert_eq!(w["metadata"]["labels"][LABEL_COMPLETED], "true");
    }

    #[test]
    fn failures_stop_the_run_and_shutdown_terminates() {
        let t0 = Utc::now() - TimeDelta::seconds(1000);
        let plan =
            json!({"steps": {"prep": {"seconds": 3, "pending": 0, "exit": 2, "error": "ValueError: bad"}}});
        let mut w = wf(plan, steps_spec(), t0);
        let _ = advance(&mut w, Utc::now());
        assert_eq!(w["status"]["phase"], "Failed");
        assert_eq!(w["status"]["progress"], "1/1");
        let prep = node_id("wf", "wf[0].prep");
        assert_eq!(w["status"]["message"], format!("child '{prep}' failed"));
        assert_eq!(w["status"]["nodes"][&prep]["message"], "Error (exit code 2)");

        let mut w = wf(
            json!({"steps": {"prep": {"seconds": 500}}}),
            steps_spec(),
            Utc::now() - TimeDelta::seconds(20),
        );
        let _ = advance(&mut w, Utc::now());
        assert_eq!(w["status"]["phase"], "Running");
        w["spec"]["shutdown"] = json!("Terminate");
        let a = advance(&mut w, Utc::now());
        assert_eq!(w["status"]["phase"], "Failed");
        assert_eq!(w["status"]["message"], "Stopped with strategy 'Terminate'");
        assert_eq!(a.pods.upserts.len(), 1);
    }

    #[test]
    fn dag_and_retries() {
        let spec = json!({"entrypoint": "main", "templates": [
            {"name": "main", "dag": {"tasks": [
                {"name": "a", "template": "flaky"},
                {"name": "b", "template": "work", "dependencies": ["a"]},
                {"name": "c", "template": "work", "depends": "a"},
                {"name": "d", "template": "work", "depends": "b && c"}]}},
            {"name": "flaky", "retryStrategy": {"limit": 2}, "container": {"image": "x"}},
            {"name": "work", "container": {"image": "x"}}]});
        let plan = json!({"steps": {"a": {"seconds": 2, "pending": 0, "failAttempts": 1}}});
        let mut w = wf(plan, spec, Utc::now() - TimeDelta::seconds(3600));
        let _ = advance(&mut w, Utc::now());
        assert_eq!(w["status"]["phase"], "Succeeded");
        let nodes = &w["status"]["nodes"];
        assert_eq!(nodes[node_id("wf", "wf.a")]["type"], "Retry");
        assert_eq!(nodes[node_id("wf", "wf.a(0)")]["phase"], "Failed");
        assert_eq!(nodes[node_id("wf", "wf.a(1)")]["phase"], "Succeeded");
        let b = node_id("wf", "wf.b");
        let d = node_id("wf", "wf.d");
        assert!(
            nodes[&b]["children"]
                .as_array()
                .is_some_and(|c| c.contains(&json!(d)))
        );
        assert_eq!(w["status"]["progress"], "5/5");
    }

    #[test]
    fn a_step_whose_workflowtemplate_is_not_there_errors_as_argo_says() {
        let created = Utc::now() - TimeDelta::minutes(10);
        let mut w = json!({
            "metadata": {"name": "ref", "namespace": "ns", "uid": "u", "creationTimestamp": timestamp(created)},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[
                {"name": "step-1", "templateRef": {"name": "workflow-template-whalesay-template", "template": "main"}}
            ]]}]},
        });
        let _ = advance(&mut w, Utc::now());
        let nodes = w["status"]["nodes"].as_object().unwrap();
        let step = nodes.values().find(|n| n["displayName"] == "step-1").unwrap();
        assert_eq!(step["phase"], "Error");
        assert_eq!(
            step["message"],
            "workflowtemplates.argoproj.io \"workflow-template-whalesay-template\" not found"
        );
        assert!(is_completed(&w), "{}", w["status"]);
    }

    #[test]
    fn suspended_runs_do_not_schedule() {
        let plan = json!({"steps": {"prep": {"seconds": 2, "pending": 0}}});
        let mut w = wf(plan, steps_spec(), Utc::now() - TimeDelta::seconds(60));
        w["spec"]["suspend"] = json!(true);
        let _ = advance(&mut w, Utc::now());
        assert_eq!(w["status"]["phase"], "Running");
        assert_eq!(w["status"]["progress"], "0/0");
        w["spec"]["suspend"] = Value::Null;
        let resumed = Utc::now();
        let _ = advance_resumed(&mut w, resumed, Some(resumed));
        assert_eq!(w["status"]["progress"], "0/1");
        let prep = node_id("wf", "wf[0].prep");
        assert_eq!(w["status"]["nodes"][&prep]["startedAt"], timestamp(resumed));
    }
}
