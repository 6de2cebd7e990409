//! Kubeflow Trainer v2 (`TrainJob`, JobSet-like pods per node) and the legacy training-operator
//! `PyTorchJob` (master and worker pods, `Created/Running/Succeeded|Failed` conditions).
//!
//! Plans come from annotations: `sim.kftui.dev/run-seconds` (default 900) and
//! `sim.kftui.dev/exit-code` (default 0), with `sim.kftui.dev/error` as the failing line.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::kit::{self, Container, PodDef};
use super::pods::{EXIT_CODE, PodState, RUN_SECONDS};
use crate::sim::logs::ERROR_ANNOTATION;
use crate::sim::store::{Store, timestamp};

const DEFAULT_SECONDS: i64 = 900;
const TRAINER_IMAGE: &str = "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime";
/// Seconds from pod creation to a running container.
const PULL_SECONDS: i64 = 2;

fn plan(job: &Value) -> (i64, i64, Option<String>) {
    let secs = kit::number(job, RUN_SECONDS).unwrap_or(DEFAULT_SECONDS).max(5);
    let exit = kit::number(job, EXIT_CODE).unwrap_or(0);
    let error = kit::annotation(job, ERROR_ANNOTATION).map(String::from);
    (secs, exit, error)
}

fn find_condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        })
}

/// Training loss and accuracy at `progress` (0..1), deterministic per job.
fn metrics(seed: &str, progress: f64) -> (f64, f64) {
    let jitter = (crate::sim::rng::hash64(seed) % 100) as f64 / 1000.0;
    let loss = 2.2 * (-3.2 * progress).exp() + 0.11 + jitter;
    let acc = (0.31 + 0.62 * (1.0 - (-3.5 * progress).exp()) - jitter / 2.0).min(0.995);
    (loss, acc)
}

pub fn reconcile_trainjob(store: &Store, job: &mut Value, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let name = kit::s(job, "/metadata/name").to_string();
    let ns = kit::s(job, "/metadata/namespace").to_string();
    let created = kit::created(job, now);
    let nodes = job
        .pointer("/spec/trainer/numNodes")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .clamp(1, 16);
    let (secs, exit, error) = plan(job);
    let selector = format!("jobset.sigs.k8s.io/jobset-name={name}");
    let suspended = job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
    let old_conditions = job.pointer("/status/conditions").cloned();
    let suspend_cond = find_condition(job, "Suspended").cloned();
    let mut conditions = Vec::new();
    if suspended {
        kit::delete_pods(store, &ns, &selector);
        let mut conditions = vec![kit::condition(
            "Suspended",
            true,
            "Suspended",
            "TrainJob is suspended",
            now,
        )];
        kit::keep_transitions(old_conditions.as_ref(), &mut conditions);
        kit::set_status(
            job,
            json!({
                "conditions": conditions,
                "jobsStatus": [{"name": "node", "ready": 0, "succeeded": 0, "failed": 0, "active": 0, "suspended": 1}],
            }),
        );
        return None;
    }
    let start = match &suspend_cond {
        Some(c) => {
            let resumed_at = if c.get("status").and_then(Value::as_str) == Some("True") {
                now
            } else {
                kit::time_at(c, "/lastTransitionTime").unwrap_or(now)
            };
            conditions.push(kit::condition(
                "Suspended",
                false,
                "Resumed",
                "TrainJob is resumed",
                resumed_at,
            ));
            resumed_at
        }
        None => created + TimeDelta::seconds(3),
    };
    let end = start + TimeDelta::seconds(secs);
    let image = job
        .pointer("/spec/trainer/image")
        .and_then(Value::as_str)
        .unwrap_or(TRAINER_IMAGE)
        .to_string();
    let resources = job
        .pointer("/spec/trainer/resourcesPerNode")
        .cloned()
        .unwrap_or_else(|| json!({"requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}}));
    let command = job
        .pointer("/spec/trainer/command")
        .cloned()
        .unwrap_or_else(|| json!(["torchrun", "/workspace/train.py"]));
    let mut active = 0;
    let mut states = Vec::new();
    if now >= start {
        for i in 0..nodes {
            let node_exit = if i == 0 {
                exit
            } else if exit != 0 {
                143
            } else {
                0
            };
            let pod_name = format!(
                "{name}-node-0-{i}-{}",
                kit::suffix(&format!("{ns}/{name}/{i}/{}", timestamp(start)), 5)
            );
            let state = kit::planned_state(
                start + TimeDelta::seconds(PULL_SECONDS),
                Some(end),
                node_exit,
                now,
            );
            let mut def = PodDef::new(&pod_name, &ns, start, state)
                .label("jobset.sigs.k8s.io/jobset-name", &name)
                .label("jobset.sigs.k8s.io/replicatedjob-name", "node")
                .label("jobset.sigs.k8s.io/job-index", "0")
                .label("batch.kubernetes.io/job-completion-index", &i.to_string())
                .label("trainer.kubeflow.org/trainjob-ancestor-step", "trainer")
                .logs("train", (i == 0 && exit != 0).then(|| {
                    error.as_deref().unwrap_or("torch.distributed.elastic.multiprocessing.errors.ChildFailedError: train.py FAILED")
                }));
            def.restart_policy = "OnFailure";
            def.containers = vec![Container::new("node", &image).with(json!({
                "command": command,
                "resources": resources,
                "env": [{"name": "PET_NNODES", "value": nodes.to_string()}, {"name": "PET_NODE_RANK", "value": i.to_string()}],
            }))];
            if kit::ensure_pod(store, def.build(job), now) && i == 0 {
                kit::normal(
                    store,
                    job,
                    "Created",
                    format!("Created JobSet {ns}/{name}"),
                    start,
                );
            }
            if matches!(state, PodState::Running { .. } | PodState::Pending) {
                active += 1;
            }
            states.push(state);
        }
    }
    let done = now >= end;
    let failed = done && exit != 0;
    if done {
        conditions.push(if failed {
            kit::condition(
                "Failed",
                true,
                "FailedJobs",
                "jobset failed: job node-0 has failed",
                end,
            )
        } else {
            kit::condition(
                "Complete",
                true,
                "AllJobsCompleted",
                "jobset completed successfully",
                end,
            )
        });
    }
    kit::keep_transitions(old_conditions.as_ref(), &mut conditions);
    let ready = states
        .iter()
        .filter(|s| matches!(s, PodState::Running { .. }))
        .count();
    let progress = if now <= start {
        0.0
    } else {
        ((now - start).num_milliseconds() as f64 / (secs as f64 * 1000.0)).min(1.0)
    };
    let (loss, acc) = metrics(&name, progress);
    let mut status = json!({
        "conditions": conditions,
        "jobsStatus": [{
            "name": "node",
            "ready": i64::from(ready == states.len() && !states.is_empty() && !done),
            "succeeded": i64::from(done && !failed),
            "failed": i64::from(failed),
            "active": i64::from(active > 0 && !done),
            "suspended": 0,
        }],
    });
    if now >= start {
        // Progress moves every 5 s while the job runs, as the trainer's status server reports.
        let observed = if done {
            end
        } else {
            start + TimeDelta::seconds((now - start).num_seconds() / 5 * 5)
        };
        let observed_progress =
            ((observed - start).num_milliseconds() as f64 / (secs as f64 * 1000.0)).min(1.0);
        let (loss, acc) = if done {
            (loss, acc)
        } else {
            metrics(&name, observed_progress)
        };
        let percent: i64 = if done && !failed {
            100
        } else {
            (observed_progress * 100.0) as i64
        };
        status["trainerStatus"] = json!({
            "progressPercentage": percent,
            "estimatedRemainingSeconds": if done { 0 } else { (end - observed).num_seconds().max(0) },
            "metrics": [
                {"name": "loss", "value": format!("{loss:.4}")},
                {"name": "accuracy", "value": format!("{acc:.4}")},
            ],
            "lastUpdatedTime": timestamp(observed),
        });
    }
    kit::set_status(job, status);
    if done {
        None
    } else if now < start {
        Some(start)
    } else {
        Some((now + TimeDelta::seconds(5)).min(end))
    }
}

/// The legacy training-operator PyTorchJob: a master and N workers; worker 0 restarted once
/// (out of memory) early in the run, so `logs --previous` has something to show.
pub fn reconcile_pytorchjob(store: &Store, job: &mut Value, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let name = kit::s(job, "/metadata/name").to_string();
    let ns = kit::s(job, "/metadata/namespace").to_string();
    let created = kit::created(job, now);
    let (secs, exit, error) = plan(job);
    let start = created + TimeDelta::seconds(3);
    let end = start + TimeDelta::seconds(secs);
    let workers = job
        .pointer("/spec/pytorchReplicaSpecs/Worker/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .clamp(0, 16);
    let mut replicas: Vec<(&str, i64)> = vec![("master", 0)];
    replicas.extend((0..workers).map(|i| ("worker", i)));
    let mut status_counts = serde_json::Map::new();
    for (kind, i) in replicas {
        let spec_key = if kind == "master" { "Master" } else { "Worker" };
        let image = job
            .pointer(&format!(
                "/spec/pytorchReplicaSpecs/{spec_key}/template/spec/containers/0/image"
            ))
            .and_then(Value::as_str)
            .unwrap_or(TRAINER_IMAGE)
            .to_string();
        let code = if kind == "master" { exit } else { 0 };
        let state = kit::planned_state(start + TimeDelta::seconds(PULL_SECONDS), Some(end), code, now);
        let pod_name = format!("{name}-{kind}-{i}");
        let mut def = PodDef::new(&pod_name, &ns, start, state)
            .label("training.kubeflow.org/job-name", &name)
            .label("training.kubeflow.org/operator-name", "pytorchjob-controller")
            .label("training.kubeflow.org/replica-type", kind)
            .label("training.kubeflow.org/replica-index", &i.to_string())
            .logs("train", (code != 0).then(|| error.as_deref().unwrap_or("RuntimeError: NCCL error in: ../torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1970, unhandled system error")));
        if kind == "master" {
            def = def.label("training.kubeflow.org/job-role", "master");
        }
        def.restart_policy = "OnFailure";
        def.containers = vec![Container::new("pytorch", &image).with(json!({
            "command": ["python3", "/opt/pytorch-mnist/mnist.py", "--epochs=10"],
            "resources": {"limits": {"nvidia.com/gpu": "1"}},
        }))];
        let restart_at = start + TimeDelta::seconds(PULL_SECONDS + 20);
        if kind == "worker" && i == 0 && now >= restart_at {
            def.restarted = Some((
                137,
                "OOMKilled".into(),
                start + TimeDelta::seconds(PULL_SECONDS),
                restart_at,
            ));
            def = def.annotate(
                crate::sim::logs::PREVIOUS_ERROR,
                "RuntimeError: CUDA out of memory. Tried to allocate 1.50 GiB (GPU 0; 15.78 GiB total capacity; 13.02 GiB already allocated)",
            );
            if let PodState::Running { .. } = state {
                def.state = PodState::Running { since: restart_at };
            } else if let PodState::Terminated { at, exit, .. } = state {
                def.state = PodState::Terminated {
                    since: restart_at,
                    at,
                    exit,
                };
            }
        }
        if kit::ensure_pod(store, def.build(job), now) {
            kit::normal(
                store,
                job,
                "SuccessfulCreatePod",
                format!("Created pod: {pod_name}"),
                start,
            );
        }
        let entry = status_counts
            .entry(spec_key.to_string())
            .or_insert_with(|| json!({"active": 0, "succeeded": 0, "failed": 0}));
        let field = match state {
            PodState::Terminated { exit: 0, .. } => "succeeded",
            PodState::Terminated { .. } => "failed",
            _ => "active",
        };
        entry[field] = json!(entry[field].as_i64().unwrap_or(0) + 1);
        entry["selector"] = json!(format!(
            "training.kubeflow.org/job-name={name},training.kubeflow.org/operator-name=pytorchjob-controller,training.kubeflow.org/replica-type={kind}"
        ));
    }
    let cond = |t: &str, ok: bool, reason: &str, msg: String, at: DateTime<Utc>| {
        json!({"type": t, "status": if ok { "True" } else { "False" }, "reason": reason, "message": msg,
            "lastUpdateTime": timestamp(at), "lastTransitionTime": timestamp(at)})
    };
    let mut conditions = vec![cond(
        "Created",
        true,
        "PyTorchJobCreated",
        format!("PyTorchJob {name} is created."),
        created,
    )];
    let done = now >= end;
    let running_at = start + TimeDelta::seconds(PULL_SECONDS);
    if now >= running_at {
        conditions.push(cond(
            "Running",
            !done,
            "PyTorchJobRunning",
            format!("PyTorchJob {ns}/{name} is running."),
            if done { end } else { running_at },
        ));
    }
    if done {
        conditions.push(if exit == 0 {
            cond(
                "Succeeded",
                true,
                "PyTorchJobSucceeded",
                format!("PyTorchJob {ns}/{name} successfully completed."),
                end,
            )
        } else {
            cond(
                "Failed",
                true,
                "PyTorchJobFailed",
                format!("PyTorchJob {ns}/{name} has failed because 1 Master replica(s) failed."),
                end,
            )
        });
    }
    let mut status = json!({
        "conditions": conditions,
        "replicaStatuses": status_counts,
        "startTime": timestamp(start),
        "lastReconcileTime": timestamp(if done { end } else { now.min(end) }),
    });
    if done {
        status["completionTime"] = json!(timestamp(end));
        status["lastReconcileTime"] = json!(timestamp(end));
    } else {
        status["lastReconcileTime"] = json!(timestamp(running_at.min(now)));
    }
    kit::set_status(job, status);
    if done {
        None
    } else {
        kit::next_change(running_at, Some(end), now).or(Some(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types;

    fn store() -> Store {
        let s = Store::new(1, 1000);
        assert!(
            s.create(
                types::namespace_type(),
                "",
                json!({"metadata": {"name": "t"}}),
                false,
                Utc::now()
            )
            .is_ok()
        );
        s
    }

    #[test]
    fn trainjob_runs_suspends_and_completes() {
        let s = store();
        let now = Utc::now();
        let mut job = json!({"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
            "metadata": {"name": "j", "namespace": "t", "uid": "u",
                "creationTimestamp": timestamp(now - TimeDelta::seconds(100)),
                "annotations": {RUN_SECONDS: "200"}},
            "spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": {"numNodes": 2}}});
        let _ = reconcile_trainjob(&s, &mut job, now);
        assert_eq!(kit::pods_of(&s, "t", "jobset.sigs.k8s.io/jobset-name=j").len(), 2);
        let pct = job["status"]["trainerStatus"]["progressPercentage"]
            .as_i64()
            .unwrap_or(-1);
        assert!((40..=50).contains(&pct), "{pct}");
        assert_eq!(job["status"]["jobsStatus"][0]["active"], 1);
        let _ = reconcile_trainjob(&s, &mut job, now + TimeDelta::seconds(200));
        assert_eq!(job["status"]["conditions"][0]["type"], "Complete");
        job["spec"]["suspend"] = json!(true);
        let _ = reconcile_trainjob(&s, &mut job, now);
        assert_eq!(job["status"]["conditions"][0]["type"], "Suspended");
        assert!(kit::pods_of(&s, "t", "jobset.sigs.k8s.io/jobset-name=j").is_empty());
    }
}
