//! The Runs pane: Argo Workflows (and the KFP runs they carry), live.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::state::State;
use crate::config::theme::{Role, Theme};
use crate::kube::resources::workflow::{RunOrigin, RunPhase, RunRow};
use crate::ui::View;
use crate::ui::format::{age, human_duration, started};
use crate::ui::panes::table::{self, Col, Nouns};

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

/// Which optional columns the runs have at all (whether they fit is the table's to decide).
struct Columns {
    namespace: bool,
    experiment: bool,
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
        let cols = Columns {
            namespace: self.state.target.namespace.is_none(),
            experiment: experiments,
        };
        let mut columns = vec![Col::new("NAME", Constraint::Fill(2)).at_least(24)];
        if cols.namespace {
            columns.push(
                Col::new("NAMESPACE", Constraint::Max(24))
                    .at_least(12)
                    .gives_way(3),
            );
        }
        columns.push(
            Col::new("PIPELINE", Constraint::Fill(1))
                .at_least(12)
                .gives_way(5),
        );
        if cols.experiment {
            columns.push(
                Col::new("EXPERIMENT", Constraint::Max(18))
                    .at_least(12)
                    .gives_way(5),
            );
        }
        columns.extend([
            Col::new("STATUS", Constraint::Length(11)),
            Col::new("PROGRESS", Constraint::Length(8)).gives_way(2),
            Col::new("STARTED", Constraint::Length(12)).gives_way(3),
            Col::new("DURATION", Constraint::Length(8)).gives_way(4),
            Col::new("AGE", Constraint::Length(6)).gives_way(1),
            Col::new("MESSAGE", Constraint::Fill(2)).at_least(40).gives_way(6),
        ]);
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
) -> Vec<Line<'a>> {
    let mut name = Vec::with_capacity(3);
    if marked {
        name.push(Span::styled("* ", theme.style(Role::Filter)));
    }
    let marker = r.origin.marker();
    if !marker.is_empty() {
        name.push(Span::styled(format!("{marker} "), theme.style(Role::Muted)));
    }
    name.push(Span::raw(r.display_name.as_str()));
    let mut cells = vec![Line::from(name)];
    if cols.namespace {
        cells.push(Line::from(r.namespace.as_str()));
    }
    cells.push(Line::from(r.pipeline.as_str()));
    if cols.experiment {
        cells.push(Line::from(r.experiment.as_str()));
    }
    let progress = r.progress.map(|(d, t)| format!("{d}/{t}")).unwrap_or_default();
    cells.extend([
        Line::styled(
            format!("{} {}", r.phase.glyph(), r.phase.word()),
            theme.style(phase_role(r.phase)),
        ),
        Line::from(progress),
        Line::from(started(r.started, now, tz)),
        Line::from(r.duration(now).map(human_duration).unwrap_or_default()),
        Line::from(age(r.created, now)),
    ]);
    let message = if r.origin == RunOrigin::History && r.message.is_empty() {
        "KFP history: Workflow deleted after its TTL"
    } else {
        r.message.as_str()
    };
    cells.push(Line::styled(message, theme.style(Role::Muted)));
    cells
}
