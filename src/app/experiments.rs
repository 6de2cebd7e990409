//! The open Katib experiment: its trials, watched by the experiment's label, as a table with a
//! column per parameter and per metric, sortable by any of them.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::pane::PaneId;
use crate::app::sort::column_index;
use crate::app::state::{Confirm, Level, Notice, Sort, SourceState, State, VerbTarget};
use crate::app::subs::{Kind, SubKey};
use crate::app::viewer::{TextView, ViewKind};
use crate::kube::kubeflow_ops::Verb;
use crate::kube::resources::experiment::{EXPERIMENT_LABEL, ExperimentRow, TrialRow, number};
use crate::kube::training_ops::ExperimentVerb;

/// What a trials-table column shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The trial's name; sorts in creation order.
    Trial,
    Status,
    Param(String),
    Metric(String),
    Duration,
}

impl Column {
    /// The name `:sort` takes and the header shows (lower case).
    pub fn name(&self) -> String {
        match self {
            Column::Trial => "trial".into(),
            Column::Status => "status".into(),
            Column::Param(p) | Column::Metric(p) => p.to_lowercase(),
            Column::Duration => "duration".into(),
        }
    }
}

/// The open experiment.
#[derive(Debug, Clone)]
pub struct ExperimentDetail {
    pub namespace: String,
    pub name: String,
    pub trials: Arc<[TrialRow]>,
    pub source: SourceState,
    pub sort: Sort,
    /// Indices into `trials`, in display order.
    pub order: Vec<usize>,
    /// Index into `order`.
    pub selected: usize,
    pub offset: usize,
}

impl ExperimentDetail {
    pub fn new(namespace: String, name: String) -> ExperimentDetail {
        ExperimentDetail {
            namespace,
            name,
            trials: Arc::from(Vec::new()),
            source: SourceState::Loading,
            sort: Sort::default(),
            order: Vec::new(),
            selected: 0,
            offset: 0,
        }
    }

    pub fn selected_trial(&self) -> Option<&TrialRow> {
        self.order.get(self.selected).and_then(|i| self.trials.get(*i))
    }

    /// The trials in display order.
    pub fn ordered(&self) -> impl Iterator<Item = &TrialRow> {
        self.order.iter().filter_map(|i| self.trials.get(*i))
    }

    /// The trials in creation order (what the chart plots).
    pub fn chronological(&self) -> Vec<&TrialRow> {
        let mut all: Vec<&TrialRow> = self.trials.iter().collect();
        all.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name)));
        all
    }

    /// Re-sorts, keeping the selection on the same trial.
    pub fn resort(&mut self, columns: &[Column]) {
        let selected = self.selected_trial().map(|t| t.uid.clone());
        let column = columns.get(self.sort.column).cloned().unwrap_or(Column::Trial);
        let trials = &self.trials;
        let mut order: Vec<usize> = (0..trials.len()).collect();
        order.sort_by(|a, b| match (trials.get(*a), trials.get(*b)) {
            (Some(x), Some(y)) => {
                let o = compare(x, y, &column)
                    .then_with(|| x.created.cmp(&y.created))
                    .then_with(|| x.name.cmp(&y.name));
                if self.sort.descending { o.reverse() } else { o }
            }
            _ => Ordering::Equal,
        });
        self.order = order;
        if let Some(pos) = selected.and_then(|uid| {
            self.order
                .iter()
                .position(|i| self.trials.get(*i).is_some_and(|t| t.uid == uid))
        }) {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.order.len().saturating_sub(1));
    }

    /// Keeps the selection inside a window of `height` rows.
    pub fn clamp(&mut self, height: usize) {
        self.offset = crate::app::list::window_offset(self.selected, self.offset, self.order.len(), height);
    }
}

/// Numbers compare as numbers, missing values last, the rest as text.
fn compare_values(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a.filter(|s| !s.is_empty()), b.filter(|s| !s.is_empty())) {
        (Some(x), Some(y)) => match (number(x), number(y)) {
            (Some(p), Some(q)) => p.total_cmp(&q),
            _ => x.cmp(y),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn compare(a: &TrialRow, b: &TrialRow, column: &Column) -> Ordering {
    match column {
        Column::Trial => a.created.cmp(&b.created),
        Column::Status => a.status.cmp(&b.status),
        Column::Param(p) => compare_values(a.param(p), b.param(p)),
        Column::Metric(m) => compare_values(a.metric(m), b.metric(m)),
        Column::Duration => duration(a).cmp(&duration(b)),
    }
}

fn duration(t: &TrialRow) -> Option<i64> {
    Some((t.finished? - t.started?).num_seconds())
}

/// The table's columns: the trial, its status, each parameter of the search space (and any
/// the trials carry beyond it), each metric (the objective first), and the duration.
pub fn columns(exp: Option<&ExperimentRow>, trials: &[TrialRow]) -> Vec<Column> {
    let mut params: Vec<String> = exp
        .map(|e| e.parameters.iter().map(|p| p.name.clone()).collect())
        .unwrap_or_default();
    let mut metrics: Vec<String> = exp
        .map(|e| {
            std::iter::once(e.metric.clone())
                .chain(e.additional_metrics.iter().cloned())
                .filter(|m| !m.is_empty())
                .collect()
        })
        .unwrap_or_default();
    for t in trials {
        for (p, _) in &t.params {
            if !params.contains(p) {
                params.push(p.clone());
            }
        }
        for m in &t.metrics {
            if !metrics.contains(&m.name) {
                metrics.push(m.name.clone());
            }
        }
    }
    let mut out = vec![Column::Trial, Column::Status];
    out.extend(params.into_iter().map(Column::Param));
    out.extend(metrics.into_iter().map(Column::Metric));
    out.push(Column::Duration);
    out
}

/// The open experiment's row, while it is still listed.
pub fn open_row(state: &State) -> Option<&ExperimentRow> {
    let d = state.experiment.as_ref()?;
    state
        .experiments
        .rows
        .iter()
        .find(|r| r.name == d.name && r.namespace == d.namespace)
}

fn detail_columns(state: &State) -> Vec<Column> {
    let trials = state
        .experiment
        .as_ref()
        .map(|d| d.trials.clone())
        .unwrap_or_else(|| Arc::from(Vec::new()));
    columns(open_row(state), &trials)
}

/// The watch the open experiment needs: its trials.
pub fn wanted(state: &State) -> Vec<SubKey> {
    match (&state.experiment, state.pane) {
        (Some(d), PaneId::Experiments) => vec![SubKey {
            context: state.target.context.clone(),
            namespace: Some(d.namespace.clone()),
            kind: Kind::Trials,
            selector: Some(format!("{EXPERIMENT_LABEL}={}", d.name)),
            field: None,
        }],
        _ => Vec::new(),
    }
}

/// Rows of the trials table's body for the current screen.
pub fn table_height(state: &State) -> usize {
    crate::layout::trials_height(state.width, state.height)
}

/// New trials of the open experiment.
pub fn on_trials(state: &mut State, key: SubKey, rows: Arc<[TrialRow]>) {
    if !state.subs.contains(&key) {
        return;
    }
    let height = table_height(state);
    let columns = {
        let exp = open_row(state);
        columns(exp, &rows)
    };
    if let Some(d) = state.experiment.as_mut() {
        d.trials = rows;
        d.source = SourceState::Live;
        d.resort(&columns);
        d.clamp(height);
        state.dirty = true;
    }
}

/// The health of a watch that feeds no list (trials, runtimes). Returns whether it was one.
pub fn on_status(state: &mut State, key: &SubKey, status: &crate::app::msg::SubStatus) -> bool {
    use crate::app::msg::SubStatus;
    match key.kind {
        Kind::Trials => {
            if let Some(d) = state.experiment.as_mut() {
                d.source = match status {
                    SubStatus::Live => SourceState::Live,
                    SubStatus::Listing => SourceState::Listing,
                    SubStatus::Retrying { error, .. } => SourceState::Stale { error: error.clone() },
                    SubStatus::NotInstalled => SourceState::NotInstalled { what: "Katib".into() },
                    SubStatus::Forbidden { message } => SourceState::Forbidden {
                        message: message.clone(),
                    },
                    SubStatus::Failed { message } => SourceState::Failed {
                        message: message.clone(),
                    },
                };
                state.dirty = true;
            }
            true
        }
        Kind::TrainingRuntimes | Kind::ClusterTrainingRuntimes => true,
        _ => false,
    }
}

/// Enter: opens the selected experiment and its trials.
pub fn open(state: &mut State) {
    match state.experiments.selected_row() {
        Some(r) => state.experiment = Some(ExperimentDetail::new(r.namespace.clone(), r.name.clone())),
        None => {
            state.notice = Some(Notice {
                level: Level::Info,
                text: "no experiment selected".into(),
            })
        }
    }
}

/// Sorts the trials table by a column named on the command line. Returns whether the table
/// was open to take it.
pub fn sort_command(state: &mut State, column: &str, direction: Option<&str>) -> bool {
    if state.pane != PaneId::Experiments || state.experiment.is_none() {
        return false;
    }
    let columns = detail_columns(state);
    let names: Vec<String> = columns.iter().map(Column::name).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let descending = match direction {
        Some("desc" | "d" | "-") => Some(true),
        Some("asc" | "a" | "+") => Some(false),
        _ => None,
    };
    match column_index(&refs, column) {
        Some(c) => {
            if let Some(d) = state.experiment.as_mut() {
                let descending = descending.unwrap_or(d.sort.column == c && !d.sort.descending);
                d.sort = Sort {
                    column: c,
                    descending,
                };
                d.resort(&columns);
            }
        }
        None => {
            state.notice = Some(Notice {
                level: Level::Error,
                text: format!("no column \"{column}\": sort trials by {}", names.join(", ")),
            });
        }
    }
    state.dirty = true;
    true
}

/// Keys while an experiment is open. Returns false for keys it leaves to the list's handling.
pub fn detail_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let height = table_height(state);
    let columns = detail_columns(state);
    let context = state.target.context.clone();
    let Some(d) = state.experiment.as_mut() else {
        return;
    };
    let last = d.order.len().saturating_sub(1);
    match action {
        Action::Cancel => state.experiment = None,
        Action::Up => d.selected = d.selected.saturating_sub(1),
        Action::Down => d.selected = (d.selected + 1).min(last),
        Action::PageUp => d.selected = d.selected.saturating_sub(height.max(1)),
        Action::PageDown => d.selected = (d.selected + height.max(1)).min(last),
        Action::Top => d.selected = 0,
        Action::Bottom => d.selected = last,
        Action::SortNext | Action::SortPrev => {
            let n = columns.len().max(1);
            let step = if action == Action::SortNext { 1 } else { n - 1 };
            d.sort = Sort {
                column: (d.sort.column + step) % n,
                descending: false,
            };
            d.resort(&columns);
        }
        Action::Yaml | Action::Describe => {
            let Some(trial) = d.selected_trial().map(|t| t.name.clone()) else {
                state.notice = Some(Notice {
                    level: Level::Info,
                    text: "no trial selected".into(),
                });
                state.dirty = true;
                return;
            };
            let namespace = d.namespace.clone();
            let view = if action == Action::Yaml {
                ViewKind::Yaml
            } else {
                ViewKind::Describe
            };
            state.request_seq += 1;
            let request = state.request_seq;
            state.viewer = Some(TextView::loading(request, view, format!("trial/{trial}")));
            effects.push(Effect::Fetch {
                request,
                context,
                kind: Kind::Trials,
                namespace,
                name: trial,
                view,
            });
        }
        Action::Delete => {
            let target = VerbTarget {
                kind: Kind::Experiments,
                namespace: d.namespace.clone(),
                name: d.name.clone(),
                display: d.name.clone(),
            };
            state.confirm = Some(Confirm::new(
                Verb::Experiment(ExperimentVerb::Delete),
                vec![target],
            ));
        }
        other => crate::app::update::apply(state, other, effects),
    }
    if let Some(d) = state.experiment.as_mut() {
        d.clamp(height);
    }
    state.dirty = true;
}

/// `l`: follows the logs of the selected trial of the open experiment.
pub fn tail(state: &mut State, effects: &mut Vec<Effect>) {
    let trial = state
        .experiment
        .as_ref()
        .and_then(|d| d.selected_trial().map(|t| (d.namespace.clone(), t.name.clone())));
    match trial {
        Some((ns, name)) => crate::app::logs::open_trial(state, &ns, &name, effects),
        None => {
            let text = if state.experiment.is_some() {
                "no trial selected"
            } else {
                "open the experiment (enter) and select a trial to follow its logs"
            };
            state.notice = Some(Notice {
                level: Level::Info,
                text: text.into(),
            });
            state.dirty = true;
        }
    }
}
