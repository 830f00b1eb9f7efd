//! `GET /one-on-ones/{id}/export.pdf`: the session as a PDF, for a bearer-token viewer who may
//! see it. Refusals have the attachment download's shape and SPEC §5's order (401, feature
//! off, permissions off, 404 whether or not the session exists).

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use super::{
    HttpState, bearer_viewer,
    graphql::{refusal, status_of},
};
use crate::{attachments::formats::content_disposition, one_on_ones::export::export_pdf};

pub async fn one_on_one_pdf(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    // A malformed id names no session: the nil id makes it a plain `NOT_FOUND`, after the
    // credential and company checks that come first.
    let id = Uuid::parse_str(&id).unwrap_or_default();
    let exported = match bearer_viewer(&state, &headers).await {
        Ok(viewer) => export_pdf(&state.app, &viewer, id).await,
        Err(err) => Err(err),
    };
    let exported = match exported {
        Ok(exported) => exported,
        Err(err) => return refusal(status_of(&err), err),
    };
    let mut response = exported.bytes.into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&exported.file_name)) {
        out.insert(header::CONTENT_DISPOSITION, value);
    }
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
