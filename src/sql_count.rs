//! Counts the SQL statements the node runs, so an N+1 (a statement per row of a page) shows
//! up as a number: in tests that assert a page costs a constant number of statements, and on
//! `/metrics`.
//!
//! SeaORM reports every statement to a metric callback, from inside the future that runs it.
//! Statements run on behalf of an HTTP request are also counted apart from the node's
//! background work (outbox polling, event-log sweeps): the request's future runs inside a
//! task-local scope, and the request's DataLoaders carry that scope into the tasks they
//! spawn. That keeps the per-request figure exact while workers poll concurrently.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;

tokio::task_local! {
    /// Set while a request is being served; its value is unused, its presence is the point.
    static SERVING_REQUEST: ();
}

#[derive(Clone, Debug, Default)]
pub struct SqlCounter(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    all: AtomicU64,
    for_requests: AtomicU64,
}

impl SqlCounter {
    /// Counts every statement `db` (and every clone made of it afterwards) runs.
    pub fn observe(&self, db: &mut DatabaseConnection) {
        let counts = self.0.clone();
        db.set_metric_callback(move |_| {
            counts.all.fetch_add(1, Ordering::Relaxed);
            if SERVING_REQUEST.try_with(|_| ()).is_ok() {
                counts.for_requests.fetch_add(1, Ordering::Relaxed);
            }
        });
    }

    /// Statements run since the node started, by anything.
    pub fn total(&self) -> u64 {
        self.0.all.load(Ordering::Relaxed)
    }

    /// Statements run since the node started on behalf of HTTP requests.
    pub fn for_requests(&self) -> u64 {
        self.0.for_requests.load(Ordering::Relaxed)
    }
}

/// Runs `request` so that the statements it runs count as a request's.
pub async fn serving_request<F: Future>(request: F) -> F::Output {
    SERVING_REQUEST.scope((), request).await
}

/// Spawns a DataLoader's batch so that it counts like the request that asked for it.
pub fn spawn_like_caller(load: BoxFuture<'static, ()>) {
    if SERVING_REQUEST.try_with(|_| ()).is_ok() {
        tokio::spawn(SERVING_REQUEST.scope((), load));
    } else {
        tokio::spawn(load);
    }
}
