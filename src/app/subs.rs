//! Subscriptions are state: the set of watches the app wants follows from where it is looking.

use std::collections::BTreeSet;

use crate::app::picker::PickerKind;
use crate::app::state::State;

/// A kind of resource the app watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Workflows,
    Namespaces,
    Pods,
    /// Kubeflow Notebooks (`kubeflow.org/v1`).
    Notebooks,
    /// KServe InferenceServices (`serving.kserve.io/v1beta1`).
    InferenceServices,
    /// One Workflow in full, for the run detail (the key's `field` names it).
    RunGraph,
    /// KFP's record of the runs of a namespace, polled through its REST API.
    KfpRuns,
    /// The Pipelines pane's list, polled: KFP's pipelines and Argo's templates.
    Pipelines,
    /// `pipelines.kubeflow.org` Pipeline objects (KFP's Kubernetes storage mode).
    PipelineObjects,
    /// Argo WorkflowTemplates.
    WorkflowTemplates,
    /// Argo ClusterWorkflowTemplates.
    ClusterWorkflowTemplates,
    /// KFP's ScheduledWorkflows (recurring runs), listed with the pipelines.
    ScheduledWorkflows,
    /// Argo CronWorkflows, listed with the pipelines.
    CronWorkflows,
    /// Training jobs of one API: Trainer's TrainJob or a legacy training-operator kind.
    Training(crate::kube::resources::train_job::JobKind),
    /// Trainer's namespaced TrainingRuntimes.
    TrainingRuntimes,
    /// Trainer's cluster-scoped ClusterTrainingRuntimes.
    ClusterTrainingRuntimes,
    /// Katib Experiments (`kubeflow.org/v1beta1`).
    Experiments,
    /// Katib Trials (of one experiment: the key's `selector` names it).
    Trials,
}

impl Kind {
    /// Plural resource name with its group, as an error message would name it.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Workflows | Kind::RunGraph => "workflows.argoproj.io",
            Kind::KfpRuns => "runs (KFP REST API)",
            Kind::Pipelines => "pipelines (KFP REST API)",
            Kind::PipelineObjects => "pipelines.pipelines.kubeflow.org",
            Kind::WorkflowTemplates => "workflowtemplates.argoproj.io",
            Kind::ClusterWorkflowTemplates => "clusterworkflowtemplates.argoproj.io",
            Kind::ScheduledWorkflows => "scheduledworkflows.kubeflow.org",
            Kind::CronWorkflows => "cronworkflows.argoproj.io",
            Kind::Namespaces => "namespaces",
            Kind::Pods => "pods",
            Kind::Notebooks => "notebooks.kubeflow.org",
            Kind::InferenceServices => "inferenceservices.serving.kserve.io",
            Kind::Training(k) => k.resource(),
            Kind::TrainingRuntimes => "trainingruntimes.trainer.kubeflow.org",
            Kind::ClusterTrainingRuntimes => "clustertrainingruntimes.trainer.kubeflow.org",
            Kind::Experiments => "experiments.kubeflow.org",
            Kind::Trials => "trials.kubeflow.org",
        }
    }

    /// The lower-case singular name, as in `workflow/NAME`.
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Workflows | Kind::RunGraph => "workflow",
            Kind::KfpRuns => "run",
            Kind::Pipelines | Kind::PipelineObjects => "pipeline",
            Kind::WorkflowTemplates => "workflowtemplate",
            Kind::ClusterWorkflowTemplates => "clusterworkflowtemplate",
            Kind::ScheduledWorkflows => "scheduledworkflow",
            Kind::CronWorkflows => "cronworkflow",
            Kind::Namespaces => "namespace",
            Kind::Pods => "pod",
            Kind::Notebooks => "notebook",
            Kind::InferenceServices => "inferenceservice",
            Kind::Training(k) => k.singular(),
            Kind::TrainingRuntimes => "trainingruntime",
            Kind::ClusterTrainingRuntimes => "clustertrainingruntime",
            Kind::Experiments => "experiment",
            Kind::Trials => "trial",
        }
    }

    /// The product that serves this API, for "not installed" messages.
    pub fn product(self) -> &'static str {
        match self {
            Kind::Workflows | Kind::RunGraph => "Argo Workflows",
            Kind::KfpRuns | Kind::Pipelines | Kind::PipelineObjects | Kind::ScheduledWorkflows => {
                "Kubeflow Pipelines"
            }
            Kind::WorkflowTemplates | Kind::ClusterWorkflowTemplates | Kind::CronWorkflows => {
                "Argo Workflows"
            }
            Kind::Namespaces | Kind::Pods => "Kubernetes",
            Kind::Notebooks => "Kubeflow Notebooks",
            Kind::InferenceServices => "KServe",
            Kind::Training(k) => k.product(),
            Kind::TrainingRuntimes | Kind::ClusterTrainingRuntimes => "Kubeflow Trainer",
            Kind::Experiments | Kind::Trials => "Katib",
        }
    }
}

/// One watch: a kind in a namespace (or all) of a context.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubKey {
    pub context: String,
    pub namespace: Option<String>,
    pub kind: Kind,
    /// A label selector the API server applies.
    pub selector: Option<String>,
    /// A field selector the API server applies (`metadata.name=X`).
    pub field: Option<String>,
}

/// The subscriptions the state wants right now.
pub fn wanted(state: &State) -> BTreeSet<SubKey> {
    let mut set = BTreeSet::new();
    if state.target.context.is_empty() {
        return set; // no cluster configured
    }
    set.insert(SubKey {
        context: state.target.context.clone(),
        namespace: state.target.namespace.clone(),
        kind: Kind::Workflows,
        selector: state.runs.selector.clone(),
        field: None,
    });
    // KFP's history of the namespace, while the Runs pane shows one (KFP is asked per namespace).
    if state.pane == crate::app::pane::PaneId::Runs
        && let Some(ns) = &state.target.namespace
    {
        set.insert(SubKey {
            context: state.target.context.clone(),
            namespace: Some(ns.clone()),
            kind: Kind::KfpRuns,
            selector: None,
            field: None,
        });
    }
    if state.pane == crate::app::pane::PaneId::Pipelines {
        set.insert(SubKey {
            context: state.target.context.clone(),
            namespace: state.target.namespace.clone(),
            kind: Kind::Pipelines,
            selector: None,
            field: None,
        });
    }
    let pane_kind = match state.pane {
        crate::app::pane::PaneId::Notebooks => Some((Kind::Notebooks, state.notebooks.selector.clone())),
        crate::app::pane::PaneId::Models => Some((Kind::InferenceServices, state.models.selector.clone())),
        crate::app::pane::PaneId::Experiments => {
            Some((Kind::Experiments, state.experiments.selector.clone()))
        }
        _ => None,
    };
    if let Some((kind, selector)) = pane_kind {
        set.insert(SubKey {
            context: state.target.context.clone(),
            namespace: state.target.namespace.clone(),
            kind,
            selector,
            field: None,
        });
    }
    set.extend(crate::app::training::wanted(state));
    set.extend(crate::app::experiments::wanted(state));
    if let Some(session) = &state.logs {
        // The subject's pods: new ones join the view, and their containers fill the picker.
        set.insert(session.subject.pods_key(&state.target.context));
    }
    if let Some(d) = &state.detail {
        set.insert(SubKey {
            context: state.target.context.clone(),
            namespace: Some(d.namespace.clone()),
            kind: Kind::RunGraph,
            selector: None,
            field: Some(format!("metadata.name={}", d.name)),
        });
    }
    if state
        .picker
        .as_ref()
        .is_some_and(|p| p.kind == PickerKind::Namespace)
    {
        set.insert(SubKey {
            context: state.target.context.clone(),
            namespace: None,
            kind: Kind::Namespaces,
            selector: None,
            field: None,
        });
    }
    set
}
