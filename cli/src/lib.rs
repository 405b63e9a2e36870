//! The local server: the very routers the Lambda functions run, merged onto Kratos's two
//! ports. Also used by the black-box tests, which start it on port 0.

use std::net::SocketAddr;

use axum::Router;
use kratos_core::app::AppState;
use kratos_core::http::{cors_layer, finish_router};
use tokio::net::TcpListener;

/// Every public route: what the public API Gateway routes to the public functions.
pub fn public_router(state: AppState) -> Router {
    let router = Router::new()
        .merge(fn_metadata::router(state.clone()))
        .merge(fn_schemas::router(state.clone()))
        .merge(fn_sessions::router(state.clone()))
        .merge(fn_self_service::router(state.clone()));
    let router = finish_router(router);
    match cors_layer(&state.config.serve.public.cors) {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Every admin route: what the IAM-protected admin API routes to the admin functions.
pub fn admin_router(state: AppState) -> Router {
    let router = Router::new()
        .merge(fn_metadata::lambda_router(state.clone()))
        // Kratos's admin port answers the schema routes too; SDK clients bound to it call them.
        .merge(fn_schemas::router(state.clone()))
        .merge(fn_admin_courier::router(state.clone()))
        .merge(fn_admin_sessions::router(state.clone()))
        // API Gateway routes these to `admin-identities`, which merges this router too.
        .merge(fn_admin_sessions::identity_sessions_router(state.clone()))
        .merge(fn_admin_identities::router(state.clone()))
        // API Gateway routes `/admin/recovery/*` to `admin-identities` too.
        .merge(fn_admin_recovery::router(state.clone()));
    finish_router(router)
}

/// Delivers queued courier messages in the background, as Kratos's `serve --watch-courier`
/// does: every `courier.worker.pull_wait`, the oldest `courier.worker.pull_count` due
/// messages go through [`kratos_core::courier::Courier::deliver`], the same delivery the
/// `courier-sender` function runs on the table stream. Stops when the task is aborted.
pub fn spawn_courier_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let courier = match state.courier().await {
            Ok(courier) => courier,
            Err(error) => {
                tracing::error!(error = %error, "courier templates could not be loaded; no messages will be sent");
                return;
            }
        };
        let wait = state.config.courier.worker.pull_wait.as_duration();
        let count = state.config.courier.worker.pull_count as usize;
        loop {
            if let Err(error) = courier.deliver_queued(count).await {
                tracing::error!(error = %error, "could not read the courier queue");
            }
            tokio::time::sleep(wait).await;
        }
    })
}

/// A running local server.
#[derive(Debug)]
pub struct Running {
    pub public_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops serving.
    pub fn abort(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Binds both listeners and serves in background tasks.
pub async fn start(
    state: AppState,
    public: SocketAddr,
    admin: SocketAddr,
) -> std::io::Result<Running> {
    let public_listener = TcpListener::bind(public).await?;
    let admin_listener = TcpListener::bind(admin).await?;
    serve(state, public_listener, admin_listener)
}

/// Serves on already-bound listeners in background tasks.
pub fn serve(
    state: AppState,
    public_listener: TcpListener,
    admin_listener: TcpListener,
) -> std::io::Result<Running> {
    let public_addr = public_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;
    let public_app =
        public_router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let admin_app = admin_router(state).into_make_service_with_connect_info::<SocketAddr>();
    let tasks = vec![
        tokio::spawn(async move {
            if let Err(e) = axum::serve(public_listener, public_app).await {
                tracing::error!(error = %e, "public server stopped");
            }
        }),
        tokio::spawn(async move {
            if let Err(e) = axum::serve(admin_listener, admin_app).await {
                tracing::error!(error = %e, "admin server stopped");
            }
        }),
    ];
    Ok(Running {
        public_addr,
        admin_addr,
        tasks,
    })
}
