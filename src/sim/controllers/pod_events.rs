//! The events the scheduler and the kubelet report about pods: `Scheduled`, then per container
//! `Pulling`/`Pulled`, `Created`, `Started`; `Killing` when a running pod is deleted; and, for
//! the failures the cluster models, image pulls retried with back-off (`Failed`, `BackOff`),
//! crash loops (`BackOff`) and containers killed out of memory (`OOMKilling` on the node).
//!
//! Whoever moved a pod (the Argo engine, a Kubeflow controller, the tiny kubelet, a client),
//! the recorder sees the change through a watch of the store and reports what happened since
//! the pod's last state, at the times the pod's status gives. Transitions that happened before
//! the recorder started are not reported (seeded history), except for the live pods of the
//! demo, which are reported as if they had just started. A pod owned by a Notebook has its
//! events reissued on the Notebook, as the notebook controller does.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use tokio::sync::broadcast::error::TryRecvError;

use super::kit;
use crate::sim::events::{self, Involved, Occurrence};
use crate::sim::rng::fnv32a;
use crate::sim::selector::{FieldSelector, LabelSelector};
use crate::sim::store::{Change, ChangeType, Filter, Store, Watch, WatchFrom};
use crate::sim::types;

/// Label of the benchmark runs `--scale` seeds (their pods are history, not demo).
const BENCH_LABEL: &str = "kftui.dev/bench";
/// How often pods in a back-off have their repeating events brought up to date.
const SERIES_EVERY: TimeDelta = TimeDelta::seconds(5);

/// Something that happened to a pod, as its status tells.
#[derive(Debug, Clone, PartialEq)]
enum Milestone {
    Scheduled {
        at: DateTime<Utc>,
    },
    /// A container ran for the first time.
    FirstRun {
        path: String,
        container: String,
        image: String,
        at: DateTime<Utc>,
    },
    /// A container ran again after `restarts` restarts.
    Rerun {
        path: String,
        container: String,
        image: String,
        restarts: i64,
        at: DateTime<Utc>,
    },
    /// The previous instance of a container was killed out of memory.
    OomKilled {
        container: String,
        restarts: i64,
        at: DateTime<Utc>,
    },
    /// The image cannot be pulled: tried with back-off since `first`.
    PullBackOff {
        path: String,
        image: String,
        why: String,
        first: DateTime<Utc>,
    },
    /// The container keeps failing: restarted with back-off since `first`.
    CrashLoop {
        path: String,
        container: String,
        first: DateTime<Utc>,
    },
}

impl Milestone {
    /// The key of a one-time milestone (`None` for a repeating one).
    fn key(&self) -> Option<String> {
        match self {
            Self::Scheduled { .. } => Some("scheduled".into()),
            Self::FirstRun { path, .. } => Some(format!("{path}/run")),
            Self::Rerun { path, restarts, .. } => Some(format!("{path}/run/{restarts}")),
            Self::OomKilled {
                container, restarts, ..
            } => Some(format!("{container}/oom/{restarts}")),
            Self::PullBackOff { .. } | Self::CrashLoop { .. } => None,
        }
    }

    fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Scheduled { at }
            | Self::FirstRun { at, .. }
            | Self::Rerun { at, .. }
            | Self::OomKilled { at, .. } => *at,
            Self::PullBackOff { first, .. } | Self::CrashLoop { first, .. } => *first,
        }
    }

    fn shifted(mut self, by: TimeDelta) -> Self {
        match &mut self {
            Self::Scheduled { at }
            | Self::FirstRun { at, .. }
            | Self::Rerun { at, .. }
            | Self::OomKilled { at, .. } => *at += by,
            Self::PullBackOff { .. } | Self::CrashLoop { .. } => {}
        }
        self
    }
}

fn time(v: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    kit::time_at(v, pointer)
}

/// What the pod's status says happened to it.
fn milestones(pod: &Value) -> Vec<Milestone> {
    let mut out = Vec::new();
    let node = kit::s(pod, "/spec/nodeName");
    let Some(created) = time(pod, "/metadata/creationTimestamp") else {
        return out;
    };
    if node.is_empty() || pod.get("status").is_none() {
        return out;
    }
    let scheduled_at = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| kit::s(c, "/type") == "PodScheduled" && kit::s(c, "/status") == "True")
        })
        .and_then(|c| time(c, "/lastTransitionTime"))
        .unwrap_or(created);
    out.push(Milestone::Scheduled { at: scheduled_at });
    for (list, spec_key) in [
        ("initContainerStatuses", "initContainers"),
        ("containerStatuses", "containers"),
    ] {
        let Some(statuses) = pod.pointer(&format!("/status/{list}")).and_then(Value::as_array) else {
            continue;
        };
        for cs in statuses {
            let container = kit::s(cs, "/name").to_string();
            let path = format!("spec.{spec_key}{{{container}}}");
            let image = kit::s(cs, "/image").to_string();
            let restarts = cs.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
            let current =
                time(cs, "/state/running/startedAt").or_else(|| time(cs, "/state/terminated/startedAt"));
            let previous = time(cs, "/lastState/terminated/startedAt");
            let first = if restarts > 0 {
                previous.or(current)
            } else {
                current
            };
            if let Some(at) = first {
                out.push(Milestone::FirstRun {
                    path: path.clone(),
                    container: container.clone(),
                    image: image.clone(),
                    at,
                });
            }
            if restarts > 0
                && let (Some(at), Some(_)) = (current, previous)
            {
                out.push(Milestone::Rerun {
                    path: path.clone(),
                    container: container.clone(),
                    image: image.clone(),
                    restarts,
                    at,
                });
            }
            if kit::s(cs, "/lastState/terminated/reason") == "OOMKilled"
                && let Some(at) = time(cs, "/lastState/terminated/finishedAt")
            {
                out.push(Milestone::OomKilled {
                    container: container.clone(),
                    restarts,
                    at,
                });
            }
            match kit::s(cs, "/state/waiting/reason") {
                "ErrImagePull" | "ImagePullBackOff" if first.is_none() => {
                    out.push(Milestone::PullBackOff {
                        path,
                        image,
                        why: kit::s(cs, "/state/waiting/message").to_string(),
                        first: scheduled_at + TimeDelta::seconds(1),
                    });
                }
                "CrashLoopBackOff" => out.push(Milestone::CrashLoop {
                    path,
                    container,
                    first: time(cs, "/lastState/terminated/finishedAt").unwrap_or(scheduled_at),
                }),
                _ => {}
            }
        }
    }
    out
}

/// Seconds a pull of `image` takes (plausible, fixed per image), at most `room`.
fn pull_seconds(image: &str, room: i64) -> f64 {
    let ms = 800 + i64::from(fnv32a(image) % 14_000);
    (ms.min(room.max(0) * 1000).max(100)) as f64 / 1000.0
}

/// Writes the events of `m` about `pod` (and their reissues on a Notebook owner).
fn report(
    store: &Store,
    pod: &Value,
    m: &Milestone,
    pulled: &mut HashSet<(String, String)>,
    now: DateTime<Utc>,
) {
    let node = kit::s(pod, "/spec/nodeName").to_string();
    let ns = kit::s(pod, "/metadata/namespace");
    let name = kit::s(pod, "/metadata/name");
    let me = Involved::of(pod);
    let notebook = Involved::controller_of(pod).filter(|o| o.kind == "Notebook");
    let emit = |inv: &Involved, occ: Occurrence, series: Option<(DateTime<Utc>, i64)>| {
        match series {
            Some((first, n)) => events::record_series(store, inv, &occ, first, n),
            None => events::record(store, inv, &occ),
        }
        if let Some(nb) = &notebook {
            let reissued = Occurrence {
                message: format!("Reissued from pod/{name}: {}", occ.message),
                component: "notebook-controller",
                host: String::new(),
                ..occ
            };
            match series {
                Some((first, n)) => events::record_series(store, nb, &reissued, first, n),
                None => events::record(store, nb, &reissued),
            }
        }
    };
    let kubelet = |occ: Occurrence| occ.on(&node);
    match m {
        Milestone::Scheduled { at } => emit(
            &me,
            Occurrence::normal(
                "Scheduled",
                format!("Successfully assigned {ns}/{name} to {node}"),
                "default-scheduler",
                *at,
            ),
            None,
        ),
        Milestone::FirstRun {
            path,
            container,
            image,
            at,
        } => {
            let inv = me.clone().part(path);
            if pulled.insert((node.clone(), image.clone())) {
                let created = time(pod, "/metadata/creationTimestamp").unwrap_or(*at);
                let secs = pull_seconds(image, (*at - created).num_seconds());
                let started = *at - TimeDelta::milliseconds((secs * 1000.0) as i64);
                emit(
                    &inv,
                    kubelet(Occurrence::normal(
                        "Pulling",
                        format!("Pulling image \"{image}\""),
                        "kubelet",
                        started,
                    )),
                    None,
                );
                let size = 50_000_000 + u64::from(fnv32a(&format!("{image}/size")) % 900_000_000);
                emit(
                    &inv,
                    kubelet(Occurrence::normal(
                        "Pulled",
                        format!(
                            "Successfully pulled image \"{image}\" in {secs:.3}s ({secs:.3}s including waiting). Image size: {size} bytes."
                        ),
                        "kubelet",
                        *at,
                    )),
                    None,
                );
            } else {
                emit(&inv, kubelet(already_present(image, *at)), None);
            }
            emit(&inv, kubelet(created_container(container, *at)), None);
            emit(&inv, kubelet(started_container(container, *at)), None);
        }
        Milestone::Rerun {
            path,
            container,
            image,
            at,
            ..
        } => {
            let inv = me.clone().part(path);
            emit(&inv, kubelet(already_present(image, *at)), None);
            emit(&inv, kubelet(created_container(container, *at)), None);
            emit(&inv, kubelet(started_container(container, *at)), None);
        }
        Milestone::OomKilled { container, at, .. } => {
            let pid = 1000 + fnv32a(&format!("{name}/{container}")) % 60_000;
            let rss = 2_000_000 + u64::from(fnv32a(name) % 14_000_000);
            events::record(
                store,
                &Involved::node(&node),
                &Occurrence::warning(
                    "OOMKilling",
                    format!(
                        "Memory cgroup out of memory: Killed process {pid} (python3) total-vm:{}kB, anon-rss:{rss}kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:{}kB oom_score_adj:{}",
                        rss + rss / 3,
                        rss / 500,
                        if kit::s(pod, "/status/qosClass") == "Guaranteed" { -997 } else { 999 },
                    ),
                    "kernel-monitor",
                    *at,
                )
                .on(&node),
            );
        }
        Milestone::PullBackOff {
            path,
            image,
            why,
            first,
        } => {
            let inv = me.clone().part(path);
            let (n, last) = events::backoff_tries(*first, now);
            if n < 1 {
                return;
            }
            let detail = why
                .split_once("ErrImagePull: ")
                .map_or(why.as_str(), |(_, d)| d)
                .trim();
            let detail = if detail.is_empty() {
                format!(
                    "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"
                )
            } else {
                format!("rpc error: code = NotFound desc = {detail}")
            };
            let series = Some((*first, n));
            emit(
                &inv,
                kubelet(Occurrence::normal(
                    "Pulling",
                    format!("Pulling image \"{image}\""),
                    "kubelet",
                    last,
                )),
                series,
            );
            emit(
                &inv,
                kubelet(Occurrence::warning(
                    "Failed",
                    format!("Failed to pull image \"{image}\": {detail}"),
                    "kubelet",
                    last,
                )),
                series,
            );
            emit(
                &inv,
                kubelet(Occurrence::warning(
                    "Failed",
                    "Error: ErrImagePull",
                    "kubelet",
                    last,
                )),
                series,
            );
            let backoff_first = *first + TimeDelta::seconds(1);
            if last >= backoff_first {
                let backoff = Some((backoff_first, n));
                emit(
                    &inv,
                    kubelet(Occurrence::normal(
                        "BackOff",
                        format!("Back-off pulling image \"{image}\""),
                        "kubelet",
                        last + TimeDelta::seconds(1),
                    )),
                    backoff,
                );
                emit(
                    &inv,
                    kubelet(Occurrence::warning(
                        "Failed",
                        "Error: ImagePullBackOff",
                        "kubelet",
                        last + TimeDelta::seconds(1),
                    )),
                    backoff,
                );
            }
        }
        Milestone::CrashLoop {
            path,
            container,
            first,
        } => {
            let (n, last) = events::backoff_tries(*first, now);
            if n < 1 {
                return;
            }
            emit(
                &me.clone().part(path),
                kubelet(Occurrence::warning(
                    "BackOff",
                    format!(
                        "Back-off restarting failed container {container} in pod {name}_{ns}({})",
                        me.uid
                    ),
                    "kubelet",
                    last,
                )),
                Some((*first, n)),
            );
        }
    }
}

fn already_present(image: &str, at: DateTime<Utc>) -> Occurrence {
    Occurrence::normal(
        "Pulled",
        format!("Container image \"{image}\" already present on machine"),
        "kubelet",
        at,
    )
}

fn created_container(container: &str, at: DateTime<Utc>) -> Occurrence {
    Occurrence::normal(
        "Created",
        format!("Created container: {container}"),
        "kubelet",
        at,
    )
}

fn started_container(container: &str, at: DateTime<Utc>) -> Occurrence {
    Occurrence::normal("Started", format!("Started container {container}"), "kubelet", at)
}

/// `Killing` for each container still running when the pod was deleted.
fn report_deleted(store: &Store, pod: &Value, now: DateTime<Utc>) {
    let node = kit::s(pod, "/spec/nodeName");
    let me = Involved::of(pod);
    for (list, spec_key) in [
        ("initContainerStatuses", "initContainers"),
        ("containerStatuses", "containers"),
    ] {
        let Some(statuses) = pod.pointer(&format!("/status/{list}")).and_then(Value::as_array) else {
            continue;
        };
        for cs in statuses
            .iter()
            .filter(|cs| cs.pointer("/state/running").is_some())
        {
            let container = kit::s(cs, "/name");
            events::record(
                store,
                &me.clone().part(&format!("spec.{spec_key}{{{container}}}")),
                &Occurrence::normal(
                    "Killing",
                    format!("Stopping container {container}"),
                    "kubelet",
                    now,
                )
                .on(node),
            );
        }
    }
}

/// What the recorder remembers of one pod.
#[derive(Debug, Default)]
struct Seen {
    uid: String,
    /// One-time milestones already reported.
    done: HashSet<String>,
    /// The pod is in a back-off whose events repeat with time.
    series: bool,
    /// The newest milestone's time (entries of long-settled pods are let go).
    last: DateTime<Utc>,
}

/// The scheduler's and the kubelet's event recorder.
pub struct PodEvents {
    watch: Option<Watch>,
    /// Transitions before this happened before the recorder started.
    since: DateTime<Utc>,
    seen: HashMap<(String, String), Seen>,
    /// Images present on each node.
    pulled: HashSet<(String, String)>,
    next_series: DateTime<Utc>,
}

impl PodEvents {
    /// Starts recording at `now`: reports the demo's live pods as if they had just started, and
    /// from then on every pod change.
    pub fn start(store: &Store, now: DateTime<Utc>) -> Self {
        let mut me = Self {
            watch: None,
            since: now,
            seen: HashMap::new(),
            pulled: HashSet::new(),
            next_series: now,
        };
        let rv = store.current_rv();
        me.report_live(store, now);
        match store.watch(types::pod_type(), &Filter::default(), WatchFrom::Rv(rv)) {
            Ok(w) => {
                for change in &w.initial {
                    me.observe(store, change, now);
                }
                me.watch = Some(w);
            }
            Err(e) => tracing::debug!("pod events: {e}"),
        }
        me
    }

    /// The live pods that are not benchmark history, reported at once; a pod whose start is
    /// older than the events' lifetime is reported as if it had just started.
    fn report_live(&mut self, store: &Store, now: DateTime<Utc>) {
        let bench: HashSet<String> = LabelSelector::parse(&format!("{BENCH_LABEL}=true"))
            .map(|labels| {
                let filter = Filter {
                    labels,
                    ..Filter::default()
                };
                store
                    .metas(types::workflow_type(), &filter)
                    .into_iter()
                    .map(|m| m.uid.clone())
                    .collect()
            })
            .unwrap_or_default();
        let pod_type = types::pod_type();
        let filter = Filter {
            fields: FieldSelector::parse("status.phase!=Succeeded,status.phase!=Failed", pod_type)
                .unwrap_or_default(),
            ..Filter::default()
        };
        for meta in store.metas(pod_type, &filter) {
            if meta.owners.iter().any(|o| bench.contains(o)) {
                continue;
            }
            let Ok(pod) = store
                .get(pod_type, &meta.namespace, &meta.name)
                .and_then(|s| s.value())
            else {
                continue;
            };
            let ms = milestones(&pod);
            let newest = ms.iter().filter(|m| m.key().is_some()).map(Milestone::at).max();
            let oldest = ms.iter().filter(|m| m.key().is_some()).map(Milestone::at).min();
            let shift = match (oldest, newest) {
                (Some(o), Some(n)) if o < now - events::TTL => now - n,
                _ => TimeDelta::zero(),
            };
            let key = (meta.namespace.clone(), meta.name.clone());
            let seen = self.seen.entry(key).or_default();
            seen.uid = meta.uid.clone();
            for m in ms {
                let m = m.shifted(shift);
                match m.key() {
                    Some(k) => {
                        if seen.done.insert(k) {
                            seen.last = seen.last.max(m.at());
                            report(store, &pod, &m, &mut self.pulled, now);
                        }
                    }
                    None => {
                        seen.series = true;
                        report(store, &pod, &m, &mut self.pulled, now);
                    }
                }
            }
        }
    }

    /// Reports what one change of a pod says happened.
    fn observe(&mut self, store: &Store, change: &Change, now: DateTime<Utc>) {
        let key = (change.meta.namespace.clone(), change.meta.name.clone());
        let Ok(pod) = serde_json::from_slice::<Value>(&change.json.bytes()) else {
            return;
        };
        if change.kind == ChangeType::Deleted {
            self.seen.remove(&key);
            report_deleted(store, &pod, now);
            return;
        }
        let seen = self.seen.entry(key).or_default();
        if seen.uid != change.meta.uid {
            *seen = Seen {
                uid: change.meta.uid.clone(),
                ..Seen::default()
            };
        }
        seen.series = false;
        for m in milestones(&pod) {
            match m.key() {
                Some(k) => {
                    if seen.done.insert(k) {
                        seen.last = seen.last.max(m.at());
                        if m.at() >= self.since - TimeDelta::seconds(1) {
                            report(store, &pod, &m, &mut self.pulled, now);
                        } else if let Milestone::FirstRun { image, .. } = &m {
                            // Pulled before the recorder started: present on the node now.
                            self.pulled
                                .insert((kit::s(&pod, "/spec/nodeName").to_string(), image.clone()));
                        }
                    }
                }
                None => {
                    seen.series = true;
                    report(store, &pod, &m, &mut self.pulled, now);
                }
            }
        }
    }

    /// One pass: the pod changes since the last one, and the repeats of back-offs.
    pub fn tick(&mut self, store: &Store, now: DateTime<Utc>) {
        let pod_key = types::pod_type().key();
        let mut changes: Vec<Arc<Change>> = Vec::new();
        if let Some(w) = &mut self.watch {
            loop {
                match w.rx.try_recv() {
                    Ok(c) if c.ty == pod_key && c.rv > w.start_rv => changes.push(c),
                    Ok(_) => {}
                    Err(TryRecvError::Lagged(n)) => {
                        tracing::debug!("pod events: {n} changes missed");
                    }
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
        }
        for c in &changes {
            self.observe(store, c, now);
        }
        if now >= self.next_series {
            self.next_series = now + SERIES_EVERY;
            self.repeat_series(store, now);
            self.seen
                .retain(|_, s| s.series || s.last >= now - events::TTL || s.done.is_empty());
        }
    }

    /// Brings the repeating events of pods in a back-off up to `now`.
    fn repeat_series(&mut self, store: &Store, now: DateTime<Utc>) {
        let troubled: Vec<(String, String)> = self
            .seen
            .iter()
            .filter(|(_, s)| s.series)
            .map(|(k, _)| k.clone())
            .collect();
        for (ns, name) in troubled {
            let Ok(pod) = store.get(types::pod_type(), &ns, &name).and_then(|s| s.value()) else {
                continue;
            };
            let ms: Vec<Milestone> = milestones(&pod)
                .into_iter()
                .filter(|m| m.key().is_none())
                .collect();
            if let Some(s) = self.seen.get_mut(&(ns, name)) {
                s.series = !ms.is_empty();
            }
            for m in &ms {
                report(store, &pod, m, &mut self.pulled, now);
            }
        }
    }
}
