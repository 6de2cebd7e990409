//! The Training pane: TrainJobs and legacy training jobs in one live list, and a job's detail
//! (conditions, per-replicated-job counts, trainer status, the runtimes).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use crate::app::state::{SourceState, State};
use crate::config::theme::{Role, Theme};
use crate::kube::resources::train_job::{TrainRow, TrainState};
use crate::ui::View;
use crate::ui::format::{age, human_duration};
use crate::ui::panes::table::{self, Col, Nouns};

pub struct TrainingPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The Role that colours a training state (the glyph and word carry it without colour).
pub fn state_role(state: TrainState) -> Role {
    match state {
        TrainState::Running => Role::StatusRunning,
        TrainState::Restarting => Role::StatusError,
        TrainState::Pending | TrainState::Created => Role::StatusPending,
        TrainState::Suspended => Role::StatusSkipped,
        TrainState::Failed => Role::StatusFailed,
        TrainState::Succeeded => Role::StatusSucceeded,
    }
}

/// The state cell: glyph and the API's own word.
pub fn state_text(r: &TrainRow) -> String {
    format!("{} {}", r.state.glyph(), r.state.word(r.kind))
}

/// A progress bar of `width` cells followed by the percent: `██████░░░░ 60%`.
pub fn progress_bar(percent: i64, width: usize) -> String {
    let filled = (percent.clamp(0, 100) as usize * width + 50) / 100;
    format!(
        "{}{} {percent}%",
        "█".repeat(filled),
        "░".repeat(width.saturating_sub(filled))
    )
}

impl Widget for TrainingPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if self.state.train.open.is_some() {
            JobDetail {
                state: self.state,
                theme: self.view.theme,
            }
            .render(area, buf);
            return;
        }
        let theme = self.view.theme;
        let list = &self.state.training;
        let nouns = Nouns {
            title: "Training",
            plural: "training jobs",
            resource: "trainjobs.trainer.kubeflow.org",
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let missing = self.state.train.missing(&self.state.subs);
        if missing.contains(&crate::kube::resources::train_job::JobKind::TrainJob) {
            let note = " no TrainJob API: legacy jobs only ";
            let x = area.right().saturating_sub(note.chars().count() as u16 + 1);
            buf.set_string(x, area.y, note, theme.style(Role::NoticeWarn));
        }
        let namespace = self.state.target.namespace.is_none();
        let wide = area.width >= 120;
        let mut columns = vec![Col::new("NAME", Constraint::Fill(2)).at_least(20)];
        if namespace {
            columns.push(
                Col::new("NAMESPACE", Constraint::Max(20))
                    .at_least(12)
                    .gives_way(3),
            );
        }
        columns.extend([
            Col::new("KIND", Constraint::Length(8)).gives_way(2),
            Col::new(
                "RUNTIME",
                if wide {
                    Constraint::Length(18)
                } else {
                    Constraint::Fill(1)
                },
            )
            .at_least(10)
            .gives_way(2),
            Col::new("STATE", Constraint::Length(12)),
            Col::new("NODES", Constraint::Length(5)).gives_way(2),
            Col::new("PROGRESS", Constraint::Length(if wide { 15 } else { 8 })).gives_way(2),
            Col::new("ETA", Constraint::Length(6)).gives_way(5),
            Col::new("METRICS", Constraint::Fill(2)).at_least(20).gives_way(5),
            Col::new("AGE", Constraint::Length(5)).gives_way(1),
            Col::new("REASON", Constraint::Fill(2)).at_least(20).gives_way(6),
        ]);
        let now = self.state.now;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let mut cells = vec![table::name_line(&r.name, marked, theme)];
            if namespace {
                cells.push(Line::from(r.namespace.as_str()));
            }
            let progress = match (r.progress, wide) {
                (Some(p), true) => progress_bar(p, 10),
                _ => r.progress_text(),
            };
            let eta = r
                .remaining_seconds
                .map(|s| human_duration(chrono::Duration::seconds(s)))
                .unwrap_or_default();
            cells.extend([
                Line::styled(r.kind.marker(), theme.style(Role::Muted)),
                Line::styled(
                    r.runtime_text(),
                    if r.kind.is_legacy() {
                        theme.style(Role::Muted)
                    } else {
                        theme.style(Role::Text)
                    },
                ),
                Line::styled(state_text(r), theme.style(state_role(r.state))),
                Line::from(r.nodes_text()),
                Line::from(progress),
                Line::from(eta),
                Line::from(r.metrics_text()),
                Line::from(age(r.created, now)),
                Line::styled(r.reason.as_str(), theme.style(Role::Muted)),
            ]);
            cells
        });
    }
}

/// The open job's detail.
pub struct JobDetail<'a> {
    pub state: &'a State,
    pub theme: &'a Theme,
}

fn field<'a>(label: &'a str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<12}"), theme.style(Role::Header)),
        Span::raw(value),
    ])
}

fn heading<'a>(text: String, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text, theme.style(Role::Title)))
}

impl JobDetail<'_> {
    pub fn lines(&self, r: &TrainRow) -> Vec<Line<'static>> {
        let theme = self.theme;
        let now = self.state.now;
        let (group, version, kind, _) = r.kind.api();
        let mut out = vec![
            field("Kind", format!("{kind} ({group}/{version})"), theme),
            field("Namespace", r.namespace.clone(), theme),
        ];
        if !r.kind.is_legacy() {
            out.push(field(
                "Runtime",
                format!("{} {}", r.runtime_kind, r.runtime),
                theme,
            ));
        }
        out.push(Line::from(vec![
            Span::styled(format!("{:<12}", "State"), theme.style(Role::Header)),
            Span::styled(state_text(r), theme.style(state_role(r.state))),
            Span::styled(
                if r.reason.is_empty() {
                    String::new()
                } else {
                    format!("  {}", r.reason)
                },
                theme.style(Role::Muted),
            ),
        ]));
        if r.suspend_requested {
            out.push(field(
                "Suspend",
                "requested: it stays suspended until resumed".into(),
                theme,
            ));
        }
        out.push(field("Nodes", format!("{} ready", r.nodes_text()), theme));
        if let Some(p) = r.progress {
            let mut text = progress_bar(p, 20);
            if let Some(s) = r.remaining_seconds {
                text.push_str(&format!(
                    "   ~{} left",
                    human_duration(chrono::Duration::seconds(s))
                ));
            }
            if let Some(t) = r.metrics_updated {
                text.push_str(&format!("   updated {} ago", human_duration(now - t)));
            }
            out.push(field("Progress", text, theme));
        }
        if !r.metrics.is_empty() {
            out.push(field("Metrics", r.metrics_text(), theme));
        }
        if !r.image.is_empty() {
            out.push(field("Image", r.image.clone(), theme));
        }
        out.push(field("Age", age(r.created, now), theme));

        out.push(Line::raw(""));
        if let Some(m) = crate::app::monitor::hardware(self.state, &r.namespace, &r.name) {
            out.push(Line::from(vec![
                Span::styled("Hardware", theme.style(Role::Title)),
                Span::styled(
                    "   Prometheus (DCGM, cAdvisor), last 15 min, every 15 s".to_string(),
                    theme.style(Role::Muted),
                ),
            ]));
            let lines = crate::ui::metrics::history_lines(
                m,
                &|pod| {
                    pod.strip_prefix(&format!("{}-", r.name))
                        .unwrap_or(pod)
                        .to_string()
                },
                theme,
                self.state.width,
            );
            if lines.is_empty() {
                out.push(Line::from(Span::styled(
                    "  no pods of this job reported".to_string(),
                    theme.style(Role::Muted),
                )));
            }
            out.extend(lines);
            out.push(Line::raw(""));
        }
        let title = if r.kind.is_legacy() {
            "Replicas"
        } else {
            "Replicated jobs"
        };
        out.push(heading(format!("{title} ({})", r.replicas.len()), theme));
        out.push(Line::from(Span::styled(
            format!(
                "  {:<22} {:>8} {:>6} {:>6} {:>9} {:>6} {:>9}",
                "NAME", "REPLICAS", "READY", "ACTIVE", "SUCCEEDED", "FAILED", "SUSPENDED"
            ),
            theme.style(Role::Header),
        )));
        for j in &r.replicas {
            out.push(Line::raw(format!(
                "  {:<22} {:>8} {:>6} {:>6} {:>9} {:>6} {:>9}",
                j.name,
                j.replicas.map_or_else(|| "—".to_string(), |n| n.to_string()),
                j.ready,
                j.active,
                j.succeeded,
                j.failed,
                j.suspended
            )));
        }
        if r.replicas.is_empty() {
            out.push(Line::from(Span::styled(
                "  (none reported yet)",
                theme.style(Role::Muted),
            )));
        }

        out.push(Line::raw(""));
        out.push(heading(format!("Conditions ({})", r.conditions.len()), theme));
        out.push(Line::from(Span::styled(
            format!(
                "  {:<12} {:<7} {:<6} {:<22} MESSAGE",
                "TYPE", "STATUS", "AGE", "REASON"
            ),
            theme.style(Role::Header),
        )));
        for c in &r.conditions {
            let when = c.at.map_or_else(|| "—".to_string(), |t| human_duration(now - t));
            out.push(Line::raw(format!(
                "  {:<12} {:<7} {:<6} {:<22} {}",
                c.type_, c.status, when, c.reason, c.message
            )));
        }
        if r.conditions.is_empty() {
            out.push(Line::from(Span::styled("  (none yet)", theme.style(Role::Muted))));
        }

        if !r.kind.is_legacy() {
            out.push(Line::raw(""));
            let runtimes = self.state.train.runtimes();
            out.push(heading(
                format!("Training runtimes ({}; ★ is this job's)", runtimes.len()),
                theme,
            ));
            if runtimes.is_empty() {
                let text = if self.state.train.runtimes_loaded() {
                    "  none listed in this namespace or cluster-wide"
                } else {
                    "  loading…"
                };
                out.push(Line::from(Span::styled(text, theme.style(Role::Muted))));
            } else {
                out.push(Line::from(Span::styled(
                    format!(
                        "  {:<24} {:<22} {:<10} {:<8} {:>5} {:>6}",
                        "NAME", "KIND", "FRAMEWORK", "POLICY", "NODES", "AGE"
                    ),
                    theme.style(Role::Header),
                )));
            }
            for rt in runtimes {
                let used = rt.name == r.runtime && rt.kind_name() == r.runtime_kind;
                let mut text = format!(
                    "{} {:<24} {:<22} {:<10} {:<8} {:>5} {:>6}",
                    if used { "★" } else { " " },
                    rt.name,
                    rt.kind_name(),
                    rt.framework,
                    rt.policy,
                    rt.num_nodes.map_or_else(String::new, |n| n.to_string()),
                    age(rt.created, now)
                );
                if rt.deprecated {
                    text.push_str("  deprecated");
                }
                let style = if used {
                    theme.style(Role::StatusSucceeded)
                } else {
                    theme.style(Role::Text)
                };
                out.push(Line::from(Span::styled(text, style)));
            }
        }
        out
    }
}

impl Widget for JobDetail<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let Some(open) = &self.state.train.open else {
            return;
        };
        let row = crate::app::training::open_row(self.state);
        let mut title = vec![Span::styled(
            format!(" {}/{} ", open.kind.singular(), open.name),
            theme.style(Role::Title),
        )];
        if let Some(r) = row {
            title.push(Span::styled(
                format!("{} ", state_text(r)),
                theme.style(state_role(r.state)),
            ));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Line::from(title));
        let lines = match row {
            Some(r) => self.lines(r),
            None if self.state.training.source == SourceState::Live => vec![Line::from(Span::styled(
                "This job is no longer listed: it was deleted, or the filter hides it. Esc goes back.",
                theme.style(Role::NoticeWarn),
            ))],
            None => vec![Line::from(Span::styled("Loading…", theme.style(Role::Muted)))],
        };
        let inner = block.inner(area);
        block.render(area, buf);
        crate::ui::widgets::scrolled_text(lines, open.scroll, inner, buf);
    }
}
