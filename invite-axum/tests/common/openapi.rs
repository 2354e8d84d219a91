//! The served OpenAPI document as a checker: every JSON answer of the API is matched against
//! the schema the document gives for its route and status (types, required fields, and no
//! field the document does not name), so the document cannot drift from what the handlers
//! answer, including the core's values served as they serialize.

use serde_json::Value;

/// The document, as JSON.
pub struct Doc(pub Value);

impl Doc {
    pub fn new() -> Self {
        Doc(serde_json::to_value(invite_axum::openapi()).expect("the document serializes"))
    }

    /// The documented template (`/api/orgs/{org}`) a concrete path matches.
    pub fn template(&self, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.0["paths"]
            .as_object()?
            .keys()
            .find(|t| {
                let ts: Vec<&str> = t.split('/').collect();
                ts.len() == segments.len()
                    && ts
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')))
            })
            .cloned()
    }

    /// Every documented operation, as `(METHOD, template)`.
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, item) in self.0["paths"].as_object().expect("paths") {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    out.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        out.sort();
        out
    }

    /// Checks one answer: its status is documented for the route, and its body (if JSON is
    /// documented) matches the schema.
    pub fn check_answer(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let template = self
            .template(path)
            .ok_or_else(|| format!("{path} matches no documented path"))?;
        let op = &self.0["paths"][&template][method.to_lowercase()];
        if op.is_null() {
            return Err(format!("{method} {template} is not documented"));
        }
        let response = &op["responses"][status.to_string()];
        if response.is_null() {
            return Err(format!(
                "{method} {template}: status {status} is not documented"
            ));
        }
        let response = self.resolve(response);
        match response["content"]["application/json"].get("schema") {
            Some(schema) => self
                .check(schema, body, "$")
                .map_err(|e| format!("{method} {template} {status}: {e}\nbody: {body}")),
            None if status == 204 => Ok(()),
            None => Err(format!("{method} {template} {status}: no JSON schema")),
        }
    }

    /// Checks a request body the API accepted against the documented request body.
    pub fn check_request(&self, method: &str, path: &str, body: &Value) -> Result<(), String> {
        let template = self
            .template(path)
            .ok_or_else(|| format!("{path} matches no documented path"))?;
        let op = &self.0["paths"][&template][method.to_lowercase()];
        let schema = self.resolve(&op["requestBody"])["content"]["application/json"]
            .get("schema")
            .ok_or_else(|| format!("{method} {template} documents no JSON body"))?;
        self.check(schema, body, "$")
            .map_err(|e| format!("{method} {template} request: {e}\nbody: {body}"))
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let mut node = &self.0;
                for part in r.trim_start_matches("#/").split('/') {
                    node = &node[part];
                }
                self.resolve(node)
            }
            None => v,
        }
    }

    /// Operations whose path parameters (`{org}`) differ from the parameters they declare
    /// `in: path` (OpenAPI requires each templated name declared, and only those).
    pub fn undeclared_path_parameters(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (method, template) in self.operations() {
            let op = &self.0["paths"][&template][method.to_lowercase()];
            let mut declared: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let mut templated: Vec<&str> = template
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            declared.sort_unstable();
            templated.sort_unstable();
            if declared != templated {
                out.push(format!("{method} {template}: {declared:?}"));
            }
        }
        out
    }

    /// Every `$ref` in the document names something the document holds.
    pub fn dangling_refs(&self) -> Vec<String> {
        let mut refs = Vec::new();
        collect_refs(&self.0, &mut refs);
        refs.into_iter()
            .filter(|r| self.resolve(&serde_json::json!({ "$ref": r })).is_null())
            .collect()
    }

    /// `value` against `schema` (the subset of JSON Schema utoipa writes).
    pub fn check(&self, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let target = self.resolve(schema);
            if target.is_null() {
                return Err(format!("{at}: dangling {r}"));
            }
            return self.check(target, value, at);
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.check(s, value, at)?;
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(any) = schema.get(key).and_then(Value::as_array) {
                let errors: Vec<String> = any
                    .iter()
                    .filter_map(|s| self.check(s, value, at).err())
                    .collect();
                if errors.len() == any.len() {
                    return Err(format!("{at}: matches no branch of {key}: {errors:?}"));
                }
            }
        }
        if let Some(ty) = schema.get("type") {
            let allowed: Vec<&str> = match ty {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let actual = kind(value);
            let fits = allowed
                .iter()
                .any(|t| *t == actual || (*t == "number" && actual == "integer"));
            if !fits {
                return Err(format!("{at}: a {actual}, documented {allowed:?}"));
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            if !options.contains(value) {
                return Err(format!("{at}: {value} is not one of {options:?}"));
            }
        }
        if let (Some(obj), Some(props)) = (
            value.as_object(),
            schema.get("properties").and_then(Value::as_object),
        ) {
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !obj.contains_key(name) {
                    return Err(format!("{at}: required field {name} is missing"));
                }
            }
            let open = schema
                .get("additionalProperties")
                .is_some_and(|a| a != &Value::Bool(false));
            for (name, v) in obj {
                match props.get(name) {
                    Some(s) => self.check(s, v, &format!("{at}.{name}"))?,
                    None if open => {}
                    None => return Err(format!("{at}: field {name} is not documented")),
                }
            }
        }
        if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
            for (i, v) in list.iter().enumerate() {
                self.check(items, v, &format!("{at}[{i}]"))?;
            }
        }
        Ok(())
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
