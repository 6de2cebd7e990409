//! Sorting lists by any column.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use crate::kube::resources::workflow::RunRow;

/// The Runs pane's sortable columns, by the names `:sort` takes. The first is the default:
/// by age, newest first.
pub const RUN_COLUMNS: &[&str] = &[
    "age",
    "name",
    "namespace",
    "pipeline",
    "status",
    "progress",
    "started",
    "duration",
];

/// Finds a column by name or unique prefix.
pub fn column_index(columns: &[&str], name: &str) -> Option<usize> {
    let name = name.to_lowercase();
    if let Some(i) = columns.iter().position(|c| *c == name) {
        return Some(i);
    }
    let mut hits = columns.iter().enumerate().filter(|(_, c)| c.starts_with(&name));
    match (hits.next(), hits.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

fn fraction(p: Option<(u32, u32)>) -> f64 {
    p.map_or(
        -1.0,
        |(d, t)| if t == 0 { 0.0 } else { f64::from(d) / f64::from(t) },
    )
}

/// Compares two runs by a column of [`RUN_COLUMNS`], ascending; ties fall back to newest first
/// and then the name, so the order is stable.
pub fn compare_runs(a: &RunRow, b: &RunRow, column: usize, now: DateTime<Utc>) -> Ordering {
    let primary = match RUN_COLUMNS.get(column).copied().unwrap_or("age") {
        "name" => a.display_name.cmp(&b.display_name),
        "namespace" => a.namespace.cmp(&b.namespace),
        "pipeline" => a.pipeline.cmp(&b.pipeline),
        "status" => a.phase.cmp(&b.phase),
        "progress" => fraction(a.progress).total_cmp(&fraction(b.progress)),
        "started" => a.started.cmp(&b.started),
        "duration" => a.duration(now).cmp(&b.duration(now)),
        _ => b.created.cmp(&a.created),
    };
    primary
        .then_with(|| b.created.cmp(&a.created))
        .then_with(|| a.namespace.cmp(&b.namespace))
        .then_with(|| a.name.cmp(&b.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_by_name_or_unique_prefix() {
        assert_eq!(column_index(RUN_COLUMNS, "status"), Some(4));
        assert_eq!(column_index(RUN_COLUMNS, "DUR"), Some(7));
        assert_eq!(column_index(RUN_COLUMNS, "n"), None, "ambiguous: name, namespace");
        assert_eq!(column_index(RUN_COLUMNS, "nope"), None);
    }
}
