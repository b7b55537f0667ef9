//! Records on a real SQLite file, the keychain through keyring-core's in-memory store (the real Secret
//! Service is exercised by tapstand-secrets' tests and the end-to-end tests).

use tapstand_records::import::{self, Encoding, RowAction};
use tapstand_records::*;
use tapstand_secrets::{accounts, Keychain, SecretStore};
use tapstand_store::records::{DeviceModelInput, ProfileInput, StoreInput, TerminalInput};
use tapstand_store::Db;

async fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    (dir, db)
}

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

#[tokio::test]
async fn profile_secret_goes_to_the_keychain_only() {
    let (dir, db) = db().await;
    let keychain: std::sync::Arc<dyn tapstand_secrets::SecretStore> =
        std::sync::Arc::new(Keychain::in_memory());
    let p = save_profile(
        &db,
        None,
        ProfileInput {
            name: "会员中心".into(),
            appid: "wx8928293522b7aa0d".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .value;
    assert!(!p.secret_saved);
    let secret = "4e015658b5f2f2d1d6a2ec5995bede86";
    let warnings = set_app_secret(&db, &keychain, p.id, &format!("  {secret}\n"))
        .await
        .unwrap();
    assert!(warnings.is_empty());
    assert_eq!(
        keychain
            .get(&accounts::app_secret(&p.appid))
            .unwrap()
            .unwrap()
            .expose(),
        secret
    );
    assert!(list_profiles(&db).await.unwrap()[0].secret_saved);
    assert_eq!(
        app_secret(&db, &keychain, p.id).await.unwrap().expose(),
        secret
    );

    // The AppID cannot change under a saved secret.
    let e = save_profile(
        &db,
        Some(p.id),
        ProfileInput {
            name: "会员中心".into(),
            appid: "wx0000000000000000".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.fields[0].field, "appid");

    db.clone().close().await;
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
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    remove_app_secret(&db, &keychain, p.id).await.unwrap();
    assert!(keychain
        .get(&accounts::app_secret(&p.appid))
        .unwrap()
        .is_none());
    assert_eq!(
        app_secret(&db, &keychain, p.id).await.unwrap_err().code,
        "secret.missing"
    );
}

#[tokio::test]
async fn duplicate_numbers_are_field_errors_and_referenced_stores_cannot_be_deleted() {
    let (_dir, db) = db().await;
    let s = save_store(
        &db,
        None,
        StoreInput {
            org_code: "18".into(),
            name: "总仓".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .value;
    let e = save_store(
        &db,
        None,
        StoreInput {
            org_code: " 18 ".into(),
            name: "另一个".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.fields[0].field.as_str()),
        ("validation", "org_code")
    );
    let e = save_store(
        &db,
        None,
        StoreInput {
            org_code: "19".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.fields[0].field, "name");

    save_terminal(
        &db,
        None,
        TerminalInput {
            store_id: Some(s.id),
            machine_no: "1".into(),
            terminal_no: "519181767".into(),
            note: "".into(),
        },
    )
    .await
    .unwrap();
    let e = delete_store(&db, s.id).await.unwrap_err();
    assert_eq!(e.code, "in_use", "{e:?}");
    assert!(e.zh.remedy.contains("归档"));
    archive_store(&db, s.id, true).await.unwrap();
    assert!(list_stores(&db, "", false).await.unwrap().is_empty());
    assert_eq!(list_stores(&db, "总仓", true).await.unwrap().len(), 1);
    assert_eq!(
        list_terminals(&db, "总仓", false).await.unwrap().len(),
        1,
        "search by store name"
    );
}

#[tokio::test]
async fn device_model_workflow() {
    let (_dir, db) = db().await;
    let m = save_device_model(
        &db,
        None,
        DeviceModelInput {
            model_name: "ZHS-NTAG216".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .value;
    assert_eq!(m.status, "registering");
    let e = set_device_model_status(&db, m.id, "approved", "", None)
        .await
        .unwrap_err();
    assert_eq!(e.fields[0].field, "model_id");
    let m = set_device_model_status(
        &db,
        m.id,
        "approved",
        "",
        Some("5utC432sD0LvHu6ial0u_g".into()),
    )
    .await
    .unwrap();
    assert!(m.warnings.is_empty());
    assert_eq!(m.value.model_id.as_deref(), Some("5utC432sD0LvHu6ial0u_g"));
}

#[tokio::test]
async fn gbk_csv_with_a_bad_row_is_previewed_and_nothing_is_written_until_fixed() {
    let (_dir, db) = db().await;
    let bad = gbk("机构编号,组织/公司,门店名称,地址\n18,辽宁民生事科技股份有限公司,总仓,\n19,吕梁分公司,,吕梁\n23,南昌公司,红谷滩店,\n23,南昌公司,盛汇总仓,\n");
    let p = import::preview(&db, RecordKind::Stores, &bad)
        .await
        .unwrap();
    assert_eq!(p.encoding, Encoding::Gb18030);
    assert_eq!(p.rows.len(), 4);
    assert_eq!(p.rows[0].values[2].1, "总仓", "Chinese decoded from GBK");
    assert_eq!((p.new_rows, p.invalid_rows), (2, 2));
    assert_eq!(p.rows[1].line, 3);
    assert_eq!(p.rows[1].errors[0].field, "name");
    assert!(p.rows[3].errors[0].zh.contains("与第 4 行重复"));
    assert!(!p.can_commit());
    let e = import::commit(&db, RecordKind::Stores, &bad)
        .await
        .unwrap_err();
    assert_eq!(e.code, "import.invalid");
    assert!(
        list_stores(&db, "", true).await.unwrap().is_empty(),
        "nothing written"
    );

    let fixed = gbk("机构编号,组织/公司,门店名称,地址\n18,辽宁民生事科技股份有限公司,总仓,\n19,吕梁分公司,吕梁第一门店,吕梁\n23,南昌公司,红谷滩店,\n24,南昌公司,盛汇总仓,\n");
    let r = import::commit(&db, RecordKind::Stores, &fixed)
        .await
        .unwrap();
    assert_eq!((r.inserted, r.updated, r.unchanged), (4, 0, 0));
    // Importing again: unchanged; a changed name is an update.
    let again = "\u{feff}机构编号,门店名称\n18,总仓（新）\n19,吕梁第一门店\n".as_bytes();
    let p = import::preview(&db, RecordKind::Stores, again)
        .await
        .unwrap();
    assert_eq!(p.encoding, Encoding::Utf8Bom);
    assert_eq!(p.rows[0].action, RowAction::Update);

    // Export and re-import round trip.
    let csv = import::export(&db, RecordKind::Stores).await.unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let p = import::preview(&db, RecordKind::Stores, &csv)
        .await
        .unwrap();
    assert_eq!(p.unchanged_rows, 4);
}

#[tokio::test]
async fn invalid_bytes_and_missing_columns_are_reported() {
    let (_dir, db) = db().await;
    // 0x81 0x20 is not valid GB18030 nor UTF-8.
    let mut bytes = gbk("机构编号,门店名称\n1,甲\n");
    bytes.extend_from_slice(b"2,\x81\x20\n");
    let p = import::preview(&db, RecordKind::Stores, &bytes)
        .await
        .unwrap();
    assert_eq!(p.invalid_rows, 1);
    assert!(p.rows[1].errors[0].zh.contains("编码错误"));

    let p = import::preview(&db, RecordKind::Stores, "名称,地址\n甲,乙\n".as_bytes())
        .await
        .unwrap();
    assert!(!p.file_errors.is_empty() && p.file_errors[0].zh.contains("机构编号"));

    save_store(
        &db,
        None,
        StoreInput {
            org_code: "18".into(),
            name: "总仓".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t = "机器号,终端号,机构编号,备注\n1,519181767,18,\n2,3719962736,99,\n3,3269073101,,不区分门店\n";
    let p = import::preview(&db, RecordKind::Terminals, t.as_bytes())
        .await
        .unwrap();
    assert_eq!((p.new_rows, p.invalid_rows), (2, 1));
    assert_eq!(p.rows[1].errors[0].field, "org_code");
}

/// The bulk upserts behind an import write in multi-row batches: results must be exactly those of a row
/// by row upsert, across batch boundaries, for new, changed and unchanged rows, and repeated keys.
#[tokio::test]
async fn bulk_upserts_are_batched_and_exact() {
    use tapstand_store::records::Upsert;
    let (_dir, db) = db().await;
    let store = |i: usize, name: &str| StoreInput {
        org_code: format!("{}", 10_000 + i),
        company: "晋业".into(),
        name: format!("{name}{i}"),
        address: String::new(),
    };
    let first: Vec<StoreInput> = (0..1201).map(|i| store(i, "店")).collect();
    let out = db.upsert_stores(&first).await.unwrap();
    assert!(out.iter().all(|u| *u == Upsert::Inserted));
    assert_eq!(db.list_stores("", true).await.unwrap().len(), 1201);

    // Every other store renamed, one new one, and a key repeated within the call (the last row wins).
    let mut second: Vec<StoreInput> = (0..1201)
        .map(|i| store(i, if i % 2 == 0 { "新店" } else { "店" }))
        .collect();
    second.push(store(5000, "店"));
    second.push(store(5000, "又一店"));
    second.push(store(1, "改两次"));
    let out = db.upsert_stores(&second).await.unwrap();
    let count = |u: Upsert| out.iter().filter(|x| **x == u).count();
    assert_eq!(count(Upsert::Inserted), 1);
    assert_eq!(count(Upsert::Updated), 601 + 1 + 1);
    assert_eq!(count(Upsert::Unchanged), 600);
    let all = db.list_stores("", true).await.unwrap();
    assert_eq!(all.len(), 1202);
    let name = |code: usize| {
        all.iter()
            .find(|s| s.org_code == format!("{}", 10_000 + code))
            .unwrap()
            .name
            .clone()
    };
    assert_eq!(name(0), "新店0");
    assert_eq!(name(3), "店3");
    assert_eq!(name(1), "改两次1");
    assert_eq!(name(5000), "又一店5000");

    let sid = all[0].id;
    let terminal = |i: usize, note: &str| TerminalInput {
        store_id: if i.is_multiple_of(3) { Some(sid) } else { None },
        machine_no: format!("{}", i % 9),
        terminal_no: format!("{}", 900_000 + i),
        note: note.into(),
    };
    let first: Vec<TerminalInput> = (0..700).map(|i| terminal(i, "")).collect();
    assert!(db
        .upsert_terminals(&first)
        .await
        .unwrap()
        .iter()
        .all(|u| *u == Upsert::Inserted));
    let second: Vec<TerminalInput> = (0..700)
        .map(|i| terminal(i, if i < 550 { "前台" } else { "" }))
        .collect();
    let out = db.upsert_terminals(&second).await.unwrap();
    assert_eq!(out.iter().filter(|u| **u == Upsert::Updated).count(), 550);
    assert_eq!(out.iter().filter(|u| **u == Upsert::Unchanged).count(), 150);
    let terminals = db.list_terminals("", true).await.unwrap();
    assert_eq!(terminals.len(), 700);
    assert_eq!(terminals.iter().filter(|t| t.note == "前台").count(), 550);
    assert_eq!(
        terminals.iter().filter(|t| t.store_id == Some(sid)).count(),
        (0..700).filter(|i: &usize| i.is_multiple_of(3)).count()
    );
}

/// A keychain that answers only when the test says so (as a macOS keychain prompt waits for the merchant).
struct PromptingKeychain {
    inner: Keychain,
    answer: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl SecretStore for PromptingKeychain {
    fn get(
        &self,
        account: &str,
    ) -> Result<Option<tapstand_secrets::SecretString>, tapstand_secrets::SecretError> {
        // Bounded, so that a call made on the runtime's only thread fails the test instead of hanging it.
        let waited = self
            .answer
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(5));
        assert!(
            waited.is_ok(),
            "the prompt was never answered: the keychain call blocked the runtime"
        );
        self.inner.get(account)
    }
    fn set(
        &self,
        account: &str,
        secret: &tapstand_secrets::SecretString,
    ) -> Result<(), tapstand_secrets::SecretError> {
        self.inner.set(account, secret)
    }
    fn delete(&self, account: &str) -> Result<bool, tapstand_secrets::SecretError> {
        self.inner.delete(account)
    }
    fn backend(&self) -> String {
        "prompting (test)".into()
    }
}

/// A keychain call that waits (a prompt) does not stop the async runtime: on a single-threaded runtime,
/// another task still runs while the call waits, and it is that task that answers the prompt.
#[tokio::test(flavor = "current_thread")]
async fn a_waiting_keychain_does_not_hold_the_runtime() {
    let (_dir, db) = db().await;
    let p = save_profile(
        &db,
        None,
        ProfileInput {
            name: "会员中心".into(),
            appid: "wx1234567890abcdef".into(),
            env_version: "release".into(),
            page_path: "pages/index/index".into(),
            query_template: String::new(),
            only_genuine: false,
        },
    )
    .await
    .unwrap()
    .value;
    let (answer, asked) = std::sync::mpsc::channel();
    let inner = Keychain::in_memory();
    inner
        .set(
            &accounts::app_secret(&p.appid),
            &tapstand_secrets::SecretString::new("0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
    let keychain: std::sync::Arc<dyn SecretStore> = std::sync::Arc::new(PromptingKeychain {
        inner,
        answer: std::sync::Mutex::new(asked),
    });
    let other_task = tokio::spawn(async move {
        // Runs only if the runtime's one thread is free while the keychain call waits.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        answer.send(()).unwrap();
    });
    let secret = app_secret(&db, &keychain, p.id).await.unwrap();
    assert_eq!(secret.expose(), "0123456789abcdef0123456789abcdef");
    other_task.await.unwrap();
}

/// Formula-looking cells are defused in the export (Excel shows them as text) and the import reads them
/// back to the original values: export → import into an empty database gives the same records. The file
/// export goes through a safe file and replaces an old file.
#[tokio::test]
async fn export_defuses_formulas_and_import_round_trips() {
    let (dir, db) = db().await;
    let tricky = [
        (
            "=1+1",
            "=HYPERLINK(\"http://x\",\"点我\")",
            "+86 深圳市南山区",
            "-",
        ),
        ("-7", "@SUM(A1:A9)", "'原本带引号", "''两个引号"),
        ("'=x", "普通公司", "南山店, \"一楼\"", "a'b"),
    ];
    for (org, company, name, address) in tricky {
        save_store(
            &db,
            None,
            StoreInput {
                org_code: org.into(),
                company: company.into(),
                name: name.into(),
                address: address.into(),
            },
        )
        .await
        .unwrap();
    }
    let store = list_stores(&db, "", true).await.unwrap()[0].clone();
    save_terminal(
        &db,
        None,
        TerminalInput {
            store_id: Some(store.id),
            machine_no: "+M01".into(),
            terminal_no: "=T01".into(),
            note: "@前台".into(),
        },
    )
    .await
    .unwrap();

    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let stores_csv = out.join("门店.csv");
    std::fs::write(&stores_csv, "an old export").unwrap();
    assert_eq!(
        import::export_file(&db, RecordKind::Stores, &stores_csv)
            .await
            .unwrap(),
        3
    );
    let bytes = std::fs::read(&stores_csv).unwrap();
    assert_eq!(
        bytes,
        import::export(&db, RecordKind::Stores).await.unwrap()
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    // No cell starts with a formula character (after the optional quote of the CSV quoting).
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    for r in reader.records() {
        for cell in r.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "live formula cell {cell:?} in {text}"
            );
        }
    }
    assert!(text.contains("'=HYPERLINK"), "{text}");
    let terminals_csv = out.join("终端.csv");
    import::export_file(&db, RecordKind::Terminals, &terminals_csv)
        .await
        .unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["终端.csv", "门店.csv"],
        "no temporary file left"
    );

    // Into an empty database: the same records.
    let dir2 = tempfile::tempdir().unwrap();
    let db2 = Db::open(&dir2.path().join("tapstand.db")).await.unwrap();
    let r = import::commit(
        &db2,
        RecordKind::Stores,
        &std::fs::read(&stores_csv).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(r.inserted, 3);
    let key = |s: &tapstand_store::records::Store| {
        (
            s.org_code.clone(),
            s.company.clone(),
            s.name.clone(),
            s.address.clone(),
        )
    };
    let mut a: Vec<_> = list_stores(&db, "", true)
        .await
        .unwrap()
        .iter()
        .map(key)
        .collect();
    let mut b: Vec<_> = list_stores(&db2, "", true)
        .await
        .unwrap()
        .iter()
        .map(key)
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    import::commit(
        &db2,
        RecordKind::Terminals,
        &std::fs::read(&terminals_csv).unwrap(),
    )
    .await
    .unwrap();
    let t = list_terminals(&db2, "", true).await.unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(
        (
            t[0].machine_no.as_str(),
            t[0].terminal_no.as_str(),
            t[0].note.as_str()
        ),
        ("+M01", "=T01", "@前台")
    );
    let s2 = list_stores(&db2, "", true).await.unwrap();
    let org = &s2
        .iter()
        .find(|s| Some(s.id) == t[0].store_id)
        .unwrap()
        .org_code;
    assert_eq!(org, &store.org_code);
}
