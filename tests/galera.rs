//! RmtRs on a three-node MariaDB Galera cluster (script/galera), each node with
//! its own pool as each RMT server of a region would have: registrations
//! spread over the nodes, clients hopping between them, logins drawn at the
//! same moment on different nodes. Run by `rake galera:test`, which starts the
//! cluster and names its sockets in RMT_RS_GALERA_SOCKETS (ignored otherwise).

mod support;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmt_rs_core::endpoints::announce::announce_system_with_logins;
use rmt_rs_core::endpoints::products;
use rmt_rs_core::rmt::catalog::Product;
use rmt_rs_core::rmt::catalog_cache::{self, CatalogCache};
use rmt_rs_core::{announce_system, AnnounceRequest, Caller, DatabaseConfig};
use sqlx::mysql::MySqlPool;
use sqlx::Executor;
use tokio::sync::Semaphore;

/// `script/galera ARGS`.
fn galera(args: &[&str]) {
    let status = Command::new(support::repo_root().join("script/galera")).args(args).status().expect("script/galera");
    assert!(status.success(), "script/galera {args:?}");
}

/// The tests take turns on the cluster: one kills a node.
static CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One pool per node, on a fresh database with the schema and the test
/// catalog, and the cluster to this test alone while the guard lives.
async fn cluster(name: &str) -> (tokio::sync::MutexGuard<'static, ()>, Vec<MySqlPool>) {
    let turn = CLUSTER.lock().await;
    galera(&["start"]);
    let sockets = std::env::var("RMT_RS_GALERA_SOCKETS")
        .expect("RMT_RS_GALERA_SOCKETS: the cluster's sockets (rake galera:test starts it and sets them)");
    let database = format!("rmt_rs_galera_{name}");
    let configs: Vec<DatabaseConfig> = sockets
        .split(',')
        .map(|socket| {
            let mut config = DatabaseConfig::new(&database);
            config.socket = Some(socket.to_string());
            config.username = Some("root".into());
            config.pool = 20;
            config
        })
        .collect();
    assert_eq!(configs.len(), 3, "three nodes");
    let mut admin_config = configs[0].clone();
    admin_config.database = "mysql".into();
    let admin = MySqlPool::connect_with(admin_config.connect_options()).await.expect("node 1");
    admin.execute(format!("DROP DATABASE IF EXISTS {database}").as_str()).await.unwrap();
    admin.execute(format!("CREATE DATABASE {database}").as_str()).await.unwrap();
    admin.close().await;
    let first = support::pool(&configs[0]).await;
    let schema = std::fs::read_to_string(support::repo_root().join("db/schema.sql")).unwrap();
    sqlx::raw_sql(&schema).execute(&first).await.expect("schema");
    sqlx::raw_sql(support::CATALOG).execute(&first).await.expect("catalog");
    let mut pools = vec![first];
    for config in &configs[1..] {
        pools.push(support::pool(config).await);
    }
    (turn, pools)
}

async fn scalar(pool: &MySqlPool, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).fetch_one(pool).await.unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the Galera cluster: rake galera:test"]
async fn a_login_drawn_on_two_nodes_at_once_goes_to_one_system() {
    let (_turn, pools) = cluster("logins").await;
    const ROUNDS: usize = 150;
    for round in 0..ROUNDS {
        // Every node draws the same login first; a node that finds it taken draws again.
        let tasks: Vec<_> = pools
            .iter()
            .map(|pool| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut drawn = 0;
                    let mut next = move || {
                        drawn += 1;
                        if drawn == 1 {
                            format!("SCC_collide{round:021}")
                        } else {
                            rmt_rs_core::rmt::credentials::generate_login()
                        }
                    };
                    announce_system_with_logins(&pool, &AnnounceRequest::default(), &mut next).await.map(|a| a.login)
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().expect("every announce is answered");
        }
    }
    let systems = scalar(&pools[2], "SELECT COUNT(*) FROM systems").await;
    let logins = scalar(&pools[2], "SELECT COUNT(DISTINCT login) FROM systems").await;
    assert_eq!((systems, logins), (3 * ROUNDS as i64, 3 * ROUNDS as i64), "every system has a login of its own");
}

/// Spawns `client(i)` for `count` clients, at most 24 running at once; the
/// handles to wait for.
fn herd<F, Fut>(count: usize, client: F) -> Vec<tokio::task::JoinHandle<()>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let limit = Arc::new(Semaphore::new(24));
    (0..count)
        .map(|i| {
            let (limit, run) = (limit.clone(), client(i));
            tokio::spawn(async move {
                let _slot = limit.acquire().await.unwrap();
                run.await
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the Galera cluster: rake galera:test"]
async fn one_activation_sent_to_every_node_at_once_is_written_once_and_answered_everywhere() {
    let (_turn, pools) = cluster("activation").await;
    let cache = Arc::new(CatalogCache::default());
    for _ in 0..40 {
        let announced = announce_system(&pools[0], &AnnounceRequest::default()).await.unwrap();
        let caller = Caller { login: announced.login, password: Some(announced.password), ..Caller::default() };
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (pool, cache, request) =
                    (pools[i % 3].clone(), cache.clone(), support::product_request(&caller, "base-os"));
                tokio::spawn(async move { products::activate(&pool, &cache, &request).await.map(|o| o.into_answer()) })
            })
            .collect();
        for task in tasks {
            let answer = task.await.unwrap().expect("answered").expect("an answer");
            assert_eq!(answer.status, 201, "{}", answer.body);
        }
    }
    // Each node: one activation per system, however many nodes wrote it at once.
    for pool in &pools {
        assert_eq!(scalar(pool, "SELECT COUNT(*) FROM activations").await, 40);
    }
}

/// A SUSEConnect client with system tokens: announce, then activations, each
/// request to the next node (a load balancer's round robin), each with the
/// token the last answer gave.
async fn hopping_client(pools: Vec<MySqlPool>, first: usize) -> rmt_rs_core::Result<()> {
    let cache = CatalogCache::default();
    let announced = announce_system(&pools[first % 3], &AnnounceRequest::default()).await?;
    let mut caller = Caller {
        login: announced.login,
        password: Some(announced.password),
        system_token: Some(String::new()),
        ..Caller::default()
    };
    for (hop, identifier) in ["base-os", "tools", "base-os"].into_iter().enumerate() {
        let request = support::product_request(&caller, identifier);
        let answer = products::activate(&pools[(first + hop + 1) % 3], &cache, &request).await?.into_answer();
        let answer = answer.expect("an answer");
        assert_eq!(answer.status, 201, "{}", answer.body);
        caller.system_token = answer.system_token;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the Galera cluster: rake galera:test"]
async fn clients_hopping_between_nodes_each_stay_one_system_with_one_activation_per_product() {
    let (_turn, pools) = cluster("herd").await;
    const CLIENTS: usize = 1_000;
    let failed = Arc::new(AtomicUsize::new(0));
    let tasks = herd(CLIENTS, |client| {
        let (pools, failed) = (pools.clone(), failed.clone());
        async move {
            if let Err(e) = hopping_client(pools, client).await {
                eprintln!("client {client}: {e}");
                failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0, "every request answered");
    for pool in &pools {
        // Each node holds the whole region's registrations.
        assert_eq!(scalar(pool, "SELECT COUNT(*) FROM systems").await, CLIENTS as i64, "one system per client");
        assert_eq!(scalar(pool, "SELECT COUNT(DISTINCT login) FROM systems").await, CLIENTS as i64);
        assert_eq!(scalar(pool, "SELECT COUNT(*) FROM activations").await, 2 * CLIENTS as i64);
        assert_eq!(
            scalar(pool, "SELECT COUNT(*) FROM (SELECT 1 FROM activations GROUP BY system_id, service_id) a").await,
            2 * CLIENTS as i64
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the Galera cluster: rake galera:test"]
async fn a_node_killed_mid_herd_and_rejoined_loses_no_acknowledged_registration() {
    let (_turn, pools) = cluster("failover").await;
    const CLIENTS: usize = 600;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let tasks = herd(CLIENTS, |client| {
        let (pool, acknowledged, refused) = (pools[client % 3].clone(), acknowledged.clone(), refused.clone());
        async move {
            match announce_system(&pool, &AnnounceRequest::default()).await {
                Ok(announced) => acknowledged.lock().unwrap().push(announced.login),
                Err(_) => {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    // Node 3 crashes while the herd registers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    galera(&["kill", "3"]);
    for task in tasks {
        task.await.unwrap();
    }
    galera(&["start"]);
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!("{} acknowledged, {} refused while node 3 was down", acknowledged.len(), refused.load(Ordering::Relaxed));
    assert!(acknowledged.len() >= 2 * CLIENTS / 3, "the two live nodes kept registering");
    // Node 3 rejoined: it and the others hold every acknowledged registration.
    let rejoined = support::pool(&{
        let mut config = DatabaseConfig::new("rmt_rs_galera_failover");
        config.socket = Some(std::env::var("RMT_RS_GALERA_SOCKETS").unwrap().split(',').nth(2).unwrap().to_string());
        config.username = Some("root".into());
        config
    })
    .await;
    for pool in [&pools[0], &rejoined] {
        let stored: Vec<(String,)> = sqlx::query_as("SELECT login FROM systems").fetch_all(pool).await.unwrap();
        let stored: std::collections::HashSet<String> = stored.into_iter().map(|(login,)| login).collect();
        let missing: Vec<&String> = acknowledged.iter().filter(|login| !stored.contains(*login)).collect();
        assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    }
}

/// A connection to `pool`'s node whose `CONNECTION_ID()` is `id`: connects
/// until the node's counter reaches it (`None` once it is past).
async fn connection_numbered(pool: &MySqlPool, id: u64) -> Option<sqlx::MySqlConnection> {
    use sqlx::Connection;
    loop {
        let mut conn = sqlx::MySqlConnection::connect_with(&pool.connect_options()).await.unwrap();
        let (current,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()").fetch_one(&mut conn).await.unwrap();
        match current.cmp(&id) {
            std::cmp::Ordering::Equal => return Some(conn),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
    }
}

/// One connection on each of the first two nodes with the same connection
/// id, as RMT servers' connections have, each node numbering its own.
async fn twin_connections(pools: &[MySqlPool]) -> (sqlx::MySqlConnection, sqlx::MySqlConnection) {
    loop {
        let mut highest = 0;
        for pool in &pools[..2] {
            let (id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()").fetch_one(pool).await.unwrap();
            highest = highest.max(id);
        }
        let target = highest + 5;
        if let (Some(a), Some(b)) =
            (connection_numbered(&pools[0], target).await, connection_numbered(&pools[1], target).await)
        {
            return (a, b);
        }
    }
}

async fn catalog_version(pool: &MySqlPool) -> u64 {
    sqlx::query_as::<_, (u64,)>("SELECT CAST(SUM(changes) AS UNSIGNED) FROM rmt_rs_catalog_changes")
        .fetch_one(pool)
        .await
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the Galera cluster: rake galera:test"]
async fn catalog_tracking_counts_every_nodes_changes_without_refusing_rmts_writers() {
    let (_turn, pools) = cluster("catalog").await;
    catalog_cache::install_tracking(&pools[0]).await.expect("install tracking");
    let before = catalog_version(&pools[2]).await;
    // A mirror run on node 1 and one on node 2 stamp their own repositories
    // through connections both nodes numbered alike; node 2 commits first.
    let (mut first, mut second) = twin_connections(&pools).await;
    let stamp = "UPDATE repositories SET last_mirrored_at = NOW(6) WHERE id = ";
    first.execute("BEGIN").await.unwrap();
    first.execute(format!("{stamp}10").as_str()).await.unwrap();
    second.execute("BEGIN").await.unwrap();
    second.execute(format!("{stamp}20").as_str()).await.unwrap();
    second.execute("COMMIT").await.unwrap();
    let committed = first.execute("COMMIT").await;
    assert!(committed.is_ok(), "RMT's own catalog write refused for RmtRs's counting: {committed:?}");
    assert_eq!(catalog_version(&pools[2]).await, before + 2, "both changes counted");

    // A tree cached on node 3 is read again after node 1 renames its module.
    let cache = CatalogCache::default();
    let base: Product = {
        let row =
            sqlx::query(&format!("SELECT {} FROM products WHERE id = 1", rmt_rs_core::rmt::catalog::PRODUCT_COLUMNS))
                .fetch_one(&pools[2])
                .await
                .unwrap();
        Product::from_row(&row).unwrap()
    };
    let module_name = |tree: &rmt_rs_core::rmt::catalog::Tree| {
        let json = tree.product_json(1, "http://rmt", rmt_rs_core::Flavor::Rmt).unwrap();
        json.get("extensions").and_then(|e| match e {
            rmt_rs_core::Value::Array(list) => list.first().and_then(|m| m.get("name")).cloned(),
            _ => None,
        })
    };
    let mut conn = pools[2].acquire().await.unwrap();
    let first = cache.tree(&mut conn, &base).await.unwrap();
    assert_eq!(module_name(&first), Some(rmt_rs_core::Value::String("Tools Module".into())));
    sqlx::query("UPDATE products SET name = 'Tools Module Renamed' WHERE id = 2").execute(&pools[0]).await.unwrap();
    let again = cache.tree(&mut conn, &base).await.unwrap();
    assert_eq!(module_name(&again), Some(rmt_rs_core::Value::String("Tools Module Renamed".into())));
}
