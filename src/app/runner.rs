//! The effect runner: performs the IO `update` asks for. Every task is keyed and cancellable.
//! Clients are made per context on first use and shared by that context's tasks.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{OnceCell, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::effect::Effect;
use crate::app::msg::{ConnEvent, DataEvent, Msg, SubStatus};
use crate::app::subs::SubKey;
use crate::kube::{ClusterSource, KubeHandle, connect, describe_error, fetch, logs, subscribe};

type ClientCell = Arc<OnceCell<Result<KubeHandle, String>>>;

pub struct EffectRunner {
    source: ClusterSource,
    clients: HashMap<String, ClientCell>,
    tx: mpsc::Sender<Msg>,
    subs: HashMap<SubKey, CancellationToken>,
    /// Log streams by (view, source).
    streams: HashMap<(u64, usize), CancellationToken>,
    /// Local notebook proxies by connection id.
    proxies: HashMap<u64, CancellationToken>,
    tasks: JoinSet<()>,
    /// Where each context's namespace choice is saved.
    choices_file: Option<PathBuf>,
    /// Where Prometheus is for every context (`--prometheus`, `prometheus_url`).
    prometheus: Option<String>,
    /// … and for some contexts (`[context."X"] prometheus`).
    prometheus_by_context: BTreeMap<String, String>,
}

impl EffectRunner {
    /// A runner for `source`; `initial` is the client main already built for its context.
    pub fn new(
        source: ClusterSource,
        initial: Option<KubeHandle>,
        tx: mpsc::Sender<Msg>,
        choices_file: Option<PathBuf>,
    ) -> EffectRunner {
        let mut clients = HashMap::new();
        if let Some(handle) = initial {
            clients.insert(
                handle.context.clone(),
                Arc::new(OnceCell::new_with(Some(Ok(handle)))),
            );
        }
        EffectRunner {
            source,
            clients,
            tx,
            subs: HashMap::new(),
            streams: HashMap::new(),
            proxies: HashMap::new(),
            tasks: JoinSet::new(),
            choices_file,
            prometheus: None,
            prometheus_by_context: BTreeMap::new(),
        }
    }

    /// Says where Prometheus is: for every context, and for some by name (which wins).
    pub fn with_prometheus(
        mut self,
        every: Option<String>,
        by_context: BTreeMap<String, String>,
    ) -> EffectRunner {
        self.prometheus = every;
        self.prometheus_by_context = by_context;
        self
    }

    fn prometheus_for(&self, context: &str) -> Option<String> {
        self.prometheus_by_context
            .get(context)
            .cloned()
            .or_else(|| self.prometheus.clone())
    }

    /// The client cell of a context, connected on first use.
    fn client(&mut self, context: &str) -> ClientCell {
        self.clients.entry(context.to_string()).or_default().clone()
    }

    /// Connects (once) and returns the context's client, or why it cannot be had.
    async fn ready(cell: ClientCell, source: ClusterSource, context: String) -> Result<KubeHandle, String> {
        cell.get_or_init(|| async move {
            connect(&source, Some(&context), None)
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .clone()
    }

    /// Runs a shell in the target with the local terminal until it exits: bash, else sh where
    /// the image has no bash. The terminal must already be the shell's.
    pub async fn shell(
        &mut self,
        context: &str,
        target: &crate::kube::shell::ShellTarget,
    ) -> crate::kube::shell::ShellEnd {
        use crate::kube::shell::{ShellEnd, missing_command, session};
        let cell = self.client(context);
        let kube = match Self::ready(cell, self.source.clone(), context.to_string()).await {
            Ok(k) => k,
            Err(e) => return ShellEnd::Failed(e),
        };
        let size = crossterm::terminal::size().unwrap_or((80, 24));
        let (_keys, mut input, mut sizes) = crate::terminal::Passthrough::start();
        let mut out = std::io::stdout();
        let mut end = ShellEnd::Failed("no shell was tried".into());
        for shell in ["bash", "sh"] {
            end = session(
                kube.client.clone(),
                target,
                &[shell],
                &mut input,
                &mut sizes,
                size,
                &mut out,
            )
            .await;
            if !missing_command(&end) {
                break;
            }
        }
        end
    }

    /// Asks the context's API server for its version, to fill the header and learn whether it
    /// answers.
    pub fn probe(&mut self, context: &str) {
        let cell = self.client(context);
        let (tx, source, context) = (self.tx.clone(), self.source.clone(), context.to_string());
        self.tasks.spawn(async move {
            let event = match Self::ready(cell, source, context.clone()).await {
                Ok(kube) => match kube.client.apiserver_version().await {
                    Ok(info) => ConnEvent::Connected {
                        context,
                        version: info.git_version,
                    },
                    Err(e) => ConnEvent::Failed {
                        context,
                        error: describe_error(&e),
                    },
                },
                Err(error) => ConnEvent::Failed { context, error },
            };
            let _ = tx.send(Msg::Conn(event)).await;
        });
    }

    /// Runs `work` with the context's client (or why there is none) and sends its answer. Work
    /// that needs the client answers why there is none with `async { f(&client?).await }`.
    fn answer<F, Fut>(&mut self, context: String, work: F)
    where
        F: FnOnce(Result<kube::Client, String>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Msg> + Send + 'static,
    {
        let cell = self.client(&context);
        let (tx, source) = (self.tx.clone(), self.source.clone());
        self.tasks.spawn(async move {
            let client = Self::ready(cell, source, context).await.map(|k| k.client);
            let msg = work(client).await;
            let _ = tx.send(msg).await;
        });
    }

    /// Performs an IO effect. Terminal effects (suspend, redraw) belong to the event loop.
    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Subscribe(key) => {
                let cell = self.client(&key.context);
                let cancel = CancellationToken::new();
                if let Some(old) = self.subs.insert(key.clone(), cancel.clone()) {
                    old.cancel();
                }
                let (tx, source) = (self.tx.clone(), self.source.clone());
                let prometheus = self.prometheus_for(&key.context);
                self.tasks.spawn(async move {
                    match Self::ready(cell, source, key.context.clone()).await {
                        Ok(kube) if crate::app::monitor::is_metrics(key.kind) => {
                            crate::kube::prometheus::poll(kube.client, key, prometheus, tx, cancel).await;
                        }
                        Ok(kube) => subscribe::run(kube.client, key, tx, cancel).await,
                        Err(message) => {
                            let status = SubStatus::Failed { message };
                            let _ = tx.send(Msg::Data(DataEvent::Status { key, status })).await;
                        }
                    }
                });
            }
            Effect::Unsubscribe(key) => {
                if let Some(token) = self.subs.remove(&key) {
                    token.cancel();
                }
            }
            Effect::Fetch {
                request,
                context,
                kind,
                namespace,
                name,
                view,
            } => {
                let cell = self.client(&context);
                let (tx, source) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let result = match Self::ready(cell, source, context).await {
                        Ok(kube) => fetch::fetch(kube.client, kind, &namespace, &name, view).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::Fetched { request, result }).await;
                });
            }
            Effect::SaveChoices(choices) => {
                if let Some(path) = self.choices_file.clone() {
                    self.tasks.spawn_blocking(move || save_choices(&path, &choices));
                }
            }
            Effect::Probe(context) => self.probe(&context),
            Effect::Discover(context) => {
                let c = context.clone();
                self.answer(context, move |client| async move {
                    let result = async { crate::kube::discovery::discover(&client?).await }.await;
                    Msg::Discovered { context: c, result }
                });
            }
            Effect::StreamLogs {
                context,
                view,
                source,
                namespace,
                pod,
                container,
                previous,
                since_seconds,
                tail_lines,
            } => {
                let cell = self.client(&context);
                let cancel = CancellationToken::new();
                if let Some(old) = self.streams.insert((view, source), cancel.clone()) {
                    old.cancel();
                }
                let (tx, src) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let key = logs::StreamKey { view, source };
                    match Self::ready(cell, src, context).await {
                        Ok(kube) => {
                            let target = logs::LogTarget {
                                namespace,
                                pod,
                                container,
                            };
                            let opts = logs::StreamOptions {
                                previous,
                                since_seconds,
                                tail_lines,
                                ..logs::StreamOptions::default()
                            };
                            logs::stream_pod_logs::<Msg>(kube.client, target, opts, key, tx, cancel).await;
                        }
                        Err(reason) => {
                            let state = crate::logs::view::StreamState::Failed { reason };
                            let _ = tx
                                .send(Msg::Log(crate::logs::LogEvent::State { view, source, state }))
                                .await;
                        }
                    }
                });
            }
            Effect::StopLogs { view } => {
                self.streams.retain(|(v, _), token| {
                    if *v == view {
                        token.cancel();
                    }
                    *v != view
                });
            }
            Effect::WriteFile { path, bytes } => {
                let tx = self.tx.clone();
                self.tasks.spawn(async move {
                    let len = bytes.len() as u64;
                    let result = tokio::fs::write(&path, bytes)
                        .await
                        .map(|()| len)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Saved { path, result }).await;
                });
            }
            Effect::RunVerb {
                request,
                context,
                verb,
                targets,
            } => {
                let cell = self.client(&context);
                let (tx, source) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let results = match Self::ready(cell, source, context).await {
                        Ok(kube) => {
                            let mut out = Vec::with_capacity(targets.len());
                            for t in targets {
                                let r = verb.run_on(&kube.client, &t).await;
                                out.push((t.name, r.map_err(|e| e.to_string())));
                            }
                            out
                        }
                        Err(e) => targets.into_iter().map(|t| (t.name, Err(e.clone()))).collect(),
                    };
                    let _ = tx
                        .send(Msg::VerbDone {
                            request,
                            verb,
                            results,
                        })
                        .await;
                });
            }
            Effect::LoadRunSources {
                request,
                context,
                namespace,
            } => self.answer(context, move |client| async move {
                let (seeds, notes) = match client {
                    Ok(c) => {
                        let s = crate::kube::new_run::sources(&c, &namespace).await;
                        (s.seeds, s.notes)
                    }
                    Err(e) => (Vec::new(), vec![e]),
                };
                Msg::RunSources {
                    request,
                    seeds,
                    notes,
                }
            }),
            Effect::LoadClone {
                request,
                context,
                namespace,
                name,
            } => self.answer(context, move |client| async move {
                let result =
                    async { crate::kube::new_run::clone_seed(&client?, &namespace, &name).await }.await;
                Msg::FormSeed { request, result }
            }),
            Effect::CreateRun {
                request,
                context,
                run,
            } => self.answer(context, move |client| async move {
                let result = async { crate::kube::new_run::create(&client?, run).await }.await;
                Msg::RunCreated { request, result }
            }),
            Effect::LoadPipeline {
                request,
                context,
                row,
                run_namespace,
            } => self.answer(context, move |client| async move {
                let result =
                    async { crate::kube::pipelines::detail(&client?, &row, &run_namespace).await }.await;
                Msg::PipelineLoaded { request, result }
            }),
            Effect::UploadPipeline {
                context,
                namespace,
                pipeline_id,
                path,
                name,
            } => self.answer(context, move |client| async move {
                let result = async {
                    let c = client?;
                    crate::kube::pipelines::upload(
                        &c,
                        &namespace,
                        pipeline_id.as_deref(),
                        &path,
                        name.as_deref(),
                    )
                    .await
                }
                .await;
                Msg::PipelineOp { result }
            }),
            Effect::CompareRuns {
                request,
                context,
                targets,
            } => self.answer(context, move |client| async move {
                let result = async { compare_columns(&client?, &targets).await }.await;
                Msg::Compared { request, result }
            }),
            Effect::Connect {
                id,
                context,
                namespace,
                name,
                port,
            } => {
                let cancel = CancellationToken::new();
                self.proxies.insert(id, cancel.clone());
                let cell = self.client(&context);
                let (tx, source) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let client = Self::ready(cell, source, context).await.map(|k| k.client);
                    let remote = crate::kube::connect::Remote::Notebook { namespace, name };
                    crate::kube::connect::run(id, client, remote, port, tx, cancel).await;
                });
            }
            Effect::Forward {
                id,
                context,
                forward,
                port,
            } => {
                let cancel = CancellationToken::new();
                self.proxies.insert(id, cancel.clone());
                let cell = self.client(&context);
                let (tx, source) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let client = Self::ready(cell, source, context).await.map(|k| k.client);
                    let remote = crate::kube::connect::Remote::Forward(forward);
                    crate::kube::connect::run(id, client, remote, port, tx, cancel).await;
                });
            }
            Effect::ForwardPorts {
                request,
                context,
                lookup,
                port,
            } => self.answer(context, move |client| async move {
                let result = async { crate::kube::connect::forward_ports(client?, &lookup).await }.await;
                Msg::Proxy(crate::kube::connect::ProxyEvent::Ports {
                    request,
                    port,
                    result,
                })
            }),
            Effect::LoadPodDefaults {
                request,
                context,
                namespace,
            } => self.answer(context, move |client| async move {
                let result =
                    async { crate::kube::new_notebook::pod_defaults(client?, &namespace).await }.await;
                Msg::NotebookForm(crate::app::notebook_form::NotebookFormEvent::PodDefaults {
                    request,
                    result,
                })
            }),
            Effect::CreateNotebook {
                request,
                context,
                notebook,
            } => self.answer(context, move |client| async move {
                let result = async { crate::kube::new_notebook::create(client?, notebook).await }.await;
                Msg::NotebookForm(crate::app::notebook_form::NotebookFormEvent::Created { request, result })
            }),
            Effect::Disconnect { id } => {
                if let Some(token) = self.proxies.remove(&id) {
                    token.cancel();
                }
            }
            Effect::Predict {
                request,
                context,
                namespace,
                name,
                protocol,
                body,
            } => self.answer(context, move |client| async move {
                let result = async {
                    crate::kube::predict::send(&client?, &namespace, &name, protocol, body.clone())
                        .await
                        .map_err(|e| e.to_string())
                }
                .await;
                Msg::Predicted {
                    request,
                    namespace,
                    name,
                    body,
                    result,
                }
            }),
            Effect::PickShell { context, request } => {
                let cell = self.client(&context);
                let (tx, source) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let result = match Self::ready(cell, source, context).await {
                        Ok(kube) => crate::kube::shell::pick(kube.client, &request).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::ShellReady(result)).await;
                });
            }
            Effect::CopyYaml { context, target } => {
                let cell = self.client(&context);
                let (tx, source) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let result = match Self::ready(cell, source, context).await {
                        // A Kubernetes object as `kubectl get -o yaml` gives it (no
                        // managedFields); KFP's records as the YAML view shows them.
                        Ok(kube) if crate::app::update::editable(target.kind) => {
                            crate::kube::edit::load(kube.client, target.clone())
                                .await
                                .map(|doc| (target.name.clone(), doc.original))
                        }
                        Ok(kube) => fetch::fetch(
                            kube.client,
                            target.kind,
                            &target.namespace,
                            &target.name,
                            crate::app::viewer::ViewKind::Yaml,
                        )
                        .await
                        .map(|lines| (target.name.clone(), lines.join("\n") + "\n")),
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::YamlToCopy(result)).await;
                });
            }
            Effect::LoadForEdit { context, target } => {
                let cell = self.client(&context);
                let (tx, source) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let result = match Self::ready(cell, source, context).await {
                        Ok(kube) => crate::kube::edit::load(kube.client, target).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::EditLoaded(result)).await;
                });
            }
            Effect::SaveEdit { context, doc, text } => {
                let cell = self.client(&context);
                let (tx, source) = (self.tx.clone(), self.source.clone());
                self.tasks.spawn(async move {
                    let target = doc.target.clone();
                    let outcome = match Self::ready(cell, source, context).await {
                        Ok(kube) => crate::kube::edit::save(kube.client, doc, text).await,
                        Err(e) => crate::kube::edit::EditOutcome::Failed(e),
                    };
                    let _ = tx.send(Msg::EditSaved { target, outcome }).await;
                });
            }
            Effect::Suspend
            | Effect::FullRedraw
            | Effect::Copy(_)
            | Effect::OpenEditor(_)
            | Effect::OpenShell { .. } => {}
        }
        // Reap finished tasks so the set does not grow.
        while self.tasks.try_join_next().is_some() {}
    }

    /// Cancels every task and waits briefly for them to end.
    pub async fn shutdown(mut self) {
        for token in self.proxies.values() {
            token.cancel();
        }
        for token in self.streams.values() {
            token.cancel();
        }
        for token in self.subs.values() {
            token.cancel();
        }
        self.tasks.abort_all();
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
    }
}

/// The saved namespace choices: `{"namespaces": {"ctx": "ns" | null}}`.
pub fn load_choices(path: &std::path::Path) -> BTreeMap<String, Option<String>> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| serde_json::from_value(v.get("namespaces")?.clone()).ok())
        .unwrap_or_default()
}

fn save_choices(path: &std::path::Path, choices: &BTreeMap<String, Option<String>>) {
    let body = serde_json::json!({ "namespaces": choices });
    let result = path
        .parent()
        .map_or(Ok(()), crate::config::paths::create_private_dir)
        .and_then(|()| std::fs::write(path, body.to_string()));
    if let Err(e) = result {
        tracing::warn!("cannot save namespace choices to {}: {e}", path.display());
    }
}

/// Reads each run in full and makes its comparison column.
async fn compare_columns(
    client: &kube::Client,
    targets: &[crate::app::state::VerbTarget],
) -> Result<Vec<crate::runs::compare::CompareColumn>, String> {
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
            client.clone(),
            &t.namespace,
            &crate::kube::fetch::api_resource(crate::app::subs::Kind::Workflows),
        );
        let wf = api
            .get(&t.name)
            .await
            .map_err(|e| format!("{}: {}", t.name, crate::kube::describe_error(&e)))?;
        let wf = serde_json::to_value(wf).map_err(|e| e.to_string())?;
        out.push(crate::runs::compare::column(&wf));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_and_bad_files_give_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.json");
        let mut choices = BTreeMap::new();
        choices.insert("prod".to_string(), Some("team-a".to_string()));
        choices.insert("dev".to_string(), None);
        save_choices(&path, &choices);
        assert_eq!(load_choices(&path), choices);
        std::fs::write(&path, "{not json").unwrap();
        assert!(load_choices(&path).is_empty());
    }
}
