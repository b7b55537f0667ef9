//! The storage API on both backends, one body each: settings, records (CRUD, search, order, bulk upsert,
//! references), the scheme ledger's compare-and-set moves (also between two handles = two processes or
//! two PCs), owner liveness, and the station history.

mod common;

use tapstand_store::ledger::{ExistingOutcome, NewSchemeRequest, SchemeState};
use tapstand_store::records::{StoreInput, TerminalInput, Upsert};
use tapstand_store::station::{HistoryFilter, StationAttempt};
use tapstand_store::Db;

fn req<'a>(sn: &'a str) -> NewSchemeRequest<'a> {
    NewSchemeRequest {
        api_base: "http://127.0.0.1:1",
        appid: "wx1234567890abcdef",
        model_id: "model-1",
        sn,
        path: "pages/index/index",
        query: "s=1",
        env_version: "release",
    }
}

fn store(code: &str, name: &str) -> StoreInput {
    StoreInput {
        org_code: code.into(),
        name: name.into(),
        ..Default::default()
    }
}

both!(settings_round_trip, |f| async move {
    let db = f.db;
    assert_eq!(db.get_setting("language").await.unwrap(), None);
    db.set_setting("language", "zh-CN").await.unwrap();
    db.set_setting("language", "en-US").await.unwrap();
    assert_eq!(
        db.get_setting("language").await.unwrap().as_deref(),
        Some("en-US")
    );
});

both!(stores_search_order_upsert_and_references, |f| async move {
    let db = f.db;
    let rows = [
        store("10", "人民路店"),
        store("9", "Jiefang Road"),
        store("A1", "机场店"),
        store("2", "解放路店"),
    ];
    let fates = db.upsert_stores(&rows).await.unwrap();
    assert_eq!(fates, [Upsert::Inserted; 4]);
    // Numerically where a number (a non-number counts as 0), then by text.
    let codes: Vec<String> = db
        .list_stores("", false)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.org_code)
        .collect();
    assert_eq!(codes, ["A1", "2", "9", "10"]);
    // Case-insensitive for ASCII; LIKE wildcards are literal.
    assert_eq!(db.list_stores("jiefang", false).await.unwrap().len(), 1);
    assert_eq!(db.list_stores("路", false).await.unwrap().len(), 2);
    assert!(db.list_stores("%", false).await.unwrap().is_empty());
    // Again: unchanged, changed, new; all or nothing.
    let again = [
        store("10", "人民路店"),
        store("9", "解放路旗舰店"),
        store("11", "新店"),
    ];
    assert_eq!(
        db.upsert_stores(&again).await.unwrap(),
        [Upsert::Unchanged, Upsert::Updated, Upsert::Inserted]
    );
    let bad = [store("12", "好店"), store("13", " ")];
    assert!(db.upsert_stores(&bad).await.is_err());
    assert!(
        db.store_by_org_code("12").await.unwrap().is_none(),
        "all or nothing"
    );
    // A duplicate key is a unique violation; a referenced store cannot be deleted.
    let e = db.insert_store(&store("10", "重复")).await.unwrap_err();
    assert!(e.is_unique_violation(), "{e:?}");
    let s10 = db.store_by_org_code("10").await.unwrap().unwrap();
    let t = db
        .insert_terminal(&TerminalInput {
            store_id: Some(s10.id),
            machine_no: "1".into(),
            terminal_no: "519181767".into(),
            note: String::new(),
        })
        .await
        .unwrap();
    let e = db.delete_store(s10.id).await.unwrap_err();
    assert!(e.is_referenced(), "{e:?}");
    assert!(db.set_store_archived(s10.id, true).await.unwrap());
    assert_eq!(db.list_stores("", false).await.unwrap().len(), 4);
    assert_eq!(db.list_stores("", true).await.unwrap().len(), 5);
    assert_eq!(db.list_terminals("人民", false).await.unwrap()[0].id, t);
    assert!(db.delete_terminal(t).await.unwrap());
    assert!(db.delete_store(s10.id).await.unwrap());
});

both!(profiles_and_models, |f| async move {
    let db = f.db;
    let p = db
        .insert_profile(&tapstand_store::records::ProfileInput {
            name: "会员中心".into(),
            appid: "wx1234567890abcdef".into(),
            env_version: "release".into(),
            page_path: "pages/member/index".into(),
            query_template: "s={store_id}".into(),
            only_genuine: true,
        })
        .await
        .unwrap();
    db.set_profile_secret_saved(p, true).await.unwrap();
    let got = db.get_profile(p).await.unwrap().unwrap();
    assert!(got.secret_saved);
    assert!(got.only_genuine, "只写 NXP 原厂芯片 is kept");
    assert_eq!(db.list_profiles().await.unwrap(), [got]);
    let m = db
        .insert_device_model(&tapstand_store::records::DeviceModelInput {
            profile_id: Some(p),
            model_id: Some("model-1".into()),
            model_name: "ZHS-NTAG216".into(),
            link_type: "per_device".into(),
            status: "approved".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        db.get_device_model(m)
            .await
            .unwrap()
            .unwrap()
            .model_id
            .as_deref(),
        Some("model-1")
    );
    assert!(db.delete_profile(p).await.unwrap_err().is_referenced());
});

both!(the_ledger_moves_by_compare_and_set, |f| async move {
    let db = f.db;
    let row = db
        .scheme_record_request(&req("04A1B2C3D4E5F6"))
        .await
        .unwrap();
    assert_eq!(row.state, SchemeState::Pending);
    let call = db
        .scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
        .await
        .unwrap()
        .expect("a pending row starts a call");
    // A second begin on the same row loses (it is in flight now).
    assert_eq!(
        db.scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
            .await
            .unwrap(),
        None
    );
    let row2 = db
        .scheme_find("model-1", "04A1B2C3D4E5F6")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row2.state, SchemeState::InFlight);
    assert_eq!(row2.in_flight_owner.as_deref(), Some(db.owner_token()));
    assert!(db.owner_alive(db.owner_token()).await);
    let link = "weixin://dl/business/?t=abcdefghij";
    assert!(db.scheme_finish_issued(row.id, call, link).await.unwrap());
    let done = db.scheme_find_by_openlink(link).await.unwrap().unwrap();
    assert_eq!((done.state, done.attempts), (SchemeState::Issued, 1));
    assert!(
        !db.scheme_finish_issued(row.id, call, "weixin://dl/business/?t=other")
            .await
            .unwrap(),
        "an issued link is never replaced"
    );
    // 9800010 with a URL after an unanswered call of ours; the quota counts.
    let r = db
        .scheme_record_request(&req("04FFFFFFFFFFFF"))
        .await
        .unwrap();
    let c1 = db
        .scheme_begin_call(r.id, false, 0, None, "x")
        .await
        .unwrap()
        .unwrap();
    db.scheme_finish_unknown(r.id, c1, "timeout").await.unwrap();
    assert!(
        db.scheme_begin_call(r.id, false, 0, None, "x")
            .await
            .unwrap()
            .is_none(),
        "unknown needs an explicit resolve"
    );
    let c2 = db
        .scheme_begin_call(r.id, true, 0, None, "x")
        .await
        .unwrap()
        .unwrap();
    assert!(db.scheme_had_unanswered_call(r.id, c2).await.unwrap());
    db.scheme_finish_existing(
        r.id,
        c2,
        ExistingOutcome::Recovered { own: true },
        Some("weixin://dl/business/?t=recovered"),
        "exists",
    )
    .await
    .unwrap();
    let rec = db.scheme_get(r.id).await.unwrap().unwrap();
    assert_eq!(
        (rec.state, rec.recovered_own),
        (SchemeState::Recovered, Some(true))
    );
    let q = db.scheme_quota("wx1234567890abcdef", 0).await.unwrap();
    assert_eq!(
        (q.lifetime_issued, q.today_issued, q.unanswered_calls),
        (1, 1, 1)
    );
    assert_eq!(db.scheme_list(10).await.unwrap().len(), 2);
    // A definite failure goes back to pending.
    let p = db
        .scheme_record_request(&req("04EEEEEEEEEEEE"))
        .await
        .unwrap();
    let c = db
        .scheme_begin_call(p.id, false, 0, None, "x")
        .await
        .unwrap()
        .unwrap();
    db.scheme_finish_failed(p.id, c, Some(40001), "bad token")
        .await
        .unwrap();
    let p = db.scheme_get(p.id).await.unwrap().unwrap();
    assert_eq!(
        (p.state, p.last_errcode),
        (SchemeState::Pending, Some(40001))
    );
});

both!(
    two_handles_racing_for_one_sn_start_one_call,
    |f| async move {
        // Two handles = two processes (or two PCs on a team database), each with its own owner token.
        let a = f.db;
        let b = Db::open_url(&f.url).await.unwrap();
        assert_ne!(a.owner_token(), b.owner_token());
        for round in 0..20 {
            let sn = format!("04{round:012X}");
            let r = req(&sn);
            let (ra, rb) = tokio::join!(a.scheme_record_request(&r), b.scheme_record_request(&r));
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            assert_eq!(ra.id, rb.id, "one row per (model_id, sn)");
            let (ca, cb) = tokio::join!(
                a.scheme_begin_call(ra.id, false, 0, None, "x"),
                b.scheme_begin_call(rb.id, false, 0, None, "x")
            );
            let won = [ca.unwrap(), cb.unwrap()]
                .iter()
                .filter(|c| c.is_some())
                .count();
            assert_eq!(won, 1, "round {round}: exactly one call begins");
        }
        // The other handle is alive while open; once it is gone its rows can be taken over.
        let row = b
            .scheme_record_request(&req("04DEADDEADDEAD"))
            .await
            .unwrap();
        b.scheme_begin_call(row.id, false, 0, None, "x")
            .await
            .unwrap()
            .unwrap();
        let owner = b.owner_token().to_string();
        assert!(a.owner_alive(&owner).await);
        b.close().await;
        let mut gone = false;
        for _ in 0..100 {
            if !a.owner_alive(&owner).await {
                gone = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(gone, "a closed handle's owner is not alive");
        assert!(!a.owner_alive(&owner).await);
        let far_past = 0;
        assert!(
            a.scheme_begin_call(row.id, true, far_past, Some(&owner), "x")
                .await
                .unwrap()
                .is_some(),
            "a dead owner's call is taken over"
        );
    }
);

both!(station_history_pages_and_tags, |f| async move {
    let db = f.db;
    for i in 0..5i64 {
        let a = StationAttempt {
            started_at: 1_000 + i,
            uid: format!("04AA{i:02}"),
            model_id: "model-1".into(),
            sn: format!("04AA{i:02}"),
            openlink: Some(format!("weixin://dl/business/?t=link{i}")),
            target: "store:1".into(),
            target_label: "人民路店".into(),
            store_id: Some(1),
            result: if i == 4 {
                "failed".into()
            } else {
                "written".into()
            },
            locked: i == 0,
            // An NXP original, a compatible chip, and chips that cannot be checked.
            genuine: match i {
                0 => Some(true),
                1 => Some(false),
                _ => None,
            },
            ..Default::default()
        };
        let id = db.station_insert_attempt(&a).await.unwrap();
        assert!(id > 0);
        if i < 4 {
            db.station_upsert_tag(&a).await.unwrap();
        }
    }
    // Re-verifying keeps a lock (flags: OR), counts.
    let again = StationAttempt {
        started_at: 2_000,
        uid: "04AA00".into(),
        model_id: "model-1".into(),
        sn: "04AA00".into(),
        openlink: Some("weixin://dl/business/?t=link0".into()),
        target: "store:1".into(),
        result: "already_correct".into(),
        locked: false,
        ..Default::default()
    };
    db.station_upsert_tag(&again).await.unwrap();
    let t = db
        .station_find_tag("04AA00", "model-1")
        .await
        .unwrap()
        .unwrap();
    assert!(t.locked);
    assert_eq!((t.verify_count, t.last_verified_at), (2, 2_000));
    assert_eq!(
        t.genuine,
        Some(true),
        "a later tap that could not check keeps the last verdict"
    );
    let page = db
        .station_history_page(&HistoryFilter {
            limit: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((page.total, page.ok, page.failed, page.tags), (5, 4, 1, 5));
    assert_eq!(page.rows.len(), 2);
    assert_eq!(page.rows[0].started_at, 1_004, "newest first");
    let failed = db
        .station_history(&HistoryFilter {
            result: Some("failed".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    let found = db
        .station_history(&HistoryFilter {
            search: Some("aa03".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "search is case-insensitive for ASCII");
    let mut n = 0;
    let streamed = db
        .station_history_for_each::<tapstand_store::StoreError, _>(
            &HistoryFilter::default(),
            |_| {
                n += 1;
                Ok(())
            },
        )
        .await
        .unwrap();
    assert_eq!((streamed, n), (5, 5));
    let mut verdicts = Vec::new();
    let tags = db
        .station_tags_for_each::<tapstand_store::StoreError, _>(|t| {
            verdicts.push((t.uid, t.genuine));
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(tags, 4);
    assert_eq!(
        verdicts[..2],
        [
            ("04AA00".to_string(), Some(true)),
            ("04AA01".to_string(), Some(false))
        ],
        "the register, oldest first, with the genuine verdicts"
    );
    let attempts = db.station_history(&HistoryFilter::default()).await.unwrap();
    assert_eq!(attempts.last().unwrap().genuine, Some(true));
    assert_eq!(attempts[attempts.len() - 2].genuine, Some(false));
    assert_eq!(db.station_tags_by_uid("04AA01").await.unwrap().len(), 1);
    assert_eq!(
        db.station_tags_by_openlink("weixin://dl/business/?t=link2")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        db.station_good_attempts_by_openlink("weixin://dl/business/?t=link1")
            .await
            .unwrap()
            .len(),
        1
    );
});

both!(derived_sns_are_recorded_once, |f| async move {
    let db = f.db;
    assert_eq!(
        db.scheme_derived("model-1", "04A1B2C3D4E5F6-2")
            .await
            .unwrap(),
        None
    );
    db.scheme_record_derived("model-1", "04A1B2C3D4E5F6-2", "04A1B2C3D4E5F6", "lost")
        .await
        .unwrap();
    // A second record of the same sn keeps the first (idempotent: the walk is replayed at every tap).
    db.scheme_record_derived(
        "model-1",
        "04A1B2C3D4E5F6-2",
        "04A1B2C3D4E5F6",
        "used_elsewhere",
    )
    .await
    .unwrap();
    let d = db
        .scheme_derived("model-1", "04A1B2C3D4E5F6-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.sn.as_str(), d.derived_from.as_str(), d.reason.as_str()),
        ("04A1B2C3D4E5F6-2", "04A1B2C3D4E5F6", "lost")
    );
    assert!(d.created_at > 0);
    assert_eq!(
        db.scheme_derived("model-2", "04A1B2C3D4E5F6-2")
            .await
            .unwrap(),
        None
    );
    // Only the two reasons the code knows.
    assert!(db
        .scheme_record_derived("model-1", "X-2", "X", "whatever")
        .await
        .is_err());
});
