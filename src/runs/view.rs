//! The step graph's view state: which task is selected, how far it is scrolled, which layout is
//! wanted. Navigation is pure: it takes the graph (and the area, for moves that depend on the
//! layout) and changes only this struct.

use ratatui::layout::Rect;

use super::layout::{GraphLayout, LayoutMode, ViewMode};
use super::model::{Phase, RunGraph};

/// Selection, scroll and layout choice for one run's graph.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphView {
    /// The selected task's ID (stable across rebuilds).
    selected: Option<String>,
    /// Where the selection was in tree order, to land nearby if it disappears.
    selected_index: usize,
    /// Canvas column at the left edge.
    scroll_x: u32,
    /// Canvas row at the top edge.
    scroll_y: u32,
    /// Rows the detail panel is scrolled by.
    detail_scroll: u16,
    mode: ViewMode,
    /// Which run this view is of.
    workflow: String,
    uid: String,
    /// The area last made visible, so live updates can keep the selection on screen.
    last_area: Option<Rect>,
}

impl GraphView {
    /// A view of `graph` with the most interesting task selected: the first failed one, else the
    /// first running one, else the first.
    pub fn new(graph: &RunGraph) -> GraphView {
        let mut view = GraphView {
            workflow: graph.workflow.clone(),
            uid: graph.uid.clone(),
            ..GraphView::default()
        };
        view.select_default(graph);
        view
    }

    /// The selected task's ID.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// The selected task's index in `graph.nodes`.
    pub fn selected_index(&self, graph: &RunGraph) -> Option<usize> {
        self.selected.as_deref().and_then(|id| graph.position(id))
    }

    /// The selected task.
    pub fn selected_node<'g>(&self, graph: &'g RunGraph) -> Option<&'g super::model::GraphNode> {
        self.selected_index(graph).and_then(|i| graph.nodes.get(i))
    }

    /// Scroll offsets (column, row) into the canvas.
    pub fn scroll(&self) -> (u32, u32) {
        (self.scroll_x, self.scroll_y)
    }

    /// Rows the detail panel is scrolled by.
    pub fn detail_scroll(&self) -> u16 {
        self.detail_scroll
    }

    /// Scrolls the detail panel by `delta` rows (negative: up).
    pub fn scroll_detail(&mut self, delta: i32) {
        self.detail_scroll = (i32::from(self.detail_scroll) + delta).clamp(0, i32::from(u16::MAX)) as u16;
    }

    /// The layout wanted.
    pub fn mode(&self) -> ViewMode {
        self.mode
    }

    /// Sets the layout wanted.
    pub fn set_mode(&mut self, mode: ViewMode) {
        self.mode = mode;
    }

    /// Auto → tree → graph → auto.
    pub fn cycle_mode(&mut self) {
        self.mode = self.mode.next();
    }

    /// The layout the widget draws for `graph` in `area`.
    pub fn layout(&self, graph: &RunGraph, area: Rect) -> GraphLayout {
        GraphLayout::compute(graph, area.width, area.height, self.mode)
    }

    /// Selects the task with this ID; false if there is none.
    pub fn select(&mut self, graph: &RunGraph, id: &str) -> bool {
        match graph.position(id) {
            Some(i) => {
                self.set_selected(graph, i);
                true
            }
            None => false,
        }
    }

    /// Next task in tree order.
    pub fn select_next(&mut self, graph: &RunGraph) {
        self.step(graph, 1);
    }

    /// Previous task in tree order.
    pub fn select_prev(&mut self, graph: &RunGraph) {
        self.step(graph, -1);
    }

    /// First task.
    pub fn select_first(&mut self, graph: &RunGraph) {
        if !graph.nodes.is_empty() {
            self.set_selected(graph, 0);
        }
    }

    /// Last task.
    pub fn select_last(&mut self, graph: &RunGraph) {
        if let Some(last) = graph.nodes.len().checked_sub(1) {
            self.set_selected(graph, last);
        }
    }

    /// A task this one depends on (the first).
    pub fn select_parent(&mut self, graph: &RunGraph) {
        let target = self
            .current(graph)
            .and_then(|i| graph.nodes[i].parents.first().copied());
        if let Some(t) = target {
            self.set_selected(graph, t);
        }
    }

    /// A task that depends on this one (the first).
    pub fn select_child(&mut self, graph: &RunGraph) {
        let target = self
            .current(graph)
            .and_then(|i| graph.nodes[i].children.first().copied());
        if let Some(t) = target {
            self.set_selected(graph, t);
        }
    }

    /// Up on screen: the task above in the same column (layered), the previous row (tree).
    pub fn move_up(&mut self, graph: &RunGraph, area: Rect) {
        self.move_vertical(graph, area, -1);
    }

    /// Down on screen: the task below in the same column (layered), the next row (tree).
    pub fn move_down(&mut self, graph: &RunGraph, area: Rect) {
        self.move_vertical(graph, area, 1);
    }

    /// Left on screen: the dependency nearest in height (layered), else the previous column;
    /// in the tree, the first dependency.
    pub fn move_left(&mut self, graph: &RunGraph, area: Rect) {
        self.move_horizontal(graph, area, -1);
    }

    /// Right on screen: the dependent nearest in height (layered), else the next column;
    /// in the tree, the first dependent.
    pub fn move_right(&mut self, graph: &RunGraph, area: Rect) {
        self.move_horizontal(graph, area, 1);
    }

    /// Scrolls so the selected task is inside `area` (with a row of context when there is room),
    /// and keeps the scroll inside the canvas. Remembers `area` for [`GraphView::sync`].
    pub fn keep_visible(&mut self, graph: &RunGraph, area: Rect) {
        self.last_area = Some(area);
        let layout = self.layout(graph, area);
        let (w, h) = (u32::from(area.width), u32::from(area.height));
        if let Some(p) = self.current(graph).and_then(|i| layout.pos.get(i)) {
            let margin = u32::from(layout.height > h && h > 2);
            if p.y < self.scroll_y + margin {
                self.scroll_y = p.y.saturating_sub(margin);
            } else if p.y + 1 + margin > self.scroll_y + h {
                self.scroll_y = (p.y + 1 + margin).saturating_sub(h);
            }
            if p.x < self.scroll_x {
                self.scroll_x = p.x;
            } else if p.x + p.w > self.scroll_x + w {
                self.scroll_x = (p.x + p.w).saturating_sub(w).min(p.x);
            }
        }
        self.scroll_x = self.scroll_x.min(layout.width.saturating_sub(w));
        self.scroll_y = self.scroll_y.min(layout.height.saturating_sub(h));
    }

    /// Takes a rebuilt graph. For the same run, the selection and the scroll stay (if the
    /// selected task is gone, the task now at its place is selected); for another run, the view
    /// starts over, keeping only the layout choice.
    pub fn sync(&mut self, graph: &RunGraph) {
        if graph.uid != self.uid || graph.workflow != self.workflow {
            let mode = self.mode;
            *self = GraphView::new(graph);
            self.mode = mode;
            return;
        }
        match self.selected.as_deref().and_then(|id| graph.position(id)) {
            Some(i) => self.selected_index = i,
            None if graph.nodes.is_empty() => self.selected = None,
            None if self.selected.is_some() => {
                let i = self.selected_index.min(graph.nodes.len() - 1);
                self.set_selected(graph, i);
            }
            None => self.select_default(graph),
        }
        if let Some(area) = self.last_area {
            self.keep_visible(graph, area);
        }
    }

    fn select_default(&mut self, graph: &RunGraph) {
        let find = |f: &dyn Fn(Phase) -> bool| graph.nodes.iter().position(|n| f(n.phase));
        let pick = find(&|p| p.is_bad()).or_else(|| find(&|p| p == Phase::Running));
        match pick.or((!graph.nodes.is_empty()).then_some(0)) {
            Some(i) => self.set_selected(graph, i),
            None => self.selected = None,
        }
    }

    fn set_selected(&mut self, graph: &RunGraph, i: usize) {
        if let Some(node) = graph.nodes.get(i) {
            if self.selected.as_deref() != Some(node.id.as_str()) {
                self.detail_scroll = 0;
            }
            self.selected = Some(node.id.clone());
            self.selected_index = i;
        }
    }

    /// The selected index, selecting the default first if nothing is selected.
    fn current(&mut self, graph: &RunGraph) -> Option<usize> {
        if self.selected_index(graph).is_none() {
            self.select_default(graph);
        }
        self.selected_index(graph)
    }

    fn step(&mut self, graph: &RunGraph, delta: isize) {
        let Some(i) = self.current(graph) else {
            return;
        };
        let j = i
            .saturating_add_signed(delta)
            .min(graph.nodes.len().saturating_sub(1));
        self.set_selected(graph, j);
    }

    fn move_vertical(&mut self, graph: &RunGraph, area: Rect, delta: isize) {
        let layout = self.layout(graph, area);
        let Some(i) = self.current(graph) else {
            return;
        };
        match layout.mode {
            LayoutMode::Tree => self.step(graph, delta),
            LayoutMode::Layered => {
                if let Some((col, place)) = layout.column_of(graph, i) {
                    let nodes = &layout.columns[col].nodes;
                    let j = place
                        .saturating_add_signed(delta)
                        .min(nodes.len().saturating_sub(1));
                    if let Some(&t) = nodes.get(j) {
                        self.set_selected(graph, t);
                    }
                }
            }
        }
        self.keep_visible(graph, area);
    }

    fn move_horizontal(&mut self, graph: &RunGraph, area: Rect, delta: isize) {
        let layout = self.layout(graph, area);
        let Some(i) = self.current(graph) else {
            return;
        };
        let node = &graph.nodes[i];
        let linked = if delta < 0 { &node.parents } else { &node.children };
        let target = match layout.mode {
            LayoutMode::Tree => linked.first().copied(),
            LayoutMode::Layered => {
                let y = layout.pos[i].y;
                let nearest = |cands: &mut dyn Iterator<Item = usize>| {
                    cands.min_by_key(|&c| layout.pos[c].y.abs_diff(y))
                };
                nearest(&mut linked.iter().copied()).or_else(|| {
                    let col = node.layer.checked_add_signed(delta)?;
                    let column = layout.columns.get(col)?;
                    nearest(&mut column.nodes.iter().copied())
                })
            }
        };
        if let Some(t) = target {
            self.set_selected(graph, t);
        }
        self.keep_visible(graph, area);
    }
}
