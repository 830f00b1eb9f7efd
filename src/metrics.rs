//! Prometheus metrics of one node, served on `GET /metrics`: HTTP requests by route, method
//! and status with a latency histogram, GraphQL operations by type, errors by
//! `extensions.code`, open subscriptions, and the outbox backlog (read at scrape time).
//!
//! Why prometheus-client: its `Registry` is a plain value, so each `Application` owns one and
//! several nodes in one process (the tests, a cluster test) never see each other's numbers.
//! The `metrics` facade with metrics-exporter-prometheus records through a global (or
//! thread-local) recorder instead, which cannot tell two nodes apart across async tasks.

use std::{
    borrow::Cow,
    sync::Arc,
    time::{Duration, Instant},
};

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: Cow<'static, str>,
    method: Cow<'static, str>,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: Cow<'static, str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    code: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    http_requests: Family<RequestLabels, Counter>,
    http_latency: LatencyFamily,
    operations: Family<OperationLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    open_subscriptions: Gauge,
    outbox_backlog: Gauge,
}

/// 5 ms to ~20 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("coach");
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            http_requests.clone(),
        );
        let http_latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (WebSocket upgrades: until the upgrade), by route",
            http_latency.clone(),
        );
        let operations = Family::<OperationLabels, Counter>::default();
        registry.register(
            "graphql_operations",
            "GraphQL operations parsed, by operation type",
            operations.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "errors",
            "Errors answered to clients, by extensions.code",
            errors.clone(),
        );
        let open_subscriptions = Gauge::default();
        registry.register(
            "open_subscriptions",
            "GraphQL subscriptions running on this node",
            open_subscriptions.clone(),
        );
        let outbox_backlog = Gauge::default();
        registry.register(
            "outbox_backlog",
            "Emails in the outbox not sent yet (all nodes share the outbox)",
            outbox_backlog.clone(),
        );
        Self {
            registry,
            http_requests,
            http_latency,
            operations,
            errors,
            open_subscriptions,
            outbox_backlog,
        }
    }
}

/// Counts one open subscription while it lives.
pub struct OpenSubscription(Gauge);

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Set on a response refused outside GraphQL execution (body limits, downloads, exports), so
/// the request middleware counts its code like any other error.
#[derive(Clone, Copy)]
pub(crate) struct RefusedWith(pub &'static str);

impl Metrics {
    /// Call when a subscription starts; keep the guard for as long as it runs.
    pub fn subscription_opened(&self) -> OpenSubscription {
        self.open_subscriptions.inc();
        OpenSubscription(self.open_subscriptions.clone())
    }

    pub(crate) fn count_error(&self, code: &str) {
        self.errors
            .get_or_create(&ErrorLabels { code: code.into() })
            .inc();
    }

    fn count_request(&self, route: Cow<'static, str>, method: &str, status: u16, took: Duration) {
        let method = match method {
            "GET" => Cow::Borrowed("GET"),
            "POST" => Cow::Borrowed("POST"),
            "OPTIONS" => Cow::Borrowed("OPTIONS"),
            "HEAD" => Cow::Borrowed("HEAD"),
            _ => Cow::Borrowed("other"),
        };
        self.http_latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.http_requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
    }

    /// The registry in the OpenMetrics text format, with the outbox backlog as of now (the
    /// last one counted when it could not be counted now).
    pub fn encode(&self, outbox_backlog: Option<u64>) -> String {
        if let Some(backlog) = outbox_backlog {
            self.outbox_backlog
                .set(i64::try_from(backlog).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %err, "encoding metrics failed");
        }
        out
    }
}

/// Middleware: counts and times every request under its route pattern (`/attachments/{id}`,
/// never the id itself, so the number of series stays bounded).
pub(crate) async fn track_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(Cow::Borrowed("unmatched"), |path| {
            Cow::Owned(path.as_str().to_owned())
        });
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.count_request(
        route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    if let Some(RefusedWith(code)) = response.extensions().get::<RefusedWith>() {
        metrics.count_error(code);
    }
    response
}

impl Metrics {
    /// Counts the errors of an executed request by code (errors async-graphql raises itself
    /// have none yet; they count as `BAD_USER_INPUT`, the code the HTTP layer gives them).
    pub(crate) fn count_response_errors(&self, response: &async_graphql::Response) {
        for error in &response.errors {
            let code = error
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get("code"))
                .and_then(|code| match code {
                    async_graphql::Value::String(code) => Some(code.as_str()),
                    _ => None,
                })
                .unwrap_or("BAD_USER_INPUT");
            self.count_error(code);
        }
    }

    /// Counts a parsed document's operations by type.
    pub(crate) fn count_operations(&self, document: &ExecutableDocument) {
        for (_, operation) in document.operations.iter() {
            let operation_type = match operation.node.ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            };
            self.operations
                .get_or_create(&OperationLabels { operation_type })
                .inc();
        }
    }
}
