//! The run detail's step graph and the selected step's details.
//!
//! [`GraphWidget`] draws a [`RunGraph`] as columns of layers joined by box-drawing edges when it
//! fits, else as an indented tree; [`NodeDetail`] lists the selected step's pod, phase, times,
//! inputs, outputs, artifacts and attempts. Both are pure: state comes in borrowed, `now` and
//! the time zone are passed in, and all cluster text goes through [`crate::text::sanitize`].

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::config::theme::{Role, Theme};
use crate::runs::layout::{Column, DURATION_WIDTH, GraphLayout, LayoutMode, Segment};
use crate::runs::model::{GraphNode, Group, GroupKind, Io, Item, Phase, RunGraph};
use crate::runs::view::GraphView;
use crate::text::sanitize;
use crate::ui::format::human_duration;

/// The step graph of one run.
pub struct GraphWidget<'a> {
    /// The graph.
    pub graph: &'a RunGraph,
    /// Selection, scroll and layout choice.
    pub view: &'a GraphView,
    /// Styles.
    pub theme: &'a Theme,
    /// The time running steps' durations are measured to.
    pub now: DateTime<Utc>,
}

impl Widget for GraphWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        if let Some(notice) = self.graph.notice() {
            message(area, buf, notice, self.theme.style(Role::NoticeWarn));
            return;
        }
        if self.graph.nodes.is_empty() {
            message(area, buf, "No steps yet.", self.theme.style(Role::Muted));
            return;
        }
        let layout = self.view.layout(self.graph, area);
        let (sx, sy) = self.view.scroll();
        let canvas = Canvas {
            area,
            sx: sx.min(layout.width.saturating_sub(u32::from(area.width))),
            sy: sy.min(layout.height.saturating_sub(u32::from(area.height))),
        };
        match layout.mode {
            LayoutMode::Layered => self.render_layered(&layout, &canvas, buf),
            LayoutMode::Tree => self.render_tree(&layout, &canvas, buf),
        }
    }
}

impl GraphWidget<'_> {
    fn render_layered(&self, layout: &GraphLayout, canvas: &Canvas, buf: &mut Buffer) {
        let edge = self.theme.style(Role::Muted);
        canvas.draw_lines(&layout.segments, edge, buf);
        for &(x, y) in &layout.arrows {
            canvas.put(buf, x, y, "▶", edge);
        }
        for c in &layout.captions {
            if let Some(group) = self.graph.groups.get(c.group) {
                let name = sanitize(&group.display_name);
                let text = match group.kind {
                    GroupKind::Dag => format!("▾ {name}"),
                    kind => format!("▾ {name} · {}", kind_word(kind)),
                };
                let text = fit(&text, c.w as usize);
                canvas.put(buf, c.x, c.y, &text, edge.add_modifier(Modifier::ITALIC));
            }
        }
        let selected = self.view.selected_index(self.graph);
        for col in &layout.columns {
            if !canvas.sees_columns(col.x, col.width) {
                continue;
            }
            for &n in &col.nodes {
                let Some(node) = self.graph.nodes.get(n) else {
                    continue;
                };
                let y = layout.pos[n].y;
                if canvas.sees_row(y) {
                    self.layered_label(node, col, y, selected == Some(n), canvas, buf);
                }
            }
        }
    }

    /// `✓ name      3m12s ↻1`, padded to the column.
    fn layered_label(
        &self,
        node: &GraphNode,
        col: &Column,
        y: u32,
        selected: bool,
        canvas: &Canvas,
        buf: &mut Buffer,
    ) {
        let sel = |s: Style| {
            if selected {
                s.patch(self.theme.style(Role::Selection))
            } else {
                s
            }
        };
        let text = self.theme.style(Role::Text);
        let muted = self.theme.style(Role::Muted);
        let mut x = col.x;
        x += canvas.put(buf, x, y, glyph(node), sel(self.theme.style(node_role(node))));
        x += canvas.put(buf, x, y, " ", sel(text));
        let name = fit(&sanitize(&node.display_name), col.name_width as usize);
        x += canvas.put(buf, x, y, &name, sel(text));
        let dur = self.duration(node);
        let pad = (col.name_width as usize + 1 + DURATION_WIDTH as usize)
            .saturating_sub(name.width() + dur.width());
        x += canvas.put(buf, x, y, &" ".repeat(pad), sel(text));
        x += canvas.put(buf, x, y, &dur, sel(muted));
        let retry = retry_marker(node.retries());
        let pad = (col.retry_width as usize).saturating_sub(retry.width());
        x += canvas.put(buf, x, y, &retry, sel(self.theme.style(Role::StatusRunning)));
        canvas.put(buf, x, y, &" ".repeat(pad), sel(text));
    }

    fn render_tree(&self, layout: &GraphLayout, canvas: &Canvas, buf: &mut Buffer) {
        let first = canvas.sy as usize;
        let last = (first + usize::from(canvas.area.height)).min(layout.rows.len());
        let selected = self.view.selected_index(self.graph);
        for (y, row) in layout.rows.iter().enumerate().take(last).skip(first) {
            let y = y as u32;
            let mut x = canvas.put(buf, 0, y, &row.prefix, self.theme.style(Role::Muted));
            let name_width = (layout.tree_name_width as usize).saturating_sub(x as usize + 2);
            match row.item {
                Item::Node(u) => {
                    let Some(node) = self.graph.nodes.get(u) else {
                        continue;
                    };
                    let sel = selected == Some(u);
                    x = self.tree_node(node, x, y, name_width, canvas, buf);
                    if sel {
                        let from = row.prefix.width() as u32;
                        canvas.restyle(buf, from, y, x.max(from + 1), self.theme.style(Role::Selection));
                    }
                }
                Item::Group(g) => {
                    if let Some(group) = self.graph.groups.get(g) {
                        self.tree_group(group, x, y, name_width, canvas, buf);
                    }
                }
            }
        }
    }

    /// Glyph, name, duration, retries, `← dependencies`, message. Returns the end column.
    fn tree_node(
        &self,
        node: &GraphNode,
        x: u32,
        y: u32,
        name_width: usize,
        canvas: &Canvas,
        buf: &mut Buffer,
    ) -> u32 {
        let text = self.theme.style(Role::Text);
        let muted = self.theme.style(Role::Muted);
        let role = self.theme.style(node_role(node));
        let mut x = x;
        x += canvas.put(buf, x, y, glyph(node), role);
        x += canvas.put(buf, x, y, " ", text);
        let name = fit(&sanitize(&node.display_name), name_width);
        x += canvas.put(buf, x, y, &name, text);
        let dur = self.duration(node);
        let pad = (name_width + 1 + DURATION_WIDTH as usize).saturating_sub(name.width() + dur.width());
        x += canvas.put(buf, x, y, &" ".repeat(pad), text);
        x += canvas.put(buf, x, y, &dur, muted);
        let retry = retry_marker(node.retries());
        x += canvas.put(buf, x, y, &retry, self.theme.style(Role::StatusRunning));
        let end = x;
        x += canvas.put(buf, x, y, &" ".repeat(4usize.saturating_sub(retry.width())), text);
        let deps = dependency_names(self.graph, &node.parents);
        if !deps.is_empty() {
            x += canvas.put(buf, x, y, &format!(" ← {deps}"), muted);
        }
        if node.is_cached() {
            x += canvas.put(buf, x, y, "  cached", muted);
        } else if let Some(m) = &node.message {
            x += canvas.put(buf, x, y, &format!("  {}", sanitize(m)), role);
        }
        end.max(x.min(end + 1))
    }

    fn tree_group(
        &self,
        group: &Group,
        x: u32,
        y: u32,
        name_width: usize,
        canvas: &Canvas,
        buf: &mut Buffer,
    ) {
        let role = self.theme.style(phase_role(group.phase));
        let title = self.theme.style(Role::Title).add_modifier(Modifier::BOLD);
        let muted = self.theme.style(Role::Muted);
        let mut x = x;
        x += canvas.put(buf, x, y, phase_glyph(group.phase), role);
        x += canvas.put(buf, x, y, " ", title);
        let name = fit(&sanitize(&group.display_name), name_width);
        x += canvas.put(buf, x, y, &name, title);
        let dur = group.duration(self.now).map(human_duration).unwrap_or_default();
        let pad = (name_width + 1 + DURATION_WIDTH as usize).saturating_sub(name.width() + dur.width());
        x += canvas.put(buf, x, y, &" ".repeat(pad), muted);
        x += canvas.put(buf, x, y, &dur, muted);
        x += canvas.put(buf, x, y, &format!("     {}", kind_word(group.kind)), muted);
        if let Some(m) = &group.message {
            canvas.put(buf, x, y, &format!("  {}", sanitize(m)), role);
        }
    }

    fn duration(&self, node: &GraphNode) -> String {
        node.duration(self.now).map(human_duration).unwrap_or_default()
    }
}

/// The selected step's details.
pub struct NodeDetail<'a> {
    /// The graph.
    pub graph: &'a RunGraph,
    /// Which step is selected, and the detail scroll.
    pub view: &'a GraphView,
    /// Styles.
    pub theme: &'a Theme,
    /// The time running steps' durations are measured to.
    pub now: DateTime<Utc>,
    /// The offset times are shown in.
    pub tz: FixedOffset,
}

impl Widget for NodeDetail<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let Some(node) = self.view.selected_node(self.graph) else {
            let text = self.graph.notice().unwrap_or("No step selected.");
            message(area, buf, text, self.theme.style(Role::Muted));
            return;
        };
        super::scrolled_text(
            self.lines(node),
            usize::from(self.view.detail_scroll()),
            area,
            buf,
        );
    }
}

/// Width of the label column in the detail panel.
const LABEL_WIDTH: usize = 10;

impl NodeDetail<'_> {
    fn lines(&self, node: &GraphNode) -> Vec<Line<'static>> {
        let mut lines = vec![Line::from(vec![
            Span::styled(glyph(node).to_string(), self.theme.style(node_role(node))),
            Span::raw(" "),
            Span::styled(
                sanitize(&node.display_name).into_owned(),
                self.theme.style(Role::Title).add_modifier(Modifier::BOLD),
            ),
        ])];
        self.status_lines(node, &mut lines);
        self.time_lines(node, &mut lines);
        self.link_lines(node, &mut lines);
        self.io_lines("Inputs", &node.inputs, &mut lines);
        self.io_lines("Outputs", &node.outputs, &mut lines);
        self.attempt_lines(node, &mut lines);
        lines
    }

    fn field(&self, label: &str, value: String, role: Role) -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{label:<LABEL_WIDTH$}"), self.theme.style(Role::Muted)),
            Span::styled(value, self.theme.style(role)),
        ])
    }

    fn status_lines(&self, node: &GraphNode, lines: &mut Vec<Line<'static>>) {
        let mut phase = format!("{} {}", glyph(node), phase_word(node));
        if node.is_cached() && node.phase != Phase::Cached {
            phase.push_str(" (cached)");
        }
        lines.push(self.field("Phase", phase, node_role(node)));
        if let Some(m) = &node.message {
            lines.push(self.field("Message", sanitize(m).into_owned(), node_role(node)));
        }
        let pod = match &node.pod_name {
            Some(p) => sanitize(p).into_owned(),
            None if node.node_type == crate::runs::model::NodeType::Pod => "(no pod yet)".to_string(),
            None => format!("(none: {} step)", node.node_type.name()),
        };
        lines.push(self.field("Pod", pod, Role::Text));
        if let Some(k) = &node.kfp {
            let driver = match &k.driver_pod {
                Some(_) => format!("{} {}", phase_glyph(k.driver_phase), k.driver_phase.word()),
                None => "(not started)".to_string(),
            };
            lines.push(self.field("Driver", driver, phase_role(k.driver_phase)));
            if let Some(p) = &k.driver_pod {
                lines.push(self.field("", sanitize(p).into_owned(), Role::Text));
            }
            if k.driver_phase.is_bad()
                && let Some(m) = &k.driver_message
            {
                lines.push(self.field("", sanitize(m).into_owned(), Role::StatusFailed));
            }
            lines.push(self.field("Task", sanitize(&k.task).into_owned(), Role::Text));
        }
        let mut kind = node.node_type.name().to_string();
        if let Some(t) = &node.template {
            kind.push_str(&format!(" · template {}", sanitize(t)));
        }
        lines.push(self.field("Type", kind, Role::Text));
        if let Some(code) = &node.exit_code {
            let role = if code == "0" {
                Role::Text
            } else {
                Role::StatusFailed
            };
            lines.push(self.field("Exit code", sanitize(code).into_owned(), role));
        }
        if let Some(m) = &node.memoization {
            let hit = if m.hit { "hit" } else { "miss" };
            let text = format!(
                "{hit} · key {} · cache {}",
                sanitize(&m.key),
                sanitize(&m.cache_name)
            );
            lines.push(self.field("Memoized", text, Role::Text));
        }
    }

    fn time_lines(&self, node: &GraphNode, lines: &mut Vec<Line<'static>>) {
        let time = |t: Option<DateTime<Utc>>| match t {
            Some(t) => t.with_timezone(&self.tz).format("%Y-%m-%d %H:%M:%S").to_string(),
            None => "—".to_string(),
        };
        lines.push(self.field("Started", time(node.started_at), Role::Text));
        let finished = match (node.finished_at, node.phase.is_finished()) {
            (None, false) => "(running)".to_string(),
            (t, _) => time(t),
        };
        lines.push(self.field("Finished", finished, Role::Text));
        let dur = node
            .duration(self.now)
            .map(human_duration)
            .unwrap_or_else(|| "—".to_string());
        lines.push(self.field("Duration", dur, Role::Text));
        if let Some(h) = &node.host_node {
            lines.push(self.field("Host", sanitize(h).into_owned(), Role::Text));
        }
    }

    fn link_lines(&self, node: &GraphNode, lines: &mut Vec<Line<'static>>) {
        if let Some(g) = node.group.and_then(|g| self.graph.groups.get(g)) {
            lines.push(self.field("In", sanitize(&g.display_name).into_owned(), Role::Text));
        }
        let after = dependency_names(self.graph, &node.parents);
        if !after.is_empty() {
            lines.push(self.field("After", after, Role::Text));
        }
        let before = dependency_names(self.graph, &node.children);
        if !before.is_empty() {
            lines.push(self.field("Before", before, Role::Text));
        }
        lines.push(self.field("Node ID", sanitize(&node.id).into_owned(), Role::Muted));
    }

    fn io_lines(&self, title: &str, io: &Io, lines: &mut Vec<Line<'static>>) {
        if io.is_empty() {
            return;
        }
        lines.push(Line::from(Span::styled(
            title.to_string(),
            self.theme.style(Role::Header),
        )));
        for p in &io.parameters {
            let value = p.value.as_deref().map(sanitize).unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", sanitize(&p.name)), self.theme.style(Role::Muted)),
                Span::raw(" = "),
                Span::styled(value.into_owned(), self.theme.style(Role::Text)),
            ]));
        }
        for a in &io.artifacts {
            let uri = a
                .uri
                .as_deref()
                .map(sanitize)
                .unwrap_or_else(|| "(no location)".into());
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", sanitize(&a.name)), self.theme.style(Role::Muted)),
                Span::raw("  "),
                Span::styled(uri.into_owned(), self.theme.style(Role::Text)),
            ]));
        }
    }

    fn attempt_lines(&self, node: &GraphNode, lines: &mut Vec<Line<'static>>) {
        if node.attempts.is_empty() {
            return;
        }
        let title = format!("Attempts ({}, {} retried)", node.attempts.len(), node.retries());
        lines.push(Line::from(Span::styled(title, self.theme.style(Role::Header))));
        for (i, a) in node.attempts.iter().enumerate() {
            let dur = a.duration(self.now).map(human_duration).unwrap_or_default();
            let mut spans = vec![
                Span::styled(format!("  #{i:<2}"), self.theme.style(Role::Muted)),
                Span::styled(
                    format!("{} {:<9}", phase_glyph(a.phase), a.phase.word()),
                    self.theme.style(phase_role(a.phase)),
                ),
                Span::styled(format!("{dur:>6}"), self.theme.style(Role::Muted)),
            ];
            if let Some(code) = &a.exit_code {
                spans.push(Span::styled(
                    format!("  exit {}", sanitize(code)),
                    self.theme.style(Role::Muted),
                ));
            }
            if let Some(m) = &a.message {
                spans.push(Span::styled(
                    format!("  {}", sanitize(m)),
                    self.theme.style(phase_role(a.phase)),
                ));
            }
            lines.push(Line::from(spans));
            if let Some(pod) = &a.pod_name {
                let text = format!("      {}", sanitize(pod));
                lines.push(Line::from(Span::styled(text, self.theme.style(Role::Text))));
            }
        }
    }
}

/// The phase glyph of a step: ✓ ✗ ● ○ ‖ ⊘ ! ?.
pub fn glyph(node: &GraphNode) -> &'static str {
    if node.is_suspended() {
        "‖"
    } else if node.is_cached() {
        "⊘"
    } else {
        phase_glyph(node.phase)
    }
}

/// The glyph of a phase.
pub fn phase_glyph(phase: Phase) -> &'static str {
    match phase {
        Phase::Succeeded => "✓",
        Phase::Failed => "✗",
        Phase::Error => "!",
        Phase::Running => "●",
        Phase::Pending => "○",
        Phase::Skipped | Phase::Omitted | Phase::Cached => "⊘",
        Phase::Unknown => "?",
    }
}

/// The word for a step's state.
fn phase_word(node: &GraphNode) -> &'static str {
    if node.is_suspended() {
        "Suspended"
    } else {
        node.phase.word()
    }
}

/// The style role of a step.
pub fn node_role(node: &GraphNode) -> Role {
    if node.is_suspended() {
        Role::StatusPending
    } else {
        phase_role(node.phase)
    }
}

/// The style role of a phase.
pub fn phase_role(phase: Phase) -> Role {
    match phase {
        Phase::Succeeded => Role::StatusSucceeded,
        Phase::Failed => Role::StatusFailed,
        Phase::Error => Role::StatusError,
        Phase::Running => Role::StatusRunning,
        Phase::Pending => Role::StatusPending,
        Phase::Skipped | Phase::Omitted | Phase::Cached => Role::StatusSkipped,
        Phase::Unknown => Role::StatusUnknown,
    }
}

fn kind_word(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Dag => "dag",
        GroupKind::Steps => "steps",
        GroupKind::StepGroup => "parallel",
        GroupKind::TaskGroup => "loop",
    }
}

/// ` ↻N`, or nothing without retries.
fn retry_marker(retries: usize) -> String {
    if retries == 0 {
        String::new()
    } else {
        format!(" ↻{retries}")
    }
}

/// Up to three names, then `+N`.
fn dependency_names(graph: &RunGraph, ids: &[usize]) -> String {
    let mut names: Vec<String> = ids
        .iter()
        .take(3)
        .filter_map(|&i| graph.nodes.get(i))
        .map(|n| sanitize(&n.display_name).into_owned())
        .collect();
    if ids.len() > 3 {
        names.push(format!("+{}", ids.len() - 3));
    }
    names.join(", ")
}

/// `s` cut to `width` columns, with `…` when cut.
fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// A one-line message at the top left.
fn message(area: Rect, buf: &mut Buffer, text: &str, style: Style) {
    Paragraph::new(Line::from(Span::styled(text.to_string(), style)))
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

/// The visible window onto the layout's canvas.
struct Canvas {
    area: Rect,
    sx: u32,
    sy: u32,
}

/// Directions a line leaves a cell in.
const N: u8 = 1;
const E: u8 = 2;
const S: u8 = 4;
const W: u8 = 8;

impl Canvas {
    fn sees_row(&self, y: u32) -> bool {
        y >= self.sy && y < self.sy + u32::from(self.area.height)
    }

    fn sees_columns(&self, x: u32, w: u32) -> bool {
        x + w > self.sx && x < self.sx + u32::from(self.area.width)
    }

    /// The screen cell of a canvas cell, if visible.
    fn cell(&self, x: u32, y: u32) -> Option<(u16, u16)> {
        let (dx, dy) = (x.checked_sub(self.sx)?, y.checked_sub(self.sy)?);
        (dx < u32::from(self.area.width) && dy < u32::from(self.area.height))
            .then(|| (self.area.x + dx as u16, self.area.y + dy as u16))
    }

    /// Writes `s` from canvas cell (x, y), clipped; returns the columns it takes.
    fn put(&self, buf: &mut Buffer, x: u32, y: u32, s: &str, style: Style) -> u32 {
        let mut cx = x;
        if !self.sees_row(y) {
            return s.width() as u32;
        }
        for c in s.chars() {
            let w = c.width().unwrap_or(0) as u32;
            if w == 0 {
                continue;
            }
            let fits = cx >= self.sx && cx + w <= self.sx + u32::from(self.area.width);
            if let (true, Some(pos)) = (fits, self.cell(cx, y)) {
                buf[pos].set_char(c).set_style(style);
                if w == 2
                    && let Some(next) = self.cell(cx + 1, y)
                {
                    buf[next].set_symbol("");
                }
            }
            cx += w;
        }
        cx - x
    }

    /// Patches the style of canvas cells `from..to` on row `y`.
    fn restyle(&self, buf: &mut Buffer, from: u32, y: u32, to: u32, style: Style) {
        for x in from..to {
            if let Some(pos) = self.cell(x, y) {
                let cell = &mut buf[pos];
                let patched = cell.style().patch(style);
                cell.set_style(patched);
            }
        }
    }

    /// Rasterises edge segments inside the window and draws them with box-drawing characters.
    fn draw_lines(&self, segments: &[Segment], style: Style, buf: &mut Buffer) {
        let (w, h) = (usize::from(self.area.width), usize::from(self.area.height));
        let mut bits = vec![0u8; w * h];
        let mut mark = |x: u32, y: u32, b: u8| {
            if let (Some(dx), Some(dy)) = (x.checked_sub(self.sx), y.checked_sub(self.sy))
                && (dx as usize) < w
                && (dy as usize) < h
            {
                bits[dy as usize * w + dx as usize] |= b;
            }
        };
        let (x_lo, x_hi) = (self.sx, self.sx + w as u32);
        let (y_lo, y_hi) = (self.sy, self.sy + h as u32);
        for seg in segments {
            match *seg {
                Segment::H { y, x0, x1 } if y >= y_lo && y < y_hi => {
                    for x in x0.max(x_lo)..=x1.min(x_hi) {
                        mark(x, y, (if x < x1 { E } else { 0 }) | (if x > x0 { W } else { 0 }));
                    }
                }
                Segment::V { x, y0, y1 } if x >= x_lo && x < x_hi => {
                    for y in y0.max(y_lo)..=y1.min(y_hi) {
                        mark(x, y, (if y < y1 { S } else { 0 }) | (if y > y0 { N } else { 0 }));
                    }
                }
                _ => {}
            }
        }
        for (i, &b) in bits.iter().enumerate() {
            if b != 0 {
                let pos = (self.area.x + (i % w) as u16, self.area.y + (i / w) as u16);
                buf[pos].set_char(line_char(b)).set_style(style);
            }
        }
    }
}

/// The box-drawing character joining the given directions.
fn line_char(bits: u8) -> char {
    match bits {
        b if b == N | S => '│',
        b if b == E | S => '╭',
        b if b == W | S => '╮',
        b if b == N | E => '╰',
        b if b == N | W => '╯',
        b if b == N | S | E => '├',
        b if b == N | S | W => '┤',
        b if b == E | W | S => '┬',
        b if b == E | W | N => '┴',
        b if b == N | E | S | W => '┼',
        N | S => '│',
        _ => '─',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::layout::retry_width;

    #[test]
    fn names_are_cut_with_an_ellipsis() {
        assert_eq!(fit("train-model", 20), "train-model");
        assert_eq!(fit("train-model", 6), "train…");
        assert_eq!(fit("x", 0), "");
    }

    #[test]
    fn joins_pick_the_right_corner() {
        assert_eq!(line_char(E | W), '─');
        assert_eq!(line_char(W | S), '╮');
        assert_eq!(line_char(N | E), '╰');
        assert_eq!(line_char(N | S | E), '├');
        assert_eq!(line_char(E | W | S), '┬');
        assert_eq!(line_char(S), '│');
    }

    #[test]
    fn retry_marker_width_matches_layout() {
        assert_eq!(retry_marker(2).width() as u32, retry_width(2));
        assert_eq!(retry_marker(12).width() as u32, retry_width(12));
        assert_eq!(retry_marker(0).width() as u32, retry_width(0));
    }
}
