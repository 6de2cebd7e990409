//! The Training pane's state beyond its list: one watch per training API feeds one list, so
//! the rows and the health of each source are kept per watch and merged; a missing API (no
//! legacy training operator, say) leaves the others showing. Enter opens a job's detail, which
//! also lists the training runtimes for reference.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::logs::{LogSubject, PodSet};
use crate::app::pane::PaneId;
use crate::app::state::{Confirm, Level, Notice, SourceState, State, VerbTarget};
use crate::app::subs::{Kind, SubKey};
use crate::kube::kubeflow_ops::Verb;
use crate::kube::resources::train_job::{JobKind, RuntimeRow, TrainRow};
use crate::kube::training_ops::TrainingVerb;

/// The job whose detail is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenJob {
    pub namespace: String,
    pub name: String,
    pub kind: JobKind,
    /// Lines scrolled off the top of the detail.
    pub scroll: usize,
}

/// Rows and health per watch, the runtimes, and the open job.
#[derive(Debug, Clone, Default)]
pub struct TrainingState {
    sources: BTreeMap<SubKey, Arc<[TrainRow]>>,
    statuses: BTreeMap<SubKey, SourceState>,
    runtimes: BTreeMap<SubKey, Arc<[RuntimeRow]>>,
    pub open: Option<OpenJob>,
}

impl TrainingState {
    /// The APIs whose current watch (one of `subs`) says they are not served.
    pub fn missing(&self, subs: &std::collections::BTreeSet<SubKey>) -> Vec<JobKind> {
        self.statuses
            .iter()
            .filter(|(k, _)| subs.contains(*k))
            .filter_map(|(k, s)| match (k.kind, s) {
                (Kind::Training(kind), SourceState::NotInstalled { .. }) => Some(kind),
                _ => None,
            })
            .collect()
    }

    /// Every runtime listed so far: the namespace's, then the cluster's, by name.
    pub fn runtimes(&self) -> Vec<&RuntimeRow> {
        let mut all: Vec<&RuntimeRow> = self.runtimes.values().flat_map(|rows| rows.iter()).collect();
        all.sort_by(|a, b| a.cluster.cmp(&b.cluster).then_with(|| a.name.cmp(&b.name)));
        all
    }

    /// Whether the runtimes have been listed (even as none).
    pub fn runtimes_loaded(&self) -> bool {
        !self.runtimes.is_empty()
    }
}

/// The open job's row, while it is still listed.
pub fn open_row(state: &State) -> Option<&TrainRow> {
    let open = state.train.open.as_ref()?;
    state
        .training
        .rows
        .iter()
        .find(|r| r.kind == open.kind && r.name == open.name && r.namespace == open.namespace)
}

/// The watches the Training pane needs: one per training API, and the runtimes while a job is
/// open.
pub fn wanted(state: &State) -> Vec<SubKey> {
    let mut out = Vec::new();
    if state.pane != PaneId::Training {
        return out;
    }
    let key = |kind, namespace: Option<String>, selector: Option<String>| SubKey {
        context: state.target.context.clone(),
        namespace,
        kind,
        selector,
        field: None,
    };
    for kind in JobKind::WATCHED {
        out.push(key(
            Kind::Training(kind),
            state.target.namespace.clone(),
            state.training.selector.clone(),
        ));
    }
    if let Some(open) = &state.train.open {
        out.push(key(Kind::TrainingRuntimes, Some(open.namespace.clone()), None));
        out.push(key(Kind::ClusterTrainingRuntimes, None, None));
    }
    out
}

fn prune<V>(map: &mut BTreeMap<SubKey, V>, subs: &std::collections::BTreeSet<SubKey>) {
    map.retain(|k, _| subs.contains(k));
}

/// The merged health of the training watches: live when any source lists, not installed only
/// when none is served.
fn combined(state: &State) -> SourceState {
    let keys: Vec<&SubKey> = state
        .subs
        .iter()
        .filter(|k| matches!(k.kind, Kind::Training(_)))
        .collect();
    let status = |k: &SubKey| state.train.statuses.get(k).cloned().unwrap_or_default();
    let listing = keys.iter().any(|k| {
        matches!(status(k), SourceState::Live | SourceState::Listing)
            || state.train.sources.get(*k).is_some_and(|r| !r.is_empty())
    });
    if listing {
        return keys
            .iter()
            .find_map(|k| match status(k) {
                s @ SourceState::Stale { .. } => Some(s),
                _ => None,
            })
            .unwrap_or(SourceState::Live);
    }
    let all: Vec<SourceState> = keys.iter().map(|k| status(k)).collect();
    if all.is_empty() || all.contains(&SourceState::Loading) {
        return SourceState::Loading;
    }
    if all.iter().all(|s| matches!(s, SourceState::NotInstalled { .. })) {
        return SourceState::NotInstalled {
            what: JobKind::TrainJob.product().to_string(),
        };
    }
    all.into_iter()
        .find(|s| {
            matches!(
                s,
                SourceState::Forbidden { .. } | SourceState::Failed { .. } | SourceState::Stale { .. }
            )
        })
        .unwrap_or(SourceState::Loading)
}

/// New rows from one training watch: kept for that watch, and the list shows all of them.
pub fn on_rows(state: &mut State, key: SubKey, rows: Arc<[TrainRow]>) {
    if !state.subs.contains(&key) {
        return;
    }
    state.train.sources.insert(key.clone(), rows);
    state.train.statuses.insert(key, SourceState::Live);
    let subs = state.subs.clone();
    prune(&mut state.train.sources, &subs);
    prune(&mut state.train.statuses, &subs);
    let merged: Vec<TrainRow> = state
        .train
        .sources
        .iter()
        .filter(|(k, _)| matches!(k.kind, Kind::Training(_)))
        .flat_map(|(_, rows)| rows.iter().cloned())
        .collect();
    state
        .training
        .set_rows(Arc::from(merged), state.list_height, state.now);
    state.training.source = combined(state);
    state.dirty = true;
}

/// New runtimes for the open job's detail.
pub fn on_runtimes(state: &mut State, key: SubKey, rows: Arc<[RuntimeRow]>) {
    if !state.subs.contains(&key) {
        return;
    }
    state.train.runtimes.insert(key, rows);
    let subs = state.subs.clone();
    prune(&mut state.train.runtimes, &subs);
    state.dirty = true;
}

/// The health of one training watch, folded into the list's: returns what the list shows.
/// Other kinds pass through unchanged.
pub fn combine_source(state: &mut State, key: &SubKey, source: SourceState) -> SourceState {
    if !matches!(key.kind, Kind::Training(_)) {
        return source;
    }
    state.train.statuses.insert(key.clone(), source);
    let subs = state.subs.clone();
    prune(&mut state.train.statuses, &subs);
    combined(state)
}

/// Enter: opens the selected job's detail.
pub fn open(state: &mut State) {
    match state.training.selected_row() {
        Some(r) => {
            state.train.open = Some(OpenJob {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
                kind: r.kind,
                scroll: 0,
            })
        }
        None => {
            state.notice = Some(Notice {
                level: Level::Info,
                text: "no training job selected".into(),
            })
        }
    }
}

/// An action while a training job's detail is open (the view stack routes only the detail's own here).
pub fn detail_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let page = state.list_height.max(1);
    let end = state.detail_end;
    let Some(open) = state.train.open.as_mut() else {
        return;
    };
    match action {
        _ if scroll_detail(&mut open.scroll, action, page, end) => {}
        Action::Cancel => state.train.open = None,
        Action::SuspendRun | Action::Resume | Action::Delete => {
            let target = VerbTarget {
                kind: Kind::Training(open.kind),
                namespace: open.namespace.clone(),
                name: open.name.clone(),
                display: open.name.clone(),
            };
            let verb = match action {
                Action::SuspendRun => TrainingVerb::Suspend,
                Action::Resume => TrainingVerb::Resume,
                _ => TrainingVerb::Delete,
            };
            state.confirm = Some(Confirm::new(Verb::Training(verb), vec![target]));
        }
        other => crate::app::update::apply(state, other, effects),
    }
    state.dirty = true;
}

/// The scroll position that stands for a detail's end while its height is not known (views
/// draw at most to their last page).
pub const BOTTOM: usize = usize::MAX / 4;

/// Scrolls a detail view of text by a line or a page (`page` lines), or to the top or the end
/// (`end`: its last scroll position, when known); false for any other action.
pub(crate) fn scroll_detail(scroll: &mut usize, action: Action, page: usize, end: Option<usize>) -> bool {
    let last = end.unwrap_or(BOTTOM);
    let at = (*scroll).min(last);
    *scroll = match action {
        Action::Up => at.saturating_sub(1),
        Action::Down => (at + 1).min(last),
        Action::PageUp => at.saturating_sub(page),
        Action::PageDown => (at + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    true
}

/// The verb an action asks for in the Training pane, if any.
pub fn verb_for(action: Action) -> Option<Verb> {
    match action {
        Action::SuspendRun => Some(Verb::Training(TrainingVerb::Suspend)),
        Action::Resume => Some(Verb::Training(TrainingVerb::Resume)),
        Action::Delete => Some(Verb::Training(TrainingVerb::Delete)),
        _ => None,
    }
}

/// The logs of a training job: every pod of it, merged, the training container shown.
pub fn log_subject(kind: JobKind, namespace: &str, name: &str) -> LogSubject {
    let container = match kind {
        JobKind::TrainJob => return LogSubject::train_job(namespace, name),
        JobKind::PyTorch => "pytorch",
        JobKind::Tf => "tensorflow",
        JobKind::Jax => "jax",
        JobKind::XgBoost => "xgboostjob",
    };
    LogSubject::Pods(PodSet {
        kind: kind.singular(),
        namespace: namespace.to_string(),
        name: name.to_string(),
        selector: kind.pod_selector(name),
        container: Some(container.to_string()),
    })
}

/// `l`: follows the logs of the open job, else the selected one.
pub fn tail(state: &mut State, effects: &mut Vec<Effect>) {
    let target = match &state.train.open {
        Some(o) => Some((o.kind, o.namespace.clone(), o.name.clone())),
        None => state
            .training
            .selected_row()
            .map(|r| (r.kind, r.namespace.clone(), r.name.clone())),
    };
    match target {
        Some((kind, ns, name)) => crate::app::logs::open(state, log_subject(kind, &ns, &name), effects),
        None => {
            state.notice = Some(Notice {
                level: Level::Info,
                text: "no training job selected".into(),
            });
            state.dirty = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detail_scrolls_inside_its_content_once_its_end_is_known() {
        let mut scroll = 0;
        assert!(scroll_detail(&mut scroll, Action::Bottom, 10, Some(37)));
        assert_eq!(scroll, 37, "G goes to the last page");
        scroll_detail(&mut scroll, Action::Up, 10, Some(37));
        assert_eq!(scroll, 36, "k after G moves up a line at once");
        scroll_detail(&mut scroll, Action::PageDown, 10, Some(37));
        assert_eq!(scroll, 37, "never past the end");
        scroll = BOTTOM;
        scroll_detail(&mut scroll, Action::Up, 10, Some(37));
        assert_eq!(
            scroll, 36,
            "an end reached before the height was known is taken back to it"
        );
        scroll_detail(&mut scroll, Action::Bottom, 10, None);
        assert_eq!(
            scroll, BOTTOM,
            "without a frame yet, the end is the sentinel the render clamps"
        );
        assert!(!scroll_detail(&mut scroll, Action::Open, 10, None));
    }
}
