//! The mini-program code cache (migration 0004): put/get by every parameter, integrity, refusal of
//! non-images, list, delete, prune — on SQLite and on PostgreSQL.

mod common;

use tapstand_store::wxacode::{sha256_hex, WxacodeError, WxacodeKey};

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
const JPG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 9, 9, 9];

both!(codes_are_cached_by_all_their_parameters, |f| async move {
    let db = f.db;
    let key = WxacodeKey::for_print("wx1234567890abcdef", "s=18", "pages/member/index");
    assert_eq!(db.wxacode_get(&key).await.unwrap(), None);

    let put = db.wxacode_put(&key, JPG, 1_700_000_000_000).await.unwrap();
    assert_eq!(put.mime, "image/jpeg");
    assert_eq!(put.sha256, sha256_hex(JPG));
    let got = db.wxacode_get(&key).await.unwrap().unwrap();
    assert_eq!(got.bytes, JPG);
    assert_eq!(got.fetched_at, 1_700_000_000_000);
    assert!(got.last_used_at.is_some());

    // Another parameter is another picture.
    let hyaline = WxacodeKey {
        is_hyaline: true,
        ..key.clone()
    };
    assert_eq!(db.wxacode_get(&hyaline).await.unwrap(), None);
    db.wxacode_put(&hyaline, PNG, 1_700_000_000_001)
        .await
        .unwrap();
    let small = WxacodeKey {
        width: 430,
        ..key.clone()
    };
    assert_eq!(db.wxacode_get(&small).await.unwrap(), None);
    let other_app = WxacodeKey {
        appid: "wx0000000000000000".into(),
        ..key.clone()
    };
    assert_eq!(db.wxacode_get(&other_app).await.unwrap(), None);

    // Replacing keeps one row.
    db.wxacode_put(&key, PNG, 1_700_000_000_002).await.unwrap();
    let got = db.wxacode_get(&key).await.unwrap().unwrap();
    assert_eq!(
        (got.mime.as_str(), got.bytes.as_slice()),
        ("image/png", PNG)
    );
    let list = db.wxacode_list(&key.appid).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].fetched_at, 1_700_000_000_002.0);
    assert_eq!(list[0].size_bytes as usize, PNG.len());

    assert_eq!(
        db.wxacode_delete_scene(&key.appid, "s=18").await.unwrap(),
        2
    );
    assert!(db.wxacode_list(&key.appid).await.unwrap().is_empty());
    db.close().await;
});

both!(an_error_answer_is_never_cached, |f| async move {
    let db = f.db;
    let key = WxacodeKey::for_print("wx1234567890abcdef", "s=18", "");
    let err = db
        .wxacode_put(&key, br#"{"errcode":41030,"errmsg":"invalid page"}"#, 1)
        .await
        .unwrap_err();
    assert!(matches!(err, WxacodeError::NotAnImage { .. }));
    let user: tapstand_error::UserError = err.into();
    assert_eq!(user.code, "wxacode.not_an_image");
    assert_eq!(db.wxacode_get(&key).await.unwrap(), None);
    // The scene rule is enforced by the table too.
    let long = WxacodeKey::for_print("wx1234567890abcdef", &"a".repeat(33), "");
    assert!(db.wxacode_put(&long, PNG, 1).await.is_err());
});

both!(
    a_damaged_row_is_dropped_and_reads_as_a_miss,
    |f| async move {
        let db = f.db;
        let key = WxacodeKey::for_print("wx1234567890abcdef", "s=19", "");
        db.wxacode_put(&key, JPG, 5).await.unwrap();
        common::exec(
            &db,
            "UPDATE wxacode_cache SET bytes = x'FFD8FF00000000'",
            "UPDATE wxacode_cache SET bytes = '\\xFFD8FF00000000'::bytea",
        )
        .await;
        assert_eq!(db.wxacode_get(&key).await.unwrap(), None);
        assert!(db.wxacode_list(&key.appid).await.unwrap().is_empty());
    }
);

both!(old_unused_codes_are_pruned, |f| async move {
    let db = f.db;
    let old = WxacodeKey::for_print("wx1234567890abcdef", "s=1", "");
    let used = WxacodeKey::for_print("wx1234567890abcdef", "s=2", "");
    db.wxacode_put(&old, JPG, 10).await.unwrap();
    db.wxacode_put(&used, JPG, 10).await.unwrap();
    db.wxacode_get(&used).await.unwrap().unwrap(); // marks it used now
    assert_eq!(db.wxacode_prune(1_000).await.unwrap(), 1);
    assert!(db.wxacode_get(&used).await.unwrap().is_some());
    assert!(db.wxacode_get(&old).await.unwrap().is_none());
});
