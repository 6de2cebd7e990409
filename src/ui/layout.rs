//! The screen's layout, shared by `render` and by `update` (which needs the list height to
//! keep the selection on screen).

use ratatui::layout::{Constraint, Layout, Rect};

/// The regions of the screen.
#[derive(Debug, Clone, Copy)]
pub struct Areas {
    pub header: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
    pub footer: Rect,
}

pub fn areas(area: Rect) -> Areas {
    let [header, tabs, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        header,
        tabs,
        body,
        status,
        footer,
    }
}

/// The run detail's two parts inside the body: the step graph and the selected step's detail.
/// Side by side when the terminal is wide, stacked when it is not. Returns the outer (bordered)
/// rectangles.
pub fn run_detail_areas(body: Rect) -> (Rect, Rect) {
    if body.width >= 120 {
        let [graph, detail] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(body);
        (graph, detail)
    } else {
        let [graph, detail] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
        (graph, detail)
    }
}

/// The area the step graph is drawn in (inside its border) for a terminal of this size.
pub fn run_graph_area(width: u16, height: u16) -> Rect {
    let body = areas(Rect::new(0, 0, width, height)).body;
    let (graph, _) = run_detail_areas(body);
    inner(graph)
}

/// A bordered rectangle's inside.
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x + 1,
        r.y + 1,
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

/// Rows of a list pane's table body for a terminal of this size (body minus borders and the
/// column header).
pub fn list_height(width: u16, height: u16) -> usize {
    let body = areas(Rect::new(0, 0, width, height)).body;
    usize::from(body.height.saturating_sub(3))
}
