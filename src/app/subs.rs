//! Subscriptions are state: the set of watches the app wants follows from where it is looking.

use std::collections::BTreeSet;

use crate::app::picker::PickerKind;
use crate::app::state::State;

/// A kind of resource the app watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Workflows,
    Namespaces,
}

impl Kind {
    /// Plural resource name with its group, as an error message would name it.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Workflows => "workflows.argoproj.io",
            Kind::Namespaces => "namespaces",
        }
    }

    /// The product that serves this API, for "not installed" messages.
    pub fn product(self) -> &'static str {
        match self {
            Kind::Workflows => "Argo Workflows",
            Kind::Namespaces => "Kubernetes",
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
        selector: state.runs_selector.clone(),
    });
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
        });
    }
    set
}
