//! The rows the watches produce, as the list panes take them: each kind of row says how it is
//! named, searched and compared.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Utc};

use crate::kube::key::Kind;

/// A row of a list pane.
pub trait ListRow: Clone + Debug + Send + Sync + 'static {
    /// The resource the rows come from.
    const KIND: Kind;
    /// Sortable columns, by the names `:sort` takes; the first is the default order.
    const SORT_COLUMNS: &'static [&'static str];

    fn uid(&self) -> &str;
    fn namespace(&self) -> &str;
    fn name(&self) -> &str;
    /// The kind of this row's object, for verbs and views (a list may mix kinds).
    fn kind(&self) -> Kind {
        Self::KIND
    }
    /// What the list shows as the name (a KFP run name, a display name…).
    fn display(&self) -> &str {
        self.name()
    }
    /// The cells the filter searches.
    fn search_fields(&self) -> Vec<&str>;
    fn labels(&self) -> &BTreeMap<String, String>;
    fn created(&self) -> Option<DateTime<Utc>>;
    /// Still changing with time on screen (a live duration).
    fn is_live(&self) -> bool {
        false
    }
    /// Ascending order by `column` (one of [`ListRow::SORT_COLUMNS`]).
    fn compare(&self, other: &Self, column: &str, now: DateTime<Utc>) -> Ordering;
}

/// The accessors of a row struct with `uid`, `namespace`, `name`, `labels` and `created` fields,
/// for use inside `impl ListRow for …`.
#[macro_export]
macro_rules! list_row_fields {
    () => {
        fn uid(&self) -> &str {
            &self.uid
        }
        fn namespace(&self) -> &str {
            &self.namespace
        }
        fn name(&self) -> &str {
            &self.name
        }
        fn labels(&self) -> &std::collections::BTreeMap<String, String> {
            &self.labels
        }
        fn created(&self) -> Option<chrono::DateTime<chrono::Utc>> {
            self.created
        }
    };
}
