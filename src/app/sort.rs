//! Finding a sort column by what the user typed.

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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::app::list::ListRow;
    use crate::kube::resources::workflow::RunRow;

    const COLUMNS: &[&str] = RunRow::SORT_COLUMNS;

    #[test]
    fn columns_by_name_or_unique_prefix() {
        assert_eq!(column_index(COLUMNS, "status"), Some(4));
        assert_eq!(column_index(COLUMNS, "DUR"), Some(7));
        assert_eq!(column_index(COLUMNS, "n"), None, "ambiguous: name, namespace");
        assert_eq!(column_index(COLUMNS, "nope"), None);
    }
}
