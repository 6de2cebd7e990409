//! Pod log streams: `pods/log?follow=true&timestamps=true` read as bytes, split and sanitised by
//! the log engine ([`crate::logs`]), and sent to the app as batches of lines.
//!
//! - A container that has not started yet: the state is `waiting: <reason>` and the pod is polled
//!   until it runs.
//! - A stream that ends because the container ended: `ended: container exited`.
//! - A stream cut while the container runs (network, API server, idle timeouts): `reconnecting`,
//!   then it resumes with `sinceTime` at the last timestamp seen, and the lines replayed from that
//!   second are dropped, so nothing is duplicated and nothing lost ([`ResumePoint`]).
//! - Without a container named, the pod's `kubectl.kubernetes.io/default-container` annotation
//!   (Argo sets `main`), else its first container, as kubectl does.
//!
//! Batches go through the bounded channel the caller gives; a full channel makes the stream wait
//! (the API server holds the rest), so a firehose pod slows down instead of losing lines, and
//! senders queue fairly so it cannot starve the other streams.

use std::pin::pin;
use std::time::Duration;

use futures::{AsyncBufRead, AsyncBufReadExt, FutureExt};
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use k8s_openapi::jiff;
use kube::api::{Api, LogParams};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kube::describe_error;
use crate::logs::{IngestOptions, LineSplitter, LogEvent, LogLine, ResumePoint, StreamState};
use crate::text::sanitized;

/// The annotation kubectl reads for the container to show by default.
pub const DEFAULT_CONTAINER_ANNOTATION: &str = "kubectl.kubernetes.io/default-container";

/// Which log to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub namespace: String,
    pub pod: String,
    /// `None`: the pod's default container.
    pub container: Option<String>,
}

/// How to stream.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// The previous (terminated) instance of the container, once, without following.
    pub previous: bool,
    /// Start with the last N lines (first connection only).
    pub tail_lines: Option<i64>,
    /// Start with the lines of the last N seconds (first connection only).
    pub since_seconds: Option<i64>,
    /// Continue a stream from where an earlier one got to.
    pub resume: Option<ResumePoint>,
    /// How often a waiting container is looked at again.
    pub poll: Duration,
    /// First wait before reconnecting; it doubles with each fruitless attempt up to `max_backoff`.
    pub backoff: Duration,
    /// Longest wait between reconnects.
    pub max_backoff: Duration,
    /// Most lines in one batch.
    pub max_batch: usize,
    /// Bytes kept of one line.
    pub max_line_bytes: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            previous: false,
            tail_lines: None,
            since_seconds: None,
            resume: None,
            poll: Duration::from_secs(1),
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_batch: 1024,
            max_line_bytes: crate::logs::ingest::DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Where a stream's events go: which view and which of its sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamKey {
    pub view: u64,
    pub source: usize,
}

/// Why a stream task returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    /// The token was cancelled.
    Cancelled,
    /// The receiver was dropped.
    ReceiverGone,
    /// The log ended for good (the reason was also sent as [`StreamState::Ended`]).
    Ended(String),
    /// The log cannot be had (also sent as [`StreamState::Failed`]).
    Failed(String),
}

/// What a stream task did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamReport {
    pub end: StreamEnd,
    /// Where it got to: pass it as [`StreamOptions::resume`] to continue without duplicates.
    pub resume: ResumePoint,
    /// Lines delivered.
    pub lines: u64,
    /// Connections opened (1 + reconnects).
    pub connections: u32,
}

/// The container a log request should name: the one asked for, else the default-container
/// annotation, else the first container.
pub fn default_container(pod: &Pod) -> Option<String> {
    let annotated = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DEFAULT_CONTAINER_ANNOTATION))
        .filter(|c| !c.is_empty());
    annotated
        .cloned()
        .or_else(|| pod.spec.as_ref()?.containers.first().map(|c| c.name.clone()))
}

/// Whether the pod's spec has a container (or init or ephemeral container) of that name.
fn has_container(pod: &Pod, name: &str) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    let ephemeral = spec
        .ephemeral_containers
        .iter()
        .flatten()
        .map(|c| c.name.as_str());
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .map(|c| c.name.as_str())
        .chain(ephemeral)
        .any(|n| n == name)
}

/// Where a container is in its life, as far as its log is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Not started; `previous`: an earlier instance ended and its log can be read.
    Waiting {
        reason: String,
        previous: bool,
        restarts: i32,
    },
    Running,
    Terminated {
        code: i32,
    },
}

fn container_phase(pod: &Pod, container: &str) -> Phase {
    let status = pod.status.as_ref();
    let statuses = status
        .into_iter()
        .flat_map(|s| {
            [
                &s.container_statuses,
                &s.init_container_statuses,
                &s.ephemeral_container_statuses,
            ]
        })
        .flatten()
        .flatten();
    let found: Option<&ContainerStatus> = statuses.into_iter().find(|c| c.name == container);
    let Some(cs) = found else {
        let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
        return match phase {
            "Succeeded" => Phase::Terminated { code: 0 },
            "Failed" => Phase::Terminated { code: 1 },
            _ => Phase::Waiting {
                reason: "ContainerCreating".into(),
                previous: false,
                restarts: 0,
            },
        };
    };
    let state = cs.state.as_ref();
    if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
        return Phase::Terminated { code: t.exit_code };
    }
    if state.and_then(|s| s.running.as_ref()).is_some() {
        return Phase::Running;
    }
    let reason = state
        .and_then(|s| s.waiting.as_ref())
        .and_then(|w| w.reason.clone())
        .unwrap_or_else(|| "ContainerCreating".into());
    let previous = cs.last_state.as_ref().is_some_and(|l| l.terminated.is_some());
    Phase::Waiting {
        reason: sanitized(&reason),
        previous,
        restarts: cs.restart_count,
    }
}

fn exit_reason(code: i32) -> String {
    match code {
        0 => "container exited".into(),
        n => format!("container exited with code {n}"),
    }
}

/// What to do about a failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    /// `container "x" in pod "y" is waiting to start: REASON`.
    Waiting(String),
    /// The pod is gone.
    NotFound,
    /// Retrying will not help (forbidden, no such container, bad request).
    Fatal(String),
    /// Try again later.
    Retry(String),
}

fn classify(e: &kube::Error) -> Class {
    match e {
        kube::Error::Api(s) => {
            if let Some((_, reason)) = s.message.split_once("is waiting to start: ") {
                return Class::Waiting(sanitized(reason.trim()));
            }
            match s.code {
                404 => Class::NotFound,
                400..=499 if s.code != 408 && s.code != 429 => Class::Fatal(sanitized(&s.message)),
                _ => Class::Retry(sanitized(&describe_error(e))),
            }
        }
        other => Class::Retry(sanitized(&describe_error(other))),
    }
}

/// How one connection's read ended.
#[derive(Debug)]
enum ReadEnd {
    Eof,
    Error(String),
    Cancelled,
    Closed,
}

/// Exponential backoff between fruitless reconnects.
struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max,
            next: first,
        }
    }

    fn next(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    fn reset(&mut self) {
        self.next = self.first;
    }
}

/// The sending side of one stream: state, resume point, counts.
struct Streamer<T> {
    key: StreamKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
    state: Option<StreamState>,
    resume: ResumePoint,
    lines: u64,
    connections: u32,
}

impl<T: From<LogEvent> + Send> Streamer<T> {
    /// Sends an event; `false` when cancelled or the receiver is gone.
    async fn send(&self, event: LogEvent) -> bool {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => false,
            r = self.tx.send(T::from(event)) => r.is_ok(),
        }
    }

    /// Sends the state if it changed.
    async fn set_state(&mut self, state: StreamState) -> bool {
        if self.state.as_ref() == Some(&state) {
            return true;
        }
        self.state = Some(state.clone());
        let (view, source) = (self.key.view, self.key.source);
        self.send(LogEvent::State { view, source, state }).await
    }

    /// Delivers a batch (replays already dropped).
    async fn deliver(&mut self, lines: Vec<LogLine>) -> bool {
        if lines.is_empty() {
            return true;
        }
        self.resume.record(&lines);
        self.lines += lines.len() as u64;
        let (view, source) = (self.key.view, self.key.source);
        self.send(LogEvent::Lines { view, source, lines }).await
    }

    /// Sleeps unless cancelled first (`false`).
    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            () = self.cancel.cancelled() => false,
            () = tokio::time::sleep(d) => true,
        }
    }

    /// Runs `fut` unless cancelled first (`None`).
    async fn cancellable<F: Future>(&self, fut: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => None,
            out = fut => Some(out),
        }
    }

    fn params(&self, container: &str, opts: &StreamOptions) -> LogParams {
        let since_time = self
            .resume
            .since_seconds()
            .and_then(|s| jiff::Timestamp::from_second(s).ok());
        let fresh = since_time.is_none();
        LogParams {
            container: Some(container.to_string()),
            follow: !opts.previous,
            previous: opts.previous,
            timestamps: true,
            since_time,
            tail_lines: opts.tail_lines.filter(|_| fresh),
            since_seconds: opts.since_seconds.filter(|_| fresh),
            ..LogParams::default()
        }
    }

    /// Reads one connection to its end, delivering lines in batches. With `flush`, a last line
    /// without `\n` is delivered at a clean end (the log is complete); otherwise it is dropped
    /// and comes again on the next connection.
    async fn read(&mut self, reader: impl AsyncBufRead, opts: &StreamOptions, flush: bool) -> ReadEnd {
        let mut reader = pin!(reader);
        let ingest = IngestOptions {
            timestamps: true,
            max_line_bytes: opts.max_line_bytes,
        };
        let mut splitter = LineSplitter::new(self.key.source, ingest);
        let mut dedup = self.resume.dedup();
        let mut pending: Vec<LogLine> = Vec::new();
        loop {
            let first = tokio::select! {
                biased;
                () = self.cancel.cancelled() => return ReadEnd::Cancelled,
                r = reader.fill_buf() => match r {
                    Ok([]) => Step::Eof,
                    Ok(b) => {
                        splitter.push(b, &mut pending);
                        Step::Read(b.len())
                    }
                    Err(e) => Step::Error(e.to_string()),
                },
            };
            let mut step = first;
            // Take whatever else is ready now, so a firehose arrives in few, large batches.
            while let Step::Read(n) = step {
                reader.as_mut().consume(n);
                if pending.len() >= opts.max_batch {
                    step = Step::Pending;
                    break;
                }
                step = match reader.fill_buf().now_or_never() {
                    None => Step::Pending,
                    Some(Ok([])) => Step::Eof,
                    Some(Ok(b)) => {
                        splitter.push(b, &mut pending);
                        Step::Read(b.len())
                    }
                    Some(Err(e)) => Step::Error(e.to_string()),
                };
            }
            if matches!(step, Step::Eof) && flush {
                splitter.finish(&mut pending);
            }
            dedup.retain(&mut pending);
            let batch = std::mem::take(&mut pending);
            if !self.deliver(batch).await {
                return if self.cancel.is_cancelled() {
                    ReadEnd::Cancelled
                } else {
                    ReadEnd::Closed
                };
            }
            match step {
                Step::Eof => return ReadEnd::Eof,
                Step::Error(e) => return ReadEnd::Error(sanitized(&e)),
                Step::Pending | Step::Read(_) => {}
            }
        }
    }
}

/// One step of reading.
enum Step {
    Read(usize),
    Pending,
    Eof,
    Error(String),
}

/// Streams a pod's log until it ends, fails, or `cancel` fires, sending [`LogEvent`]s (wrapped
/// into the app's message type `T`) to `tx`.
pub async fn stream_pod_logs<T>(
    client: kube::Client,
    target: LogTarget,
    opts: StreamOptions,
    key: StreamKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) -> StreamReport
where
    T: From<LogEvent> + Send,
{
    let mut s = Streamer {
        key,
        tx,
        cancel,
        state: None,
        resume: opts.resume.clone().unwrap_or_default(),
        lines: 0,
        connections: 0,
    };
    let api: Api<Pod> = Api::namespaced(client, &target.namespace);
    let end = run(&mut s, &api, &target, &opts).await;
    let final_state = match &end {
        StreamEnd::Ended(reason) => Some(StreamState::Ended {
            reason: reason.clone(),
        }),
        StreamEnd::Failed(reason) => Some(StreamState::Failed {
            reason: reason.clone(),
        }),
        StreamEnd::Cancelled | StreamEnd::ReceiverGone => None,
    };
    if let Some(state) = final_state {
        s.set_state(state).await;
    }
    StreamReport {
        end,
        resume: s.resume,
        lines: s.lines,
        connections: s.connections,
    }
}

async fn run<T: From<LogEvent> + Send>(
    s: &mut Streamer<T>,
    api: &Api<Pod>,
    target: &LogTarget,
    opts: &StreamOptions,
) -> StreamEnd {
    let mut backoff = Backoff::new(opts.backoff, opts.max_backoff);
    // Why the last connection ended early, if it did.
    let mut cut: Option<String> = None;
    // The restart count whose earlier instance's log was read while the container waits.
    let mut drained: Option<i32> = None;
    loop {
        let pod = match s.cancellable(api.get_opt(&target.pod)).await {
            None => return StreamEnd::Cancelled,
            Some(Ok(Some(pod))) => pod,
            Some(Ok(None)) => return StreamEnd::Ended("pod deleted".into()),
            Some(Err(e)) => match classify(&e) {
                Class::Fatal(msg) => return StreamEnd::Failed(msg),
                Class::NotFound => return StreamEnd::Ended("pod deleted".into()),
                Class::Waiting(reason) | Class::Retry(reason) => {
                    if !s.set_state(StreamState::Reconnecting { reason }).await
                        || !s.sleep(backoff.next()).await
                    {
                        return StreamEnd::Cancelled;
                    }
                    continue;
                }
            },
        };
        let Some(container) = target.container.clone().or_else(|| default_container(&pod)) else {
            return StreamEnd::Failed(format!("pod {} has no containers", sanitized(&target.pod)));
        };
        if !has_container(&pod, &container) {
            return StreamEnd::Failed(format!(
                "container {} is not valid for pod {}",
                sanitized(&container),
                sanitized(&target.pod)
            ));
        }
        let phase = container_phase(&pod, &container);
        if !opts.previous
            && let Phase::Waiting {
                reason,
                previous,
                restarts,
            } = &phase
            && (!previous || drained == Some(*restarts))
        {
            let waiting = StreamState::Waiting {
                reason: reason.clone(),
            };
            if !s.set_state(waiting).await || !s.sleep(opts.poll).await {
                return StreamEnd::Cancelled;
            }
            continue;
        }
        // A log that will not grow: read it to the end and keep a last line without `\n`.
        let complete = opts.previous || !matches!(phase, Phase::Running);
        if let Some(reason) = cut.take()
            && !complete
            && (!s.set_state(StreamState::Reconnecting { reason }).await || !s.sleep(backoff.next()).await)
        {
            return StreamEnd::Cancelled;
        }
        let params = s.params(&container, opts);
        s.connections += 1;
        let reader = match s.cancellable(api.log_stream(&target.pod, &params)).await {
            None => return StreamEnd::Cancelled,
            Some(Ok(r)) => r,
            Some(Err(e)) => match classify(&e) {
                Class::Waiting(reason) => {
                    if !s.set_state(StreamState::Waiting { reason }).await || !s.sleep(opts.poll).await {
                        return StreamEnd::Cancelled;
                    }
                    continue;
                }
                Class::NotFound => return StreamEnd::Ended("pod deleted".into()),
                Class::Fatal(msg) => return StreamEnd::Failed(msg),
                Class::Retry(reason) => {
                    cut = Some(reason);
                    if complete && !s.sleep(backoff.next()).await {
                        return StreamEnd::Cancelled;
                    }
                    continue;
                }
            },
        };
        if !s.set_state(StreamState::Streaming).await {
            return StreamEnd::Cancelled;
        }
        let before = s.lines;
        let end = s.read(reader, opts, complete).await;
        if s.lines > before {
            backoff.reset();
        }
        match end {
            ReadEnd::Cancelled => return StreamEnd::Cancelled,
            ReadEnd::Closed => return StreamEnd::ReceiverGone,
            ReadEnd::Eof if opts.previous => {
                return StreamEnd::Ended("end of the previous instance's log".into());
            }
            ReadEnd::Eof => match phase {
                Phase::Terminated { code } => return StreamEnd::Ended(exit_reason(code)),
                Phase::Waiting { restarts, .. } => drained = Some(restarts),
                Phase::Running => cut = Some("the stream ended while the container runs".into()),
            },
            ReadEnd::Error(e) => {
                cut = Some(e);
                if complete && !s.sleep(backoff.next()).await {
                    return StreamEnd::Cancelled;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_default_container_follows_kubectl() {
        let argo = pod(json!({
            "metadata": {"name": "p", "annotations": {DEFAULT_CONTAINER_ANNOTATION: "main"}},
            "spec": {"containers": [{"name": "wait"}, {"name": "main"}]}
        }));
        assert_eq!(default_container(&argo).as_deref(), Some("main"));
        let plain =
            pod(json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}));
        assert_eq!(default_container(&plain).as_deref(), Some("a"));
        let none = pod(json!({"metadata": {"name": "p"}}));
        assert_eq!(default_container(&none), None);
        assert!(has_container(&argo, "wait") && !has_container(&argo, "sidecar"));
    }

    #[test]
    fn container_phases_come_from_the_status() {
        let p = |status: serde_json::Value| pod(json!({"metadata": {"name": "p"}, "status": status}));
        let pending = p(json!({"phase": "Pending"}));
        assert!(
            matches!(container_phase(&pending, "main"), Phase::Waiting { ref reason, .. } if reason == "ContainerCreating")
        );
        let pulling = p(
            json!({"containerStatuses": [{"name": "main", "image": "i", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}),
        );
        assert!(
            matches!(container_phase(&pulling, "main"), Phase::Waiting { ref reason, previous: false, .. } if reason == "ImagePullBackOff")
        );
        let crashloop = p(
            json!({"containerStatuses": [{"name": "main", "image": "i", "imageID": "", "ready": false,
            "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1}}}]}),
        );
        assert!(matches!(
            container_phase(&crashloop, "main"),
            Phase::Waiting {
                previous: true,
                restarts: 3,
                ..
            }
        ));
        let running = p(
            json!({"containerStatuses": [{"name": "main", "image": "i", "imageID": "", "ready": true,
            "restartCount": 0, "state": {"running": {}}}]}),
        );
        assert_eq!(container_phase(&running, "main"), Phase::Running);
        let done = p(
            json!({"initContainerStatuses": [{"name": "init", "image": "i", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": 2}}}]}),
        );
        assert_eq!(container_phase(&done, "init"), Phase::Terminated { code: 2 });
        assert_eq!(exit_reason(0), "container exited");
        assert_eq!(exit_reason(2), "container exited with code 2");
    }

    #[test]
    fn errors_are_classified_by_what_helps() {
        let api = |code: u16, msg: &str| {
            kube::Error::Api(Box::new(
                kube::core::Status::failure(msg, "BadRequest").with_code(code),
            ))
        };
        assert_eq!(
            classify(&api(
                400,
                "container \"main\" in pod \"p\" is waiting to start: PodInitializing"
            )),
            Class::Waiting("PodInitializing".into())
        );
        assert_eq!(classify(&api(404, "pods \"p\" not found")), Class::NotFound);
        assert!(matches!(classify(&api(403, "forbidden")), Class::Fatal(_)));
        assert!(matches!(classify(&api(500, "boom")), Class::Retry(_)));
        assert!(matches!(classify(&api(429, "slow down")), Class::Retry(_)));
    }

    #[test]
    fn since_and_tail_shape_the_first_connection_and_a_resume_asks_from_the_last_line() {
        let (tx, _rx) = mpsc::channel::<LogEvent>(1);
        let mut s = Streamer {
            key: StreamKey { view: 1, source: 0 },
            tx,
            cancel: CancellationToken::new(),
            state: None,
            resume: ResumePoint::default(),
            lines: 0,
            connections: 0,
        };
        let opts = StreamOptions {
            since_seconds: Some(300),
            tail_lines: Some(1000),
            ..StreamOptions::default()
        };
        let first = s.params("main", &opts);
        assert_eq!(
            (first.since_seconds, first.tail_lines, first.since_time),
            (Some(300), Some(1000), None)
        );
        assert!(first.follow && first.timestamps);
        // After a cut: from the last line's second, whatever since and tail said (the API
        // server refuses sinceSeconds with sinceTime, and a tail would skip or repeat lines).
        let t = crate::logs::Timestamp(1_700_000_000_500_000_000);
        s.resume.record(&[LogLine::new(0, Some(t), "x")]);
        let again = s.params("main", &opts);
        assert_eq!((again.since_seconds, again.tail_lines), (None, None));
        assert_eq!(again.since_time.map(|t| t.as_second()), Some(1_700_000_000));
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let seq: Vec<u128> = (0..4).map(|_| b.next().as_millis()).collect();
        assert_eq!(seq, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.next().as_millis(), 100);
    }
}
