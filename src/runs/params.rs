//! The parameters a new run takes: declared by a KFP pipeline spec (`root.inputDefinitions`) or
//! by an Argo spec (`arguments.parameters`), with their types and defaults, and the check a
//! typed value must pass before it is sent.

use serde_json::{Map, Value};

/// The type of a parameter, as KFP's IR declares it (Argo parameters are strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    String,
    Int,
    Double,
    Bool,
    List,
    Struct,
}

impl ParamType {
    /// From an IR `parameterType` (`NUMBER_INTEGER`, …) or a v1 `type` (`Integer`, …).
    pub fn from_ir(word: &str) -> ParamType {
        match word {
            "NUMBER_INTEGER" | "Integer" | "INT" => ParamType::Int,
            "NUMBER_DOUBLE" | "Float" | "Double" | "DOUBLE" => ParamType::Double,
            "BOOLEAN" | "Bool" | "Boolean" => ParamType::Bool,
            "LIST" | "List" => ParamType::List,
            "STRUCT" | "Dict" | "Struct" => ParamType::Struct,
            _ => ParamType::String,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Int => "int",
            ParamType::Double => "double",
            ParamType::Bool => "bool",
            ParamType::List => "list",
            ParamType::Struct => "struct",
        }
    }
}

/// One parameter a run takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ParamType,
    /// The default, as text (JSON for lists and structs).
    pub default: Option<String>,
    /// May be left empty.
    pub optional: bool,
    pub description: Option<String>,
    /// The only values allowed (Argo `enum`).
    pub choices: Vec<String>,
}

/// A JSON value as the text a person would type: strings bare, everything else as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The pipeline spec inside what KFP returns as a version's `pipeline_spec` (which may wrap it
/// with a `platform_spec`).
pub fn pipeline_spec(v: &Value) -> &Value {
    match v.get("pipeline_spec") {
        Some(inner) if inner.get("root").is_some() => inner,
        _ => v,
    }
}

/// The parameters of a KFP pipeline spec (IR), in declaration order.
pub fn kfp_params(ir: &Value) -> Vec<ParamSpec> {
    let Some(params) = pipeline_spec(ir)
        .pointer("/root/inputDefinitions/parameters")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    params
        .iter()
        .map(|(name, p)| ParamSpec {
            name: name.clone(),
            ty: ParamType::from_ir(
                p.get("parameterType")
                    .or_else(|| p.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("STRING"),
            ),
            default: p
                .get("defaultValue")
                .map(|d| match (d.as_f64(), p.get("parameterType")) {
                    (Some(f), Some(Value::String(t))) if t == "NUMBER_INTEGER" && f.fract() == 0.0 => {
                        format!("{}", f as i64)
                    }
                    _ => value_text(d),
                }),
            optional: p.get("isOptional").and_then(Value::as_bool).unwrap_or(false),
            description: p.get("description").and_then(Value::as_str).map(String::from),
            choices: Vec::new(),
        })
        .collect()
}

/// The parameters of an Argo Workflow or WorkflowTemplate spec (`arguments.parameters`).
pub fn argo_params(spec: &Value) -> Vec<ParamSpec> {
    let Some(params) = spec.pointer("/arguments/parameters").and_then(Value::as_array) else {
        return Vec::new();
    };
    params
        .iter()
        .filter_map(|p| {
            let name = p.get("name").and_then(Value::as_str)?;
            Some(ParamSpec {
                name: name.to_string(),
                ty: ParamType::String,
                default: p.get("value").or_else(|| p.get("default")).map(value_text),
                optional: false,
                description: p.get("description").and_then(Value::as_str).map(String::from),
                choices: p
                    .get("enum")
                    .and_then(Value::as_array)
                    .map(|e| e.iter().map(value_text).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Checks what was typed for a parameter and turns it into the JSON value to send.
/// `Ok(None)` means "leave it out" (empty, and the parameter has a default or is optional).
pub fn check(spec: &ParamSpec, text: &str) -> Result<Option<Value>, String> {
    let t = text.trim();
    if t.is_empty() {
        return if spec.default.is_some() || spec.optional {
            Ok(None)
        } else if spec.ty == ParamType::String && spec.choices.is_empty() {
            Ok(Some(Value::String(String::new())))
        } else {
            Err("required".into())
        };
    }
    if !spec.choices.is_empty() && !spec.choices.iter().any(|c| c == t) {
        return Err(format!("one of {}", spec.choices.join(", ")));
    }
    match spec.ty {
        ParamType::String => Ok(Some(Value::String(text.to_string()))),
        ParamType::Int => t
            .parse::<i64>()
            .ok()
            .or_else(|| {
                // KFP writes integer defaults as protobuf numbers: `10.0`.
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(|n| Some(Value::from(n)))
            .ok_or_else(|| format!("{t:?} is not an integer")),
        ParamType::Double => match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Some(Value::from(f))),
            _ => Err(format!("{t:?} is not a number")),
        },
        ParamType::Bool => match t.to_ascii_lowercase().as_str() {
            "true" => Ok(Some(Value::Bool(true))),
            "false" => Ok(Some(Value::Bool(false))),
            _ => Err("true or false".into()),
        },
        ParamType::List => match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Array(_)) => Ok(Some(v)),
            _ => Err("a JSON list, like [1, 2]".into()),
        },
        ParamType::Struct => match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Object(_)) => Ok(Some(v)),
            _ => Err("a JSON object, like {\"k\": 1}".into()),
        },
    }
}

/// Argo parameters as `[{name, value}]`, values as strings (Argo's parameters are strings).
pub fn argo_arguments(values: &[(String, Value)]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|(k, v)| {
                let mut m = Map::new();
                m.insert("name".into(), Value::String(k.clone()));
                m.insert("value".into(), Value::String(value_text(v)));
                Value::Object(m)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(ty: ParamType, default: Option<&str>) -> ParamSpec {
        ParamSpec {
            name: "p".into(),
            ty,
            default: default.map(String::from),
            optional: false,
            description: None,
            choices: Vec::new(),
        }
    }

    #[test]
    fn kfp_ir_parameters_keep_types_and_defaults() {
        let ir = json!({"root": {"inputDefinitions": {"parameters": {
            "epochs": {"parameterType": "NUMBER_INTEGER", "defaultValue": 10.0},
            "lr": {"parameterType": "NUMBER_DOUBLE", "defaultValue": 0.01},
            "text": {"parameterType": "STRING", "defaultValue": "Hello KFP!", "isOptional": true},
            "layers": {"parameterType": "LIST"},
        }}}});
        let ps = kfp_params(&json!({"pipeline_spec": ir, "platform_spec": {}}));
        let epochs = ps.iter().find(|p| p.name == "epochs").unwrap();
        assert_eq!(epochs.ty, ParamType::Int);
        assert_eq!(epochs.default.as_deref(), Some("10"));
        let text = ps.iter().find(|p| p.name == "text").unwrap();
        assert_eq!((text.ty, text.optional), (ParamType::String, true));
        assert_eq!(text.default.as_deref(), Some("Hello KFP!"));
        assert_eq!(
            ps.iter().find(|p| p.name == "layers").unwrap().ty,
            ParamType::List
        );
    }

    #[test]
    fn typed_values_are_checked_as_typed() {
        let int = spec(ParamType::Int, None);
        assert_eq!(check(&int, " 42 "), Ok(Some(json!(42))));
        assert!(check(&int, "4.2").unwrap_err().contains("not an integer"));
        assert_eq!(check(&int, "10.0"), Ok(Some(json!(10))));
        assert_eq!(check(&int, ""), Err("required".into()));
        let with_default = spec(ParamType::Int, Some("3"));
        assert_eq!(check(&with_default, ""), Ok(None));
        assert_eq!(
            check(&spec(ParamType::Double, None), "1e-3"),
            Ok(Some(json!(0.001)))
        );
        assert!(check(&spec(ParamType::Double, None), "NaN").is_err());
        assert_eq!(check(&spec(ParamType::Bool, None), "True"), Ok(Some(json!(true))));
        assert!(check(&spec(ParamType::Bool, None), "yes").is_err());
        assert_eq!(
            check(&spec(ParamType::List, None), "[1,2]"),
            Ok(Some(json!([1, 2])))
        );
        assert!(check(&spec(ParamType::List, None), "{}").is_err());
        assert!(check(&spec(ParamType::Struct, None), "{\"a\":1}").is_ok());
        assert_eq!(
            check(&spec(ParamType::String, None), "hi there"),
            Ok(Some(json!("hi there")))
        );
    }

    #[test]
    fn argo_parameters_and_their_enums() {
        let ps = argo_params(&json!({"arguments": {"parameters": [
            {"name": "message", "value": "hello world"},
            {"name": "size", "enum": ["small", "large"], "value": "small"},
        ]}}));
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].default.as_deref(), Some("hello world"));
        assert_eq!(check(&ps[1], "large"), Ok(Some(json!("large"))));
        assert_eq!(check(&ps[1], "medium"), Err("one of small, large".into()));
        assert_eq!(
            argo_arguments(&[("n".into(), json!(3))]),
            json!([{"name": "n", "value": "3"}])
        );
    }
}
