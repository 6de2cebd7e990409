//! Traffic verbs on an InferenceService that uses KServe v0.20's `spec.canary[]` form
//! (`[{predictor: {name, …}, trafficPercent}]`, Standard/RawDeployment mode, research §5) rather
//! than `spec.predictor.canaryTrafficPercent`:
//! - set N: every canary gets `trafficPercent: N`;
//! - rollback: every canary gets `trafficPercent: 0` (it stays defined, taking no traffic);
//! - promote: the canary with the most traffic becomes `spec.predictor` (keeping the main
//!   predictor's own name, if it had one) and leaves the list; the list goes when empty.
//!
//! The patches are JSON merge patches; promote's replaces the predictor exactly (keys the new
//! predictor lacks are removed), since a merge would leave the old model's fields behind.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{Map, Value, json};

use crate::kube::kubeflow_ops::ModelVerb;
use crate::kube::ops::OpError;

/// The `spec.canary` list of an object, when it uses that form.
pub fn canary_list(object: &Value) -> Option<&Vec<Value>> {
    object
        .pointer("/spec/canary")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
}

/// The merge patch that turns `old` into `new`.
pub fn merge_diff(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut out = Map::new();
            for (k, v) in n {
                match o.get(k) {
                    Some(ov) if ov == v => {}
                    Some(ov) => {
                        out.insert(k.clone(), merge_diff(ov, v));
                    }
                    None => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            for k in o.keys().filter(|k| !n.contains_key(*k)) {
                out.insert(k.clone(), Value::Null);
            }
            Value::Object(out)
        }
        _ => new.clone(),
    }
}

fn with_percent(list: &[Value], percent: u8) -> Vec<Value> {
    list.iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some(o) = c.as_object_mut() {
                o.insert("trafficPercent".into(), json!(percent.min(100)));
            }
            c
        })
        .collect()
}

/// The merge patch of a traffic verb on an object with `spec.canary[]`; `None` when the object
/// does not use that form or the verb is not about traffic.
pub fn canary_list_patch(verb: ModelVerb, object: &Value) -> Option<Value> {
    let list = canary_list(object)?;
    match verb {
        ModelVerb::Canary(n) => Some(json!({"spec": {"canary": with_percent(list, n)}})),
        ModelVerb::Rollback => Some(json!({"spec": {"canary": with_percent(list, 0)}})),
        ModelVerb::Promote => {
            let percent = |c: &Value| c.get("trafficPercent").and_then(Value::as_i64).unwrap_or(0);
            let best = list.iter().enumerate().fold(0, |best, (i, c)| {
                if percent(c) > percent(&list[best]) {
                    i
                } else {
                    best
                }
            });
            let old = object
                .pointer("/spec/predictor")
                .cloned()
                .unwrap_or_else(|| json!({}));
            let mut new = list[best].get("predictor").cloned().unwrap_or_else(|| json!({}));
            if let Some(o) = new.as_object_mut() {
                match old.get("name") {
                    Some(name) => o.insert("name".into(), name.clone()),
                    None => o.remove("name"),
                };
            }
            let rest: Vec<Value> = list
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != best)
                .map(|(_, c)| c.clone())
                .collect();
            let canary = if rest.is_empty() { Value::Null } else { json!(rest) };
            Some(json!({"spec": {"predictor": merge_diff(&old, &new), "canary": canary}}))
        }
        ModelVerb::Start | ModelVerb::Stop | ModelVerb::Delete => None,
    }
}

/// The name of the canary taking traffic, for the status line.
fn canary_names(object: &Value) -> String {
    canary_list(object)
        .map(|l| {
            l.iter()
                .filter_map(|c| c.pointer("/predictor/name").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// Performs a traffic verb on an object that uses `spec.canary[]`: `Ok(None)` when the verb is
/// not about traffic or the object uses `canaryTrafficPercent`, for the caller to handle.
pub async fn canary_list_verb(
    api: &Api<DynamicObject>,
    name: &str,
    verb: ModelVerb,
) -> Result<Option<String>, OpError> {
    if !matches!(
        verb,
        ModelVerb::Canary(_) | ModelVerb::Promote | ModelVerb::Rollback
    ) {
        return Ok(None);
    }
    let object = serde_json::to_value(api.get(name).await?).unwrap_or_default();
    let Some(patch) = canary_list_patch(verb, &object) else {
        return Ok(None);
    };
    let canaries = canary_names(&object);
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(Some(match verb {
        ModelVerb::Canary(n) => format!("model {name}: {}% of traffic to canary {canaries}", n.min(100)),
        ModelVerb::Rollback => format!("model {name}: canary {canaries} takes no traffic"),
        _ => format!("model {name}: canary promoted to the predictor"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn isvc() -> Value {
        json!({"spec": {
            "predictor": {"model": {"modelFormat": {"name": "sklearn"}, "runtime": "kserve-sklearnserver",
                "storageUri": "gs://models/iris/v1"}},
            "canary": [{"predictor": {"name": "v2", "model": {"modelFormat": {"name": "sklearn"},
                "storageUri": "gs://models/iris/v2"}}, "trafficPercent": 10}]}})
    }

    #[test]
    fn canary_percent_and_rollback_set_the_list() {
        assert_eq!(
            canary_list_patch(ModelVerb::Canary(30), &isvc()),
            Some(json!({"spec": {"canary": [{"predictor": {"name": "v2", "model": {
                "modelFormat": {"name": "sklearn"}, "storageUri": "gs://models/iris/v2"}},
                "trafficPercent": 30}]}}))
        );
        let rollback = canary_list_patch(ModelVerb::Rollback, &isvc()).unwrap();
        assert_eq!(rollback["spec"]["canary"][0]["trafficPercent"], 0);
        assert_eq!(rollback["spec"]["canary"][0]["predictor"]["name"], "v2");
        assert!(rollback["spec"].get("predictor").is_none());
    }

    #[test]
    fn promote_replaces_the_predictor_exactly_and_drops_the_list() {
        assert_eq!(
            canary_list_patch(ModelVerb::Promote, &isvc()),
            Some(json!({"spec": {
                "predictor": {"model": {"runtime": null, "storageUri": "gs://models/iris/v2"}},
                "canary": null}}))
        );
    }

    #[test]
    fn promote_keeps_the_other_canaries() {
        let mut o = isvc();
        o["spec"]["canary"] = json!([
            {"predictor": {"name": "a", "sklearn": {"storageUri": "gs://a"}}, "trafficPercent": 5},
            {"predictor": {"name": "b", "sklearn": {"storageUri": "gs://b"}}, "trafficPercent": 20}]);
        let patch = canary_list_patch(ModelVerb::Promote, &o).unwrap();
        assert_eq!(
            patch["spec"]["predictor"]["sklearn"],
            json!({"storageUri": "gs://b"})
        );
        assert_eq!(patch["spec"]["predictor"]["model"], Value::Null);
        assert_eq!(patch["spec"]["canary"][0]["predictor"]["name"], "a");
        assert_eq!(patch["spec"]["canary"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn objects_without_the_list_use_canary_traffic_percent() {
        let o = json!({"spec": {"predictor": {"canaryTrafficPercent": 10}}});
        assert_eq!(canary_list_patch(ModelVerb::Canary(50), &o), None);
        assert_eq!(canary_list_patch(ModelVerb::Stop, &isvc()), None);
        assert_eq!(
            crate::kube::kubeflow_ops::model_patch(ModelVerb::Canary(50)),
            Some(json!({"spec": {"predictor": {"canaryTrafficPercent": 50}}}))
        );
        assert_eq!(
            crate::kube::kubeflow_ops::model_patch(ModelVerb::Rollback),
            Some(json!({"spec": {"predictor": {"canaryTrafficPercent": 0}}}))
        );
        assert_eq!(
            crate::kube::kubeflow_ops::model_patch(ModelVerb::Promote),
            Some(json!({"spec": {"predictor": {"canaryTrafficPercent": 100}}}))
        );
    }
}
