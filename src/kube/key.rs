//! The names of things in the cluster: a kind of resource, one watch of it, and an object a verb
//! acts on.

/// A kind of resource watched, listed or acted on.
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
    /// Every InferenceService's traffic now, from Prometheus (the Models pane's columns).
    ModelTraffic,
    /// One InferenceService's last 15 minutes, from Prometheus (the key's `field` names it).
    ModelHistory,
    /// One training job's GPU, CPU and memory over 15 minutes, from Prometheus (`field`).
    TrainingHardware,
    /// Any kind the API server serves, as its discovery names it (the resource view).
    Resource(&'static crate::kube::discovery::ResKind),
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
            Kind::ModelTraffic | Kind::ModelHistory | Kind::TrainingHardware => "Prometheus metrics",
            Kind::Resource(r) => &r.resource,
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
            Kind::ModelTraffic | Kind::ModelHistory | Kind::TrainingHardware => "metric",
            Kind::Resource(r) => &r.singular,
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
            Kind::ModelTraffic | Kind::ModelHistory | Kind::TrainingHardware => "Prometheus",
            Kind::Resource(_) => "Kubernetes",
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

/// An object the user asked a verb for (a run, notebook, model, job…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerbTarget {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub display: String,
}
