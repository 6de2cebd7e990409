//! Demo data for the Kubeflow kinds beyond runs: Profiles, PodDefaults, notebooks, serving
//! runtimes and inference services, train jobs and runtimes, a PyTorchJob and a TFJob, Katib
//! experiments, Argo templates and schedules, the KFP API Service. Controllers are run once at
//! seeding time so everything starts in its settled state.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::controllers::kit::{self, BACKEND_ANNOTATION, ReconcileFn, uuid_for};
use super::controllers::pods::{EXIT_CODE, RUN_SECONDS};
use super::controllers::{katib, kserve, notebooks, trainer};
use super::error::ApiError;
use super::logs::ERROR_ANNOTATION;
use super::seed::PROFILE_NAMESPACES;
use super::store::{Store, timestamp};
use super::types;

fn create(store: &Store, group: &str, plural: &str, obj: Value, now: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(rt) = types::find(group, plural) else {
        return Ok(());
    };
    let ns = kit::s(&obj, "/metadata/namespace").to_string();
    let mut obj = obj;
    let name = kit::s(&obj, "/metadata/name").to_string();
    if obj.pointer("/metadata/uid").is_none() {
        obj["metadata"]["uid"] = json!(uuid_for(&format!("{plural}/{ns}/{name}")));
    }
    store.create(rt, &ns, obj, true, now)?;
    Ok(())
}

fn meta(name: &str, ns: &str, created: DateTime<Utc>) -> Value {
    json!({"name": name, "namespace": ns, "creationTimestamp": timestamp(created)})
}

fn ago(now: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    now - TimeDelta::minutes(minutes)
}

/// Seeds everything; `seed` only varies small details (the names are fixed for docs and tests).
pub fn seed(store: &Store, seed: u64, now: DateTime<Utc>) -> Result<(), ApiError> {
    let _ = seed;
    services(store, now)?;
    for (i, (ns, owner)) in PROFILE_NAMESPACES.iter().enumerate() {
        profile(store, ns, owner, now)?;
        pod_defaults(store, ns, now)?;
        configmaps(store, ns, now)?;
        if i == 0 {
            notebooks_main(store, ns, owner, now)?;
            models_main(store, ns, now)?;
            training_main(store, ns, now)?;
            katib_main(store, ns, now)?;
            argo_templates(store, ns, now)?;
            schedules(store, ns, now)?;
        } else {
            notebooks_other(store, ns, owner, now)?;
            models_other(store, ns, now)?;
            training_other(store, ns, now)?;
        }
    }
    cluster_runtimes(store, now)?;
    settle(store, now);
    Ok(())
}

/// Runs each Kubeflow controller once over what was seeded.
fn settle(store: &Store, now: DateTime<Utc>) {
    let kinds: [(&str, &str, ReconcileFn); 5] = [
        ("kubeflow.org", "notebooks", notebooks::reconcile),
        ("serving.kserve.io", "inferenceservices", kserve::reconcile),
        ("trainer.kubeflow.org", "trainjobs", trainer::reconcile_trainjob),
        ("kubeflow.org", "pytorchjobs", trainer::reconcile_pytorchjob),
        ("kubeflow.org", "experiments", katib::reconcile),
    ];
    for (g, p, f) in kinds {
        let Some(rt) = types::find(g, p) else { continue };
        for m in store.metas(rt, &super::store::Filter::default()) {
            if let Err(e) = kit::reconcile_one(store, rt, &m.namespace, &m.name, now, f) {
                tracing::debug!("settling {p} {}/{}: {e}", m.namespace, m.name);
            }
        }
    }
}

fn services(store: &Store, now: DateTime<Utc>) -> Result<(), ApiError> {
    let created = now - TimeDelta::days(29);
    let svc = |name: &str, ports: Value, app: &str, backend: &str, ip: &str| {
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "kubeflow", "creationTimestamp": timestamp(created),
                "labels": {"app": app, "application-crd-id": "kubeflow-pipelines"},
                "annotations": {BACKEND_ANNOTATION: backend}},
            "spec": {"type": "ClusterIP", "clusterIP": ip, "ports": ports, "selector": {"app": app},
                "sessionAffinity": "None"},
            "status": {"loadBalancer": {}}})
    };
    let st = types::service_type();
    store.create(
        st,
        "kubeflow",
        svc(
            "ml-pipeline",
            json!([{"name": "http", "port": 8888, "protocol": "TCP", "targetPort": 8888},
                   {"name": "grpc", "port": 8887, "protocol": "TCP", "targetPort": 8887}]),
            "ml-pipeline",
            "kfp",
            "10.96.121.14",
        ),
        true,
        now,
    )?;
    store.create(
        st,
        "kubeflow",
        svc(
            "ml-pipeline-ui",
            json!([{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 3000}]),
            "ml-pipeline-ui",
            "none",
            "10.96.87.201",
        ),
        true,
        now,
    )?;
    Ok(())
}

fn profile(store: &Store, ns: &str, owner: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let created = now - TimeDelta::days(28);
    create(
        store,
        "kubeflow.org",
        "profiles",
        json!({"apiVersion": "kubeflow.org/v1", "kind": "Profile",
            "metadata": {"name": ns, "creationTimestamp": timestamp(created)},
            "spec": {"owner": {"kind": "User", "name": owner},
                "resourceQuotaSpec": {"hard": {"cpu": "64", "memory": "256Gi", "requests.nvidia.com/gpu": "4"}}},
            "status": {"conditions": [{"type": "Successful", "status": "True", "message": ""}]}}),
        now,
    )
}

fn pod_defaults(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let created = now - TimeDelta::days(27);
    create(
        store,
        "kubeflow.org",
        "poddefaults",
        json!({"apiVersion": "kubeflow.org/v1alpha1", "kind": "PodDefault",
            "metadata": meta("access-ml-pipeline", ns, created),
            "spec": {"desc": "Allow access to Kubeflow Pipelines",
                "selector": {"matchLabels": {"access-ml-pipeline": "true"}},
                "env": [{"name": "KF_PIPELINES_SA_TOKEN_PATH", "value": "/var/run/secrets/kubeflow/pipelines/token"}],
                "volumeMounts": [{"mountPath": "/var/run/secrets/kubeflow/pipelines", "name": "volume-kf-pipeline-token", "readOnly": true}],
                "volumes": [{"name": "volume-kf-pipeline-token", "projected": {"sources": [{"serviceAccountToken":
                    {"path": "token", "expirationSeconds": 7200, "audience": "pipelines.kubeflow.org"}}]}}]}}),
        now,
    )?;
    create(
        store,
        "kubeflow.org",
        "poddefaults",
        json!({"apiVersion": "kubeflow.org/v1alpha1", "kind": "PodDefault",
            "metadata": meta("add-gpu-tolerations", ns, created),
            "spec": {"desc": "Schedule on GPU nodes",
                "selector": {"matchLabels": {"add-gpu-tolerations": "true"}},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}}),
        now,
    )
}

fn configmaps(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    store.create(
        types::configmap_type(),
        ns,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": meta("kfp-launcher", ns, now - TimeDelta::days(27)),
            "data": {"defaultPipelineRoot": format!("minio://mlpipeline/v2/artifacts/{ns}")}}),
        true,
        now,
    )?;
    // The object store's credentials KFP's profile controller copies into each profile.
    let secrets = types::find("", "secrets").ok_or_else(|| ApiError::internal("no Secret kind"))?;
    store.create(
        secrets,
        ns,
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": meta("mlpipeline-minio-artifact", ns, now - TimeDelta::days(27)),
            "data": {"accesskey": "bWluaW8=", "secretkey": "bWluaW8xMjM="}}),
        true,
        now,
    )?;
    Ok(())
}

struct NbDef<'a> {
    name: &'a str,
    server: &'a str,
    image: &'a str,
    cpu: &'a str,
    memory: &'a str,
    gpu: Option<&'a str>,
    minutes_ago: i64,
    stopped: bool,
    pull_fails: bool,
}

fn notebook(store: &Store, ns: &str, owner: &str, d: &NbDef<'_>, now: DateTime<Utc>) -> Result<(), ApiError> {
    let created = ago(now, d.minutes_ago);
    let mut annotations = json!({
        "notebooks.kubeflow.org/server-type": d.server,
        "notebooks.kubeflow.org/creator": owner,
        "notebooks.kubeflow.org/last-activity": timestamp(ago(now, if d.stopped { d.minutes_ago / 2 } else { 3 })),
    });
    if d.stopped {
        annotations[notebooks::STOP_ANNOTATION] = json!(timestamp(ago(now, d.minutes_ago / 2)));
    }
    if d.pull_fails {
        annotations[notebooks::PULL_FAILS] = json!("true");
    }
    let mut resources =
        json!({"requests": {"cpu": d.cpu, "memory": d.memory}, "limits": {"cpu": d.cpu, "memory": d.memory}});
    if let Some(g) = d.gpu {
        resources["limits"]["nvidia.com/gpu"] = json!(g);
    }
    create(
        store,
        "kubeflow.org",
        "notebooks",
        json!({"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
            "metadata": {"name": d.name, "namespace": ns, "creationTimestamp": timestamp(created),
                "labels": {"app": d.name, "access-ml-pipeline": "true"}, "annotations": annotations},
            "spec": {"template": {"spec": {
                "serviceAccountName": "default-editor",
                "containers": [{"name": d.name, "image": d.image, "imagePullPolicy": "IfNotPresent",
                    "resources": resources,
                    "volumeMounts": [{"mountPath": "/home/jovyan", "name": format!("{}-workspace", d.name)},
                                     {"mountPath": "/dev/shm", "name": "dshm"}]}],
                "volumes": [{"name": format!("{}-workspace", d.name), "persistentVolumeClaim": {"claimName": format!("{}-workspace", d.name)}},
                            {"name": "dshm", "emptyDir": {"medium": "Memory"}}]}}}}),
        now,
    )
}

fn notebooks_main(store: &Store, ns: &str, owner: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let defs = [
        NbDef {
            name: "jupyter-scipy",
            server: "jupyter",
            image: "kubeflownotebookswg/jupyter-scipy:v1.9.2",
            cpu: "1",
            memory: "2Gi",
            gpu: None,
            minutes_ago: 60 * 26,
            stopped: false,
            pull_fails: false,
        },
        NbDef {
            name: "vscode-dev",
            server: "group-one",
            image: "kubeflownotebookswg/codeserver-python:v1.9.2",
            cpu: "2",
            memory: "4Gi",
            gpu: None,
            minutes_ago: 60 * 5,
            stopped: false,
            pull_fails: false,
        },
        NbDef {
            name: "rstudio-stats",
            server: "group-two",
            image: "kubeflownotebookswg/rstudio-tidyverse:v1.9.2",
            cpu: "500m",
            memory: "1Gi",
            gpu: None,
            minutes_ago: 60 * 24 * 6,
            stopped: true,
            pull_fails: false,
        },
        NbDef {
            name: "pytorch-gpu",
            server: "jupyter",
            image: "kubeflownotebookswg/jupyter-pytorch-cuda-full:v1.10.0-rc.9",
            cpu: "4",
            memory: "16Gi",
            gpu: Some("1"),
            minutes_ago: 12,
            stopped: false,
            pull_fails: true,
        },
    ];
    for d in &defs {
        notebook(store, ns, owner, d, now)?;
    }
    Ok(())
}

fn notebooks_other(store: &Store, ns: &str, owner: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let defs = [
        NbDef {
            name: "vision-lab",
            server: "jupyter",
            image: "kubeflownotebookswg/jupyter-pytorch-cuda-full:v1.9.2",
            cpu: "4",
            memory: "16Gi",
            gpu: Some("1"),
            minutes_ago: 60 * 50,
            stopped: false,
            pull_fails: false,
        },
        NbDef {
            name: "old-experiments",
            server: "jupyter",
            image: "kubeflownotebookswg/jupyter-scipy:v1.8.0",
            cpu: "500m",
            memory: "1Gi",
            gpu: None,
            minutes_ago: 60 * 24 * 20,
            stopped: true,
            pull_fails: false,
        },
    ];
    for d in &defs {
        notebook(store, ns, owner, d, now)?;
    }
    Ok(())
}

fn isvc(name: &str, ns: &str, created: DateTime<Utc>, predictor: Value, annotations: Value) -> Value {
    json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": timestamp(created),
            "annotations": annotations},
        "spec": {"predictor": predictor}})
}

fn model(format: &str, uri: &str) -> Value {
    json!({"model": {"modelFormat": {"name": format}, "storageUri": uri,
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "2Gi"}}}})
}

fn models_main(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let g = "serving.kserve.io";
    let p = "inferenceservices";
    create(
        store,
        g,
        p,
        isvc(
            "sklearn-iris",
            ns,
            ago(now, 60 * 30),
            model("sklearn", "gs://kfserving-examples/models/sklearn/1.0/model"),
            json!({}),
        ),
        now,
    )?;
    create(
        store,
        g,
        p,
        isvc(
            "xgboost-churn",
            ns,
            ago(now, 60 * 7),
            model("xgboost", "s3://kf-demo-models/xgboost-churn/v3"),
            json!({crate::sim::metrics::TRAFFIC_ANNOTATION: "1.5"}),
        ),
        now,
    )?;
    create(
        store,
        g,
        p,
        isvc(
            "bert-sentiment",
            ns,
            ago(now, 25),
            model("huggingface", "s3://kf-demo-models/bert-sentiment/missing"),
            json!({}),
        ),
        now,
    )?;
    // The canary: created with v1, then rolled to v2 at 10 %.
    create(
        store,
        g,
        p,
        isvc(
            "fraud-detector",
            ns,
            ago(now, 60 * 48),
            model("sklearn", "s3://kf-demo-models/fraud/v1"),
            json!({crate::sim::metrics::TRAFFIC_ANNOTATION: "4"}),
        ),
        now,
    )?;
    if let Some(rt) = types::find(g, p) {
        store.mutate(rt, ns, "fraud-detector", super::store::Part::All, |o| {
            o["spec"]["predictor"]["canaryTrafficPercent"] = json!(10);
            o["spec"]["predictor"]["model"]["storageUri"] = json!("s3://kf-demo-models/fraud/v2");
            Ok(())
        })?;
    }
    create(
        store,
        g,
        "servingruntimes",
        json!({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
            "metadata": meta("custom-torchserve", ns, ago(now, 60 * 24 * 9)),
            "spec": {"annotations": {"prometheus.kserve.io/port": "8082", "prometheus.kserve.io/path": "/metrics"},
                "supportedModelFormats": [{"name": "pytorch", "version": "2", "autoSelect": true, "priority": 2}],
                "protocolVersions": ["v1", "v2", "grpc-v2"],
                "containers": [{"name": "kserve-container", "image": "pytorch/torchserve-kfs:0.9.0",
                    "args": ["torchserve", "--start", "--model-store=/mnt/models/model-store", "--ts-config=/mnt/models/config/config.properties"],
                    "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}}]}}),
        now,
    )
}

fn models_other(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let g = "serving.kserve.io";
    let p = "inferenceservices";
    create(
        store,
        g,
        p,
        isvc(
            "resnet-classifier",
            ns,
            ago(now, 60 * 72),
            model("pytorch", "gs://kf-demo-models/resnet50/v1"),
            json!({crate::sim::metrics::TRAFFIC_ANNOTATION: "2.5"}),
        ),
        now,
    )?;
    create(
        store,
        g,
        p,
        isvc(
            "yolo-detector",
            ns,
            ago(now, 60 * 100),
            model("pytorch", "gs://kf-demo-models/yolo/v8"),
            json!({kserve::STOP_ANNOTATION: "true"}),
        ),
        now,
    )
}

fn cluster_runtimes(store: &Store, now: DateTime<Utc>) -> Result<(), ApiError> {
    let created = now - TimeDelta::days(29);
    let csr = |name: &str, format: &str, image: &str, versions: &[&str]| {
        json!({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ClusterServingRuntime",
            "metadata": {"name": name, "creationTimestamp": timestamp(created)},
            "spec": {"annotations": {"prometheus.kserve.io/port": "8080", "prometheus.kserve.io/path": "/metrics"},
                "supportedModelFormats": versions.iter().map(|v| json!({"name": format, "version": v, "autoSelect": true, "priority": 1})).collect::<Vec<_>>(),
                "protocolVersions": ["v1", "v2"],
                "containers": [{"name": "kserve-container", "image": image,
                    "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080"],
                    "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
                    "securityContext": {"allowPrivilegeEscalation": false, "privileged": false, "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}}}]}})
    };
    create(
        store,
        "serving.kserve.io",
        "clusterservingruntimes",
        csr(
            "kserve-sklearnserver",
            "sklearn",
            "kserve/sklearnserver:v0.14.1",
            &["1"],
        ),
        now,
    )?;
    create(
        store,
        "serving.kserve.io",
        "clusterservingruntimes",
        csr(
            "kserve-xgbserver",
            "xgboost",
            "kserve/xgbserver:v0.14.1",
            &["1", "2"],
        ),
        now,
    )?;
    create(
        store,
        "serving.kserve.io",
        "clusterservingruntimes",
        csr(
            "kserve-huggingfaceserver",
            "huggingface",
            "kserve/huggingfaceserver:v0.14.1",
            &["1"],
        ),
        now,
    )?;
    create(
        store,
        "trainer.kubeflow.org",
        "clustertrainingruntimes",
        json!({"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "ClusterTrainingRuntime",
            "metadata": {"name": "torch-distributed", "creationTimestamp": timestamp(created),
                "labels": {"trainer.kubeflow.org/framework": "torch"}},
            "spec": {"mlPolicy": {"numNodes": 1, "torch": {}},
                "template": {"spec": {"replicatedJobs": [{"name": "node", "replicas": 1,
                    "template": {"metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
                        "spec": {"template": {"spec": {"containers": [{"name": "node",
                            "image": "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime",
                            "command": ["/bin/bash", "-c", "pip list\ntorchrun /workspace/train.py"]}]}}}}}]}}}}),
        now,
    )
}

struct JobDef<'a> {
    name: &'a str,
    minutes_ago: i64,
    seconds: i64,
    nodes: i64,
    exit: i64,
    error: Option<&'a str>,
    suspend: bool,
}

fn trainjob(store: &Store, ns: &str, d: &JobDef<'_>, now: DateTime<Utc>) -> Result<(), ApiError> {
    let mut annotations = json!({RUN_SECONDS: d.seconds.to_string(), EXIT_CODE: d.exit.to_string()});
    if let Some(e) = d.error {
        annotations[ERROR_ANNOTATION] = json!(e);
    }
    let mut spec = json!({
        "runtimeRef": {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime", "name": "torch-distributed"},
        "trainer": {"numNodes": d.nodes, "image": "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime",
            "command": ["torchrun", "/workspace/train.py", "--epochs", "20"],
            "resourcesPerNode": {"requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}}},
    });
    if d.suspend {
        spec["suspend"] = json!(true);
    }
    create(
        store,
        "trainer.kubeflow.org",
        "trainjobs",
        json!({"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
            "metadata": {"name": d.name, "namespace": ns, "creationTimestamp": timestamp(ago(now, d.minutes_ago)),
                "annotations": annotations},
            "spec": spec}),
        now,
    )
}

const OOM: &str = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.00 GiB. GPU 0 has a total capacity of 79.15 GiB of which 2.31 GiB is free.";

fn training_main(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let jobs = [
        JobDef {
            name: "llama-finetune",
            minutes_ago: 12,
            seconds: 40 * 60,
            nodes: 2,
            exit: 0,
            error: None,
            suspend: false,
        },
        JobDef {
            name: "mnist-ddp",
            minutes_ago: 180,
            seconds: 15 * 60,
            nodes: 3,
            exit: 0,
            error: None,
            suspend: false,
        },
        JobDef {
            name: "bert-pretrain",
            minutes_ago: 65,
            seconds: 8 * 60,
            nodes: 2,
            exit: 1,
            error: Some(OOM),
            suspend: false,
        },
        JobDef {
            name: "resnet-sweep",
            minutes_ago: 30,
            seconds: 20 * 60,
            nodes: 1,
            exit: 0,
            error: None,
            suspend: true,
        },
    ];
    for d in &jobs {
        trainjob(store, ns, d, now)?;
    }
    create(
        store,
        "trainer.kubeflow.org",
        "trainingruntimes",
        json!({"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainingRuntime",
            "metadata": {"name": "torch-small", "namespace": ns, "creationTimestamp": timestamp(ago(now, 60 * 24 * 8)),
                "labels": {"trainer.kubeflow.org/framework": "torch"}},
            "spec": {"mlPolicy": {"numNodes": 1, "torch": {}},
                "template": {"spec": {"replicatedJobs": [{"name": "node", "replicas": 1,
                    "template": {"spec": {"template": {"spec": {"containers": [{"name": "node", "image": "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"}]}}}}}]}}}}),
        now,
    )?;
    create(
        store,
        "kubeflow.org",
        "pytorchjobs",
        json!({"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
            "metadata": {"name": "pytorch-mnist-ddp", "namespace": ns, "creationTimestamp": timestamp(ago(now, 2)),
                "annotations": {RUN_SECONDS: (30 * 60).to_string()}},
            "spec": {"runPolicy": {"cleanPodPolicy": "None"},
                "pytorchReplicaSpecs": {
                    "Master": {"replicas": 1, "restartPolicy": "OnFailure", "template": {"spec": {"containers": [
                        {"name": "pytorch", "image": "docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727",
                         "command": ["python3", "/opt/pytorch-mnist/mnist.py", "--epochs=10"]}]}}},
                    "Worker": {"replicas": 2, "restartPolicy": "OnFailure", "template": {"spec": {"containers": [
                        {"name": "pytorch", "image": "docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727",
                         "command": ["python3", "/opt/pytorch-mnist/mnist.py", "--epochs=10"]}]}}}}}}),
        now,
    )?;
    let done = ago(now, 60 * 20);
    create(
        store,
        "kubeflow.org",
        "tfjobs",
        json!({"apiVersion": "kubeflow.org/v1", "kind": "TFJob",
            "metadata": {"name": "tf-mnist", "namespace": ns, "creationTimestamp": timestamp(ago(now, 60 * 21))},
            "spec": {"runPolicy": {"cleanPodPolicy": "Running"},
                "tfReplicaSpecs": {"Worker": {"replicas": 2, "restartPolicy": "OnFailure", "template": {"spec": {"containers": [
                    {"name": "tensorflow", "image": "kubeflow/tf-mnist-with-summaries:latest",
                     "command": ["python", "/var/tf_mnist/mnist_with_summaries.py"]}]}}}}},
            "status": {
                "conditions": [
                    {"type": "Created", "status": "True", "reason": "TFJobCreated", "message": format!("TFJob {ns}/tf-mnist is created."),
                     "lastUpdateTime": timestamp(ago(now, 60 * 21)), "lastTransitionTime": timestamp(ago(now, 60 * 21))},
                    {"type": "Running", "status": "False", "reason": "TFJobRunning", "message": format!("TFJob {ns}/tf-mnist is running."),
                     "lastUpdateTime": timestamp(done), "lastTransitionTime": timestamp(done)},
                    {"type": "Succeeded", "status": "True", "reason": "TFJobSucceeded", "message": format!("TFJob {ns}/tf-mnist successfully completed."),
                     "lastUpdateTime": timestamp(done), "lastTransitionTime": timestamp(done)}],
                "replicaStatuses": {"Worker": {"succeeded": 2}},
                "startTime": timestamp(ago(now, 60 * 21)),
                "completionTime": timestamp(done)}}),
        now,
    )
}

fn training_other(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    trainjob(
        store,
        ns,
        &JobDef {
            name: "vit-train",
            minutes_ago: 25,
            seconds: 60 * 60,
            nodes: 4,
            exit: 0,
            error: None,
            suspend: false,
        },
        now,
    )
}

fn experiment(
    name: &str,
    ns: &str,
    created: DateTime<Utc>,
    secs: i64,
    max: i64,
    objective: Value,
    params: Value,
) -> Value {
    json!({"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": timestamp(created),
            "annotations": {RUN_SECONDS: secs.to_string()}},
        "spec": {"objective": objective, "algorithm": {"algorithmName": "random"},
            "parallelTrialCount": 3, "maxTrialCount": max, "maxFailedTrialCount": 3,
            "parameters": params,
            "metricsCollectorSpec": {"collector": {"kind": "StdOut"}},
            "resumePolicy": "Never",
            "trialTemplate": {"primaryContainerName": "training-container",
                "trialParameters": [{"name": "learningRate", "description": "Learning rate for the training model", "reference": "lr"},
                                    {"name": "momentum", "description": "Momentum for the training model", "reference": "momentum"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
                    "containers": [{"name": "training-container", "image": "ghcr.io/kubeflow/katib/pytorch-mnist-cpu:v0.18.0",
                        "command": ["python3", "/opt/pytorch-mnist/mnist.py", "--epochs=1", "--lr=${trialParameters.learningRate}", "--momentum=${trialParameters.momentum}"]}],
                    "restartPolicy": "Never"}}}}}}})
}

fn katib_main(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let params = json!([
        {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.05"}},
        {"name": "momentum", "parameterType": "double", "feasibleSpace": {"min": "0.5", "max": "0.9"}},
        {"name": "optimizer", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam", "ftrl"]}},
    ]);
    create(
        store,
        "kubeflow.org",
        "experiments",
        experiment(
            "random-search-lr",
            ns,
            ago(now, 4),
            90,
            12,
            json!({"type": "minimize", "goal": 0.001, "objectiveMetricName": "loss", "additionalMetricNames": ["accuracy"]}),
            params.clone(),
        ),
        now,
    )?;
    create(
        store,
        "kubeflow.org",
        "experiments",
        experiment(
            "xgboost-depth-sweep",
            ns,
            ago(now, 60 * 5),
            120,
            9,
            json!({"type": "maximize", "goal": 0.99, "objectiveMetricName": "accuracy"}),
            json!([
                {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.3"}},
                {"name": "max_depth", "parameterType": "int", "feasibleSpace": {"min": "3", "max": "10"}},
            ]),
        ),
        now,
    )
}

fn argo_templates(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let created = ago(now, 60 * 24 * 12);
    let steps = json!({"entrypoint": "main", "arguments": {"parameters": [{"name": "source", "value": "s3://kf-demo-data/events"}]},
        "templates": [
            {"name": "main", "steps": [[{"name": "fetch", "template": "work"}], [{"name": "validate", "template": "work"}, {"name": "stats", "template": "work"}]]},
            {"name": "work", "container": {"image": "python:3.11-slim", "command": ["python3", "/app/work.py"]}}]});
    create(
        store,
        "argoproj.io",
        "workflowtemplates",
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
            "metadata": {"name": "data-prep-template", "namespace": ns, "creationTimestamp": timestamp(created),
                "labels": {"workflows.argoproj.io/creator": "system-serviceaccount-kubeflow-argo"}},
            "spec": steps.clone()}),
        now,
    )?;
    create(
        store,
        "argoproj.io",
        "clusterworkflowtemplates",
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterWorkflowTemplate",
            "metadata": {"name": "cluster-hello", "creationTimestamp": timestamp(created)},
            "spec": {"entrypoint": "hello", "templates": [{"name": "hello",
                "container": {"image": "busybox:1.36", "command": ["echo"], "args": ["hello from a cluster template"]}}]}}),
        now,
    )?;
    let last = now - TimeDelta::hours(i64::from(chrono::Timelike::hour(&now)) + 22);
    create(
        store,
        "argoproj.io",
        "cronworkflows",
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
            "metadata": {"name": "nightly-data-prep", "namespace": ns, "creationTimestamp": timestamp(created)},
            "spec": {"schedules": ["0 2 * * *"], "timezone": "UTC", "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 0, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                "workflowSpec": {"workflowTemplateRef": {"name": "data-prep-template"}}},
            "status": {"active": [], "lastScheduledTime": timestamp(last),
                "conditions": [], "succeeded": 11, "failed": 1, "phase": "Running"}}),
        now,
    )
}

fn schedules(store: &Store, ns: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let swf = |name: &str, pipeline: &str, cron: &str, enabled: bool| {
        let created = ago(now, 60 * 24 * 9);
        json!({"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": timestamp(created),
                "labels": {"scheduledworkflows.kubeflow.org/isOwnedByScheduledWorkflow": "true"}},
            "spec": {"enabled": enabled, "maxConcurrency": 1, "noCatchup": true, "maxHistory": 10,
                "description": format!("Recurring run of {pipeline}"),
                "trigger": {"cronSchedule": {"cron": cron, "startTime": timestamp(created)}},
                "pipelineId": super::kfp::pipeline_id(ns, pipeline),
                "pipelineVersionId": super::kfp::version_id(ns, &format!("{pipeline}-v1")),
                "experimentId": super::kfp::default_experiment_id(ns),
                "workflow": {"parameters": [{"name": "learning_rate", "value": "0.1"}]}},
            "status": {"conditions": [{"type": if enabled { "Enabled" } else { "Disabled" }, "status": "True",
                    "lastProbeTime": timestamp(now - TimeDelta::hours(3)), "lastTransitionTime": timestamp(created),
                    "reason": if enabled { "Enabled" } else { "Disabled" }, "message": format!("The schedule is {}.", if enabled { "enabled" } else { "disabled" })}],
                "trigger": {"lastTriggeredTime": timestamp(now - TimeDelta::hours(3)), "nextTriggeredTime": timestamp(now + TimeDelta::hours(21)), "lastIndex": 9}}})
    };
    create(
        store,
        "kubeflow.org",
        "scheduledworkflows",
        swf("nightly-xgboost", "xgboost-training", "0 0 3 * * *", true),
        now,
    )?;
    create(
        store,
        "kubeflow.org",
        "scheduledworkflows",
        swf("weekly-bert", "bert-finetune", "0 0 4 * * 1", false),
        now,
    )
}
