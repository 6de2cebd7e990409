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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjRef {
    fn from_value(v: &Value, namespace: &str) -> Option<ObjRef> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let name = s("name");
        if name.is_empty() {
            return None;
        }
        let ns = s("namespace");
        Some(ObjRef {
            api_version: s("apiVersion"),
            kind: s("kind"),
            namespace: if ns.is_empty() { namespace.to_string() } else { ns },
            name,
        })
    }

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

#[derive(Debug, PartialEq, Eq)]
pub struct TableRowData {
    pub res: &'static ResKind,
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: Arc<BTreeMap<String, String>>,
    pub created: Option<DateTime<Utc>>,
    /// One per column, sanitised.
    pub cells: Box<[String]>,
    /// The cell of a `Status`, `Phase` or `State` column (an event's type).
    pub status: String,
    /// The leading number of a `Restarts` column.
    pub restarts: u32,
    /// The controller among the owners, else the first owner.
    pub owner: Option<ObjRef>,
    pub event: Option<EventInfo>,
    /// GPUs the pod's containers request.
    pub gpus: u32,
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

fn pod_gpus(pod: &Value) -> u32 {
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    containers
        .iter()
        .flat_map(|c| {
            GPU_RESOURCES.iter().filter_map(move |r| {
                let q = c
                    .pointer("/resources/limits")
                    .or_else(|| c.pointer("/resources/requests"))?;
                let v = q.get(*r)?;
                v.as_str()
                    .and_then(|s| s.parse::<u32>().ok())
                    .or_else(|| v.as_u64().and_then(|n| u32::try_from(n).ok()))
            })
        })
        .sum()
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
    pub fn from_table_row(res: &'static ResKind, columns: &[Column], row: &Value) -> Option<TableRow> {
        let object = row.get("object").unwrap_or(&Value::Null);
        let meta = object.get("metadata").unwrap_or(&Value::Null);
        let s = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let name = s("name");
        if name.is_empty() {
            return None;
        }
        let namespace = s("namespace");
        let cells: Box<[String]> = row
            .get("cells")
            .and_then(Value::as_array)
            .map(|c| c.iter().map(cell_text).collect())
            .unwrap_or_default();
        let cell = |names: &[&str]| {
            columns
                .iter()
                .position(|c| names.iter().any(|n| c.name.eq_ignore_ascii_case(n)))
                .and_then(|i| cells.get(i))
                .cloned()
        };
        let owners = meta.get("ownerReferences").and_then(Value::as_array);
        let owner = owners.and_then(|o| {
            o.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                .or_else(|| o.first())
                .and_then(|r| ObjRef::from_value(r, &namespace))
        });
        let event = res.is_events().then(|| {
            let ty = object.get("type").and_then(Value::as_str).unwrap_or("");
            let seen = [
                "/series/lastObservedTime",
                "/lastTimestamp",
                "/eventTime",
                "/deprecatedLastTimestamp",
            ]
            .iter()
            .filter_map(|p| object.pointer(p).and_then(Value::as_str).and_then(parse_time))
            .next()
            .or_else(|| {
                meta.get("creationTimestamp")
                    .and_then(Value::as_str)
                    .and_then(parse_time)
            });
            let subject = object
                .get("involvedObject")
                .or_else(|| object.get("regarding"))
                .and_then(|r| ObjRef::from_value(r, &namespace));
            EventInfo {
                warning: ty == "Warning",
                last_seen: seen,
                subject,
            }
        });
        let status = match &event {
            Some(e) if e.warning => "Warning".to_string(),
            Some(_) => "Normal".to_string(),
            None => cell(&["Status", "Phase", "State"]).unwrap_or_default(),
        };
        let labels: BTreeMap<String, String> = meta
            .get("labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Some(TableRow(Arc::new(TableRowData {
            res,
            uid: {
                let uid = s("uid");
                if uid.is_empty() {
                    format!("{namespace}/{name}")
                } else {
                    uid
                }
            },
            created: meta
                .get("creationTimestamp")
                .and_then(Value::as_str)
                .and_then(parse_time),
            restarts: cell(&["Restarts"]).map_or(0, |r| leading_number(&r)),
            gpus: if res.is_pods() { pod_gpus(object) } else { 0 },
            status,
            owner,
            event,
            labels: Arc::new(labels),
            cells,
            namespace: sanitized(&namespace),
            name: sanitized(&name),
        })))
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

    crate::list_row_fields!();

    fn kind(&self) -> Kind {
        Kind::Resource(self.res)
    }

    fn search_fields(&self) -> Vec<&str> {
        let mut f: Vec<&str> = vec![&self.name, &self.namespace];
        f.extend(self.cells.iter().map(String::as_str));
        f
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
        assert_eq!(r.status, "CrashLoopBackOff");
        assert_eq!(r.restarts, 7);
        assert_eq!(r.gpus, 2);
        assert_eq!(r.cells[5], "<none>");
        assert_eq!(
            r.owner.as_ref().map(ObjRef::label).as_deref(),
            Some("Workflow/wf")
        );
        assert_eq!(r.labels.get("app").map(String::as_str), Some("x"));
        assert!(r.search_fields().contains(&"CrashLoopBackOff"));
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
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
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
        assert!(!r.cells[0].contains('\u{1b}'));
        assert!(TableRow::from_table_row(pods(), &[], &json!({"cells": []})).is_none());
    }
}
