//! Response formats: plain JSON, server-side `Table`s and `PartialObjectMetadata`, chosen from
//! the `Accept` header the way the apiserver negotiates them.

use bytes::{BufMut, Bytes, BytesMut};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::sim::error::ApiError;
use crate::sim::store::{ListPage, Stored};
use crate::sim::types::{Cell, ResourceType, human_duration};

/// What the client asked to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    /// `as=Table`, with the requested meta.k8s.io version.
    Table(&'static str),
    /// `as=PartialObjectMetadata[List]`.
    Meta(&'static str),
}

/// Picks the first acceptable media type of an `Accept` header.
pub fn negotiate(accept: Option<&str>) -> Result<Format, ApiError> {
    let accept = accept.unwrap_or("").trim();
    if accept.is_empty() {
        return Ok(Format::Json);
    }
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        if !matches!(media, "application/json" | "*/*" | "application/*") {
            continue;
        }
        let (mut as_, mut g, mut v) = ("", "", "");
        for p in parts {
            match p.split_once('=') {
                Some(("as", x)) => as_ = x,
                Some(("g", x)) => g = x,
                Some(("v", x)) => v = x,
                _ => {}
            }
        }
        let version = match v {
            "v1" => "v1",
            "v1beta1" => "v1beta1",
            _ => "",
        };
        match (as_, g) {
            ("", _) => return Ok(Format::Json),
            ("Table", "meta.k8s.io") if !version.is_empty() => return Ok(Format::Table(version)),
            ("PartialObjectMetadata" | "PartialObjectMetadataList", "meta.k8s.io") if !version.is_empty() => {
                return Ok(Format::Meta(version));
            }
            _ => {}
        }
    }
    Err(ApiError::not_acceptable(accept))
}

/// Whether rows of a table carry the object (`includeObject`, default `Metadata`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("None") => Self::None,
            Some("Object") => Self::Object,
            _ => Self::Metadata,
        }
    }
}

fn partial(version: &str, obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

fn list_meta(page_rv: u64, continue_token: Option<&str>, remaining: Option<u64>) -> Value {
    let mut m = json!({ "resourceVersion": page_rv.to_string() });
    if let Some(o) = m.as_object_mut() {
        if let Some(c) = continue_token {
            o.insert("continue".into(), json!(c));
        }
        if let Some(r) = remaining {
            o.insert("remainingItemCount".into(), json!(r));
        }
    }
    m
}

/// The column definitions of a kind's table.
pub fn column_definitions(rt: &ResourceType) -> Value {
    let mut cols = vec![json!({
        "name": "Name", "type": "string", "format": "name", "priority": 0,
        "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    })];
    let default_age = [crate::sim::types::Column {
        name: "Age",
        ty: "date",
        format: "",
        description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
        priority: 0,
        cell: Cell::Path(".metadata.creationTimestamp"),
    }];
    let columns = if rt.columns.is_empty() {
        &default_age[..]
    } else {
        rt.columns
    };
    for c in columns {
        cols.push(json!({
            "name": c.name, "type": if c.ty == "date" { "string" } else { c.ty },
            "format": c.format, "description": c.description, "priority": c.priority,
        }));
    }
    Value::Array(cols)
}

fn cells(rt: &ResourceType, obj: &Value, now: DateTime<Utc>) -> Value {
    let mut out = vec![obj.pointer("/metadata/name").cloned().unwrap_or(Value::Null)];
    let columns: Vec<(Cell, &str)> = if rt.columns.is_empty() {
        vec![(Cell::Path(".metadata.creationTimestamp"), "date")]
    } else {
        rt.columns.iter().map(|c| (c.cell, c.ty)).collect()
    };
    for (cell, ty) in columns {
        let v = match cell {
            Cell::Custom(f) => f(obj, now),
            Cell::Path(p) => {
                let v = obj.pointer(&p.replace('.', "/")).cloned();
                match (ty, v) {
                    ("date", Some(Value::String(s))) => DateTime::parse_from_rfc3339(&s)
                        .map(|t| Value::String(human_duration(now - t.with_timezone(&Utc))))
                        .unwrap_or(Value::String(s)),
                    (_, Some(v)) => v,
                    (_, None) => Value::Null,
                }
            }
        };
        out.push(v);
    }
    Value::Array(out)
}

/// A `Table` of objects; `columns` false leaves the definitions out (later watch events).
pub fn table(
    rt: &ResourceType,
    version: &str,
    objects: &[Value],
    include: IncludeObject,
    meta: Value,
    columns: bool,
) -> Value {
    let now = Utc::now();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut row = json!({ "cells": cells(rt, o, now) });
            let object = match include {
                IncludeObject::None => None,
                IncludeObject::Metadata => Some(partial(version, o)),
                IncludeObject::Object => Some(o.clone()),
            };
            if let (Some(r), Some(obj)) = (row.as_object_mut(), object) {
                r.insert("object".into(), obj);
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": meta,
        "columnDefinitions": if columns { column_definitions(rt) } else { json!([]) },
        "rows": rows,
    })
}

fn parse_all(items: &[Stored]) -> Result<Vec<Value>, ApiError> {
    items.iter().map(Stored::value).collect()
}

/// The stored JSON as the requested version serves it: objects are stored in their storage
/// version, and conversion between the served versions of one kind only renames `apiVersion`.
pub fn served(rt: &ResourceType, json: Bytes) -> Bytes {
    if crate::sim::types::is_storage(rt) {
        return json;
    }
    match serde_json::from_slice::<Value>(&json) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.insert("apiVersion".into(), Value::String(rt.api_version()));
            }
            Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
        }
        Err(_) => json,
    }
}

/// A list page in the requested format.
pub fn list_body(
    rt: &ResourceType,
    page: &ListPage,
    format: Format,
    include: IncludeObject,
) -> Result<Bytes, ApiError> {
    let meta = list_meta(page.rv, page.continue_token.as_deref(), page.remaining);
    match format {
        Format::Json => {
            // Splice the stored JSON without parsing it.
            let mut buf = BytesMut::with_capacity(
                128 + page.items.iter().map(|i| i.json.stored_len() + 1).sum::<usize>(),
            );
            buf.put_slice(
                format!(
                    "{{\"kind\":\"{}\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
                    rt.list_kind(),
                    rt.api_version(),
                    meta
                )
                .as_bytes(),
            );
            for (i, item) in page.items.iter().enumerate() {
                if i > 0 {
                    buf.put_u8(b',');
                }
                buf.put_slice(&served(rt, item.json.bytes()));
            }
            buf.put_slice(b"]}");
            Ok(buf.freeze())
        }
        Format::Table(v) => {
            let objs = parse_all(&page.items)?;
            Ok(Bytes::from(table(rt, v, &objs, include, meta, true).to_string()))
        }
        Format::Meta(v) => {
            let objs = parse_all(&page.items)?;
            let items: Vec<Value> = objs.iter().map(|o| partial(v, o)).collect();
            Ok(Bytes::from(
                json!({
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": format!("meta.k8s.io/{v}"),
                    "metadata": meta,
                    "items": items,
                })
                .to_string(),
            ))
        }
    }
}

/// One object in the requested format.
pub fn object_body(
    rt: &ResourceType,
    stored: &Stored,
    format: Format,
    include: IncludeObject,
    columns: bool,
) -> Result<Bytes, ApiError> {
    match format {
        Format::Json => Ok(served(rt, stored.json.bytes())),
        Format::Table(v) => {
            let obj = stored.value()?;
            let meta = json!({ "resourceVersion": stored.meta.rv.to_string() });
            Ok(Bytes::from(
                table(rt, v, &[obj], include, meta, columns).to_string(),
            ))
        }
        Format::Meta(v) => Ok(Bytes::from(partial(v, &stored.value()?).to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types;

    #[test]
    fn accept_negotiation() {
        let kubectl_get = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(Some(kubectl_get)).ok(), Some(Format::Table("v1")));
        let discovery =
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        assert_eq!(negotiate(Some(discovery)).ok(), Some(Format::Json));
        assert_eq!(negotiate(None).ok(), Some(Format::Json));
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf"))
                .err()
                .map(|e| e.code),
            Some(406)
        );
    }

    #[test]
    fn workflow_table_uses_printer_columns() {
        let wf = json!({"metadata":{"name":"wf1","creationTimestamp":"2024-01-01T00:00:00Z"},
            "status":{"phase":"Running","startedAt":"2024-01-01T00:00:00Z"}});
        let t = table(
            types::workflow_type(),
            "v1",
            &[wf],
            IncludeObject::Metadata,
            json!({}),
            true,
        );
        let names: Vec<&str> = t["columnDefinitions"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["Name", "Status", "Age", "Message"]);
        assert_eq!(t["rows"][0]["cells"][0], "wf1");
        assert_eq!(t["rows"][0]["cells"][1], "Running");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }
}
