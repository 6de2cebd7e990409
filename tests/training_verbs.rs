#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Training and Experiments panes against the embedded cluster: the watches list the seeded
//! objects, and the verbs a user confirms end with the object the cluster holds.

#[path = "support/sim.rs"]
mod sim_support;
mod support;

use std::time::Duration;

use kftui::app::effect::Effect;
use kftui::app::msg::{DataEvent, Msg};
use kftui::app::state::State;
use kftui::app::subs::{Kind, SubKey};
use kftui::app::update::update;
use kftui::kube::fetch::api_resource;
use kftui::kube::kubeflow_ops::Verb;
use kftui::kube::resources::train_job::{JobKind, TrainJobLite, TrainRow, TrainState};
use kftui::kube::training_ops::{TrainingVerb, training_verb};
use kube::api::{Api, DynamicObject};
use serde_json::Value;
use sim_support::{NS, client, start};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn get(c: &kube::Client, kind: Kind, name: &str) -> Option<Value> {
    let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), NS, &api_resource(kind));
    api.get_opt(name)
        .await
        .unwrap()
        .map(|o| serde_json::to_value(o).unwrap())
}

async fn trainjob_row(c: &kube::Client, name: &str) -> TrainRow {
    let api: Api<TrainJobLite> = Api::namespaced(c.clone(), NS);
    TrainRow::from_trainjob(&api.get(name).await.unwrap())
}

/// Waits until the job is in `want` with a condition the controller wrote that says so.
async fn wait_for(c: &kube::Client, name: &str, want: TrainState, condition: (&str, &str)) -> TrainRow {
    let mut last = None;
    for _ in 0..100 {
        let row = trainjob_row(c, name).await;
        if row.state == want
            && row
                .conditions
                .iter()
                .any(|c| c.type_ == condition.0 && c.status == condition.1)
        {
            return row;
        }
        last = Some(row);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("train job {name} never became {want:?} with {condition:?}: {last:?}");
}

/// A State on the demo namespace of the embedded cluster's context.
fn state() -> State {
    let mut s = support::state_with(160, 48, NS, Vec::new());
    s.target.context = "kftui-sim".into();
    s
}

/// Runs the watch of `key` until it delivers rows, and feeds them to `update`.
async fn deliver(c: &kube::Client, state: &mut State, key: SubKey) {
    assert!(state.subs.contains(&key), "the state wants {key:?}");
    let (tx, mut rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(kftui::kube::subscribe::run(
        c.clone(),
        key.clone(),
        tx,
        cancel.clone(),
    ));
    let km = support::keymap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the watch delivers within 10 s")
            .expect("the watch is open");
        let rows = matches!(
            &msg,
            Msg::Data(
                DataEvent::Training { .. }
                    | DataEvent::Experiments { .. }
                    | DataEvent::Trials { .. }
                    | DataEvent::TrainingRuntimes { .. }
            )
        );
        update(state, &km, msg);
        if rows {
            break;
        }
    }
    cancel.cancel();
    let _ = task.await;
}

fn screen(state: &State) -> String {
    format!(
        "{}",
        support::draw(state, 160, 48, &support::theme("mono")).backend()
    )
}

#[tokio::test]
async fn the_panes_list_the_seeded_jobs_experiments_and_trials() {
    let h = start().await;
    let c = client(&h);
    let mut s = state();
    support::press(&mut s, "6");
    for kind in JobKind::WATCHED {
        deliver(&c, &mut s, support::kind_key(Kind::Training(kind), Some(NS))).await;
    }
    let text = screen(&s);
    for name in [
        "llama-finetune",
        "mnist-ddp",
        "bert-pretrain",
        "resnet-sweep",
        "pytorch-mnist-ddp",
        "tf-mnist",
    ] {
        assert!(text.contains(name), "{name} on the Training pane:\n{text}");
    }
    for word in [
        "● Running",
        "✓ Complete",
        "✗ Failed",
        "‖ Suspended",
        "PyTorch",
        "TF",
        "loss=",
    ] {
        assert!(text.contains(word), "{word} on the Training pane:\n{text}");
    }
    // The open job lists the runtimes, the one it uses marked.
    let at = s
        .training
        .visible_rows()
        .position(|r| r.name == "llama-finetune")
        .unwrap();
    support::press(&mut s, "g g");
    for _ in 0..at {
        support::press(&mut s, "j");
    }
    support::press(&mut s, "enter");
    deliver(&c, &mut s, support::kind_key(Kind::ClusterTrainingRuntimes, None)).await;
    deliver(&c, &mut s, support::kind_key(Kind::TrainingRuntimes, Some(NS))).await;
    let text = screen(&s);
    for word in [
        "trainjob/llama-finetune",
        "★ torch-distributed",
        "torch-small",
        "Replicated jobs (1)",
    ] {
        assert!(text.contains(word), "{word} in the job's detail:\n{text}");
    }

    support::press(&mut s, "7");
    deliver(&c, &mut s, support::kind_key(Kind::Experiments, Some(NS))).await;
    let text = screen(&s);
    for name in [
        "random-search-lr",
        "xgboost-depth-sweep",
        "loss ↓ 0.001",
        "accuracy ↑ 0.99",
    ] {
        assert!(text.contains(name), "{name} on the Experiments pane:\n{text}");
    }
    let at = s
        .experiments
        .visible_rows()
        .position(|r| r.name == "xgboost-depth-sweep")
        .unwrap();
    support::press(&mut s, "g g");
    for _ in 0..at {
        support::press(&mut s, "j");
    }
    support::press(&mut s, "enter");
    let key = SubKey {
        selector: Some("katib.kubeflow.org/experiment=xgboost-depth-sweep".into()),
        ..support::kind_key(Kind::Trials, Some(NS))
    };
    deliver(&c, &mut s, key).await;
    let d = s.experiment.as_ref().unwrap();
    assert!(d.trials.len() >= 3, "{} trials", d.trials.len());
    assert!(d.trials.iter().all(|t| t.experiment == "xgboost-depth-sweep"));
    let text = screen(&s);
    for word in [
        "MAX_DEPTH",
        "ACCURACY",
        "accuracy over",
        "Current optimal trial",
        "★ xgboost-depth-sweep-",
    ] {
        assert!(text.contains(word), "{word} in the experiment's detail:\n{text}");
    }
}

#[tokio::test]
async fn suspend_and_resume_a_train_job_from_the_pane() {
    let h = start().await;
    let c = client(&h);
    let name = "llama-finetune";
    assert_eq!(trainjob_row(&c, name).await.state, TrainState::Running);

    // The pane asks, naming the job and what happens, and sends the verb for that job.
    let mut s = state();
    support::press(&mut s, "6");
    deliver(
        &c,
        &mut s,
        support::kind_key(Kind::Training(JobKind::TrainJob), Some(NS)),
    )
    .await;
    let at = s.training.visible_rows().position(|r| r.name == name).unwrap();
    support::press(&mut s, "g g");
    for _ in 0..at {
        support::press(&mut s, "j");
    }
    support::press(&mut s, "p");
    let text = screen(&s);
    assert!(
        text.contains(&format!("Suspend training job {name}?")),
        "the confirmation names the job:\n{text}"
    );
    assert!(text.contains("Its pods are deleted"), "and the effect:\n{text}");
    let effects = support::press(&mut s, "y");
    let Some(Effect::RunVerb { verb, targets, .. }) =
        effects.iter().find(|e| matches!(e, Effect::RunVerb { .. }))
    else {
        panic!("no verb sent: {effects:?}");
    };
    assert_eq!(*verb, Verb::Training(TrainingVerb::Suspend));
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].kind, Kind::Training(JobKind::TrainJob));
    let said = verb.run_on(&c, &targets[0]).await.unwrap();
    assert_eq!(said, format!("trainjob {name} suspended"));

    let job = get(&c, Kind::Training(JobKind::TrainJob), name).await.unwrap();
    assert_eq!(job.pointer("/spec/suspend"), Some(&Value::Bool(true)));
    let row = wait_for(&c, name, TrainState::Suspended, ("Suspended", "True")).await;
    assert_eq!(row.nodes_ready, 0, "a suspended job has no ready node");
    let again = training_verb(&c, JobKind::TrainJob, NS, name, TrainingVerb::Suspend).await;
    assert_eq!(
        again.unwrap_err().to_string(),
        format!("trainjob {name} is already suspended")
    );

    training_verb(&c, JobKind::TrainJob, NS, name, TrainingVerb::Resume)
        .await
        .unwrap();
    let job = get(&c, Kind::Training(JobKind::TrainJob), name).await.unwrap();
    assert_eq!(job.pointer("/spec/suspend"), Some(&Value::Bool(false)));
    let row = wait_for(&c, name, TrainState::Running, ("Suspended", "False")).await;
    assert!(
        row.conditions
            .iter()
            .any(|c| c.type_ == "Suspended" && c.status == "False" && c.reason == "Resumed"),
        "{:?}",
        row.conditions
    );

    // A finished job is refused, in words.
    let done = training_verb(&c, JobKind::TrainJob, NS, "mnist-ddp", TrainingVerb::Suspend).await;
    assert_eq!(
        done.unwrap_err().to_string(),
        "cannot suspend trainjob mnist-ddp: it has completed"
    );
}

#[tokio::test]
async fn suspend_a_legacy_pytorchjob_through_its_run_policy() {
    let h = start().await;
    let c = client(&h);
    training_verb(
        &c,
        JobKind::PyTorch,
        NS,
        "pytorch-mnist-ddp",
        TrainingVerb::Suspend,
    )
    .await
    .unwrap();
    let job = get(&c, Kind::Training(JobKind::PyTorch), "pytorch-mnist-ddp")
        .await
        .unwrap();
    assert_eq!(job.pointer("/spec/runPolicy/suspend"), Some(&Value::Bool(true)));
    assert_eq!(
        job.pointer("/spec/runPolicy/cleanPodPolicy"),
        Some(&Value::from("None")),
        "a merge patch keeps the rest of the run policy"
    );
}

#[tokio::test]
async fn delete_an_experiment_from_the_pane() {
    let h = start().await;
    let c = client(&h);
    let name = "random-search-lr";
    let mut s = state();
    support::press(&mut s, "7");
    deliver(&c, &mut s, support::kind_key(Kind::Experiments, Some(NS))).await;
    let at = s.experiments.visible_rows().position(|r| r.name == name).unwrap();
    support::press(&mut s, "g g");
    for _ in 0..at {
        support::press(&mut s, "j");
    }
    support::press(&mut s, "D");
    let text = screen(&s);
    assert!(
        text.contains(&format!("Delete experiment {name}?")),
        "the confirmation names the experiment:\n{text}"
    );
    assert!(text.contains("its trials"), "and what goes with it:\n{text}");
    let effects = support::press(&mut s, "y");
    let Some(Effect::RunVerb { verb, targets, .. }) =
        effects.iter().find(|e| matches!(e, Effect::RunVerb { .. }))
    else {
        panic!("no verb sent: {effects:?}");
    };
    assert_eq!(targets[0].kind, Kind::Experiments);
    let said = verb.run_on(&c, &targets[0]).await.unwrap();
    assert_eq!(said, format!("experiment {name} is being deleted"));
    for _ in 0..50 {
        if get(&c, Kind::Experiments, name).await.is_none() {
            assert!(
                get(&c, Kind::Experiments, "xgboost-depth-sweep").await.is_some(),
                "only that experiment goes"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the experiment was not deleted");
}
