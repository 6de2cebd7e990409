//! The run detail: one run's step graph, kept live by a watch of that one Workflow.

use std::sync::Arc;

use ratatui::layout::Rect;

use crate::runs::model::RunGraph;
use crate::runs::view::GraphView;

/// The open run.
#[derive(Debug, Clone)]
pub struct RunDetail {
    pub namespace: String,
    pub name: String,
    /// What the list showed as its name.
    pub display: String,
    /// The latest graph, or why there is none.
    pub graph: Option<Result<Arc<RunGraph>, String>>,
    pub view: GraphView,
}

impl RunDetail {
    pub fn new(namespace: String, name: String, display: String) -> RunDetail {
        RunDetail {
            namespace,
            name,
            display,
            graph: None,
            view: GraphView::default(),
        }
    }

    /// The graph, when it has arrived and could be built.
    pub fn graph(&self) -> Option<&RunGraph> {
        match &self.graph {
            Some(Ok(g)) => Some(g),
            _ => None,
        }
    }

    /// Takes a new graph of the run, keeping the selection and scroll.
    pub fn set_graph(&mut self, graph: Result<Arc<RunGraph>, String>, area: Rect) {
        if let Ok(g) = &graph {
            if self.graph().is_none() {
                self.view = GraphView::new(g);
            } else {
                self.view.sync(g);
            }
            self.view.keep_visible(g, area);
        }
        self.graph = Some(graph);
    }
}
