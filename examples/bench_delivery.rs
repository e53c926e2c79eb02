//! Delivery benchmark (issues 5 and 6): Hookline as a release process and a fast receiver on
//! loopback; changes made through Hookline's own HTTP entry point (the REST API, with a
//! token), each firing K asynchronous webhooks, until every signed request has arrived.
//! Prints figures; asserts nothing. Run it with `scripts/bench-delivery`.
//!
//!   bench_delivery <hookline binary> <hooks per change> <changes at saturation>
//!
//! `BENCH_CLIENTS` sets how many clients make changes at saturation (32 by default).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};

#[derive(Default)]
struct Seen {
    count: AtomicUsize,
    /// Commit-to-receipt latencies in microseconds (the payload's timestamp is in ms).
    latencies: Mutex<Vec<i64>>,
    /// How long the receiver takes to answer (BENCH_RECEIVER_DELAY_MS): a slow receiver.
    answer_after: Duration,
}

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

async fn receive(body: web::Bytes, seen: web::Data<Arc<Seen>>) -> HttpResponse {
    let at = now_us();
    if !seen.answer_after.is_zero() {
        tokio::time::sleep(seen.answer_after).await;
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(ts) = v["timestamp"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        seen.latencies
            .lock()
            .unwrap()
            .push(at - ts.timestamp_micros());
    }
    seen.count.fetch_add(1, Ordering::Relaxed);
    HttpResponse::NoContent().finish()
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

/// Prepares the database from the command line (the administrator and an API token): the
/// server processes themselves never hash a password.
fn prepare(bin: &str, env: &[(&str, String)]) -> String {
    let mut add = Command::new(bin)
        .args([
            "user",
            "add",
            "--email",
            "bench@example.com",
            "--name",
            "Bench",
            "--role",
            "Administrator",
            "--password-stdin",
        ])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("hookline user add");
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(b"bench password 123\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let out = Command::new(bin)
        .args([
            "token",
            "create",
            "--user",
            "bench@example.com",
            "--name",
            "bench",
            "--scopes",
            "webhooks.write,objects.write",
        ])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("hookline token create");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Starts `hookline serve`; gives the process and its address.
fn serve(bin: &str, env: &[(&str, String)]) -> (Child, String) {
    let mut child = Command::new(bin)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true")
        .env(
            "HOOKLINE_LOG",
            std::env::var("BENCH_HOOKLINE_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("hookline starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(url) = line.strip_prefix("Hookline is running. Sign in at ") {
            break url.trim_end_matches("/sign-in").to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, base)
}

/// The database to run on: a SQLite file in `dir`, or with BENCH_POSTGRES_URL (a server,
/// e.g. postgres://postgres@127.0.0.1:5432) a fresh PostgreSQL database on it.
async fn database(dir: &std::path::Path, hooks: usize) -> (String, &'static str) {
    match std::env::var("BENCH_POSTGRES_URL") {
        Ok(server) => {
            use sqlx::migrate::MigrateDatabase;
            let url = format!("{server}/hookline_bench_{}_{hooks}", std::process::id());
            let _ = sqlx::Postgres::drop_database(&url).await;
            sqlx::Postgres::create_database(&url)
                .await
                .expect("a fresh PostgreSQL database");
            (url, "PostgreSQL (synchronous_commit on)")
        }
        Err(_) => (
            format!("sqlite://{}", dir.join("bench.db").display()),
            "SQLite WAL, each commit on disk before it is acknowledged (group commit; the writer commits with synchronous=NORMAL and syncs the log itself, outside the write lock)",
        ),
    }
}

/// On PostgreSQL, what autovacuum does within a minute of a database's use, unless the run is
/// asked to stay cold (BENCH_COLD=1): statistics of the tables as they are now. Until a table
/// is analyzed, every connection keeps the plans it made when the table was empty, and for
/// an empty table reading it whole is the cheapest plan: a database in use has statistics,
/// one made seconds ago does not. Says what it did, for the figures it comes before.
async fn analyze(url: &str) -> &'static str {
    if !url.starts_with("postgres") {
        return "";
    }
    if std::env::var("BENCH_COLD").is_ok_and(|v| v == "1") {
        return ", tables never analyzed (BENCH_COLD=1)";
    }
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    pool.close().await;
    ", tables analyzed after the first 2 s as autovacuum would have"
}

async fn change(client: &reqwest::Client, base: &str, token: &str, n: usize) {
    let res = client
        .post(format!("{base}/api/v1/projects"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"code":"B{n:07}","name":"Bench","status":"Active"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "a change was refused");
}

async fn wait_for(seen: &Seen, n: usize) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(300);
    while seen.count.load(Ordering::Relaxed) < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} deliveries arrived",
            seen.count.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    Instant::now()
}

/// Waits until no delivery is queued or claimed in the database: every attempt recorded.
async fn wait_recorded(url: &str) -> Instant {
    const OPEN: &str = "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'in_flight')";
    let deadline = Instant::now() + Duration::from_secs(300);
    let open = || async {
        if url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let n: i64 = sqlx::query_scalar(OPEN).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        } else {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            let n: i64 = sqlx::query_scalar(OPEN).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    };
    loop {
        let n = open().await;
        if n == 0 {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "{n} deliveries never recorded");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn take_latencies(seen: &Seen) -> Vec<i64> {
    let mut l = std::mem::take(&mut *seen.latencies.lock().unwrap());
    l.sort_unstable();
    l
}

/// The value after `key` in the first line of `/proc/<pid>/<file>` that starts with it.
fn proc_field(pid: u32, file: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let value = text.lines().find_map(|l| l.strip_prefix(key))?;
    Some(value.trim().to_owned())
}

fn peak_memory(pid: u32) -> String {
    proc_field(pid, "status", "VmHWM:").unwrap_or_default()
}

/// CPU time used so far by a process (user + system, in clock ticks of 10 ms) and its
/// context switches (voluntary + involuntary, all threads).
fn cpu_and_switches(pid: u32) -> (u64, u64) {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name: utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    let mut switches = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("status")) {
                switches += s
                    .lines()
                    .filter(|l| l.contains("ctxt_switches"))
                    .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
                    .sum::<u64>();
            }
        }
    }
    (ticks, switches)
}

/// CPU time (clock ticks) used so far by the PostgreSQL server on this machine, if it runs
/// here: its live processes, and the backends already gone (counted in their parent's
/// children time). None when no process is PostgreSQL's, as for a server elsewhere.
fn postgres_cpu() -> Option<u64> {
    let mut ticks = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((name, rest)) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(')')) else {
            continue;
        };
        if name != "postgres" {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .skip(11)
            .take(4)
            .filter_map(|v| v.parse().ok())
            .collect();
        if let [utime, stime, children_utime, children_stime] = f[..] {
            // Only the server's first process has the backends as children.
            let parent_is_postgres = rest
                .split_whitespace()
                .nth(1)
                .and_then(|ppid| std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok())
                .is_some_and(|comm| comm.trim() == "postgres");
            let reaped = if parent_is_postgres {
                0
            } else {
                children_utime + children_stime
            };
            *ticks.get_or_insert(0) += utime + stime + reaped;
        }
    }
    ticks
}

/// Bytes a process has had written to storage so far (its database, log and write-ahead log).
fn disk_writes(pid: u32) -> u64 {
    proc_field(pid, "io", "write_bytes:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Round-trip times (µs) of `n` modifications of one project by API, one every 5 ms: what
/// one change costs the person making it, as when changes are apart in real use, not what a
/// previous change left to finish in the background.
async fn modifications(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: i64,
    n: usize,
) -> Vec<i64> {
    let mut times = Vec::with_capacity(n);
    let first = Instant::now();
    for k in 0..n {
        tokio::time::sleep_until((first + Duration::from_millis(5 * k as u64)).into()).await;
        let started = Instant::now();
        let res = client
            .put(format!("{base}/api/v1/projects/{id}"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"code":"SYNC","name":"Sync {}","status":"Active"}}"#,
                started.elapsed().as_nanos()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "a modification was refused");
        times.push(started.elapsed().as_micros() as i64);
    }
    times
}

/// What a synchronous webhook adds to a change, beyond the receiver's own time (which is
/// nil here): the same modification without a webhook on it, with a synchronous one, and
/// with a synchronous one in the transaction, in alternating rounds so that the three
/// share the machine's ups and downs.
async fn synchronous_overhead(client: &reqwest::Client, base: &str, token: &str, receiver: &str) {
    const ROUNDS: usize = 8;
    const PER_ROUND: usize = 60;
    let res = client
        .post(format!("{base}/api/v1/projects"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(r#"{"code":"SYNC","name":"Sync","status":"Active"}"#)
        .send()
        .await
        .unwrap();
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let modes = [None, Some(false), Some(true)];
    let mut times: [Vec<i64>; 3] = Default::default();
    for _ in 0..ROUNDS {
        for (mode, times) in modes.iter().zip(&mut times) {
            let mut webhook = None;
            if let Some(transaction) = mode {
                let res = client
                    .post(format!("{base}/api/v1/webhooks"))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(format!(
                        r#"{{"wording":"sync","url":"{receiver}/sync","eventTypes":["project.modified"],"synchronous":true,"transaction":{transaction}}}"#
                    ))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), 201);
                webhook = res.json::<serde_json::Value>().await.unwrap()["id"].as_i64();
            }
            times.extend(modifications(client, base, token, id, PER_ROUND).await);
            if let Some(webhook) = webhook {
                client
                    .delete(format!("{base}/api/v1/webhooks/{webhook}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
    for t in &mut times {
        t.sort_unstable();
    }
    let [base_line, sync, in_tx] = &times;
    for (label, with) in [("synchronous", sync), ("synchronous in transaction", in_tx)] {
        println!(
            "{label}: a change takes p50 {:.2} ms, p99 {:.2} ms (without a webhook: p50 {:.2}, p99 {:.2}) → adds p50 {:.2} ms, p99 {:.2} ms",
            percentile(with, 0.5),
            percentile(with, 0.99),
            percentile(base_line, 0.5),
            percentile(base_line, 0.99),
            percentile(with, 0.5) - percentile(base_line, 0.5),
            percentile(with, 0.99) - percentile(base_line, 0.99),
        );
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let bin = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "target/release/hookline".into());
    let hooks: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let changes: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(4000);

    let seen = Arc::new(Seen {
        answer_after: Duration::from_millis(
            std::env::var("BENCH_RECEIVER_DELAY_MS")
                .ok()
                .and_then(|d| d.parse().ok())
                .unwrap_or(0),
        ),
        ..Seen::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let receiver = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let data = web::Data::new(seen.clone());
    tokio::spawn(
        HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run(),
    );

    let dir = tempfile::tempdir().unwrap();
    let (url, storage) = database(dir.path(), hooks).await;
    let instances: usize = std::env::var("BENCH_INSTANCES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let key = Command::new(&bin)
        .args(["secrets", "new-key"])
        .output()
        .expect("hookline secrets new-key");
    let env = vec![
        ("HOOKLINE_DATABASE_URL", url.clone()),
        (
            "HOOKLINE_SECRET_KEY",
            String::from_utf8(key.stdout).unwrap().trim().to_owned(),
        ),
    ];
    let token = prepare(&bin, &env);
    let (mut children, bases): (Vec<Child>, Vec<String>) =
        (0..instances).map(|_| serve(&bin, &env)).unzip();
    let base = bases[0].clone();
    let client = reqwest::Client::new();
    for k in 0..hooks {
        let body = format!(
            r#"{{"wording":"bench {k}","url":"{receiver}/in/{k}","eventTypes":["project.created"]}}"#
        );
        let res = client
            .post(format!("{base}/api/v1/webhooks"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
    }
    println!(
        "Hookline delivery benchmark: {hooks} webhook(s) per change made through the REST API, {instances} instance(s), {storage}, release build"
    );

    // 1. A fixed rate of 500 changes/s: latency from commit to receipt. The first 2 s are
    // shown apart: they are those of processes just started, whose connections have not run
    // a statement yet (a Hookline restarted on a database already filled warms up as long).
    let at_500 = async |changes: std::ops::Range<usize>| {
        let before = seen.count.load(Ordering::Relaxed);
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (k, n) in changes.clone().enumerate() {
            let due = started + Duration::from_micros(k as u64 * 2000);
            tokio::time::sleep_until(due.into()).await;
            let (c, b, t) = (client.clone(), bases[n % instances].clone(), token.clone());
            tasks.spawn(async move { change(&c, &b, &t, n).await });
        }
        while tasks.join_next().await.is_some() {}
        wait_for(&seen, before + changes.len() * hooks).await;
        wait_recorded(&url).await;
        take_latencies(&seen)
    };
    let (cold, paced) = (1000, 3000);
    let first = at_500(0..cold).await;
    let analyzed = analyze(&url).await;
    let l = at_500(cold..paced).await;
    println!(
        "at 500 changes/s:   commit→receipt p50 {:.2} ms, p99 {:.2} ms ({} deliveries after the first 2 s, which gave p50 {:.2} ms, p99 {:.2} ms{analyzed})",
        percentile(&l, 0.5),
        percentile(&l, 0.99),
        l.len(),
        percentile(&first, 0.5),
        percentile(&first, 0.99)
    );

    // 2. Saturation: clients making changes as fast as Hookline takes them.
    let before = seen.count.load(Ordering::Relaxed);
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let total_cpu = || {
        pids.iter()
            .map(|&p| cpu_and_switches(p))
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    };
    let total_written = || pids.iter().map(|&p| disk_writes(p)).sum::<u64>();
    let (cpu_before, switches_before) = total_cpu();
    let (own_before, _) = cpu_and_switches(std::process::id());
    let server_before = url.starts_with("postgres").then(postgres_cpu).flatten();
    let written_before = total_written();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(paced));
    let mut tasks = tokio::task::JoinSet::new();
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(32);
    for k in 0..clients {
        let (c, b, t, next) = (
            client.clone(),
            bases[k % instances].clone(),
            token.clone(),
            next.clone(),
        );
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= paced + changes {
                    break;
                }
                change(&c, &b, &t, n).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let changed = started.elapsed();
    let done = wait_for(&seen, before + changes * hooks).await;
    let total = done.duration_since(started);
    let recorded = wait_recorded(&url).await.duration_since(started);
    let (cpu_after, switches_after) = total_cpu();
    let (own_after, _) = cpu_and_switches(std::process::id());
    let server = server_before.zip(postgres_cpu()).map(|(b, a)| a - b);
    let written = total_written() - written_before;
    let l = take_latencies(&seen);
    let received = (changes * hooks) as f64 / total.as_secs_f64();
    let rate = (changes * hooks) as f64 / recorded.as_secs_f64();
    println!(
        "at saturation:      {} changes in {:.2} s ({:.0} changes/s), {} deliveries all received after {:.2} s",
        changes,
        changed.as_secs_f64(),
        changes as f64 / changed.as_secs_f64(),
        changes * hooks,
        total.as_secs_f64()
    );
    println!(
        "                    every attempt recorded after {:.2} s: {rate:.0} deliveries/s end to end ({received:.0}/s received); commit→receipt p50 {:.2} ms, p99 {:.2} ms",
        recorded.as_secs_f64(),
        percentile(&l, 0.5),
        percentile(&l, 0.99)
    );
    println!(
        "                    Hookline's own cost per change: {:.0} µs of CPU, {:.1} context switches",
        (cpu_after - cpu_before) as f64 * 10_000.0 / changes as f64,
        (switches_after - switches_before) as f64 / changes as f64
    );
    println!(
        "                    written to disk per change by Hookline (a SQLite database and its log; PostgreSQL writes its own): {:.1} KB",
        written as f64 / 1024.0 / changes as f64
    );
    println!(
        "                    the load generator and receiver (this process, same 2 cores): {:.0} µs of CPU per change",
        (own_after - own_before) as f64 * 10_000.0 / changes as f64
    );
    if let Some(server) = server {
        println!(
            "                    PostgreSQL's cost per change (its processes on this machine): {:.0} µs of CPU",
            server as f64 * 10_000.0 / changes as f64
        );
    }
    for pid in &pids {
        println!(
            "peak memory of a Hookline instance (VmHWM): {}",
            peak_memory(*pid)
        );
    }
    if hooks == 1 {
        synchronous_overhead(&client, &base, &token, &receiver).await;
    }
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    if url.starts_with("postgres") {
        use sqlx::migrate::MigrateDatabase;
        let _ = sqlx::Postgres::drop_database(&url).await;
    }

    // 3. The physical limit: a plain signed reqwest loop to the same receiver (meaningless
    // against a receiver made slow on purpose).
    if !seen.answer_after.is_zero() {
        return;
    }
    let plain = 20_000;
    let plain_client = reqwest::Client::new();
    let before = seen.count.load(Ordering::Relaxed);
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (c, next, url) = (
            plain_client.clone(),
            next.clone(),
            format!("{receiver}/plain"),
        );
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= plain {
                    break;
                }
                let body = format!("{{\"n\":{n}}}");
                let id = format!("msg_{n}");
                let ts = chrono::Utc::now().timestamp();
                let sig = hookline::delivery::signing::sign(
                    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    &id,
                    ts,
                    body.as_bytes(),
                )
                .unwrap();
                c.post(&url)
                    .header("webhook-id", id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", sig)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    wait_for(&seen, before + plain).await;
    let plain_rate = plain as f64 / started.elapsed().as_secs_f64();
    println!(
        "plain signed reqwest loop: {plain_rate:.0} requests/s; Hookline end to end / plain loop = {:.3}",
        rate / plain_rate
    );
}
