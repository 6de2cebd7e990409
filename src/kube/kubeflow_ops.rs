//! Verbs on notebooks and models, with the semantics of the Jupyter web app and KServe
//! (research §4–5): merge patches of an annotation or the canary percent, and foreground
//! deletes. [`Verb`] covers these and the run verbs.

use chrono::{DateTime, SecondsFormat, Utc};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PropagationPolicy};
use serde_json::{Value, json};

use crate::kube::fetch::api_resource;
use crate::kube::key::Kind;
use crate::kube::ops::OpError;
use crate::kube::resources::{inference_service, notebook};

/// A verb on a Kubeflow Notebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotebookVerb {
    Start,
    Stop,
    Delete,
}

/// A verb on a KServe InferenceService.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelVerb {
    Start,
    Stop,
    /// Send this percent of the traffic to the latest revision.
    Canary(u8),
    /// The latest revision takes all traffic (100, then the field is removed).
    Promote,
    /// The previous revision takes all traffic again (0).
    Rollback,
    Delete,
}

impl NotebookVerb {
    pub fn name(self) -> &'static str {
        match self {
            NotebookVerb::Start => "start",
            NotebookVerb::Stop => "stop",
            NotebookVerb::Delete => "delete",
        }
    }
}

impl ModelVerb {
    pub fn name(self) -> &'static str {
        match self {
            ModelVerb::Start => "start",
            ModelVerb::Stop => "stop",
            ModelVerb::Canary(_) => "canary",
            ModelVerb::Promote => "promote",
            ModelVerb::Rollback => "rollback",
            ModelVerb::Delete => "delete",
        }
    }
}

/// The merge patch that stops (`Some(now)`) or starts (`None`) a notebook.
pub fn notebook_stop_patch(stop_at: Option<DateTime<Utc>>) -> Value {
    let value = stop_at.map_or(Value::Null, |t| {
        Value::from(t.to_rfc3339_opts(SecondsFormat::Secs, true))
    });
    json!({"metadata": {"annotations": {notebook::STOPPED: value}}})
}

/// The merge patch of a model verb, or `None` for delete.
pub fn model_patch(verb: ModelVerb) -> Option<Value> {
    let canary = |v: Value| json!({"spec": {"predictor": {"canaryTrafficPercent": v}}});
    Some(match verb {
        ModelVerb::Stop => json!({"metadata": {"annotations": {inference_service::STOP: "true"}}}),
        ModelVerb::Start => json!({"metadata": {"annotations": {inference_service::STOP: null}}}),
        ModelVerb::Canary(n) => canary(Value::from(n.min(100))),
        ModelVerb::Promote => canary(Value::from(100)),
        ModelVerb::Rollback => canary(Value::from(0)),
        ModelVerb::Delete => return None,
    })
}

/// Any verb a pane can ask for: the confirmation, the effect and its answer carry this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Run(crate::kube::ops::RunVerb),
    Notebook(NotebookVerb),
    Model(ModelVerb),
    Training(crate::kube::training_ops::TrainingVerb),
    Experiment(crate::kube::training_ops::ExperimentVerb),
    /// Delete a pipeline (with its versions) or a template, of this source.
    Pipeline(crate::kube::resources::pipeline::PipelineSource),
    /// Enable (`true`) or disable a recurring run of this kind.
    Schedule(bool, crate::kube::resources::recurring::ScheduleSource),
    /// Delete objects of any kind (the resource view), as `kubectl delete` does.
    Delete(Kind),
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Run(v) => v.name(),
            Verb::Notebook(v) => v.name(),
            Verb::Model(v) => v.name(),
            Verb::Training(v) => v.name(),
            Verb::Experiment(v) => v.name(),
            Verb::Pipeline(_) => "delete",
            Verb::Schedule(true, _) => "enable",
            Verb::Schedule(false, _) => "disable",
            Verb::Delete(_) => "delete",
        }
    }

    /// What the verb does, for the confirmation.
    pub fn effect(self) -> &'static str {
        match self {
            Verb::Run(v) => v.effect(),
            Verb::Notebook(NotebookVerb::Stop) => "its pod is deleted (the workspace volume is kept)",
            Verb::Notebook(NotebookVerb::Start) => "its pod starts again with the same workspace",
            Verb::Notebook(NotebookVerb::Delete) => "the Notebook, its pod and service are deleted",
            Verb::Model(ModelVerb::Stop) => "it stops serving (serving.kserve.io/stop)",
            Verb::Model(ModelVerb::Start) => "it serves again",
            Verb::Model(ModelVerb::Canary(_)) => "the latest revision gets this share of the traffic",
            Verb::Model(ModelVerb::Promote) => "the latest revision takes all the traffic",
            Verb::Model(ModelVerb::Rollback) => "the previous revision takes all the traffic again",
            Verb::Model(ModelVerb::Delete) => "the InferenceService and its pods are deleted",
            Verb::Training(v) => v.effect(),
            Verb::Experiment(v) => v.effect(),
            Verb::Pipeline(s) if s.is_kfp() => "the pipeline and all its versions are deleted; its runs stay",
            Verb::Pipeline(_) => "the template is deleted; runs made from it stay",
            Verb::Schedule(true, _) => "it starts runs on its schedule again",
            Verb::Schedule(false, _) => "it starts no more runs until enabled; running ones go on",
            Verb::Delete(_) => "it is deleted; its owner, if any, may make it again",
        }
    }

    /// The kind of object the verb applies to.
    pub fn kind(self) -> Kind {
        match self {
            Verb::Run(_) => Kind::Workflows,
            Verb::Notebook(_) => Kind::Notebooks,
            Verb::Model(_) => Kind::InferenceServices,
            Verb::Training(_) => Kind::Training(crate::kube::resources::train_job::JobKind::TrainJob),
            Verb::Experiment(_) => Kind::Experiments,
            Verb::Pipeline(_) => Kind::Pipelines,
            Verb::Delete(kind) => kind,
            Verb::Schedule(_, s) => match s {
                crate::kube::resources::recurring::ScheduleSource::Kfp => Kind::ScheduledWorkflows,
                crate::kube::resources::recurring::ScheduleSource::Cron => Kind::CronWorkflows,
            },
        }
    }

    /// What the confirmation calls the targets ("run", "notebook", "model").
    pub fn noun(self) -> &'static str {
        match self {
            Verb::Run(_) => "run",
            Verb::Notebook(_) => "notebook",
            Verb::Model(_) => "model",
            Verb::Training(_) => "training job",
            Verb::Experiment(_) => "experiment",
            Verb::Pipeline(s) if s.is_kfp() => "pipeline",
            Verb::Pipeline(_) => "template",
            Verb::Schedule(..) => "recurring run",
            Verb::Delete(kind) => kind.singular(),
        }
    }

    /// Destroys something: the confirmation says so in red.
    pub fn is_destructive(self) -> bool {
        matches!(
            self,
            Verb::Run(crate::kube::ops::RunVerb::Delete | crate::kube::ops::RunVerb::Terminate)
                | Verb::Notebook(NotebookVerb::Delete)
                | Verb::Model(ModelVerb::Delete)
                | Verb::Training(crate::kube::training_ops::TrainingVerb::Delete)
                | Verb::Experiment(_)
                | Verb::Pipeline(_)
                | Verb::Delete(_)
        )
    }

    /// Runs the verb on one object; the answer is a sentence for the status line.
    pub async fn run(self, client: &kube::Client, ns: &str, name: &str) -> Result<String, OpError> {
        match self {
            Verb::Run(v) => crate::kube::ops::run_verb(client, ns, name, v).await,
            Verb::Notebook(v) => notebook_verb(client, ns, name, v).await,
            Verb::Model(v) => model_verb(client, ns, name, v).await,
            Verb::Training(v) => {
                let kind = crate::kube::resources::train_job::JobKind::TrainJob;
                crate::kube::training_ops::training_verb(client, kind, ns, name, v).await
            }
            Verb::Experiment(v) => crate::kube::training_ops::experiment_verb(client, ns, name, v).await,
            Verb::Pipeline(source) => crate::kube::pipelines::delete_named(client, source, ns, name)
                .await
                .map_err(OpError::Api),
            Verb::Schedule(enable, source) => {
                crate::kube::pipelines::set_schedule(client, source, ns, name, enable)
                    .await
                    .map_err(OpError::Api)
            }
            Verb::Delete(kind) => {
                let ar = api_resource(kind);
                let api: Api<DynamicObject> = if ns.is_empty() {
                    Api::all_with(client.clone(), &ar)
                } else {
                    Api::namespaced_with(client.clone(), ns, &ar)
                };
                api.delete(name, &DeleteParams::default()).await?;
                Ok(format!("{}/{name} deleted", kind.singular()))
            }
        }
    }

    /// Runs the verb on one target, of whatever kind the target is (a list may mix TrainJobs and
    /// legacy jobs).
    pub async fn run_on(
        self,
        client: &kube::Client,
        target: &crate::kube::key::VerbTarget,
    ) -> Result<String, OpError> {
        match (self, target.kind) {
            (Verb::Training(v), Kind::Training(kind)) => {
                crate::kube::training_ops::training_verb(client, kind, &target.namespace, &target.name, v)
                    .await
            }
            _ => self.run(client, &target.namespace, &target.name).await,
        }
    }
}

fn api(client: &kube::Client, ns: &str, kind: Kind) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &api_resource(kind))
}

async fn merge(api: &Api<DynamicObject>, name: &str, patch: &Value) -> Result<(), OpError> {
    api.patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await?;
    Ok(())
}

async fn delete_foreground(api: &Api<DynamicObject>, name: &str) -> Result<(), OpError> {
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Foreground),
        ..DeleteParams::default()
    };
    api.delete(name, &params).await?;
    Ok(())
}

/// Runs a notebook verb; the answer is a sentence for the status line.
pub async fn notebook_verb(
    client: &kube::Client,
    ns: &str,
    name: &str,
    verb: NotebookVerb,
) -> Result<String, OpError> {
    let api = api(client, ns, Kind::Notebooks);
    match verb {
        NotebookVerb::Stop => {
            merge(&api, name, &notebook_stop_patch(Some(Utc::now()))).await?;
            Ok(format!("notebook {name} is stopping"))
        }
        NotebookVerb::Start => {
            merge(&api, name, &notebook_stop_patch(None)).await?;
            Ok(format!("notebook {name} is starting"))
        }
        NotebookVerb::Delete => {
            delete_foreground(&api, name).await?;
            Ok(format!("notebook {name} is being deleted"))
        }
    }
}

/// Runs a model verb; the answer is a sentence for the status line. Promote sets 100 % and then
/// removes the field, as `kubectl` users do, so the next change starts a new canary.
pub async fn model_verb(
    client: &kube::Client,
    ns: &str,
    name: &str,
    verb: ModelVerb,
) -> Result<String, OpError> {
    let api = api(client, ns, Kind::InferenceServices);
    // An object using v0.20's `spec.canary[]` form has its traffic set there.
    if let Some(message) = crate::kube::model_canary::canary_list_verb(&api, name, verb).await? {
        return Ok(message);
    }
    let Some(patch) = model_patch(verb) else {
        delete_foreground(&api, name).await?;
        return Ok(format!("model {name} is being deleted"));
    };
    merge(&api, name, &patch).await?;
    Ok(match verb {
        ModelVerb::Promote => {
            let clear = json!({"spec": {"predictor": {"canaryTrafficPercent": null}}});
            merge(&api, name, &clear).await?;
            format!("model {name}: the latest revision takes all traffic")
        }
        ModelVerb::Canary(n) => format!("model {name}: {}% of traffic to the latest revision", n.min(100)),
        ModelVerb::Rollback => format!("model {name}: all traffic back to the previous revision"),
        ModelVerb::Stop => format!("model {name} is stopping"),
        ModelVerb::Start => format!("model {name} is starting"),
        ModelVerb::Delete => format!("model {name} is being deleted"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_are_what_the_web_app_and_kserve_expect() {
        let t = crate::kube::resources::parse_time("2022-10-07T09:50:48Z").unwrap();
        assert_eq!(
            notebook_stop_patch(Some(t)),
            json!({"metadata": {"annotations": {"kubeflow-resource-stopped": "2022-10-07T09:50:48Z"}}})
        );
        assert_eq!(
            notebook_stop_patch(None),
            json!({"metadata": {"annotations": {"kubeflow-resource-stopped": null}}})
        );
        assert_eq!(
            model_patch(ModelVerb::Canary(150)),
            Some(json!({"spec": {"predictor": {"canaryTrafficPercent": 100}}}))
        );
        assert_eq!(
            model_patch(ModelVerb::Stop),
            Some(json!({"metadata": {"annotations": {"serving.kserve.io/stop": "true"}}}))
        );
        assert_eq!(model_patch(ModelVerb::Delete), None);
    }
}
