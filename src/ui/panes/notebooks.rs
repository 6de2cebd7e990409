//! The Notebooks pane: Kubeflow Notebooks, live, with the status the Jupyter web app shows.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Widget};

use crate::app::state::State;
use crate::config::theme::Role;
use crate::kube::resources::notebook::NotebookStatus;
use crate::ui::View;
use crate::ui::format::age;
use crate::ui::panes::table::{self, Nouns};

pub struct NotebooksPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The Role that colours a notebook status (the glyph and word carry it without colour).
pub fn status_role(status: NotebookStatus) -> Role {
    match status {
        NotebookStatus::Ready => Role::StatusRunning,
        NotebookStatus::Waiting => Role::StatusPending,
        NotebookStatus::Warning => Role::StatusFailed,
        NotebookStatus::Stopped => Role::StatusSkipped,
        NotebookStatus::Terminating => Role::StatusUnknown,
    }
}

impl Widget for NotebooksPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let list = &self.state.notebooks;
        let nouns = Nouns {
            title: "Notebooks",
            plural: "notebooks",
            resource: "notebooks.kubeflow.org",
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let width = area.width;
        let namespace = self.state.target.namespace.is_none() && width >= 110;
        let image = width >= 100;
        let activity = width >= 120;
        let reason = width >= 150;
        let mut columns = vec![("NAME", Constraint::Fill(2))];
        if namespace {
            columns.push(("NAMESPACE", Constraint::Max(20)));
        }
        columns.extend([
            ("STATUS", Constraint::Length(13)),
            ("TYPE", Constraint::Length(7)),
        ]);
        if image {
            columns.push(("IMAGE", Constraint::Fill(2)));
        }
        columns.extend([
            ("CPU", Constraint::Length(5)),
            ("MEMORY", Constraint::Length(6)),
            ("GPU", Constraint::Length(3)),
        ]);
        if activity {
            columns.push(("ACTIVITY", Constraint::Length(8)));
        }
        columns.push(("AGE", Constraint::Length(6)));
        if reason {
            columns.push(("REASON", Constraint::Fill(2)));
        }
        let now = self.state.now;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let mut cells = vec![Cell::from(table::name_line(&r.name, marked, theme))];
            if namespace {
                cells.push(Cell::from(r.namespace.as_str()));
            }
            cells.push(
                Cell::from(format!("{} {}", r.status.glyph(), r.status.word()))
                    .style(theme.style(status_role(r.status))),
            );
            cells.push(Cell::from(r.server.word()));
            if image {
                cells.push(Cell::from(r.image_short.as_str()));
            }
            cells.extend([
                Cell::from(r.cpu.as_str()),
                Cell::from(r.memory.as_str()),
                Cell::from(r.gpus.as_str()),
            ]);
            if activity {
                cells.push(Cell::from(age(r.last_activity, now)));
            }
            cells.push(Cell::from(age(r.created, now)));
            if reason {
                let text = if r.status == NotebookStatus::Ready {
                    ""
                } else {
                    r.reason.as_str()
                };
                cells.push(Cell::from(text).style(theme.style(Role::Muted)));
            }
            Row::new(cells)
        });
    }
}
