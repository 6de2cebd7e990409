//! From raw Argo nodes to the task graph: classify each node, fold KFP drivers/executors and
//! Retry attempts into tasks, contract structure (DAG, Steps, StepGroup, TaskGroup) into edges
//! and nesting, then order everything for display.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::model::{
    Attempt, GraphError, GraphNode, Group, GroupKind, Io, Item, KfpTask, NodeType, Phase, RunGraph,
};
use super::pod_name::{POD_NAME_FORMAT_ANNOTATION, PodNameFormat, node_id, pod_name};
use super::raw::{RawNode, last_segment, node_map, parse_node, str_field, time_field};
use crate::text::sanitized;

/// Template annotation KFP puts on driver and launcher templates.
const RUNTIME_ROLE: &str = "pipelines.kubeflow.org/runtime-role";

/// Parameters KFP passes between its own templates; not the user's inputs or outputs.
const KFP_INTERNAL_PARAMS: &[&str] = &[
    "pod-spec-patch",
    "cached-decision",
    "condition",
    "component",
    "task",
    "container",
    "task-name",
    "parent-dag-id",
    "iteration-index",
    "kubernetes-config",
    "runtime-config",
    "driver-type",
    "execution-id",
    "iteration-count",
];

/// The part a node plays in a KFP v2 task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kfp {
    /// `system-container-driver` / `system-dag-driver` pods.
    Driver,
    /// `system-container-executor`: the DAG wrapping the executor pod.
    Executor,
    /// `system-container-impl`: the pod running the user's code.
    Impl,
}

/// What a raw node becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Flows through: edges pass it by.
    Transparent,
    /// A group (index into the group list); edges pass it by too.
    Group(usize),
    /// Part of a task (index into the unit list).
    Member(usize),
}

/// The workflow-wide facts folding needs.
struct Ctx<'a> {
    workflow: String,
    pod_names: PodNameFormat,
    templates: HashMap<&'a str, &'a Value>,
}

impl<'a> Ctx<'a> {
    fn new(wf: &'a Value, workflow: String) -> Ctx<'a> {
        let annotation = wf
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(POD_NAME_FORMAT_ANNOTATION))
            .and_then(Value::as_str);
        let mut templates = HashMap::new();
        let lists = [
            wf.pointer("/spec/templates"),
            wf.pointer("/status/storedWorkflowTemplateSpec/templates"),
        ];
        for t in lists.into_iter().flatten().filter_map(Value::as_array).flatten() {
            if let Some(name) = t.get("name").and_then(Value::as_str) {
                templates.entry(name).or_insert(t);
            }
        }
        if let Some(stored) = wf.pointer("/status/storedTemplates").and_then(Value::as_object) {
            for t in stored.values() {
                if let Some(name) = t.get("name").and_then(Value::as_str) {
                    templates.entry(name).or_insert(t);
                }
            }
        }
        Ctx {
            workflow,
            pod_names: PodNameFormat::from_annotation(annotation),
            templates,
        }
    }

    fn template(&self, name: Option<&str>) -> Option<&'a Value> {
        name.and_then(|n| self.templates.get(n).copied())
    }

    /// The pod name of a raw node, for node types that have pods.
    fn pod_of(&self, n: &RawNode) -> Option<String> {
        (n.node_type == NodeType::Pod).then(|| {
            pod_name(
                &self.workflow,
                &n.name,
                n.template.as_deref(),
                &n.id,
                self.pod_names,
            )
        })
    }
}

/// The raw node graph with lookups.
struct RawGraph {
    nodes: Vec<RawNode>,
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    parents: Vec<Vec<usize>>,
}

impl RawGraph {
    fn new(nodes: Vec<RawNode>) -> RawGraph {
        let by_id: HashMap<String, usize> =
            nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect();
        let by_name = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let children: Vec<Vec<usize>> = nodes
            .iter()
            .map(|n| n.children.iter().filter_map(|c| by_id.get(c).copied()).collect())
            .collect();
        let mut parents = vec![Vec::new(); nodes.len()];
        for (p, cs) in children.iter().enumerate() {
            for &c in cs {
                parents[c].push(p);
            }
        }
        RawGraph {
            nodes,
            by_id,
            by_name,
            children,
            parents,
        }
    }
}

/// A task being assembled: its key (the task-level node name) and its raw members.
struct Unit {
    key: String,
    members: Vec<usize>,
}

/// Builds the graph of a Workflow object.
pub(crate) fn build(wf: &Value) -> Result<RunGraph, GraphError> {
    let workflow = wf
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(GraphError::NotAWorkflow)?
        .to_string();
    let status = wf.get("status");
    let (map, from_compressed) = node_map(status)?;
    let mut graph = RunGraph {
        workflow: workflow.clone(),
        uid: wf
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        phase: Phase::from_argo(
            status
                .and_then(|s| s.get("phase"))
                .and_then(Value::as_str)
                .unwrap_or(""),
        ),
        message: status
            .and_then(|s| str_field(s, "message"))
            .map(|m| sanitized(&m)),
        started_at: status.and_then(|s| time_field(s, "startedAt")),
        finished_at: status.and_then(|s| time_field(s, "finishedAt")),
        offload_version: status.and_then(|s| str_field(s, "offloadNodeStatusVersion")),
        from_compressed,
        ..RunGraph::default()
    };
    let Some(map) = map else {
        return Ok(graph);
    };
    let ctx = Ctx::new(wf, workflow);
    let rg = RawGraph::new(map.iter().map(|(k, v)| parse_node(k, v)).collect());
    Builder::new(&ctx, &rg).finish(&mut graph);
    Ok(graph)
}

/// Folding state.
struct Builder<'a> {
    ctx: &'a Ctx<'a>,
    rg: &'a RawGraph,
    roles: Vec<Option<Kfp>>,
    class: Vec<Class>,
    units: Vec<Unit>,
    /// Raw index of each group.
    group_raw: Vec<usize>,
    /// The absorbed KFP DAG driver of each group.
    group_driver: Vec<Option<usize>>,
}

impl<'a> Builder<'a> {
    fn new(ctx: &'a Ctx<'a>, rg: &'a RawGraph) -> Builder<'a> {
        let n = rg.nodes.len();
        let mut b = Builder {
            ctx,
            rg,
            roles: vec![None; n],
            class: vec![Class::Transparent; n],
            units: Vec::new(),
            group_raw: Vec::new(),
            group_driver: Vec::new(),
        };
        b.roles = (0..n).map(|i| b.kfp_role(i)).collect();
        b.classify();
        b
    }

    /// The KFP part a node plays, from its template's name or its runtime-role annotation.
    fn kfp_role(&self, i: usize) -> Option<Kfp> {
        let n = &self.rg.nodes[i];
        if let Some(role) = self.template_role(n.template.as_deref()) {
            return Some(role);
        }
        if n.node_type == NodeType::Retry {
            let first = self.rg.children[i].first()?;
            return self.template_role(self.rg.nodes[*first].template.as_deref());
        }
        None
    }

    fn template_role(&self, template: Option<&str>) -> Option<Kfp> {
        let t = template?;
        match base_template(t) {
            "system-container-driver" | "system-dag-driver" => return Some(Kfp::Driver),
            "system-container-executor" => return Some(Kfp::Executor),
            "system-container-impl" => return Some(Kfp::Impl),
            _ => {}
        }
        let role = self
            .ctx
            .template(Some(t))?
            .pointer("/metadata/annotations")?
            .get(RUNTIME_ROLE)?;
        match role.as_str()? {
            "driver" => Some(Kfp::Driver),
            "launcher" => Some(Kfp::Impl),
            _ => None,
        }
    }

    /// A Retry whose attempts are DAGs or steps: structure, not a task.
    fn retry_is_structure(&self, i: usize) -> bool {
        let cs = &self.rg.children[i];
        if cs.is_empty() {
            let t = self.ctx.template(self.rg.nodes[i].template.as_deref());
            return t.is_some_and(|t| t.get("dag").is_some() || t.get("steps").is_some());
        }
        cs.iter().any(|&c| self.rg.nodes[c].node_type.is_structure())
    }

    fn classify(&mut self) {
        let mut keys: HashMap<String, usize> = HashMap::new();
        for i in 0..self.rg.nodes.len() {
            let class = match self.unit_key(i) {
                KeyOf::Unit(key) => {
                    let next = self.units.len();
                    let u = *keys.entry(key.clone()).or_insert(next);
                    if u == next {
                        self.units.push(Unit {
                            key,
                            members: Vec::new(),
                        });
                    }
                    self.units[u].members.push(i);
                    Class::Member(u)
                }
                KeyOf::Group => self.new_group(i),
                KeyOf::Transparent => Class::Transparent,
            };
            self.class[i] = class;
        }
        // KFP DAG drivers hang on the group they start; groups exist only after the pass above.
        for i in 0..self.rg.nodes.len() {
            if let Some(g) = self.absorbing_group(i) {
                let newer = self.group_driver[g].is_none_or(|d| later(&self.rg.nodes[i], &self.rg.nodes[d]));
                if newer && self.rg.nodes[i].node_type != NodeType::Retry {
                    self.group_driver[g] = Some(i);
                }
            }
        }
    }

    fn new_group(&mut self, i: usize) -> Class {
        self.group_raw.push(i);
        self.group_driver.push(None);
        Class::Group(self.group_raw.len() - 1)
    }

    /// For a KFP driver whose task is a group (a sub-DAG), that group.
    fn absorbing_group(&self, i: usize) -> Option<usize> {
        if self.roles[i] != Some(Kfp::Driver) {
            return None;
        }
        let key = driver_key(&self.rg.nodes[i].name);
        let j = *self.rg.by_name.get(key)?;
        match self.class[j] {
            Class::Group(g) if self.roles[j].is_none() => Some(g),
            _ => None,
        }
    }

    fn unit_key(&self, i: usize) -> KeyOf {
        let n = &self.rg.nodes[i];
        match self.roles[i] {
            Some(Kfp::Driver) => {
                let key = driver_key(&n.name);
                let absorbed = self.rg.by_name.get(key).is_some_and(|&j| {
                    let t = self.rg.nodes[j].node_type;
                    self.roles[j].is_none() && t.is_structure()
                });
                return if absorbed {
                    KeyOf::Transparent
                } else {
                    KeyOf::Unit(key.to_string())
                };
            }
            Some(Kfp::Executor) => return KeyOf::Unit(strip_attempt(&n.name).to_string()),
            Some(Kfp::Impl) => return KeyOf::Unit(self.impl_key(i)),
            None => {}
        }
        match n.node_type {
            t if t.is_structure() => KeyOf::Group,
            NodeType::Retry if self.retry_is_structure(i) => KeyOf::Transparent,
            NodeType::Retry => KeyOf::Unit(n.name.clone()),
            _ => KeyOf::Unit(self.leaf_key(i, 0)),
        }
    }

    /// A KFP executor pod's task: its name without `.executor` and attempt suffixes.
    fn impl_key(&self, i: usize) -> String {
        let n = &self.rg.nodes[i];
        let s = strip_attempt(&n.name);
        match s.strip_suffix(".executor") {
            Some(wrapper) => strip_attempt(wrapper).to_string(),
            None => {
                let boundary = n.boundary.as_ref().and_then(|b| self.rg.by_id.get(b));
                match boundary {
                    Some(&b) if self.roles[b] == Some(Kfp::Executor) => {
                        strip_attempt(&self.rg.nodes[b].name).to_string()
                    }
                    _ => s.to_string(),
                }
            }
        }
    }

    /// A leaf's task: its leaf Retry's name, its pod's (for a container of a container set),
    /// else its own name.
    fn leaf_key(&self, i: usize, depth: usize) -> String {
        let n = &self.rg.nodes[i];
        for &p in &self.rg.parents[i] {
            let parent = &self.rg.nodes[p];
            if parent.node_type == NodeType::Retry && self.roles[p].is_none() && !self.retry_is_structure(p) {
                return parent.name.clone();
            }
            if n.node_type == NodeType::Container && parent.node_type == NodeType::Pod && depth < 4 {
                return self.leaf_key(p, depth + 1);
            }
        }
        n.name.clone()
    }

    fn finish(self, graph: &mut RunGraph) {
        let succ = self.unit_edges();
        let mut layers = longest_path_layers(&succ);
        self.push_exit_handlers_last(&mut layers);
        let mut nodes: Vec<GraphNode> = self.units.iter().map(|u| self.fold_unit(u)).collect();
        for (u, node) in nodes.iter_mut().enumerate() {
            node.layer = layers[u];
        }
        let unit_group: Vec<Option<usize>> = (0..self.units.len()).map(|u| self.unit_group(u)).collect();
        let group_parent: Vec<Option<usize>> =
            (0..self.group_raw.len()).map(|g| self.group_parent(g)).collect();
        let groups: Vec<Group> = (0..self.group_raw.len()).map(|g| self.fold_group(g)).collect();
        let mut nesting = Nesting::new(&self, &nodes, groups, &unit_group, &group_parent);
        nesting.unit_rank = self.units.iter().map(|u| self.unit_rank(u)).collect();
        nesting.group_rank = self.group_raw.iter().map(|&r| self.child_rank(r)).collect();
        nesting.into_graph(nodes, &succ, graph);
        graph.kfp = self.roles.iter().any(Option::is_some);
    }

    /// Dependency edges between tasks: each member's children, followed through structure.
    fn unit_edges(&self) -> Vec<Vec<usize>> {
        let mut frontier = Frontier::new(self.rg.nodes.len());
        let mut succ = vec![Vec::new(); self.units.len()];
        for (u, unit) in self.units.iter().enumerate() {
            let mut out = Vec::new();
            for &m in &unit.members {
                for &c in &self.rg.children[m] {
                    match self.class[c] {
                        Class::Member(v) => out.push(v),
                        _ => out.extend_from_slice(frontier.of(c, &self.rg.children, &self.class)),
                    }
                }
            }
            out.sort_unstable();
            out.dedup();
            out.retain(|&v| v != u);
            succ[u] = out;
        }
        succ
    }

    /// Exit handlers and hooks are separate trees in `status.nodes`; they run after the main one.
    fn push_exit_handlers_last(&self, layers: &mut [usize]) {
        let Some(&root) = self.rg.by_name.get(&self.ctx.workflow) else {
            return;
        };
        let mut seen = vec![false; self.rg.nodes.len()];
        let mut stack = vec![root];
        seen[root] = true;
        while let Some(n) = stack.pop() {
            for &c in &self.rg.children[n] {
                if !seen[c] {
                    seen[c] = true;
                    stack.push(c);
                }
            }
        }
        let in_main = |u: &Unit| u.members.iter().any(|&m| seen[m]);
        let main_max = self
            .units
            .iter()
            .zip(layers.iter())
            .filter(|(u, _)| in_main(u))
            .map(|(_, l)| *l)
            .max();
        let Some(offset) = main_max.map(|m| m + 1) else {
            return;
        };
        for (u, layer) in self.units.iter().zip(layers.iter_mut()) {
            if !in_main(u) {
                *layer += offset;
            }
        }
    }

    /// A task's place among its siblings: its task-level node's, else its earliest member's.
    fn unit_rank(&self, unit: &Unit) -> usize {
        let task = unit.members.iter().find(|&&m| self.rg.nodes[m].name == unit.key);
        match task {
            Some(&m) => self.child_rank(m),
            None => unit
                .members
                .iter()
                .map(|&m| self.child_rank(m))
                .min()
                .unwrap_or(0),
        }
    }

    /// Where a raw node is in its first parent's children: spec order for steps.
    fn child_rank(&self, i: usize) -> usize {
        let id = &self.rg.nodes[i].id;
        self.rg.parents[i]
            .first()
            .and_then(|&p| self.rg.nodes[p].children.iter().position(|c| c == id))
            .unwrap_or(0)
    }

    /// The group a raw node sits in: a StepGroup/TaskGroup parent, else its boundary.
    fn enclosing_group(&self, i: usize) -> Option<usize> {
        for &p in &self.rg.parents[i] {
            if let Class::Group(g) = self.class[p]
                && matches!(
                    self.rg.nodes[p].node_type,
                    NodeType::StepGroup | NodeType::TaskGroup
                )
            {
                return Some(g);
            }
        }
        let b = self.rg.by_id.get(self.rg.nodes[i].boundary.as_ref()?)?;
        match self.class[*b] {
            Class::Group(g) => Some(g),
            _ => None,
        }
    }

    /// A task's group: where its task-level node sits, else where any member does.
    fn unit_group(&self, u: usize) -> Option<usize> {
        let unit = &self.units[u];
        let task_level = unit
            .members
            .iter()
            .filter(|&&m| self.rg.nodes[m].name == unit.key);
        task_level
            .chain(unit.members.iter())
            .find_map(|&m| self.enclosing_group(m))
    }

    fn group_parent(&self, g: usize) -> Option<usize> {
        let raw = self.group_raw[g];
        self.enclosing_group(raw).filter(|&p| p != g)
    }

    fn fold_group(&self, g: usize) -> Group {
        let n = &self.rg.nodes[self.group_raw[g]];
        let kind = match n.node_type {
            NodeType::Steps => GroupKind::Steps,
            NodeType::StepGroup => GroupKind::StepGroup,
            NodeType::TaskGroup => GroupKind::TaskGroup,
            _ => GroupKind::Dag,
        };
        let driver = self.group_driver[g].map(|d| &self.rg.nodes[d]);
        let driver_failed = driver.filter(|d| driver_stops(d.phase));
        let display_name = driver
            .and_then(kfp_display_name)
            .unwrap_or_else(|| n.display_name.clone());
        Group {
            id: n.id.clone(),
            name: n.name.clone(),
            display_name,
            kind,
            phase: driver_failed.map_or(n.phase, |d| d.phase),
            message: driver_failed
                .and_then(|d| d.message.clone())
                .or_else(|| n.message.clone()),
            started_at: earliest(driver.and_then(|d| d.started_at), n.started_at),
            finished_at: n
                .finished_at
                .or_else(|| driver_failed.and_then(|d| d.finished_at)),
            driver_pod: driver.and_then(|d| self.ctx.pod_of(d)),
            parent: None,
            items: Vec::new(),
        }
    }

    fn fold_unit(&self, unit: &Unit) -> GraphNode {
        let kfp = unit.members.iter().any(|&m| self.roles[m].is_some());
        let mut node = if kfp {
            self.fold_kfp(unit)
        } else {
            self.fold_plain(unit)
        };
        node.id = match self.rg.by_name.get(&unit.key) {
            Some(&i) => self.rg.nodes[i].id.clone(),
            None => node_id(&self.ctx.workflow, &unit.key),
        };
        node.name = unit.key.clone();
        node
    }

    /// A pod, suspend, skipped, HTTP or plugin step, with its Retry wrapper if it has one.
    fn fold_plain(&self, unit: &Unit) -> GraphNode {
        let nodes = &self.rg.nodes;
        let member = |t: NodeType| unit.members.iter().copied().find(|&m| nodes[m].node_type == t);
        let retry = member(NodeType::Retry);
        let attempts: Vec<usize> = match retry {
            Some(r) => self.rg.children[r]
                .iter()
                .copied()
                .filter(|&c| self.class[c] == self.class[r] && nodes[c].node_type != NodeType::Container)
                .collect(),
            None => Vec::new(),
        };
        let task = unit
            .members
            .iter()
            .copied()
            .find(|&m| nodes[m].name == unit.key)
            .unwrap_or(unit.members[0]);
        let leaf = attempts.last().copied().or_else(|| {
            unit.members
                .iter()
                .copied()
                .find(|&m| !matches!(nodes[m].node_type, NodeType::Retry | NodeType::Container))
        });
        let t = &nodes[task];
        let l = leaf.map(|l| &nodes[l]);
        let phase = match (retry, l) {
            (Some(r), _) if nodes[r].phase != Phase::Unknown => nodes[r].phase,
            (_, Some(l)) => l.phase,
            _ => t.phase,
        };
        let src = l.unwrap_or(t);
        let outputs = if src.outputs.is_empty() {
            t.outputs.clone()
        } else {
            src.outputs.clone()
        };
        GraphNode {
            display_name: t.display_name.clone(),
            node_type: l.map_or(t.node_type, |l| l.node_type),
            phase,
            // The latest attempt's message explains the phase only when it has that phase.
            message: src
                .message
                .clone()
                .filter(|_| src.phase == phase)
                .or_else(|| t.message.clone()),
            started_at: t.started_at.or(src.started_at),
            finished_at: if phase.is_finished() {
                t.finished_at.or(src.finished_at)
            } else {
                None
            },
            pod_name: l.and_then(|l| self.ctx.pod_of(l)),
            template: src.template.clone().or_else(|| t.template.clone()),
            exit_code: src.exit_code.clone().or_else(|| t.exit_code.clone()),
            inputs: if src.inputs.is_empty() {
                t.inputs.clone()
            } else {
                src.inputs.clone()
            },
            outputs,
            attempts: attempts.iter().map(|&a| self.attempt(a)).collect(),
            memoization: t.memoization.clone().or_else(|| src.memoization.clone()),
            host_node: src.host_node.clone(),
            ..GraphNode::default()
        }
    }

    /// A KFP task: driver pod, executor DAG and executor pod(s) as one node.
    fn fold_kfp(&self, unit: &Unit) -> GraphNode {
        let nodes = &self.rg.nodes;
        let of_role = |role: Kfp, retry: bool| -> Vec<usize> {
            let mut v: Vec<usize> = unit
                .members
                .iter()
                .copied()
                .filter(|&m| self.roles[m] == Some(role) && (nodes[m].node_type == NodeType::Retry) == retry)
                .collect();
            v.sort_by(|&a, &b| by_start(&nodes[a], &nodes[b]));
            v
        };
        let driver = of_role(Kfp::Driver, false).last().map(|&d| &nodes[d]);
        let wrapper = of_role(Kfp::Executor, false).last().map(|&w| &nodes[w]);
        let impls = of_role(Kfp::Impl, false);
        let impl_retry = of_role(Kfp::Impl, true).last().map(|&r| &nodes[r]);
        let latest = impls.last().map(|&i| &nodes[i]);
        let (phase, message) = kfp_phase(driver, wrapper, latest, impl_retry);
        let pods: Vec<usize> = impls
            .iter()
            .copied()
            .filter(|&i| nodes[i].node_type == NodeType::Pod)
            .collect();
        let members = unit.members.iter().map(|&m| &nodes[m]);
        let started = members.clone().filter_map(|n| n.started_at).min();
        let finished = members
            .filter_map(|n| n.finished_at)
            .max()
            .filter(|_| phase.is_finished());
        let task = last_segment(&unit.key).to_string();
        let src = latest.or(driver);
        GraphNode {
            display_name: driver
                .and_then(kfp_display_name)
                .unwrap_or_else(|| sanitized(&task)),
            node_type: latest.map_or(NodeType::Pod, |l| l.node_type),
            phase,
            message,
            started_at: started,
            finished_at: finished,
            pod_name: latest.and_then(|l| self.ctx.pod_of(l)),
            template: src.and_then(|s| s.template.clone()),
            exit_code: latest.and_then(|l| l.exit_code.clone()),
            inputs: latest.map(|l| user_io(&l.inputs)).unwrap_or_default(),
            outputs: latest.map(|l| user_io(&l.outputs)).unwrap_or_default(),
            attempts: if pods.len() > 1 || impl_retry.is_some() {
                pods.iter().map(|&a| self.attempt(a)).collect()
            } else {
                Vec::new()
            },
            memoization: latest.and_then(|l| l.memoization.clone()),
            kfp: Some(KfpTask {
                task,
                driver_pod: driver.and_then(|d| self.ctx.pod_of(d)),
                driver_phase: driver.map_or(Phase::Unknown, |d| d.phase),
                driver_message: driver.and_then(|d| d.message.clone()),
            }),
            host_node: latest.and_then(|l| l.host_node.clone()),
            ..GraphNode::default()
        }
    }

    fn attempt(&self, i: usize) -> Attempt {
        let n = &self.rg.nodes[i];
        Attempt {
            id: n.id.clone(),
            display_name: n.display_name.clone(),
            phase: n.phase,
            message: n.message.clone(),
            pod_name: self.ctx.pod_of(n),
            started_at: n.started_at,
            finished_at: n.finished_at,
            exit_code: n.exit_code.clone(),
        }
    }
}

/// What [`Builder::unit_key`] decided.
enum KeyOf {
    Unit(String),
    Group,
    Transparent,
}

/// The tasks reachable from a raw node through structure only, memoised per node.
struct Frontier {
    state: Vec<u8>,
    memo: Vec<Vec<usize>>,
}

impl Frontier {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;

    fn new(n: usize) -> Frontier {
        Frontier {
            state: vec![Frontier::NEW; n],
            memo: vec![Vec::new(); n],
        }
    }

    /// Iterative post-order walk, so deep structure cannot overflow the stack.
    fn of(&mut self, start: usize, children: &[Vec<usize>], class: &[Class]) -> &[usize] {
        if self.state[start] == Frontier::NEW {
            self.state[start] = Frontier::OPEN;
            let mut stack = vec![(start, 0usize)];
            while let Some(top) = stack.last_mut() {
                let (n, pos) = *top;
                if let Some(&c) = children[n].get(pos) {
                    top.1 += 1;
                    if !matches!(class[c], Class::Member(_)) && self.state[c] == Frontier::NEW {
                        self.state[c] = Frontier::OPEN;
                        stack.push((c, 0));
                    }
                    continue;
                }
                let mut out = Vec::new();
                for &c in &children[n] {
                    match class[c] {
                        Class::Member(u) => out.push(u),
                        _ if self.state[c] == Frontier::DONE => out.extend_from_slice(&self.memo[c]),
                        _ => {}
                    }
                }
                out.sort_unstable();
                out.dedup();
                self.memo[n] = out;
                self.state[n] = Frontier::DONE;
                stack.pop();
            }
        }
        &self.memo[start]
    }
}

/// Longest-path layers (Kahn); nodes on a cycle, which Argo never makes, land after the rest.
fn longest_path_layers(succ: &[Vec<usize>]) -> Vec<usize> {
    let n = succ.len();
    let mut indeg = vec![0usize; n];
    for vs in succ {
        for &v in vs {
            indeg[v] += 1;
        }
    }
    let mut layer = vec![0usize; n];
    let mut queue: Vec<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    let mut done = vec![false; n];
    let mut head = 0;
    while let Some(&u) = queue.get(head) {
        head += 1;
        done[u] = true;
        for &v in &succ[u] {
            layer[v] = layer[v].max(layer[u] + 1);
            indeg[v] -= 1;
            if indeg[v] == 0 {
                queue.push(v);
            }
        }
    }
    let max = layer.iter().copied().max().unwrap_or(0);
    for (v, l) in layer.iter_mut().enumerate() {
        if !done[v] {
            *l = max + 1;
        }
    }
    layer
}

/// Groups and tasks arranged for display: which groups show, what each holds, in what order.
struct Nesting {
    groups: Vec<Group>,
    /// Pre-collapse items of each group, and of the top level (last entry).
    items: Vec<Vec<Item>>,
    /// Groups that dissolve into their parent.
    hoisted: Vec<bool>,
    /// Sort key of each group: its earliest layer.
    group_layer: Vec<usize>,
    /// Place among siblings in Argo's children lists (spec order), per task and per group.
    unit_rank: Vec<usize>,
    group_rank: Vec<usize>,
}

impl Nesting {
    fn new(
        b: &Builder<'_>,
        nodes: &[GraphNode],
        groups: Vec<Group>,
        unit_group: &[Option<usize>],
        group_parent: &[Option<usize>],
    ) -> Nesting {
        let g_count = groups.len();
        let top = g_count;
        let mut items = vec![Vec::new(); g_count + 1];
        for (u, g) in unit_group.iter().enumerate() {
            items[g.unwrap_or(top)].push(Item::Node(u));
        }
        let parent = no_cycles(group_parent);
        for (g, p) in parent.iter().enumerate() {
            items[p.unwrap_or(top)].push(Item::Group(g));
        }
        let mut hoisted = vec![false; g_count];
        for (g, group) in groups.iter().enumerate() {
            let name = &b.rg.nodes[b.group_raw[g]].name;
            let is_root = parent[g].is_none() && *name == b.ctx.workflow;
            let kfp_root =
                b.group_driver[g].is_some() && name.strip_prefix(b.ctx.workflow.as_str()) == Some(".root");
            let lone_step = group.kind == GroupKind::StepGroup && items[g].len() == 1;
            hoisted[g] = is_root || kfp_root || lone_step;
        }
        let mut nesting = Nesting {
            groups,
            items,
            hoisted,
            group_layer: vec![usize::MAX; g_count],
            unit_rank: Vec::new(),
            group_rank: Vec::new(),
        };
        nesting.hoist_kfp_root(b);
        for g in 0..g_count {
            nesting.groups[g].parent = nesting.shown_ancestor(parent[g], &parent);
        }
        nesting.compute_group_layers(nodes);
        nesting
    }

    /// KFP's `root` DAG (started by `root-driver`) is the whole pipeline: show its tasks at the top.
    fn hoist_kfp_root(&mut self, b: &Builder<'_>) {
        loop {
            let top = self.resolve_list(self.groups.len());
            match top.as_slice() {
                [Item::Group(g)] if b.group_driver[*g].is_some() && !self.hoisted[*g] => {
                    self.hoisted[*g] = true
                }
                _ => return,
            }
        }
    }

    /// The nearest ancestor that is shown.
    fn shown_ancestor(&self, mut g: Option<usize>, parent: &[Option<usize>]) -> Option<usize> {
        while let Some(x) = g {
            if !self.hoisted[x] {
                return Some(x);
            }
            g = parent[x];
        }
        None
    }

    /// The items of a level with hoisted groups replaced by their contents.
    fn resolve_list(&self, level: usize) -> Vec<Item> {
        let mut out = Vec::new();
        let mut stack: Vec<Item> = self.items[level].iter().rev().copied().collect();
        while let Some(item) = stack.pop() {
            match item {
                Item::Group(g) if self.hoisted[g] => stack.extend(self.items[g].iter().rev().copied()),
                other => out.push(other),
            }
        }
        out
    }

    fn compute_group_layers(&mut self, nodes: &[GraphNode]) {
        // Post-order over the (acyclic) raw nesting.
        let g_count = self.groups.len();
        let mut order = Vec::with_capacity(g_count);
        let mut state = vec![0u8; g_count];
        for start in 0..g_count {
            if state[start] != 0 {
                continue;
            }
            let mut stack = vec![(start, false)];
            while let Some((g, expanded)) = stack.pop() {
                if expanded {
                    order.push(g);
                    continue;
                }
                if state[g] != 0 {
                    continue;
                }
                state[g] = 1;
                stack.push((g, true));
                for item in &self.items[g] {
                    if let Item::Group(c) = item
                        && state[*c] == 0
                    {
                        stack.push((*c, false));
                    }
                }
            }
        }
        for g in order {
            let min = self.items[g]
                .iter()
                .map(|item| match *item {
                    Item::Node(u) => nodes[u].layer,
                    Item::Group(c) => self.group_layer[c],
                })
                .min()
                .unwrap_or(usize::MAX);
            self.group_layer[g] = min;
        }
    }

    fn sort_key<'n>(&'n self, item: Item, nodes: &'n [GraphNode]) -> SortKey<'n> {
        match item {
            Item::Node(u) => {
                let n = &nodes[u];
                let rank = self.unit_rank.get(u).copied().unwrap_or(0);
                (
                    n.layer,
                    n.started_at,
                    rank,
                    n.display_name.as_str(),
                    n.id.as_str(),
                )
            }
            Item::Group(g) => {
                let gr = &self.groups[g];
                let rank = self.group_rank.get(g).copied().unwrap_or(0);
                (
                    self.group_layer[g],
                    gr.started_at,
                    rank,
                    gr.display_name.as_str(),
                    gr.id.as_str(),
                )
            }
        }
    }

    fn sorted(&self, level: usize, nodes: &[GraphNode]) -> Vec<Item> {
        let mut list = self.resolve_list(level);
        list.sort_by(|&a, &b| {
            let (ka, kb) = (self.sort_key(a, nodes), self.sort_key(b, nodes));
            ka.0.cmp(&kb.0)
                .then_with(|| cmp_time(ka.1, kb.1))
                .then_with(|| ka.2.cmp(&kb.2))
                .then_with(|| ka.3.cmp(kb.3))
                .then_with(|| ka.4.cmp(kb.4))
        });
        list
    }

    /// Writes nodes in tree order, shown groups, the top level and the edges into `graph`.
    fn into_graph(self, mut nodes: Vec<GraphNode>, succ: &[Vec<usize>], graph: &mut RunGraph) {
        let top = self.groups.len();
        let mut node_order = Vec::with_capacity(nodes.len());
        let mut group_order = Vec::new();
        let mut sorted_items: Vec<Option<Vec<Item>>> = vec![None; top + 1];
        let mut visiting = vec![false; top + 1];
        // Depth-first in display order: a level's list is sorted once, then walked.
        visiting[top] = true;
        sorted_items[top] = Some(self.sorted(top, &nodes));
        let mut cursor: Vec<(usize, usize)> = vec![(top, 0)];
        while let Some(&mut (lvl, ref mut pos)) = cursor.last_mut() {
            let item = sorted_items[lvl].as_ref().and_then(|l| l.get(*pos)).copied();
            *pos += 1;
            match item {
                None => {
                    cursor.pop();
                }
                Some(Item::Node(u)) => node_order.push(u),
                Some(Item::Group(g)) if !visiting[g] => {
                    visiting[g] = true;
                    group_order.push(g);
                    sorted_items[g] = Some(self.sorted(g, &nodes));
                    cursor.push((g, 0));
                }
                Some(Item::Group(_)) => {}
            }
        }
        let mut node_new = vec![usize::MAX; nodes.len()];
        for (new, &old) in node_order.iter().enumerate() {
            node_new[old] = new;
        }
        let mut group_new = vec![usize::MAX; top];
        for (new, &old) in group_order.iter().enumerate() {
            group_new[old] = new;
        }
        let remap = |items: &[Item]| -> Vec<Item> {
            items
                .iter()
                .map(|item| match *item {
                    Item::Node(u) => Item::Node(node_new[u]),
                    Item::Group(g) => Item::Group(group_new[g]),
                })
                .collect()
        };
        let mut groups: Vec<Group> = Vec::with_capacity(group_order.len());
        for &old in &group_order {
            let mut g = self.groups[old].clone();
            g.items = remap(sorted_items[old].as_deref().unwrap_or_default());
            g.parent = g.parent.map(|p| group_new[p]).filter(|&p| p != usize::MAX);
            groups.push(g);
        }
        for (u, node) in nodes.iter_mut().enumerate() {
            node.children = succ[u].iter().map(|&v| node_new[v]).collect();
            node.children.sort_unstable();
        }
        for (u, vs) in succ.iter().enumerate() {
            for &v in vs {
                nodes[v].parents.push(node_new[u]);
            }
        }
        let mut slots: Vec<Option<GraphNode>> = nodes.into_iter().map(Some).collect();
        let mut ordered = Vec::with_capacity(node_order.len());
        for &old in &node_order {
            if let Some(mut n) = slots[old].take() {
                n.parents.sort_unstable();
                ordered.push(n);
            }
        }
        for group in groups.iter().enumerate() {
            for item in &group.1.items {
                if let Item::Node(u) = item
                    && let Some(n) = ordered.get_mut(*u)
                {
                    n.group = Some(group.0);
                }
            }
        }
        graph.top = remap(sorted_items[top].as_deref().unwrap_or_default());
        graph.index = ordered
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        graph.nodes = ordered;
        graph.groups = groups;
    }
}

/// Display order: layer, start, place among siblings, name, ID.
type SortKey<'n> = (usize, Option<DateTime<Utc>>, usize, &'n str, &'n str);

/// Group parents with any cycle cut (a defence: Argo's nesting is a tree).
fn no_cycles(parent: &[Option<usize>]) -> Vec<Option<usize>> {
    let mut out = parent.to_vec();
    for start in 0..out.len() {
        let mut g = start;
        let mut steps = 0;
        while let Some(p) = out[g] {
            steps += 1;
            if p == start || steps > out.len() {
                out[start] = None;
                break;
            }
            g = p;
        }
    }
    out
}

/// A template name without KFP's `retry-` and `metadata-<n>-<m>-` prefixes.
fn base_template(t: &str) -> &str {
    let mut s = t;
    loop {
        if let Some(rest) = s.strip_prefix("retry-") {
            s = rest;
        } else if let Some(rest) = strip_metadata_prefix(s) {
            s = rest;
        } else {
            return s;
        }
    }
}

fn strip_metadata_prefix(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("metadata-")?;
    let (n, rest) = rest.split_once('-')?;
    let (m, rest) = rest.split_once('-')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    (digits(n) && digits(m)).then_some(rest)
}

/// A node name without a trailing retry-attempt suffix `(n)`. Loop suffixes `(n:value)` stay.
fn strip_attempt(name: &str) -> &str {
    let Some(open) = name.strip_suffix(')').and_then(|s| s.rfind('(')) else {
        return name;
    };
    let inner = &name[open + 1..name.len() - 1];
    if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
        &name[..open]
    } else {
        name
    }
}

/// A KFP driver's task: its name without attempt suffix and `-driver`.
fn driver_key(name: &str) -> &str {
    let s = strip_attempt(name);
    s.strip_suffix("-driver").unwrap_or(s)
}

/// A driver phase that means the task never got further.
fn driver_stops(p: Phase) -> bool {
    matches!(p, Phase::Failed | Phase::Error | Phase::Omitted | Phase::Skipped)
}

/// KFP's phase for a task from its parts, and the message that explains it.
fn kfp_phase(
    driver: Option<&RawNode>,
    wrapper: Option<&RawNode>,
    latest: Option<&RawNode>,
    impl_retry: Option<&RawNode>,
) -> (Phase, Option<String>) {
    if let Some(d) = driver.filter(|d| driver_stops(d.phase)) {
        return (d.phase, d.message.clone());
    }
    if let Some(l) = latest {
        if l.node_type == NodeType::Skipped || l.phase == Phase::Skipped {
            return (Phase::Cached, l.message.clone());
        }
        let phase = impl_retry
            .map(|r| r.phase)
            .filter(|p| *p != Phase::Unknown)
            .unwrap_or(l.phase);
        let message = l
            .message
            .clone()
            .or_else(|| impl_retry.and_then(|r| r.message.clone()));
        return (phase, message);
    }
    if let Some(w) = wrapper {
        return (w.phase, w.message.clone());
    }
    match driver {
        Some(d) if d.phase == Phase::Succeeded => (Phase::Pending, None),
        Some(d) => (d.phase, d.message.clone()),
        None => (Phase::Unknown, None),
    }
}

/// KFP's display name for a task: `taskInfo.name` from the driver's `task` input.
fn kfp_display_name(driver: &RawNode) -> Option<String> {
    let task = driver
        .inputs
        .parameters
        .iter()
        .find(|p| p.name == "task")?
        .value
        .as_deref()?;
    let v: Value = serde_json::from_str(task).ok()?;
    let name = v.pointer("/taskInfo/name")?.as_str()?;
    (!name.is_empty()).then(|| sanitized(name))
}

/// Inputs or outputs without KFP's internal parameters.
fn user_io(io: &Io) -> Io {
    Io {
        parameters: io
            .parameters
            .iter()
            .filter(|p| !KFP_INTERNAL_PARAMS.contains(&p.name.as_str()))
            .cloned()
            .collect(),
        artifacts: io.artifacts.clone(),
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Missing times sort last.
fn cmp_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn by_start(a: &RawNode, b: &RawNode) -> Ordering {
    cmp_time(a.started_at, b.started_at).then_with(|| a.name.cmp(&b.name))
}

fn later(a: &RawNode, b: &RawNode) -> bool {
    by_start(a, b) == Ordering::Greater
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfp_template_prefixes_are_stripped() {
        assert_eq!(
            base_template("retry-system-container-impl"),
            "system-container-impl"
        );
        assert_eq!(
            base_template("metadata-1-2-system-container-driver"),
            "system-container-driver"
        );
        assert_eq!(
            base_template("retry-metadata-0-1-system-container-impl"),
            "system-container-impl"
        );
        assert_eq!(base_template("metadata-x-system"), "metadata-x-system");
    }

    #[test]
    fn attempt_suffixes_strip_but_loop_suffixes_stay() {
        assert_eq!(strip_attempt("wf.root.t(2)"), "wf.root.t");
        assert_eq!(strip_attempt("wf.loop(0:a)"), "wf.loop(0:a)");
        assert_eq!(strip_attempt("wf.t"), "wf.t");
        assert_eq!(driver_key("wf.root.train-driver(1)"), "wf.root.train");
    }

    #[test]
    fn layers_follow_the_longest_path() {
        // 0 → 1 → 2, 0 → 2
        assert_eq!(longest_path_layers(&[vec![1, 2], vec![2], vec![]]), vec![0, 1, 2]);
        // a cycle lands after the rest
        assert_eq!(longest_path_layers(&[vec![], vec![2], vec![1]]), vec![0, 1, 1]);
    }
}
