//! A model's detail (conditions, components with revisions and traffic, model status) and its
//! test-request view (the body editor, the answer with status and latency, the history).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::models::{TestFocus, TestView};
use crate::app::state::{SourceState, State};
use crate::config::theme::{Role, Theme};
use crate::kube::resources::inference_service::IsvcRow;
use crate::ui::format::{age, human_duration};
use crate::ui::panes::models::{ready_role, ready_text};

/// The open model's detail.
pub struct ModelDetail<'a> {
    pub state: &'a State,
    pub theme: &'a Theme,
}

fn field<'a>(label: &'a str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<13}"), theme.style(Role::Header)),
        Span::raw(value),
    ])
}

fn heading<'a>(text: String, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text, theme.style(Role::Title)))
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "—".to_string()
    } else {
        s.to_string()
    }
}

fn muted(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), theme.style(Role::Muted)))
}

/// What a revision is to the model: `default 90%`, `canary 10%`, or its name alone.
fn revision_role(r: &IsvcRow, revision: &str) -> String {
    let traffic: Vec<_> = r
        .detail
        .components
        .iter()
        .filter(|c| c.name == "predictor")
        .flat_map(|c| c.traffic.iter())
        .collect();
    match traffic.iter().find(|t| t.revision == revision) {
        Some(t) if traffic.len() > 1 => format!(
            "{} {}",
            if t.latest { "canary" } else { "default" },
            t.percent.map_or_else(|| "—".to_string(), |p| format!("{p}%"))
        ),
        _ => revision
            .strip_prefix(&format!("{}-predictor-", r.name))
            .map_or_else(|| revision.to_string(), |n| format!("rev {n}")),
    }
}

/// The model's traffic from Prometheus: the numbers now of each revision side by side (the
/// canary's beside the default's), then the last 15 minutes as sparklines. Nothing when
/// Prometheus has not answered for this model.
pub fn traffic_lines(r: &IsvcRow, state: &State, theme: &Theme) -> Vec<Line<'static>> {
    use crate::kube::prometheus::{Metrics, Unit};
    use crate::ui::metrics::{history_lines, last, value_text};
    let Some(m @ Metrics::History { panels, .. }) =
        crate::app::monitor::model_history(state, &r.namespace, &r.name)
    else {
        return Vec::new();
    };
    let mut out = vec![Line::from(vec![
        Span::styled("Requests", theme.style(Role::Title)),
        Span::styled(
            "   Prometheus, last 15 min, every 15 s".to_string(),
            theme.style(Role::Muted),
        ),
    ])];
    let mut revisions: Vec<String> = panels
        .iter()
        .flat_map(|p| p.series.iter().map(|(l, _)| l.clone()))
        .collect();
    revisions.sort();
    revisions.dedup();
    // The default first, the canary beside it.
    revisions.sort_by_key(|rev| revision_role(r, rev).starts_with("canary"));
    if revisions.is_empty() {
        out.push(muted("  no requests recorded in the last 15 minutes", theme));
        return out;
    }
    let col = 18;
    let mut head = vec![Span::raw(format!("  {:<14}", ""))];
    head.extend(revisions.iter().map(|rev| {
        Span::styled(
            format!("{:<col$}", revision_role(r, rev)),
            theme.style(Role::Header),
        )
    }));
    out.push(Line::from(head));
    for p in panels {
        let mut cells = vec![Span::styled(
            format!("  {:<14}", p.title),
            theme.style(Role::Header),
        )];
        for rev in &revisions {
            let v = p.series.iter().find(|(l, _)| l == rev).and_then(|(_, v)| last(v));
            let v = match (p.unit, v) {
                // No 5xx series and traffic: no errors.
                (Unit::Ratio, None) => None,
                (_, v) => v,
            };
            cells.push(Span::raw(format!("{:<col$}", value_text(p.unit, v))));
        }
        out.push(Line::from(cells));
    }
    if let Some(t) = state.monitor.traffic(&r.namespace, &r.name) {
        out.push(field_line(
            "pods",
            format!(
                "{} ready of {} desired",
                t.ready.map_or_else(|| "—".to_string(), |v| format!("{v:.0}")),
                t.desired.map_or_else(|| "—".to_string(), |v| format!("{v:.0}"))
            ),
            theme,
        ));
    }
    out.push(Line::raw(""));
    out.extend(history_lines(m, &|rev| revision_role(r, rev), theme, state.width));
    out
}

fn field_line(label: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {label:<14}"), theme.style(Role::Header)),
        Span::raw(value),
    ])
}

/// The detail's lines for a model.
pub fn detail_lines(r: &IsvcRow, state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let now = state.now;
    let d = &r.detail;
    let mut out = vec![
        field("Namespace", r.namespace.clone(), theme),
        Line::from(vec![
            Span::styled(format!("{:<13}", "Ready"), theme.style(Role::Header)),
            Span::styled(ready_text(r), theme.style(ready_role(r.ready))),
            Span::styled(
                if r.reason.is_empty() {
                    String::new()
                } else {
                    format!("  {}", r.reason)
                },
                theme.style(Role::Muted),
            ),
        ]),
        field("URL", or_dash(&r.url), theme),
        field("Storage URI", or_dash(&r.storage_uri), theme),
        field("Model format", or_dash(&r.format), theme),
        field(
            "Runtime",
            if r.runtime.is_empty() {
                "— (chosen by KServe)".to_string()
            } else {
                r.runtime.clone()
            },
            theme,
        ),
        field(
            "Protocol",
            format!(
                "{}   test requests use {}",
                or_dash(&d.protocol_version),
                r.protocol.word()
            ),
            theme,
        ),
        field("Mode", or_dash(&r.mode), theme),
    ];
    let mut traffic = r.traffic_text();
    if let Some(c) = r.canary_spec {
        traffic.push_str(&format!("   spec: canaryTrafficPercent {c}"));
    }
    out.push(field("Traffic", or_dash(&traffic), theme));
    for (name, percent) in &d.canaries {
        out.push(field(
            "Canary",
            format!(
                "{} {}",
                or_dash(name),
                percent.map_or_else(|| "—".to_string(), |p| format!("{p}%"))
            ),
            theme,
        ));
    }
    out.push(field("Age", age(r.created, now), theme));

    out.push(Line::raw(""));
    let traffic = traffic_lines(r, state, theme);
    if !traffic.is_empty() {
        out.extend(traffic);
        out.push(Line::raw(""));
    }
    out.push(heading(format!("Components ({})", d.components.len()), theme));
    if d.components.is_empty() {
        out.push(muted("  (none reported yet)", theme));
    }
    for c in &d.components {
        out.push(Line::from(Span::styled(
            format!("  {}", c.name),
            theme.style(Role::Header),
        )));
        // The URL on a line of its own, so that a long one is not wrapped to the margin.
        if !c.url.is_empty() {
            out.push(Line::raw(format!("    {}", c.url)));
        }
        for (label, value) in [
            ("latest created", &c.latest_created),
            ("latest ready", &c.latest_ready),
            ("prev rolled out", &c.previous_rolledout),
        ] {
            out.push(Line::from(vec![
                Span::styled(format!("    {label:<16}"), theme.style(Role::Muted)),
                Span::raw(or_dash(value)),
            ]));
        }
        let width = c
            .traffic
            .iter()
            .map(|t| t.revision.chars().count())
            .max()
            .unwrap_or(0)
            .max(8);
        if c.traffic.is_empty() {
            out.push(muted("    no traffic reported", theme));
        } else {
            out.push(Line::from(Span::styled(
                format!(
                    "    {:>7}  {:<width$}  {:<8} {}",
                    "PERCENT", "REVISION", "TAG", "LATEST"
                ),
                theme.style(Role::Header),
            )));
        }
        for t in &c.traffic {
            out.push(Line::raw(format!(
                "    {:>7}  {:<width$}  {:<8} {}",
                t.percent.map_or_else(|| "—".to_string(), |p| format!("{p}%")),
                t.revision,
                or_dash(&t.tag),
                if t.latest { "yes" } else { "no" }
            )));
        }
    }

    out.push(Line::raw(""));
    out.push(heading("Model status".to_string(), theme));
    match &d.model_status {
        None => out.push(muted("  (not reported)", theme)),
        Some(m) => {
            out.push(Line::raw(format!(
                "  transition {}  active {}  target {}",
                or_dash(&m.transition),
                or_dash(&m.active),
                or_dash(&m.target)
            )));
            if !m.failure_reason.is_empty() || !m.failure_message.is_empty() {
                let when = m
                    .failure_at
                    .map_or_else(String::new, |t| format!(" ({} ago)", human_duration(now - t)));
                out.push(Line::from(Span::styled(
                    format!(
                        "  last failure {}{when}: {}",
                        or_dash(&m.failure_reason),
                        m.failure_message
                    ),
                    theme.style(Role::StatusFailed),
                )));
            }
        }
    }

    out.push(Line::raw(""));
    out.push(heading(format!("Conditions ({})", d.conditions.len()), theme));
    if d.conditions.is_empty() {
        out.push(muted("  (none yet)", theme));
    } else {
        out.push(Line::from(Span::styled(
            format!(
                "  {:<28} {:<7} {:<6} {:<20} MESSAGE",
                "TYPE", "STATUS", "AGE", "REASON"
            ),
            theme.style(Role::Header),
        )));
    }
    for c in &d.conditions {
        let when = c.at.map_or_else(|| "—".to_string(), |t| human_duration(now - t));
        let style = match c.status.as_str() {
            "False" => theme.style(Role::StatusFailed),
            "True" => theme.style(Role::Text),
            _ => theme.style(Role::StatusPending),
        };
        out.push(Line::from(Span::styled(
            format!(
                "  {:<28} {:<7} {:<6} {:<20} {}",
                c.type_, c.status, when, c.reason, c.message
            ),
            style,
        )));
    }
    out
}

impl Widget for ModelDetail<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let Some(open) = &self.state.model.open else {
            return;
        };
        let row = crate::app::models::open_row(self.state);
        let mut title = vec![Span::styled(
            format!(" model/{} ", open.name),
            theme.style(Role::Title),
        )];
        if let Some(r) = row {
            title.push(Span::styled(
                format!("{} ", ready_text(r)),
                theme.style(ready_role(r.ready)),
            ));
        }
        let lines = match row {
            Some(r) => detail_lines(r, self.state, theme),
            None if self.state.models.source == SourceState::Live => vec![Line::from(Span::styled(
                "This model is no longer listed: it was deleted, or the filter hides it. Esc goes back.",
                theme.style(Role::NoticeWarn),
            ))],
            None => vec![muted("Loading…", theme)],
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        if crate::ui::widgets::scrolled_text(lines, open.scroll, inner, buf) {
            Line::from(Span::styled(" ↓ more ", theme.style(Role::Muted)))
                .right_aligned()
                .render(
                    Rect {
                        x: area.x + 1,
                        y: area.bottom().saturating_sub(1),
                        width: area.width.saturating_sub(2),
                        height: 1,
                    },
                    buf,
                );
        }
    }
}

/// The test-request view: the editor on the left, the answer on the right, the history below.
pub struct TestPane<'a> {
    pub state: &'a State,
    pub theme: &'a Theme,
}

fn border(theme: &Theme, focused: bool) -> ratatui::style::Style {
    theme.style(if focused {
        Role::BorderFocused
    } else {
        Role::Border
    })
}

impl TestPane<'_> {
    fn response(&self, t: &TestView, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut title = vec![Span::styled(" Response ", theme.style(Role::Title))];
        let mut lines: Vec<Line> = Vec::new();
        if t.pending.is_some() {
            lines.push(muted("sending…", theme));
        } else if let Some(rec) = &t.shown {
            match &rec.result {
                Ok(a) => {
                    let role = if (200..300).contains(&a.status) {
                        Role::StatusSucceeded
                    } else {
                        Role::StatusFailed
                    };
                    title.push(Span::styled(
                        format!("HTTP {} · {} ms ", a.status, a.latency_ms),
                        theme.style(role),
                    ));
                    lines.extend(a.body.lines().map(|l| Line::raw(l.to_string())));
                }
                Err(e) => {
                    title.push(Span::styled("no answer ", theme.style(Role::StatusFailed)));
                    lines.push(Line::from(Span::styled(
                        e.clone(),
                        theme.style(Role::StatusFailed),
                    )));
                }
            }
        } else {
            lines.push(muted("ctrl-s sends the body; the answer shows here.", theme));
        }
        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(border(theme, false))
                    .title(Line::from(title)),
            )
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }

    fn history(&self, t: &TestView, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let focused = t.focus == TestFocus::History;
        let history = self.state.model.history_of(&t.namespace, &t.name);
        let n = history.map_or(0, |h| h.len());
        let inner_h = area.height.saturating_sub(2) as usize;
        let start = if focused {
            t.history_selected.saturating_sub(inner_h.saturating_sub(1))
        } else {
            0
        };
        let lines: Vec<Line> = match history {
            Some(h) if !h.is_empty() => h
                .iter()
                .enumerate()
                .skip(start)
                .take(inner_h)
                .map(|(i, rec)| {
                    let text = format!(
                        "{}  {:>3}  {:>8}  {}",
                        rec.at.format("%H:%M:%S"),
                        rec.status_text(),
                        rec.latency_text(),
                        rec.first_line()
                    );
                    let style = if focused && i == t.history_selected {
                        theme.style(Role::Selection)
                    } else if rec.result.as_ref().is_ok_and(|a| (200..300).contains(&a.status)) {
                        theme.style(Role::Text)
                    } else {
                        theme.style(Role::StatusFailed)
                    };
                    Line::from(Span::styled(text, style))
                })
                .collect(),
            _ => vec![muted("no requests yet", theme)],
        };
        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(border(theme, focused))
                    .title(Line::from(Span::styled(
                        format!(" History ({n}; tab, then ↑/↓ loads a body) "),
                        theme.style(Role::Title),
                    ))),
            )
            .render(area, buf);
    }
}

impl Widget for TestPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let Some(t) = &self.state.model.test else {
            return;
        };
        let [top, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Length(7)]).areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
        let path = crate::kube::predict::proxy_path(&t.namespace, &t.name, t.protocol);
        let endpoint = path.rsplit("/proxy").next().unwrap_or_default().to_string();
        let mut editor = t.editor.clone();
        editor.set_block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border(theme, t.focus == TestFocus::Editor))
                .title(Line::from(vec![
                    Span::styled(format!(" Test {} ", t.name), theme.style(Role::Title)),
                    Span::styled(format!("POST {endpoint} "), theme.style(Role::Muted)),
                ])),
        );
        editor.set_cursor_line_style(ratatui::style::Style::default());
        let [edit_area, error_area] = if t.error.is_some() {
            Layout::vertical([Constraint::Fill(1), Constraint::Length(2)]).areas(left)
        } else {
            [left, Rect::new(left.x, left.bottom(), left.width, 0)]
        };
        editor.render(edit_area, buf);
        if let Some(e) = &t.error {
            Paragraph::new(Line::from(Span::styled(
                e.clone(),
                theme.style(Role::NoticeError),
            )))
            .wrap(Wrap { trim: false })
            .render(error_area, buf);
        }
        self.response(t, right, buf);
        self.history(t, bottom, buf);
    }
}
