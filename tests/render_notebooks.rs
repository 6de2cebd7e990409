#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Render snapshots of the new-notebook form (with a typing error) and of the list of open
//! connections (notebooks and a port-forward), at 80x24 and 160x48.

mod support;

use kftui::app::connections::{Connection, Forward, ForwardTarget, Token, Via};
use kftui::app::notebook_form::{CPU, NotebookForm, PodDefault};
use support::*;

fn snapshot(name: &str, state: &kftui::app::state::State, w: u16, h: u16) {
    let term = draw(state, w, h, &support::theme("default"));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
}

#[test]
fn the_new_notebook_form_with_a_bad_quantity() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = loaded_state(w, h);
        let mut form = NotebookForm::new("kubeflow-user-example-com".into(), 1);
        form.set_pod_defaults(Ok(vec![
            PodDefault {
                name: "access-ml-pipeline".into(),
                desc: "Allow access to Kubeflow Pipelines".into(),
                labels: vec![("access-ml-pipeline".into(), "true".into())],
            },
            PodDefault {
                name: "add-gpu-tolerations".into(),
                desc: "Schedule on GPU nodes".into(),
                labels: vec![("add-gpu-tolerations".into(), "true".into())],
            },
        ]));
        state.notebook_form = Some(form);
        type_text(&mut state, "my-nb");
        for _ in 0..CPU {
            press(&mut state, "tab");
        }
        for _ in 0..3 {
            press(&mut state, "backspace");
        }
        type_text(&mut state, "2 cores");
        let f = state.notebook_form.as_ref().unwrap();
        assert_eq!(
            f.fields[CPU].error.as_deref(),
            Some("\"2 cores\" is not a quantity (like 500m, 1.5, 1Gi)")
        );
        snapshot("notebook_form", &state, w, h);
    }
}

#[test]
fn the_connections_list() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = loaded_state(w, h);
        state.connections.list = vec![
            Connection {
                id: 1,
                context: "kftui-sim".into(),
                namespace: "kubeflow-user-example-com".into(),
                name: "jupyter-scipy".into(),
                forward: None,
                port: Some(40123),
                via: Some(Via::ServiceProxy),
                token: Some(Token::from_text("Yq3v9kXw2bN7tR4mP8sLzA1cD6fH0jUeG5oWxVyKaQs")),
                requests: 42,
                refused: 3,
                last_refused: Some("Host is not 127.0.0.1:40123 or localhost:40123".into()),
                sockets: 2,
                last_error: None,
            },
            Connection {
                id: 2,
                context: "kftui-sim".into(),
                namespace: "kubeflow-user-example-com".into(),
                name: "vscode-dev".into(),
                forward: None,
                port: Some(40124),
                via: Some(Via::PortForward {
                    pod: "vscode-dev-0".into(),
                    port: 8888,
                }),
                token: Some(Token::from_text("mZ2xQ7rT1vB9nK4wE8yU3iO6pA0sD5fG2hJ7kL1zXcV")),
                requests: 1,
                refused: 0,
                last_refused: None,
                sockets: 0,
                last_error: Some("the notebook did not answer in 10 s".into()),
            },
            Connection {
                id: 3,
                context: "kftui-sim".into(),
                namespace: "kubeflow-user-example-com".into(),
                name: "jupyter-scipy-0".into(),
                forward: Some(Forward {
                    target: ForwardTarget::pod("kubeflow-user-example-com", "jupyter-scipy-0"),
                    port: 6006,
                }),
                port: Some(6006),
                via: Some(Via::PodProxy),
                token: Some(Token::from_text("pQ4wR8tY2uI6oP0aS3dF7gH1jK5lZ9xC4vB8nM2qW6e")),
                requests: 7,
                refused: 1,
                last_refused: Some("no token or a wrong one".into()),
                sockets: 0,
                last_error: None,
            },
        ];
        state.pane = kftui::app::pane::PaneId::Notebooks;
        state.connections.open = true;
        snapshot("connections", &state, w, h);
    }
}
