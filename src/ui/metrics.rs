//! Numbers from Prometheus as the panes print them: values with their units, and sparklines of
//! the last 15 minutes drawn with block characters, so they scroll with the detail's lines.

use ratatui::text::{Line, Span};

use crate::config::theme::{Role, Theme};
use crate::kube::prometheus::{Metrics, Panel, Unit};

/// The eight heights of a sparkline's cell.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A value with its unit, `—` when nothing is known.
pub fn value_text(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "—".to_string();
    };
    match unit {
        Unit::PerSecond if v == 0.0 => "0/s".to_string(),
        Unit::PerSecond if v < 10.0 => format!("{v:.2}/s"),
        Unit::PerSecond if v < 100.0 => format!("{v:.1}/s"),
        Unit::PerSecond => format!("{v:.0}/s"),
        Unit::Millis if v < 10.0 => format!("{v:.1} ms"),
        Unit::Millis if v < 1000.0 => format!("{v:.0} ms"),
        Unit::Millis => format!("{:.2} s", v / 1000.0),
        Unit::Ratio if v == 0.0 => "0%".to_string(),
        Unit::Ratio if v < 0.001 => "<0.1%".to_string(),
        Unit::Ratio if v < 0.1 => format!("{:.1}%", v * 100.0),
        Unit::Ratio => format!("{:.0}%", v * 100.0),
        Unit::Percent => format!("{v:.0}%"),
        Unit::MiB if v >= 1024.0 => format!("{:.1} GiB", v / 1024.0),
        Unit::MiB => format!("{v:.0} MiB"),
        Unit::Cores => format!("{v:.2} cores"),
        Unit::Bytes if v >= 1024.0 * 1024.0 * 1024.0 => format!("{:.1} GiB", v / (1024.0 * 1024.0 * 1024.0)),
        Unit::Bytes => format!("{:.0} MiB", v / (1024.0 * 1024.0)),
    }
}

/// The last `width` values as a sparkline scaled from 0 to `max`; unknown points are blank.
pub fn spark(values: &[f64], max: f64, width: usize) -> String {
    let from = values.len().saturating_sub(width);
    values[from..]
        .iter()
        .map(|v| {
            if !v.is_finite() {
                ' '
            } else if max <= 0.0 {
                BARS[0]
            } else {
                let i = ((v / max).clamp(0.0, 1.0) * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

/// The last known value of a series.
pub fn last(values: &[f64]) -> Option<f64> {
    values.iter().rev().copied().find(|v| v.is_finite())
}

/// The top of a panel's scale: its largest value (a fixed 100 for percentages).
fn top(panel: &Panel) -> f64 {
    if panel.unit == Unit::Percent {
        return 100.0;
    }
    panel
        .series
        .iter()
        .flat_map(|(_, v)| v.iter())
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// The lines of a history: per panel, one line per series (`name` says what a series label
/// is called), its sparkline and its last value; `width` is the room there is.
pub fn history_lines(
    m: &Metrics,
    name: &dyn Fn(&str) -> String,
    theme: &Theme,
    width: u16,
) -> Vec<Line<'static>> {
    let Metrics::History { panels, .. } = m else {
        return Vec::new();
    };
    if panels.iter().all(|p| p.series.is_empty() && p.error.is_none()) {
        return vec![Line::from(Span::styled(
            "  no samples in the last 15 minutes",
            theme.style(Role::Muted),
        ))];
    }
    let title_w = panels.iter().map(|p| p.title.chars().count()).max().unwrap_or(0) + 2;
    let label_w = panels
        .iter()
        .flat_map(|p| p.series.iter())
        .map(|(l, _)| name(l).chars().count())
        .max()
        .unwrap_or(0)
        .min(30)
        + 1;
    let value_w = 12;
    // The detail's borders take two columns.
    let spark_w = usize::from(width)
        .saturating_sub(2 + 2 + title_w + label_w + value_w + 1)
        .clamp(8, 61);
    let mut out = Vec::new();
    for p in panels {
        let max = top(p);
        let head = Span::styled(format!("  {:<title_w$}", p.title), theme.style(Role::Header));
        if let Some(e) = &p.error {
            out.push(Line::from(vec![
                head,
                Span::styled(e.clone(), theme.style(Role::StatusFailed)),
            ]));
            continue;
        }
        if p.series.is_empty() {
            out.push(Line::from(vec![
                head,
                Span::styled("no series", theme.style(Role::Muted)),
            ]));
            continue;
        }
        for (i, (label, values)) in p.series.iter().enumerate() {
            let first = if i == 0 {
                head.clone()
            } else {
                Span::raw(" ".repeat(2 + title_w))
            };
            let label: String = name(label).chars().take(30).collect();
            out.push(Line::from(vec![
                first,
                Span::styled(format!("{label:<label_w$}"), theme.style(Role::Muted)),
                Span::styled(spark(values, max, spark_w), theme.style(Role::StatusRunning)),
                Span::raw(format!(" {:>value_w$}", value_text(p.unit, last(values)))),
            ]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_with_their_units() {
        assert_eq!(value_text(Unit::PerSecond, Some(3.456)), "3.46/s");
        assert_eq!(value_text(Unit::PerSecond, Some(f64::NAN)), "—");
        assert_eq!(value_text(Unit::Millis, Some(12.4)), "12 ms");
        assert_eq!(value_text(Unit::Millis, Some(2500.0)), "2.50 s");
        assert_eq!(value_text(Unit::Ratio, Some(0.021)), "2.1%");
        assert_eq!(value_text(Unit::MiB, Some(56_000.0)), "54.7 GiB");
        assert_eq!(
            value_text(Unit::Bytes, Some(10.0 * 1024.0 * 1024.0 * 1024.0)),
            "10.0 GiB"
        );
        assert_eq!(value_text(Unit::Cores, None), "—");
    }

    #[test]
    fn a_history_without_samples_says_so_in_one_line() {
        let empty = |title| Panel {
            title,
            unit: Unit::Percent,
            series: Vec::new(),
            error: None,
        };
        let m = Metrics::History {
            start: 0,
            panels: vec![empty("GPU utilisation"), empty("CPU")],
        };
        let theme = Theme::default();
        let lines = history_lines(&m, &|s| s.to_string(), &theme, 80);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].to_string(), "  no samples in the last 15 minutes");
        let mut one = m.clone();
        if let Metrics::History { panels, .. } = &mut one {
            panels[0]
                .series
                .push(("job-node-0-0-x".into(), vec![50.0, 100.0]));
        }
        let lines = history_lines(&one, &|s| s.to_string(), &theme, 80);
        assert_eq!(lines.len(), 2, "a line per series and one for the empty panel");
        assert!(lines[0].to_string().contains("▅█"), "{}", lines[0]);
        assert!(lines[0].to_string().ends_with("100%"), "{}", lines[0]);
    }

    #[test]
    fn sparklines_scale_and_leave_gaps() {
        assert_eq!(spark(&[0.0, 5.0, 10.0, f64::NAN], 10.0, 10), "▁▅█ ");
        assert_eq!(spark(&[1.0, 2.0, 3.0], 3.0, 2), "▆█");
        assert_eq!(last(&[1.0, 2.0, f64::NAN]), Some(2.0));
    }
}
