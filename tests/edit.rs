//! `e`: an object's YAML in the user's editor, written back with the version it was read at, as
//! `kubectl edit` does. The real binary in a pseudo-terminal with a scripted editor, and the
//! save path against the embedded cluster: unchanged, invalid, and changed meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/pty.rs"]
#[allow(dead_code)]
mod pty;
#[path = "support/sim.rs"]
mod simsupport;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use kftui::kube::edit::{self, EditOutcome};
use kftui::kube::key::{Kind, VerbTarget};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::json;
use simsupport::{NS, client, start};

const NOTEBOOK: &str = "jupyter-scipy";

fn target() -> VerbTarget {
    VerbTarget {
        kind: Kind::Notebooks,
        namespace: NS.into(),
        name: NOTEBOOK.into(),
        display: NOTEBOOK.into(),
    }
}

fn notebooks(c: &kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(c.clone(), NS, &kftui::kube::fetch::api_resource(Kind::Notebooks))
}

fn image(nb: &DynamicObject) -> String {
    nb.data["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// A scripted editor: retags every image line of the file it is given.
fn retagging_editor(dir: &std::path::Path, tag: &str) -> std::path::PathBuf {
    let path = dir.join("editor.sh");
    std::fs::write(
        &path,
        format!("#!/bin/sh\nsed -i -E 's#(image: [^:]+):[^:]*$#\\1:{tag}#' \"$1\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn e_opens_the_notebook_in_the_editor_and_the_list_shows_the_saved_change() {
    let dir = tempfile::tempdir().unwrap();
    let editor = retagging_editor(dir.path(), "edited");
    let editor = editor.to_str().unwrap();
    let mut t = pty::Pty::spawn_env(
        &pty::binary(),
        &["--demo"],
        160,
        30,
        &[("VISUAL", editor), ("EDITOR", editor)],
    );
    t.send("4");
    t.wait_for("the notebooks", Duration::from_secs(20), |s| s.contains(NOTEBOOK));
    t.send("/");
    t.type_text(NOTEBOOK);
    t.send("\r");
    t.wait_for("the footer offers edit in help", Duration::from_secs(5), |s| {
        s.contains(NOTEBOOK)
    });
    t.send("e");
    t.wait_for("the save", Duration::from_secs(20), |s| {
        s.contains(&format!("notebook/{NOTEBOOK} edited"))
    });
    t.wait_for("the new image in the list", Duration::from_secs(20), |s| {
        s.contains("jupyter-scipy:edited")
    });
    // The terminal is the UI's again: keys work.
    t.send("?");
    t.wait_for("help", Duration::from_secs(5), |s| s.contains("edit"));
    t.send("q");
    t.send("q");
    t.wait_exit(Duration::from_secs(10));
}

#[test]
fn an_editor_that_fails_saves_nothing_and_says_so() {
    let mut t = pty::Pty::spawn_env(
        &pty::binary(),
        &["--demo"],
        160,
        30,
        &[("VISUAL", "false"), ("EDITOR", "false")],
    );
    t.send("4");
    t.wait_for("the notebooks", Duration::from_secs(20), |s| s.contains(NOTEBOOK));
    t.send("e");
    t.wait_for("the refusal", Duration::from_secs(20), |s| {
        s.contains("the editor (false) exited with")
    });
    t.send("q");
    t.wait_exit(Duration::from_secs(10));
}

#[tokio::test]
async fn saving_an_edit_unchanged_invalid_and_after_someone_else_changed_it() {
    let h = start().await;
    let c = client(&h);
    let doc = edit::load(c.clone(), target()).await.unwrap();
    assert!(
        doc.text.starts_with("# Please edit the object below."),
        "{}",
        doc.text
    );
    assert!(
        !doc.text.contains("managedFields"),
        "hidden, as kubectl edit does"
    );

    // Unchanged, or emptied: nothing is written.
    let out = edit::save(c.clone(), doc.clone(), doc.text.clone()).await;
    assert_eq!(
        out,
        EditOutcome::Cancelled {
            why: "no changes".into()
        }
    );
    let out = edit::save(c.clone(), doc.clone(), "# only a comment\n".into()).await;
    assert!(matches!(out, EditOutcome::Cancelled { .. }), "{out:?}");

    // Invalid: the file comes back with the server's reason on top and the user's text kept.
    let renamed = doc
        .text
        .replace(&format!("name: {NOTEBOOK}\n"), "name: another-name\n");
    let EditOutcome::Reopen(again) = edit::save(c.clone(), doc.clone(), renamed).await else {
        panic!("an invalid object reopens the file")
    };
    assert!(
        again
            .text
            .starts_with("# Notebook \"jupyter-scipy\" was not valid:"),
        "{}",
        again.text
    );
    assert!(
        again.text.contains("name: another-name"),
        "the user's text is kept"
    );

    // Someone else changes it meanwhile: a conflict reopens it on the new version, with what
    // changed on the server listed.
    let api = notebooks(&c);
    let theirs = json!({"metadata": {"annotations": {"changed-by": "someone-else"}}});
    api.patch(NOTEBOOK, &PatchParams::default(), &Patch::Merge(&theirs))
        .await
        .unwrap();
    let mine = doc.text.replace(":v1.9.2", ":mine");
    let EditOutcome::Reopen(again) = edit::save(c.clone(), doc.clone(), mine).await else {
        panic!("a conflict reopens the file")
    };
    assert!(
        again
            .text
            .contains("was changed on the server while you edited it"),
        "{}",
        again.text
    );
    assert!(
        again.text.contains("+     changed-by: someone-else"),
        "{}",
        again.text
    );
    assert_ne!(again.resource_version, doc.resource_version);
    assert!(
        again
            .text
            .contains(&format!("resourceVersion: '{}'", again.resource_version))
            || again
                .text
                .contains(&format!("resourceVersion: \"{}\"", again.resource_version))
            || again
                .text
                .contains(&format!("resourceVersion: {}", again.resource_version)),
        "the user's text is on the new version: {}",
        again.text
    );
    // Saving the reopened file writes the user's version.
    let out = edit::save(c.clone(), again.clone(), again.text.clone()).await;
    assert_eq!(out, EditOutcome::Saved);
    let nb = api.get(NOTEBOOK).await.unwrap();
    assert_eq!(image(&nb), "kubeflownotebookswg/jupyter-scipy:mine");
    h.shutdown().await;
}
