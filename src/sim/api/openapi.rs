//! A minimal OpenAPI v3 surface: enough for kubectl to see that every kind supports
//! server-side field validation (so `create -f`/`apply -f` need no client-side schema), and
//! nothing that would make it compute patches from schemas we do not have.
//!
//! `/openapi/v3` lists the group-versions; `/openapi/v3/api/v1` and
//! `/openapi/v3/apis/{group}/{version}` hold paths with `x-kubernetes-group-version-kind` and
//! the query parameters of each operation. Schemas are open objects.

use serde_json::{Map, Value, json};

use crate::sim::rng::fnv32a;
use crate::sim::types::{self, ResourceType};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for rt in types::REGISTRY {
        if !out.contains(&(rt.group, rt.version)) {
            out.push((rt.group, rt.version));
        }
    }
    out
}

/// `/openapi/v3`.
pub fn root() -> Value {
    let mut paths = Map::new();
    for (g, v) in group_versions() {
        let p = gv_path(g, v);
        let hash = format!("{:08X}", fnv32a(&group_version(g, v).to_string()));
        paths.insert(
            p.clone(),
            json!({ "serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}") }),
        );
    }
    json!({ "paths": paths })
}

fn schema_name(rt: &ResourceType) -> String {
    if rt.group.is_empty() {
        format!("io.k8s.api.core.{}.{}", rt.version, rt.kind)
    } else {
        let reversed: Vec<&str> = rt.group.split('.').rev().collect();
        format!("{}.{}.{}", reversed.join("."), rt.version, rt.kind)
    }
}

fn param(name: &str) -> Value {
    json!({ "name": name, "in": "query", "schema": { "type": "string", "uniqueItems": true } })
}

fn operation(rt: &ResourceType, action: &str, params: &[&str]) -> Value {
    json!({
        "operationId": format!("{action}{}", rt.kind),
        "parameters": params.iter().map(|p| param(p)).collect::<Vec<_>>(),
        "responses": { "200": { "description": "OK" } },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": { "group": rt.group, "version": rt.version, "kind": rt.kind },
    })
}

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`, if served.
pub fn group_version(group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let write = ["dryRun", "fieldManager", "fieldValidation", "pretty"];
    for rt in types::in_group_version(group, version) {
        let base = format!("/{}", gv_path(group, version));
        let (collection, item) = if rt.namespaced {
            (
                format!("{base}/namespaces/{{namespace}}/{}", rt.plural),
                format!("{base}/namespaces/{{namespace}}/{}/{{name}}", rt.plural),
            )
        } else {
            (
                format!("{base}/{}", rt.plural),
                format!("{base}/{}/{{name}}", rt.plural),
            )
        };
        paths.insert(
            collection,
            json!({
                "get": operation(rt, "list", &["labelSelector", "fieldSelector", "limit", "continue", "watch", "resourceVersion", "timeoutSeconds"]),
                "post": operation(rt, "post", &write),
                "delete": operation(rt, "deletecollection", &["labelSelector", "fieldSelector", "dryRun"]),
            }),
        );
        let mut patch_params = write.to_vec();
        patch_params.push("force");
        paths.insert(
            item,
            json!({
                "get": operation(rt, "get", &["pretty"]),
                "put": operation(rt, "put", &write),
                "patch": operation(rt, "patch", &patch_params),
                "delete": operation(rt, "delete", &["dryRun", "gracePeriodSeconds", "propagationPolicy"]),
            }),
        );
        schemas.insert(
            schema_name(rt),
            json!({
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": true,
                "x-kubernetes-group-version-kind": [{ "group": rt.group, "version": rt.version, "kind": rt.kind }],
            }),
        );
    }
    json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes (kftui embedded cluster)", "version": "v1.32.0" },
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

/// Whether a group-version is served.
pub fn serves(group: &str, version: &str) -> bool {
    !types::in_group_version(group, version).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_operations_declare_field_validation() {
        let doc = group_version("argoproj.io", "v1alpha1");
        let patch =
            &doc["paths"]["/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}"]["patch"];
        assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "Workflow");
        let names: Vec<&str> = patch["parameters"]
            .as_array()
            .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(names.contains(&"fieldValidation"));
        assert!(
            root()["paths"]["api/v1"]["serverRelativeURL"]
                .as_str()
                .is_some_and(|u| u.starts_with("/openapi/v3/api/v1?hash="))
        );
        assert_eq!(
            schema_name(types::workflow_type()),
            "io.argoproj.v1alpha1.Workflow"
        );
    }
}
