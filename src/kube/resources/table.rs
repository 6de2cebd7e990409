//! Rows of any kind, as the API server's Table printer columns show them (what `kubectl get`
//! prints), with what the resource view needs beside the cells: the owner, an event's subject and
//! type, a pod's GPU requests.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::kube::discovery::ResKind;
use crate::kube::key::Kind;
use crate::kube::resources::parse_time;
use crate::kube::row::ListRow;
use crate::text::sanitized;

/// How a column's cells read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColFormat {
    Text,
    Number,
    /// A time; the server sends it as an age (`5m`).
    Date,
}

/// One of the server's column definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub format: ColFormat,
    /// 0: what `kubectl get` shows; higher: `-o wide` only.
    pub priority: i64,
}

impl Column {
    pub fn from_definition(def: &Value) -> Column {
        let name = def.get("name").and_then(Value::as_str).unwrap_or("").to_string();
        let ty = def.get("type").and_then(Value::as_str).unwrap_or("string");
        let format = def.get("format").and_then(Value::as_str).unwrap_or("");
        Column {
            format: match (ty, format) {
                (_, "date") | ("date", _) => ColFormat::Date,
                ("integer" | "number", _) => ColFormat::Number,
                _ => ColFormat::Text,
            },
            priority: def.get("priority").and_then(Value::as_i64).unwrap_or(0),
            name: sanitized(&name),
        }
    }

    /// Whether this column is the object's age, which the view keeps live from its creation
    /// time (the built-in printers type it `string`, CRDs `date`).
    pub fn is_age(&self) -> bool {
        self.name.eq_ignore_ascii_case("age")
    }

    /// Whether this is an event's `Last Seen`, kept live from the event's last time.
    pub fn is_last_seen(&self) -> bool {
        self.name.eq_ignore_ascii_case("last seen")
    }
}

/// Another object, as an owner reference or an event's subject names it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjRef {
    /// `Kind/name`, as kubectl names an object.
    pub fn label(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// What an event row knows beyond its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInfo {
    pub warning: bool,
    pub last_seen: Option<DateTime<Utc>>,
    pub subject: Option<ObjRef>,
}

/// A Table (a list page or one watch event's object), read for what rows need: the object's
/// other fields (a pod's whole spec and status, `managedFields`) are skipped, never held.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TableDoc {
    pub column_definitions: Vec<Value>,
    pub rows: Vec<RowDoc>,
    pub metadata: ListMetaDoc,
    /// An `ERROR` event's status code.
    pub code: Option<i64>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListMetaDoc {
    pub resource_version: Option<String>,
    #[serde(rename = "continue")]
    pub continue_: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RowDoc {
    pub cells: Vec<Value>,
    pub object: ObjectDoc,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectDoc {
    pub metadata: MetaDoc,
    spec: Option<SpecDoc>,
    #[serde(rename = "type")]
    ty: Option<String>,
    involved_object: Option<ObjRef>,
    regarding: Option<ObjRef>,
    last_timestamp: Option<String>,
    event_time: Option<String>,
    deprecated_last_timestamp: Option<String>,
    series: Option<SeriesDoc>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetaDoc {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub resource_version: Option<String>,
    creation_timestamp: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    owner_references: Option<Vec<OwnerDoc>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct OwnerDoc {
    #[serde(flatten)]
    target: ObjRef,
    controller: Option<bool>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SeriesDoc {
    last_observed_time: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct SpecDoc {
    containers: Vec<ContainerDoc>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ContainerDoc {
    resources: ResourcesDoc,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ResourcesDoc {
    limits: BTreeMap<String, Value>,
    requests: BTreeMap<String, Value>,
}

/// What rows of one watch share: their namespaces' names and identical label maps (the pods of
/// a run, of a job, carry the same labels).
#[derive(Debug, Default)]
pub struct Shared {
    namespaces: std::collections::HashSet<Arc<str>>,
    labels: std::collections::HashSet<Arc<BTreeMap<String, String>>>,
}

impl Shared {
    fn namespace(&mut self, ns: &str) -> Arc<str> {
        if let Some(n) = self.namespaces.get(ns) {
            return n.clone();
        }
        let n: Arc<str> = Arc::from(ns);
        self.namespaces.insert(n.clone());
        n
    }

    fn labels(&mut self, labels: BTreeMap<String, String>) -> Arc<BTreeMap<String, String>> {
        if let Some(l) = self.labels.get(&labels) {
            return l.clone();
        }
        let l = Arc::new(labels);
        self.labels.insert(l.clone());
        l
    }

    /// Forgets what no row holds any more.
    pub fn prune(&mut self) {
        self.labels.retain(|l| Arc::strong_count(l) > 1);
        self.namespaces.retain(|n| Arc::strong_count(n) > 1);
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct TableRowData {
    pub res: &'static ResKind,
    pub uid: Box<str>,
    pub namespace: Arc<str>,
    pub name: Box<str>,
    pub labels: Arc<BTreeMap<String, String>>,
    pub created: Option<DateTime<Utc>>,
    /// One per column, sanitised, joined by [`SEP`].
    cells: Box<str>,
    /// The cell of a `Status`, `Phase` or `State` column (an event's type).
    pub status: Box<str>,
    /// The leading number of a `Restarts` column.
    pub restarts: u32,
    /// GPUs the pod's containers request.
    pub gpus: u32,
    /// The controller among the owners, else the first owner.
    pub owner: Option<Box<ObjRef>>,
    pub event: Option<Box<EventInfo>>,
}

/// Between cells (a control character, so never inside a sanitised cell).
const SEP: char = '\u{1f}';

impl TableRowData {
    /// The cell of column `i` (`""` past the last).
    pub fn cell(&self, i: usize) -> &str {
        self.cells.split(SEP).nth(i).unwrap_or("")
    }

    pub fn cells(&self) -> impl Iterator<Item = &str> {
        self.cells.split(SEP)
    }
}

/// A row of the resource view. Cheap to copy: snapshots share the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow(pub Arc<TableRowData>);

impl std::ops::Deref for TableRow {
    type Target = TableRowData;
    fn deref(&self) -> &TableRowData {
        &self.0
    }
}

/// Resource names of the GPUs a container can request.
const GPU_RESOURCES: [&str; 3] = ["nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915"];

fn quantity(v: &Value) -> Option<u32> {
    v.as_str()
        .and_then(|s| s.parse::<u32>().ok())
        .or_else(|| v.as_u64().and_then(|n| u32::try_from(n).ok()))
}

fn pod_gpus(spec: Option<&SpecDoc>) -> u32 {
    spec.map_or(0, |s| {
        s.containers
            .iter()
            .flat_map(|c| {
                GPU_RESOURCES.iter().filter_map(move |r| {
                    c.resources
                        .limits
                        .get(*r)
                        .or_else(|| c.resources.requests.get(*r))
                        .and_then(quantity)
                })
            })
            .sum()
    })
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => "<none>".to_string(),
        Value::String(s) => sanitized(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => sanitized(&other.to_string()),
    }
}

fn leading_number(s: &str) -> u32 {
    let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

impl TableRow {
    /// A Table row (`cells` and, as `includeObject` asked, the object or its metadata).
    pub fn from_row(
        res: &'static ResKind,
        columns: &[Column],
        row: RowDoc,
        shared: &mut Shared,
    ) -> Option<TableRow> {
        let RowDoc { cells, object } = row;
        let meta = object.metadata;
        if meta.name.is_empty() {
            return None;
        }
        let cells: Vec<String> = cells.iter().map(cell_text).collect();
        let cell = |names: &[&str]| {
            columns
                .iter()
                .position(|c| names.iter().any(|n| c.name.eq_ignore_ascii_case(n)))
                .and_then(|i| cells.get(i))
                .cloned()
        };
        let owner = meta.owner_references.as_ref().and_then(|o| {
            o.iter()
                .find(|r| r.controller == Some(true))
                .or_else(|| o.first())
                .filter(|r| !r.target.name.is_empty())
                .map(|r| {
                    let mut t = r.target.clone();
                    if t.namespace.is_empty() {
                        t.namespace.clone_from(&meta.namespace);
                    }
                    Box::new(t)
                })
        });
        let created = meta.creation_timestamp.as_deref().and_then(parse_time);
        let event = res.is_events().then(|| {
            let seen = [
                object
                    .series
                    .as_ref()
                    .and_then(|s| s.last_observed_time.as_deref()),
                object.last_timestamp.as_deref(),
                object.event_time.as_deref(),
                object.deprecated_last_timestamp.as_deref(),
            ]
            .into_iter()
            .flatten()
            .find_map(parse_time)
            .or(created);
            let subject = object
                .involved_object
                .clone()
                .or_else(|| object.regarding.clone())
                .filter(|r| !r.name.is_empty())
                .map(|mut r| {
                    if r.namespace.is_empty() {
                        r.namespace.clone_from(&meta.namespace);
                    }
                    r
                });
            Box::new(EventInfo {
                warning: object.ty.as_deref() == Some("Warning"),
                last_seen: seen,
                subject,
            })
        });
        let status = match &event {
            Some(e) if e.warning => "Warning".to_string(),
            Some(_) => "Normal".to_string(),
            None => cell(&["Status", "Phase", "State"]).unwrap_or_default(),
        };
        let restarts = cell(&["Restarts"]).map_or(0, |r| leading_number(&r));
        let joined = cells.join(&SEP.to_string());
        Some(TableRow(Arc::new(TableRowData {
            res,
            uid: if meta.uid.is_empty() {
                format!("{}/{}", meta.namespace, meta.name).into()
            } else {
                meta.uid.into()
            },
            created,
            restarts,
            gpus: if res.is_pods() {
                pod_gpus(object.spec.as_ref())
            } else {
                0
            },
            status: status.into(),
            owner,
            event,
            labels: shared.labels(meta.labels.unwrap_or_default()),
            cells: joined.into(),
            namespace: shared.namespace(&sanitized(&meta.namespace)),
            name: sanitized(&meta.name).into(),
        })))
    }

    /// A row from a Table row as JSON (tests and screenshots).
    pub fn from_table_row(res: &'static ResKind, columns: &[Column], row: &Value) -> Option<TableRow> {
        let doc: RowDoc = serde_json::from_value(row.clone()).ok()?;
        TableRow::from_row(res, columns, doc, &mut Shared::default())
    }
}

/// Orders two cells as numbers when both read as numbers, else as text.
fn compare_cells(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

impl ListRow for TableRow {
    const KIND: Kind = Kind::Pods;
    const SORT_COLUMNS: &'static [&'static str] = &["age", "name", "namespace", "status", "restarts", "type"];

    fn uid(&self) -> &str {
        &self.uid
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    fn created(&self) -> Option<DateTime<Utc>> {
        self.created
    }

    fn kind(&self) -> Kind {
        Kind::Resource(self.res)
    }

    fn search_fields(&self) -> Vec<&str> {
        // The cells as one string: the separator is a control character, which a typed filter
        // never holds, so no match spans two cells.
        if self.cells.is_empty() {
            vec![&self.name, &self.namespace]
        } else {
            vec![&self.namespace, &self.cells]
        }
    }

    fn compare(&self, other: &Self, column: &str, now: DateTime<Utc>) -> Ordering {
        let _ = now;
        match column {
            "name" => self.name.cmp(&other.name),
            "namespace" => self.namespace.cmp(&other.namespace),
            "status" => compare_cells(&self.status, &other.status),
            "restarts" => other.restarts.cmp(&self.restarts),
            // Warnings first, then the latest.
            "type" => {
                let w = |r: &TableRow| r.event.as_ref().is_some_and(|e| e.warning);
                let seen = |r: &TableRow| r.event.as_ref().and_then(|e| e.last_seen).or(r.created);
                w(other).cmp(&w(self)).then_with(|| seen(other).cmp(&seen(self)))
            }
            _ => Ordering::Equal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods() -> &'static ResKind {
        crate::kube::discovery::pods()
    }

    #[test]
    fn a_pod_row_reads_cells_owner_and_gpus() {
        let columns: Vec<Column> = [
            json!({"name": "Name", "type": "string", "format": "name"}),
            json!({"name": "Ready", "type": "string"}),
            json!({"name": "Status", "type": "string"}),
            json!({"name": "Restarts", "type": "string"}),
            json!({"name": "Age", "type": "string", "format": "date"}),
            json!({"name": "Node", "type": "string", "priority": 1}),
        ]
        .iter()
        .map(Column::from_definition)
        .collect();
        assert!(columns[4].is_age());
        assert_eq!(columns[5].priority, 1);
        let row = json!({
            "cells": ["train-0", "0/1", "CrashLoopBackOff", "7 (2m ago)", "1h", null],
            "object": {
                "metadata": {"name": "train-0", "namespace": "team-a", "uid": "u1",
                  "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": "x"},
                  "ownerReferences": [
                    {"apiVersion": "v1", "kind": "Other", "name": "o"},
                    {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": "wf", "controller": true}]},
                "spec": {"containers": [{"name": "main", "resources": {"limits": {"nvidia.com/gpu": "2"}}}]}
            }
        });
        let r = TableRow::from_table_row(pods(), &columns, &row).unwrap();
        assert_eq!(&*r.status, "CrashLoopBackOff");
        assert_eq!(r.restarts, 7);
        assert_eq!(r.gpus, 2);
        assert_eq!(r.cell(5), "<none>");
        assert_eq!(
            r.owner.as_deref().map(ObjRef::label).as_deref(),
            Some("Workflow/wf")
        );
        assert_eq!(r.labels.get("app").map(String::as_str), Some("x"));
        assert!(r.search_fields().iter().any(|f| f.contains("CrashLoopBackOff")));
    }

    #[test]
    fn events_sort_warnings_first_then_latest() {
        let ev = crate::kube::discovery::intern(ResKind::new("", "v1", "Event", "events", true));
        let mk = |name: &str, ty: &str, at: &str| {
            let row = json!({"cells": [], "object": {
                "metadata": {"name": name, "namespace": "n", "uid": name},
                "type": ty, "lastTimestamp": at,
                "involvedObject": {"kind": "Pod", "name": "p1"}}});
            TableRow::from_table_row(ev, &[], &row).unwrap()
        };
        let mut rows = [
            mk("a", "Normal", "2026-01-01T00:00:09Z"),
            mk("b", "Warning", "2026-01-01T00:00:01Z"),
            mk("c", "Warning", "2026-01-01T00:00:05Z"),
        ];
        let now = Utc::now();
        rows.sort_by(|x, y| x.compare(y, "type", now));
        let names: Vec<&str> = rows.iter().map(|r| &*r.name).collect();
        assert_eq!(names, ["c", "b", "a"]);
        let subject = rows[0].event.as_ref().and_then(|e| e.subject.clone()).unwrap();
        assert_eq!(
            (subject.namespace.as_str(), subject.label().as_str()),
            ("n", "Pod/p1")
        );
    }

    #[test]
    fn escape_sequences_in_cells_are_made_harmless() {
        let row = json!({"cells": ["x\u{1b}[2Jy"], "object": {"metadata": {"name": "x"}}});
        let r = TableRow::from_table_row(pods(), &[], &row).unwrap();
        assert!(!r.cell(0).contains('\u{1b}'));
        assert_eq!(r.cells().count(), 1);
        assert!(TableRow::from_table_row(pods(), &[], &json!({"cells": []})).is_none());
    }
}
