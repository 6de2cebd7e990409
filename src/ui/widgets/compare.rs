//! Marked runs side by side: status, start, duration, then parameters and metrics, with the
//! rows where the runs differ highlighted.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Widget};

use crate::config::theme::{Role, Theme};
use crate::runs::compare::{Comparison, rows};
use crate::text::sanitize;
use crate::ui::format::{human_duration, started};

pub struct CompareView<'a> {
    pub compare: &'a Comparison,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
    pub tz: FixedOffset,
}

/// The narrowest a run's column gets before the others are scrolled to.
const MIN_CELL: u16 = 18;

/// Text cut to `width` columns in the middle, where runs' names and paths tend to agree least
/// at the ends: `s3://kf…/events`.
pub fn elide_middle(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    if width < 3 {
        return text.chars().take(width).collect();
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(n - tail));
    out
}

/// A metric value with up to four decimals, without trailing zeros.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    let s = format!("{n:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One row: a label and a cell per run, and how it is styled.
struct Row {
    label: String,
    cells: Vec<(String, Role)>,
    differs: bool,
    section: bool,
}

impl Widget for CompareView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        Clear.render(area, buf);
        let n = match &self.compare.columns {
            Some(Ok(c)) => c.len(),
            _ => 0,
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .style(t.style(Role::Popup))
            .title(Span::styled(
                format!(" Compare {n} runs · differences highlighted "),
                t.style(Role::Title),
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        let columns = match &self.compare.columns {
            None => {
                buf.set_string(inner.x + 1, inner.y, "reading the runs…", t.style(Role::Muted));
                return;
            }
            Some(Err(e)) => {
                buf.set_stringn(
                    inner.x + 1,
                    inner.y,
                    sanitize(&format!("cannot compare: {e}")),
                    usize::from(inner.width.saturating_sub(1)),
                    t.style(Role::NoticeError),
                );
                return;
            }
            Some(Ok(c)) => c,
        };
        let (params, metrics) = rows(columns);
        let mut table = vec![
            Row {
                label: "run".into(),
                cells: columns
                    .iter()
                    .map(|c| (c.display.clone(), Role::Header))
                    .collect(),
                differs: false,
                section: false,
            },
            Row {
                label: "status".into(),
                cells: columns
                    .iter()
                    .map(|c| {
                        let role = match c.phase.as_str() {
                            "Succeeded" => Role::StatusSucceeded,
                            "Failed" => Role::StatusFailed,
                            "Error" => Role::StatusError,
                            "Running" => Role::StatusRunning,
                            _ => Role::StatusPending,
                        };
                        (c.phase.clone(), role)
                    })
                    .collect(),
                differs: false,
                section: false,
            },
            Row {
                label: "started".into(),
                cells: columns
                    .iter()
                    .map(|c| (started(c.started, self.now, self.tz), Role::Text))
                    .collect(),
                differs: false,
                section: false,
            },
            Row {
                label: "duration".into(),
                cells: columns
                    .iter()
                    .map(|c| {
                        (
                            c.duration(self.now).map(human_duration).unwrap_or_default(),
                            Role::Text,
                        )
                    })
                    .collect(),
                differs: false,
                section: false,
            },
        ];
        let section = |label: &str, empty: bool| Row {
            label: if empty {
                format!("{label}: none")
            } else {
                label.to_string()
            },
            cells: Vec::new(),
            differs: false,
            section: true,
        };
        table.push(section("parameters", params.is_empty()));
        for (k, differs) in params {
            table.push(Row {
                cells: columns
                    .iter()
                    .map(|c| {
                        (
                            c.params.get(&k).cloned().unwrap_or_else(|| "—".into()),
                            Role::Text,
                        )
                    })
                    .collect(),
                label: k,
                differs,
                section: false,
            });
        }
        table.push(section("metrics", metrics.is_empty()));
        for (k, differs) in metrics {
            table.push(Row {
                cells: columns
                    .iter()
                    .map(|c| {
                        (
                            c.metrics.get(&k).map_or_else(|| "—".into(), |v| number(*v)),
                            Role::Text,
                        )
                    })
                    .collect(),
                label: k,
                differs,
                section: false,
            });
        }
        let label_w = table
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(8)
            .clamp(8, 28) as u16
            + 3;
        // Columns at least MIN_CELL wide; the rest are reached with h/l.
        let room = inner.width.saturating_sub(label_w);
        let fit = usize::from((room / MIN_CELL).max(1)).min(columns.len().max(1));
        let first = self.compare.first_column.min(columns.len().saturating_sub(fit));
        let cell_w = (room / fit as u16).max(6);
        if fit < columns.len() {
            let note = format!(
                " runs {}–{} of {} · h/l for more ",
                first + 1,
                first + fit,
                columns.len()
            );
            let x = (area.x + area.width).saturating_sub(note.chars().count() as u16 + 2);
            buf.set_string(x, area.y + area.height - 1, note, t.style(Role::Muted));
        }
        let scroll = self.compare.scroll.min(table.len().saturating_sub(1));
        for (i, row) in table
            .iter()
            .skip(scroll)
            .take(usize::from(inner.height))
            .enumerate()
        {
            let y = inner.y + i as u16;
            let label_style = if row.section {
                t.style(Role::Title).add_modifier(Modifier::UNDERLINED)
            } else if row.differs {
                t.style(Role::NoticeWarn)
            } else {
                t.style(Role::Muted)
            };
            let mark = if row.differs { "≠ " } else { "  " };
            buf.set_stringn(
                inner.x,
                y,
                format!("{mark}{}", sanitize(&row.label)),
                usize::from(label_w),
                label_style,
            );
            for (j, (text, role)) in row.cells.iter().skip(first).take(fit).enumerate() {
                let x = inner.x + label_w + j as u16 * cell_w;
                if x >= inner.x + inner.width {
                    break;
                }
                let style = if row.differs {
                    t.style(Role::NoticeWarn).add_modifier(Modifier::BOLD)
                } else {
                    t.style(*role)
                };
                let width = usize::from(cell_w.saturating_sub(1).min(inner.x + inner.width - x));
                buf.set_stringn(x, y, elide_middle(&sanitize(text), width), width, style);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn long_values_keep_both_ends() {
        assert_eq!(
            super::elide_middle("s3://kf-demo-data/events", 12),
            "s3://k…vents"
        );
        assert_eq!(super::elide_middle("short", 12), "short");
    }

    #[test]
    fn numbers_read_short() {
        assert_eq!(number(0.91), "0.91");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.123456), "0.1235");
    }
}
