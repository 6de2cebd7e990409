//! Subscriptions are state: the set of watches the app wants follows from where it is looking.

use std::collections::BTreeSet;

use crate::app::picker::PickerKind;
use crate::app::state::State;
pub use crate::kube::key::{Kind, SubKey};

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
    // KFP's history of the namespace (of every profile namespace under all namespaces) while the
    // Runs pane shows.
    if state.pane == crate::app::pane::PaneId::Runs {
        set.insert(SubKey {
            context: state.target.context.clone(),
            namespace: state.target.namespace.clone(),
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
    set.extend(crate::app::cluster::wanted(state));
    set.extend(crate::app::training::wanted(state));
    set.extend(crate::app::experiments::wanted(state));
    set.extend(crate::app::monitor::wanted(state));
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
