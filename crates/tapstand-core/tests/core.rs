use tapstand_core::{doctor, AppPaths, Core, Language};

#[tokio::test]
async fn language_defaults_to_chinese_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let paths = AppPaths::under(dir.path().to_path_buf());
    let core = Core::open(paths.clone()).await.unwrap();
    assert_eq!(core.language().await.unwrap(), Language::ZhCn);
    core.set_language(Language::EnUs).await.unwrap();
    core.db.clone().close().await;
    let core = Core::open(paths).await.unwrap();
    let info = core.app_info().await.unwrap();
    assert_eq!(info.language, Language::EnUs);
    assert_eq!(
        info.schema_version as i64,
        tapstand_store::known_schema_version()
    );
}

#[tokio::test]
async fn doctor_reads_without_creating_or_changing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let paths = AppPaths::under(dir.path().join("data"));
    let report = doctor::run(&paths).await;
    assert!(!report.database.exists);
    assert_eq!(report.database.schema_version, None);
    assert!(
        !paths.db_path.exists(),
        "doctor must not create the database"
    );

    std::fs::create_dir_all(&paths.data_dir).unwrap();
    std::fs::write(&paths.db_path, b"not a database at all, just text").unwrap();
    let report = doctor::run(&paths).await;
    let err = report.database.error.expect("a foreign file is reported");
    assert_eq!(err.code, "db.not_a_database");
    assert!(!err.zh.remedy.is_empty() && !err.en.remedy.is_empty());
    assert_eq!(
        std::fs::read(&paths.db_path).unwrap(),
        b"not a database at all, just text"
    );
}
