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
        let probed = r.readers.details.iter().find(|d| &d.name == reader);
        let dialect = match probed.and_then(|d| d.dialect) {
            Some(tapstand_tag::PassThrough::Acr122Direct) => "  直通 / Direct Transmit",
            Some(tapstand_tag::PassThrough::Part3Transparent) => "  透明会话 / transparent session",
            Some(tapstand_tag::PassThrough::None) => "  仅标准命令 / pseudo-APDUs only",
            None => "",
        };
        let fw = probed
            .and_then(|d| d.firmware.as_deref())
            .map(|f| format!("  固件 / firmware {f}"))
            .unwrap_or_default();
        println!("读卡器 / Reader:            {reader}{dialect}{fw}");
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
    if let Some(p) = &r.smart_card_pnp {
        let state = match (p.policy_disabled, p.exempted) {
            (true, _) => "已由策略关闭 / off by policy",
            (false, true) => "开启，NFC 标签已排除 / on, NFC tags excepted",
            (false, false) => "开启 / on",
        };
        println!("智能卡即插即用 / Smart Card Plug and Play: {state}");
        if let Some(e) = &p.problem {
            println!("  {} {}", e.zh.message, e.zh.remedy);
            println!("  {} {}", e.en.message, e.en.remedy);
            println!("  管理员命令 / commands for an administrator:");
            for c in &p.it_commands {
                println!("    {c}");
            }
            println!("  撤销 / undo:");
            for c in &p.undo_commands {
                println!("    {c}");
            }
        }
        if let Some(e) = &p.error {
            println!("  ({e})");
        }
    }
    Ok(())
}
