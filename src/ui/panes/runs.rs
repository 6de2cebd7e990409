//! The Runs pane: Argo Workflows (and the KFP runs they carry), live.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Widget};

use crate::app::state::State;
use crate::config::theme::{Role, Theme};
use crate::kube::resources::workflow::{RunOrigin, RunPhase, RunRow};
use crate::ui::View;
use crate::ui::format::{age, human_duration, started};
use crate::ui::panes::table::{self, Nouns};

pub struct RunsPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The Role that colours a run phase.
pub fn phase_role(phase: RunPhase) -> Role {
    match phase {
        RunPhase::Pending => Role::StatusPending,
        RunPhase::Running | RunPhase::Stopping => Role::StatusRunning,
        RunPhase::Suspended => Role::StatusSkipped,
        RunPhase::Succeeded => Role::StatusSucceeded,
        RunPhase::Failed => Role::StatusFailed,
        RunPhase::Error => Role::StatusError,
        RunPhase::Unknown => Role::StatusUnknown,
    }
}

/// Which optional columns fit.
struct Columns {
    namespace: bool,
    pipeline: bool,
    experiment: bool,
    message: bool,
}

impl Columns {
    fn for_width(width: u16, all_namespaces: bool, experiments: bool) -> Columns {
        Columns {
            namespace: all_namespaces && width >= 110,
            pipeline: width >= 100,
            experiment: experiments && width >= 130,
            message: width >= 150,
        }
    }
}

impl Widget for RunsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let runs = &self.state.runs;
        let nouns = Nouns {
            title: "Runs",
            plural: "runs",
            resource: "workflows.argoproj.io",
        };
        let Some(inner) = table::frame(runs, &nouns, self.state, theme, area, buf) else {
            return;
        };
        // KFP names experiments only where its API answers.
        let experiments = !self.state.kfp_runs.is_empty();
        let cols = Columns::for_width(area.width, self.state.target.namespace.is_none(), experiments);
        let mut columns = vec![("NAME", Constraint::Fill(2))];
        if cols.namespace {
            columns.push(("NAMESPACE", Constraint::Max(24)));
        }
        if cols.pipeline {
            columns.push(("PIPELINE", Constraint::Fill(1)));
        }
        if cols.experiment {
            columns.push(("EXPERIMENT", Constraint::Max(18)));
        }
        columns.extend([
            ("STATUS", Constraint::Length(11)),
            ("PROGRESS", Constraint::Length(8)),
            ("STARTED", Constraint::Length(12)),
            ("DURATION", Constraint::Length(8)),
            ("AGE", Constraint::Length(6)),
        ]);
        if cols.message {
            columns.push(("MESSAGE", Constraint::Fill(2)));
        }
        let (now, tz) = (self.state.now, self.view.tz);
        table::table(runs, columns, theme, inner, buf, |r, marked| {
            run_row(r, &cols, theme, now, tz, marked)
        });
    }
}

fn run_row<'a>(
    r: &'a RunRow,
    cols: &Columns,
    theme: &Theme,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono::FixedOffset,
    marked: bool,
) -> Row<'a> {
    let mut name = Vec::with_capacity(3);
    if marked {
        name.push(Span::styled("* ", theme.style(Role::Filter)));
    }
    let marker = r.origin.marker();
    if !marker.is_empty() {
        name.push(Span::styled(format!("{marker} "), theme.style(Role::Muted)));
    }
    name.push(Span::raw(r.display_name.as_str()));
    let name = Line::from(name);
    let mut cells = vec![Cell::from(name)];
    if cols.namespace {
        cells.push(Cell::from(r.namespace.as_str()));
    }
    if cols.pipeline {
        cells.push(Cell::from(r.pipeline.as_str()));
    }
    if cols.experiment {
        cells.push(Cell::from(r.experiment.as_str()));
    }
    let progress = r.progress.map(|(d, t)| format!("{d}/{t}")).unwrap_or_default();
    cells.extend([
        Cell::from(format!("{} {}", r.phase.glyph(), r.phase.word())).style(theme.style(phase_role(r.phase))),
        Cell::from(progress),
        Cell::from(started(r.started, now, tz)),
        Cell::from(r.duration(now).map(human_duration).unwrap_or_default()),
        Cell::from(age(r.created, now)),
    ]);
    if cols.message {
        let message = if r.origin == RunOrigin::History && r.message.is_empty() {
            "KFP history: Workflow deleted after its TTL"
        } else {
            r.message.as_str()
        };
        cells.push(Cell::from(message).style(theme.style(Role::Muted)));
    }
    Row::new(cells)
}
