//! The layers under the herd comparison, on the same machine and database:
//! RmtRs's core registering systems with no Ruby and no HTTP, and MariaDB's
//! own rate of durable single-row inserts. Prints one JSON object.
//!
//!   cargo run --release --example ceilings -- <socket> <database> [registrations] [concurrency]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmt_rs_core::{announce_system, AnnounceRequest, DatabaseConfig, Value};
use sqlx::MySqlPool;

fn request(instance: usize) -> AnnounceRequest {
    let text = |s: String| Value::String(s);
    let profile = |kind: &str| {
        Value::Object(vec![
            ("identifier".into(), text(format!("{kind}-image-{}", instance % 4))),
            ("data".into(), text(format!("[\"{kind} data of image {}\"]", instance % 4))),
        ])
    };
    AnnounceRequest {
        hostname: Some(format!("ceiling-{instance}")),
        hwinfo: Some(Value::Object(vec![
            ("cpus".into(), Value::Integer("2".into())),
            ("arch".into(), text("x86_64".into())),
            ("uuid".into(), text(format!("{instance:032x}"))),
        ])),
        system_profiles: vec![("pci_data".into(), profile("pci")), ("mod_list".into(), profile("mod"))],
        ..AnnounceRequest::default()
    }
}

/// Runs `total` jobs from `concurrency` tasks; returns (jobs per second, latencies).
async fn measure<F, Fut>(total: usize, concurrency: usize, job: F) -> (f64, Vec<Duration>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (job, next) = (job.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= total {
                        return latencies;
                    }
                    let t = Instant::now();
                    job(i).await;
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    latencies.sort();
    (total as f64 / started.elapsed().as_secs_f64(), latencies)
}

fn figures(name: &str, (per_second, latencies): (f64, Vec<Duration>)) -> serde_json::Value {
    let at = |p: f64| {
        let i = ((p / 100.0) * latencies.len() as f64).ceil().max(1.0) as usize - 1;
        latencies.get(i.min(latencies.len().saturating_sub(1))).map(|d| d.as_secs_f64() * 1000.0)
    };
    serde_json::json!({ "layer": name, "per_second": per_second, "p50_ms": at(50.0), "p99_ms": at(99.0) })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (socket, database) = (args.first().expect("socket"), args.get(1).expect("database"));
    let total: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
    let concurrency: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(10);
    let mut config = DatabaseConfig::new(database);
    config.socket = Some(socket.clone());
    config.username = Some("root".into());
    config.pool = concurrency as u32;
    let pool: MySqlPool = config.pool_options().connect_with(config.connect_options()).await.expect("connect");

    let core_pool = pool.clone();
    let core = measure(total, concurrency, move |i| {
        let pool = core_pool.clone();
        async move {
            announce_system(&pool, &request(i)).await.expect("announce");
        }
    })
    .await;

    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS ceiling_inserts (id bigint AUTO_INCREMENT PRIMARY KEY, v varchar(64)) ENGINE=InnoDB")
        .execute(&pool)
        .await
        .expect("scratch table");
    let insert_pool = pool.clone();
    let inserts = measure(total, concurrency, move |i| {
        let pool = insert_pool.clone();
        async move {
            sqlx::query("INSERT INTO ceiling_inserts (v) VALUES (?)")
                .bind(i.to_string())
                .execute(&pool)
                .await
                .expect("insert");
        }
    })
    .await;
    sqlx::raw_sql("DROP TABLE ceiling_inserts").execute(&pool).await.expect("drop scratch table");

    let out = serde_json::json!({
        "registrations": total,
        "concurrency": concurrency,
        "layers": [figures("RmtRs core alone (Rust, no Ruby, no HTTP): announces", core),
                   figures("MariaDB: durable single-row inserts", inserts)],
    });
    println!("{out}");
}
