#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Production monitoring, end to end: the embedded cluster's pods serve Prometheus metrics with
//! KServe's, Knative's, DCGM's and cAdvisor's names; a REAL Prometheus (Debian's `prometheus`)
//! scrapes them through the API server's pod proxy; kftui's client and the real binary read
//! them back. Without a `prometheus` binary the tests that need one say SKIPPED and return.

#[path = "support/prometheus.rs"]
mod prom_support;
#[allow(dead_code)]
#[path = "support/pty.rs"]
mod pty;
#[path = "support/sim.rs"]
mod sim_support;
#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kftui::app::msg::{DataEvent, Msg};
use kftui::app::update::update;
use kftui::kube::key::{Kind, SubKey};
use kftui::kube::prometheus::{self, Metrics, PromError, Prometheus};
use kftui::kube::resources::inference_service::Protocol;
use prom_support::Prometheus as PromServer;
use pty::Pty;

const NS: &str = sim_support::NS;

/// A pod's `/metrics` through the API server's pod proxy, as Prometheus scrapes it.
async fn scrape(client: &kube::Client, ns: &str, pod: &str) -> (u16, String) {
    let req = http::Request::get(format!("/api/v1/namespaces/{ns}/pods/{pod}/proxy/metrics"))
        .body(kube::client::Body::from(Vec::new()))
        .unwrap();
    let res = client.send(req).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect_bytes().await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// The first pod in `ns` whose name starts with `prefix`.
async fn pod_named(client: &kube::Client, ns: &str, prefix: &str) -> String {
    let api: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client.clone(), ns);
    let pods = api.list(&Default::default()).await.unwrap();
    pods.items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .find(|n| n.starts_with(prefix))
        .unwrap_or_else(|| panic!("no pod {prefix}* in {ns}"))
}

/// The value of the first sample of `name` whose line contains every one of `having`.
fn sample(text: &str, name: &str, having: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| having.iter().all(|h| l.contains(h)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn send_requests(client: &kube::Client, model: &str, n: usize) {
    for _ in 0..n {
        let body = r#"{"instances": [[6.8, 2.8, 4.8, 1.4]]}"#.to_string();
        let answer = kftui::kube::predict::send(client, NS, model, Protocol::V1, body)
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
}

#[tokio::test]
async fn predictor_and_training_pods_serve_prometheus_text_that_moves_with_test_requests() {
    let sim = sim_support::start().await;
    let client = sim_support::client(&sim);
    let pod = pod_named(&client, NS, "sklearn-iris-predictor-").await;
    let (code, before) = scrape(&client, NS, &pod).await;
    assert_eq!(code, 200, "{before}");
    for family in [
        "# TYPE revision_request_count counter",
        "# TYPE revision_app_request_count counter",
        "# TYPE revision_app_request_latencies histogram",
        "# TYPE request_predict_seconds histogram",
        "# TYPE autoscaler_desired_pods gauge",
        "# TYPE autoscaler_actual_pods gauge",
    ] {
        assert!(before.contains(family), "{family} missing:\n{before}");
    }
    let count = |text: &str| sample(text, "revision_app_request_count", &["response_code=\"200\""]).unwrap();
    let predicted = |text: &str| {
        sample(
            text,
            "request_predict_seconds_count",
            &["model_name=\"sklearn-iris\""],
        )
        .unwrap()
    };
    send_requests(&client, "sklearn-iris", 12).await;
    let (_, after) = scrape(&client, NS, &pod).await;
    assert_eq!(
        count(&after) - count(&before),
        12.0,
        "every test request is counted"
    );
    assert_eq!(predicted(&after) - predicted(&before), 12.0);
    let le_inf = sample(&after, "revision_app_request_latencies_bucket", &["le=\"+Inf\""]).unwrap();
    assert_eq!(
        le_inf,
        sample(&after, "revision_app_request_latencies_count", &[]).unwrap()
    );
    assert_eq!(sample(&after, "autoscaler_actual_pods", &[]), Some(1.0));

    // A training pod: DCGM's GPU series labelled with the pod, and cAdvisor's container series.
    let trainer = pod_named(&client, NS, "llama-finetune-node-0-0-").await;
    let (code, text) = scrape(&client, NS, &trainer).await;
    assert_eq!(code, 200, "{text}");
    let util = sample(
        &text,
        "DCGM_FI_DEV_GPU_UTIL",
        &[
            &format!("pod=\"{trainer}\""),
            "namespace=\"kubeflow-user-example-com\"",
            "gpu=\"0\"",
        ],
    )
    .unwrap();
    assert!((0.0..=100.0).contains(&util), "{text}");
    assert!(sample(&text, "DCGM_FI_DEV_FB_USED", &[]).unwrap() > 0.0);
    assert!(
        sample(
            &text,
            "container_cpu_usage_seconds_total",
            &["container=\"node\""]
        )
        .is_some()
            || sample(&text, "container_cpu_usage_seconds_total", &[]).is_some()
    );
    assert!(sample(&text, "container_memory_working_set_bytes", &[]).unwrap() > 0.0);

    // A pod with nothing to say, and a stopped one, answer as the API server's proxy would.
    let (code, _) = scrape(&client, NS, "no-such-pod").await;
    assert_eq!(code, 404);
    // The discovery list names every pod with metrics, by its proxy path.
    let targets = reqwest_free_get(&sim.url(), "/sim/prometheus-targets").await;
    assert!(
        targets.contains(&format!("/api/v1/namespaces/{NS}/pods/{pod}/proxy/metrics")),
        "{targets}"
    );
    assert!(targets.contains(&trainer));
    sim.shutdown().await;
}

/// A plain GET with the kube client's HTTP stack.
async fn reqwest_free_get(url: &str, path: &str) -> String {
    let config = kube::Config::new(url.parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let req = http::Request::get(path)
        .body(kube::client::Body::from(Vec::new()))
        .unwrap();
    let res = client.send(req).await.unwrap();
    String::from_utf8(res.into_body().collect_bytes().await.unwrap().to_vec()).unwrap()
}

fn key(kind: Kind, ns: Option<&str>, name: Option<&str>) -> SubKey {
    SubKey {
        context: "kftui-sim".into(),
        namespace: ns.map(String::from),
        kind,
        selector: None,
        field: name.map(|n| format!("metadata.name={n}")),
    }
}

/// Asks until `pred` holds (Prometheus needs a few scrapes for a rate).
async fn until(prom: &Prometheus, key: &SubKey, what: &str, pred: impl Fn(&Metrics) -> bool) -> Metrics {
    let start = Instant::now();
    loop {
        let now = chrono::Utc::now().timestamp();
        let m = prometheus::fetch(prom, key, now).await.unwrap();
        if pred(&m) {
            return m;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what}: {m:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_gives_kftui_traffic_per_model_and_revision_and_gpu_per_pod() {
    let sim = sim_support::start().await;
    let Some(server) = PromServer::start(
        "a_real_prometheus_gives_kftui_traffic_per_model_and_revision_and_gpu_per_pod",
        &sim.addr().to_string(),
    ) else {
        return;
    };
    server.wait_for_series("revision_app_request_count", Duration::from_secs(30));
    let client = sim_support::client(&sim);
    let prom = Prometheus::discover(&client, Some(&server.url())).await.unwrap();

    // The columns: one query each for every model of the namespace.
    let columns = key(Kind::ModelTraffic, Some(NS), None);
    let m = until(&prom, &columns, "fraud-detector's traffic", |m| {
        matches!(m, Metrics::Models(t) if t.get(&(NS.into(), "fraud-detector".into())).is_some_and(|t| t.rps.unwrap_or(0.0) > 0.0 && t.p99_ms.is_some()))
    })
    .await;
    let Metrics::Models(models) = m else {
        unreachable!()
    };
    let fraud = models[&(NS.to_string(), "fraud-detector".to_string())];
    assert_eq!(
        (fraud.ready, fraud.desired),
        (Some(2.0), Some(2.0)),
        "a canary runs two revisions"
    );
    assert!(fraud.p50_ms.unwrap() <= fraud.p99_ms.unwrap());
    let queries = prom.queries.load(std::sync::atomic::Ordering::Relaxed);

    // Test requests raise a quiet model's numbers.
    let iris = (NS.to_string(), "sklearn-iris".to_string());
    assert!(
        models.get(&iris).is_none_or(|t| t.rps.unwrap_or(0.0) == 0.0),
        "{models:?}"
    );
    send_requests(&client, "sklearn-iris", 30).await;
    until(&prom, &columns, "sklearn-iris's traffic after test requests", |m| {
        matches!(m, Metrics::Models(t) if t.get(&iris).is_some_and(|t| t.rps.unwrap_or(0.0) > 0.0 && t.p50_ms.is_some_and(|p| p > 0.0)))
    })
    .await;

    // The detail: the last 15 minutes per revision, the canary beside the default.
    let history = key(Kind::ModelHistory, Some(NS), Some("fraud-detector"));
    let m = until(
        &prom,
        &history,
        "fraud-detector's revisions",
        |m| matches!(m, Metrics::History { panels, .. } if panels[0].series.len() == 2),
    )
    .await;
    let Metrics::History { panels, .. } = m else {
        unreachable!()
    };
    assert_eq!(
        panels.iter().map(|p| p.title).collect::<Vec<_>>(),
        ["requests/s", "p50 latency", "p99 latency", "errors"]
    );
    let revisions: Vec<&str> = panels[0].series.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        revisions,
        ["fraud-detector-predictor-00001", "fraud-detector-predictor-00002"]
    );
    assert_eq!(panels[0].series[0].1.len(), 61, "15 minutes every 15 s");

    // A training job's hardware, per pod.
    let hw = key(Kind::TrainingHardware, Some(NS), Some("llama-finetune"));
    let m = until(
        &prom,
        &hw,
        "llama-finetune's GPUs",
        |m| matches!(m, Metrics::History { panels, .. } if panels.iter().all(|p| !p.series.is_empty())),
    )
    .await;
    let Metrics::History { panels, .. } = m else {
        unreachable!()
    };
    assert_eq!(
        panels.iter().map(|p| p.title).collect::<Vec<_>>(),
        ["GPU utilisation", "GPU memory", "CPU", "memory"]
    );
    assert_eq!(
        panels[0].series.len(),
        2,
        "a series per node: {:?}",
        panels[0].series
    );
    let util = kftui::ui::metrics::last(&panels[0].series[0].1).unwrap();
    assert!(util > 0.0 && util <= 100.0, "GPU utilisation {util}");
    assert!(queries >= 6, "six column queries per refresh");
    drop(server);
    sim.shutdown().await;
}

#[tokio::test]
async fn no_prometheus_or_a_slow_one_answers_within_the_deadline() {
    let sim = sim_support::start().await;
    let client = sim_support::client(&sim);
    let start = Instant::now();
    let e = Prometheus::discover(&client, None).await.err().unwrap();
    assert!(matches!(e, PromError::Unreachable(_)), "{e}");
    assert!(
        e.to_string().contains("prometheus_url"),
        "says how to point at one: {e}"
    );
    assert!(start.elapsed() < prometheus::DEADLINE + Duration::from_secs(1));
    let e = Prometheus::discover(&client, Some("http://127.0.0.1:9"))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, PromError::Unreachable(_)), "{e}");
    let e = Prometheus::discover(&client, Some("not a place"))
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("neither a URL"), "{e}");
    // A Prometheus that does not answer in time (the cluster's slow-response fault).
    let mut faults = sim.faults();
    faults.delay_ms = 20_000;
    sim.set_faults(faults);
    let start = Instant::now();
    let e = Prometheus::discover(&client, Some(&format!("{}/", sim.url())))
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("no answer in"), "{e}");
    assert!(start.elapsed() < prometheus::DEADLINE + Duration::from_secs(2));
    sim.shutdown().await;
}

#[test]
fn an_unreachable_prometheus_is_told_once_and_the_models_pane_works_as_before() {
    let before = support::models_state(200, 40);
    let key = key_of(&before);
    let rows_before = support::draw(&before, 200, 40, &support::theme("default"));
    // Told once: after the first, no notice comes back.
    let mut again = support::models_state(200, 40);
    let mut notices = 0;
    for _ in 0..3 {
        let msg = Msg::Data(DataEvent::Metrics {
            key: key.clone(),
            result: Err("no Prometheus answers".into()),
        });
        update(&mut again, &support::keymap(), msg);
        if let Some(n) = again.notice.take() {
            assert!(n.text.starts_with("no Prometheus answers"), "{}", n.text);
            notices += 1;
        }
    }
    assert_eq!(notices, 1, "the status line says it once");
    // The list is the same list, without traffic columns.
    let after = support::draw(&again, 200, 40, &support::theme("default"));
    assert_eq!(rows_before.backend().to_string(), after.backend().to_string());
    assert!(!after.backend().to_string().contains("REQ/S"));

    // When Prometheus answers, the columns come.
    let mut traffic = std::collections::BTreeMap::new();
    traffic.insert(
        (
            "kubeflow-user-example-com".to_string(),
            "sklearn-iris".to_string(),
        ),
        prometheus::Traffic {
            rps: Some(3.25),
            p50_ms: Some(12.0),
            p99_ms: Some(48.0),
            error_ratio: Some(0.0),
            ready: Some(1.0),
            desired: Some(1.0),
        },
    );
    let msg = Msg::Data(DataEvent::Metrics {
        key,
        result: Ok(Arc::new(Metrics::Models(traffic))),
    });
    update(&mut again, &support::keymap(), msg);
    let screen = support::draw(&again, 200, 40, &support::theme("default"))
        .backend()
        .to_string();
    for text in [
        "REQ/S", "P50", "P99", "ERRORS", "PODS", "3.25/s", "12 ms", "48 ms", "1/1",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }
}

fn key_of(state: &kftui::app::state::State) -> SubKey {
    state
        .subs
        .iter()
        .find(|k| k.kind == Kind::ModelTraffic)
        .cloned()
        .expect("the Models list asks Prometheus while it shows")
}

#[test]
fn no_polling_where_nothing_shows_it() {
    let mut state = support::loaded_state(120, 30);
    assert!(
        !state.subs.iter().any(|k| kftui::app::monitor::is_metrics(k.kind)),
        "Runs asks no metrics"
    );
    support::press(&mut state, "5");
    assert_eq!(
        state
            .subs
            .iter()
            .filter(|k| kftui::app::monitor::is_metrics(k.kind))
            .count(),
        1
    );
    support::press(&mut state, "1");
    assert!(
        !state.subs.iter().any(|k| kftui::app::monitor::is_metrics(k.kind)),
        "leaving Models stops it"
    );
}

/// The row of `name` on a screen, split in cells.
fn row_cells(screen: &str, name: &str) -> Vec<String> {
    screen
        .lines()
        .find(|l| l.contains(&format!("│{name} ")))
        .map(|l| l.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

/// The REQ/S and P50 cells of a model's row.
fn rps_and_p50(screen: &str, name: &str) -> Option<(String, String)> {
    let cells = row_cells(screen, name);
    let i = cells
        .iter()
        .position(|c| c.strip_suffix("/s").is_some_and(|n| n.parse::<f64>().is_ok()))?;
    Some((cells[i].clone(), cells.get(i + 1)?.clone()))
}

#[test]
fn the_binary_shows_test_requests_raise_a_models_traffic_and_a_jobs_gpus() {
    let test = "the_binary_shows_test_requests_raise_a_models_traffic_and_a_jobs_gpus";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt.block_on(sim_support::start());
    let Some(server) = PromServer::start(test, &sim.addr().to_string()) else {
        return;
    };
    server.wait_for_series("revision_app_request_count", Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig_yaml()).unwrap();
    let mut t = Pty::spawn(
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--prometheus",
            &server.url(),
        ],
        200,
        50,
    );
    t.wait_for("the runs", Duration::from_secs(20), |s| s.contains("Runs ("));
    t.send("5");
    let screen = t.wait_for("the traffic columns", Duration::from_secs(30), |s| {
        s.contains("REQ/S") && rps_and_p50(s, "sklearn-iris").is_some()
    });
    let (rps, p50) = rps_and_p50(&screen, "sklearn-iris").unwrap();
    assert_eq!(
        (rps.as_str(), p50.as_str()),
        ("0/s", "—"),
        "a quiet model:\n{screen}"
    );
    rt.block_on(async {
        let client = sim_support::client(&sim);
        send_requests(&client, "sklearn-iris", 40).await;
    });
    let screen = t.wait_for("the requests in the columns", Duration::from_secs(60), |s| {
        rps_and_p50(s, "sklearn-iris").is_some_and(|(r, p)| r != "0/s" && p != "—")
    });
    let (rps, p50) = rps_and_p50(&screen, "sklearn-iris").unwrap();
    let value: f64 = rps.trim_end_matches("/s").parse().unwrap();
    assert!(value > 0.0, "requests/s rose: {rps}\n{screen}");
    let cells = row_cells(&screen, "sklearn-iris");
    let i = cells.iter().position(|c| *c == p50).unwrap();
    assert_eq!(cells[i + 1], "ms", "latency in milliseconds: {cells:?}");

    // The training detail: GPU utilisation of a running job's pods.
    t.send("6");
    t.wait_for("the training list", Duration::from_secs(20), |s| {
        s.contains("llama-finetune")
    });
    t.send("/");
    t.type_text("llama-finetune");
    t.send("\r");
    t.send("\r");
    let screen = t.wait_for("GPU utilisation", Duration::from_secs(40), |s| {
        s.lines()
            .any(|l| l.contains("GPU utilisation") && l.trim_end_matches('│').trim_end().ends_with('%'))
    });
    assert!(
        screen.contains("GPU memory") && screen.contains("GiB"),
        "{screen}"
    );
    t.send("q");
    let _ = t.wait_exit(Duration::from_secs(10));
    drop(server);
    rt.block_on(sim.shutdown());
}

#[test]
fn without_prometheus_the_binary_says_so_once_and_lists_models() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt.block_on(sim_support::start());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig_yaml()).unwrap();
    let mut t = Pty::spawn(
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--prometheus",
            "http://127.0.0.1:9",
        ],
        160,
        30,
    );
    t.wait_for("the runs", Duration::from_secs(20), |s| s.contains("Runs ("));
    t.send("5");
    let screen = t.wait_for("the notice and the models", Duration::from_secs(30), |s| {
        s.contains("no Prometheus answers") && s.contains("sklearn-iris")
    });
    assert!(
        screen.contains("sklearn-iris") && !screen.contains("REQ/S"),
        "{screen}"
    );
    t.send("q");
    let _ = t.wait_exit(Duration::from_secs(10));
    rt.block_on(sim.shutdown());
}

#[test]
fn the_model_detail_puts_the_canarys_numbers_beside_the_defaults() {
    let mut state = support::models_state(120, 60);
    support::press(&mut state, "/");
    support::type_text(&mut state, "flowers");
    support::press(&mut state, "enter");
    support::press(&mut state, "enter");
    let key = state
        .subs
        .iter()
        .find(|k| k.kind == Kind::ModelHistory)
        .cloned()
        .expect("the open model's history is asked for");
    assert_eq!(key.field.as_deref(), Some("metadata.name=flowers"));
    assert!(
        !state.subs.iter().any(|k| k.kind == Kind::ModelTraffic),
        "the list's columns are not shown"
    );
    let series = |a: f64, b: f64| {
        vec![
            ("flowers-predictor-00001".to_string(), vec![a; 61]),
            ("flowers-predictor-00002".to_string(), vec![b; 61]),
        ]
    };
    let panel = |title, unit, s| prometheus::Panel {
        title,
        unit,
        series: s,
        error: None,
    };
    use prometheus::Unit;
    let history = Metrics::History {
        start: 0,
        panels: vec![
            panel("requests/s", Unit::PerSecond, series(8.0, 2.0)),
            panel("p50 latency", Unit::Millis, series(12.0, 19.0)),
            panel("p99 latency", Unit::Millis, series(40.0, 95.0)),
            panel("errors", Unit::Ratio, series(0.0, 0.05)),
        ],
    };
    let msg = Msg::Data(DataEvent::Metrics {
        key,
        result: Ok(Arc::new(history)),
    });
    update(&mut state, &support::keymap(), msg);
    let screen = support::draw(&state, 120, 60, &support::theme("default"))
        .backend()
        .to_string();
    let line = |start: &str| {
        screen
            .lines()
            .map(|l| {
                l.trim_matches('"')
                    .trim_matches('│')
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start}:\n{screen}"))
    };
    assert!(line("default 80%").contains("canary 20%"), "{screen}");
    assert!(line("requests/s 8.00/s").contains("2.00/s"), "{screen}");
    assert!(line("p99 latency 40 ms").contains("95 ms"), "{screen}");
    assert!(line("errors 0%").contains("5.0%"), "{screen}");
    assert!(screen.contains("████"), "sparklines are drawn:\n{screen}");
}
