//! Attachments over HTTP: the GraphQL multipart request that carries `uploadAttachment`'s
//! file, and `GET /attachments/{id}`.
//!
//! Why not async-graphql's `Upload` handling: it spools the whole file to a temporary file
//! before the operation runs, and async-graphql-axum's extractor sets no size limit — so
//! every file, permitted or not, of any size, would be read in full before anyone checked
//! who sent it. This path reads the `operations` and `map` parts, checks credentials,
//! visibility and permission (and the file name's type), and only then streams the file part
//! straight into the object store, counting bytes as they arrive.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use async_graphql::{
    Variables,
    parser::{
        parse_query,
        types::{DocumentOperations, OperationType, Selection},
    },
};
use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use futures_util::StreamExt;
use multer::{Constraints, Multipart, SizeLimit};
use serde_json::Value;
use uuid::Uuid;

use super::{
    HttpState, bearer_viewer,
    graphql::{refusal, status_of},
};
use crate::{
    attachments::{
        UploadOutcome, formats,
        service::{self, DownloadAccess, MAX_FILE_BYTES},
    },
    auth::{Credentials, service::authenticate},
    error::AppError,
    graphql::request_data,
};

/// What a multipart request may carry besides the file: `operations`, `map`, boundaries and
/// part headers. The whole body is capped at the file limit plus this.
const ENVELOPE_MAX: u64 = 1024 * 1024;
const OPERATIONS_MAX: u64 = 64 * 1024;
const MAP_MAX: u64 = 4 * 1024;
/// How long a refused upload's remaining body is read (and discarded) so that the client
/// receives the answer instead of a reset connection.
const DRAIN_FOR: Duration = Duration::from_secs(30);

/// The value async-graphql's `Upload` scalar parses; the resolver never reads a file from
/// it (the bytes went to the store), it only completes the operation.
const UPLOAD_PLACEHOLDER: &str = "#__graphql_file__:0";

/// CSRF: a browser sends a cross-site `multipart/form-data` POST without a preflight, but never
/// with a custom header; requiring one makes every upload a preflighted request.
fn has_preflight_header(headers: &HeaderMap) -> bool {
    ["apollo-require-preflight", "x-apollo-operation-name"]
        .iter()
        .any(|name| {
            headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| !v.trim().is_empty())
        })
}

fn multipart_error(err: multer::Error) -> AppError {
    match err {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            AppError::PayloadTooLarge
        }
        _ => AppError::bad_input("body", "malformed or truncated multipart request"),
    }
}

fn bad(message: &str) -> Response {
    refusal(
        StatusCode::BAD_REQUEST,
        AppError::bad_input("body", message),
    )
}

/// Reads (and discards) what is left of a refused request in the background, bounded by the
/// whole-body limit and `DRAIN_FOR`, so the client reads the refusal.
fn drain(mut multipart: Multipart<'static>) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(DRAIN_FOR, async move {
            while let Ok(Some(mut field)) = multipart.next_field().await {
                while let Ok(Some(_)) = field.chunk().await {}
            }
        })
        .await;
    });
}

async fn text_field(multipart: &mut Multipart<'static>, name: &str) -> Result<String, Response> {
    match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(name) => field.text().await.map_err(|err| {
            let err = multipart_error(err);
            refusal(status_of(&err), err)
        }),
        Ok(_) => Err(bad(&format!(
            "a GraphQL multipart request starts with the `operations` part, then `map` (expected `{name}`)"
        ))),
        Err(err) => {
            let err = multipart_error(err);
            Err(refusal(status_of(&err), err))
        }
    }
}

/// The operation of a multipart request, ready to execute, and what it names.
struct UploadOperation {
    request: async_graphql::Request,
    one_on_one_id: Uuid,
    /// The name of the file part (the one key of `map`).
    file_part: String,
}

/// Sets `path` (`variables.file`, `variables.input.files.0`) in `operations` to `value`; the
/// path must name an existing `null`, as the multipart request spec prescribes.
fn set_path(operations: &mut Value, path: &str, value: &str) -> Option<()> {
    let mut target = operations;
    let mut segments = path.split('.');
    if segments.next()? != "variables" {
        return None;
    }
    target = target.get_mut("variables")?;
    for segment in segments {
        target = match segment.parse::<usize>() {
            Ok(index) if target.is_array() => target.get_mut(index)?,
            _ => target.get_mut(segment)?,
        };
    }
    target
        .is_null()
        .then(|| *target = Value::String(value.to_owned()))
}

fn upload_operation(operations: &str, map: &str) -> Result<UploadOperation, &'static str> {
    let mut operations: Value =
        serde_json::from_str(operations).map_err(|_| "`operations` is not JSON")?;
    if !operations.is_object() {
        return Err("`operations` must be one operation (batches cannot carry files)");
    }
    let map: HashMap<String, Vec<String>> =
        serde_json::from_str(map).map_err(|_| "`map` must map part names to variable paths")?;
    let mut entries = map.into_iter();
    let (file_part, paths) = match (entries.next(), entries.next()) {
        (Some(entry), None) => entry,
        _ => return Err("exactly one file per request"),
    };
    let [path] = paths.as_slice() else {
        return Err("the file must fill exactly one variable");
    };
    if operations.get("variables").is_none_or(Value::is_null) {
        operations["variables"] = Value::Object(Default::default());
    }
    set_path(&mut operations, path, UPLOAD_PLACEHOLDER)
        .ok_or("the `map` path must name a null variable of `operations`")?;
    let query = operations["query"]
        .as_str()
        .ok_or("`operations.query` must be a string")?
        .to_owned();
    let operation_name = operations["operationName"].as_str().map(str::to_owned);
    let variables = operations["variables"].clone();

    let document = parse_query(&query).map_err(|_| "`operations.query` is not valid GraphQL")?;
    let operation = match (&document.operations, &operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op)
            .ok_or("no operation of that operationName")?,
        (DocumentOperations::Multiple(_), None) => return Err("operationName is required"),
    };
    let fields = &operation.node.selection_set.node.items;
    let field = match (operation.node.ty, fields.as_slice()) {
        (OperationType::Mutation, [single]) => match &single.node {
            Selection::Field(field) if field.node.name.node == "uploadAttachment" => field,
            _ => return Err("a multipart request carries exactly one uploadAttachment"),
        },
        _ => return Err("a multipart request carries exactly one uploadAttachment mutation"),
    };
    let argument = field.node.get_argument("oneOnOneId").and_then(|v| {
        v.node
            .clone()
            .into_const_with(|name| {
                let value = variables.get(name.as_str()).cloned().ok_or(())?;
                async_graphql::Value::from_json(value).map_err(|_| ())
            })
            .ok()
    });
    let Some(async_graphql::Value::String(id)) = argument else {
        return Err("uploadAttachment needs oneOnOneId");
    };
    let one_on_one_id = Uuid::parse_str(&id).map_err(|_| "oneOnOneId is not a valid id")?;
    let mut request = async_graphql::Request::new(query).variables(Variables::from_json(variables));
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    Ok(UploadOperation {
        request,
        one_on_one_id,
        file_part,
    })
}

/// `POST /graphql` with `multipart/form-data`: the GraphQL multipart request spec, for
/// `uploadAttachment` only, one file per request.
pub async fn graphql_multipart(
    state: HttpState,
    peer: SocketAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !has_preflight_header(&headers) {
        return refusal(
            StatusCode::BAD_REQUEST,
            AppError::bad_input(
                "apollo-require-preflight",
                "multipart requests need a non-empty apollo-require-preflight (or x-apollo-operation-name) header",
            ),
        );
    }
    let body_max = MAX_FILE_BYTES + ENVELOPE_MAX;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > body_max) {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, AppError::PayloadTooLarge);
    }
    let Some(boundary) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
    else {
        return bad("multipart/form-data needs a boundary");
    };
    let constraints = Constraints::new().size_limit(
        SizeLimit::new()
            .whole_stream(body_max)
            .for_field("operations", OPERATIONS_MAX)
            .for_field("map", MAP_MAX),
    );
    let mut multipart = Multipart::with_constraints(body.into_data_stream(), boundary, constraints);

    let operations = match text_field(&mut multipart, "operations").await {
        Ok(text) => text,
        Err(response) => return response,
    };
    let map = match text_field(&mut multipart, "map").await {
        Ok(text) => text,
        Err(response) => return response,
    };
    let operation = match upload_operation(&operations, &map) {
        Ok(operation) => operation,
        Err(message) => {
            drain(multipart);
            return bad(message);
        }
    };

    // Who asks, and may they: all before the first byte of the file is read.
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    let credentials = match authenticate(&state.app, authorization).await {
        Ok(credentials) => credentials,
        Err(err) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, err),
    };
    let ticket = match credentials.viewer() {
        Some(viewer) => service::begin_upload(&state.app, viewer, operation.one_on_one_id).await,
        None => Err(AppError::Unauthenticated),
    };
    let answer = |result| {
        execute(
            &state,
            credentials.clone(),
            peer,
            operation.request,
            UploadOutcome::new(operation.one_on_one_id, result),
        )
    };
    let ticket = match ticket {
        Ok(ticket) => ticket,
        Err(err) => {
            drain(multipart);
            return answer(Err(err)).await;
        }
    };

    let field = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(operation.file_part.as_str()) => field,
        Ok(_) => return bad("the file part `map` names must follow `map`"),
        Err(err) => {
            let err = multipart_error(err);
            return refusal(status_of(&err), err);
        }
    };
    let name = match ticket.accept_name(field.file_name()) {
        Ok(name) => name,
        Err(err) => {
            drop(field);
            drain(multipart);
            return refusal(status_of(&err), err);
        }
    };
    let chunks = Box::pin(futures_util::stream::unfold(
        field,
        |mut field| async move {
            match field.chunk().await {
                Ok(Some(chunk)) => Some((Ok::<Bytes, AppError>(chunk), field)),
                Ok(None) => None,
                Err(err) => Some((Err(multipart_error(err)), field)),
            }
        },
    ));
    let staged = match service::stage(&state.app, &ticket, name, chunks).await {
        Ok(staged) => staged,
        Err(err) => {
            drain(multipart);
            return refusal(status_of(&err), err);
        }
    };
    // The request must end right after the file: its closing boundary proves the file
    // arrived whole, and a second file is refused.
    match multipart.next_field().await {
        Ok(None) => {}
        Ok(Some(_)) => {
            staged.discard().await;
            drain(multipart);
            return bad("exactly one file per request");
        }
        Err(err) => {
            staged.discard().await;
            let err = multipart_error(err);
            return refusal(status_of(&err), err);
        }
    }
    answer(staged.commit(&state.app).await).await
}

async fn execute(
    state: &HttpState,
    credentials: Credentials,
    peer: SocketAddr,
    request: async_graphql::Request,
    outcome: UploadOutcome,
) -> Response {
    let request = request
        .data(request_data(
            &state.app.db,
            credentials.clone(),
            peer.ip().to_string(),
        ))
        .data(outcome);
    Json(state.api.execute(request, &credentials).await).into_response()
}

// ---------------------------------------------------------------------------------------------
// Download

/// Which bytes a `Range` header asks for.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    All,
    /// `start..end` (end exclusive).
    Part(u64, u64),
    Unsatisfiable,
}

/// One `bytes=` range (`a-b`, `a-`, `-n`); anything else (several ranges, other units,
/// nonsense) is ignored and the whole file served, as RFC 9110 allows.
fn wanted(range: Option<&HeaderValue>, size: u64) -> Wanted {
    let Some(spec) = range
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Wanted::All;
    };
    if spec.contains(',') {
        return Wanted::All;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::All;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return match last.parse::<u64>() {
            Ok(0) => Wanted::Unsatisfiable,
            Ok(n) => Wanted::Part(size.saturating_sub(n), size),
            Err(_) => Wanted::All,
        };
    }
    let Ok(start) = first.parse::<u64>() else {
        return Wanted::All;
    };
    let end = if last.is_empty() {
        size
    } else {
        match last.parse::<u64>() {
            Ok(last) if last >= start => (last + 1).min(size),
            _ => return Wanted::All,
        }
    };
    if start >= size {
        Wanted::Unsatisfiable
    } else {
        Wanted::Part(start, end)
    }
}

/// `GET /attachments/{id}`: the file, to a viewer who sees its session (bearer token) or to
/// whoever holds an unexpired signed link (`?expires=…&sig=…`).
pub async fn download(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let fail = |err: AppError| refusal(status_of(&err), err);
    let Ok(id) = Uuid::parse_str(&id) else {
        return fail(AppError::NotFound);
    };
    let row = match (params.get("expires"), params.get("sig")) {
        (Some(expires), Some(signature)) => {
            let Ok(expires) = expires.parse::<i64>() else {
                return fail(AppError::Unauthenticated);
            };
            let access = DownloadAccess::Link { expires, signature };
            service::downloadable(&state.app, access, id).await
        }
        _ => match bearer_viewer(&state, &headers).await {
            Ok(viewer) => {
                service::downloadable(&state.app, DownloadAccess::Viewer(&viewer), id).await
            }
            Err(err) => Err(err),
        },
    };
    let row = match row {
        Ok(row) => row,
        Err(err) => return fail(err),
    };
    let size = row.size_bytes as u64;
    let (status, range) = match wanted(headers.get(header::RANGE), size) {
        Wanted::All => (StatusCode::OK, None),
        Wanted::Part(start, end) => (StatusCode::PARTIAL_CONTENT, Some(start..end)),
        Wanted::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let stream = match service::read(&state.app, &row, range.clone()).await {
        Ok(stream) => stream,
        Err(err) => return fail(err),
    };
    let length = range.as_ref().map_or(size, |r| r.end - r.start);
    let mut response = Response::new(Body::from_stream(stream.map(|chunk| {
        chunk.inspect_err(|err| tracing::error!(error = %err, "attachment stream failed"))
    })));
    *response.status_mut() = status;
    let out = response.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, row.content_type.clone());
    set(
        header::CONTENT_DISPOSITION,
        formats::content_disposition(&row.file_name),
    );
    set(header::CONTENT_LENGTH, length.to_string());
    set(header::ACCEPT_RANGES, "bytes".into());
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff".into());
    set(header::CACHE_CONTROL, "private, no-store".into());
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox".into(),
    );
    set(header::REFERRER_POLICY, "no-referrer".into());
    if let Some(range) = range {
        set(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", range.start, range.end - 1),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let table = [
            (None, Wanted::All),
            (Some("bytes=0-9"), Wanted::Part(0, 10)),
            (Some("bytes=90-"), Wanted::Part(90, 100)),
            (Some("bytes=-10"), Wanted::Part(90, 100)),
            (Some("bytes=-500"), Wanted::Part(0, 100)),
            (Some("bytes=50-500"), Wanted::Part(50, 100)),
            (Some("bytes=100-"), Wanted::Unsatisfiable),
            (Some("bytes=-0"), Wanted::Unsatisfiable),
            (Some("bytes=5-1"), Wanted::All),
            (Some("bytes=0-1,5-6"), Wanted::All),
            (Some("items=0-1"), Wanted::All),
        ];
        for (header, expected) in table {
            let value = header.map(HeaderValue::from_static);
            assert_eq!(wanted(value.as_ref(), 100), expected, "{header:?}");
        }
    }

    #[test]
    fn map_paths() {
        let mut ops = serde_json::json!({ "variables": { "file": null, "list": [null] } });
        assert!(set_path(&mut ops, "variables.file", "x").is_some());
        assert_eq!(ops["variables"]["file"], "x");
        assert!(set_path(&mut ops, "variables.list.0", "y").is_some());
        assert!(set_path(&mut ops, "variables.file", "again").is_none());
        assert!(set_path(&mut ops, "query", "z").is_none());
        assert!(set_path(&mut ops, "variables.missing", "z").is_none());
    }
}
