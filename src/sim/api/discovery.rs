//! `/version` and the legacy discovery documents (`/api`, `/apis`, group and group-version
//! resource lists). Aggregated discovery is not offered: clients asking for it get the plain
//! documents with `Content-Type: application/json` and fall back, as they do on older servers.

use serde_json::{Value, json};

use super::resource_metrics;
use crate::sim::types;

/// The server version the sim reports.
pub const GIT_VERSION: &str = "v1.32.0-kftui-sim";

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub fn core_versions(server: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": server }],
    })
}

fn group_doc(name: &str, versions: &[&str]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({ "groupVersion": format!("{name}/{v}"), "version": v }))
        .collect();
    json!({
        "name": name,
        "versions": vs,
        "preferredVersion": vs.first().cloned().unwrap_or(Value::Null),
    })
}

pub fn group_list() -> Value {
    let mut groups: Vec<Value> = types::groups().iter().map(|(g, vs)| group_doc(g, vs)).collect();
    groups.push(group_doc(resource_metrics::GROUP, &[resource_metrics::VERSION]));
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// `/apis/{group}`, if the group is served.
pub fn group(name: &str) -> Option<Value> {
    let mut groups = types::groups();
    groups.push((resource_metrics::GROUP, vec![resource_metrics::VERSION]));
    let (g, vs) = groups.iter().find(|(g, _)| *g == name)?;
    let mut doc = group_doc(g, vs);
    if let Some(o) = doc.as_object_mut() {
        o.insert("kind".into(), json!("APIGroup"));
        o.insert("apiVersion".into(), json!("v1"));
    }
    Some(doc)
}

/// `/api/v1` or `/apis/{group}/{version}`, if served.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    if (group, version) == (resource_metrics::GROUP, resource_metrics::VERSION) {
        return Some(resource_metrics::resource_list());
    }
    let kinds = types::in_group_version(group, version);
    if kinds.is_empty() {
        return None;
    }
    let resources: Vec<Value> = kinds.iter().flat_map(|rt| rt.discovery_entries()).collect();
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_lists_workflows_and_pod_log() {
        let wf = resource_list("argoproj.io", "v1alpha1").unwrap_or_default();
        let r = &wf["resources"][0];
        assert_eq!(r["name"], "workflows");
        assert_eq!(r["shortNames"], json!(["wf"]));
        assert_eq!(r["namespaced"], true);
        let core = resource_list("", "v1").unwrap_or_default();
        let names: Vec<&str> = core["resources"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(names.contains(&"pods/log"));
        assert!(names.contains(&"pods/exec"));
        assert!(names.contains(&"nodes"));
        let metrics = resource_list("metrics.k8s.io", "v1beta1").unwrap_or_default();
        assert_eq!(metrics["resources"][0]["name"], "nodes");
        assert!(group("metrics.k8s.io").is_some());
        assert!(names.contains(&"namespaces"));
        assert!(group("argoproj.io").is_some());
        assert!(group("nope.io").is_none());
        assert_eq!(group_list()["groups"][0]["name"], "argoproj.io");
    }
}
