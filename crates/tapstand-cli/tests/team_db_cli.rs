//! `tapstand-cli db check URL` and `db copy-to URL` against a real PostgreSQL server, and then the same
//! data read by another "PC" through `--database-url`: the move to a team database, end to end.

use std::process::{Command, Output, Stdio};

use sqlx::Connection;

async fn new_pg_database(name: &str) -> Option<String> {
    let Ok(admin) = std::env::var("TAPSTAND_TEST_PG_URL") else {
        assert!(
            std::env::var("TAPSTAND_REQUIRE_PG").as_deref() != Ok("1"),
            "TAPSTAND_REQUIRE_PG=1 but TAPSTAND_TEST_PG_URL is not set"
        );
        eprintln!("SKIPPED: TAPSTAND_TEST_PG_URL is not set (scripts/lib/pg-session.sh sets it)");
        return None;
    };
    let name = format!("{name}_{}", std::process::id());
    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
    }
    Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
}

fn cli(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tapstand-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("TAPSTAND_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_then_copy_to_then_another_pc_reads_it() {
    let Some(url) = new_pg_database("cli_copy").await else {
        return;
    };
    let local = tempfile::tempdir().unwrap();
    let other_pc = tempfile::tempdir().unwrap();
    let csv = local.path().join("stores.csv");
    std::fs::write(
        &csv,
        "机构编号,组织/公司,门店名称\n18,连锁,总仓\n19,连锁,吕梁第一门店\n",
    )
    .unwrap();
    let o = cli(
        local.path(),
        &["--json", "store", "import", csv.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));

    // Test connection: an empty database, nothing changed; a wrong password in plain words, no secret shown.
    let v = json(&cli(local.path(), &["--json", "db", "check", &url]));
    assert_eq!(v["schema_version"], 0, "{v}");
    let password = url.split(':').nth(2).unwrap().split('@').next().unwrap();
    let bad = url.replacen(password, "wrong-password", 1);
    let o = cli(local.path(), &["--json", "db", "check", &bad]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["error"]["code"], "db.team.wrong_password", "{v}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("wrong-password"));
    assert!(!String::from_utf8_lossy(&o.stdout).contains(password));

    let v = json(&cli(local.path(), &["--json", "db", "copy-to", &url]));
    let stores = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "stores")
        .unwrap()["rows"]
        .clone();
    assert_eq!(stores, 2, "{v}");
    assert_eq!(v["already_copied"], false);

    // Another PC (its own data folder, no local data) sees the stores through the team database.
    let list = json(&cli(
        other_pc.path(),
        &["--json", "--database-url", &url, "store", "list"],
    ));
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["总仓", "吕梁第一门店"]);
    let v = json(&cli(local.path(), &["--json", "db", "check", &url]));
    assert!(v["schema_version"].as_i64().unwrap() > 0, "{v}");
    // Once more: the same data is recognised, nothing is copied twice.
    let v = json(&cli(local.path(), &["--json", "db", "copy-to", &url]));
    assert_eq!(v["already_copied"], true, "{v}");
}
