//! Kubeflow Pipelines: the compiled Argo layout of a KFP v2 run (`root-driver`, `T-driver`,
//! executor DAGs with `system-container-impl` pods), pipeline IR, and stable ids shared by the
//! seeded objects and the KFP REST API the service proxy serves.

use serde_json::{Map, Value, json};

use crate::sim::controllers::kit::uuid_for;

/// The hello-world pipeline IR (kfp_pipelinespec_ir_hello_world.yaml, Apache-2.0).
pub const HELLO_WORLD_IR: &str = r#"{"components":{"comp-echo":{"executorLabel":"exec-echo"}},"deploymentSpec":{"executors":{"exec-echo":{"container":{"args":["hello world"],"command":["echo"],"image":"registry.access.redhat.com/ubi9/python-311:latest"}}}},"pipelineInfo":{"name":"echo"},"root":{"dag":{"tasks":{"echo":{"cachingOptions":{"enableCache":true},"componentRef":{"name":"comp-echo"},"taskInfo":{"name":"echo"}}}}},"schemaVersion":"2.1.0","sdkVersion":"kfp-2.14.6"}"#;

const DRIVER_IMAGE: &str = "ghcr.io/kubeflow/kfp-driver:2.17.0";
const LAUNCHER_IMAGE: &str = "ghcr.io/kubeflow/kfp-launcher:2.17.0";

/// One task of a KFP pipeline.
#[derive(Debug, Clone)]
pub struct KfpTask {
    pub name: String,
    pub deps: Vec<String>,
    pub image: String,
}

/// The stable id of a Pipeline object (its `metadata.uid`, the REST `pipeline_id`).
pub fn pipeline_id(ns: &str, name: &str) -> String {
    uuid_for(&format!("pipeline/{ns}/{name}"))
}

/// The stable id of a PipelineVersion object.
pub fn version_id(ns: &str, name: &str) -> String {
    uuid_for(&format!("pipelineversion/{ns}/{name}"))
}

/// The id of the `Default` experiment of a namespace.
pub fn default_experiment_id(ns: &str) -> String {
    uuid_for(&format!("experiment/{ns}/Default"))
}

/// Annotations linking a run (Workflow) to its KFP pipeline, version and experiment.
pub const PIPELINE_ID: &str = "sim.kftui.dev/pipeline-id";
pub const VERSION_ID: &str = "sim.kftui.dev/pipeline-version-id";
pub const EXPERIMENT_ID: &str = "sim.kftui.dev/experiment-id";
pub const RUN_NAME: &str = "pipelines.kubeflow.org/run_name";
pub const RUN_ID_LABEL: &str = "pipeline/runid";

/// Pipeline IR (`PipelineSpec`) for tasks with parameters (typed from their defaults).
pub fn pipeline_ir(name: &str, tasks: &[KfpTask], params: &[(&str, &str)]) -> Value {
    let mut components = Map::new();
    let mut executors = Map::new();
    let mut dag = Map::new();
    let inputs: Map<String, Value> = params
        .iter()
        .map(|(k, v)| {
            // Typed as the KFP SDK types a Python default: int, float, else str.
            let (ty, default) = if let Ok(n) = v.parse::<i64>() {
                ("NUMBER_INTEGER", json!(n))
            } else if let Ok(f) = v.parse::<f64>() {
                ("NUMBER_DOUBLE", json!(f))
            } else {
                ("STRING", json!(v))
            };
            (
                (*k).to_string(),
                json!({"parameterType": ty, "defaultValue": default, "isOptional": true}),
            )
        })
        .collect();
    for t in tasks {
        components.insert(
            format!("comp-{}", t.name),
            json!({"executorLabel": format!("exec-{}", t.name),
                "inputDefinitions": {"parameters": inputs.keys().map(|k| (k.clone(), json!({"parameterType": "STRING"}))).collect::<Map<String, Value>>()}}),
        );
        executors.insert(
            format!("exec-{}", t.name),
            json!({"container": {
                "image": t.image,
                "command": ["sh", "-c", "python3 -m kfp.dsl.executor_main --component_module_path /tmp/kfp/ephemeral_component.py \"$@\"", "--"],
                "args": ["--executor_input", "{{$}}", "--function_to_execute", t.name.replace('-', "_")],
            }}),
        );
        let mut task = json!({
            "cachingOptions": {"enableCache": true},
            "componentRef": {"name": format!("comp-{}", t.name)},
            "taskInfo": {"name": t.name},
            "inputs": {"parameters": inputs.keys().map(|k| (k.clone(), json!({"componentInputParameter": k}))).collect::<Map<String, Value>>()},
        });
        if !t.deps.is_empty() {
            task["dependentTasks"] = json!(t.deps);
        }
        dag.insert(t.name.clone(), task);
    }
    json!({
        "components": components,
        "deploymentSpec": {"executors": executors},
        "pipelineInfo": {"name": name},
        "root": {"dag": {"tasks": dag}, "inputDefinitions": {"parameters": inputs}},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.14.6",
    })
}

/// The tasks of a pipeline IR (root DAG only) and its parameter defaults.
pub fn tasks_of_ir(ir: &Value) -> (Vec<KfpTask>, Vec<(String, String)>) {
    let tasks = crate::runs::synthetic::ir_tasks(ir)
        .into_iter()
        .map(|(name, image, deps)| KfpTask {
            name,
            deps,
            // A task whose executor names no image runs the SDK's default one.
            image: if image.is_empty() || image.starts_with('(') {
                "python:3.11-slim".to_string()
            } else {
                image
            },
        })
        .collect();
    let params = ir
        .pointer("/root/inputDefinitions/parameters")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let d = v.get("defaultValue").map_or_else(String::new, |d| {
                        d.as_str().map_or_else(|| d.to_string(), String::from)
                    });
                    (k.clone(), d)
                })
                .collect()
        })
        .unwrap_or_default();
    (tasks, params)
}

/// The Argo `spec` the KFP v2 backend compiles a pipeline into: `entrypoint` runs `root-driver`
/// then the `root` DAG; each task is a `T-driver` pod then a `T` executor DAG whose `executor`
/// pod (template `system-container-impl`) is skipped on a cache hit. With `retry`, the impl
/// template has KFP's default retry strategy (Retry nodes wrap the executor pods).
pub fn workflow_spec(tasks: &[KfpTask], params: &[(String, String)], retry: bool) -> Value {
    let runtime = json!({"parameterValues": params.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<String, Value>>()});
    let mut root_tasks = Vec::new();
    for t in tasks {
        let mut driver = json!({
            "name": format!("{}-driver", t.name),
            "template": "system-container-driver",
            "arguments": {"parameters": [
                {"name": "component", "value": format!("{{{{workflow.parameters.components-{}}}}}", t.name)},
                {"name": "task-name", "value": t.name},
                {"name": "container", "value": format!("{{\"image\":\"{}\"}}", t.image)},
                {"name": "parent-dag-id", "value": "{{inputs.parameters.parent-dag-id}}"},
            ]},
        });
        if !t.deps.is_empty() {
            let depends: Vec<String> = t.deps.iter().map(|d| format!("{d}.Succeeded")).collect();
            driver["depends"] = json!(depends.join(" && "));
        }
        root_tasks.push(driver);
        root_tasks.push(json!({
            "name": t.name,
            "template": "system-container-executor",
            "depends": format!("{}-driver.Succeeded", t.name),
            "arguments": {"parameters": [
                {"name": "pod-spec-patch", "value": format!("{{{{tasks.{}-driver.outputs.parameters.pod-spec-patch}}}}", t.name)},
                {"name": "cached-decision", "default": "false", "value": format!("{{{{tasks.{}-driver.outputs.parameters.cached-decision}}}}", t.name)},
            ]},
        }));
    }
    let driver_annotations =
        json!({"pipelines.kubeflow.org/runtime-role": "driver", "sidecar.istio.io/inject": "false"});
    let mut impl_t = json!({
        "name": "system-container-impl",
        "metadata": {"annotations": {"pipelines.kubeflow.org/runtime-role": "launcher", "sidecar.istio.io/inject": "false"}},
        "inputs": {"parameters": [{"name": "pod-spec-patch"}]},
        "podSpecPatch": "{{inputs.parameters.pod-spec-patch}}",
        "initContainers": [{"name": "kfp-launcher", "image": LAUNCHER_IMAGE, "command": ["launcher-v2", "--copy", "/kfp-launcher/launch"]}],
        "container": {"name": "", "image": "gcr.io/ml-pipeline/should-be-overridden-during-runtime",
            "command": ["should-be-overridden-during-runtime"],
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
    });
    if retry {
        impl_t["retryStrategy"] = json!({"limit": 2, "retryPolicy": "OnError"});
    }
    let mut arguments: Vec<Value> = tasks
        .iter()
        .map(|t| {
            json!({"name": format!("components-{}", t.name),
                "value": format!("{{\"executorLabel\":\"exec-{}\"}}", t.name)})
        })
        .collect();
    arguments.push(json!({"name": "components-root", "value": json!({"dag": {"tasks": tasks.iter().map(|t| (t.name.clone(), json!({"componentRef": {"name": format!("comp-{}", t.name)}, "dependentTasks": t.deps}))).collect::<Map<String, Value>>()}}).to_string()}));
    json!({
        "entrypoint": "entrypoint",
        "serviceAccountName": "pipeline-runner",
        "arguments": {"parameters": arguments},
        "podMetadata": {
            "annotations": {"pipelines.kubeflow.org/v2_component": "true", "sidecar.istio.io/inject": "false"},
            "labels": {"pipelines.kubeflow.org/v2_component": "true"},
        },
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "ttlStrategy": {"secondsAfterCompletion": 86400},
        "templates": [
            {"name": "system-container-driver", "metadata": {"annotations": driver_annotations},
                "inputs": {"parameters": [{"name": "component"}, {"name": "task-name"}, {"name": "container"}, {"name": "parent-dag-id"}]},
                "outputs": {"parameters": [
                    {"name": "pod-spec-patch", "valueFrom": {"default": "", "path": "/tmp/outputs/pod-spec-patch"}},
                    {"name": "cached-decision", "default": "false", "valueFrom": {"default": "false", "path": "/tmp/outputs/cached-decision"}},
                ]},
                "container": {"name": "", "image": DRIVER_IMAGE, "command": ["driver"],
                    "args": ["--type", "CONTAINER", "--pipeline_name", "{{workflow.name}}", "--run_id", "{{workflow.uid}}"],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}}},
            {"name": "system-container-executor",
                "inputs": {"parameters": [{"name": "pod-spec-patch"}, {"name": "cached-decision", "default": "false"}]},
                "dag": {"tasks": [{"name": "executor", "template": "system-container-impl",
                    "when": "{{inputs.parameters.cached-decision}} != true",
                    "arguments": {"parameters": [{"name": "pod-spec-patch", "value": "{{inputs.parameters.pod-spec-patch}}"}]}}]}},
            impl_t,
            {"name": "root", "inputs": {"parameters": [{"name": "parent-dag-id"}]}, "dag": {"tasks": root_tasks}},
            {"name": "system-dag-driver", "metadata": {"annotations": driver_annotations},
                "inputs": {"parameters": [{"name": "component"}, {"name": "runtime-config", "default": ""}, {"name": "driver-type", "default": "DAG"}]},
                "outputs": {"parameters": [{"name": "execution-id", "valueFrom": {"path": "/tmp/outputs/execution-id"}}]},
                "container": {"name": "", "image": DRIVER_IMAGE, "command": ["driver"],
                    "args": ["--type", "{{inputs.parameters.driver-type}}", "--pipeline_name", "{{workflow.name}}"],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}}},
            {"name": "entrypoint", "dag": {"tasks": [
                {"name": "root-driver", "template": "system-dag-driver", "arguments": {"parameters": [
                    {"name": "component", "value": "{{workflow.parameters.components-root}}"},
                    {"name": "runtime-config", "value": runtime.to_string()},
                    {"name": "driver-type", "value": "ROOT_DAG"}]}},
                {"name": "root", "template": "root", "depends": "root-driver.Succeeded", "arguments": {"parameters": [
                    {"name": "parent-dag-id", "value": "{{tasks.root-driver.outputs.parameters.execution-id}}"}]}},
            ]}},
        ],
    })
}

/// The plan keys of a KFP run's pods: the executor pod and the driver of each task.
pub fn executor_key(task: &str) -> String {
    format!("root.{task}.executor")
}

pub fn driver_key(task: &str) -> String {
    format!("root.{task}-driver")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::controllers::argo::{self, node_id};
    use chrono::{TimeDelta, Utc};

    #[test]
    fn compiled_layout_runs_drivers_then_executors_and_skips_cache_hits() {
        let ir: Value = serde_json::from_str(HELLO_WORLD_IR).unwrap_or_default();
        let (mut tasks, _) = tasks_of_ir(&ir);
        assert_eq!(tasks.len(), 1);
        tasks.push(KfpTask {
            name: "train".into(),
            deps: vec!["echo".into()],
            image: "python:3.11".into(),
        });
        let plan = json!({"steps": {"root.echo.executor": {"skip": true}}});
        let mut wf = json!({"metadata": {"name": "r", "namespace": "n", "uid": "u",
            "creationTimestamp": crate::sim::store::timestamp(Utc::now() - TimeDelta::seconds(3600)),
            "annotations": {argo::PLAN_ANNOTATION: plan.to_string()}},
            "spec": workflow_spec(&tasks, &[], false)});
        let a = argo::advance(&mut wf, Utc::now());
        assert_eq!(wf["status"]["phase"], "Succeeded", "{}", wf["status"]);
        let nodes = &wf["status"]["nodes"];
        assert_eq!(nodes[node_id("r", "r.root-driver")]["type"], "Pod");
        assert_eq!(nodes[node_id("r", "r.root.echo.executor")]["phase"], "Skipped");
        assert_eq!(nodes[node_id("r", "r.root.train.executor")]["phase"], "Succeeded");
        let names: Vec<&String> = a.pods.upserts.keys().collect();
        assert!(
            names.iter().any(|n| n.starts_with("r-system-container-impl-")),
            "{names:?}"
        );
        assert!(
            names.iter().any(|n| n.starts_with("r-system-dag-driver-")),
            "{names:?}"
        );
        assert!(
            names.iter().any(|n| n.starts_with("r-system-container-driver-")),
            "{names:?}"
        );
    }
}
