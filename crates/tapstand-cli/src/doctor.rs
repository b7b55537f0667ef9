use tapstand_core::{doctor, AppPaths, UserError};

pub async fn run(paths: &AppPaths, json: bool) -> Result<(), UserError> {
    let r = doctor::run(paths).await;
    if json {
        crate::output::json(&r);
        return Ok(());
    }
    let yes_no = |b: bool| {
        if b {
            "可用 / available"
        } else {
            "不可用 / unavailable"
        }
    };
    println!("Tapstand {} ({}/{})", r.app_version, r.os, r.arch);
    println!("数据文件夹 / Data folder:   {}", r.data_dir);
    println!("日志文件夹 / Log folder:    {}", r.log_dir);
    let db = &r.database;
    let state = match (&db.error, db.schema_version) {
        (Some(e), _) => format!("错误 / error: {} — {}", e.zh.message, e.en.message),
        (None, Some(v)) => format!(
            "schema {v} (本版本支持 / supported: {})",
            db.known_schema_version
        ),
        (None, None) => "尚未创建 / not created yet".into(),
    };
    println!("数据库 / Database:          {}  [{}]", db.path, state);
    println!(
        "读卡服务 / PC/SC service:   {}",
        yes_no(r.readers.service_available)
    );
    if r.readers.readers.is_empty() {
        println!("读卡器 / Readers:           无 / none");
    }
    for reader in &r.readers.readers {
        println!("读卡器 / Reader:            {reader}");
    }
    if let Some(p) = &r.readers.problem {
        println!("  {} {}", p.zh.message, p.zh.remedy);
        println!("  {} {}", p.en.message, p.en.remedy);
    }
    if let Some(e) = &r.readers.error {
        println!("  ({e})");
    }
    println!(
        "钥匙串 / Keychain:          {} — {}",
        r.keychain.backend,
        yes_no(r.keychain.available)
    );
    if let Some(e) = &r.keychain.error {
        println!("  ({e})");
    }
    Ok(())
}
