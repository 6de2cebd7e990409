//! Every kind the API server serves, from its discovery documents (`/api/v1`, `/apis`, each
//! group's preferred version), with the names `kubectl` accepts for them: plural, singular, short
//! names, kind, and `plural.group`.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList};

use crate::kube::describe_error;

/// One served resource: what a path, a verb and a title need. Interned (see [`intern`]), so a
/// `Kind` can carry it and stay `Copy`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResKind {
    /// `""` for the core API.
    pub group: String,
    pub version: String,
    /// `Pod`, `Deployment`.
    pub kind: String,
    /// `pods`, `deployments`.
    pub plural: String,
    pub namespaced: bool,
    /// `pods`, `deployments.apps`: how an error message names it.
    pub resource: String,
    /// `pod`, `deployment`.
    pub singular: String,
}

impl ResKind {
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> ResKind {
        ResKind {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
            namespaced,
            resource: if group.is_empty() {
                plural.to_string()
            } else {
                format!("{plural}.{group}")
            },
            singular: kind.to_ascii_lowercase(),
        }
    }

    /// The collection's path, in a namespace when it has one and one is given.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }

    pub fn is(&self, group: &str, plural: &str) -> bool {
        self.group == group && self.plural == plural
    }

    pub fn is_pods(&self) -> bool {
        self.is("", "pods")
    }

    pub fn is_events(&self) -> bool {
        self.is("", "events") || self.is("events.k8s.io", "events")
    }

    pub fn is_secrets(&self) -> bool {
        self.is("", "secrets")
    }

    /// The title of its list: `Pods`, `PersistentVolumeClaims`.
    pub fn title(&self) -> String {
        let mut t = self.kind.clone();
        if !t.ends_with('s') {
            t.push('s');
        }
        t
    }
}

/// The one `'static` copy of a resource kind.
pub fn intern(kind: ResKind) -> &'static ResKind {
    static KINDS: OnceLock<Mutex<BTreeSet<&'static ResKind>>> = OnceLock::new();
    let kinds = KINDS.get_or_init(|| Mutex::new(BTreeSet::new()));
    let mut kinds = match kinds.lock() {
        Ok(k) => k,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(k) = kinds.get(&kind) {
        return k;
    }
    let leaked: &'static ResKind = Box::leak(Box::new(kind));
    kinds.insert(leaked);
    leaked
}

/// Pods (`v1`), which the resource view opens on.
pub fn pods() -> &'static ResKind {
    intern(ResKind::new("", "v1", "Pod", "pods", true))
}

/// A served resource with the names it answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKind {
    pub res: &'static ResKind,
    pub short_names: Vec<String>,
    pub verbs: Vec<String>,
}

impl ApiKind {
    /// Whether `name` (as typed after `:`) names this kind.
    pub fn answers_to(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let r = self.res;
        name == r.plural
            || name == r.singular
            || name == r.kind.to_ascii_lowercase()
            || self.short_names.contains(&name)
            || (!r.group.is_empty()
                && (name == format!("{}.{}", r.plural, r.group)
                    || name == format!("{}.{}", r.singular, r.group)))
    }

    pub fn can(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

/// The kinds a few common names mean before discovery has answered (and where it cannot).
pub fn builtin() -> Vec<ApiKind> {
    let core = |kind: &str, plural: &str, namespaced: bool, short: &[&str]| ApiKind {
        res: intern(ResKind::new("", "v1", kind, plural, namespaced)),
        short_names: short.iter().map(|s| (*s).to_string()).collect(),
        verbs: ["get", "list", "watch", "delete", "update", "patch"]
            .iter()
            .map(|s| (*s).to_string())
            .collect(),
    };
    let mut kinds = vec![
        core("Pod", "pods", true, &["po"]),
        core("Event", "events", true, &["ev"]),
        core("PersistentVolumeClaim", "persistentvolumeclaims", true, &["pvc"]),
        core("Service", "services", true, &["svc"]),
        core("ConfigMap", "configmaps", true, &["cm"]),
        core("Secret", "secrets", true, &[]),
        core("Node", "nodes", false, &["no"]),
        core("Namespace", "namespaces", false, &["ns"]),
        core("ServiceAccount", "serviceaccounts", true, &["sa"]),
    ];
    kinds.push(ApiKind {
        res: intern(ResKind::new("apps", "v1", "Deployment", "deployments", true)),
        short_names: vec!["deploy".into()],
        verbs: kinds[0].verbs.clone(),
    });
    kinds
}

/// The first kind answering to `name`: the core API first, then the groups in discovery order
/// (as `kubectl` prefers `events` to `events.events.k8s.io`).
pub fn resolve<'a>(kinds: &'a [ApiKind], name: &str) -> Option<&'a ApiKind> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    kinds
        .iter()
        .filter(|k| k.res.group.is_empty())
        .chain(kinds.iter().filter(|k| !k.res.group.is_empty()))
        .find(|k| k.answers_to(name))
}

async fn get<T: serde::de::DeserializeOwned>(client: &kube::Client, path: &str) -> Result<T, String> {
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| format!("{path}: {e}"))?;
    client
        .request::<T>(req)
        .await
        .map_err(|e| format!("{path}: {}", describe_error(&e)))
}

fn kinds_of(list: APIResourceList, group: &str, version: &str) -> Vec<ApiKind> {
    list.resources
        .into_iter()
        .filter(|r| !r.name.contains('/') && r.verbs.iter().any(|v| v == "list"))
        .map(|r| {
            let mut res = ResKind::new(group, version, &r.kind, &r.name, r.namespaced);
            if !r.singular_name.is_empty() {
                res.singular = r.singular_name.clone();
            }
            ApiKind {
                res: intern(res),
                short_names: r.short_names.unwrap_or_default(),
                verbs: r.verbs,
            }
        })
        .collect()
}

/// Every listable kind the server serves, at each group's preferred version. A group whose
/// document cannot be read is left out (an aggregated API that is down), as `kubectl` does.
pub async fn discover(client: &kube::Client) -> Result<Vec<ApiKind>, String> {
    let core: APIResourceList = get(client, "/api/v1").await?;
    let mut kinds = kinds_of(core, "", "v1");
    let groups: APIGroupList = get(client, "/apis").await?;
    let wanted: Vec<(String, String)> = groups
        .groups
        .iter()
        .filter_map(|g| {
            let v = g
                .preferred_version
                .as_ref()
                .or_else(|| g.versions.first())
                .map(|v| v.version.clone())?;
            Some((g.name.clone(), v))
        })
        .collect();
    let lists = futures::future::join_all(wanted.iter().map(|(g, v)| {
        let path = format!("/apis/{g}/{v}");
        async move { get::<APIResourceList>(client, &path).await }
    }))
    .await;
    for ((g, v), list) in wanted.iter().zip(lists) {
        match list {
            Ok(list) => kinds.extend(kinds_of(list, g, v)),
            Err(e) => tracing::info!("discovery of {g}/{v} left out: {e}"),
        }
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_as_kubectl_resolves_them() {
        let mut kinds = builtin();
        kinds.push(ApiKind {
            res: intern(ResKind::new("events.k8s.io", "v1", "Event", "events", true)),
            short_names: vec!["ev".into()],
            verbs: vec!["list".into()],
        });
        for name in ["pods", "pod", "po", "Pod", "PODS"] {
            assert!(resolve(&kinds, name).is_some_and(|k| k.res.is_pods()), "{name}");
        }
        let ev = resolve(&kinds, "ev").map(|k| k.res.group.clone());
        assert_eq!(ev.as_deref(), Some(""), "the core API's events come first");
        let deploy = resolve(&kinds, "deployments.apps").map(|k| k.res.kind.clone());
        assert_eq!(deploy.as_deref(), Some("Deployment"));
        assert!(resolve(&kinds, "deploy").is_some());
        assert!(resolve(&kinds, "pvc").is_some_and(|k| k.res.plural == "persistentvolumeclaims"));
        assert!(resolve(&kinds, "nothing").is_none());
        assert!(resolve(&kinds, " ").is_none());
    }

    #[test]
    fn interned_kinds_are_one_copy_and_paths_follow_scope() {
        let a = intern(ResKind::new("apps", "v1", "Deployment", "deployments", true));
        let b = intern(ResKind::new("apps", "v1", "Deployment", "deployments", true));
        assert!(std::ptr::eq(a, b));
        assert_eq!(a.path(Some("ns1")), "/apis/apps/v1/namespaces/ns1/deployments");
        assert_eq!(a.path(None), "/apis/apps/v1/deployments");
        let nodes = intern(ResKind::new("", "v1", "Node", "nodes", false));
        assert_eq!(
            nodes.path(Some("ns1")),
            "/api/v1/nodes",
            "cluster-scoped ignores the namespace"
        );
        assert_eq!(nodes.title(), "Nodes");
        assert_eq!(a.resource, "deployments.apps");
    }
}
