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

/// What a step graph and its side panel do with an action, for a run's and a pipeline's graph
/// alike: move between steps, page the side panel, switch the layout. False for any other action.
pub fn graph_action(
    view: &mut GraphView,
    graph: Option<&RunGraph>,
    action: crate::app::action::Action,
    width: u16,
    height: u16,
) -> bool {
    use crate::app::action::Action;
    let page = crate::layout::detail_panel_rows(width, height);
    match action {
        Action::Layout => view.cycle_mode(),
        // The side panel pages whether or not there is a graph.
        Action::PageDown => view.scroll_detail(page),
        Action::PageUp => view.scroll_detail(-page),
        _ => {
            let Some(graph) = graph else {
                return false;
            };
            let area = crate::layout::run_graph_area(width, height);
            match action {
                Action::MoveLeft => view.move_left(graph, area),
                Action::MoveRight => view.move_right(graph, area),
                Action::Parent => view.select_parent(graph),
                Action::Child => view.select_child(graph),
                Action::Up => view.move_up(graph, area),
                Action::Down => view.move_down(graph, area),
                Action::Top => view.select_first(graph),
                Action::Bottom => view.select_last(graph),
                _ => return false,
            }
            view.keep_visible(graph, area);
        }
    }
    true
}

/// An action while a run's step graph is open: moving between steps, the step's logs, YAML and
/// events, closing; the run's verbs and anything else are the pane's (they act on this run).
pub fn view_action(
    state: &mut crate::app::state::State,
    action: crate::app::action::Action,
    effects: &mut Vec<crate::app::effect::Effect>,
) {
    use crate::app::action::Action;
    use crate::app::viewer::ViewKind;
    let (width, height) = (state.width, state.height);
    let Some(detail) = state.detail.as_mut() else {
        return;
    };
    state.dirty = true;
    match action {
        Action::Cancel => state.detail = None,
        Action::Yaml => crate::app::update::open_node_viewer(state, ViewKind::Yaml, effects),
        Action::Describe => crate::app::update::open_node_viewer(state, ViewKind::Describe, effects),
        _ => {
            let graph = detail.graph.as_ref().and_then(|g| g.as_ref().ok()).cloned();
            if !graph_action(&mut detail.view, graph.as_deref(), action, width, height) {
                // The run's verbs and logs (also before its graph has loaded).
                crate::app::update::apply(state, action, effects);
            }
        }
    }
}
