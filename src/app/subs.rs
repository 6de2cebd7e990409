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
}

impl Kind {
    /// Plural resource name with its group, as an error message would name it.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Workflows | Kind::RunGraph => "workflows.argoproj.io",
            Kind::Namespaces => "namespaces",
            Kind::Pods => "pods",
            Kind::Notebooks => "notebooks.kubeflow.org",
            Kind::InferenceServices => "inferenceservices.serving.kserve.io",
        }
    }

    /// The lower-case singular name, as in `workflow/NAME`.
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Workflows | Kind::RunGraph => "workflow",
            Kind::Namespaces => "namespace",
            Kind::Pods => "pod",
            Kind::Notebooks => "notebook",
            Kind::InferenceServices => "inferenceservice",
        }
    }

    /// The product that serves this API, for "not installed" messages.
    pub fn product(self) -> &'static str {
        match self {
            Kind::Workflows | Kind::RunGraph => "Argo Workflows",
            Kind::Namespaces | Kind::Pods => "Kubernetes",
            Kind::Notebooks => "Kubeflow Notebooks",
            Kind::InferenceServices => "KServe",
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
    let pane_kind = match state.pane {
        crate::app::pane::PaneId::Notebooks => Some((Kind::Notebooks, state.notebooks.selector.clone())),
        crate::app::pane::PaneId::Models => Some((Kind::InferenceServices, state.models.selector.clone())),
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
    if let Some(crate::app::logs::LogSubject::Run { namespace, name }) =
        state.logs.as_ref().map(|l| &l.subject)
    {
        set.insert(SubKey {
            context: state.target.context.clone(),
            namespace: Some(namespace.clone()),
            kind: Kind::Pods,
            selector: Some(format!("workflows.argoproj.io/workflow={name}")),
            field: None,
        });
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
