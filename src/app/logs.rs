//! The Logs pane's session: what is being followed, which pod and container feeds which source,
//! and the choices the streams start with (container, since, tail, previous).
//!
//! Anything with pods is followed through a label selector, merged like a run's steps: each line
//! is prefixed by its pod's short name in its own colour, and new pods join as they appear. A
//! run's steps, a notebook, an InferenceService (predictor and transformer), a TrainJob's nodes and
//! a Katib trial are each one [`PodSet`].

use std::collections::{BTreeMap, BTreeSet};

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::pane::PaneId;
use crate::app::picker::{Picker, PickerItem, PickerKind};
use crate::app::state::{Level, Notice, State};
use crate::app::subs::{Kind, SubKey};
use crate::kube::resources::pod::PodRow;
use crate::logs::view::{LogView, MAX_PREFIX_NAME, display_width};

/// Pods found by a label selector, followed together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSet {
    /// The kind's word, as in `KIND/NAME`: `workflow`, `notebook`, `isvc`, `trainjob`, `trial`.
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    /// The label selector of the pods.
    pub selector: String,
    /// The container shown by default in a pod that has it; otherwise the pod's default
    /// container (the `kubectl.kubernetes.io/default-container` annotation, else the first).
    pub container: Option<String>,
}

/// What a log view follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSubject {
    /// Every pod of a set, merged, with new pods joining as they start.
    Pods(PodSet),
    /// One pod (its default container unless one is named).
    Pod {
        namespace: String,
        name: String,
        container: Option<String>,
        label: String,
    },
}

/// Kinds whose pods `:logs KIND/NAME` follows, with the words that name them.
const KINDS: &[(&[&str], &str)] = &[
    (&["workflow", "wf", "workflows", "run"], "workflow"),
    (&["notebook", "nb", "notebooks"], "notebook"),
    (
        &["isvc", "inferenceservice", "inferenceservices", "model"],
        "isvc",
    ),
    (&["trainjob", "trainjobs", "tj"], "trainjob"),
    (&["trial", "trials"], "trial"),
];

impl LogSubject {
    /// Every step of an Argo Workflow (a KFP run), container `main`, without KFP's drivers.
    pub fn run(namespace: &str, name: &str) -> LogSubject {
        LogSubject::pods(
            "workflow",
            namespace,
            name,
            "workflows.argoproj.io/workflow",
            Some("main"),
        )
    }

    /// A Kubeflow Notebook's pod: the container named like the notebook.
    pub fn notebook(namespace: &str, name: &str) -> LogSubject {
        LogSubject::pods("notebook", namespace, name, "notebook-name", Some(name))
    }

    /// A KServe InferenceService's predictor and transformer pods: the model server container.
    pub fn inference_service(namespace: &str, name: &str) -> LogSubject {
        LogSubject::pods(
            "isvc",
            namespace,
            name,
            "serving.kserve.io/inferenceservice",
            Some("kserve-container"),
        )
    }

    /// A Trainer v2 TrainJob's pods (those of its JobSet): the training `node` container.
    pub fn train_job(namespace: &str, name: &str) -> LogSubject {
        LogSubject::pods(
            "trainjob",
            namespace,
            name,
            "jobset.sigs.k8s.io/jobset-name",
            Some("node"),
        )
    }

    /// A Katib trial's pods: Katib's primary container, `training-container`.
    pub fn trial(namespace: &str, name: &str) -> LogSubject {
        LogSubject::pods(
            "trial",
            namespace,
            name,
            "katib.kubeflow.org/trial",
            Some("training-container"),
        )
    }

    fn pods(
        kind: &'static str,
        namespace: &str,
        name: &str,
        label: &str,
        container: Option<&str>,
    ) -> LogSubject {
        LogSubject::Pods(PodSet {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
            selector: format!("{label}={name}"),
            container: container.map(str::to_string),
        })
    }

    /// The subject of `:logs KIND/NAME [CONTAINER]`.
    pub fn parse(
        kind: &str,
        namespace: &str,
        name: &str,
        container: Option<&str>,
    ) -> Result<LogSubject, String> {
        if name.is_empty() || name.contains('/') {
            return Err(format!("logs of what? \"{kind}/{name}\" is not KIND/NAME"));
        }
        let lower = kind.to_ascii_lowercase();
        if matches!(lower.as_str(), "pod" | "po" | "pods") {
            return Ok(LogSubject::Pod {
                namespace: namespace.to_string(),
                name: name.to_string(),
                container: container.map(str::to_string),
                label: name.to_string(),
            });
        }
        let word = KINDS
            .iter()
            .find(|(words, _)| words.contains(&lower.as_str()))
            .map(|(_, word)| *word)
            .ok_or_else(|| {
                format!("no logs for \"{kind}\": use pod, workflow, notebook, isvc, trainjob or trial")
            })?;
        let mut subject = match word {
            "notebook" => LogSubject::notebook(namespace, name),
            "isvc" => LogSubject::inference_service(namespace, name),
            "trainjob" => LogSubject::train_job(namespace, name),
            "trial" => LogSubject::trial(namespace, name),
            _ => LogSubject::run(namespace, name),
        };
        if let (LogSubject::Pods(set), Some(c)) = (&mut subject, container) {
            set.container = Some(c.to_string());
        }
        Ok(subject)
    }

    pub fn namespace(&self) -> &str {
        match self {
            LogSubject::Pods(set) => &set.namespace,
            LogSubject::Pod { namespace, .. } => namespace,
        }
    }

    /// `workflow/NAME`, `notebook/NAME`, `pod/NAME`, for titles and file names.
    pub fn title(&self) -> String {
        match self {
            LogSubject::Pods(set) => format!("{}/{}", set.kind, set.name),
            LogSubject::Pod {
                name,
                container: Some(c),
                ..
            } => format!("pod/{name} ({c})"),
            LogSubject::Pod { name, .. } => format!("pod/{name}"),
        }
    }

    /// The watch that tells which pods there are (and their containers).
    pub fn pods_key(&self, context: &str) -> SubKey {
        let (selector, field) = match self {
            LogSubject::Pods(set) => (Some(set.selector.clone()), None),
            LogSubject::Pod { name, .. } => (None, Some(format!("metadata.name={name}"))),
        };
        SubKey {
            context: context.to_string(),
            namespace: Some(self.namespace().to_string()),
            kind: Kind::Pods,
            selector,
            field,
        }
    }
}

/// Which containers of each pod are streamed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ContainerChoice {
    /// The subject's default container.
    #[default]
    Default,
    /// This container, in the pods that have it.
    Named(String),
    /// Every container and init container: one source per pod and container.
    All,
}

/// `:since` choices the key cycles through, in seconds (`None`: the whole log).
pub const SINCE_STEPS: [Option<u32>; 5] = [Some(60), Some(300), Some(900), Some(3600), None];
/// `:tail` choices the key cycles through, in lines (`None`: the whole log).
pub const TAIL_STEPS: [Option<u32>; 4] = [Some(100), Some(1000), Some(10_000), None];

/// `5m`, `1h30m`, `45s`, `2d` → seconds; `all` → `None`.
pub fn parse_since(text: &str) -> Result<Option<u32>, String> {
    let bad = || format!("since takes a duration such as 30s, 5m, 1h, 1h30m, or all — not \"{text}\"");
    let t = text.trim().to_ascii_lowercase();
    if matches!(t.as_str(), "all" | "-" | "0") {
        return Ok(None);
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = total.saturating_add(n.saturating_mul(unit));
    }
    if !digits.is_empty() || total == 0 {
        return Err(bad());
    }
    u32::try_from(total).map(Some).map_err(|_| bad())
}

/// `1000`, `1,000`, `10k` → lines; `all` → `None`.
pub fn parse_tail(text: &str) -> Result<Option<u32>, String> {
    let bad = || format!("tail takes a number of lines such as 100, 1000, 10k, or all — not \"{text}\"");
    let t = text.trim().to_ascii_lowercase().replace([',', '_'], "");
    if t == "all" || t == "-" {
        return Ok(None);
    }
    let (number, factor) = match t.strip_suffix('k') {
        Some(n) => (n, 1000),
        None => (t.as_str(), 1),
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u32 = number.parse().map_err(|_| bad())?;
    n.checked_mul(factor).map(Some).ok_or_else(bad)
}

/// `5m`, `1h`, `1h30m`, `45s`.
pub fn since_text(seconds: u32) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let mut out = String::new();
    for (n, unit) in [(d, 'd'), (h, 'h'), (m, 'm'), (s, 's')] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// `1,000`.
fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The choice after `current` in `steps` (the first when `current` is not one of them).
fn next_step(steps: &[Option<u32>], current: Option<u32>) -> Option<u32> {
    let i = steps.iter().position(|s| *s == current);
    match i {
        Some(i) => steps[(i + 1) % steps.len()],
        None => steps.first().copied().flatten(),
    }
}

/// The open log session.
#[derive(Debug, Clone)]
pub struct LogSession {
    pub subject: LogSubject,
    pub view: LogView,
    /// The subject's pods seen so far, by name.
    pub pods: BTreeMap<String, PodRow>,
    /// Streams started, by pod and container asked for (`None`: the pod's default), with
    /// their source index.
    pub streams: BTreeMap<(String, Option<String>), usize>,
    /// Showing the previous instance of the containers.
    pub previous: bool,
    pub container: ContainerChoice,
    /// Start with the lines of the last N seconds (`None`: all).
    pub since: Option<u32>,
    /// Start with the last N lines (`None`: all).
    pub tail: Option<u32>,
}

impl LogSession {
    pub fn new(id: u64, subject: LogSubject, capacity: usize) -> LogSession {
        LogSession {
            view: LogView::with_capacity(id, subject.title(), capacity),
            subject,
            pods: BTreeMap::new(),
            streams: BTreeMap::new(),
            previous: false,
            container: ContainerChoice::Default,
            since: None,
            tail: None,
        }
    }

    pub fn id(&self) -> u64 {
        self.view.id()
    }

    /// The subject and the choices that differ from the defaults: `isvc/iris · all containers ·
    /// since 5m · last 1,000 lines`.
    pub fn title(&self) -> String {
        let mut t = self.subject.title();
        match &self.container {
            ContainerChoice::Default => {}
            ContainerChoice::Named(c) => t.push_str(&format!(" · container {c}")),
            ContainerChoice::All => t.push_str(" · all containers"),
        }
        if self.previous {
            t.push_str(" · previous");
        }
        if let Some(s) = self.since {
            t.push_str(&format!(" · since {}", since_text(s)));
        }
        if let Some(n) = self.tail {
            t.push_str(&format!(" · last {} lines", grouped(n)));
        }
        t
    }

    /// Whether this pod belongs to the subject and has user logs.
    fn wants(&self, pod: &PodRow) -> bool {
        match &self.subject {
            LogSubject::Pods(_) => !pod.driver,
            LogSubject::Pod { name, .. } => pod.name == *name,
        }
    }

    /// The containers to stream for a pod, each with its source name. For the one-pod subject
    /// `pod` may be unknown yet (the default or named container needs no spec).
    fn plan(&self, name: &str, pod: Option<&PodRow>) -> Vec<(Option<String>, String)> {
        let short = match (&self.subject, pod) {
            (LogSubject::Pod { label, .. }, _) => label.clone(),
            (LogSubject::Pods(_), Some(p)) => p.replica.clone(),
            (LogSubject::Pods(_), None) => name.to_string(),
        };
        let has =
            |c: &str| pod.is_some_and(|p| p.containers.iter().chain(&p.init_containers).any(|n| n == c));
        match (&self.container, &self.subject) {
            (ContainerChoice::Default, LogSubject::Pod { container, .. }) => vec![(container.clone(), short)],
            (ContainerChoice::Default, LogSubject::Pods(set)) => {
                let Some(pod) = pod else { return Vec::new() };
                let chosen = set
                    .container
                    .clone()
                    .filter(|c| has(c))
                    .or_else(|| pod.default_container.clone());
                vec![(chosen, short)]
            }
            (ContainerChoice::Named(c), LogSubject::Pod { .. }) => vec![(Some(c.clone()), short)],
            // Pods without that container (a transformer beside a predictor) sit it out.
            (ContainerChoice::Named(c), LogSubject::Pods(_)) if has(c) => vec![(Some(c.clone()), short)],
            (ContainerChoice::Named(_), LogSubject::Pods(_)) => Vec::new(),
            (ContainerChoice::All, _) => {
                let Some(pod) = pod else { return Vec::new() };
                let one_pod = matches!(self.subject, LogSubject::Pod { .. });
                pod.init_containers
                    .iter()
                    .chain(&pod.containers)
                    .map(|c| {
                        let label = if one_pod {
                            c.clone()
                        } else {
                            pod_container_label(&short, c)
                        };
                        (Some(c.clone()), label)
                    })
                    .collect()
            }
        }
    }

    /// Starts the streams a pod should have and does not have yet.
    fn start_pod(&mut self, context: &str, name: &str, effects: &mut Vec<Effect>) {
        let pod = self.pods.get(name).cloned();
        for (container, label) in self.plan(name, pod.as_ref()) {
            let key = (name.to_string(), container.clone());
            if self.streams.contains_key(&key) {
                continue;
            }
            let source = self.view.add_source(label);
            self.streams.insert(key, source);
            effects.push(Effect::StreamLogs {
                context: context.to_string(),
                view: self.id(),
                source,
                namespace: self.subject.namespace().to_string(),
                pod: name.to_string(),
                container,
                previous: self.previous,
                since_seconds: self.since.map(i64::from),
                tail_lines: self.tail.map(i64::from),
            });
        }
    }

    /// Starts every stream the known pods (or the one pod) should have, oldest pod first.
    fn start_all(&mut self, context: &str, effects: &mut Vec<Effect>) {
        if let LogSubject::Pod { name, .. } = &self.subject {
            let name = name.clone();
            return self.start_pod(context, &name, effects);
        }
        let mut pods: Vec<(String, String)> = self
            .pods
            .values()
            .map(|p| (p.created.clone(), p.name.clone()))
            .collect();
        pods.sort();
        for (_, name) in pods {
            self.start_pod(context, &name, effects);
        }
    }

    /// The containers of the pods seen, with how many pods have each and whether it is an init
    /// container: for the picker.
    pub fn containers(&self) -> Vec<(String, usize, bool)> {
        let mut seen: BTreeMap<(bool, String), usize> = BTreeMap::new();
        let mut order: Vec<(bool, String)> = Vec::new();
        for pod in self.pods.values() {
            let all = pod
                .init_containers
                .iter()
                .map(|c| (true, c))
                .chain(pod.containers.iter().map(|c| (false, c)));
            for (init, c) in all {
                let key = (init, c.clone());
                if !seen.contains_key(&key) {
                    order.push(key.clone());
                }
                *seen.entry(key).or_default() += 1;
            }
        }
        // Containers first, then init containers, each in the order the pods list them.
        order.sort_by_key(|(init, _)| *init);
        order
            .into_iter()
            .map(|(init, c)| {
                let n = seen.get(&(init, c.clone())).copied().unwrap_or(0);
                (c, n, init)
            })
            .collect()
    }
}

/// `replica/container`, shortened from the replica's front to fit the prefix column.
fn pod_container_label(replica: &str, container: &str) -> String {
    let full = format!("{replica}/{container}");
    if display_width(&full) <= MAX_PREFIX_NAME {
        return full;
    }
    let room = MAX_PREFIX_NAME.saturating_sub(display_width(container) + 2);
    if room < 3 {
        return format!("…/{container}");
    }
    let chars: Vec<char> = replica.chars().collect();
    let kept: String = chars[chars.len().saturating_sub(room)..].iter().collect();
    format!("…{kept}/{container}")
}

fn notice(state: &mut State, level: Level, text: String) {
    state.notice = Some(Notice { level, text });
    state.dirty = true;
}

/// Opens a log session, closing the previous one's streams. The container choice starts over;
/// since and tail carry over from the previous session.
pub fn open(state: &mut State, subject: LogSubject, effects: &mut Vec<Effect>) {
    let (since, tail) = match state.logs.take() {
        Some(old) => {
            effects.push(Effect::StopLogs { view: old.id() });
            (old.since, old.tail)
        }
        None => (None, None),
    };
    state.request_seq += 1;
    let mut session = LogSession::new(state.request_seq, subject, state.log_capacity);
    session.since = since;
    session.tail = tail;
    let body = crate::layout::areas(ratatui::layout::Rect::new(0, 0, state.width, state.height)).body;
    let area = crate::layout::logs_body_area(body);
    session.view = session.view.renewed(session.id(), session.title());
    session.view.set_viewport(area.width, area.height);
    session.start_all(&state.target.context, effects);
    state.logs = Some(session);
    state.pane = PaneId::Logs;
    state.dirty = true;
}

/// Opens the logs of a Trainer v2 TrainJob: every node, merged.
pub fn open_train_job(state: &mut State, namespace: &str, name: &str, effects: &mut Vec<Effect>) {
    open(state, LogSubject::train_job(namespace, name), effects);
}

/// Opens the logs of a Katib trial.
pub fn open_trial(state: &mut State, namespace: &str, name: &str, effects: &mut Vec<Effect>) {
    open(state, LogSubject::trial(namespace, name), effects);
}

/// The logs subject of the selected row in a pane that lists things with pods (`None`: this
/// pane's selection has no logs here; `Err`: nothing is selected).
pub fn selected_subject(state: &State) -> Option<Result<LogSubject, String>> {
    match state.pane {
        PaneId::Notebooks => Some(
            state
                .notebooks
                .selected_row()
                .map(|r| LogSubject::notebook(&r.namespace, &r.name))
                .ok_or_else(|| "no notebook selected".to_string()),
        ),
        PaneId::Models => Some(
            state
                .models
                .selected_row()
                .map(|r| LogSubject::inference_service(&r.namespace, &r.name))
                .ok_or_else(|| "no model selected".to_string()),
        ),
        PaneId::Cluster if state.cluster.kind.is_pods() => Some(
            state
                .cluster
                .list
                .selected_row()
                .map(|r| LogSubject::Pod {
                    namespace: r.namespace.to_string(),
                    name: r.name.to_string(),
                    container: None,
                    label: r.name.to_string(),
                })
                .ok_or_else(|| "no pod selected".to_string()),
        ),
        _ => None,
    }
}

/// `:logs KIND/NAME [CONTAINER]`.
pub fn logs_command(state: &mut State, arg: &str, container: Option<&str>, effects: &mut Vec<Effect>) {
    let Some((kind, name)) = arg.split_once('/') else {
        return notice(
            state,
            Level::Error,
            format!(
                "logs of what? :logs KIND/NAME (pod, workflow, notebook, isvc, trainjob, trial), not \"{arg}\""
            ),
        );
    };
    let namespace = match &state.target.namespace {
        Some(ns) => ns.clone(),
        None => {
            // All namespaces: the namespace of a listed object of that name, if there is one.
            let listed = state
                .runs
                .rows
                .iter()
                .map(|r| (&r.name, &r.namespace))
                .chain(state.notebooks.rows.iter().map(|r| (&r.name, &r.namespace)))
                .chain(state.models.rows.iter().map(|r| (&r.name, &r.namespace)))
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, ns)| ns.clone());
            match listed {
                Some(ns) => ns,
                None => {
                    return notice(
                        state,
                        Level::Error,
                        "showing all namespaces: pick one with :ns first".to_string(),
                    );
                }
            }
        }
    };
    match LogSubject::parse(kind, &namespace, name, container) {
        Ok(subject) => open(state, subject, effects),
        Err(e) => notice(state, Level::Error, e),
    }
}

/// The subject's pods, as the watch sees them: new ones join the view.
pub fn on_pods(state: &mut State, rows: &[PodRow], effects: &mut Vec<Effect>) {
    let context = state.target.context.clone();
    let Some(session) = state.logs.as_mut() else {
        return;
    };
    let mut fresh: Vec<&PodRow> = rows.iter().filter(|p| session.wants(p)).collect();
    fresh.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name)));
    for pod in fresh {
        session.pods.insert(pod.name.clone(), pod.clone());
        session.start_pod(&context, &pod.name, effects);
    }
    if let Some(picker) = state.picker.as_mut().filter(|p| p.kind == PickerKind::Container)
        && let Some(session) = state.logs.as_ref()
    {
        picker.set_items(container_items(session));
    }
    state.dirty = true;
}

/// Stops every stream and starts them again with the session's current choices, in a fresh view
/// (lines still on their way from the old streams are dropped with the old view's id).
pub fn restart(state: &mut State, effects: &mut Vec<Effect>) {
    let context = state.target.context.clone();
    state.request_seq += 1;
    let id = state.request_seq;
    let Some(session) = state.logs.as_mut() else {
        return;
    };
    effects.push(Effect::StopLogs { view: session.id() });
    session.view = session.view.renewed(id, session.title());
    session.streams.clear();
    session.start_all(&context, effects);
    state.dirty = true;
}

/// The session, or a notice that these choices need open logs.
fn session_or_notice<'a>(state: &'a mut State, what: &str) -> Option<&'a mut LogSession> {
    if state.logs.is_none() {
        notice(
            state,
            Level::Info,
            format!("{what} applies to open logs: open some first (l on a row, or :logs KIND/NAME)"),
        );
        return None;
    }
    state.logs.as_mut()
}

/// Changes a choice of the open logs (`what`, for the notice when none are open), restarts the
/// streams with it and says what they now show (`change`'s answer).
fn rechoose(
    state: &mut State,
    what: &str,
    effects: &mut Vec<Effect>,
    change: impl FnOnce(&mut LogSession) -> String,
) {
    let Some(session) = session_or_notice(state, what) else {
        return;
    };
    let text = change(session);
    restart(state, effects);
    notice(state, Level::Info, text);
}

/// `p`: the previous instance of the containers, or back to the current one.
pub fn toggle_previous(state: &mut State, effects: &mut Vec<Effect>) {
    rechoose(state, "previous", effects, |session| {
        session.previous = !session.previous;
        let which = if session.previous { "previous" } else { "current" };
        format!("logs of the {which} containers")
    });
}

/// Sets how far back the streams start (`None`: the whole log) and restarts them.
pub fn set_since(state: &mut State, since: Option<u32>, effects: &mut Vec<Effect>) {
    rechoose(state, "since", effects, |session| {
        session.since = since;
        match since {
            Some(s) => format!("logs since {} ago", since_text(s)),
            None => "logs from the start".to_string(),
        }
    });
}

/// Sets how many earlier lines the streams start with (`None`: all) and restarts them.
pub fn set_tail(state: &mut State, tail: Option<u32>, effects: &mut Vec<Effect>) {
    rechoose(state, "tail", effects, |session| {
        session.tail = tail;
        match tail {
            Some(n) => format!("logs from the last {} lines", grouped(n)),
            None => "logs with every earlier line".to_string(),
        }
    });
}

/// The `since` key: 1m → 5m → 15m → 1h → all → 1m.
pub fn cycle_since(state: &mut State, effects: &mut Vec<Effect>) {
    let next = next_step(&SINCE_STEPS, state.logs.as_ref().and_then(|s| s.since));
    set_since(state, next, effects);
}

/// The `tail-lines` key: 100 → 1,000 → 10,000 → all → 100.
pub fn cycle_tail(state: &mut State, effects: &mut Vec<Effect>) {
    let next = next_step(&TAIL_STEPS, state.logs.as_ref().and_then(|s| s.tail));
    set_tail(state, next, effects);
}

/// `:since 5m`.
pub fn since_command(state: &mut State, arg: &str, effects: &mut Vec<Effect>) {
    match parse_since(arg) {
        Ok(since) => set_since(state, since, effects),
        Err(e) => notice(state, Level::Error, e),
    }
}

/// `:tail 1000`.
pub fn tail_command(state: &mut State, arg: &str, effects: &mut Vec<Effect>) {
    match parse_tail(arg) {
        Ok(tail) => set_tail(state, tail, effects),
        Err(e) => notice(state, Level::Error, e),
    }
}

/// The container picker's items: all containers, then each container of the pods seen.
fn container_items(session: &LogSession) -> Vec<PickerItem> {
    let pods = session.pods.len();
    let mut items = vec![PickerItem {
        value: None,
        label: "all containers".into(),
        detail: "one source per pod and container".into(),
    }];
    let default = match &session.subject {
        LogSubject::Pods(set) => set.container.clone(),
        LogSubject::Pod { container, .. } => container.clone(),
    };
    items.extend(session.containers().into_iter().map(|(c, n, init)| {
        let mut detail = Vec::new();
        if init {
            detail.push("init container".to_string());
        }
        if default.as_deref() == Some(c.as_str()) {
            detail.push("default".to_string());
        }
        if pods > 1 {
            detail.push(format!("{n} of {pods} pods"));
        }
        PickerItem {
            value: Some(c.clone()),
            label: c,
            detail: detail.join(" · "),
        }
    }));
    items
}

/// `c`: the container picker.
pub fn open_container_picker(state: &mut State) {
    let Some(session) = session_or_notice(state, "the container picker") else {
        return;
    };
    let current = match &session.container {
        ContainerChoice::Named(c) => Some(c.clone()),
        ContainerChoice::All => None,
        ContainerChoice::Default => match &session.subject {
            LogSubject::Pods(set) => set.container.clone(),
            LogSubject::Pod { container, .. } => container.clone(),
        },
    };
    let mut picker = Picker::new(
        PickerKind::Container,
        container_items(session),
        current.as_deref(),
    );
    if session.pods.is_empty() {
        picker.loading = true;
        picker.note = Some("no pod seen yet: type a container name and press enter".into());
    }
    state.picker = Some(picker);
    state.dirty = true;
}

/// Streams another container (`None`: all containers) and restarts the streams.
pub fn choose_container(state: &mut State, choice: Option<String>, effects: &mut Vec<Effect>) {
    let Some(session) = session_or_notice(state, "container") else {
        return;
    };
    let choice = match choice {
        None => ContainerChoice::All,
        Some(c) => {
            let known: BTreeSet<String> = session.containers().into_iter().map(|(c, _, _)| c).collect();
            if !session.pods.is_empty() && !known.contains(&c) {
                let list = known.into_iter().collect::<Vec<_>>().join(", ");
                return notice(
                    state,
                    Level::Error,
                    format!("no container \"{c}\" in these pods: they have {list}"),
                );
            }
            ContainerChoice::Named(c)
        }
    };
    let text = match &choice {
        ContainerChoice::All => "logs of all containers".to_string(),
        ContainerChoice::Named(c) => format!("logs of container {c}"),
        ContainerChoice::Default => String::new(),
    };
    session.container = choice;
    restart(state, effects);
    notice(state, Level::Info, text);
}

/// `:container NAME`, `:container all`.
pub fn container_command(state: &mut State, arg: &str, effects: &mut Vec<Effect>) {
    let choice = match arg {
        "all" | "*" | "-a" => None,
        name => Some(name.to_string()),
    };
    choose_container(state, choice, effects);
}

/// An action in the Logs pane with a session open; what is not the log view's is the app's.
pub fn view_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let Some(session) = state.logs.as_mut() else {
        return crate::app::update::apply(state, action, effects);
    };
    let view = &mut session.view;
    match action {
        Action::Up => view.scroll_up(1),
        Action::Down => view.scroll_down(1),
        Action::PageUp => view.page_up(),
        Action::PageDown => view.page_down(),
        Action::Top => view.top(),
        Action::Bottom => view.bottom(),
        Action::Follow => view.toggle_follow(),
        Action::Wrap => view.toggle_wrap(),
        Action::Timestamps => view.toggle_timestamps(),
        Action::Utc => view.toggle_utc(),
        Action::ScrollLeft => view.scroll_left(8),
        Action::ScrollRight => view.scroll_right(8),
        Action::Filter => view.search_start(),
        Action::NextMatch => view.search_next(),
        Action::PrevMatch => view.search_prev(),
        Action::Cancel => {
            if view.filter().is_some() {
                view.toggle_filter();
            } else {
                view.search_clear();
            }
        }
        Action::Grep => {
            if !view.toggle_filter() && view.filter().is_none() {
                crate::app::update::notice(
                    state,
                    Level::Info,
                    "search first (/), then & shows only the matching lines".to_string(),
                );
            }
        }
        Action::Save => crate::app::update::save_logs(state, effects),
        Action::Previous => toggle_previous(state, effects),
        Action::Container => open_container_picker(state),
        Action::Since => cycle_since(state, effects),
        Action::TailLines => cycle_tail(state, effects),
        other => crate::app::update::apply(state, other, effects),
    }
    state.dirty = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_parses_durations_and_all() {
        assert_eq!(parse_since("5m"), Ok(Some(300)));
        assert_eq!(parse_since("1h30m"), Ok(Some(5400)));
        assert_eq!(parse_since("45s"), Ok(Some(45)));
        assert_eq!(parse_since("2d"), Ok(Some(172_800)));
        assert_eq!(parse_since("ALL"), Ok(None));
        for bad in ["", "5", "m", "5x", "-5m", "1.5h", "0m"] {
            let e = parse_since(bad).unwrap_err();
            assert!(e.contains("30s, 5m, 1h"), "{bad:?}: {e}");
        }
        assert_eq!(since_text(300), "5m");
        assert_eq!(since_text(5400), "1h30m");
        assert_eq!(since_text(3600), "1h");
    }

    #[test]
    fn tail_parses_line_counts_and_all() {
        assert_eq!(parse_tail("1000"), Ok(Some(1000)));
        assert_eq!(parse_tail("10,000"), Ok(Some(10_000)));
        assert_eq!(parse_tail("10k"), Ok(Some(10_000)));
        assert_eq!(parse_tail("0"), Ok(Some(0)));
        assert_eq!(parse_tail("all"), Ok(None));
        for bad in ["", "-3", "1e3", "lots", "k", "99999999999"] {
            let e = parse_tail(bad).unwrap_err();
            assert!(e.contains("100, 1000"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_keys_cycle_through_the_choices() {
        assert_eq!(next_step(&SINCE_STEPS, None), Some(60));
        assert_eq!(next_step(&SINCE_STEPS, Some(3600)), None);
        assert_eq!(next_step(&SINCE_STEPS, Some(42)), Some(60));
        assert_eq!(next_step(&TAIL_STEPS, Some(100)), Some(1000));
        assert_eq!(next_step(&TAIL_STEPS, Some(10_000)), None);
    }

    #[test]
    fn kind_words_name_selectors_and_default_containers() {
        let s = |kind: &str| LogSubject::parse(kind, "ns", "x", None);
        let set = |r: Result<LogSubject, String>| match r {
            Ok(LogSubject::Pods(set)) => (set.kind, set.selector, set.container),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            set(s("notebook")),
            ("notebook", "notebook-name=x".into(), Some("x".into()))
        );
        let isvc = (
            "isvc",
            "serving.kserve.io/inferenceservice=x".into(),
            Some("kserve-container".into()),
        );
        assert_eq!(set(s("isvc")), isvc);
        assert_eq!(set(s("inferenceservice")), isvc);
        assert_eq!(
            set(s("trainjob")),
            (
                "trainjob",
                "jobset.sigs.k8s.io/jobset-name=x".into(),
                Some("node".into())
            )
        );
        assert_eq!(
            set(s("trial")),
            (
                "trial",
                "katib.kubeflow.org/trial=x".into(),
                Some("training-container".into())
            )
        );
        assert_eq!(
            set(s("wf")),
            (
                "workflow",
                "workflows.argoproj.io/workflow=x".into(),
                Some("main".into())
            )
        );
        assert_eq!(
            set(LogSubject::parse(
                "trainjob",
                "ns",
                "x",
                Some("dataset-initializer")
            ))
            .2,
            Some("dataset-initializer".into())
        );
        assert!(matches!(s("pod"), Ok(LogSubject::Pod { .. })));
        let e = s("deployment").unwrap_err();
        assert!(e.contains("notebook, isvc, trainjob or trial"), "{e}");
        assert!(LogSubject::parse("pod", "ns", "", None).is_err());
        assert_eq!(LogSubject::notebook("ns", "jup").title(), "notebook/jup");
    }

    #[test]
    fn long_pod_and_container_prefixes_keep_both_ends() {
        assert_eq!(pod_container_label("node-0-1", "node"), "node-0-1/node");
        let l = pod_container_label("predictor-00002-x7k2p", "kserve-container");
        assert_eq!(l, "…-x7k2p/kserve-container");
        assert!(display_width(&l) <= MAX_PREFIX_NAME);
    }

    fn pod(name: &str, containers: &[&str], inits: &[&str]) -> PodRow {
        PodRow {
            namespace: "ns".into(),
            name: name.into(),
            phase: "Running".into(),
            step: name.into(),
            driver: false,
            created: "2026-01-01T00:00:00Z".into(),
            replica: format!("r-{name}"),
            containers: containers.iter().map(|c| c.to_string()).collect(),
            init_containers: inits.iter().map(|c| c.to_string()).collect(),
            default_container: containers.first().map(|c| c.to_string()),
        }
    }

    /// A stream asked for: pod, container, since, tail.
    type Asked = (String, Option<String>, Option<i64>, Option<i64>);

    fn streamed(effects: &[Effect]) -> Vec<Asked> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::StreamLogs {
                    pod,
                    container,
                    since_seconds,
                    tail_lines,
                    ..
                } => Some((pod.clone(), container.clone(), *since_seconds, *tail_lines)),
                _ => None,
            })
            .collect()
    }

    fn state_with_logs(subject: LogSubject) -> (State, Vec<Effect>) {
        let target = crate::app::state::Target {
            context: "c".into(),
            namespace: Some("ns".into()),
            server_version: None,
            conn: crate::app::state::ConnState::Connected,
            demo: true,
        };
        let mut state = State::new(target, chrono::Utc::now());
        let mut effects = Vec::new();
        open(&mut state, subject, &mut effects);
        (state, effects)
    }

    #[test]
    fn pods_join_with_their_default_container_and_choices_restart_the_streams() {
        let (mut state, effects) = state_with_logs(LogSubject::inference_service("ns", "iris"));
        assert!(streamed(&effects).is_empty(), "a pod set waits for its pods");
        let rows = [
            pod(
                "iris-predictor-a",
                &["kserve-container", "queue-proxy"],
                &["storage-initializer"],
            ),
            pod("iris-transformer-b", &["transformer-container"], &[]),
        ];
        let mut effects = Vec::new();
        on_pods(&mut state, &rows, &mut effects);
        assert_eq!(
            streamed(&effects),
            [
                (
                    "iris-predictor-a".into(),
                    Some("kserve-container".into()),
                    None,
                    None
                ),
                (
                    "iris-transformer-b".into(),
                    Some("transformer-container".into()),
                    None,
                    None
                ),
            ],
            "the default container where a pod has it, else the pod's own default"
        );
        let again = {
            let mut e = Vec::new();
            on_pods(&mut state, &rows, &mut e);
            e
        };
        assert!(streamed(&again).is_empty(), "a pod joins once");

        let old = state.logs.as_ref().unwrap().id();
        let mut effects = Vec::new();
        container_command(&mut state, "queue-proxy", &mut effects);
        assert!(effects.contains(&Effect::StopLogs { view: old }));
        assert_eq!(
            streamed(&effects),
            [("iris-predictor-a".into(), Some("queue-proxy".into()), None, None)]
        );
        let session = state.logs.as_ref().unwrap();
        assert_ne!(
            session.id(),
            old,
            "a fresh view ignores the old streams' late lines"
        );
        assert!(session.title().contains("container queue-proxy"));

        let mut effects = Vec::new();
        container_command(&mut state, "all", &mut effects);
        let all = streamed(&effects);
        assert_eq!(all.len(), 4, "{all:?}");
        let names: Vec<&str> = state
            .logs
            .as_ref()
            .unwrap()
            .view
            .sources()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        let want = [
            ("r-iris-predictor-a", "storage-initializer"),
            ("r-iris-predictor-a", "kserve-container"),
            ("r-iris-predictor-a", "queue-proxy"),
            ("r-iris-transformer-b", "transformer-container"),
        ]
        .map(|(p, c)| pod_container_label(p, c));
        assert_eq!(names, want, "init containers first, each labelled pod/container");
        assert!(names.iter().all(|n| display_width(n) <= MAX_PREFIX_NAME));

        let mut effects = Vec::new();
        container_command(&mut state, "sidecar", &mut effects);
        assert!(effects.is_empty());
        let text = &state.notice.as_ref().unwrap().text;
        assert!(text.contains("no container \"sidecar\""), "{text}");

        let mut effects = Vec::new();
        since_command(&mut state, "5m", &mut effects);
        tail_command(&mut state, "1000", &mut effects);
        let last: Vec<_> = streamed(&effects).into_iter().rev().take(4).collect();
        assert!(
            last.iter().all(|s| (s.2, s.3) == (Some(300), Some(1000))),
            "{last:?}"
        );
        let title = state.logs.as_ref().unwrap().view.title().to_string();
        assert!(title.ends_with("· since 5m · last 1,000 lines"), "{title}");

        let mut effects = Vec::new();
        since_command(&mut state, "soon", &mut effects);
        assert!(effects.is_empty());
        assert_eq!(state.notice.as_ref().unwrap().level, Level::Error);
    }

    #[test]
    fn one_pod_streams_at_once_and_lists_its_containers_when_seen() {
        let subject = LogSubject::Pod {
            namespace: "ns".into(),
            name: "p".into(),
            container: None,
            label: "p".into(),
        };
        let (mut state, effects) = state_with_logs(subject);
        assert_eq!(streamed(&effects), [("p".into(), None, None, None)]);
        open_container_picker(&mut state);
        assert!(state.picker.as_ref().unwrap().loading);
        let mut effects = Vec::new();
        on_pods(
            &mut state,
            &[pod("p", &["main", "wait"], &["init"]), pod("q", &["x"], &[])],
            &mut effects,
        );
        assert!(
            streamed(&effects).is_empty(),
            "the default stream is already there"
        );
        let labels: Vec<String> = state
            .picker
            .as_ref()
            .unwrap()
            .items
            .iter()
            .map(|i| format!("{} {}", i.label, i.detail))
            .collect();
        assert_eq!(
            labels,
            [
                "all containers one source per pod and container",
                "main ",
                "wait ",
                "init init container"
            ]
        );
        state.picker = None;
        let mut effects = Vec::new();
        choose_container(&mut state, None, &mut effects);
        let names: Vec<&str> = state
            .logs
            .as_ref()
            .unwrap()
            .view
            .sources()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["init", "main", "wait"]);
    }
}
