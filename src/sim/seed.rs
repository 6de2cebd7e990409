//! Demo data: namespaces shaped like Kubeflow profiles, system pods, and runs of a few
//! believable pipelines (KFP-shaped and plain Argo) in every phase. Everything is chosen by a
//! seeded PRNG, so a seed always gives the same names, phases and parameters.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::controllers::argo::{self, PLAN_ANNOTATION, Plan, StepPlan};
use super::controllers::pods;
use super::error::ApiError;
use super::kfp;
use super::logs::PROFILE_ANNOTATION;
use super::rng::Rng;
use super::store::{Store, timestamp};
use super::types;

/// The profile namespaces, first one is the kubeconfig's default.
pub const PROFILE_NAMESPACES: &[(&str, &str)] = &[
    ("kubeflow-user-example-com", "user@example.com"),
    ("team-vision", "vision-lead@example.com"),
];

/// One step of a demo pipeline.
struct StepDef {
    name: &'static str,
    deps: &'static [&'static str],
    image: &'static str,
    secs: (i64, i64),
    errors: &'static [&'static str],
    retry: bool,
}

/// A demo pipeline.
struct PipelineDef {
    name: &'static str,
    /// KFP-shaped (annotations, labels, DAG) or a plain Argo steps workflow.
    kfp: bool,
    steps: &'static [StepDef],
    params: &'static [(&'static str, &'static [&'static str])],
}

const fn step(
    name: &'static str,
    deps: &'static [&'static str],
    image: &'static str,
    secs: (i64, i64),
    errors: &'static [&'static str],
) -> StepDef {
    StepDef {
        name,
        deps,
        image,
        secs,
        errors,
        retry: false,
    }
}

const PY: &str = "python:3.11-slim";
const S3_DENIED: &str = "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: Access Denied";

static PIPELINES: &[PipelineDef] = &[
    PipelineDef {
        name: "xgboost-training",
        kfp: true,
        steps: &[
            step("load-data", &[], PY, (4, 10), &[S3_DENIED]),
            step(
                "preprocess",
                &["load-data"],
                PY,
                (6, 15),
                &["KeyError: 'customer_tenure' (column missing from input frame)"],
            ),
            step("feature-stats", &["load-data"], PY, (3, 8), &[]),
            step(
                "train-xgboost",
                &["preprocess"],
                "ghcr.io/kubeflow-demo/xgboost:2.0.3",
                (20, 50),
                &[
                    "xgboost.core.XGBoostError: [10:32:01] ../src/data/data.cc:501: Check failed: valid: Label contains NaN, infinity or a value too large.",
                ],
            ),
            step(
                "evaluate",
                &["train-xgboost"],
                PY,
                (5, 12),
                &["AssertionError: eval auc 0.612 is below the promotion threshold 0.750"],
            ),
            step("register-model", &["evaluate", "feature-stats"], PY, (2, 5), &[]),
        ],
        params: &[
            ("learning_rate", &["0.01", "0.05", "0.1", "0.3"]),
            ("max_depth", &["4", "6", "8"]),
            ("n_estimators", &["100", "200", "500"]),
        ],
    },
    PipelineDef {
        name: "bert-finetune",
        kfp: true,
        steps: &[
            step("download-dataset", &[], PY, (5, 12), &[S3_DENIED]),
            step(
                "tokenize",
                &["download-dataset"],
                "huggingface/transformers-pytorch-gpu:4.41.2",
                (8, 18),
                &[],
            ),
            step(
                "finetune-bert",
                &["tokenize"],
                "huggingface/transformers-pytorch-gpu:4.41.2",
                (40, 75),
                &[
                    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 39.39 GiB of which 1.12 GiB is free.",
                ],
            ),
            step(
                "evaluate",
                &["finetune-bert"],
                "huggingface/transformers-pytorch-gpu:4.41.2",
                (6, 14),
                &[],
            ),
            step(
                "export-onnx",
                &["evaluate"],
                PY,
                (3, 8),
                &[
                    "onnx.onnx_cpp2py_export.checker.ValidationError: Field 'shape' of 'type' is required but missing.",
                ],
            ),
        ],
        params: &[
            ("epochs", &["2", "3", "4"]),
            ("batch_size", &["16", "32"]),
            ("learning_rate", &["2e-5", "3e-5", "5e-5"]),
        ],
    },
    PipelineDef {
        name: "image-classifier",
        kfp: true,
        steps: &[
            step("prepare-images", &[], PY, (5, 12), &[]),
            step("augment", &["prepare-images"], PY, (6, 14), &[]),
            step(
                "train-resnet",
                &["augment"],
                "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
                (30, 60),
                &["RuntimeError: DataLoader worker (pid 214) is killed by signal: Killed. "],
            ),
            step("evaluate", &["train-resnet"], PY, (4, 10), &[]),
        ],
        params: &[
            ("model", &["resnet50", "resnet18", "efficientnet_b0"]),
            ("epochs", &["10", "20"]),
        ],
    },
    PipelineDef {
        name: "data-prep",
        kfp: false,
        steps: &[
            step("fetch-raw", &[], "amazon/aws-cli:2.17.0", (4, 9), &[S3_DENIED]),
            step(
                "validate-schema",
                &["fetch-raw"],
                PY,
                (3, 7),
                &[
                    "great_expectations.exceptions.ValidationError: column 'user_id' expected to be non-null, found 1204 null values",
                ],
            ),
            step("compute-stats", &["fetch-raw"], PY, (4, 9), &[]),
            step(
                "write-parquet",
                &["validate-schema", "compute-stats"],
                PY,
                (5, 10),
                &[],
            ),
        ],
        params: &[(
            "source",
            &["s3://kf-demo-data/events", "s3://kf-demo-data/clicks"],
        )],
    },
    PipelineDef {
        name: "nightly-etl",
        kfp: false,
        steps: &[
            step("extract", &[], PY, (4, 8), &[]),
            StepDef {
                name: "transform",
                deps: &["extract"],
                image: PY,
                secs: (5, 10),
                errors: &["psycopg2.OperationalError: could not connect to server: Connection timed out"],
                retry: true,
            },
            step("load-warehouse", &["transform"], PY, (4, 9), &[]),
        ],
        params: &[("date", &["yesterday"])],
    },
];

/// How a seeded run should turn out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Succeed,
    Fail,
    /// The first attempt of every retried step fails, then it succeeds.
    Retried,
}

fn namespace(name: &str, owner: Option<&str>) -> Value {
    let mut ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {}}});
    if let Some(owner) = owner {
        ns["metadata"]["labels"] = json!({
            "app.kubernetes.io/part-of": "kubeflow-profile",
            "istio-injection": "enabled",
            "katib.kubeflow.org/metrics-collector-injection": "enabled",
            "pipelines.kubeflow.org/enabled": "true",
            "serving.kubeflow.org/inferenceservice": "enabled",
        });
        ns["metadata"]["annotations"] = json!({ "owner": owner });
    } else if name == "kubeflow" {
        ns["metadata"]["labels"] = json!({"control-plane": "kubeflow", "istio-injection": "enabled"});
    }
    ns
}

/// Topological levels of a pipeline's steps (the groups of a steps workflow).
fn levels(p: &PipelineDef) -> Vec<Vec<&StepDef>> {
    let mut out: Vec<Vec<&StepDef>> = Vec::new();
    let mut placed: Vec<&str> = Vec::new();
    while placed.len() < p.steps.len() {
        let level: Vec<&StepDef> = p
            .steps
            .iter()
            .filter(|s| !placed.contains(&s.name) && s.deps.iter().all(|d| placed.contains(d)))
            .collect();
        if level.is_empty() {
            break;
        }
        placed.extend(level.iter().map(|s| s.name));
        out.push(level);
    }
    out
}

fn container_template(p: &PipelineDef, s: &StepDef) -> Value {
    let command = if p.kfp {
        json!(["python3", "-m", "kfp.dsl.executor_main"])
    } else {
        json!(["python3", format!("/app/{}.py", s.name.replace('-', "_"))])
    };
    let mut t = json!({
        "name": s.name,
        "container": {
            "name": "",
            "image": s.image,
            "command": command,
            "args": ["--executor_input", "{{inputs.parameters.executor-input}}"],
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
        },
        "metadata": {"annotations": {"sidecar.istio.io/inject": "false"}},
    });
    if !p.kfp {
        t["container"]["args"] = json!([]);
    }
    let outputs: &[&str] = match (p.kfp, s.name) {
        (false, "evaluate") => &["accuracy", "loss"],
        (false, "compute-stats") => &["rows", "null_fraction"],
        _ => &[],
    };
    if !outputs.is_empty() {
        let params: Vec<Value> = outputs
            .iter()
            .map(|o| json!({"name": o, "valueFrom": {"path": format!("/tmp/outputs/{o}")}}))
            .collect();
        t["outputs"] = json!({"parameters": params});
    }
    if s.retry {
        t["retryStrategy"] = json!({"limit": 2, "retryPolicy": "OnFailure"});
    }
    if s.name.contains("finetune") || s.name.contains("resnet") {
        t["container"]["resources"]["limits"] = json!({"nvidia.com/gpu": "1"});
    }
    t
}

/// The KFP tasks of a KFP-shaped demo pipeline.
fn kfp_tasks(p: &PipelineDef) -> Vec<kfp::KfpTask> {
    p.steps
        .iter()
        .map(|s| kfp::KfpTask {
            name: s.name.into(),
            deps: s.deps.iter().map(|d| (*d).to_string()).collect(),
            image: s.image.into(),
        })
        .collect()
}

fn spec_for(p: &PipelineDef, params: &[(String, String)], retry: bool) -> Value {
    if p.kfp {
        return kfp::workflow_spec(&kfp_tasks(p), params, retry);
    }
    let mut templates = Vec::new();
    if p.kfp {
        let tasks: Vec<Value> = p
            .steps
            .iter()
            .map(|s| {
                let mut t = json!({"name": s.name, "template": s.name});
                if !s.deps.is_empty() {
                    t["dependencies"] = json!(s.deps);
                }
                t
            })
            .collect();
        templates.push(json!({"name": "entrypoint", "dag": {"tasks": tasks}}));
    } else {
        let groups: Vec<Value> = levels(p)
            .iter()
            .map(|l| {
                Value::Array(
                    l.iter()
                        .map(|s| json!({"name": s.name, "template": s.name}))
                        .collect(),
                )
            })
            .collect();
        templates.push(json!({"name": "entrypoint", "steps": groups}));
    }
    templates.extend(p.steps.iter().map(|s| container_template(p, s)));
    let parameters: Vec<Value> = params
        .iter()
        .map(|(k, v)| json!({"name": k, "value": v}))
        .collect();
    let mut spec = json!({
        "entrypoint": "entrypoint",
        "arguments": {"parameters": parameters},
        "templates": templates,
        "serviceAccountName": if p.kfp { "pipeline-runner" } else { "default-editor" },
    });
    if p.kfp {
        spec["podMetadata"] = json!({"annotations": {"sidecar.istio.io/inject": "false"}});
        spec["ttlStrategy"] = json!({"secondsAfterCompletion": 86400});
    }
    spec
}

/// Builds one run (no status yet) of pipeline `p` created at `created`.
fn run(rng: &mut Rng, p: &PipelineDef, ns: &str, created: DateTime<Utc>, fate: Fate, pending: i64) -> Value {
    let name = format!("{}-{}", p.name, rng.suffix(5));
    let params: Vec<(String, String)> = p
        .params
        .iter()
        .map(|(k, vs)| {
            let v = if *k == "date" {
                (created - TimeDelta::days(1)).format("%Y-%m-%d").to_string()
            } else {
                rng.pick(vs).copied().unwrap_or("").to_string()
            };
            ((*k).to_string(), v)
        })
        .collect();
    let mut plan = Plan {
        pending: (pending > 0).then_some(pending),
        ..Plan::default()
    };
    for s in p.steps {
        let secs = rng.range(s.secs.0 as u64, s.secs.1 as u64) as i64;
        plan.steps.insert(
            s.name.to_string(),
            StepPlan {
                seconds: Some(secs),
                pending: Some(rng.range(1, 3) as i64),
                ..StepPlan::default()
            },
        );
    }
    let failing: Vec<&StepDef> = p.steps.iter().filter(|s| !s.errors.is_empty()).collect();
    match fate {
        Fate::Fail => {
            if let Some(s) = rng.pick(&failing)
                && let Some(sp) = plan.steps.get_mut(s.name)
            {
                sp.exit = Some(1);
                sp.error = rng.pick(s.errors).map(|e| (*e).to_string());
            }
        }
        Fate::Retried => {
            for s in p.steps.iter().filter(|s| s.retry) {
                if let Some(sp) = plan.steps.get_mut(s.name) {
                    sp.fail_attempts = Some(1);
                    sp.error = s.errors.first().map(|e| (*e).to_string());
                }
            }
        }
        Fate::Succeed => {}
    }
    // KFP runs: plans are keyed by pod path; some runs hit the cache, some retry a step.
    let h = crate::sim::rng::hash64(&name);
    let kfp_retry = p.kfp && fate == Fate::Succeed && h % 5 == 1;
    if p.kfp {
        let steps = std::mem::take(&mut plan.steps);
        for (task, mut sp) in steps {
            plan.steps.insert(
                kfp::driver_key(&task),
                StepPlan {
                    seconds: Some(3 + (crate::sim::rng::hash64(&format!("{name}/{task}")) % 4) as i64),
                    pending: Some(1),
                    ..StepPlan::default()
                },
            );
            if kfp_retry && p.steps.iter().position(|s| s.name == task) == Some(1) {
                sp.fail_attempts = Some(1);
                sp.error =
                    Some("ConnectionResetError: [Errno 104] Connection reset by peer (minio:9000)".into());
            }
            if fate == Fate::Succeed
                && h.is_multiple_of(4)
                && p.steps.first().map(|s| s.name) == Some(task.as_str())
            {
                sp.skip = Some(true);
            }
            plan.steps.insert(kfp::executor_key(&task), sp);
        }
        plan.steps.insert(
            "root-driver".into(),
            StepPlan {
                seconds: Some(4),
                pending: Some(1),
                ..StepPlan::default()
            },
        );
    }
    let plan_json = serde_json::to_string(&plan).unwrap_or_default();
    let mut wf = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": name,
            "generateName": format!("{}-", p.name),
            "namespace": ns,
            "uid": rng.uuid(),
            "creationTimestamp": timestamp(created),
            "labels": {},
            "annotations": { PLAN_ANNOTATION: plan_json },
        },
        "spec": spec_for(p, &params, kfp_retry),
    });
    if p.kfp {
        let runid = rng.uuid();
        let short: String = runid.chars().take(5).collect();
        wf["metadata"]["labels"] = json!({
            "pipeline/runid": runid,
            "pipelines.kubeflow.org/v2_component": "true",
        });
        wf["metadata"]["annotations"]["pipelines.kubeflow.org/run_name"] =
            json!(format!("Run of {} ({short})", p.name));
        wf["metadata"]["annotations"]["pipelines.kubeflow.org/v2_pipeline"] = json!("true");
        wf["metadata"]["annotations"][kfp::PIPELINE_ID] = json!(kfp::pipeline_id(ns, p.name));
        wf["metadata"]["annotations"][kfp::VERSION_ID] =
            json!(kfp::version_id(ns, &format!("{}-v1", p.name)));
        wf["metadata"]["annotations"][kfp::EXPERIMENT_ID] = json!(kfp::default_experiment_id(ns));
        wf["spec"]["podMetadata"]["labels"]["pipeline/runid"] = json!(runid);
    } else {
        wf["metadata"]["generateName"] = json!(format!("{}-", p.name));
        wf["metadata"]["labels"] =
            json!({"workflows.argoproj.io/creator": "system-serviceaccount-kubeflow-argo"});
    }
    wf
}

/// Total planned seconds of a run along its longest path (pending included).
fn planned_duration(wf: &Value) -> i64 {
    let plan: Plan = wf
        .pointer(&format!(
            "/metadata/annotations/{}",
            PLAN_ANNOTATION.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    plan.steps
        .values()
        .map(|s| s.seconds.unwrap_or(10) + s.pending.unwrap_or(1))
        .sum()
}

/// Moves a run to `now` and stores it with its pods; `suspend` suspends it after that.
pub fn store_run(store: &Store, mut wf: Value, now: DateTime<Utc>, suspend: bool) -> Result<(), ApiError> {
    let outcome = argo::advance(&mut wf, now);
    if suspend {
        wf["spec"]["suspend"] = json!(true);
    }
    let ns = wf
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    store.create(types::workflow_type(), &ns, wf, true, now)?;
    for (_, (_, pod)) in outcome.pods.upserts {
        store.create(types::pod_type(), &ns, pod, true, now)?;
    }
    Ok(())
}

fn system_pods(store: &Store, rng: &mut Rng, now: DateTime<Utc>) -> Result<(), ApiError> {
    let created = now - TimeDelta::days(3) - TimeDelta::minutes(17);
    let apps = [
        ("ml-pipeline", "ghcr.io/kubeflow/kfp-api-server:2.17.0"),
        ("ml-pipeline-ui", "ghcr.io/kubeflow/kfp-frontend:2.17.0"),
        (
            "workflow-controller",
            "quay.io/argoproj/workflow-controller:v3.5.10",
        ),
        (
            "metadata-grpc-deployment",
            "gcr.io/tfx-oss-public/ml_metadata_store_server:1.14.0",
        ),
        (
            "minio",
            "gcr.io/ml-pipeline/minio:RELEASE.2019-08-14T20-37-41Z-license-compliance",
        ),
        ("mysql", "gcr.io/ml-pipeline/mysql:8.0.26"),
    ];
    for (app, image) in apps {
        let name = format!("{app}-{}-{}", rng.suffix(9).to_lowercase(), rng.suffix(5));
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "kubeflow", "uid": rng.uuid(),
                "creationTimestamp": timestamp(created),
                "labels": {"app": app, "application-crd-id": "kubeflow-pipelines"},
                "annotations": {PROFILE_ANNOTATION: "server"}},
            "spec": {"containers": [{"name": app, "image": image}], "nodeName": pods::host_for(app)},
        });
        let pod = pods::kubelet_step(&pod, now).map_or(pod, |(p, _)| p);
        store.create(types::pod_type(), "kubeflow", pod, true, now)?;
    }
    Ok(())
}

/// The cluster's nodes: a control plane and the three workers pods are scheduled on
/// ([`pods::host_for`]), the workers with A100 GPUs.
fn nodes(store: &Store, boot: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ApiError> {
    let specs: [(&str, u64, u64, u64); 4] = [
        ("kftui-sim-control-plane", 8, 32, 0),
        ("kftui-sim-worker-1", 64, 512, 8),
        ("kftui-sim-worker-2", 64, 512, 8),
        ("kftui-sim-worker-3", 32, 256, 4),
    ];
    for (i, (name, cpu, mem_gi, gpus)) in specs.into_iter().enumerate() {
        let mut labels = json!({
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
        });
        let mut capacity = json!({
            "cpu": cpu.to_string(),
            "ephemeral-storage": "960Gi",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": format!("{}Ki", mem_gi * 1024 * 1024),
            "pods": "110",
        });
        let mut allocatable = capacity.clone();
        allocatable["cpu"] = json!(format!("{}m", cpu * 1000 - 250));
        allocatable["memory"] = json!(format!("{}Ki", mem_gi * 1024 * 1024 - 1024 * 1024));
        allocatable["ephemeral-storage"] = json!("884Gi");
        let mut taints = json!([]);
        if gpus > 0 {
            capacity["nvidia.com/gpu"] = json!(gpus.to_string());
            allocatable["nvidia.com/gpu"] = json!(gpus.to_string());
            labels["nvidia.com/gpu.product"] = json!("NVIDIA-A100-SXM4-80GB");
            labels["nvidia.com/gpu.count"] = json!(gpus.to_string());
        } else {
            labels["node-role.kubernetes.io/control-plane"] = json!("");
            taints = json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]);
        }
        let ip = format!("172.18.0.{}", i + 2);
        let cond = |t: &str, status: &str, reason: &str, message: &str| {
            json!({"type": t, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": timestamp(now), "lastTransitionTime": timestamp(boot)})
        };
        let node = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": crate::sim::controllers::kit::uuid_for(name),
                "creationTimestamp": timestamp(boot), "labels": labels,
                "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
            "spec": {"podCIDR": format!("10.244.{i}.0/24"), "podCIDRs": [format!("10.244.{i}.0/24")],
                "providerID": format!("kind://docker/kftui-sim/{name}"), "taints": taints},
            "status": {
                "capacity": capacity,
                "allocatable": allocatable,
                "conditions": [
                    cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ],
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": crate::sim::controllers::kit::uuid_for(&format!("{name}/boot")),
                    "containerRuntimeVersion": "containerd://1.7.24",
                    "kernelVersion": "6.8.0-49-generic",
                    "kubeProxyVersion": "v1.32.0",
                    "kubeletVersion": "v1.32.0",
                    "machineID": crate::sim::controllers::kit::uuid_for(&format!("{name}/machine")).replace('-', ""),
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 22.04.5 LTS",
                    "systemUUID": crate::sim::controllers::kit::uuid_for(&format!("{name}/system")),
                },
            },
        });
        store.create(types::node_type(), "", node, true, now)?;
    }
    Ok(())
}

/// KFP Pipelines and PipelineVersions (Kubernetes-native store) for the KFP demo pipelines,
/// plus hello-world, in every profile namespace.
fn kfp_pipelines(store: &Store, now: DateTime<Utc>) -> Result<(), ApiError> {
    let (Some(pt), Some(vt)) = (
        types::find("pipelines.kubeflow.org", "pipelines"),
        types::find("pipelines.kubeflow.org", "pipelineversions"),
    ) else {
        return Ok(());
    };
    let hello: Value = serde_json::from_str(kfp::HELLO_WORLD_IR).unwrap_or_default();
    for (ns, owner) in PROFILE_NAMESPACES {
        let mut list: Vec<(String, String, Value)> = vec![(
            "hello-world".into(),
            "A one-step pipeline that echoes hello world.".into(),
            hello.clone(),
        )];
        for p in PIPELINES.iter().filter(|p| p.kfp) {
            let params: Vec<(&str, &str)> = p
                .params
                .iter()
                .map(|(k, vs)| (*k, vs.first().copied().unwrap_or("")))
                .collect();
            list.push((
                p.name.into(),
                format!("{} ({} steps).", p.name.replace('-', " "), p.steps.len()),
                kfp::pipeline_ir(p.name, &kfp_tasks(p), &params),
            ));
        }
        for (i, (name, description, ir)) in list.into_iter().enumerate() {
            let created = now - TimeDelta::days(20 - i as i64) - TimeDelta::minutes(13 * i as i64);
            let pid = kfp::pipeline_id(ns, &name);
            let pipeline = json!({
                "apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
                "metadata": {"name": name, "namespace": ns, "uid": pid, "creationTimestamp": timestamp(created),
                    "annotations": {"pipelines.kubeflow.org/creator": owner}},
                "spec": {"displayName": name, "description": description},
            });
            store.create(pt, ns, pipeline, true, now)?;
            let versions = if i == 1 { 2 } else { 1 };
            for v in 1..=versions {
                let vname = format!("{name}-v{v}");
                let vcreated = created + TimeDelta::hours(v - 1);
                let version = json!({
                    "apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "PipelineVersion",
                    "metadata": {"name": vname, "namespace": ns, "uid": kfp::version_id(ns, &vname),
                        "creationTimestamp": timestamp(vcreated),
                        "labels": {"pipelines.kubeflow.org/pipeline-id": pid, "pipelines.kubeflow.org/pipeline": name},
                        "ownerReferences": [{"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
                            "name": name, "uid": pid, "blockOwnerDeletion": true}]},
                    "spec": {"pipelineName": name, "displayName": format!("{name} v{v}"),
                        "description": description, "pipelineSpec": ir,
                        "codeSourceURL": format!("https://github.com/kubeflow-demo/pipelines/blob/main/{name}.py")},
                    "status": {"conditions": [{"type": "PipelineVersionStatus", "status": "True", "reason": "READY", "message": "READY"}]},
                });
                store.create(vt, ns, version, true, now)?;
            }
        }
    }
    Ok(())
}

/// Seeds the demo cluster.
pub fn seed(store: &Store, seed: u64, scale: usize, now: DateTime<Utc>) -> Result<(), ApiError> {
    let ns_type = types::namespace_type();
    let boot = now - TimeDelta::days(30);
    for name in ["default", "kube-system", "kube-public", "kubeflow"] {
        let mut ns = namespace(name, None);
        ns["metadata"]["creationTimestamp"] = json!(timestamp(boot));
        store.create(ns_type, "", ns, true, now)?;
    }
    for (name, owner) in PROFILE_NAMESPACES {
        let mut ns = namespace(name, Some(owner));
        ns["metadata"]["creationTimestamp"] = json!(timestamp(boot + TimeDelta::days(2)));
        store.create(ns_type, "", ns, true, now)?;
    }
    nodes(store, boot, now)?;
    let mut rng = Rng::derive(seed, "seed");
    system_pods(store, &mut rng, now)?;
    kfp_pipelines(store, now)?;
    super::seed_kubeflow::seed(store, seed, now)?;
    let plans: [(&str, &[&str], usize); 2] = [
        (
            PROFILE_NAMESPACES[0].0,
            &["xgboost-training", "bert-finetune", "data-prep", "nightly-etl"],
            26,
        ),
        (
            PROFILE_NAMESPACES[1].0,
            &["image-classifier", "data-prep", "bert-finetune"],
            16,
        ),
    ];
    for (ns, names, count) in plans {
        let pipelines: Vec<&PipelineDef> = PIPELINES.iter().filter(|p| names.contains(&p.name)).collect();
        for i in 0..count {
            let Some(p) = rng.pick(&pipelines).copied() else {
                continue;
            };
            // The newest few runs are live: 2 running, 1 pending, 1 suspended mid-run.
            let (created, fate, pending, suspend) = match i {
                0 => (now, Fate::Succeed, rng.range(4, 9) as i64, false),
                1 | 2 => (now, Fate::Succeed, 0, false),
                3 => (
                    now - TimeDelta::seconds(rng.range(20, 40) as i64),
                    Fate::Succeed,
                    0,
                    true,
                ),
                _ => {
                    let age = TimeDelta::minutes(rng.range(20, 60 * 24 * 3) as i64);
                    let fate = if p.steps.iter().any(|s| s.retry) && rng.chance(0.5) {
                        Fate::Retried
                    } else if rng.chance(0.2) {
                        Fate::Fail
                    } else {
                        Fate::Succeed
                    };
                    (now - age, fate, 0, false)
                }
            };
            let mut wf = run(&mut rng, p, ns, created, fate, pending);
            if i == 1 || i == 2 {
                // Started a while ago and still going.
                let total = planned_duration(&wf);
                let back = rng.range(5, (total as u64 * 3 / 10).max(6)) as i64;
                wf["metadata"]["creationTimestamp"] = json!(timestamp(now - TimeDelta::seconds(back)));
            }
            store_run(store, wf, now, suspend)?;
        }
    }
    seed_scale(store, &mut rng, scale, now)
}

/// `scale` extra runs of a 20-step pipeline, mostly finished, for benchmarks.
fn seed_scale(store: &Store, rng: &mut Rng, scale: usize, now: DateTime<Utc>) -> Result<(), ApiError> {
    if scale == 0 {
        return Ok(());
    }
    let groups: Vec<Value> = (0..10)
        .map(|g| json!([{"name": format!("shard-{g}a"), "template": "work"}, {"name": format!("shard-{g}b"), "template": "work"}]))
        .collect();
    let mut runs = Vec::with_capacity(scale);
    for i in 0..scale {
        let ns = PROFILE_NAMESPACES[i % PROFILE_NAMESPACES.len()].0;
        let created = now - TimeDelta::seconds(rng.range(600, 30 * 86_400) as i64);
        let running = rng.chance(0.02);
        let created = if running {
            now - TimeDelta::seconds(rng.range(5, 60) as i64)
        } else {
            created
        };
        let mut plan = Plan::default();
        if !running && rng.chance(0.08) {
            let g = rng.range(0, 9);
            plan.steps.insert(
                format!("shard-{g}a"),
                StepPlan {
                    exit: Some(1),
                    error: Some("RuntimeError: shard checksum mismatch".into()),
                    ..StepPlan::default()
                },
            );
        }
        let name = format!("bench-{i:05}-{}", rng.suffix(5));
        let mut spec = json!({
            "entrypoint": "main",
            "templates": [
                {"name": "main", "steps": groups},
                {"name": "work", "container": {"image": PY, "command": ["python3", "/app/work.py"]}},
            ],
        });
        if !rng.chance(0.25) {
            spec["podGC"] = json!({"strategy": "OnPodSuccess"});
        }
        let wf = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": name, "namespace": ns, "uid": rng.uuid(), "creationTimestamp": timestamp(created),
                "labels": {"kftui.dev/bench": "true"},
                "annotations": {PLAN_ANNOTATION: serde_json::to_string(&plan).unwrap_or_default()}},
            "spec": spec,
        });
        runs.push(wf);
    }
    store_runs_parallel(store, runs, now)
}

/// Advances, serializes and compacts runs and their pods on every core, outside the store's
/// lock, a batch at a time (so only one batch of JSON trees is ever alive), then inserts each
/// batch at once.
fn store_runs_parallel(store: &Store, runs: Vec<Value>, now: DateTime<Utc>) -> Result<(), ApiError> {
    const BATCH: usize = 32;
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let mut runs = runs.into_iter().peekable();
    while runs.peek().is_some() {
        let batch: Vec<Value> = runs.by_ref().take(BATCH).collect();
        let per = batch.len().div_ceil(threads).max(1);
        let mut parts: Vec<Vec<Value>> = Vec::new();
        let mut it = batch.into_iter().peekable();
        while it.peek().is_some() {
            parts.push(it.by_ref().take(per).collect());
        }
        let prepared: Vec<Result<Vec<super::store::Prepared>, ApiError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|part| scope.spawn(move || prepare_runs(store, part, now)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(ApiError::internal("seeding thread panicked")))
                })
                .collect()
        });
        let mut all = Vec::new();
        for p in prepared {
            all.extend(p?);
        }
        all.sort_by_key(|p| p.stored.meta.rv);
        store.insert_prepared(all)?;
    }
    Ok(())
}

/// Moves runs to `now` and builds their stored objects (RVs reserved as one block).
fn prepare_runs(
    store: &Store,
    runs: Vec<Value>,
    now: DateTime<Utc>,
) -> Result<Vec<super::store::Prepared>, ApiError> {
    let mut objects: Vec<(&'static types::ResourceType, Value)> = Vec::new();
    for mut wf in runs {
        let outcome = argo::advance(&mut wf, now);
        objects.push((types::workflow_type(), wf));
        objects.extend(
            outcome
                .pods
                .upserts
                .into_values()
                .map(|(_, p)| (types::pod_type(), p)),
        );
    }
    let first = store.reserve_rvs(objects.len() as u64);
    objects
        .into_iter()
        .enumerate()
        .map(|(i, (rt, obj))| Store::prepare(rt, obj, first + i as u64))
        .collect()
}

/// A new run arriving now (the live demo keeps a trickle of them).
pub fn live_run(rng: &mut Rng, now: DateTime<Utc>) -> Value {
    let (ns, names): (&str, &[&str]) = if rng.chance(0.65) {
        (
            PROFILE_NAMESPACES[0].0,
            &["xgboost-training", "bert-finetune", "data-prep", "nightly-etl"],
        )
    } else {
        (
            PROFILE_NAMESPACES[1].0,
            &["image-classifier", "data-prep", "bert-finetune"],
        )
    };
    let pipelines: Vec<&PipelineDef> = PIPELINES.iter().filter(|p| names.contains(&p.name)).collect();
    let p = rng.pick(&pipelines).copied().unwrap_or(&PIPELINES[0]);
    let fate = if rng.chance(0.2) {
        Fate::Fail
    } else {
        Fate::Succeed
    };
    let pending = rng.range(0, 5) as i64;
    run(rng, p, ns, now, fate, pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(seed: u64) -> Vec<(String, String)> {
        let store = Store::new(seed, 100_000);
        let now = Utc::now();
        assert!(super::seed(&store, seed, 0, now).is_ok());
        store
            .metas(types::workflow_type(), &super::super::store::Filter::default())
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    m.labels.get(argo::LABEL_PHASE).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn seeding_is_deterministic_and_varied() {
        let a = names(42);
        assert_eq!(a, names(42));
        assert_ne!(a, names(7));
        assert_eq!(a.len(), 42);
        for phase in ["Succeeded", "Failed", "Running", "Pending"] {
            assert!(a.iter().any(|(_, p)| p == phase), "no {phase} run in {a:?}");
        }
    }

    #[test]
    fn steps_pipelines_group_by_dependency_level() {
        let Some(p) = PIPELINES.iter().find(|p| p.name == "data-prep") else {
            panic!()
        };
        let l: Vec<Vec<&str>> = levels(p)
            .iter()
            .map(|l| l.iter().map(|s| s.name).collect())
            .collect();
        assert_eq!(
            l,
            vec![
                vec!["fetch-raw"],
                vec!["validate-schema", "compute-stats"],
                vec!["write-parquet"]
            ]
        );
    }
}
