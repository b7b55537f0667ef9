//! Excel in and out on a real SQLite file, with workbooks made by another program: openpyxl writes the
//! workbooks the import reads (`tests/openpyxl/make.py`: text-formatted and `000000`-formatted code
//! columns, General and scientific numbers, merged cells, several sheets, a password), and openpyxl
//! reads back what the export wrote (`tests/openpyxl/read.py`: cell types, frozen header, filter).
//! Needs python3 with openpyxl, msoffcrypto-tool and xlwt (for the `.xls`; `scripts/setup.sh` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tapstand_records::import::{self, Encoding, ImportOptions, RowAction};
use tapstand_records::*;
use tapstand_store::records::StoreInput;
use tapstand_store::Db;

async fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    (dir, db)
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/openpyxl")
        .join(name)
}

/// The workbook `case` of make.py, made by openpyxl.
fn workbook(dir: &Path, case: &str) -> Vec<u8> {
    let out = dir.join(format!("{case}.xlsx"));
    let st = Command::new("python3")
        .arg(script("make.py"))
        .arg(case)
        .arg(&out)
        .status()
        .expect("python3 (scripts/setup.sh installs it with openpyxl)");
    assert!(st.success(), "make.py {case}");
    std::fs::read(&out).unwrap()
}

/// What openpyxl sees in `path`.
pub fn read_back(path: &Path) -> Value {
    let out = Command::new("python3")
        .arg(script("read.py"))
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn named(name: &str) -> ImportOptions {
    ImportOptions {
        file_name: Some(name.into()),
        sheet: None,
    }
}

fn value<'a>(r: &'a import::PreviewRow, key: &str) -> &'a str {
    &r.values.iter().find(|(k, _)| k == key).unwrap().1
}

#[tokio::test]
async fn xlsx_codes_come_in_as_excel_shows_them() {
    let (dir, db) = db().await;
    let bytes = workbook(dir.path(), "good");
    let p = import::preview_with(&db, RecordKind::Stores, &bytes, &named("门店.xlsx"))
        .await
        .unwrap();
    assert_eq!(p.encoding, Encoding::Xlsx);
    assert_eq!(p.sheets, ["说明", "门店"]);
    assert_eq!(
        p.sheet.as_deref(),
        Some("门店"),
        "the sheet with the header"
    );
    assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
    let codes: Vec<&str> = p.rows.iter().map(|r| value(r, "org_code")).collect();
    assert_eq!(
        codes,
        ["000123", "000018", "000007"],
        "text and 000000 formats"
    );
    let lines: Vec<u32> = p.rows.iter().map(|r| r.line).collect();
    assert_eq!(
        lines,
        [3, 4, 5],
        "rows as Excel numbers them (title, header above)"
    );
    assert_eq!(
        value(&p.rows[1], "address"),
        "1001",
        "General number as text"
    );
    assert!(p.can_commit());
    let r = import::commit_with(&db, RecordKind::Stores, &bytes, &named("门店.xlsx"))
        .await
        .unwrap();
    assert_eq!(r.inserted, 3);
    let stored: Vec<String> = list_stores(&db, "", true)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.org_code)
        .collect();
    assert!(stored.contains(&"000018".to_string()), "{stored:?}");

    // Asking for the notes sheet: no header there, said with the sheet's name.
    let p = import::preview_with(
        &db,
        RecordKind::Stores,
        &bytes,
        &ImportOptions {
            file_name: None,
            sheet: Some("说明".into()),
        },
    )
    .await
    .unwrap();
    assert!(p.file_errors[0].zh.contains("说明") && p.file_errors[0].zh.contains("机构编号"));
    let e = import::preview_with(
        &db,
        RecordKind::Stores,
        &bytes,
        &ImportOptions {
            file_name: None,
            sheet: Some("Sheet9".into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "import.no_sheet");
    assert!(e.zh.remedy.contains("门店"));
}

#[tokio::test]
async fn lost_codes_are_flagged_not_imported() {
    let (dir, db) = db().await;
    let bytes = workbook(dir.path(), "damaged");
    let p = import::preview_with(&db, RecordKind::Stores, &bytes, &named("damaged.xlsx"))
        .await
        .unwrap();
    let flagged: Vec<(u32, bool)> = p
        .rows
        .iter()
        .map(|r| (r.line, r.errors.iter().any(|e| e.field == "org_code")))
        .collect();
    assert_eq!(
        flagged,
        [
            (2, false), // "0019" text
            (3, true),  // 18 under General, the column has 4-digit codes starting with 0
            (4, true),  // 1.2E+14
            (5, true),  // 18.5
            (6, true),  // 0.00E+00 format
            (7, false), // 2001
        ]
    );
    let e = |line: u32| {
        p.rows.iter().find(|r| r.line == line).unwrap().errors[0]
            .zh
            .clone()
    };
    assert!(e(3).contains("A3") && e(3).contains("开头的 0"), "{}", e(3));
    assert!(e(4).contains("科学计数法"), "{}", e(4));
    assert!(e(5).contains("小数"), "{}", e(5));
    assert!(e(6).contains("科学计数法"), "{}", e(6));
    assert_eq!(p.invalid_rows, 4);
    let err = import::commit_with(&db, RecordKind::Stores, &bytes, &named("damaged.xlsx"))
        .await
        .unwrap_err();
    assert_eq!(err.code, "import.invalid");
    assert!(
        err.fields
            .iter()
            .any(|f| f.field == "sheet 门店 row 3: org_code"),
        "{:?}",
        err.fields
    );
    assert!(
        list_stores(&db, "", true).await.unwrap().is_empty(),
        "nothing written"
    );

    // The merchant formats the column as text and types the codes again: all six come in.
    let fixed = workbook(dir.path(), "fixed");
    let r = import::commit_with(&db, RecordKind::Stores, &fixed, &named("damaged.xlsx"))
        .await
        .unwrap();
    assert_eq!(r.inserted, 6);
}

#[tokio::test]
async fn xls_text_codes_import_and_numbers_are_flagged() {
    let (dir, db) = db().await;
    let out = dir.path().join("门店.xls");
    let st = Command::new("python3")
        .arg(script("make.py"))
        .arg("xls")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let bytes = std::fs::read(&out).unwrap();
    let p = import::preview_with(&db, RecordKind::Stores, &bytes, &named("门店.xls"))
        .await
        .unwrap();
    assert_eq!(p.encoding, Encoding::Xls);
    assert_eq!(p.sheet.as_deref(), Some("门店"));
    assert_eq!(value(&p.rows[0], "org_code"), "000123");
    assert_eq!(p.rows[0].action, RowAction::New);
    assert_eq!(p.rows[1].line, 3);
    assert!(
        p.rows[1].errors[0].zh.contains(".xls") && p.rows[1].errors[0].field == "org_code",
        "{:?}",
        p.rows[1].errors
    );
}

#[tokio::test]
async fn terminal_codes_through_formats() {
    let (dir, db) = db().await;
    save_store(
        &db,
        None,
        StoreInput {
            org_code: "000123".into(),
            name: "南山店".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let bytes = workbook(dir.path(), "terminals");
    let p = import::preview_with(&db, RecordKind::Terminals, &bytes, &named("t.xlsx"))
        .await
        .unwrap();
    assert!(p.can_commit(), "{:?} {:?}", p.file_errors, p.rows);
    let nos: Vec<&str> = p.rows.iter().map(|r| value(r, "terminal_no")).collect();
    assert_eq!(nos, ["88000001", "00000005"]);
    assert_eq!(p.rows[0].action, RowAction::New);
}

#[tokio::test]
async fn bad_workbooks_say_why_and_write_nothing() {
    let (dir, db) = db().await;
    let kind = RecordKind::Stores;

    let pw = workbook(dir.path(), "password");
    let e = import::preview_with(&db, kind, &pw, &named("门店.xlsx"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "import.password_protected");
    assert!(e.zh.remedy.contains("密码") && !e.en.remedy.is_empty());

    let csv = "机构编号,门店名称\n1001,南山店\n".as_bytes();
    let e = import::preview_with(&db, kind, csv, &named("门店.xlsx"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "import.not_excel");
    assert!(e.zh.message.contains("门店.xlsx"));
    // The same bytes named .csv import as CSV.
    assert!(import::preview_with(&db, kind, csv, &named("门店.csv"))
        .await
        .unwrap()
        .can_commit());

    let empty = workbook(dir.path(), "empty");
    let p = import::preview_with(&db, kind, &empty, &named("e.xlsx"))
        .await
        .unwrap();
    assert!(
        p.file_errors[0].zh.contains("是空的"),
        "{:?}",
        p.file_errors
    );
    assert!(!p.can_commit());

    let no_code = workbook(dir.path(), "no_code_column");
    let p = import::preview_with(&db, kind, &no_code, &named("n.xlsx"))
        .await
        .unwrap();
    assert!(
        p.file_errors[0].zh.contains("缺少“机构编号”列"),
        "{:?}",
        p.file_errors
    );

    let merged = workbook(dir.path(), "merged_header");
    let p = import::preview_with(&db, kind, &merged, &named("m.xlsx"))
        .await
        .unwrap();
    assert!(
        p.file_errors[0].zh.contains("合并") && p.file_errors[0].zh.contains("B1:C1"),
        "{:?}",
        p.file_errors
    );
    let e = import::commit_with(&db, kind, &merged, &named("m.xlsx"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "import.invalid");

    let merged_rows = workbook(dir.path(), "merged_rows");
    let p = import::preview_with(&db, kind, &merged_rows, &named("r.xlsx"))
        .await
        .unwrap();
    let bad: Vec<u32> = p
        .rows
        .iter()
        .filter(|r| {
            r.errors
                .iter()
                .any(|e| e.zh.contains("合并的单元格（A2:A3）"))
        })
        .map(|r| r.line)
        .collect();
    assert_eq!(bad, [2, 3], "both rows of the merged range are flagged");
    assert_eq!(p.rows[2].action, RowAction::New, "row 4 is fine");

    // Past the row limit (make.py huge_test: 60,000 rows; the benchmark measures the 700,000-row one, 107 MiB of XML).
    let huge = workbook(dir.path(), "huge_test");
    let e = import::preview_with(&db, kind, &huge, &named("huge.xlsx"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "import.too_big");
    assert!(e.zh.message.contains("50000") && !e.zh.remedy.is_empty());

    let mut big = b"PK\x03\x04".to_vec();
    big.resize(excel::MAX_FILE_BYTES + 1, 0);
    let e = import::preview_with(&db, kind, &big, &named("big.xlsx"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "import.too_big");

    assert!(
        list_stores(&db, "", true).await.unwrap().is_empty(),
        "nothing written"
    );
}

#[tokio::test]
async fn xlsx_export_reads_back_in_openpyxl_and_imports_again() {
    let (dir, db) = db().await;
    for (code, name) in [("000123", "南山店"), ("1001", "=HYPERLINK(\"http://x\")")] {
        save_store(
            &db,
            None,
            StoreInput {
                org_code: code.into(),
                name: name.into(),
                company: "晋业餐饮".into(),
                address: "深圳市南山区科技园南区 1 栋".into(),
            },
        )
        .await
        .unwrap();
    }
    let path = dir.path().join("门店.xlsx");
    let n = import::export_to(&db, RecordKind::Stores, &path, false)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let wb = read_back(&path);
    let ws = &wb[0];
    assert_eq!(ws["name"], "门店");
    assert_eq!(ws["freeze"], "A2", "frozen header");
    assert_eq!(ws["filter"], "A1:E3", "autofilter over the table");
    let rows = ws["rows"].as_array().unwrap();
    let header: Vec<&str> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["v"].as_str().unwrap())
        .collect();
    assert_eq!(
        header,
        ["机构编号", "组织/公司", "门店名称", "地址", "已归档"]
    );
    let code = |r: usize| &rows[r].as_array().unwrap()[0];
    let codes: Vec<(&str, &str, &str)> = (1..3)
        .map(|r| {
            (
                code(r)["v"].as_str().unwrap(),
                code(r)["t"].as_str().unwrap(),
                code(r)["f"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(codes.contains(&("000123", "s", "@")), "{codes:?}");
    assert!(
        codes.contains(&("1001", "s", "@")),
        "codes are text cells: {codes:?}"
    );
    let names: Vec<&str> = (1..3)
        .map(|r| rows[r].as_array().unwrap()[2]["v"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"'=HYPERLINK(\"http://x\")"),
        "defused: {names:?}"
    );
    let widths = ws["widths"].as_object().unwrap();
    assert!(
        widths["D"].as_f64().unwrap() > 20.0,
        "address column is wide: {widths:?}"
    );

    // English headers when the UI is English; they import back too.
    let en = dir.path().join("stores.xlsx");
    import::export_to(&db, RecordKind::Stores, &en, true)
        .await
        .unwrap();
    assert_eq!(read_back(&en)[0]["rows"][0][0]["v"], "org_code");
    let bytes = std::fs::read(&path).unwrap();
    let p = import::preview_with(&db, RecordKind::Stores, &bytes, &named("门店.xlsx"))
        .await
        .unwrap();
    assert_eq!((p.unchanged_rows, p.invalid_rows), (2, 0), "{:?}", p.rows);
}
