//! rmt-rs-herd: many SUSEConnect-like instances registering against one RMT
//! server, printing what they saw as JSON.
//!
//!   rmt-rs-herd --address 127.0.0.1:4224 --mode herd --instances 1000 --spread-ms 10000
//!   rmt-rs-herd --address 127.0.0.1:4224 --mode sweep --instances 2000 --concurrency 64 --scenario announce
//!
//!   rmt-rs-herd --address 127.0.0.1:8443 --host rmt.herd.test --tls-ca ca.crt --burst 50 ...
//!
//! --address A,B,C: the region's servers (registercloudguest's siblings, in the
//! order it tries them; SUSEConnect instances and the fleet spread over them);
//! --host NAME: the server's name (Host header, TLS name); --tls-ca FILE: HTTPS,
//! trusting that CA; --client 1.13: connect-ng 1.13 (one kept-alive connection
//! per instance, no profiles) instead of SUSEConnect 1.24 (a new connection
//! per request); --burst N: instances arrive N at a time; --payg 1:
//! pay-as-you-go instances as registercloudguest registers them; --fleet N
//! --fleet-rate R: N registered systems (seeded by the benchmark) send R
//! keepalives and zypper refreshes a second meanwhile.
//! scenario: registration (default: everything SUSEConnect does), announce, or
//! activation (announce, then the base product's activation), or hostile
//! (one announce each, bent in one of a dozen ways), or health (one health
//! check each: RMT's one-line action) or bare (one GET each of the harness's
//! answer before Rails): the floors of a request's cost.
//!
//! herd:  instances arrive evenly spread over the window, whatever the server's
//!        state (an open model: nobody waits for an earlier instance).
//! sweep: `concurrency` instances at a time, each next one as soon as one ends.

mod client;
mod fleet;
mod hostile;
mod session;
mod stats;
mod suseconnect;

use std::sync::Arc;
use std::time::{Duration, Instant};

use session::{Scenario, Target};
use stats::Recorder;

struct Options {
    address: String,
    host: Option<String>,
    tls_ca: Option<String>,
    client: suseconnect::Version,
    burst: usize,
    fleet: usize,
    fleet_rate: f64,
    mode: String,
    instances: usize,
    spread: Duration,
    concurrency: usize,
    timeout: Duration,
    scenario: Scenario,
    base: (String, String, String),
    payg: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        address: String::new(),
        host: None,
        tls_ca: None,
        client: suseconnect::Version::Current,
        burst: 1,
        fleet: 0,
        fleet_rate: 0.0,
        mode: "herd".into(),
        instances: 1000,
        spread: Duration::from_secs(10),
        concurrency: 64,
        timeout: Duration::from_secs(60),
        scenario: Scenario::Registration,
        base: ("SLES".into(), "15.6".into(), "x86_64".into()),
        payg: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [name, value] = pair else { return Err(format!("{} needs a value", pair[0])) };
        let number = || value.parse::<u64>().map_err(|_| format!("{name}: not a number: {value}"));
        match name.as_str() {
            "--address" => o.address = value.clone(),
            "--host" => o.host = Some(value.clone()),
            "--tls-ca" => o.tls_ca = Some(value.clone()),
            "--client" => {
                o.client = suseconnect::Version::parse(value).ok_or(format!("unknown client {value}: 1.24 or 1.13"))?
            }
            "--burst" => o.burst = number()?.max(1) as usize,
            "--fleet" => o.fleet = number()? as usize,
            "--fleet-rate" => o.fleet_rate = number()? as f64,
            "--mode" => o.mode = value.clone(),
            "--instances" => o.instances = number()? as usize,
            "--spread-ms" => o.spread = Duration::from_millis(number()?),
            "--concurrency" => o.concurrency = number()?.max(1) as usize,
            "--timeout-s" => o.timeout = Duration::from_secs(number()?),
            "--payg" => o.payg = value == "1",
            "--scenario" => {
                o.scenario = match value.as_str() {
                    "announce" => Scenario::Announce,
                    "activation" => Scenario::Activation,
                    "registration" => Scenario::Registration,
                    "hostile" => Scenario::Hostile,
                    "health" => Scenario::Health,
                    "bare" => Scenario::Bare,
                    _ => return Err(format!("unknown scenario {value}")),
                }
            }
            "--base" => {
                let parts: Vec<&str> = value.split('/').collect();
                let [identifier, version, arch] = parts[..] else {
                    return Err("--base identifier/version/arch".into());
                };
                o.base = (identifier.into(), version.into(), arch.into());
            }
            _ => return Err(format!("unknown option {name}")),
        }
    }
    if o.address.is_empty() {
        return Err("--address host:port is required".into());
    }
    Ok(o)
}

async fn herd(o: &Options, target: Arc<Target>, recorder: Arc<Recorder>, start: Instant) {
    // Instances arrive `burst` at a time (an autoscaling group booting a batch
    // of images at once: no client jitter), the batches evenly over the window.
    let batches = o.instances.div_ceil(o.burst);
    let step = o.spread.checked_div(batches as u32).unwrap_or_default();
    let tasks: Vec<_> = (0..o.instances)
        .map(|i| {
            let due = start + step * (i / o.burst) as u32;
            let (target, recorder) = (target.clone(), recorder.clone());
            tokio::spawn(async move {
                tokio::time::sleep_until(due.into()).await;
                session::register(target, recorder, i, due).await
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

async fn sweep(o: &Options, target: Arc<Target>, recorder: Arc<Recorder>) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total = o.instances;
    let workers: Vec<_> = (0..o.concurrency)
        .map(|_| {
            let (target, recorder, next) = (target.clone(), recorder.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    session::register(target.clone(), recorder.clone(), i, Instant::now()).await;
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(message) => {
            eprintln!("rmt-rs-herd: {message}");
            std::process::exit(2);
        }
    };
    // One worker thread: the client must leave the machine's cores to the server.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
    let runtime = runtime.unwrap_or_else(|e| panic!("tokio runtime: {e}"));
    let tls = match o.tls_ca.as_deref().map(std::fs::read) {
        None => None,
        Some(Ok(pem)) => Some(client::Server::tls(&pem).unwrap_or_else(|e| panic!("{e}"))),
        Some(Err(e)) => panic!("--tls-ca: {e}"),
    };
    let servers = o
        .address
        .split(',')
        .map(|address| {
            Arc::new(client::Server {
                host: o.host.clone().unwrap_or_else(|| address.to_string()),
                address: address.to_string(),
                tls: tls.clone(),
                keepalive: o.client.keeps_connection(),
                timeout: o.timeout,
            })
        })
        .collect();
    let target =
        Arc::new(Target { servers, scenario: o.scenario, version: o.client, base: o.base.clone(), payg: o.payg });
    let recorder = Arc::new(Recorder::default());
    let start = Instant::now();
    runtime.block_on(async {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let fleet = Arc::new(fleet::Fleet::new(o.fleet, o.fleet_rate));
        let background = tokio::spawn(fleet::run(fleet, target.clone(), recorder.clone(), stop.clone()));
        match o.mode.as_str() {
            "sweep" => sweep(&o, target, recorder.clone()).await,
            _ => herd(&o, target, recorder.clone(), start).await,
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = background.await;
    });
    let mut summary = recorder.summary(start);
    summary["mode"] = o.mode.clone().into();
    summary["instances"] = o.instances.into();
    summary["scenario"] = format!("{:?}", o.scenario).to_lowercase().into();
    summary["payg"] = o.payg.into();
    summary["tls"] = o.tls_ca.is_some().into();
    summary["client"] = format!("{:?}", o.client).into();
    summary["servers"] = o.address.split(',').count().into();
    summary["burst"] = o.burst.into();
    summary["fleet"] = o.fleet.into();
    summary["fleet_rate"] = o.fleet_rate.into();
    summary["concurrency"] = if o.mode == "sweep" { o.concurrency.into() } else { serde_json::Value::Null };
    summary["spread_s"] = if o.mode == "sweep" { serde_json::Value::Null } else { o.spread.as_secs_f64().into() };
    println!("{summary}");
}
