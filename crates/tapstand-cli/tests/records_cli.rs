//! `tapstand-cli profile|model|store|terminal` against a real SQLite file in a temporary data folder.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn cli(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tapstand-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = c.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    c.wait_with_output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn stores_import_all_or_nothing_from_gbk_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let text = "机构编号,组织/公司,门店名称\n18,辽宁民生事科技股份有限公司,总仓\n19,吕梁分公司,\n";
    std::fs::write(&bad, encoding_rs::GBK.encode(text).0).unwrap();
    let o = cli(
        dir.path(),
        &["store", "import", bad.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "a bad row refuses the import");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("第 3 行"), "the bad line is named: {out}");
    let list = json(&cli(dir.path(), &["--json", "store", "list"], None));
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing written");

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        encoding_rs::GBK
            .encode(&text.replace("吕梁分公司,\n", "吕梁分公司,吕梁第一门店\n"))
            .0,
    )
    .unwrap();
    let r = json(&cli(
        dir.path(),
        &["--json", "store", "import", good.to_str().unwrap()],
        None,
    ));
    assert_eq!(r["inserted"], 2);
    let list = json(&cli(
        dir.path(),
        &["--json", "store", "list", "--search", "吕梁"],
        None,
    ));
    assert_eq!(list[0]["name"], "吕梁第一门店");

    let t = dir.path().join("t.csv");
    std::fs::write(&t, "机器号,终端号,机构编号\n1,519181767,18\n").unwrap();
    assert_eq!(
        json(&cli(
            dir.path(),
            &["--json", "terminal", "import", t.to_str().unwrap()],
            None
        ))["inserted"],
        1
    );
}

#[test]
fn profiles_and_models() {
    let dir = tempfile::tempdir().unwrap();
    let p = json(&cli(
        dir.path(),
        &[
            "--json",
            "profile",
            "add",
            "--name",
            "会员中心",
            "--appid",
            "wx8928293522b7aa0d",
        ],
        None,
    ));
    assert_eq!(p["value"]["secret_saved"], false);
    let o = cli(
        dir.path(),
        &["profile", "add", "--name", "", "--appid", "wx1"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("请填写名称"));

    let m = json(&cli(
        dir.path(),
        &[
            "--json",
            "model",
            "add",
            "--name",
            "ZHS-NTAG216",
            "--profile",
            "会员中心",
        ],
        None,
    ));
    let id = m["value"]["id"].as_i64().unwrap().to_string();
    let o = cli(
        dir.path(),
        &["model", "set-status", "--id", &id, "--status", "approved"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "approved needs the model_id");
    let m = json(&cli(
        dir.path(),
        &[
            "--json",
            "model",
            "set-status",
            "--id",
            &id,
            "--status",
            "approved",
            "--model-id",
            "5utC432sD0LvHu6ial0u_g",
        ],
        None,
    ));
    assert_eq!(m["value"]["status"], "approved");

    // The secret goes to the OS keychain from stdin (only where a keychain runs: scripts/test.sh provides one).
    if std::env::var_os("TAPSTAND_REQUIRE_KEYCHAIN").is_some() {
        let secret = "4e015658b5f2f2d1d6a2ec5995bede86";
        let o = cli(
            dir.path(),
            &["profile", "set-secret", "--profile", "会员中心"],
            Some(secret),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let list = json(&cli(dir.path(), &["--json", "profile", "list"], None));
        assert_eq!(list[0]["secret_saved"], true);
        assert!(!String::from_utf8_lossy(&list.to_string().into_bytes()).contains(secret));
        for f in std::fs::read_dir(dir.path()).unwrap() {
            let path = f.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "secret in {path:?}"
                );
            }
        }
    } else {
        tapstand_vtag::pcscd::skip_or_fail(
            "records_cli set-secret",
            "no OS keychain here; scripts/test.sh runs this inside a gnome-keyring session",
        );
    }
}

/// `store export` and `history --csv` write through safe files: complete files, an old file replaced, a
/// folder as the target refused in words (and left alone), the export importable again unchanged.
#[test]
fn store_export_and_history_csv_write_safe_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "机构编号,门店名称,地址\n18,=总仓,-\n19,吕梁第一门店,吕梁\n",
    )
    .unwrap();
    json(&cli(
        &data,
        &["--json", "store", "import", input.to_str().unwrap()],
        None,
    ));

    let target = out.join("门店.csv");
    std::fs::write(&target, "old").unwrap();
    let r = json(&cli(
        &data,
        &["--json", "store", "export", target.to_str().unwrap()],
        None,
    ));
    assert_eq!(r["rows"], 2);
    let bytes = std::fs::read(&target).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("18,,'=总仓,'-,"), "{text}");
    let again = json(&cli(
        &data,
        &[
            "--json",
            "store",
            "import",
            "--dry-run",
            target.to_str().unwrap(),
        ],
        None,
    ));
    assert_eq!(again["unchanged_rows"], 2, "{again}");

    let h = out.join("记录.csv");
    let o = cli(
        &data,
        &["--json", "history", "--csv", h.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["rows"], 0);
    let csv = std::fs::read_to_string(&h).unwrap();
    assert!(csv.starts_with("\u{feff}时间,结果,UID"), "{csv}");

    let folder = out.join("a-folder.csv");
    std::fs::create_dir(&folder).unwrap();
    let o = cli(
        &data,
        &["--json", "history", "--csv", folder.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["error"]["code"], "file.is_folder", "{e}");
    assert!(folder.is_dir());
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["a-folder.csv", "记录.csv", "门店.csv"]);
}

/// "只写 NXP 原厂芯片" from the command line: `profile add --only-genuine`, `profile edit --only-genuine=false`
/// (the other fields stay), `profile edit --only-genuine` turns it back on.
#[test]
fn profile_only_genuine_option() {
    let dir = tempfile::tempdir().unwrap();
    let p = json(&cli(
        dir.path(),
        &[
            "--json",
            "profile",
            "add",
            "--name",
            "会员中心",
            "--appid",
            "wx8928293522b7aa0d",
            "--page",
            "pages/member/card",
            "--only-genuine",
        ],
        None,
    ));
    assert_eq!(p["value"]["only_genuine"], true, "{p}");
    let p = json(&cli(
        dir.path(),
        &[
            "--json",
            "profile",
            "edit",
            "--profile",
            "会员中心",
            "--only-genuine=false",
        ],
        None,
    ));
    assert_eq!(p["value"]["only_genuine"], false, "{p}");
    assert_eq!(p["value"]["page_path"], "pages/member/card", "{p}");
    let o = cli(
        dir.path(),
        &["profile", "edit", "--profile", "会员中心", "--only-genuine"],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("只写 NXP 原厂芯片"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let list = json(&cli(dir.path(), &["--json", "profile", "list"], None));
    assert_eq!(list[0]["only_genuine"], true, "{list}");
}

/// Makes the openpyxl workbook `case` (crates/tapstand-records/tests/openpyxl/make.py) at `out`.
fn openpyxl_workbook(case: &str, out: &std::path::Path) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tapstand-records/tests/openpyxl/make.py");
    let st = Command::new("python3")
        .arg(script)
        .arg(case)
        .arg(out)
        .status()
        .expect("python3 with openpyxl (scripts/setup.sh)");
    assert!(st.success());
}

/// `store import FILE.xlsx [--sheet]`, `store export FILE.xlsx`, `history --export FILE.xlsx` and
/// `tags export FILE.xlsx`: the format from the content, errors naming the sheet and Excel's row.
#[test]
fn excel_import_and_exports_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();

    openpyxl_workbook("damaged", &p("damaged.xlsx"));
    let o = cli(
        dir.path(),
        &["store", "import", &s(&p("damaged.xlsx"))],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "lost codes refuse the import");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("工作表“门店”第 3 行"),
        "sheet and Excel row: {out}"
    );
    assert!(out.contains("1.2E+14"), "{out}");

    openpyxl_workbook("good", &p("good.xlsx"));
    let o = cli(
        dir.path(),
        &["store", "import", &s(&p("good.xlsx")), "--sheet", "说明"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "the notes sheet has no header");
    let r = json(&cli(
        dir.path(),
        &[
            "--json",
            "store",
            "import",
            &s(&p("good.xlsx")),
            "--sheet",
            "门店",
        ],
        None,
    ));
    assert_eq!(r["inserted"], 3);
    let list = json(&cli(dir.path(), &["--json", "store", "list"], None));
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["org_code"] == "000018"));

    // A CSV renamed .xlsx: refused with words, not read as a broken workbook.
    std::fs::write(p("renamed.xlsx"), "机构编号,门店名称\n1,a\n").unwrap();
    let o = cli(
        dir.path(),
        &["store", "import", &s(&p("renamed.xlsx"))],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("改了扩展名"), "{err}");

    let r = json(&cli(
        dir.path(),
        &["--json", "store", "export", &s(&p("门店.xlsx"))],
        None,
    ));
    assert_eq!(r["rows"], 3);
    assert!(std::fs::read(p("门店.xlsx"))
        .unwrap()
        .starts_with(b"PK\x03\x04"));
    let o = cli(
        dir.path(),
        &["--json", "history", "--export", &s(&p("记录.xlsx"))],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(p("记录.xlsx"))
        .unwrap()
        .starts_with(b"PK\x03\x04"));
    let o = cli(
        dir.path(),
        &["--json", "tags", "export", &s(&p("标签.xlsx"))],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(p("标签.xlsx"))
        .unwrap()
        .starts_with(b"PK\x03\x04"));
    let o = cli(dir.path(), &["tags", "export", &s(&p("标签.csv"))], None);
    assert_eq!(o.status.code(), Some(1), "the register is .xlsx only");
    assert!(!p("标签.csv").exists());
}
