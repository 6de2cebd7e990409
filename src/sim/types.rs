//! The resource registry: every kind the embedded cluster serves, as one table entry each.
//!
//! Adding a kind is adding a [`ResourceType`] to [`REGISTRY`]: discovery, the generic store,
//! the REST handlers, selectors and table printing all read this table.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// How a table cell is computed from an object.
#[derive(Debug, Clone, Copy)]
pub enum Cell {
    /// A dotted JSON path like `.status.phase`; `date` columns print a human age.
    Path(&'static str),
    /// Computed from the whole object.
    Custom(fn(&Value, DateTime<Utc>) -> Value),
}

/// One column of the server-side table (`kubectl get` output).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    /// OpenAPI type: `string`, `integer`, `date`, …
    pub ty: &'static str,
    pub format: &'static str,
    pub description: &'static str,
    /// 0 = always shown; 1 = only with `-o wide`.
    pub priority: i32,
    pub cell: Cell,
}

/// A served subresource other than `status` (which [`ResourceType::status_subresource`] covers).
#[derive(Debug, Clone, Copy)]
pub struct Subresource {
    pub name: &'static str,
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

/// One served group/version/resource.
#[derive(Debug, Clone, Copy)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Whether `/status` is a subresource (then main-resource writes keep the old status).
    pub status_subresource: bool,
    pub subresources: &'static [Subresource],
    /// Field selectors beyond `metadata.name` and `metadata.namespace`.
    pub field_selectors: &'static [&'static str],
    /// Extra columns after `Name` (empty: `Age` only, like a CRD without printer columns).
    pub columns: &'static [Column],
    /// Built-in kinds accept strategic merge patches; custom resources answer 415.
    pub strategic_merge: bool,
}

/// The standard verbs of every resource.
pub const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

const BASE: ResourceType = ResourceType {
    group: "",
    version: "v1",
    kind: "",
    plural: "",
    singular: "",
    namespaced: true,
    short_names: &[],
    categories: &[],
    status_subresource: false,
    subresources: &[],
    field_selectors: &[],
    columns: &[],
    strategic_merge: false,
};

const AGE: Column = Column {
    name: "Age",
    ty: "date",
    format: "",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
    priority: 0,
    cell: Cell::Path(".metadata.creationTimestamp"),
};

/// Every kind the embedded cluster serves.
pub static REGISTRY: &[ResourceType] = &[
    ResourceType {
        kind: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        namespaced: false,
        short_names: &["ns"],
        status_subresource: true,
        field_selectors: &["status.phase"],
        columns: &[
            Column {
                name: "Status",
                ty: "string",
                format: "",
                description: "The status of the namespace",
                priority: 0,
                cell: Cell::Path(".status.phase"),
            },
            AGE,
        ],
        strategic_merge: true,
        ..BASE
    },
    ResourceType {
        kind: "Pod",
        plural: "pods",
        singular: "pod",
        short_names: &["po"],
        categories: &["all"],
        status_subresource: true,
        subresources: &[
            Subresource {
                name: "log",
                kind: "Pod",
                verbs: &["get"],
            },
            Subresource {
                name: "ephemeralcontainers",
                kind: "Pod",
                verbs: &["get", "patch", "update"],
            },
            Subresource {
                name: "exec",
                kind: "PodExecOptions",
                verbs: &["create", "get"],
            },
            Subresource {
                name: "portforward",
                kind: "PodPortForwardOptions",
                verbs: &["create", "get"],
            },
        ],
        field_selectors: &["status.phase", "spec.nodeName", "spec.restartPolicy"],
        columns: &[
            Column {
                name: "Ready",
                ty: "string",
                format: "",
                description: "The aggregate readiness state of this pod for accepting traffic.",
                priority: 0,
                cell: Cell::Custom(pod_ready),
            },
            Column {
                name: "Status",
                ty: "string",
                format: "",
                description: "The aggregate status of the containers in this pod.",
                priority: 0,
                cell: Cell::Custom(pod_status),
            },
            Column {
                name: "Restarts",
                ty: "string",
                format: "",
                description: "The number of times the containers in this pod have been restarted.",
                priority: 0,
                cell: Cell::Custom(pod_restarts),
            },
            AGE,
            Column {
                name: "IP",
                ty: "string",
                format: "",
                description: "IP address allocated to the pod.",
                priority: 1,
                cell: Cell::Path(".status.podIP"),
            },
            Column {
                name: "Node",
                ty: "string",
                format: "",
                description: "Name of the Node where the Pod is scheduled.",
                priority: 1,
                cell: Cell::Path(".spec.nodeName"),
            },
        ],
        strategic_merge: true,
        ..BASE
    },
    ResourceType {
        kind: "Event",
        plural: "events",
        singular: "event",
        short_names: &["ev"],
        field_selectors: &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        columns: &[
            Column {
                name: "Last Seen",
                ty: "string",
                format: "",
                description: "Time of the last occurrence.",
                priority: 0,
                cell: Cell::Custom(event_last_seen),
            },
            Column {
                name: "Type",
                ty: "string",
                format: "",
                description: "Type of this event (Normal, Warning).",
                priority: 0,
                cell: Cell::Path(".type"),
            },
            Column {
                name: "Reason",
                ty: "string",
                format: "",
                description: "Short, machine understandable string that gives the reason for the event.",
                priority: 0,
                cell: Cell::Path(".reason"),
            },
            Column {
                name: "Object",
                ty: "string",
                format: "",
                description: "The object that this event is about.",
                priority: 0,
                cell: Cell::Custom(event_object),
            },
            Column {
                name: "Subobject",
                ty: "string",
                format: "",
                description: "The part of the object that this event is about (a container).",
                priority: 1,
                cell: Cell::Path(".involvedObject.fieldPath"),
            },
            Column {
                name: "Source",
                ty: "string",
                format: "",
                description: "The component reporting this event.",
                priority: 1,
                cell: Cell::Custom(event_source),
            },
            Column {
                name: "Message",
                ty: "string",
                format: "",
                description: "A human-readable description of the status of this operation.",
                priority: 0,
                cell: Cell::Path(".message"),
            },
            Column {
                name: "First Seen",
                ty: "string",
                format: "",
                description: "The time at which the event was first recorded.",
                priority: 1,
                cell: Cell::Custom(event_first_seen),
            },
            Column {
                name: "Count",
                ty: "integer",
                format: "",
                description: "The number of times this event has occurred.",
                priority: 1,
                cell: Cell::Path(".count"),
            },
            Column {
                name: "Name",
                ty: "string",
                format: "",
                description: "Name must be unique within a namespace.",
                priority: 1,
                cell: Cell::Path(".metadata.name"),
            },
        ],
        strategic_merge: true,
        ..BASE
    },
    ResourceType {
        group: "argoproj.io",
        version: "v1alpha1",
        kind: "Workflow",
        plural: "workflows",
        singular: "workflow",
        short_names: &["wf"],
        categories: &["all", "argo"],
        columns: &[
            Column {
                name: "Status",
                ty: "string",
                format: "",
                description: "Status of the workflow",
                priority: 0,
                cell: Cell::Path(".status.phase"),
            },
            Column {
                name: "Age",
                ty: "date",
                format: "date-time",
                description: "When the workflow was started",
                priority: 0,
                cell: Cell::Path(".status.startedAt"),
            },
            Column {
                name: "Message",
                ty: "string",
                format: "",
                description: "Human readable message indicating details about why the workflow is in this condition.",
                priority: 0,
                cell: Cell::Path(".status.message"),
            },
        ],
        ..BASE
    },
    ResourceType {
        kind: "Service",
        plural: "services",
        singular: "service",
        short_names: &["svc"],
        categories: &["all"],
        status_subresource: true,
        subresources: &[Subresource {
            name: "proxy",
            kind: "ServiceProxyOptions",
            verbs: &["create", "delete", "get", "patch", "update"],
        }],
        columns: &[
            col("Type", "string", "The type of service.", Cell::Path(".spec.type")),
            col(
                "Cluster-IP",
                "string",
                "The cluster IP of the service.",
                Cell::Path(".spec.clusterIP"),
            ),
            col(
                "External-IP",
                "string",
                "The external IP of the service.",
                Cell::Custom(svc_external_ip),
            ),
            col(
                "Port(s)",
                "string",
                "The ports of the service.",
                Cell::Custom(svc_ports),
            ),
            AGE,
            Column {
                priority: 1,
                ..col(
                    "Selector",
                    "string",
                    "The selector of the service.",
                    Cell::Custom(svc_selector),
                )
            },
        ],
        strategic_merge: true,
        ..BASE
    },
    ResourceType {
        kind: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        short_names: &["cm"],
        columns: &[
            col(
                "Data",
                "integer",
                "Number of keys in the data.",
                Cell::Custom(cm_data),
            ),
            AGE,
        ],
        strategic_merge: true,
        ..BASE
    },
    ResourceType {
        kind: "Secret",
        plural: "secrets",
        singular: "secret",
        short_names: &[],
        columns: &[
            col("Type", "string", "The type of the secret.", Cell::Path(".type")),
            col(
                "Data",
                "integer",
                "Number of keys in the data.",
                Cell::Custom(cm_data),
            ),
            AGE,
        ],
        strategic_merge: true,
        ..BASE
    },
    ResourceType {
        kind: "PersistentVolumeClaim",
        plural: "persistentvolumeclaims",
        singular: "persistentvolumeclaim",
        short_names: &["pvc"],
        status_subresource: true,
        columns: &[AGE],
        strategic_merge: true,
        ..BASE
    },
    ResourceType {
        group: "argoproj.io",
        version: "v1alpha1",
        kind: "WorkflowTemplate",
        plural: "workflowtemplates",
        singular: "workflowtemplate",
        short_names: &["wftmpl"],
        ..BASE
    },
    ResourceType {
        group: "argoproj.io",
        version: "v1alpha1",
        kind: "ClusterWorkflowTemplate",
        plural: "clusterworkflowtemplates",
        singular: "clusterworkflowtemplate",
        namespaced: false,
        short_names: &["clusterwftmpl", "cwft"],
        ..BASE
    },
    ResourceType {
        group: "argoproj.io",
        version: "v1alpha1",
        kind: "CronWorkflow",
        plural: "cronworkflows",
        singular: "cronworkflow",
        short_names: &["cwf", "cronwf"],
        ..BASE
    },
    ResourceType {
        group: "pipelines.kubeflow.org",
        version: "v2beta1",
        kind: "Pipeline",
        plural: "pipelines",
        singular: "pipeline",
        ..BASE
    },
    ResourceType {
        group: "pipelines.kubeflow.org",
        version: "v2beta1",
        kind: "PipelineVersion",
        plural: "pipelineversions",
        singular: "pipelineversion",
        status_subresource: true,
        ..BASE
    },
    ResourceType {
        group: "kubeflow.org",
        version: "v1beta1",
        kind: "ScheduledWorkflow",
        plural: "scheduledworkflows",
        singular: "scheduledworkflow",
        short_names: &["swf"],
        ..BASE
    },
    NOTEBOOK,
    ResourceType {
        version: "v1beta1",
        ..NOTEBOOK
    },
    ResourceType {
        version: "v1alpha1",
        ..NOTEBOOK
    },
    PROFILE,
    ResourceType {
        version: "v1beta1",
        ..PROFILE
    },
    ResourceType {
        group: "kubeflow.org",
        version: "v1alpha1",
        kind: "PodDefault",
        plural: "poddefaults",
        singular: "poddefault",
        status_subresource: true,
        ..BASE
    },
    ResourceType {
        group: "serving.kserve.io",
        version: "v1beta1",
        kind: "InferenceService",
        plural: "inferenceservices",
        singular: "inferenceservice",
        short_names: &["isvc"],
        status_subresource: true,
        columns: &[
            col("URL", "string", "", Cell::Path(".status.url")),
            col("Ready", "string", "", Cell::Custom(isvc_ready)),
            col("Prev", "integer", "", Cell::Custom(isvc_prev)),
            col("Latest", "integer", "", Cell::Custom(isvc_latest)),
            col("PrevRolledoutRevision", "string", "", Cell::Custom(isvc_prev_rev)),
            col("LatestReadyRevision", "string", "", Cell::Custom(isvc_latest_rev)),
            CRD_AGE,
        ],
        ..BASE
    },
    SERVING_RUNTIME,
    ResourceType {
        kind: "ClusterServingRuntime",
        plural: "clusterservingruntimes",
        singular: "clusterservingruntime",
        namespaced: false,
        ..SERVING_RUNTIME
    },
    ResourceType {
        group: "trainer.kubeflow.org",
        version: "v1alpha1",
        kind: "TrainJob",
        plural: "trainjobs",
        singular: "trainjob",
        status_subresource: true,
        columns: &[STATE, CRD_AGE],
        ..BASE
    },
    ResourceType {
        group: "trainer.kubeflow.org",
        version: "v1alpha1",
        kind: "TrainingRuntime",
        plural: "trainingruntimes",
        singular: "trainingruntime",
        ..BASE
    },
    ResourceType {
        group: "trainer.kubeflow.org",
        version: "v1alpha1",
        kind: "ClusterTrainingRuntime",
        plural: "clustertrainingruntimes",
        singular: "clustertrainingruntime",
        namespaced: false,
        ..BASE
    },
    ResourceType {
        group: "kubeflow.org",
        version: "v1",
        kind: "PyTorchJob",
        plural: "pytorchjobs",
        singular: "pytorchjob",
        status_subresource: true,
        subresources: &[Subresource {
            name: "scale",
            kind: "Scale",
            verbs: &["get", "patch", "update"],
        }],
        columns: &[STATE, CRD_AGE],
        ..BASE
    },
    ResourceType {
        group: "kubeflow.org",
        version: "v1",
        kind: "TFJob",
        plural: "tfjobs",
        singular: "tfjob",
        status_subresource: true,
        columns: &[STATE, CRD_AGE],
        ..BASE
    },
    ResourceType {
        kind: "Experiment",
        plural: "experiments",
        singular: "experiment",
        ..KATIB
    },
    ResourceType {
        kind: "Trial",
        plural: "trials",
        singular: "trial",
        ..KATIB
    },
    ResourceType {
        kind: "Suggestion",
        plural: "suggestions",
        singular: "suggestion",
        columns: &[
            COND_TYPE,
            COND_STATUS,
            col("Requested", "string", "", Cell::Path(".spec.requests")),
            col("Assigned", "string", "", Cell::Path(".status.suggestionCount")),
            AGE,
        ],
        ..KATIB
    },
    ResourceType {
        kind: "Node",
        plural: "nodes",
        singular: "node",
        namespaced: false,
        short_names: &["no"],
        status_subresource: true,
        subresources: &[Subresource {
            name: "proxy",
            kind: "NodeProxyOptions",
            verbs: &["create", "delete", "get", "patch", "update"],
        }],
        field_selectors: &["spec.unschedulable"],
        columns: &[
            col(
                "Status",
                "string",
                "The status of the node",
                Cell::Custom(node_status),
            ),
            col(
                "Roles",
                "string",
                "The roles of the node",
                Cell::Custom(node_roles),
            ),
            AGE,
            col(
                "Version",
                "string",
                "Kubelet Version reported by the node.",
                Cell::Path(".status.nodeInfo.kubeletVersion"),
            ),
        ],
        strategic_merge: true,
        ..BASE
    },
];

/// A node's `Status` column: `Ready`, `NotReady` or `Unknown`, with `SchedulingDisabled`.
fn node_status(node: &Value, _now: DateTime<Utc>) -> Value {
    let ready = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .map(|c| c["status"].as_str().unwrap_or(""));
    let mut s = match ready {
        Some("True") => "Ready".to_string(),
        Some("False") => "NotReady".to_string(),
        _ => "Unknown".to_string(),
    };
    if node.pointer("/spec/unschedulable") == Some(&Value::Bool(true)) {
        s.push_str(",SchedulingDisabled");
    }
    json!(s)
}

/// A node's `Roles` column, from its `node-role.kubernetes.io/ROLE` labels.
fn node_roles(node: &Value, _now: DateTime<Utc>) -> Value {
    let roles: Vec<&str> = node
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|l| {
            l.keys()
                .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                .collect()
        })
        .unwrap_or_default();
    json!(if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    })
}

/// The Node kind.
pub fn node_type() -> &'static ResourceType {
    REGISTRY
        .iter()
        .find(|rt| rt.kind == "Node")
        .unwrap_or(&REGISTRY[0])
}

const fn col(name: &'static str, ty: &'static str, description: &'static str, cell: Cell) -> Column {
    Column {
        name,
        ty,
        format: "",
        description,
        priority: 0,
        cell,
    }
}

const CRD_AGE: Column = col("Age", "date", "", Cell::Path(".metadata.creationTimestamp"));
const STATE: Column = col("State", "string", "", Cell::Custom(last_condition_type));
const COND_TYPE: Column = col("Type", "string", "", Cell::Custom(last_condition_type));
const COND_STATUS: Column = col("Status", "string", "", Cell::Custom(last_condition_status));

const NOTEBOOK: ResourceType = ResourceType {
    group: "kubeflow.org",
    version: "v1",
    kind: "Notebook",
    plural: "notebooks",
    singular: "notebook",
    status_subresource: true,
    ..BASE
};

const PROFILE: ResourceType = ResourceType {
    group: "kubeflow.org",
    version: "v1",
    kind: "Profile",
    plural: "profiles",
    singular: "profile",
    namespaced: false,
    status_subresource: true,
    ..BASE
};

const SERVING_RUNTIME: ResourceType = ResourceType {
    group: "serving.kserve.io",
    version: "v1alpha1",
    kind: "ServingRuntime",
    plural: "servingruntimes",
    singular: "servingruntime",
    columns: &[
        col("Disabled", "boolean", "", Cell::Path(".spec.disabled")),
        col("ModelType", "string", "", Cell::Custom(runtime_model_types)),
        col("Containers", "string", "", Cell::Custom(runtime_containers)),
        CRD_AGE,
    ],
    ..BASE
};

const KATIB: ResourceType = ResourceType {
    group: "kubeflow.org",
    version: "v1beta1",
    categories: &["all", "kubeflow", "katib"],
    status_subresource: true,
    columns: &[COND_TYPE, COND_STATUS, CRD_AGE],
    ..BASE
};

impl ResourceType {
    /// `v1` or `argoproj.io/v1alpha1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `workflows.argoproj.io`, as error messages name a resource.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The store key: all versions of one group/resource share their objects.
    pub fn key(&self) -> TypeKey {
        (self.group, self.plural)
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// Whether `field` may be used in a field selector.
    pub fn supports_field(&self, field: &str) -> bool {
        field == "metadata.name"
            || (field == "metadata.namespace" && self.namespaced)
            || self.field_selectors.contains(&field)
    }

    /// The discovery `APIResource` entries: the resource, `status` and other subresources.
    pub fn discovery_entries(&self) -> Vec<Value> {
        let mut out = vec![json!({
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": VERBS,
            "shortNames": self.short_names,
            "categories": self.categories,
            "storageVersionHash": storage_version_hash(self),
        })];
        if let Some(obj) = out.first_mut().and_then(Value::as_object_mut) {
            if self.short_names.is_empty() {
                obj.remove("shortNames");
            }
            if self.categories.is_empty() {
                obj.remove("categories");
            }
        }
        if self.status_subresource {
            out.push(json!({
                "name": format!("{}/status", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        for sub in self.subresources {
            out.push(json!({
                "name": format!("{}/{}", self.plural, sub.name),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": sub.kind,
                "verbs": sub.verbs,
            }));
        }
        out
    }
}

/// Identifies a collection in the store: `(group, plural)`.
pub type TypeKey = (&'static str, &'static str);

/// A stable short hash, shaped like the apiserver's storageVersionHash.
fn storage_version_hash(rt: &ResourceType) -> String {
    let h = crate::sim::rng::fnv32a(&format!("{}/{}/{}", rt.group, rt.version, rt.kind));
    base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        h.to_be_bytes().repeat(2),
    )
    .chars()
    .take(11)
    .collect()
}

/// Finds the type served at `group`/`version` with this plural.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    REGISTRY
        .iter()
        .find(|rt| rt.group == group && rt.version == version && rt.plural == plural)
}

/// The type of a kind at an apiVersion (`v1`, `argoproj.io/v1alpha1`).
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    REGISTRY
        .iter()
        .find(|rt| rt.group == group && rt.version == version && rt.kind == kind)
}

/// The storage (first listed) version of a group/resource.
pub fn by_key(key: TypeKey) -> Option<&'static ResourceType> {
    REGISTRY.iter().find(|rt| rt.key() == key)
}

/// The storage version of `group`/`plural` (for controllers and seeding).
pub fn find(group: &str, plural: &str) -> Option<&'static ResourceType> {
    REGISTRY
        .iter()
        .find(|rt| rt.group == group && rt.plural == plural)
}

/// Whether `rt` is the version objects are stored in (the first listed of its group/resource).
pub fn is_storage(rt: &ResourceType) -> bool {
    by_key(rt.key()).is_some_and(|s| s.version == rt.version)
}

/// The Namespace kind.
pub fn namespace_type() -> &'static ResourceType {
    &REGISTRY[0]
}

/// The Pod kind.
pub fn pod_type() -> &'static ResourceType {
    &REGISTRY[1]
}

/// The Event kind.
pub fn event_type() -> &'static ResourceType {
    &REGISTRY[2]
}

/// The Argo Workflow kind.
pub fn workflow_type() -> &'static ResourceType {
    &REGISTRY[3]
}

/// The Service kind.
pub fn service_type() -> &'static ResourceType {
    &REGISTRY[4]
}

/// The ConfigMap kind.
pub fn configmap_type() -> &'static ResourceType {
    &REGISTRY[5]
}

/// Groups in discovery order, each with its versions (preferred first).
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for rt in REGISTRY.iter().filter(|rt| !rt.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == rt.group) {
            Some((_, versions)) if !versions.contains(&rt.version) => versions.push(rt.version),
            Some(_) => {}
            None => out.push((rt.group, vec![rt.version])),
        }
    }
    for (_, versions) in &mut out {
        versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
    }
    out
}

/// Kubernetes' version priority (`v1` > `v2beta1` > `v1beta2` > `v1beta1` > `v1alpha1`): the
/// first is a group's preferred version.
fn version_priority(v: &str) -> (u8, u32, u32) {
    let rest = v.strip_prefix('v').unwrap_or(v);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (stage, minor) = if tail.is_empty() {
        (3, 0)
    } else if let Some(n) = tail.strip_prefix("beta") {
        (2, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n.parse().unwrap_or(0))
    } else {
        (0, 0)
    };
    (stage, major, minor)
}

/// The types served at one group/version.
pub fn in_group_version(group: &str, version: &str) -> Vec<&'static ResourceType> {
    REGISTRY
        .iter()
        .filter(|rt| rt.group == group && rt.version == version)
        .collect()
}

// ---- computed pod and event columns (kubectl's printers, server side) ----

fn statuses(pod: &Value, field: &str) -> Vec<Value> {
    pod.pointer(&format!("/status/{field}"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn pod_ready(pod: &Value, _now: DateTime<Utc>) -> Value {
    let total = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let ready = statuses(pod, "containerStatuses")
        .iter()
        .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
        .count();
    Value::String(format!("{ready}/{total}"))
}

fn pod_restarts(pod: &Value, _now: DateTime<Utc>) -> Value {
    let n: i64 = statuses(pod, "containerStatuses")
        .iter()
        .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
        .sum();
    Value::String(n.to_string())
}

/// kubectl's pod STATUS column: the phase, or the most telling container reason.
fn pod_status(pod: &Value, _now: DateTime<Utc>) -> Value {
    let mut reason = pod
        .pointer("/status/reason")
        .or_else(|| pod.pointer("/status/phase"))
        .and_then(Value::as_str)
        .unwrap_or("Pending")
        .to_string();
    for (i, c) in statuses(pod, "initContainerStatuses").iter().enumerate() {
        if let Some(t) = c.pointer("/state/terminated") {
            if t.get("exitCode").and_then(Value::as_i64) == Some(0) {
                continue;
            }
            let r = t.get("reason").and_then(Value::as_str).unwrap_or("Error");
            return Value::String(format!("Init:{r}"));
        }
        if let Some(w) = c.pointer("/state/waiting/reason").and_then(Value::as_str)
            && w != "PodInitializing"
        {
            return Value::String(format!("Init:{w}"));
        }
        if c.pointer("/state/waiting").is_some() || c.pointer("/state/running").is_some() {
            let total = pod
                .pointer("/spec/initContainers")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            return Value::String(format!("Init:{i}/{total}"));
        }
    }
    let mut has_running = false;
    for c in statuses(pod, "containerStatuses").iter().rev() {
        if let Some(w) = c.pointer("/state/waiting/reason").and_then(Value::as_str) {
            reason = w.to_string();
        } else if let Some(t) = c.pointer("/state/terminated") {
            reason = match t.get("reason").and_then(Value::as_str) {
                Some(r) => r.to_string(),
                None => format!(
                    "ExitCode:{}",
                    t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                ),
            };
        } else if c.get("ready").and_then(Value::as_bool) == Some(true) {
            has_running = true;
        }
    }
    if reason == "Completed" && has_running {
        reason = "Running".into();
    }
    Value::String(reason)
}

/// The printer value of a CRD column that yields nothing: kubectl shows `<none>`.
fn none() -> Value {
    Value::Null
}

fn conditions(obj: &Value) -> &[Value] {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

/// `.status.conditions[-1:].type`.
fn last_condition_type(obj: &Value, _now: DateTime<Utc>) -> Value {
    conditions(obj)
        .last()
        .and_then(|c| c.get("type").cloned())
        .unwrap_or_else(none)
}

/// `.status.conditions[-1:].status`.
fn last_condition_status(obj: &Value, _now: DateTime<Utc>) -> Value {
    conditions(obj)
        .last()
        .and_then(|c| c.get("status").cloned())
        .unwrap_or_else(none)
}

/// `.status.conditions[?(@.type=='Ready')].status`.
fn isvc_ready(obj: &Value, _now: DateTime<Utc>) -> Value {
    conditions(obj)
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        .and_then(|c| c.get("status").cloned())
        .unwrap_or_else(none)
}

fn traffic(obj: &Value, pick: fn(&Value) -> bool, field: &str) -> Value {
    obj.pointer("/status/components/predictor/traffic")
        .and_then(Value::as_array)
        .and_then(|t| t.iter().find(|e| pick(e)))
        .and_then(|e| e.get(field).cloned())
        .unwrap_or_else(none)
}

fn is_prev(e: &Value) -> bool {
    e.get("tag").and_then(Value::as_str) == Some("prev")
}

fn is_latest(e: &Value) -> bool {
    e.get("latestRevision").and_then(Value::as_bool) == Some(true)
}

fn isvc_prev(obj: &Value, _now: DateTime<Utc>) -> Value {
    traffic(obj, is_prev, "percent")
}

fn isvc_latest(obj: &Value, _now: DateTime<Utc>) -> Value {
    traffic(obj, is_latest, "percent")
}

fn isvc_prev_rev(obj: &Value, _now: DateTime<Utc>) -> Value {
    traffic(obj, is_prev, "revisionName")
}

fn isvc_latest_rev(obj: &Value, _now: DateTime<Utc>) -> Value {
    traffic(obj, is_latest, "revisionName")
}

/// `[*].name` of an array, space-joined as kubectl prints multi-valued JSONPath cells.
fn names_at(obj: &Value, pointer: &str) -> Value {
    let names: Vec<&str> = obj
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|e| e.get("name")?.as_str()).collect())
        .unwrap_or_default();
    if names.is_empty() {
        none()
    } else {
        Value::String(names.join(","))
    }
}

fn runtime_model_types(obj: &Value, _now: DateTime<Utc>) -> Value {
    names_at(obj, "/spec/supportedModelFormats")
}

fn runtime_containers(obj: &Value, _now: DateTime<Utc>) -> Value {
    names_at(obj, "/spec/containers")
}

fn svc_external_ip(obj: &Value, _now: DateTime<Utc>) -> Value {
    let ips: Vec<&str> = obj
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|e| e.get("ip")?.as_str()).collect())
        .unwrap_or_default();
    Value::String(if ips.is_empty() {
        "<none>".into()
    } else {
        ips.join(",")
    })
}

fn svc_ports(obj: &Value, _now: DateTime<Utc>) -> Value {
    let ports: Vec<String> = obj
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    format!(
                        "{}/{}",
                        p.get("port").and_then(Value::as_i64).unwrap_or(0),
                        p.get("protocol").and_then(Value::as_str).unwrap_or("TCP")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Value::String(if ports.is_empty() {
        "<none>".into()
    } else {
        ports.join(",")
    })
}

fn svc_selector(obj: &Value, _now: DateTime<Utc>) -> Value {
    let sel: Vec<String> = obj
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    Value::String(if sel.is_empty() {
        "<none>".into()
    } else {
        sel.join(",")
    })
}

fn cm_data(obj: &Value, _now: DateTime<Utc>) -> Value {
    let n = ["data", "binaryData"]
        .iter()
        .filter_map(|k| obj.get(*k).and_then(Value::as_object))
        .map(serde_json::Map::len)
        .sum::<usize>();
    json!(n)
}

fn event_age(ev: &Value, field: &str, now: DateTime<Utc>) -> String {
    let ts = ev
        .get(field)
        .or_else(|| ev.get("eventTime"))
        .or_else(|| ev.pointer("/metadata/creationTimestamp"))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    match ts {
        Some(t) => human_duration(now - t.with_timezone(&Utc)),
        None => "<unknown>".into(),
    }
}

/// `5m`, or `5m (x7 over 12m)` for a repeated event, as the API server prints it.
fn event_last_seen(ev: &Value, now: DateTime<Utc>) -> Value {
    let last = event_age(ev, "lastTimestamp", now);
    match ev.get("count").and_then(Value::as_i64) {
        Some(n) if n > 1 => Value::String(format!(
            "{last} (x{n} over {})",
            event_age(ev, "firstTimestamp", now)
        )),
        _ => Value::String(last),
    }
}

fn event_first_seen(ev: &Value, now: DateTime<Utc>) -> Value {
    Value::String(event_age(ev, "firstTimestamp", now))
}

/// `kubelet, node-1`: the source component and host.
fn event_source(ev: &Value, _now: DateTime<Utc>) -> Value {
    let s = |p: &str| ev.pointer(p).and_then(Value::as_str).unwrap_or("");
    let component = match s("/source/component") {
        "" => s("/reportingComponent"),
        c => c,
    };
    Value::String(match s("/source/host") {
        "" => component.to_string(),
        host => format!("{component}, {host}"),
    })
}

fn event_object(ev: &Value, _now: DateTime<Utc>) -> Value {
    let kind = ev
        .pointer("/involvedObject/kind")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = ev
        .pointer("/involvedObject/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    Value::String(format!("{}/{}", kind.to_lowercase(), name))
}

/// The apimachinery `HumanDuration` format kubectl prints in AGE columns.
pub fn human_duration(d: chrono::TimeDelta) -> String {
    let secs = d.num_seconds();
    if secs < -1 {
        return "<invalid>".into();
    }
    if secs < 0 {
        return "0s".into();
    }
    let (m, h) = (secs / 60, secs / 3600);
    let days = h / 24;
    let years = days / 365;
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        match secs % 60 {
            0 => format!("{m}m"),
            s => format!("{m}m{s}s"),
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        match m % 60 {
            0 => format!("{h}h"),
            mm => format!("{h}h{mm}m"),
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 192 {
        match h % 24 {
            0 => format!("{days}d"),
            hh => format!("{days}d{hh}h"),
        }
    } else if years < 2 {
        format!("{days}d")
    } else if years < 8 {
        match days % 365 {
            0 => format!("{years}y"),
            dd => format!("{years}y{dd}d"),
        }
    } else {
        format!("{years}y")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_lookups() {
        let wf = lookup("argoproj.io", "v1alpha1", "workflows").map(|rt| rt.kind);
        assert_eq!(wf, Some("Workflow"));
        assert_eq!(by_kind("v1", "Pod").map(|rt| rt.plural), Some("pods"));
        assert_eq!(workflow_type().qualified(), "workflows.argoproj.io");
        assert_eq!(pod_type().qualified(), "pods");
        assert_eq!(namespace_type().kind, "Namespace");
        assert_eq!(event_type().kind, "Event");
        assert_eq!(service_type().kind, "Service");
        assert_eq!(configmap_type().kind, "ConfigMap");
        assert_eq!(find("kubeflow.org", "notebooks").map(|rt| rt.version), Some("v1"));
        assert!(is_storage(notebook_v1()));
        let nb_beta = lookup("kubeflow.org", "v1beta1", "notebooks");
        assert!(nb_beta.is_some_and(|rt| !is_storage(rt)));
        assert_eq!(
            lookup("kubeflow.org", "v1", "profiles").map(|rt| rt.namespaced),
            Some(false)
        );
    }

    fn notebook_v1() -> &'static ResourceType {
        lookup("kubeflow.org", "v1", "notebooks").unwrap_or(&REGISTRY[0])
    }

    #[test]
    fn human_durations_match_apimachinery() {
        let s = chrono::TimeDelta::seconds;
        assert_eq!(human_duration(s(5)), "5s");
        assert_eq!(human_duration(s(125)), "2m5s");
        assert_eq!(human_duration(s(600)), "10m");
        assert_eq!(human_duration(s(4 * 3600 + 60)), "4h1m");
        assert_eq!(human_duration(s(30 * 3600)), "30h");
        assert_eq!(human_duration(s(3 * 86400 + 3600)), "3d1h");
        assert_eq!(human_duration(s(-5)), "<invalid>");
    }

    #[test]
    fn pod_status_column() {
        let pod = json!({"spec":{"containers":[{"name":"main"}]},"status":{"phase":"Pending",
            "containerStatuses":[{"name":"main","ready":false,"state":{"waiting":{"reason":"ContainerCreating"}}}]}});
        assert_eq!(pod_status(&pod, Utc::now()), "ContainerCreating");
        let done = json!({"status":{"phase":"Succeeded","containerStatuses":[{"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}});
        assert_eq!(pod_status(&done, Utc::now()), "Completed");
        assert_eq!(pod_ready(&pod, Utc::now()), "0/1");
    }
}
