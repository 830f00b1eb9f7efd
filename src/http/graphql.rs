//! `POST /graphql` and GraphiQL.
//!
//! The body is read here rather than through async-graphql-axum's extractor so that its size
//! is bounded, its content type checked (a JSON-only endpoint cannot be reached by a plain
//! HTML form, which is what makes CSRF possible), batches are limited, and every refusal
//! carries an `extensions.code` like any other error. `multipart/form-data` (uploads) goes
//! to `attachments`, which requires a CSRF preflight header instead.

use std::net::SocketAddr;

use async_graphql::{BatchRequest, BatchResponse, http::GraphiQLSource};
use axum::{
    Json,
    body::Body,
    extract::{ConnectInfo, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use serde_json::json;

use super::HttpState;
use crate::{
    auth::service::authenticate, error::AppError, graphql::request_data, metrics::RefusedWith,
};

/// Most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;

/// `GET /graphql` never executes an operation, so a mutation cannot ride on a link, an
/// `<img>` or a prefetch: a GraphQL client's GET (one with a `query` parameter, not asking
/// for a page) is refused with 405. A browser gets GraphiQL outside production, which sends
/// its operations with POST.
pub async fn graphql_get(
    State(state): State<HttpState>,
    RawQuery(parameters): RawQuery,
    headers: HeaderMap,
) -> Response {
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let has_operation = parameters.as_deref().is_some_and(|parameters| {
        parameters
            .split('&')
            .any(|pair| pair.split('=').next() == Some("query"))
    });
    if has_operation && !wants_page {
        let mut response = refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            AppError::bad_input(
                "method",
                "send GraphQL operations with POST; GET /graphql only serves GraphiQL",
            ),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    if state.app.config.is_production() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
    .into_response()
}

/// A response in GraphQL's shape for a request refused before execution.
pub fn refusal(status: StatusCode, error: AppError) -> Response {
    let code = error.code();
    let message = match &error {
        AppError::BadUserInput { message, .. } => message.clone(),
        AppError::PayloadTooLarge => "request body too large".into(),
        AppError::UnsupportedMediaType(message) => message.clone(),
        AppError::Internal(cause) => {
            tracing::error!(error = ?cause, "internal error");
            "internal error".into()
        }
        _ => code.to_lowercase(),
    };
    let extensions = match &error {
        AppError::BadUserInput { field, .. } => json!({ "code": code, "field": field }),
        _ => json!({ "code": code }),
    };
    let mut response = (
        status,
        Json(json!({ "errors": [{ "message": message, "extensions": extensions }] })),
    )
        .into_response();
    response.extensions_mut().insert(RefusedWith(code));
    response
}

/// The HTTP status of a refusal outside GraphQL execution (downloads, exports).
pub(crate) fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden | AppError::FeatureDisabled => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Whether the request's `Content-Type` is `media_type` (parameters aside).
pub fn has_content_type(headers: &HeaderMap, media_type: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with(media_type))
}

pub async fn graphql_post(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if has_content_type(&headers, "multipart/form-data") {
        return super::attachments::graphql_multipart(state, peer, headers, body).await;
    }
    if !has_content_type(&headers, "application/json") {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::UnsupportedMediaType(
                "send GraphQL requests as application/json (uploads as multipart/form-data)".into(),
            ),
        );
    }
    let bytes = match axum::body::to_bytes(body, state.app.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => return refusal(StatusCode::PAYLOAD_TOO_LARGE, AppError::PayloadTooLarge),
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(_) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                AppError::bad_input("body", "not a GraphQL request in JSON"),
            );
        }
    };
    if let BatchRequest::Batch(requests) = &batch
        && (requests.is_empty() || requests.len() > MAX_BATCH)
    {
        return refusal(
            StatusCode::BAD_REQUEST,
            AppError::bad_input(
                "body",
                format!("a batch holds between 1 and {MAX_BATCH} operations"),
            ),
        );
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    let credentials = match authenticate(&state.app, authorization).await {
        Ok(credentials) => credentials,
        Err(err) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, err),
    };
    let data = request_data(&state.app.db, credentials.clone(), peer.ip().to_string());
    // One at a time, as async-graphql's own `execute_batch` runs them.
    let response = match batch {
        BatchRequest::Single(request) => {
            BatchResponse::Single(state.api.execute(request.data(data), &credentials).await)
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                let request = request.data(data.clone());
                responses.push(state.api.execute(request, &credentials).await);
            }
            BatchResponse::Batch(responses)
        }
    };
    Json(response).into_response()
}
