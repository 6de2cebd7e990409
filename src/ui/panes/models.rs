//! The Models pane: KServe InferenceServices, live: readiness and why not, URL, model, traffic.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::Widget;

use crate::app::state::State;
use crate::config::theme::Role;
use crate::kube::prometheus::{Traffic, Unit};
use crate::kube::resources::inference_service::{IsvcRow, Readiness};
use crate::ui::View;
use crate::ui::format::age;
use crate::ui::metrics::value_text;
use crate::ui::panes::table::{self, Col, Nouns};

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

/// The traffic columns of a model: requests/s, p50, p99, error ratio, ready/desired pods.
fn traffic_cells(t: Option<&Traffic>, theme: &crate::config::theme::Theme) -> Vec<Line<'static>> {
    let t = t.copied().unwrap_or_default();
    let errors = value_text(Unit::Ratio, t.error_ratio);
    let error_style = if t.error_ratio.is_some_and(|e| e >= 0.01) {
        theme.style(Role::StatusFailed)
    } else {
        theme.style(Role::Text)
    };
    let pods = match (t.ready, t.desired) {
        (None, None) => "—".to_string(),
        (r, d) => format!(
            "{}/{}",
            r.map_or_else(|| "—".into(), |v| format!("{v:.0}")),
            d.map_or_else(|| "—".into(), |v| format!("{v:.0}"))
        ),
    };
    vec![
        Line::from(value_text(Unit::PerSecond, t.rps)),
        Line::from(value_text(Unit::Millis, t.p50_ms)),
        Line::from(value_text(Unit::Millis, t.p99_ms)),
        Line::styled(errors, error_style),
        Line::from(pods),
    ]
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
        let namespace = self.state.target.namespace.is_none();
        let runtime = area.width >= 120;
        let mut columns = vec![Col::new("NAME", Constraint::Fill(1)).at_least(16)];
        if namespace {
            columns.push(
                Col::new("NAMESPACE", Constraint::Max(20))
                    .at_least(12)
                    .gives_way(4),
            );
        }
        columns.extend([
            Col::new("READY", Constraint::Length(10)),
            Col::new("REASON", Constraint::Min(15)).gives_way(2),
            Col::new("MODEL", Constraint::Fill(1))
                .at_least(16)
                .gives_way(1)
                .sorts("format"),
            Col::new("TRAFFIC", Constraint::Length(9)).gives_way(3),
        ]);
        // Prometheus's numbers, once it answered (without one the list is as it always was).
        let monitor = self.state.monitor.models.is_some();
        if monitor {
            columns.extend([
                Col::new("REQ/S", Constraint::Length(8)).gives_way(1),
                Col::new("P50", Constraint::Length(8)).gives_way(4),
                Col::new("P99", Constraint::Length(8)).gives_way(2),
                Col::new("ERRORS", Constraint::Length(7)).gives_way(3),
                Col::new("PODS", Constraint::Length(5)).gives_way(5),
            ]);
        }
        columns.extend([
            Col::new("MODE", Constraint::Length(13)).gives_way(6),
            Col::new("URL", Constraint::Fill(2)).at_least(20).gives_way(5),
            Col::new("STORAGE", Constraint::Fill(2)).at_least(20).gives_way(7),
            Col::new("AGE", Constraint::Length(6)).gives_way(1),
        ]);
        let now = self.state.now;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let mut cells = vec![table::name_line(&r.name, marked, theme)];
            if namespace {
                cells.push(Line::from(r.namespace.as_str()));
            }
            cells.extend([
                Line::styled(ready_text(r), theme.style(ready_role(r.ready))),
                Line::styled(r.reason.as_str(), theme.style(Role::Muted)),
                Line::from(if runtime {
                    r.format_runtime()
                } else {
                    r.format.clone()
                }),
                Line::from(r.traffic_text()),
            ]);
            if monitor {
                cells.extend(traffic_cells(
                    self.state.monitor.traffic(&r.namespace, &r.name),
                    theme,
                ));
            }
            cells.extend([
                Line::from(r.mode.as_str()),
                Line::from(r.url.as_str()),
                Line::from(r.storage_uri.as_str()),
                Line::from(age(r.created, now)),
            ]);
            cells
        });
    }
}
