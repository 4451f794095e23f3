//! A tool's JSON Schemas, cut from the OpenAPI document of its route.
//!
//! The input schema is an object whose properties are the route's path and
//! query parameters and the properties of its JSON body; the output schema
//! is its 200 response's JSON schema. Every `#/components/schemas/X` the two
//! reach is copied under `$defs` and its references rewritten to
//! `#/$defs/X`, so each schema stands alone. Pure: JSON in, JSON out.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Where OpenAPI keeps named schemas, and where a lone JSON Schema does.
const COMPONENTS: &str = "#/components/schemas/";
const DEFS: &str = "#/$defs/";

/// The input and output schema of one tool.
#[derive(Debug)]
pub(super) struct ToolSchemas {
    /// The arguments: an object, no properties beyond the declared ones.
    pub(super) input: Map<String, Value>,
    /// The structured result: an object.
    pub(super) output: Map<String, Value>,
}

/// The schemas of the operation `method path` of the OpenAPI document
/// `api`, leaving out the query parameters named in `hidden`.
pub(super) fn tool_schemas(
    api: &Value,
    method: &str,
    path: &str,
    hidden: &[&str],
) -> Result<ToolSchemas, String> {
    let op = api
        .get("paths")
        .and_then(|p| p.get(path))
        .and_then(|p| p.get(method.to_ascii_lowercase()))
        .ok_or_else(|| format!("the OpenAPI document has no `{method} {path}`"))?;
    let components = api
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();

    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = param.get("name").and_then(Value::as_str) else {
            continue;
        };
        if hidden.contains(&name) {
            continue;
        }
        let mut schema = param.get("schema").cloned().unwrap_or(Value::Bool(true));
        if let (Some(obj), Some(d)) = (schema.as_object_mut(), param.get("description")) {
            obj.insert("description".into(), d.clone());
        }
        properties.insert(name.to_string(), schema);
        if param.get("required") == Some(&Value::Bool(true)) {
            required.push(Value::String(name.to_string()));
        }
    }
    if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
        let body = resolve(body, &components)?;
        if let Some(props) = body.get("properties").and_then(Value::as_object) {
            properties.extend(props.clone());
        }
        if let Some(req) = body.get("required").and_then(Value::as_array) {
            required.extend(req.iter().cloned());
        }
    }
    let mut input = Map::new();
    input.insert("type".into(), "object".into());
    input.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        input.insert("required".into(), Value::Array(required));
    }
    input.insert("additionalProperties".into(), Value::Bool(false));

    let response = op
        .pointer("/responses/200/content/application~1json/schema")
        .ok_or_else(|| format!("`{method} {path}` has no JSON 200 response"))?;
    let mut output = match resolve(response, &components)? {
        Value::Object(o) => o,
        _ => {
            return Err(format!(
                "the response of `{method} {path}` is not an object"
            ))
        }
    };
    output
        .entry("type")
        .or_insert_with(|| Value::String("object".into()));

    Ok(ToolSchemas {
        input: standalone(input, &components)?,
        output: standalone(output, &components)?,
    })
}

/// The schema a top-level `$ref` names (other schemas as they are).
fn resolve(schema: &Value, components: &Map<String, Value>) -> Result<Value, String> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r
                .strip_prefix(COMPONENTS)
                .ok_or_else(|| format!("unexpected reference `{r}`"))?;
            components
                .get(name)
                .cloned()
                .ok_or_else(|| format!("no schema `{name}`"))
        }
        None => Ok(schema.clone()),
    }
}

/// `schema` with its references rewritten to `$defs`, and every schema
/// they reach (transitively) copied there.
fn standalone(
    schema: Map<String, Value>,
    components: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut schema = Value::Object(schema);
    let mut wanted = BTreeSet::new();
    rewrite(&mut schema, &mut wanted);
    let mut defs = Map::new();
    while let Some(name) = wanted.iter().find(|n| !defs.contains_key(*n)).cloned() {
        let mut def = components
            .get(&name)
            .cloned()
            .ok_or_else(|| format!("no schema `{name}`"))?;
        rewrite(&mut def, &mut wanted);
        defs.insert(name, def);
    }
    let Value::Object(mut schema) = schema else {
        return Err("a schema is not an object".into());
    };
    if !defs.is_empty() {
        schema.insert("$defs".into(), Value::Object(defs));
    }
    Ok(schema)
}

/// Rewrites every component reference inside `v`, noting the names.
fn rewrite(v: &mut Value, names: &mut BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                if let Some(name) = r.strip_prefix(COMPONENTS) {
                    names.insert(name.to_string());
                    *r = format!("{DEFS}{name}");
                }
            }
            o.values_mut().for_each(|x| rewrite(x, names));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite(x, names)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn api() -> Value {
        json!({
            "paths": {"/v1/x/{id}": {"post": {
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Id"},
                    {"name": "format", "in": "query", "schema": {"type": "string"}}
                ],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Body"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}}}}
            }}},
            "components": {"schemas": {
                "Body": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
                "Out": {"type": "object", "properties": {"hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}}}},
                "Hit": {"type": "object", "properties": {"cite": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Cite"}]}}},
                "Cite": {"type": "object"},
                "Unused": {"type": "object"}
            }}
        })
    }

    #[test]
    fn parameters_and_body_become_one_object() {
        let s = tool_schemas(&api(), "POST", "/v1/x/{id}", &["format"]).unwrap();
        assert_eq!(
            Value::Object(s.input),
            json!({
                "type": "object",
                "properties": {"id": {"type": "string", "description": "Id"}, "text": {"type": "string"}},
                "required": ["id", "text"],
                "additionalProperties": false
            })
        );
    }

    #[test]
    fn the_output_stands_alone_with_only_what_it_reaches() {
        let s = tool_schemas(&api(), "POST", "/v1/x/{id}", &[]).unwrap();
        let out = Value::Object(s.output);
        assert_eq!(out["properties"]["hits"]["items"]["$ref"], "#/$defs/Hit");
        let defs = out["$defs"].as_object().unwrap();
        assert_eq!(
            defs.keys().collect::<Vec<_>>(),
            ["Cite", "Hit"],
            "transitive, and nothing unused"
        );
        assert_eq!(
            defs["Hit"]["properties"]["cite"]["oneOf"][1]["$ref"],
            "#/$defs/Cite"
        );
    }

    #[test]
    fn a_missing_route_or_schema_is_an_error() {
        assert!(tool_schemas(&api(), "GET", "/v1/x/{id}", &[]).is_err());
        let mut broken = api();
        broken["components"]["schemas"]
            .as_object_mut()
            .unwrap()
            .remove("Cite");
        assert!(tool_schemas(&broken, "POST", "/v1/x/{id}", &[]).is_err());
    }
}
