//! `e`: an object's YAML in the user's editor, written back with the resourceVersion it was read
//! at, as `kubectl edit` does: comment lines are ignored, an unchanged or empty file cancels, an
//! invalid object reopens the file with the server's reasons on top, and a conflict (someone
//! changed the object meanwhile) reopens it on the new version with what changed on the server.

use kube::api::{Api, DynamicObject, PostParams};
use serde_json::Value;

use crate::kube::describe_error;
use crate::kube::fetch::api_resource;
use crate::kube::key::VerbTarget;

/// The header every edited file starts with.
const HEADER: &str = "\
# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
";

/// One object being edited: what was read, and the text the editor gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditDoc {
    pub target: VerbTarget,
    /// The object as read, as YAML (what "unchanged" compares to).
    pub original: String,
    /// The resourceVersion it was read at.
    pub resource_version: String,
    /// The file the editor opens: a header, then the object.
    pub text: String,
}

/// What saving an edit came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// The object was written.
    Saved,
    /// Nothing changed, or the file was emptied.
    Cancelled { why: String },
    /// The server refused it, or it changed meanwhile: the file opens again.
    Reopen(EditDoc),
    /// It could not be written and there is nothing to reopen.
    Failed(String),
}

fn api(client: kube::Client, target: &VerbTarget) -> (Api<DynamicObject>, String) {
    let ar = api_resource(target.kind);
    let api = if target.namespace.is_empty() {
        Api::all_with(client, &ar)
    } else {
        Api::namespaced_with(client, &target.namespace, &ar)
    };
    (api, ar.kind)
}

/// The object as the editor shows it: YAML without managedFields (as `kubectl edit`).
fn editable(obj: &DynamicObject) -> Result<(String, String), String> {
    let mut value = serde_json::to_value(obj).map_err(|e| e.to_string())?;
    if let Some(m) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    let rv = obj.metadata.resource_version.clone().unwrap_or_default();
    let yaml = serde_saphyr::to_string(&value).map_err(|e| e.to_string())?;
    Ok((yaml, rv))
}

/// Reads an object for editing.
pub async fn load(client: kube::Client, target: VerbTarget) -> Result<EditDoc, String> {
    let (api, kind) = api(client, &target);
    let obj = api
        .get(&target.name)
        .await
        .map_err(|e| format!("cannot get {kind}/{}: {}", target.name, describe_error(&e)))?;
    let (original, resource_version) = editable(&obj)?;
    Ok(EditDoc {
        text: format!("{HEADER}{original}"),
        target,
        original,
        resource_version,
    })
}

/// The text without comment lines, as it is parsed.
fn body(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Comment lines: `# ` before each line of `text`.
fn commented(text: &str) -> String {
    text.lines().map(|l| format!("# {l}\n")).collect()
}

/// Saves what the user wrote over `doc`.
pub async fn save(client: kube::Client, doc: EditDoc, edited: String) -> EditOutcome {
    let text = body(&edited);
    if text.trim().is_empty() {
        return EditOutcome::Cancelled {
            why: "the file was emptied".into(),
        };
    }
    if text.trim_end() == doc.original.trim_end() {
        return EditOutcome::Cancelled {
            why: "no changes".into(),
        };
    }
    let reopen_with = |doc: &EditDoc, header: String, rv: Option<String>| {
        let user = strip_header(&edited);
        EditOutcome::Reopen(EditDoc {
            text: format!(
                "{header}{HEADER}{}",
                match &rv {
                    Some(rv) => with_resource_version(&user, &doc.resource_version, rv),
                    None => user,
                }
            ),
            resource_version: rv.unwrap_or_else(|| doc.resource_version.clone()),
            ..doc.clone()
        })
    };
    let mut value: Value = match serde_saphyr::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return reopen_with(
                &doc,
                commented(&format!("The file does not parse as YAML:\n{e}")),
                None,
            );
        }
    };
    let (api, kind) = api(client, &doc.target);
    let name = doc.target.name.clone();
    if let Some(m) = value.get_mut("metadata").and_then(Value::as_object_mut)
        && !m.contains_key("resourceVersion")
    {
        m.insert(
            "resourceVersion".into(),
            Value::String(doc.resource_version.clone()),
        );
    }
    let obj: DynamicObject = match serde_json::from_value(value) {
        Ok(o) => o,
        Err(e) => {
            return reopen_with(
                &doc,
                commented(&format!("This is not a Kubernetes object: {e}")),
                None,
            );
        }
    };
    match api.replace(&name, &PostParams::default(), &obj).await {
        Ok(_) => EditOutcome::Saved,
        Err(kube::Error::Api(s)) if s.code == 409 => {
            let latest = match api.get(&name).await {
                Ok(o) => o,
                Err(e) => {
                    return EditOutcome::Failed(format!(
                        "{kind}/{name} changed while you edited it, and cannot be read again: {}",
                        describe_error(&e)
                    ));
                }
            };
            let (latest_yaml, latest_rv) = match editable(&latest) {
                Ok(x) => x,
                Err(e) => return EditOutcome::Failed(e),
            };
            let changes = line_diff(&doc.original, &latest_yaml, 40);
            let header = commented(&format!(
                "{kind}/{name} was changed on the server while you edited it \
                 (resourceVersion {} is now {latest_rv}):\n{}\n\
                 Your version is below, on the new resourceVersion: save to write it over the \
                 server's changes,\nor empty the file to give up. What changed on the server:\n{changes}",
                doc.resource_version, s.message
            ));
            let mut outcome = reopen_with(&doc, header, Some(latest_rv));
            if let EditOutcome::Reopen(d) = &mut outcome {
                d.original = latest_yaml;
            }
            outcome
        }
        Err(kube::Error::Api(s)) if matches!(s.code, 400 | 422) => reopen_with(
            &doc,
            commented(&format!("{kind} \"{name}\" was not valid:\n* {}", s.message)),
            None,
        ),
        Err(e) => EditOutcome::Failed(format!("cannot save {kind}/{name}: {}", describe_error(&e))),
    }
}

/// The user's text without the comment block it starts with (the header and any failures).
fn strip_header(text: &str) -> String {
    let mut lines = text.lines().peekable();
    while lines.peek().is_some_and(|l| l.trim_start().starts_with('#')) {
        lines.next();
    }
    lines.map(|l| format!("{l}\n")).collect()
}

/// `text` with its `metadata.resourceVersion` line moved from `old` to `new`.
fn with_resource_version(text: &str, old: &str, new: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            let in_metadata = l.starts_with("  ") && !l.starts_with("   ");
            if !done && in_metadata && t.starts_with("resourceVersion:") && t.contains(old) {
                done = true;
                format!("{}\n", l.replacen(old, new, 1))
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// The lines that differ between `a` and `b` (`- ` removed, `+ ` added), from a longest common
/// subsequence of their lines; at most `max` lines listed.
pub fn line_diff(a: &str, b: &str, max: usize) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return "(too big to compare line by line)".into();
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] > lcs[i + 1][j]) {
            out.push(format!("+ {}", b[j]));
            j += 1;
        } else {
            out.push(format!("- {}", a[i]));
            i += 1;
        }
    }
    let total = out.len();
    if total > max {
        out.truncate(max);
        out.push(format!("… and {} more changed lines", total - max));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_names_removed_and_added_lines() {
        let a = "a: 1\nb: 2\nc: 3\n";
        let b = "a: 1\nb: 5\nc: 3\nd: 4\n";
        assert_eq!(line_diff(a, b, 10), "- b: 2\n+ b: 5\n+ d: 4");
        assert_eq!(line_diff(a, a, 10), "");
        let long: String = (0..50).map(|i| format!("x{i}\n")).collect();
        assert!(line_diff("", &long, 5).ends_with("… and 45 more changed lines"));
    }

    #[test]
    fn comments_and_the_header_are_not_the_object() {
        let text = format!("# failure\n{HEADER}metadata:\n  name: x\n  # a note\n");
        assert_eq!(body(&text), "metadata:\n  name: x\n");
        assert_eq!(strip_header(&text), "metadata:\n  name: x\n  # a note\n");
    }

    #[test]
    fn the_resource_version_moves_only_in_metadata() {
        let text = "metadata:\n  name: x\n  resourceVersion: '12'\nspec:\n  resourceVersion: '12'\n";
        assert_eq!(
            with_resource_version(text, "12", "15"),
            "metadata:\n  name: x\n  resourceVersion: '15'\nspec:\n  resourceVersion: '12'\n"
        );
    }
}
