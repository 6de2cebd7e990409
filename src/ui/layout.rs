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

/// Rows of a list pane's table body for a terminal of this size (body minus borders and the
/// column header).
pub fn list_height(width: u16, height: u16) -> usize {
    let body = areas(Rect::new(0, 0, width, height)).body;
    usize::from(body.height.saturating_sub(3))
}
