//! A PC that vanishes without a FIN: its connection to the real PostgreSQL server goes through a small
//! userspace TCP proxy here that, at one moment, stops forwarding in both directions and never closes
//! either socket (what a pulled cable or a dead NAT looks like to the server: a connection that is still
//! open and says nothing). Its in-flight ledger row must become recoverable by another PC within the
//! stated bound (`owner::liveness_timeout`), measured; and a live PC's session outlives the bound.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tapstand_store::ledger::NewSchemeRequest;
use tapstand_store::Db;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Forwards 127.0.0.1:<returned port> to `upstream` until `frozen` is set; then reads nothing, writes
/// nothing and keeps every socket open.
async fn proxy(upstream: String, frozen: Arc<AtomicBool>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (client, _) = listener.accept().await.unwrap();
            let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            for (mut from, mut to) in [(cr, sw), (sr, cw)].map(|(r, w)| (r, w)) {
                let frozen = frozen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        if frozen.load(Ordering::SeqCst) {
                            // Hold both halves forever: no FIN, no RST, no bytes.
                            std::future::pending::<()>().await;
                        }
                        let n = match tokio::time::timeout(
                            Duration::from_millis(50),
                            from.read(&mut buf),
                        )
                        .await
                        {
                            Err(_) => continue,
                            Ok(Ok(0)) | Ok(Err(_)) => {
                                // The real peer closed (not under test): hold on anyway.
                                std::future::pending::<()>().await;
                                return;
                            }
                            Ok(Ok(n)) => n,
                        };
                        if frozen.load(Ordering::SeqCst) {
                            std::future::pending::<()>().await;
                        }
                        if to.write_all(&buf[..n]).await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    }
                });
            }
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pc_cut_off_without_a_fin_releases_its_rows_within_the_bound() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    // A short bound so the test is quick; the product's is 30 s (the same mechanism, scaled).
    let bound = Duration::from_secs(3);
    tapstand_store::owner::set_liveness_timeout(bound);
    assert_eq!(tapstand_store::owner::liveness_timeout(), bound);

    let frozen = Arc::new(AtomicBool::new(false));
    let (base, db_name) = url.rsplit_once('/').unwrap();
    let (creds, host_port) = base.rsplit_once('@').unwrap();
    let port = proxy(host_port.to_string(), frozen.clone()).await;
    let vanishing_url = format!("{creds}@127.0.0.1:{port}/{db_name}");

    let other = Db::open_url(&url).await.unwrap();
    let pc = Db::open_url(&vanishing_url).await.unwrap();
    let row = pc
        .scheme_record_request(&NewSchemeRequest {
            api_base: "http://127.0.0.1:1",
            appid: "wx1234567890abcdef",
            model_id: "model-1",
            sn: "1001-000001",
            path: "",
            query: "",
            env_version: "release",
        })
        .await
        .unwrap();
    pc.scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
        .await
        .unwrap()
        .expect("the call is in flight, owned by the PC");
    let owner = pc.owner_token().to_string();

    // Alive, and still alive after twice the bound: the heartbeat keeps an idle PC's session.
    tokio::time::sleep(bound * 2).await;
    assert!(other.owner_alive(&owner).await, "a live PC stays alive");
    assert!(
        other
            .scheme_begin_call(row.id, true, 0, Some("pg-0000000000000000"), "x")
            .await
            .unwrap()
            .is_none(),
        "a live PC's call is not taken over"
    );

    // The cut: no FIN, no RST, nothing.
    frozen.store(true, Ordering::SeqCst);
    let cut = Instant::now();
    let released = loop {
        if !other.owner_alive(&owner).await {
            break cut.elapsed();
        }
        assert!(
            cut.elapsed() < bound + Duration::from_secs(10),
            "the vanished PC's lock is still held after {:?}",
            cut.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "LIVENESS_BOUND bound_ms={} released_after_ms={}",
        bound.as_millis(),
        released.as_millis()
    );
    assert!(
        released <= bound + Duration::from_millis(1_500),
        "released after {released:?}, bound {bound:?}"
    );
    // Its in-flight row is recoverable by the other PC.
    assert!(
        other
            .scheme_begin_call(row.id, true, 0, Some(&owner), "http://127.0.0.1:1")
            .await
            .unwrap()
            .is_some(),
        "the vanished PC's in-flight row is taken over"
    );
    std::mem::forget(pc); // its sockets hang on the frozen proxy: do not wait for them
}
