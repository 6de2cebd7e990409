//! The screen's layout: where the header, tabs, body and bars go, and the parts of the panes whose
//! size decides scrolling. `render` draws into these rectangles and `update` sizes lists, graphs
//! and log views by them, so both read this one copy. Pure geometry: no state, no widgets drawn.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Borders};

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

/// Where a log view's lines go inside the Logs pane's `area` (inside the border, below the
/// header row); the view's viewport is this size, so scrolling matches the screen.
pub fn logs_body_area(area: Rect) -> Rect {
    let inner = Block::default().borders(Borders::ALL).inner(area);
    Rect {
        y: inner.y.saturating_add(1),
        height: inner.height.saturating_sub(1),
        ..inner
    }
}

/// The parts of an open experiment inside its border (`body` is the bordered rectangle).
#[derive(Debug, Clone, Copy)]
pub struct ExperimentAreas {
    pub summary: Rect,
    pub table: Rect,
    pub chart: Rect,
    pub best: Option<Rect>,
}

pub fn experiment_areas(body: Rect) -> ExperimentAreas {
    let inside = inner(body);
    let big = inside.height >= 30;
    let summary_h = if big { 3 } else { 2 };
    let chart_h = if big { 12 } else { 5 };
    let [summary, table, bottom] = Layout::vertical([
        Constraint::Length(summary_h),
        Constraint::Min(3),
        Constraint::Length(chart_h),
    ])
    .areas(inside);
    if inside.width >= 120 {
        let [chart, best] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
        ExperimentAreas {
            summary,
            table,
            chart,
            best: Some(best),
        }
    } else {
        ExperimentAreas {
            summary,
            table,
            chart: bottom,
            best: None,
        }
    }
}

/// Rows of the trials table's body on a screen of this size.
pub fn trials_height(width: u16, height: u16) -> usize {
    let body = areas(Rect::new(0, 0, width, height)).body;
    usize::from(experiment_areas(body).table.height.saturating_sub(1))
}

/// Rows of the side panel beside (or under) a step graph: a page of its scrolling.
pub fn detail_panel_rows(width: u16, height: u16) -> i32 {
    let body = areas(Rect::new(0, 0, width, height)).body;
    i32::from(inner(run_detail_areas(body).1).height.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_table_height_follows_the_layout() {
        assert_eq!(trials_height(80, 24), 10);
        assert!(trials_height(160, 48) > 20);
    }
}
