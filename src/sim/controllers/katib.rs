//! Katib: an Experiment's Suggestion hands out parameter assignments, Trials run `parallel`
//! at a time (each a Job-like pod labelled `katib.kubeflow.org/trial`), report observations,
//! and the Experiment counts them and tracks `currentOptimalTrial` until `maxTrialCount`.
//!
//! Trial `i` of an experiment created at `T` starts at `T + 5s + (i / parallel) × (run + 5s)`
//! and runs `sim.kftui.dev/run-seconds` (default 90); everything follows from that.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::kit::{self, Container, PodDef};
use super::pods::RUN_SECONDS;
use crate::sim::rng::hash64;
use crate::sim::store::{Store, timestamp};
use crate::sim::types;

const DEFAULT_TRIAL_SECONDS: i64 = 90;
pub const EXPERIMENT_LABEL: &str = "katib.kubeflow.org/experiment";
pub const TRIAL_LABEL: &str = "katib.kubeflow.org/trial";

fn unit(seed: &str) -> f64 {
    (hash64(seed) >> 11) as f64 / (1u64 << 53) as f64
}

fn as_f64(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// The assignment of every parameter for trial `i`, with a score in 0..1 (higher is better).
fn assignments(exp: &Value, i: i64) -> (Vec<Value>, f64) {
    let uid = kit::s(exp, "/metadata/uid");
    let mut out = Vec::new();
    let mut score = 0.0;
    let mut n = 0.0;
    let params = exp
        .pointer("/spec/parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in &params {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("p");
        let u = unit(&format!("{uid}/{i}/{name}"));
        let space = p.get("feasibleSpace").cloned().unwrap_or(Value::Null);
        let ty = p.get("parameterType").and_then(Value::as_str).unwrap_or("double");
        let value = match ty {
            "categorical" | "discrete" => {
                let list = space
                    .get("list")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let idx = ((u * list.len() as f64) as usize).min(list.len().saturating_sub(1));
                list.get(idx)
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                    .unwrap_or_default()
            }
            _ => {
                let lo = as_f64(space.get("min")).unwrap_or(0.0);
                let hi = as_f64(space.get("max")).unwrap_or(1.0);
                let v = lo + u * (hi - lo);
                if ty == "int" {
                    format!("{}", v.round() as i64)
                } else {
                    format!("{v:.6}")
                }
            }
        };
        // Each parameter has a sweet spot; distance from it costs score.
        let sweet = unit(&format!("{uid}/sweet/{name}"));
        score += 1.0 - (u - sweet).abs();
        n += 1.0;
        out.push(json!({"name": name, "value": value}));
    }
    let base = if n > 0.0 { score / n } else { 0.5 };
    (out, base)
}

struct Settings {
    max: i64,
    parallel: i64,
    secs: i64,
    metric: String,
    minimize: bool,
    extra: Vec<String>,
}

fn settings(exp: &Value) -> Settings {
    let num = |p: &str, d: i64| exp.pointer(p).and_then(Value::as_i64).unwrap_or(d);
    let metric = kit::s(exp, "/spec/objective/objectiveMetricName");
    Settings {
        max: num("/spec/maxTrialCount", 12).clamp(1, 200),
        parallel: num("/spec/parallelTrialCount", 3).clamp(1, 50),
        secs: kit::number(exp, RUN_SECONDS)
            .unwrap_or(DEFAULT_TRIAL_SECONDS)
            .max(5),
        metric: if metric.is_empty() {
            "accuracy".into()
        } else {
            metric.into()
        },
        minimize: kit::s(exp, "/spec/objective/type") == "minimize",
        extra: exp
            .pointer("/spec/objective/additionalMetricNames")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
            .unwrap_or_default(),
    }
}

fn metric_value(score: f64, minimize: bool) -> f64 {
    if minimize {
        (1.0 - score) * 0.9 + 0.05
    } else {
        0.55 + score * 0.43
    }
}

fn cond(t: &str, ok: bool, reason: &str, message: &str, at: DateTime<Utc>) -> Value {
    json!({"type": t, "status": if ok { "True" } else { "False" }, "reason": reason, "message": message,
        "lastUpdateTime": timestamp(at), "lastTransitionTime": timestamp(at)})
}

pub fn reconcile(store: &Store, exp: &mut Value, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let name = kit::s(exp, "/metadata/name").to_string();
    let ns = kit::s(exp, "/metadata/namespace").to_string();
    let created = kit::created(exp, now);
    let st = settings(exp);
    let (Some(trial_t), Some(sugg_t)) = (
        types::find("kubeflow.org", "trials"),
        types::find("kubeflow.org", "suggestions"),
    ) else {
        return None;
    };
    let first = created + TimeDelta::seconds(5);
    let wave = TimeDelta::seconds(st.secs + 5);
    let image = exp
        .pointer("/spec/trialTemplate/trialSpec/spec/template/spec/containers/0/image")
        .and_then(Value::as_str)
        .unwrap_or("ghcr.io/kubeflow/katib/pytorch-mnist-cpu:v0.18.0")
        .to_string();
    let mut lists: [(&str, Vec<String>); 3] = [
        ("runningTrialList", Vec::new()),
        ("pendingTrialList", Vec::new()),
        ("succeededTrialList", Vec::new()),
    ];
    let mut best: Option<(f64, Value)> = None;
    let mut suggestions = Vec::new();
    let mut next_due: Option<DateTime<Utc>> = None;
    let mut last_end = first;
    for i in 0..st.max {
        let start = first + wave * (i / st.parallel) as i32;
        let end = start + TimeDelta::seconds(st.secs);
        last_end = last_end.max(end);
        if now < start {
            next_due = Some(next_due.map_or(start, |d| d.min(start)));
            continue;
        }
        let trial_name = format!(
            "{name}-{}",
            kit::suffix(&format!("{}/{i}", kit::s(exp, "/metadata/uid")), 8)
        );
        let (params, score) = assignments(exp, i);
        // Later waves learn from earlier ones.
        let score = (score * 0.8 + 0.2 * (i as f64 / st.max as f64)).min(1.0);
        suggestions.push(json!({"name": trial_name, "parameterAssignments": params}));
        let running = now < end;
        let pod_start = start + TimeDelta::seconds(2);
        if running {
            next_due = Some(next_due.map_or(end, |d| d.min(end)));
        }
        let value = metric_value(score, st.minimize);
        let mut metrics = vec![json!({
            "name": st.metric,
            "latest": format!("{value:.6}"),
            "min": format!("{:.6}", if st.minimize { value } else { value * 0.82 }),
            "max": format!("{:.6}", if st.minimize { value * 1.9 } else { value }),
        })];
        for m in &st.extra {
            let v = 1.0 - value * 0.7;
            metrics.push(json!({"name": m, "latest": format!("{v:.6}"), "min": format!("{v:.6}"), "max": format!("{:.6}", v * 1.7)}));
        }
        let mut conditions = vec![cond("Created", true, "TrialCreated", "Trial is created", start)];
        if running {
            conditions.push(cond(
                "Running",
                true,
                "TrialRunning",
                "Trial is running",
                pod_start,
            ));
        } else {
            conditions.push(cond("Running", false, "TrialRunning", "Trial is running", end));
            conditions.push(cond(
                "Succeeded",
                true,
                "TrialSucceeded",
                "Trial has succeeded",
                end,
            ));
        }
        let mut trial_status = json!({"startTime": timestamp(start), "conditions": conditions});
        if running {
            lists[0].1.push(trial_name.clone());
        } else {
            trial_status["completionTime"] = json!(timestamp(end));
            trial_status["observation"] = json!({"metrics": metrics});
            lists[2].1.push(trial_name.clone());
            let better = best
                .as_ref()
                .is_none_or(|(b, _)| if st.minimize { value < *b } else { value > *b });
            if better {
                best = Some((
                    value,
                    json!({"bestTrialName": trial_name, "parameterAssignments": params, "observation": {"metrics": metrics}}),
                ));
            }
        }
        let trial = json!({
            "apiVersion": "kubeflow.org/v1beta1",
            "kind": "Trial",
            "metadata": {
                "name": trial_name,
                "namespace": ns,
                "creationTimestamp": timestamp(start),
                "uid": kit::uuid_for(&format!("trial/{ns}/{trial_name}")),
                "labels": {EXPERIMENT_LABEL: name},
                "ownerReferences": [kit::owner_ref(exp)],
            },
            "spec": {
                "objective": exp.pointer("/spec/objective").cloned().unwrap_or(Value::Null),
                "parameterAssignments": params,
                "primaryContainerName": "training-container",
                "successCondition": "status.conditions.#(type==\"Complete\")#|#(status==\"True\")#",
                "failureCondition": "status.conditions.#(type==\"Failed\")#|#(status==\"True\")#",
                "metricsCollector": {"collector": {"kind": "StdOut"}},
                "runSpec": {"apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": trial_name, "namespace": ns},
                    "spec": {"template": {"spec": {"containers": [{"name": "training-container", "image": image}], "restartPolicy": "Never"}}}},
            },
            "status": trial_status,
        });
        kit::apply_child(store, trial_t, trial.clone(), now);
        let trial = store
            .get(trial_t, &ns, &trial_name)
            .and_then(|t| t.value())
            .unwrap_or(trial);
        let state = kit::planned_state(pod_start, Some(end), 0, now);
        let args: Vec<String> = params
            .iter()
            .map(|p| format!("--{}={}", kit::s(p, "/name"), kit::s(p, "/value")))
            .collect();
        let mut def = PodDef::new(
            &format!("{trial_name}-{}", kit::suffix(&trial_name, 5)),
            &ns,
            start,
            state,
        )
        .label(TRIAL_LABEL, &trial_name)
        .label(EXPERIMENT_LABEL, &name)
        .label("batch.kubernetes.io/job-name", &trial_name)
        .label("job-name", &trial_name)
        .logs("train", None);
        def.containers = vec![
            Container::new("training-container", &image)
                .with(json!({"command": ["python3", "/opt/pytorch-mnist/mnist.py"], "args": args})),
            Container::new(
                "metrics-logger-and-collector",
                "ghcr.io/kubeflow/katib/file-metrics-collector:v0.18.0",
            ),
        ];
        kit::ensure_pod(store, def.build(&trial), now);
    }
    let started = lists[0].1.len() + lists[2].1.len();
    let done = started as i64 >= st.max && lists[0].1.is_empty();
    let mut conditions = vec![cond(
        "Created",
        true,
        "ExperimentCreated",
        "Experiment is created",
        created,
    )];
    if done {
        conditions.push(cond(
            "Running",
            false,
            "ExperimentRunning",
            "Experiment is running",
            last_end,
        ));
        conditions.push(cond(
            "Succeeded",
            true,
            "ExperimentMaxTrialsReached",
            "Experiment has succeeded because max trial count has reached",
            last_end,
        ));
    } else if now >= first {
        conditions.push(cond(
            "Running",
            true,
            "ExperimentRunning",
            "Experiment is running",
            first,
        ));
    }
    let mut status = json!({
        "startTime": timestamp(created),
        "conditions": conditions,
        "trials": started,
        "trialsSucceeded": lists[2].1.len(),
        "trialsRunning": lists[0].1.len(),
    });
    for (k, v) in &lists {
        if !v.is_empty() {
            status[*k] = json!(v);
        }
    }
    if let Some((_, b)) = best {
        status["currentOptimalTrial"] = b;
    }
    if done {
        status["completionTime"] = json!(timestamp(last_end));
    }
    let suggestion = json!({
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Suggestion",
        "metadata": {
            "name": name, "namespace": ns, "creationTimestamp": timestamp(created),
            "uid": kit::uuid_for(&format!("suggestion/{ns}/{name}")),
            "labels": {EXPERIMENT_LABEL: name},
            "ownerReferences": [kit::owner_ref(exp)],
        },
        "spec": {
            "algorithm": exp.pointer("/spec/algorithm").cloned().unwrap_or_else(|| json!({"algorithmName": "random"})),
            "requests": started,
            "resumePolicy": "Never",
        },
        "status": {
            "suggestionCount": started,
            "suggestions": suggestions,
            "startTime": timestamp(created),
            "conditions": [
                cond("Created", true, "SuggestionCreated", "Suggestion is created", created),
                cond("DeploymentReady", true, "DeploymentReady", "Deployment is ready", created + TimeDelta::seconds(3)),
                if done {
                    cond("Succeeded", true, "SuggestionSucceeded", "Suggestion is succeeded", last_end)
                } else {
                    cond("Running", true, "SuggestionRunning", "Suggestion is running", created + TimeDelta::seconds(3))
                },
            ],
        },
    });
    kit::apply_child(store, sugg_t, suggestion, now);
    kit::set_status(exp, status);
    if done { None } else { next_due }
}
