//! `tapstand-cli export-pdf`: a real run of the binary, checked with poppler.

use std::process::Command;

#[cfg(unix)]
mod support;

const CLI: &str = env!("CARGO_BIN_EXE_tapstand-cli");

/// A black-and-white 1280 px stand-in for a mini-program code.
fn code_png(px: u32, path: &std::path::Path) {
    let img = image::GrayImage::from_fn(px, px, |x, y| {
        let m = px / 40;
        image::Luma([if (x / m * 7 + y / m * 3) % 5 < 2 {
            0
        } else {
            255
        }])
    });
    img.save(path).unwrap();
}

fn cli(args: &[&str], data: &std::path::Path) -> std::process::Output {
    Command::new(CLI)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

#[test]
fn export_pdf_writes_a_print_ready_file() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code.png");
    code_png(1280, &code);
    let out = dir.path().join("stand.pdf");
    let o = cli(
        &[
            "--json",
            "export-pdf",
            "--code-image",
            code.to_str().unwrap(),
            "--layout",
            "horizontal",
            "--size",
            "A5",
            "--store-name",
            "南昌公司 红谷滩店",
            "--double-sided",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["pages"], 2);
    assert!(report["min_code_ppi"].as_f64().unwrap() >= 300.0);
    let info = Command::new("pdfinfo")
        .args(["-box", out.to_str().unwrap()])
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Pages:           2"), "{info}");
    // A5 landscape trim (210 × 148 mm) at a 12 mm offset.
    assert!(
        info.contains("TrimBox:            34.02    34.02   629.29   453.54"),
        "{info}"
    );
    let text = Command::new("pdftotext")
        .args([out.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("南昌公司 红谷滩店"));
}

#[test]
fn a_code_too_small_for_the_size_is_refused_with_a_remedy() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("small.png");
    code_png(430, &code);
    let out = dir.path().join("a4.pdf");
    let o = cli(
        &[
            "export-pdf",
            "--code-image",
            code.to_str().unwrap(),
            "--size",
            "A4",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("print.low_resolution") && err.contains("1280"),
        "{err}"
    );
    assert!(!out.exists());
    // Bad arguments are usage errors (exit 2).
    let o = cli(
        &[
            "export-pdf",
            "--code-image",
            "x.png",
            "--layout",
            "diagonal",
            "--out",
            "x.pdf",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
}

/// `--store`/`--all` against the real fake WeChat (in-process, loopback), a real SQLite file and a real
/// keychain (private gnome-keyring): the first export fetches each code once, the second makes no call,
/// offline works from the cache, and a store whose code was never fetched fails by name without writing.
#[cfg(unix)]
mod from_stores {
    use std::process::{Command, Output, Stdio};

    use tapstand_fake_wechat::{Endpoint as FE, FakeConfig, FakeWechat, DEMO_APPID, DEMO_SECRET};
    use tapstand_store::records::StoreInput;
    use tapstand_store::Db;

    use super::support::Keyring;

    use super::CLI;

    struct Env {
        data: std::path::PathBuf,
        base_url: String,
        keyring: Keyring,
    }

    impl Env {
        fn cmd(&self, args: &[&str]) -> Command {
            let mut c = Command::new(CLI);
            c.args(args)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("TAPSTAND_DATA_DIR", &self.data)
                .env("TAPSTAND_WECHAT_BASE_URL", &self.base_url)
                .stdin(Stdio::null());
            for (k, v) in &self.keyring.env {
                c.env(k, v);
            }
            c
        }
        fn run(&self, args: &[&str]) -> Output {
            self.cmd(args).output().unwrap()
        }
    }

    fn ok(o: &Output) -> serde_json::Value {
        assert!(
            o.status.success(),
            "stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    }

    fn pdftotext(path: &std::path::Path) -> String {
        let o = Command::new("pdftotext")
            .args([path.to_str().unwrap(), "-"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn codes_are_fetched_once_cached_and_used_offline() {
        let dir = tempfile::tempdir().unwrap();
        let Some(keyring) = Keyring::start(dir.path()) else {
            return;
        };
        let fake = FakeWechat::start(FakeConfig::demo()).await.unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let mut env = Env {
            data: data.clone(),
            base_url: fake.base_url(),
            keyring,
        };
        ok(&env.run(&[
            "--json",
            "profile",
            "add",
            "--name",
            "会员中心",
            "--appid",
            DEMO_APPID,
            "--page",
            "pages/member/card",
        ]));
        // The AppSecret goes to the keychain through stdin (the keyring may need a moment to come up).
        super::support::pipe_secret_until_ok(
            || env.cmd(&["--json", "profile", "set-secret", "--profile", "会员中心"]),
            DEMO_SECRET,
        );
        let db = Db::open(&data.join("tapstand.db")).await.unwrap();
        for (code, name) in [("18", "南昌公司红谷滩店"), ("21", "九江公司浔阳店")] {
            db.insert_store(&StoreInput {
                org_code: code.into(),
                company: String::new(),
                name: name.into(),
                address: String::new(),
            })
            .await
            .unwrap();
        }

        // First export: two getwxacodeunlimit calls, one multi-page PDF with both names.
        let one = dir.path().join("two-stores.pdf");
        let r = ok(&env.run(&[
            "--json",
            "export-pdf",
            "--store",
            "18",
            "--store",
            "九江公司浔阳店",
            "--store-name",
            "--layout",
            "vertical",
            "--size",
            "A5",
            "--out",
            one.to_str().unwrap(),
        ]));
        assert_eq!(r["stores"], 2);
        assert_eq!(fake.calls(FE::GetWxaCodeUnlimit).len(), 2);
        let text = pdftotext(&one);
        assert!(
            text.contains("南昌公司红谷滩店") && text.contains("九江公司浔阳店"),
            "{text}"
        );

        // Second export (all stores, one file each): no call at all.
        let folder = dir.path().join("per-store");
        let r = ok(&env.run(&[
            "--json",
            "export-pdf",
            "--all",
            "--per-store",
            "--layout",
            "horizontal",
            "--size",
            "10x15",
            "--out",
            folder.to_str().unwrap(),
        ]));
        assert_eq!(r["files"].as_array().unwrap().len(), 2);
        assert_eq!(fake.calls(FE::GetWxaCodeUnlimit).len(), 2);
        // Without --store-name the name is not printed.
        let f0 = r["files"][0]["path"].as_str().unwrap();
        assert!(!pdftotext(std::path::Path::new(f0)).contains("南昌公司红谷滩店"));

        // Offline: WeChat unreachable, the cached codes still export.
        fake.shutdown().await;
        let offline = dir.path().join("offline.pdf");
        ok(&env.run(&[
            "--json",
            "export-pdf",
            "--all",
            "--store-name",
            "--out",
            offline.to_str().unwrap(),
        ]));
        assert!(pdftotext(&offline).contains("九江公司浔阳店"));

        // A new store whose code was never fetched: a clear error naming it, and no file (not even partial).
        db.insert_store(&StoreInput {
            org_code: "30".into(),
            company: String::new(),
            name: "赣州公司章贡店".into(),
            address: String::new(),
        })
        .await
        .unwrap();
        let out_dir = dir.path().join("out");
        std::fs::create_dir_all(&out_dir).unwrap();
        let missing = out_dir.join("all.pdf");
        let o = env.run(&["export-pdf", "--all", "--out", missing.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("print.code_missing")
                && err.contains("30 赣州公司章贡店")
                && err.contains("联网"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0);
        // --offline says the same without trying the network.
        env.base_url = "http://127.0.0.1:9".into();
        let o = env.run(&[
            "export-pdf",
            "--all",
            "--offline",
            "--out",
            missing.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&o.stderr).contains("赣州公司章贡店"));
        assert!(!missing.exists());
    }
}
