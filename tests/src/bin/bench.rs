//! A local benchmark: starts the server in-process on a fresh store (the embedded SQLite
//! store, or DynamoDB on the emulator with `--dynamodb`) behind a request-counting table,
//! then prints
//!
//! * the store requests of one registration, one password login, one whoami and one
//!   logout;
//! * throughput and latency (p50, p99) of `whoami` and of password logins (flow + submit)
//!   with concurrent clients.
//!
//! It prints figures only; nothing is asserted. Run it through `scripts/bench.sh`.
//!
//! Options: `--dynamodb`, `--clients N` (whoami, default 32), `--whoami N` requests
//! (default 5000), `--login-clients N` (default 4), `--logins N` (default 200).

use std::time::{Duration, Instant};

use blackbox::flows::{action, default_config, native};
use blackbox::{Backend, TestApp};
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-battery-staple";

struct Options {
    backend: Backend,
    clients: usize,
    whoami: usize,
    login_clients: usize,
    logins: usize,
}

fn options() -> Options {
    let mut options = Options {
        backend: Backend::Sqlite,
        clients: 32,
        whoami: 5000,
        login_clients: 4,
        logins: 200,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || {
            args.get(i + 1)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("{} needs a number", args[i]))
        };
        match args[i].as_str() {
            "--dynamodb" => {
                options.backend = Backend::DynamoDb;
                i += 1;
                continue;
            }
            "--clients" => options.clients = value(),
            "--whoami" => options.whoami = value(),
            "--login-clients" => options.login_clients = value(),
            "--logins" => options.logins = value(),
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    options
}

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn register(app: &TestApp, client: &reqwest::Client, email: &str) -> Value {
    let flow = json_of(
        client
            .get(app.public("/self-service/registration/api"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    json_of(
        client
            .post(action(&flow))
            .json(&json!({"method": "password", "traits": {"email": email}, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn login(app: &TestApp, client: &reqwest::Client, email: &str) -> Value {
    let flow = json_of(
        client
            .get(app.public("/self-service/login/api"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    json_of(
        client
            .post(action(&flow))
            .json(&json!({"method": "password", "identifier": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Runs `total` operations over `clients` concurrent workers; returns each latency and
/// the wall time.
async fn load<F, Fut>(clients: usize, total: usize, operation: F) -> (Vec<Duration>, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..clients {
        let operation = operation.clone();
        let share = total / clients + usize::from(worker < total % clients);
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for n in 0..share {
                let at = Instant::now();
                operation(worker * total + n).await;
                latencies.push(at.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    (latencies, started.elapsed())
}

fn report(name: &str, clients: usize, mut latencies: Vec<Duration>, wall: Duration) {
    latencies.sort();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1);
        latencies[index.min(latencies.len() - 1)]
    };
    println!(
        "{name:<16} {:>6} ops  {clients:>3} clients  {:>9.1} ops/s  p50 {:>8.2} ms  p99 {:>8.2} ms",
        latencies.len(),
        latencies.len() as f64 / wall.as_secs_f64(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let options = options();
    let app = TestApp::spawn_with(options.backend, &default_config()).await;
    let client = native();
    println!(
        "serverless-kratos bench: {:?} store, hasher {:?}",
        options.backend, app.state.hasher
    );

    // Store requests of one operation each.
    println!("\nstore requests per operation (API flows):");
    app.store_requests();
    let registered = register(&app, &client, "bench-0@example.com").await;
    println!(
        "  registration (flow + submit, session hook)  {}",
        app.store_requests()
    );
    let _ = login(&app, &client, "bench-0@example.com").await;
    println!(
        "  password login (flow + submit)               {}",
        app.store_requests()
    );
    let token = registered["session_token"].as_str().unwrap().to_owned();
    let whoami = client
        .get(app.public("/sessions/whoami"))
        .header("X-Session-Token", &token)
        .send()
        .await
        .unwrap();
    assert!(whoami.status().is_success());
    println!(
        "  whoami                                       {}",
        app.store_requests()
    );
    let logout = client
        .delete(app.public("/self-service/logout/api"))
        .json(&json!({"session_token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    println!(
        "  logout (native)                              {}",
        app.store_requests()
    );

    // Throughput and latency.
    println!("\nload:");
    let token = login(&app, &client, "bench-0@example.com").await["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = app.public("/sessions/whoami");
    let (latencies, wall) = load(options.clients, options.whoami, {
        let client = client.clone();
        move |_| {
            let client = client.clone();
            let url = url.clone();
            let token = token.clone();
            async move {
                let response = client
                    .get(&url)
                    .header("X-Session-Token", &token)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success());
            }
        }
    })
    .await;
    report("whoami", options.clients, latencies, wall);

    let app = std::sync::Arc::new(app);
    let (latencies, wall) = load(options.login_clients, options.logins, {
        let client = client.clone();
        let app = app.clone();
        move |_| {
            let client = client.clone();
            let app = app.clone();
            async move {
                login(&app, &client, "bench-0@example.com").await;
            }
        }
    })
    .await;
    report("password login", options.login_clients, latencies, wall);
    app.store_requests();
}
