//! The Logs pane: a header with the view's state, then the visible log lines.
//!
//! Only the rows on screen are laid out and drawn ([`LogView::window`]), so the cost depends on
//! the screen, never on the buffer. Lines are already sanitised; SGR colour spans become styles
//! (colours dropped in a theme without colours, such as `mono` for `NO_COLOR`, attributes kept).

use std::fmt::Write as _;
use std::ops::Range;

use chrono::FixedOffset;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use crate::config::theme::{Role, Theme};
use crate::logs::LogLine;
use crate::logs::ansi::{Attrs, SgrColor, SgrStyle};
use crate::logs::view::{LogView, PREFIX_SEPARATOR, Row, StreamState, TIMESTAMP_COLUMNS, display_width};

/// Colours of source prefixes, by a source's colour index (no red: it reads as an error).
pub const SOURCE_PALETTE: [Color; 10] = [
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Green,
    Color::Blue,
    Color::LightCyan,
    Color::LightMagenta,
    Color::LightYellow,
    Color::LightGreen,
    Color::LightBlue,
];

/// The Logs pane, borrowing the view it shows.
pub struct LogsPane<'a> {
    pub view: &'a LogView,
    pub theme: &'a Theme,
    /// The local time zone for timestamps (UTC when the view asks for UTC).
    pub tz: FixedOffset,
}

impl LogsPane<'_> {
    /// Where the lines go inside the pane's `area` (inside the border, below the header row).
    /// Give its size to [`LogView::set_viewport`] so scrolling matches the screen.
    pub fn body_area(area: Rect) -> Rect {
        crate::layout::logs_body_area(area)
    }
}

impl Widget for LogsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let title = vec![
            Span::styled(" Logs ", theme.style(Role::Title)),
            Span::styled(format!("{} ", self.view.title()), theme.style(Role::Muted)),
        ];
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let header = Rect { height: 1, ..inner };
        Line::from(self.header_spans()).render(header, buf);
        let body = LogsPane::body_area(area);
        if body.height == 0 {
            return;
        }
        let painter = Painter::new(&self);
        let window = self.view.window(body.width, body.height);
        if window.rows.is_empty() {
            let text = self.empty_text();
            Line::styled(text, theme.style(Role::Muted)).render(Rect { height: 1, ..body }, buf);
            return;
        }
        for (k, row) in window.rows.iter().enumerate() {
            let y = body.y + u16::try_from(k).unwrap_or(u16::MAX);
            painter.row(row, Rect { y, height: 1, ..body }, buf);
        }
    }
}

impl LogsPane<'_> {
    /// The header: follow state, stream states, drops, search/filter, options, counts.
    fn header_spans(&self) -> Vec<Span<'static>> {
        let theme = self.theme;
        let view = self.view;
        let muted = theme.style(Role::Muted);
        let mut out = Vec::new();
        let sep = |out: &mut Vec<Span<'static>>| out.push(Span::styled(" · ", muted));
        if view.is_following() {
            out.push(Span::styled("● following", theme.style(Role::StatusRunning)));
        } else {
            let text = match view.new_lines() {
                0 => "⏸ paused — G resumes".to_string(),
                n => format!("⏸ paused, {} new lines — G resumes", group(n)),
            };
            out.push(Span::styled(text, theme.style(Role::NoticeWarn)));
        }
        for (text, role) in self.state_summary() {
            sep(&mut out);
            out.push(Span::styled(text, theme.style(role)));
        }
        let buffer = view.buffer();
        if buffer.dropped() > 0 {
            sep(&mut out);
            let text = format!("{} lines dropped", group(buffer.dropped()));
            out.push(Span::styled(text, theme.style(Role::NoticeError)));
        }
        self.search_spans(&mut out);
        if let Some(f) = view.filter() {
            sep(&mut out);
            let text = format!(
                "& {} ({} of {})",
                crate::text::sanitize(f.query().text()),
                group(f.len() as u64),
                group(buffer.len() as u64)
            );
            out.push(Span::styled(text, theme.style(Role::Filter)));
        }
        sep(&mut out);
        let mut opts = String::from(if view.wrap() { "wrap" } else { "nowrap" });
        if !view.wrap() && view.hscroll() > 0 {
            let _ = write!(opts, " →{}", view.hscroll());
        }
        if view.timestamps() {
            opts.push_str(if view.utc() {
                " · time UTC"
            } else {
                " · time local"
            });
        }
        let _ = write!(opts, " · {} lines", group(buffer.len() as u64));
        if buffer.evicted() > 0 {
            let _ = write!(opts, " ({} older evicted)", group(buffer.evicted()));
        }
        out.push(Span::styled(opts, muted));
        out
    }

    fn search_spans(&self, out: &mut Vec<Span<'static>>) {
        let theme = self.theme;
        let search = self.view.search();
        if !search.editing() && search.query().is_none() {
            return;
        }
        out.push(Span::styled(" · ", theme.style(Role::Muted)));
        let mut text = format!("/{}", crate::text::sanitize(search.input()));
        if search.editing() {
            text.push('▏');
        }
        out.push(Span::styled(text, theme.style(Role::Filter)));
        let status = match (search.error(), search.matches(), search.position()) {
            (Some(e), _, _) => Some((format!(" {e}"), Role::NoticeError)),
            (None, _, Some((i, n))) => Some((format!(" {i}/{n}"), Role::Muted)),
            (None, Some(set), None) if set.is_empty() => Some((" no match".to_string(), Role::NoticeWarn)),
            (None, Some(set), None) => Some((format!(" {} lines", group(set.len() as u64)), Role::Muted)),
            _ => None,
        };
        if let Some((text, role)) = status {
            out.push(Span::styled(crate::text::sanitized(&text), theme.style(role)));
        }
    }

    /// Source states grouped: `streaming`, `2 waiting: ContainerCreating`, `ended: container exited`.
    fn state_summary(&self) -> Vec<(String, Role)> {
        let mut groups: Vec<(String, Role, usize)> = Vec::new();
        for s in self.view.sources() {
            let label = s.state.to_string();
            match groups.iter_mut().find(|(l, _, _)| *l == label) {
                Some(g) => g.2 += 1,
                None => groups.push((label, state_role(&s.state), 1)),
            }
        }
        let several = self.view.sources().len() > 1;
        groups
            .into_iter()
            .map(|(label, role, n)| match several {
                true => (format!("{n} {label}"), role),
                false => (label, role),
            })
            .collect()
    }

    fn empty_text(&self) -> String {
        if self.view.filter().is_some() && !self.view.buffer().is_empty() {
            return "No line matches the filter (& shows all lines)".to_string();
        }
        match self.view.sources() {
            [] => "No log yet".to_string(),
            [one] => match &one.state {
                StreamState::Waiting { reason } => format!("Waiting for the container to start: {reason}"),
                StreamState::Ended { reason } => format!("The log is empty ({reason})"),
                StreamState::Failed { reason } => format!("No log: {reason}"),
                _ => "No log lines yet".to_string(),
            },
            _ => "No log lines yet".to_string(),
        }
    }
}

fn state_role(state: &StreamState) -> Role {
    match state {
        StreamState::Connecting | StreamState::Waiting { .. } => Role::StatusPending,
        StreamState::Streaming => Role::StatusRunning,
        StreamState::Reconnecting { .. } => Role::Stale,
        StreamState::Ended { .. } => Role::Muted,
        StreamState::Failed { .. } => Role::StatusFailed,
    }
}

/// `1234567` → `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether a theme uses any colour at all (`mono` does not).
fn has_colors(theme: &Theme) -> bool {
    Role::ALL.iter().any(|r| {
        let s = theme.style(*r);
        s.fg.is_some() || s.bg.is_some()
    })
}

/// Draws rows; holds what every row needs.
struct Painter<'a> {
    view: &'a LogView,
    colors: bool,
    text: Style,
    muted: Style,
    matched: Style,
    current: Style,
    offset_secs: i32,
    prefix_name_w: usize,
}

impl<'a> Painter<'a> {
    fn new(pane: &LogsPane<'a>) -> Painter<'a> {
        let theme = pane.theme;
        let matched = theme.style(Role::Selection);
        Painter {
            view: pane.view,
            colors: has_colors(theme),
            text: theme.style(Role::Text),
            muted: theme.style(Role::Muted),
            matched,
            current: matched.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            offset_secs: if pane.view.utc() {
                0
            } else {
                pane.tz.local_minus_utc()
            },
            prefix_name_w: pane
                .view
                .prefix_width()
                .saturating_sub(display_width(PREFIX_SEPARATOR)),
        }
    }

    fn row(&self, row: &Row<'_>, area: Rect, buf: &mut Buffer) {
        let mut x = area.x;
        let right = area.right();
        let line = row.line;
        if row.first {
            x = self.gutter(line, x, area.y, right, buf);
        } else {
            x = x.saturating_add(u16::try_from(self.view.gutter_width()).unwrap_or(u16::MAX));
        }
        if x >= right {
            return;
        }
        let marker = LogView::cut_marker(line).unwrap_or_default();
        let text = line.text();
        let text_part = row.range.start.min(text.len())..row.range.end.min(text.len());
        let mut matches = Vec::new();
        if let Some(q) = self.view.search().query() {
            q.find_ranges(text, &mut matches);
        }
        let is_current = self.view.search().current() == Some(row.pos);
        x = self.text_runs(line, text_part, &matches, is_current, x, area.y, right, buf);
        if row.range.end > text.len() && x < right {
            let from = row.range.start.saturating_sub(text.len());
            let to = row.range.end - text.len();
            if let Some(m) = marker.get(from..to) {
                buf.set_stringn(x, area.y, m, usize::from(right - x), self.muted);
            }
        }
    }

    /// Source name and timestamp; returns the column after them.
    fn gutter(&self, line: &LogLine, mut x: u16, y: u16, right: u16, buf: &mut Buffer) -> u16 {
        if self.view.prefix_width() > 0 {
            let src = self.view.sources().get(line.source());
            let name = src.map_or("?", |s| s.name.as_str());
            let style = match (src, self.colors) {
                (Some(s), true) => {
                    Style::default().fg(SOURCE_PALETTE[usize::from(s.color) % SOURCE_PALETTE.len()])
                }
                _ => Style::default().add_modifier(Modifier::BOLD),
            };
            let shown = fit(name, self.prefix_name_w);
            x = put(buf, x, y, right, &shown, style);
            x = put(buf, x, y, right, PREFIX_SEPARATOR, self.muted);
        }
        if self.view.timestamps() {
            let ts = match line.timestamp() {
                Some(t) => format!("{} ", t.time_of_day(self.offset_secs)),
                None => " ".repeat(TIMESTAMP_COLUMNS),
            };
            x = put(buf, x, y, right, &ts, self.muted);
        }
        x
    }

    /// Draws `range` of the line's text with its SGR styles and search highlights.
    #[allow(clippy::too_many_arguments)]
    fn text_runs(
        &self,
        line: &LogLine,
        range: Range<usize>,
        matches: &[Range<usize>],
        is_current: bool,
        mut x: u16,
        y: u16,
        right: u16,
        buf: &mut Buffer,
    ) -> u16 {
        let text = line.text();
        let mut cuts: Vec<usize> = vec![range.start, range.end];
        for s in line.spans() {
            cuts.extend([s.start as usize, s.end as usize]);
        }
        for m in matches {
            cuts.extend([m.start, m.end]);
        }
        cuts.retain(|c| range.contains(c) || *c == range.end);
        cuts.sort_unstable();
        cuts.dedup();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let Some(piece) = text.get(a..b) else { continue };
            if x >= right {
                break;
            }
            let mut style = self.text;
            if let Some(s) = line
                .spans()
                .iter()
                .find(|s| (s.start as usize) <= a && a < s.end as usize)
            {
                style = style.patch(sgr_style(s.style, self.colors));
            }
            if matches.iter().any(|m| m.start <= a && a < m.end) {
                style = style.patch(if is_current { self.current } else { self.matched });
            }
            x = put(buf, x, y, right, piece, style);
        }
        x
    }
}

/// Writes `s` at (x, y) without passing `right`; returns the next column.
fn put(buf: &mut Buffer, x: u16, y: u16, right: u16, s: &str, style: Style) -> u16 {
    if x >= right {
        return x;
    }
    buf.set_stringn(x, y, s, usize::from(right - x), style).0
}

/// `name` cut with `…` or padded to exactly `width` columns.
fn fit(name: &str, width: usize) -> String {
    let w = display_width(name);
    if w <= width {
        return format!("{name}{}", " ".repeat(width - w));
    }
    let mut out = String::new();
    let mut used = 0;
    for c in name.chars() {
        let cw = display_width(c.encode_utf8(&mut [0; 4]));
        if used + cw + 1 > width {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out.push_str(&" ".repeat(width.saturating_sub(used + 1)));
    out
}

/// The ratatui style of an SGR style; without colours only the attributes remain.
pub fn sgr_style(s: SgrStyle, colors: bool) -> Style {
    let mut style = Style::default();
    if colors {
        if let Some(c) = color(s.fg) {
            style = style.fg(c);
        }
        if let Some(c) = color(s.bg) {
            style = style.bg(c);
        }
    }
    let flags = [
        (Attrs::BOLD, Modifier::BOLD),
        (Attrs::DIM, Modifier::DIM),
        (Attrs::ITALIC, Modifier::ITALIC),
        (Attrs::UNDERLINE, Modifier::UNDERLINED),
        (Attrs::REVERSE, Modifier::REVERSED),
        (Attrs::STRIKE, Modifier::CROSSED_OUT),
    ];
    for (a, m) in flags {
        if s.attrs.contains(a) {
            style = style.add_modifier(m);
        }
    }
    style
}

fn color(c: SgrColor) -> Option<Color> {
    const ANSI: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match c {
        SgrColor::Default => None,
        SgrColor::Indexed(n) if n < 16 => Some(ANSI[usize::from(n)]),
        SgrColor::Indexed(n) => Some(Color::Indexed(n)),
        SgrColor::Rgb(r, g, b) => Some(Color::Rgb(r, g, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{LogEvent, Timestamp};

    fn draw(view: &LogView, theme: &Theme, w: u16, h: u16) -> Buffer {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        let pane = LogsPane {
            view,
            theme,
            tz: FixedOffset::east_opt(3600).unwrap(),
        };
        pane.render(area, &mut buf);
        buf
    }

    fn row_text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
    }

    fn screen(buf: &Buffer) -> String {
        (0..buf.area.height)
            .map(|y| row_text(buf, y))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
        for y in 0..buf.area.height {
            if let Some(i) = row_text(buf, y).find(needle) {
                let x = row_text(buf, y)[..i].chars().count();
                return (u16::try_from(x).unwrap(), y);
            }
        }
        panic!("{needle:?} not on screen:\n{}", screen(buf));
    }

    fn single(lines: &[&str]) -> LogView {
        let mut v = LogView::new(1, "pod/train-1");
        v.add_source("train-1");
        v.set_state(0, StreamState::Streaming);
        v.push_lines(0, lines.iter().map(|l| LogLine::new(0, None, l)).collect());
        v
    }

    #[test]
    fn header_and_lines_show() {
        let v = single(&["first", "second"]);
        let area = Rect::new(0, 0, 60, 6);
        let body = LogsPane::body_area(area);
        assert_eq!((body.width, body.height), (58, 3));
        let buf = draw(&v, &Theme::default(), 60, 6);
        let s = screen(&buf);
        assert!(row_text(&buf, 0).contains("Logs pod/train-1"), "{s}");
        assert!(row_text(&buf, 1).contains("● following · streaming"), "{s}");
        assert!(row_text(&buf, 1).contains("2 lines"), "{s}");
        assert!(row_text(&buf, 2).starts_with("│first"), "{s}");
        assert!(row_text(&buf, 3).starts_with("│second"), "{s}");
    }

    #[test]
    fn hostile_lines_reach_the_screen_only_as_visible_text() {
        let v = single(&[
            "\x1b]0;pwned\x07title",
            "\x1b]52;c;cm0gLXJm\x07clip",
            "\x1b[2J\x1b[Hclear",
            "c1 \u{9b}31m 8bit",
            "bell\x07 bs\x08 cr\rx",
        ]);
        let buf = draw(&v, &Theme::default(), 60, 9);
        for cell in buf.content() {
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "control in {:?}",
                cell.symbol()
            );
        }
        let s = screen(&buf);
        assert!(s.contains("␛]0;pwned␇title"), "{s}");
        assert!(s.contains("␛]52;c;cm0gLXJm␇clip"), "{s}");
        assert!(s.contains("␛[2J␛[Hclear"), "{s}");
        assert!(s.contains("c1 \u{fffd}31m 8bit"), "{s}");
        assert!(s.contains("bell␇ bs␈ cr␍x"), "{s}");
    }

    #[test]
    fn sgr_colours_show_and_mono_keeps_only_attributes() {
        let v = single(&["\x1b[1;33mWARNING\x1b[0m: disk"]);
        let buf = draw(&v, &Theme::default(), 40, 5);
        let (x, y) = find(&buf, "WARNING");
        assert_eq!(buf[(x, y)].fg, Color::Yellow);
        assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
        assert_eq!(buf[(x + 7, y)].fg, Color::Reset, "the colour stops at the reset");
        let buf = draw(&v, &Theme::mono(), 40, 5);
        let (x, y) = find(&buf, "WARNING");
        assert_eq!(buf[(x, y)].fg, Color::Reset);
        assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
        assert_eq!(
            sgr_style(
                SgrStyle {
                    fg: SgrColor::Indexed(200),
                    ..SgrStyle::default()
                },
                true
            )
            .fg,
            Some(Color::Indexed(200))
        );
    }

    #[test]
    fn search_matches_are_highlighted() {
        let mut v = single(&["loss 0.5 loss", "accuracy"]);
        v.search_set("loss");
        let buf = draw(&v, &Theme::default(), 40, 5);
        let (x, y) = find(&buf, "loss 0.5");
        assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(x + 4, y)].modifier.contains(Modifier::REVERSED));
        assert!(buf[(x + 9, y)].modifier.contains(Modifier::REVERSED));
        assert!(row_text(&buf, 1).contains("/loss 1/1"), "{}", screen(&buf));
    }

    #[test]
    fn paused_states_drops_and_sources_are_in_the_header() {
        let mut v = LogView::new(3, "run r-1");
        let a = v.add_source("prep");
        let b = v.add_source("train");
        v.set_viewport(78, 3);
        let l = |s: usize, t: i64, x: &str| LogLine::new(s, Some(Timestamp(t * 1_000_000_000)), x);
        v.push_lines(a, vec![l(a, 1, "prep one"), l(a, 3, "prep two")]);
        v.push_lines(b, vec![l(b, 2, "train one")]);
        v.apply(LogEvent::State {
            view: 3,
            source: a,
            state: StreamState::Ended {
                reason: "container exited".into(),
            },
        });
        v.apply(LogEvent::State {
            view: 3,
            source: b,
            state: StreamState::Reconnecting {
                reason: "reset".into(),
            },
        });
        v.apply(LogEvent::Dropped {
            view: 3,
            source: b,
            count: 1200,
        });
        v.toggle_follow();
        v.push_lines(b, vec![l(b, 4, "train two"), l(b, 5, "train three")]);
        v.toggle_timestamps();
        let buf = draw(&v, &Theme::default(), 140, 7);
        let header = row_text(&buf, 1);
        assert!(header.contains("⏸ paused, 2 new lines — G resumes"), "{header}");
        assert!(header.contains("1 ended: container exited"), "{header}");
        assert!(header.contains("1 reconnecting"), "{header}");
        assert!(header.contains("1,200 lines dropped"), "{header}");
        assert!(header.contains("time local"), "{header}");
        let s = screen(&buf);
        assert!(s.contains("prep  │ 01:00:01.000 prep one"), "{s}");
        assert!(s.contains("train │ 01:00:02.000 train one"), "{s}");
        let (x, y) = find(&buf, "train │");
        assert_eq!(buf[(x, y)].fg, SOURCE_PALETTE[1]);
        let mono = draw(&v, &Theme::mono(), 140, 7);
        let (x, y) = find(&mono, "train │");
        assert_eq!(mono[(x, y)].fg, Color::Reset);
        assert!(mono[(x, y)].modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn an_empty_view_says_why() {
        let mut v = LogView::new(1, "pod/p");
        v.add_source("p");
        v.set_state(
            0,
            StreamState::Waiting {
                reason: "ContainerCreating".into(),
            },
        );
        let buf = draw(&v, &Theme::default(), 70, 5);
        let s = screen(&buf);
        assert!(s.contains("waiting: ContainerCreating"), "{s}");
        assert!(
            s.contains("Waiting for the container to start: ContainerCreating"),
            "{s}"
        );
        let tiny = draw(&v, &Theme::default(), 3, 2);
        assert_eq!(tiny.area.width, 3);
    }

    #[test]
    fn names_are_fitted_to_the_prefix() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdefgh", 5), "abcd…");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(group(12), "12");
    }
}
