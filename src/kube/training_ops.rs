//! Verbs on training jobs and Katib experiments. Suspend and resume read the job, check that the
//! verb makes sense for its state, and send a merge patch of the suspend field with the
//! resourceVersion they read as a precondition, reading again on a 409. Deletes are foreground,
//! so the job's JobSet and pods (or the experiment's trials) go first.

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PropagationPolicy};
use serde_json::{Value, json};

use crate::kube::fetch::api_resource;
use crate::kube::key::Kind;
use crate::kube::ops::OpError;
use crate::kube::resources::train_job::JobKind;

/// A verb on a training job (TrainJob or a legacy kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrainingVerb {
    Suspend,
    Resume,
    Delete,
}

/// A verb on a Katib experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExperimentVerb {
    Delete,
}

impl TrainingVerb {
    pub fn name(self) -> &'static str {
        match self {
            TrainingVerb::Suspend => "suspend",
            TrainingVerb::Resume => "resume",
            TrainingVerb::Delete => "delete",
        }
    }

    pub fn effect(self) -> &'static str {
        match self {
            TrainingVerb::Suspend => "its pods are deleted and it waits, suspended, until resumed",
            TrainingVerb::Resume => "its pods are created again and training starts over",
            TrainingVerb::Delete => "the job, its JobSet and its pods are deleted",
        }
    }
}

impl ExperimentVerb {
    pub fn name(self) -> &'static str {
        "delete"
    }

    pub fn effect(self) -> &'static str {
        "the Experiment, its trials, their pods and its suggestion are deleted"
    }
}

/// The merge patch that suspends (`true`) or resumes (`false`) a job of this kind, with the
/// resourceVersion it was read at as a precondition.
pub fn suspend_patch(kind: JobKind, suspend: bool, resource_version: &str) -> Value {
    let spec = if kind.is_legacy() {
        json!({"runPolicy": {"suspend": suspend}})
    } else {
        json!({"suspend": suspend})
    };
    json!({"metadata": {"resourceVersion": resource_version}, "spec": spec})
}

const CONFLICT_RETRIES: usize = 5;

fn condition_true(obj: &Value, kind: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// Why the job has finished (`completed`, `failed`), if it has.
fn finished(obj: &Value) -> Option<&'static str> {
    if condition_true(obj, "Failed") {
        Some("failed")
    } else if condition_true(obj, "Complete") || condition_true(obj, "Succeeded") {
        Some("completed")
    } else {
        None
    }
}

fn suspended(kind: JobKind, obj: &Value) -> bool {
    let path = if kind.is_legacy() {
        "/spec/runPolicy/suspend"
    } else {
        "/spec/suspend"
    };
    obj.pointer(path).and_then(Value::as_bool) == Some(true)
}

/// Runs a training verb on `ns/name` of `kind`; the answer is a sentence for the status line.
pub async fn training_verb(
    client: &kube::Client,
    kind: JobKind,
    ns: &str,
    name: &str,
    verb: TrainingVerb,
) -> Result<String, OpError> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &api_resource(Kind::Training(kind)));
    let noun = kind.singular();
    if verb == TrainingVerb::Delete {
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Foreground),
            ..DeleteParams::default()
        };
        api.delete(name, &params).await?;
        return Ok(format!("{noun} {name} is being deleted"));
    }
    let suspend = verb == TrainingVerb::Suspend;
    for _ in 0..CONFLICT_RETRIES {
        let obj = serde_json::to_value(api.get(name).await?).map_err(|e| OpError::Api(e.to_string()))?;
        if let Some(how) = finished(&obj) {
            return Err(OpError::Refused(format!(
                "cannot {} {noun} {name}: it has {how}",
                verb.name()
            )));
        }
        if suspended(kind, &obj) == suspend {
            let already = if suspend {
                "already suspended"
            } else {
                "not suspended"
            };
            return Err(OpError::Refused(format!("{noun} {name} is {already}")));
        }
        let rv = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let patch = suspend_patch(kind, suspend, rv);
        match api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {
                let done = if suspend { "suspended" } else { "resumed" };
                return Ok(format!("{noun} {name} {done}"));
            }
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OpError::Conflict)
}

/// Runs an experiment verb; the answer is a sentence for the status line.
pub async fn experiment_verb(
    client: &kube::Client,
    ns: &str,
    name: &str,
    verb: ExperimentVerb,
) -> Result<String, OpError> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &api_resource(Kind::Experiments));
    match verb {
        ExperimentVerb::Delete => {
            let params = DeleteParams {
                propagation_policy: Some(PropagationPolicy::Foreground),
                ..DeleteParams::default()
            };
            api.delete(name, &params).await?;
            Ok(format!("experiment {name} is being deleted"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspend_patches_name_the_field_of_each_api() {
        assert_eq!(
            suspend_patch(JobKind::TrainJob, true, "7"),
            json!({"metadata": {"resourceVersion": "7"}, "spec": {"suspend": true}})
        );
        assert_eq!(
            suspend_patch(JobKind::PyTorch, false, "9"),
            json!({"metadata": {"resourceVersion": "9"}, "spec": {"runPolicy": {"suspend": false}}})
        );
        let done = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(finished(&done), Some("completed"));
        assert!(suspended(
            JobKind::Tf,
            &json!({"spec": {"runPolicy": {"suspend": true}}})
        ));
    }
}
