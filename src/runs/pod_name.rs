//! Argo's node IDs and pod names, computed the way the controller computes them
//! (`workflow/util/pod_name.go`, `workflow_types.go` `NodeID`).

/// The annotation that pins a workflow's pod-name format (`v1` or `v2`).
pub const POD_NAME_FORMAT_ANNOTATION: &str = "workflows.argoproj.io/pod-name-format";

/// Kubernetes' limit on a resource name.
const MAX_NAME_LEN: usize = 253;
/// Room Argo keeps for the `-<hash>` suffix.
const HASH_LEN: usize = 10;

/// How Argo names the pod of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PodNameFormat {
    /// Pod name = node ID (Argo before 3.4, `POD_NAMES=v1`, or the `v1` annotation).
    V1,
    /// `<workflow>-<template>-<fnv32a(node name)>`, the default since Argo 3.4.
    #[default]
    V2,
}

impl PodNameFormat {
    /// The format a workflow asks for with its `pod-name-format` annotation; `v2` when absent.
    pub fn from_annotation(value: Option<&str>) -> PodNameFormat {
        match value {
            Some("v1") => PodNameFormat::V1,
            _ => PodNameFormat::V2,
        }
    }
}

/// 32-bit FNV-1a, the hash Argo uses for node IDs and pod names.
pub fn fnv32a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Argo's node ID for a node name: the workflow name for the root node, else `<wf>-<fnv32a(name)>`.
pub fn node_id(workflow: &str, node_name: &str) -> String {
    if node_name == workflow {
        workflow.to_string()
    } else {
        format!("{workflow}-{}", fnv32a(node_name))
    }
}

/// The pod name Argo gives the node `node_name` (ID `node_id`) run from `template`
/// (`templateRef.template` when the node came from a template reference, else `templateName`).
pub fn pod_name(
    workflow: &str,
    node_name: &str,
    template: Option<&str>,
    node_id: &str,
    format: PodNameFormat,
) -> String {
    if format == PodNameFormat::V1 {
        return node_id.to_string();
    }
    if node_name == workflow {
        return workflow.to_string();
    }
    let mut prefix = match template {
        Some(t) if !t.is_empty() && !node_name.contains(".inline") => format!("{workflow}-{t}"),
        _ => workflow.to_string(),
    };
    truncate_prefix(&mut prefix);
    format!("{prefix}-{}", fnv32a(node_name))
}

/// Keeps room for the hash inside the 253-character limit, as `ensurePodNamePrefixLength` does.
fn truncate_prefix(prefix: &mut String) {
    let max = MAX_NAME_LEN - HASH_LEN - 1;
    if prefix.len() > max {
        let mut cut = max;
        while !prefix.is_char_boundary(cut) {
            cut -= 1;
        }
        prefix.truncate(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv32a_matches_argo_node_ids() {
        // From the dag-retry-succeeded fixture: node `dag-with-retries-4wkh8.step1(0)`.
        assert_eq!(
            node_id("dag-with-retries-4wkh8", "dag-with-retries-4wkh8.step1(0)"),
            "dag-with-retries-4wkh8-2105190396"
        );
        assert_eq!(node_id("wf", "wf"), "wf");
        assert_eq!(fnv32a(""), 0x811c_9dc5);
    }

    #[test]
    fn pod_names_follow_the_format() {
        let v2 = pod_name("wf", "wf.a", Some("echo"), "wf-1", PodNameFormat::V2);
        assert_eq!(v2, format!("wf-echo-{}", fnv32a("wf.a")));
        assert_eq!(pod_name("wf", "wf", Some("echo"), "wf", PodNameFormat::V2), "wf");
        assert_eq!(
            pod_name("wf", "wf.a", None, "wf-1", PodNameFormat::V2),
            format!("wf-{}", fnv32a("wf.a"))
        );
        assert_eq!(
            pod_name("wf", "wf.a", Some("echo"), "wf-1", PodNameFormat::V1),
            "wf-1"
        );
        let inline = pod_name("wf", "wf.a.inline", Some("t"), "x", PodNameFormat::V2);
        assert_eq!(inline, format!("wf-{}", fnv32a("wf.a.inline")));
        let long = "t".repeat(300);
        let p = pod_name("wf", "wf.a", Some(&long), "x", PodNameFormat::V2);
        assert_eq!(p.len(), 242 + 1 + fnv32a("wf.a").to_string().len());
    }
}
