//! The resource view: any kind the cluster serves (`:pods`, `:events`, `:pvc`, `:res KIND`), as
//! `kubectl get` prints it, live. From a pod `o` goes to its owner; from an event `enter` goes to
//! its object; from a Kubeflow object `o` opens its pods here.

use std::sync::Arc;

use crate::app::effect::Effect;
use crate::app::list::ListView;
use crate::app::pane::PaneId;
use crate::app::state::{Level, State};
use crate::app::update::notice;
use crate::kube::discovery::{self, ApiKind, ResKind};
use crate::kube::key::{Kind, SubKey};
use crate::kube::resources::table::{Column, ObjRef, TableRow};

/// What the resource view shows and what it knows of the cluster's kinds.
#[derive(Debug, Clone)]
pub struct ClusterState {
    pub kind: &'static ResKind,
    pub list: ListView<TableRow>,
    pub columns: Arc<[Column]>,
    /// The kinds the server serves (a few common ones until discovery answers).
    pub kinds: Arc<[ApiKind]>,
    /// The context whose kinds `kinds` are.
    pub discovered: Option<String>,
    /// A field selector the API server applies (`:pods` of one node).
    pub field: Option<String>,
    /// How the view was reached (`pods of notebook/x`), said in its title.
    pub scope: Option<String>,
    /// What the listed pods use now, by `namespace/name` (empty where metrics are not served).
    pub usage: crate::kube::pod_usage::UsageMap,
}

impl Default for ClusterState {
    fn default() -> Self {
        ClusterState {
            kind: discovery::pods(),
            list: ListView::new(),
            columns: Arc::from(Vec::new()),
            kinds: discovery::builtin().into(),
            discovered: None,
            field: None,
            scope: None,
            usage: Arc::default(),
        }
    }
}

/// The sort columns of [`TableRow`] by name.
fn sort_index(name: &str) -> usize {
    use crate::app::list::ListRow;
    TableRow::SORT_COLUMNS
        .iter()
        .position(|c| *c == name)
        .unwrap_or(0)
}

/// Shows `kind` in the resource view, filtered by a label selector, a field selector or a name.
pub fn open_kind(
    state: &mut State,
    kind: &'static ResKind,
    selector: Option<String>,
    field: Option<String>,
    filter: Option<&str>,
    scope: Option<String>,
) {
    let c = &mut state.cluster;
    if c.kind != kind || c.list.selector != selector || c.field != field {
        c.kind = kind;
        c.list = ListView::new();
        c.columns = Arc::from(Vec::new());
        c.usage = Arc::default();
        c.list.selector = selector;
        c.field = field;
        c.list.sort.column = if kind.is_events() { sort_index("type") } else { 0 };
    }
    c.scope = scope;
    c.list.filter.clear();
    if let Some(f) = filter {
        c.list.filter.insert_str(f);
    }
    c.list.recompute(state.now);
    c.list.selected = 0;
    c.list.offset = 0;
    state.pane = PaneId::Cluster;
    state.dirty = true;
}

/// `:res KIND` or `:KIND`: shows the kind when the server serves one by that name. Returns
/// whether `word` named a kind.
pub fn command(state: &mut State, word: &str, rest: Option<&str>) -> bool {
    let name = match (word, rest) {
        ("res" | "resource", Some(kind)) => kind,
        ("res" | "resource", None) => {
            notice(
                state,
                Level::Info,
                ":res KIND shows any kind the cluster serves (pods, events, pvc, deploy, nodes…)".to_string(),
            );
            return true;
        }
        (w, _) => w,
    };
    let Some(kind) = discovery::resolve(&state.cluster.kinds, name).map(|k| k.res) else {
        if matches!(word, "res" | "resource") {
            notice(
                state,
                Level::Error,
                format!("the cluster serves no kind named \"{name}\" (kubectl api-resources lists them)"),
            );
            return true;
        }
        return false;
    };
    open_kind(state, kind, None, None, None, None);
    true
}

/// The names `:` completes to: every kind's plural and short names.
pub fn completions(state: &State) -> Vec<String> {
    let mut names: Vec<String> = state
        .cluster
        .kinds
        .iter()
        .flat_map(|k| std::iter::once(k.res.plural.clone()).chain(k.short_names.iter().cloned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The watch the resource view wants while it shows.
pub fn wanted(state: &State) -> Option<SubKey> {
    if state.pane != PaneId::Cluster {
        return None;
    }
    let c = &state.cluster;
    Some(SubKey {
        context: state.target.context.clone(),
        namespace: if c.kind.namespaced {
            state.target.namespace.clone()
        } else {
            None
        },
        kind: Kind::Resource(c.kind),
        selector: c.list.selector.clone(),
        field: c.field.clone(),
    })
}

/// A snapshot of the view's watch.
pub fn on_table(state: &mut State, key: &SubKey, columns: Arc<[Column]>, rows: Arc<[TableRow]>) {
    if !state.subs.contains(key) || key.kind != Kind::Resource(state.cluster.kind) {
        return;
    }
    state.cluster.columns = columns;
    state.cluster.list.set_rows(rows, state.list_height, state.now);
    state.dirty = true;
}

/// What the view's pods use now.
pub fn on_usage(state: &mut State, key: &SubKey, usage: crate::kube::pod_usage::UsageMap) {
    if state.subs.contains(key) && key.kind == Kind::Resource(state.cluster.kind) {
        state.cluster.usage = usage;
        state.dirty = true;
    }
}

/// The kinds discovery found for a context.
pub fn on_discovered(state: &mut State, context: &str, result: Result<Vec<ApiKind>, String>) {
    match result {
        Ok(kinds) if !kinds.is_empty() => {
            state.cluster.kinds = kinds.into();
            state.cluster.discovered = Some(context.to_string());
        }
        Ok(_) => {}
        Err(e) => tracing::info!("discovery failed in {context}: {e}"),
    }
}

/// Asks for the context's kinds unless they are known.
pub fn discover(state: &State, effects: &mut Vec<Effect>) {
    let context = &state.target.context;
    if !context.is_empty() && state.cluster.discovered.as_deref() != Some(context.as_str()) {
        effects.push(Effect::Discover(context.clone()));
    }
}

/// The served kind an object reference names (by its apiVersion's group and its kind).
fn kind_of(state: &State, r: &ObjRef) -> Option<&'static ResKind> {
    let group = r.api_version.split_once('/').map_or("", |(g, _)| g);
    state
        .cluster
        .kinds
        .iter()
        .find(|k| k.res.kind == r.kind && (r.api_version.is_empty() || k.res.group == group))
        .map(|k| k.res)
}

/// Shows an object: a Kubeflow object in its pane, selected by a filter on its name; any other
/// in the resource view.
pub fn show_object(state: &mut State, r: &ObjRef, why: &str) {
    let pane = match r.kind.as_str() {
        "Workflow" => Some(PaneId::Runs),
        "Notebook" => Some(PaneId::Notebooks),
        "InferenceService" => Some(PaneId::Models),
        "TrainJob" | "PyTorchJob" | "TFJob" | "MPIJob" | "XGBoostJob" | "PaddleJob" | "JAXJob" => {
            Some(PaneId::Training)
        }
        "Experiment" => Some(PaneId::Experiments),
        _ => None,
    };
    if let Some(pane) = pane {
        state.pane = pane;
        let now = state.now;
        if let Some(list) = state.list_mut(pane) {
            let input = list.filter_input();
            input.clear();
            input.insert_str(&r.name);
            list.refilter(now);
        }
        notice(state, Level::Info, format!("{} ({why})", r.label()));
        return;
    }
    match kind_of(state, r) {
        Some(kind) => {
            let scope = format!("{} ({why})", r.label());
            open_kind(state, kind, None, None, Some(&r.name), Some(scope));
        }
        None => notice(
            state,
            Level::Info,
            format!("{} is of a kind this cluster does not list", r.label()),
        ),
    }
}

/// `o`: from the resource view, the selected object's owner; from a Kubeflow pane, the
/// selection's pods.
pub fn related(state: &mut State) {
    if state.pane == PaneId::Cluster {
        let Some(row) = state.cluster.list.selected_row().cloned() else {
            return notice(state, Level::Info, "nothing selected".to_string());
        };
        match &row.owner {
            Some(owner) => show_object(state, owner, &format!("owner of {}", row.name)),
            None => notice(
                state,
                Level::Info,
                format!("{}/{} has no owner", row.res.singular, row.name),
            ),
        }
        return;
    }
    let Some(target) = state.list(state.pane).and_then(|l| l.selected()) else {
        return notice(state, Level::Info, "nothing selected".to_string());
    };
    match crate::kube::fetch::pod_selector(target.kind, &target.name) {
        Some(selector) => {
            let scope = format!("pods of {}/{}", target.kind.singular(), target.name);
            open_kind(state, discovery::pods(), Some(selector), None, None, Some(scope));
        }
        None => notice(
            state,
            Level::Info,
            format!("{}/{} runs no pods", target.kind.singular(), target.name),
        ),
    }
}

/// `enter` in the resource view: an event's object, else the object's description.
pub fn open(state: &mut State) -> bool {
    let Some(row) = state.cluster.list.selected_row().cloned() else {
        return false;
    };
    match row.event.as_ref().and_then(|e| e.subject.clone()) {
        Some(subject) => {
            show_object(state, &subject, &format!("from event {}", row.name));
            true
        }
        None => false,
    }
}
