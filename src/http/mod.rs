//! The HTTP surface: routes, middleware (request ids, tracing, panics, CORS later), the
//! GraphQL endpoint and health checks.

mod attachments;
mod graphql;

use std::time::Duration;

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderName, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{graphql::AppSchema, state::AppState};

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route(
            "/graphql",
            get(graphql::graphiql).post(graphql::graphql_post),
        )
        .route("/graphql/ws", get(crate::realtime::ws::upgrade))
        .route("/attachments/{id}", get(attachments::download))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(axum::middleware::from_fn(count_request_sql))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
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
