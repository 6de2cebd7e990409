//! The step graph of one run: what a person means by "the steps", built from a full Argo
//! `Workflow` object.
//!
//! Argo's `status.nodes` is a flow graph of every node the controller made: DAG, Steps and
//! StepGroup boundaries, Retry wrappers with their attempts, and pods. KFP v2 adds a driver pod and
//! an executor DAG around every task. [`RunGraph::from_workflow`] turns that into one
//! [`GraphNode`] per task a person would name, joined by dependency edges, and nested in
//! [`Group`]s for sub-DAGs, step groups and loops. It reads no clock and does no IO: durations of
//! running nodes take `now` as an argument.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// What the UI says when the node status lives in Argo's database.
pub const OFFLOADED_REASON: &str =
    "node status is offloaded to the Argo database; only the Argo Server can return it";

/// Why a graph could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The object has no `metadata.name`: it is not a Workflow.
    #[error("not a Workflow: metadata.name is missing")]
    NotAWorkflow,
    /// `status.nodes` is there but is not a map of node ID to node.
    #[error("status.nodes is not a map of nodes")]
    NodesNotAMap,
    /// `status.compressedNodes` is not valid base64.
    #[error("status.compressedNodes is not base64: {0}")]
    CompressedBase64(#[from] base64::DecodeError),
    /// `status.compressedNodes` did not inflate.
    #[error("status.compressedNodes did not decompress: {0}")]
    CompressedInflate(#[from] std::io::Error),
    /// `status.compressedNodes` inflated to something that is not a JSON map of nodes.
    #[error("status.compressedNodes is not a JSON map of nodes: {0}")]
    CompressedJson(#[from] serde_json::Error),
    /// `status.compressedNodes` uses a compression kftui does not read.
    #[error("status.compressedNodes uses {0} compression, which kftui cannot read yet")]
    UnsupportedCompression(&'static str),
}

/// An Argo node phase, plus `Cached` for a KFP task whose executor was skipped by a cache hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Phase {
    /// Waiting to start.
    Pending,
    /// Started and not finished.
    Running,
    /// Finished well.
    Succeeded,
    /// Not run: a `when` was false.
    Skipped,
    /// Finished badly (the workload failed).
    Failed,
    /// Finished badly (the system failed).
    Error,
    /// Not run: its `depends` could not be met.
    Omitted,
    /// KFP: not run because a cached execution was reused.
    Cached,
    /// No phase recorded.
    #[default]
    Unknown,
}

impl Phase {
    /// Reads Argo's phase string; anything unknown is [`Phase::Unknown`].
    pub fn from_argo(s: &str) -> Phase {
        match s {
            "Pending" => Phase::Pending,
            "Running" => Phase::Running,
            "Succeeded" => Phase::Succeeded,
            "Skipped" => Phase::Skipped,
            "Failed" => Phase::Failed,
            "Error" => Phase::Error,
            "Omitted" => Phase::Omitted,
            _ => Phase::Unknown,
        }
    }

    /// The word shown next to the glyph.
    pub fn word(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Skipped => "Skipped",
            Phase::Failed => "Failed",
            Phase::Error => "Error",
            Phase::Omitted => "Omitted",
            Phase::Cached => "Cached",
            Phase::Unknown => "Unknown",
        }
    }

    /// Done, one way or another: its duration no longer grows.
    pub fn is_finished(self) -> bool {
        !matches!(self, Phase::Pending | Phase::Running | Phase::Unknown)
    }

    /// Failed or errored.
    pub fn is_bad(self) -> bool {
        matches!(self, Phase::Failed | Phase::Error)
    }
}

/// Argo's node types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NodeType {
    /// A pod.
    #[default]
    Pod,
    /// A container of a container set.
    Container,
    /// A `steps` template.
    Steps,
    /// One parallel group of a `steps` template.
    StepGroup,
    /// A `dag` template.
    Dag,
    /// A loop expansion (`withItems`, `withParam`) inside a DAG.
    TaskGroup,
    /// A retry wrapper around attempts.
    Retry,
    /// A node that was not run (`when` false, `depends` unmet).
    Skipped,
    /// A `suspend` template.
    Suspend,
    /// An HTTP template.
    Http,
    /// An executor plugin template.
    Plugin,
    /// A type this version of kftui does not know.
    Unknown,
}

impl NodeType {
    /// Reads Argo's type string.
    pub fn from_argo(s: &str) -> NodeType {
        match s {
            "Pod" => NodeType::Pod,
            "Container" => NodeType::Container,
            "Steps" => NodeType::Steps,
            "StepGroup" => NodeType::StepGroup,
            "DAG" => NodeType::Dag,
            "TaskGroup" => NodeType::TaskGroup,
            "Retry" => NodeType::Retry,
            "Skipped" => NodeType::Skipped,
            "Suspend" => NodeType::Suspend,
            "HTTP" => NodeType::Http,
            "Plugin" => NodeType::Plugin,
            _ => NodeType::Unknown,
        }
    }

    /// Argo's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            NodeType::Pod => "Pod",
            NodeType::Container => "Container",
            NodeType::Steps => "Steps",
            NodeType::StepGroup => "StepGroup",
            NodeType::Dag => "DAG",
            NodeType::TaskGroup => "TaskGroup",
            NodeType::Retry => "Retry",
            NodeType::Skipped => "Skipped",
            NodeType::Suspend => "Suspend",
            NodeType::Http => "HTTP",
            NodeType::Plugin => "Plugin",
            NodeType::Unknown => "Unknown",
        }
    }

    /// Structure (a boundary or a group), not a step a person would name.
    pub fn is_structure(self) -> bool {
        matches!(
            self,
            NodeType::Steps | NodeType::StepGroup | NodeType::Dag | NodeType::TaskGroup
        )
    }
}

/// A named parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its value (or default), if one was recorded.
    pub value: Option<String>,
}

/// A named artifact and where it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Artifact {
    /// Its name (`main-logs` for archived logs).
    pub name: String,
    /// Its location as a URI: `s3://bucket/key`, `gs://…`, `https://…`; `None` if not recorded.
    pub uri: Option<String>,
}

/// Inputs or outputs of a node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Io {
    /// Parameters.
    pub parameters: Vec<Param>,
    /// Artifacts.
    pub artifacts: Vec<Artifact>,
}

impl Io {
    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty() && self.artifacts.is_empty()
    }
}

/// Argo memoization status of a node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Memoization {
    /// The cached outputs were reused.
    pub hit: bool,
    /// The cache key.
    pub key: String,
    /// The ConfigMap holding the cache.
    pub cache_name: String,
}

/// One attempt of a retried step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attempt {
    /// Argo node ID.
    pub id: String,
    /// Display name (`train(1)`).
    pub display_name: String,
    /// Phase.
    pub phase: Phase,
    /// Message.
    pub message: Option<String>,
    /// The pod that ran it.
    pub pod_name: Option<String>,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// Finish.
    pub finished_at: Option<DateTime<Utc>>,
    /// The main container's exit code.
    pub exit_code: Option<String>,
}

impl Attempt {
    /// How long it ran; up to `now` while it runs.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<Duration> {
        span(self.started_at, self.finished_at, self.phase, now)
    }
}

/// KFP v2 parts folded into one task node.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KfpTask {
    /// The task's name in the pipeline (`train-model`); the node shows KFP's display name.
    pub task: String,
    /// The driver pod.
    pub driver_pod: Option<String>,
    /// The driver's phase.
    pub driver_phase: Phase,
    /// The driver's message.
    pub driver_message: Option<String>,
}

/// One task of the run: a pod, a retried pod with its attempts, a KFP task (driver + executor
/// folded), a suspend, a skipped step, an HTTP or plugin step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphNode {
    /// Stable ID: Argo's node ID of the task-level node (the Retry wrapper for retried steps,
    /// the executor DAG for KFP tasks), even before that node exists.
    pub id: String,
    /// Argo's node name of the task-level node (`wf.root.train`).
    pub name: String,
    /// What the graph shows (KFP's task display name for KFP tasks).
    pub display_name: String,
    /// Argo type of the step (of its latest attempt for retried steps).
    pub node_type: NodeType,
    /// Phase (KFP tasks: folded from driver and executor).
    pub phase: Phase,
    /// Message of the phase.
    pub message: Option<String>,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// Finish.
    pub finished_at: Option<DateTime<Utc>>,
    /// The pod whose `main` container holds the logs (latest attempt; KFP executor).
    pub pod_name: Option<String>,
    /// The template it ran.
    pub template: Option<String>,
    /// The main container's exit code.
    pub exit_code: Option<String>,
    /// Inputs.
    pub inputs: Io,
    /// Outputs.
    pub outputs: Io,
    /// Attempts of a retried step, oldest first; empty when there was no retry wrapper.
    pub attempts: Vec<Attempt>,
    /// Argo memoization.
    pub memoization: Option<Memoization>,
    /// KFP parts when this is a KFP task.
    pub kfp: Option<KfpTask>,
    /// The Kubernetes node the pod ran on.
    pub host_node: Option<String>,
    /// The group it is nested in (index into [`RunGraph::groups`]).
    pub group: Option<usize>,
    /// Dependencies (indices into [`RunGraph::nodes`]).
    pub parents: Vec<usize>,
    /// Dependents (indices into [`RunGraph::nodes`]).
    pub children: Vec<usize>,
    /// Longest-path layer: 0 for nodes without dependencies.
    pub layer: usize,
}

impl GraphNode {
    /// How long it ran; up to `now` while it runs.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<Duration> {
        span(self.started_at, self.finished_at, self.phase, now)
    }

    /// Retries made: attempts after the first.
    pub fn retries(&self) -> usize {
        self.attempts.len().saturating_sub(1)
    }

    /// Outputs came from a cache (KFP cache hit or Argo memoization hit).
    pub fn is_cached(&self) -> bool {
        self.phase == Phase::Cached || self.memoization.as_ref().is_some_and(|m| m.hit)
    }

    /// Waiting at a `suspend` step.
    pub fn is_suspended(&self) -> bool {
        self.node_type == NodeType::Suspend && self.phase == Phase::Running
    }

    /// The pod to open logs for: the executor's, else (KFP) the driver's.
    pub fn logs_pod(&self) -> Option<&str> {
        self.pod_name
            .as_deref()
            .or_else(|| self.kfp.as_ref().and_then(|k| k.driver_pod.as_deref()))
    }
}

/// What kind of structure a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// A DAG template (a sub-DAG or a KFP sub-pipeline).
    Dag,
    /// A steps template.
    Steps,
    /// A parallel group of steps.
    StepGroup,
    /// A loop expansion.
    TaskGroup,
}

/// Structure the tasks are nested in: a sub-DAG, a steps template, a step group, a loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Argo node ID.
    pub id: String,
    /// Argo node name.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Kind.
    pub kind: GroupKind,
    /// Phase (a KFP sub-pipeline whose driver failed shows the driver's).
    pub phase: Phase,
    /// Message.
    pub message: Option<String>,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// Finish.
    pub finished_at: Option<DateTime<Utc>>,
    /// KFP: the DAG driver's pod.
    pub driver_pod: Option<String>,
    /// The enclosing group.
    pub parent: Option<usize>,
    /// What it holds, in display order.
    pub items: Vec<Item>,
}

impl Group {
    /// How long it ran; up to `now` while it runs.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<Duration> {
        span(self.started_at, self.finished_at, self.phase, now)
    }
}

/// An entry of a nesting level: a task or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Item {
    /// A task (index into [`RunGraph::nodes`]).
    Node(usize),
    /// A group (index into [`RunGraph::groups`]).
    Group(usize),
}

/// The step graph of one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunGraph {
    /// The Workflow's name.
    pub workflow: String,
    /// The Workflow's UID (tells one run from another with the same name).
    pub uid: String,
    /// The Workflow's phase.
    pub phase: Phase,
    /// The Workflow's message.
    pub message: Option<String>,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// Finish.
    pub finished_at: Option<DateTime<Utc>>,
    /// Tasks, in tree order (nesting depth-first, then dependency order).
    pub nodes: Vec<GraphNode>,
    /// Groups.
    pub groups: Vec<Group>,
    /// The top nesting level, in display order.
    pub top: Vec<Item>,
    /// `status.offloadNodeStatusVersion` when the nodes live in Argo's database.
    pub offload_version: Option<String>,
    /// The node status came from `status.compressedNodes`.
    pub from_compressed: bool,
    /// It is a KFP v2 run (drivers and executors were folded).
    pub kfp: bool,
    pub(crate) index: HashMap<String, usize>,
}

impl RunGraph {
    /// Builds the graph of a full Workflow object (`status.nodes` or `status.compressedNodes`).
    pub fn from_workflow(wf: &Value) -> Result<RunGraph, GraphError> {
        super::fold::build(wf)
    }

    /// The task with this ID.
    pub fn node(&self, id: &str) -> Option<&GraphNode> {
        self.index.get(id).and_then(|&i| self.nodes.get(i))
    }

    /// The index of the task with this ID.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The node status is offloaded and the graph cannot show it.
    pub fn is_offloaded(&self) -> bool {
        self.offload_version.is_some() && self.nodes.is_empty()
    }

    /// Why the graph is empty, when there is a reason worth showing.
    pub fn notice(&self) -> Option<&'static str> {
        self.is_offloaded().then_some(OFFLOADED_REASON)
    }

    /// Tasks done (finished, any way) and total: the run's progress.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.nodes.iter().filter(|n| n.phase.is_finished()).count();
        (done, self.nodes.len())
    }
}

/// `finished - started`, or `now - started` while running.
fn span(
    started: Option<DateTime<Utc>>,
    finished: Option<DateTime<Utc>>,
    phase: Phase,
    now: DateTime<Utc>,
) -> Option<Duration> {
    let start = started?;
    let end = match finished {
        Some(f) => f,
        None if !phase.is_finished() => now,
        None => return None,
    };
    Some((end - start).max(Duration::zero()))
}
