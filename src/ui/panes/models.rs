//! The Models pane: KServe InferenceServices, live: readiness and why not, URL, model, traffic.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Widget};

use crate::app::state::State;
use crate::config::theme::Role;
use crate::kube::resources::inference_service::{IsvcRow, Readiness};
use crate::ui::View;
use crate::ui::format::age;
use crate::ui::panes::table::{self, Nouns};

pub struct ModelsPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The Role that colours readiness (the glyph and word carry it without colour).
pub fn ready_role(ready: Readiness) -> Role {
    match ready {
        Readiness::Ready => Role::StatusSucceeded,
        Readiness::Pending => Role::StatusPending,
        Readiness::NotReady => Role::StatusFailed,
        Readiness::Stopped => Role::StatusSkipped,
    }
}

/// The ready cell: glyph and word; a model asked to stop that still serves says "Stopping".
pub fn ready_text(r: &IsvcRow) -> String {
    if r.stopped && r.ready != Readiness::Stopped {
        "◍ Stopping".to_string()
    } else {
        format!("{} {}", r.ready.glyph(), r.ready.word())
    }
}

impl Widget for ModelsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        if self.state.model.test.is_some() {
            let pane = crate::ui::panes::model_detail::TestPane {
                state: self.state,
                theme,
            };
            return pane.render(area, buf);
        }
        if self.state.model.open.is_some() {
            let pane = crate::ui::panes::model_detail::ModelDetail {
                state: self.state,
                theme,
            };
            return pane.render(area, buf);
        }
        let list = &self.state.models;
        let nouns = Nouns {
            title: "Models",
            plural: "models",
            resource: "inferenceservices.serving.kserve.io",
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let width = area.width;
        let namespace = self.state.target.namespace.is_none() && width >= 110;
        let url = width >= 100;
        let mode = width >= 120;
        let storage = width >= 140;
        let runtime = width >= 120;
        let mut columns = vec![("NAME", Constraint::Fill(1))];
        if namespace {
            columns.push(("NAMESPACE", Constraint::Max(20)));
        }
        columns.extend([
            ("READY", Constraint::Length(10)),
            ("REASON", Constraint::Min(15)),
            ("MODEL", Constraint::Fill(1)),
            ("TRAFFIC", Constraint::Length(9)),
        ]);
        if mode {
            columns.push(("MODE", Constraint::Length(13)));
        }
        if url {
            columns.push(("URL", Constraint::Fill(2)));
        }
        if storage {
            columns.push(("STORAGE", Constraint::Fill(2)));
        }
        columns.push(("AGE", Constraint::Length(6)));
        let now = self.state.now;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let mut cells = vec![Cell::from(table::name_line(&r.name, marked, theme))];
            if namespace {
                cells.push(Cell::from(r.namespace.as_str()));
            }
            cells.extend([
                Cell::from(ready_text(r)).style(theme.style(ready_role(r.ready))),
                Cell::from(r.reason.as_str()).style(theme.style(Role::Muted)),
                Cell::from(if runtime {
                    r.format_runtime()
                } else {
                    r.format.clone()
                }),
                Cell::from(r.traffic_text()),
            ]);
            if mode {
                cells.push(Cell::from(r.mode.as_str()));
            }
            if url {
                cells.push(Cell::from(r.url.as_str()));
            }
            if storage {
                cells.push(Cell::from(r.storage_uri.as_str()));
            }
            cells.push(Cell::from(age(r.created, now)));
            Row::new(cells)
        });
    }
}
