//! Runs: the step graph of an Argo/KFP run, its terminal layout and its navigation state.
//!
//! - [`model`]: [`RunGraph`] built from a full Workflow object, one node per task.
//! - [`layout`]: layered (left to right) or indented-tree placement for a given area.
//! - [`view`]: [`GraphView`], the selection and scroll, with pure navigation and live sync.
//!
//! Nothing here reads the clock or does IO; the widgets are in `crate::ui::widgets::graph`.

pub mod compare;
pub mod cron;
mod fold;
pub mod layout;
pub mod model;
pub mod params;
pub mod pod_name;
mod raw;
pub mod synthetic;
pub mod view;

pub use layout::{GraphLayout, LayoutMode, ViewMode};
pub use model::{
    Artifact, Attempt, GraphError, GraphNode, Group, GroupKind, Io, Item, KfpTask, Memoization, NodeType,
    OFFLOADED_REASON, Param, Phase, RunGraph,
};
pub use pod_name::{PodNameFormat, fnv32a, node_id, pod_name};
pub use raw::decode_compressed;
pub use view::GraphView;
