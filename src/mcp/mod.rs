//! `verbatim mcp`: the read-only API as Model Context Protocol tools and
//! resources, over stdio, on the official Rust SDK (`rmcp`).
//!
//! A tool is one route of the HTTP API, called in-process through the very
//! router `verbatim serve` runs (`http::app`): the same validation, limits,
//! timeouts, error codes and JSON. The tools' input and output schemas are
//! cut from the same OpenAPI document `/openapi.json` serves (`schema.rs`),
//! so the two faces cannot drift apart. Every result carries the API's JSON
//! as structured content and a short text rendering for the model
//! (`render.rs`) that quotes the exact source text with its citation.
//!
//! The surface is read-only: no tool writes, whatever token is configured.

mod render;
mod schema;
mod tools;

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::http::AppState;
use tools::Tool;

/// Documents per page of `resources/list`.
const RESOURCE_PAGE: usize = 100;
/// The scheme and prefix of a document resource's URI.
const DOCUMENT_URI: &str = "verbatim://documents/";
/// Characters escaped in a path segment or a query-string value.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What the server tells an assistant when it connects.
const INSTRUCTIONS: &str =
    "verbatim answers from a fixed set of source documents in their own words. \
Every text it returns is an exact slice of a stored document at the offsets its citation gives; \
quote it as is and cite its label. When `ask` says there is no answer in these sources, say so \
plainly and do not answer from elsewhere. Run `check_quote` (or `check_draft`) on any quotation \
before you present it as the sources' words.";

/// The MCP server: the tools, the resources and the router they call.
#[derive(Clone)]
struct Server {
    /// The HTTP API, called in-process: one source of validation, limits and JSON.
    router: Router,
    /// The engine, for listing the documents as resources.
    state: AppState,
    /// The tool declarations, cut once from the OpenAPI document.
    tools: Arc<Vec<rmcp::model::Tool>>,
}

/// How long a tool call or resource read made during start-up waits for the
/// index to open before it answers `not_ready` (issue 35, item 17: a client
/// that lists tools and asks at once got `not_ready`).
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Serves MCP over stdin and stdout until the client closes stdin.
/// `state` may still be starting: calls wait for its engine up to
/// [`READY_WAIT`], then answer `not_ready`.
pub(crate) async fn serve_stdio(state: AppState) -> std::io::Result<()> {
    let server = Server::new(state).map_err(std::io::Error::other)?;
    let running = match server.serve(rmcp::transport::stdio()).await {
        Ok(r) => r,
        // The client went away before the handshake: nothing to serve.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
        Err(e) => return Err(std::io::Error::other(e)),
    };
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}

impl Server {
    fn new(state: AppState) -> Result<Server, String> {
        let api = serde_json::to_value(crate::http::openapi()).map_err(|e| e.to_string())?;
        let tools = Tool::ALL
            .into_iter()
            .map(|t| declare(&api, t))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Server {
            router: crate::http::app(state.clone()),
            state,
            tools: Arc::new(tools),
        })
    }

    /// Sends one request through the HTTP API's router.
    async fn request(&self, method: Method, uri: &str, body: Option<Vec<u8>>) -> Reply {
        self.state.wait_ready(READY_WAIT).await;
        let mut req = Request::builder().method(method).uri(uri);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = match req.body(body.map_or_else(Body::empty, Body::from)) {
            Ok(r) => r,
            Err(e) => return Reply::failed("invalid_parameter", format!("bad argument: {e}")),
        };
        let resp = match self.router.clone().oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = resp.status();
        let bytes = match axum::body::to_bytes(resp.into_body(), usize::MAX).await {
            Ok(b) => b,
            Err(e) => return Reply::failed("internal", format!("reading the response: {e}")),
        };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(json) => Reply { status, json },
            Err(e) => Reply::failed("internal", format!("the response is not JSON: {e}")),
        }
    }

    /// Runs a tool: arguments → the route's path, query string or body.
    async fn call(&self, tool: Tool, args: JsonObject) -> CallToolResult {
        let declared = self
            .tools
            .iter()
            .find(|t| t.name == tool.name())
            .map(|t| t.input_schema.clone());
        let (method, uri, body) = match to_request(tool, declared.as_deref(), args) {
            Ok(r) => r,
            Err(message) => return tool_error("invalid_parameter", &message, None),
        };
        let reply = self.request(method, &uri, body).await;
        if !reply.status.is_success() {
            let (code, message) = error_of(&reply.json);
            return tool_error(&code, &message, Some(reply.json));
        }
        let text = match render::render(tool, &reply.json) {
            Ok(t) => t,
            Err(e) => return tool_error("internal", &format!("rendering the result: {e}"), None),
        };
        let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
        result.structured_content = Some(reply.json);
        result
    }
}

/// A response of the router: status and JSON body.
struct Reply {
    /// The HTTP status the route answered.
    status: StatusCode,
    /// Its body (the API's JSON, or its error shape).
    json: Value,
}

impl Reply {
    /// A failure before or after the route, in the API's error shape.
    fn failed(code: &str, message: String) -> Reply {
        Reply {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            json: serde_json::json!({"error": {"code": code, "message": message}}),
        }
    }
}

/// The code and message of the API's error shape.
fn error_of(json: &Value) -> (String, String) {
    let field = |name: &str| {
        json.pointer(&format!("/error/{name}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (field("code"), field("message"))
}

/// A tool error an assistant can read: the API's code and message.
fn tool_error(code: &str, message: &str, body: Option<Value>) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(format!(
        "error `{code}`: {message}"
    ))]);
    result.structured_content = Some(
        body.unwrap_or_else(|| serde_json::json!({"error": {"code": code, "message": message}})),
    );
    result
}

/// The tool declaration `tools/list` gives.
fn declare(api: &Value, tool: Tool) -> Result<rmcp::model::Tool, String> {
    let (method, path) = tool.route();
    let schemas = schema::tool_schemas(api, method.as_str(), path, tool.hidden_parameters())?;
    Ok(
        rmcp::model::Tool::new(tool.name(), tool.description(), Arc::new(schemas.input))
            .with_title(tool.title())
            .with_raw_output_schema(Arc::new(schemas.output))
            .with_annotations(
                ToolAnnotations::with_title(tool.title())
                    .read_only(true)
                    .destructive(false)
                    .idempotent(true)
                    .open_world(false),
            ),
    )
}

/// A tool's arguments as a request of its route: path parameters
/// substituted, the rest in the query string (GET) or the JSON body (POST).
/// Arguments the tool does not declare are refused by name.
fn to_request(
    tool: Tool,
    declared: Option<&JsonObject>,
    mut args: JsonObject,
) -> Result<(Method, String, Option<Vec<u8>>), String> {
    let known: Vec<&str> = declared
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if let Some(unknown) = args.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!(
            "unknown argument `{unknown}`; `{}` takes {}",
            tool.name(),
            if known.is_empty() {
                "no arguments".to_string()
            } else {
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
    }
    let (method, template) = tool.route();
    let mut uri = String::new();
    for (i, part) in template.split('/').enumerate() {
        if i > 0 {
            uri.push('/');
        }
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => match args.remove(name) {
                Some(Value::String(v)) if !v.is_empty() => {
                    uri.extend(utf8_percent_encode(&v, ESCAPED));
                }
                Some(_) => return Err(format!("`{name}` must be a non-empty string")),
                None => return Err(format!("`{name}` is required")),
            },
            None => uri.push_str(part),
        }
    }
    if method == Method::GET {
        let mut sep = '?';
        for (name, value) in &args {
            let text = match value {
                Value::Null => continue,
                Value::String(s) => Cow::Borrowed(s.as_str()),
                Value::Number(n) => Cow::Owned(n.to_string()),
                Value::Bool(b) => Cow::Owned(b.to_string()),
                Value::Array(_) | Value::Object(_) => {
                    return Err(format!("`{name}` must be a string or a number"))
                }
            };
            uri.push(sep);
            sep = '&';
            uri.extend(utf8_percent_encode(name, ESCAPED));
            uri.push('=');
            uri.extend(utf8_percent_encode(&text, ESCAPED));
        }
        Ok((method, uri, None))
    } else {
        let body = serde_json::to_vec(&Value::Object(args)).map_err(|e| e.to_string())?;
        Ok((method, uri, Some(body)))
    }
}

/// A document's resource URI.
fn document_uri(doc_id: &str) -> String {
    format!("{DOCUMENT_URI}{}", utf8_percent_encode(doc_id, ESCAPED))
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(
            Implementation::new("verbatim", env!("CARGO_PKG_VERSION"))
                .with_title("verbatim: answers in the sources' own words"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(tool) = Tool::parse(&request.name) else {
            return Err(McpError::invalid_params(
                format!("no tool `{}`", request.name),
                None,
            ));
        };
        Ok(self
            .call(tool, request.arguments.unwrap_or_default())
            .await
            .into())
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        self.state.wait_ready(READY_WAIT).await;
        let engine = self
            .state
            .engine()
            .map_err(|e| McpError::internal_error(e.message, None))?;
        let from = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(c) => c
                .parse::<usize>()
                .map_err(|_| McpError::invalid_params(format!("bad cursor `{c}`"), None))?,
        };
        let page: Vec<Resource> = engine
            .documents()
            .skip(from)
            .take(RESOURCE_PAGE)
            .map(|d| {
                let mut about = vec![d.meta.kind.clone()];
                about.extend(d.meta.source.clone());
                about.extend(d.meta.published.clone());
                Resource::new(document_uri(&d.meta.id), d.meta.id.clone())
                    .with_title(d.meta.title.clone())
                    .with_description(about.join(", "))
                    .with_mime_type("application/json")
            })
            .collect();
        let mut result = ListResourcesResult::with_all_items(page);
        let next = from + RESOURCE_PAGE;
        if next < engine.document_count() {
            result.next_cursor = Some(next.to_string());
        }
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(format!("{DOCUMENT_URI}{{doc_id}}"), "document")
                .with_title("A source document")
                .with_description(
                    "A document's metadata and whole text, as `get_document` returns it",
                )
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let uri = request.uri;
        let Some(id) = uri.strip_prefix(DOCUMENT_URI).filter(|id| !id.is_empty()) else {
            return Err(McpError::resource_not_found(
                format!("no resource `{uri}`; documents are {DOCUMENT_URI}{{doc_id}}"),
                None,
            ));
        };
        let reply = self
            .request(Method::GET, &format!("/v1/documents/{id}"), None)
            .await;
        if !reply.status.is_success() {
            let (code, message) = error_of(&reply.json);
            let data = Some(serde_json::json!({ "code": code }));
            return Err(if reply.status == StatusCode::NOT_FOUND {
                McpError::resource_not_found(message, data)
            } else {
                McpError::internal_error(message, data)
            });
        }
        let text = reply.json.to_string();
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, uri).with_mime_type("application/json")
        ])
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(tool: Tool) -> JsonObject {
        let api = serde_json::to_value(crate::http::openapi()).unwrap();
        (*declare(&api, tool).unwrap().input_schema).clone()
    }

    #[test]
    fn arguments_become_the_routes_request() {
        let mut args = JsonObject::new();
        args.insert("q".into(), "\"sovereign AI\" & co".into());
        args.insert("limit".into(), 3.into());
        let (m, uri, body) = to_request(Tool::Search, Some(&declared(Tool::Search)), args).unwrap();
        assert_eq!(m, Method::GET);
        assert_eq!(uri, "/v1/search?limit=3&q=%22sovereign%20AI%22%20%26%20co");
        assert!(body.is_none());

        let mut args = JsonObject::new();
        args.insert("passage_id".into(), "a/b:p1".into());
        let (_, uri, _) =
            to_request(Tool::GetPassage, Some(&declared(Tool::GetPassage)), args).unwrap();
        assert_eq!(uri, "/v1/passages/a%2Fb%3Ap1");

        let mut args = JsonObject::new();
        args.insert("question".into(), "Who?".into());
        let (m, uri, body) = to_request(Tool::Ask, Some(&declared(Tool::Ask)), args).unwrap();
        assert_eq!((m, uri.as_str()), (Method::POST, "/v1/ask"));
        assert_eq!(body.unwrap(), br#"{"question":"Who?"}"#);
    }

    #[test]
    fn bad_arguments_are_refused_by_name() {
        let mut args = JsonObject::new();
        args.insert("query".into(), "robots".into());
        let e = to_request(Tool::Search, Some(&declared(Tool::Search)), args).unwrap_err();
        assert!(
            e.contains("unknown argument `query`") && e.contains("`q`"),
            "{e}"
        );

        let e = to_request(
            Tool::GetDocument,
            Some(&declared(Tool::GetDocument)),
            JsonObject::new(),
        )
        .unwrap_err();
        assert_eq!(e, "`doc_id` is required");

        let mut args = JsonObject::new();
        args.insert("q".into(), serde_json::json!(["a"]));
        let e = to_request(Tool::Search, Some(&declared(Tool::Search)), args).unwrap_err();
        assert_eq!(e, "`q` must be a string or a number");

        let mut args = JsonObject::new();
        args.insert("format".into(), "csv".into());
        let e = to_request(Tool::CheckDraft, Some(&declared(Tool::CheckDraft)), args).unwrap_err();
        assert!(e.contains("unknown argument `format`"), "{e}");
    }

    /// A tool call made while the index is still opening waits for it and
    /// answers, instead of `not_ready` (issue 35, item 17).
    #[tokio::test]
    async fn a_call_during_start_up_waits_for_the_index() {
        let state = AppState::starting(crate::config::Limits::default());
        let server = Server::new(state.clone()).unwrap();
        let corpus = tempfile::tempdir().unwrap();
        std::fs::write(corpus.path().join("a.md"), "# A\n\nRobots build cars.\n").unwrap();
        let index = tempfile::tempdir().unwrap();
        let (c, i) = (corpus.path().to_path_buf(), index.path().to_path_buf());
        let opener = tokio::task::spawn_blocking(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            let (engine, _, _) =
                crate::engine::Engine::open_reporting(&c, &i, crate::config::VectorMode::Off)
                    .unwrap();
            state.set_engine(engine);
        });
        let mut args = JsonObject::new();
        args.insert("q".into(), "robots".into());
        let result = server.call(Tool::Search, args).await;
        assert_ne!(result.is_error, Some(true), "{result:?}");
        opener.await.unwrap();
    }

    #[test]
    fn every_tool_is_declared_from_the_openapi_document() {
        for tool in Tool::ALL {
            let input = declared(tool);
            assert_eq!(input["type"], "object", "{tool:?}");
            assert_eq!(Tool::parse(tool.name()), Some(tool));
        }
        let input = declared(Tool::Ask);
        assert_eq!(input["required"], serde_json::json!(["question"]));
        assert!(input["properties"]["limit"].is_object());
        // The list is paged: its query parameters are the tool's arguments.
        let list = declared(Tool::ListDocuments);
        assert_eq!(list["properties"]["limit"]["maximum"], 1000);
        assert_eq!(list["properties"]["cursor"]["type"], "string");
    }
}
