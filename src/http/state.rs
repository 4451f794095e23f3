//! The state every handler shares: the current engine (swapped on writes),
//! the limits, the write token and the metrics recorder.

use std::sync::{Arc, OnceLock, RwLock};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::error::ApiError;
use crate::cancel::Cancel;
use crate::config::Limits;
use crate::engine::Engine;
use crate::error::ErrorCode;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The engine once the index is open; `None` while starting (readyz 503).
    engine: Arc<RwLock<Option<Arc<Engine>>>>,
    /// Request limits.
    pub limits: Limits,
    /// Origins allowed by CORS; empty leaves CORS off.
    pub cors_origins: Vec<String>,
    /// The base of absolute links in exports; `None` takes the request's
    /// `Host`.
    pub public_url: Option<String>,
    /// Write token; `None` turns the write routes off (403).
    pub token: Option<crate::config::Secret>,
    /// Where writes go; `None` when serving without a corpus folder.
    pub live: Option<crate::live::Live>,
    /// Serializes read-current, write, swap: two writes never build on the same snapshot.
    write_lock: Arc<std::sync::Mutex<()>>,
    /// Renders the Prometheus metrics.
    pub(super) metrics: PrometheusHandle,
    /// Permits for CPU-bound work on the blocking pool (as many as requests
    /// may be in flight): a task holds one until it ends, even after its
    /// request timed out and was dropped, so abandoned work still counts.
    blocking: Arc<tokio::sync::Semaphore>,
}

/// Where a write stands against its request's deadline. The deadline and
/// the commit race for it, and exactly one wins: a write the deadline
/// abandoned is never applied (the client got 408 and may simply retry),
/// and a write that reached its commit is reported, however late.
#[derive(Clone, Default)]
pub(crate) struct WriteGate(Arc<std::sync::atomic::AtomicU8>);

impl WriteGate {
    const OPEN: u8 = 0;
    const COMMITTING: u8 = 1;
    const ABANDONED: u8 = 2;

    /// The write passes its point of no return; false when its request
    /// already gave up on it.
    fn commit(&self) -> bool {
        self.settle(Self::COMMITTING)
    }

    /// The request gives up on the write; false when the write is already
    /// committing (the request then waits for it).
    pub(crate) fn abandon(&self) -> bool {
        self.settle(Self::ABANDONED)
    }

    /// Whether the request gave up (work not yet done can be skipped).
    pub(crate) fn abandoned(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire) == Self::ABANDONED
    }

    fn settle(&self, to: u8) -> bool {
        use std::sync::atomic::Ordering;
        match self
            .0
            .compare_exchange(Self::OPEN, to, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(now) => now == to,
        }
    }
}

/// A place in the CPU concurrency limit, for work on the blocking pool
/// that also waits on the network: it gives the place back while it
/// waits, so a client that reads slowly (or not at all) holds no CPU
/// permit, and asks and quote checks are not starved by stalled exports.
pub(crate) struct CpuPermit {
    /// Where the permit comes from, to take it again after a wait.
    pool: Arc<tokio::sync::Semaphore>,
    /// The permit, while the work computes.
    held: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl CpuPermit {
    /// Runs `wait` (a blocking wait on a client) without the permit, then
    /// takes it again before the work goes on. Call on the blocking pool.
    pub(crate) fn idle<T>(&mut self, wait: impl FnOnce() -> T) -> T {
        self.held = None;
        let out = wait();
        let pool = self.pool.clone();
        // The semaphore is never closed, so this only waits.
        self.held = tokio::runtime::Handle::current()
            .block_on(pool.acquire_owned())
            .ok();
        out
    }
}

/// The answer to a write its deadline abandoned before it committed.
pub(crate) fn not_applied() -> ApiError {
    ApiError::new(
        ErrorCode::Timeout,
        "the write took longer than the configured timeout and was not applied; nothing changed, so it is safe to retry",
    )
}

impl AppState {
    /// State with no engine yet: the server answers, but is not ready.
    pub fn starting(limits: Limits) -> Self {
        AppState {
            engine: Arc::new(RwLock::new(None)),
            cors_origins: Vec::new(),
            public_url: None,
            token: None,
            live: None,
            write_lock: Arc::new(std::sync::Mutex::new(())),
            metrics: metrics_handle(),
            blocking: Arc::new(tokio::sync::Semaphore::new(limits.max_concurrency.max(1))),
            limits,
        }
    }

    /// State with an open engine.
    pub fn ready(engine: Engine, limits: Limits) -> Self {
        let s = AppState::starting(limits);
        s.set_engine(engine);
        s
    }

    /// Makes the engine available (the server becomes ready).
    pub fn set_engine(&self, engine: Engine) {
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(engine));
    }

    /// Where writes go, or 403 when this server has no corpus.
    pub(crate) fn live(&self) -> Result<&crate::live::Live, ApiError> {
        self.live.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::WritesDisabled,
                "this server has no corpus to write to",
            )
        })
    }

    /// Runs a write against the current engine and swaps in its result,
    /// serialized with every other write of this process. The write
    /// commits only if `gate` was not abandoned by the time its turn came;
    /// else nothing is applied and the answer is 408 `timeout`.
    pub(crate) fn write<T>(
        &self,
        gate: &WriteGate,
        f: impl FnOnce(
            &crate::live::Live,
            &Engine,
        ) -> std::result::Result<(Engine, T), crate::live::WriteError>,
    ) -> Result<T, ApiError> {
        let live = self.live()?;
        let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        if !gate.commit() {
            return Err(not_applied());
        }
        let current = self.engine()?;
        match f(live, &current) {
            Ok((next, out)) => {
                self.set_engine(next);
                Ok(out)
            }
            // Committed, then a later step failed: the index holds the
            // change, so the server serves it, and the client hears why.
            Err(crate::live::WriteError {
                error,
                committed: Some(next),
            }) => {
                tracing::error!(%error, "a write failed after its commit; serving the committed change");
                self.set_engine(*next);
                Err(error.into())
            }
            Err(crate::live::WriteError { error, .. }) => Err(error.into()),
        }
    }

    /// Runs `f` on the blocking pool once a permit is free, and keeps the
    /// permit until `f` returns: a request that times out stops waiting,
    /// but its work keeps its place in the concurrency limit until it ends
    /// (so abandoned work cannot pile up beyond the limit).
    pub(crate) async fn blocking<T, E>(
        &self,
        f: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Send + 'static,
        ApiError: From<E>,
    {
        self.blocking_until(move |_| f()).await
    }

    /// [`AppState::blocking`] for work that checks a [`Cancel`] between its
    /// steps: when the request stops waiting (it timed out and was
    /// dropped), the flag goes up, so the work stops at its next step
    /// and gives its permit back, instead of running to the end for no one.
    pub(crate) async fn blocking_until<T, E>(
        &self,
        f: impl FnOnce(&Cancel) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Send + 'static,
        ApiError: From<E>,
    {
        let permit = self.cpu_permit().await?;
        let cancel = Cancel::never();
        let waiting = cancel.on_drop();
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f(&cancel)
        })
        .await
        .map_err(|_| ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR));
        waiting.disarm();
        Ok(result??)
    }

    /// A permit for blocking work that runs detached from its request (an
    /// export streaming rows): held while the work computes, given back
    /// while it waits on the client ([`CpuPermit::idle`]).
    pub(crate) async fn cpu_permit(&self) -> Result<CpuPermit, ApiError> {
        let held = self
            .blocking
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
        Ok(CpuPermit {
            pool: self.blocking.clone(),
            held: Some(held),
        })
    }

    /// Waits until the engine is set, checking every 20 ms for at most
    /// `bound`; whether it is. For callers that, unlike an HTTP client,
    /// cannot be told to retry (an AI assistant's first tool calls).
    pub(crate) async fn wait_ready(&self, bound: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            if self.engine().is_ok() {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The engine, or 503 `not_ready`.
    pub fn engine(&self) -> Result<Arc<Engine>, ApiError> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotReady,
                    "the index is still being opened; retry shortly",
                )
            })
    }
}

/// The process-wide Prometheus recorder (installed once).
pub(crate) fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0,
                ])
                .expect("static buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by an embedding program); then ours only renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// A 200 response with a status code, for readiness checks.
pub(crate) fn status_json(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}
