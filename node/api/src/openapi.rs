//! The OpenAPI 3.1 description of the API, generated from [`crate::routes::ALL`] and the JSON
//! Schemas of the types (schemars), so it says what the node serves and nothing else.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::routes::{ALL, Body, In, MAX_BATCH_TXS, MAX_BODY_BYTES, Method};
use crate::types::ErrorBody;

/// The whole description, as served at `GET /v1/openapi.json`.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12().with(|s| s.definitions_path = "#/components/schemas/".into()).into_generator();
    let error_body = Value::from(generator.subschema_for::<ErrorBody>());
    let mut paths = Map::new();
    for route in ALL {
        let params: Vec<Value> = route
            .params
            .iter()
            .map(|p| {
                let location = match p.location {
                    In::Path => "path",
                    In::Query => "query",
                };
                json!({
                    "name": p.name,
                    "in": location,
                    "required": p.location == In::Path,
                    "description": p.description,
                    "schema": Value::from((p.schema)(&mut generator)),
                })
            })
            .collect();
        let ok = match route.response {
            Body::Json(f) => json!({
                "description": route.summary,
                "content": { "application/json": { "schema": Value::from(f(&mut generator)) } },
            }),
            Body::Other { media_type, description } => json!({
                "description": description,
                "content": { media_type: { "schema": { "type": "string" } } },
            }),
        };
        let mut responses = Map::new();
        responses.insert(route.status.to_string(), ok);
        for (status, codes) in route.errors {
            let error = json!({ "description": codes, "content": { "application/json": { "schema": error_body } } });
            responses.insert(status.to_string(), error);
        }
        let mut operation = json!({
            "summary": route.summary,
            "tags": [route.tag],
            "parameters": params,
            "responses": responses,
        });
        if let Some(f) = route.request {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": Value::from(f(&mut generator)) } } });
        }
        let method = match route.method {
            Method::Get => "get",
            Method::Post => "post",
        };
        let entry = paths.entry(route.path).or_insert_with(|| json!({}));
        entry[method] = operation;
    }
    let schemas: Map<String, Value> = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "loanchain node API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "The HTTP API of a loanchain node. Every error is JSON {{\"error\": {{\"code\", \"message\"}}}} with a 4xx/5xx status. \
                 Request bodies are at most {MAX_BODY_BYTES} bytes; a batch carries at most {MAX_BATCH_TXS} transactions."
            ),
        },
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in `v` points at a schema the document defines.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_route_is_described_and_every_reference_resolves() {
        let doc = document();
        for r in ALL {
            let m = if r.method == Method::Get { "get" } else { "post" };
            assert!(doc["paths"][r.path][m].is_object(), "{} {m}", r.path);
        }
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 20, "the types are described by reference: {found:?}");
        for r in found {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r} is not a component"));
            assert!(
                doc["components"]["schemas"][name].is_object() || doc["components"]["schemas"][name].is_boolean(),
                "{r} is not defined"
            );
        }
    }

    #[test]
    fn the_shapes_come_from_the_types() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let status = &schemas["NodeStatus"];
        for field in ["name", "role", "chain_id", "genesis_hash", "height", "app_hash", "round", "peers", "mempool_size", "behind", "stale"]
        {
            assert!(status["properties"][field].is_object(), "NodeStatus.{field}");
        }
        // A unit enum with documented variants: one `const` per variant, each with its doc.
        let roles: Vec<&Value> = schemas["NodeRole"]["oneOf"].as_array().expect("NodeRole is oneOf").iter().map(|v| &v["const"]).collect();
        assert_eq!(roles, [&json!("validator"), &json!("observer")]);
        assert_eq!(schemas["Money"]["type"], "string");
        assert!(schemas["Loan"]["properties"].as_object().is_some_and(|p| p.len() > 5), "Loan is described field by field");
    }
}
