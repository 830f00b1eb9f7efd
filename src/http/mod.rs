//! The HTTP surface: routes, middleware (request ids, tracing, panics, CORS, metrics), the
//! GraphQL endpoint, downloads and exports, health checks and `/metrics`.

mod attachments;
mod export;
mod graphql;

use std::time::Duration;

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    auth::{
        Credentials, bearer_token,
        service::{authenticate, constant_time_eq},
    },
    config::CorsOrigins,
    error::{AppError, AppResult},
    graphql::GraphqlApi,
    metrics::track_requests,
    policy::{self, Viewer},
    state::AppState,
};

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub api: GraphqlApi,
    /// Shared work of this node's live subscriptions.
    pub live: crate::realtime::feed::LiveFeeds,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: HttpState) -> Router {
    let cors = cors(&state.app.config.cors_allowed_origins);
    let metrics = state.app.metrics.clone();
    Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route("/graphql/ws", get(crate::realtime::ws::upgrade))
        .route("/attachments/{id}", get(attachments::download))
        .route("/one-on-ones/{id}/export.pdf", get(export::one_on_one_pdf))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(prometheus))
        .with_state(state)
        .layer(axum::middleware::from_fn(count_request_sql))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        // Outside panics and timeouts, so their 500s and 408s are counted too; every layer
        // added here wraps the matched route, so the route pattern is known.
        .layer(middleware::from_fn_with_state(metrics, track_requests))
        .layer(cors)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Cross-origin browser access (`CORS_ALLOWED_ORIGINS`). A refused origin's preflight gets
/// no `Access-Control-Allow-Origin`, so the browser never sends the request.
fn cors(origins: &CorsOrigins) -> CorsLayer {
    let allow_origin = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => {
            AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        }
        CorsOrigins::Localhost => AllowOrigin::predicate(|origin, _| is_localhost(origin)),
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::RANGE,
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-apollo-operation-name"),
        ])
        .expose_headers([
            header::CONTENT_DISPOSITION,
            header::CONTENT_RANGE,
            REQUEST_ID,
        ])
        .max_age(Duration::from_secs(10 * 60))
}

/// `http(s)://localhost[:port]`, `http(s)://127.0.0.1[:port]` or `http(s)://[::1][:port]`.
fn is_localhost(origin: &HeaderValue) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') => (host, Some(port)),
        _ => (authority, None),
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The caller of a plain HTTP route that reads a session's files (`Authorization: Bearer`,
/// as on `POST /graphql`): a person, or an API token allowed to read records;
/// `UNAUTHENTICATED` for missing or bad credentials.
async fn bearer_viewer(state: &HttpState, headers: &HeaderMap) -> AppResult<Viewer> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    match authenticate(&state.app, authorization).await? {
        Credentials::User(viewer) => Ok(viewer),
        Credentials::ApiToken(viewer) => {
            policy::require_http_record_read(&viewer)?;
            Ok(viewer)
        }
        _ => Err(AppError::Unauthenticated),
    }
}

/// `GET /metrics` in the OpenMetrics text format. Open unless `METRICS_TOKEN` is set (then a
/// bearer token): it shows counts only, no names or content.
async fn prometheus(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.app.config.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token);
        if !presented.is_some_and(|token| constant_time_eq(token.as_bytes(), expected.as_bytes())) {
            return graphql::refusal(StatusCode::UNAUTHORIZED, AppError::Unauthenticated);
        }
    }
    let backlog = crate::email::backlog(&state.app.db)
        .await
        .inspect_err(|err| tracing::warn!(error = ?err, "metrics: counting the outbox failed"))
        .ok();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.app.metrics.encode(backlog),
    )
        .into_response()
}

/// Counts the statements a request runs as that request's (see `sql_count`).
async fn count_request_sql(request: Request, next: Next) -> Response {
    crate::sql_count::serving_request(next.run(request)).await
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The node can serve: its database (and Redis, when configured) answer.
async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    if let Err(err) = state.app.db.ping().await {
        tracing::warn!(error = %err, "readiness: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
    }
    if let Some(redis) = &state.app.redis {
        let pong: Result<String, _> = redis::cmd("PING").query_async(&mut redis.clone()).await;
        if let Err(err) = pong {
            tracing::warn!(error = %err, "readiness: redis unreachable");
            return (StatusCode::SERVICE_UNAVAILABLE, "redis unreachable");
        }
    }
    (StatusCode::OK, "ready")
}
