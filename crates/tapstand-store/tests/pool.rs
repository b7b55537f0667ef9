//! The pool of pre-generated links on both backends: recorded before WeChat answers, claimed once per
//! tag (the same tag gets its own link back, a link never goes to a second tag), claims racing from two
//! handles (two PCs) never hand one link twice, and the summary counts what is left.

mod common;

use std::collections::BTreeSet;

use tapstand_store::pool::NewPoolLink;
use tapstand_store::station::StationAttempt;
use tapstand_store::Db;

const MODEL: &str = "model-1";
const TARGET: &str = "store:1";

fn link(seq: i64) -> NewPoolLink {
    NewPoolLink {
        appid: "wx1234567890abcdef".into(),
        model_id: MODEL.into(),
        target: TARGET.into(),
        target_label: "门店 1001 人民路店".into(),
        seq,
        sn: format!("1001-{seq:06}"),
        path: "pages/member/index".into(),
        query: format!("s=1&sn=1001-{seq:06}"),
        generated_by: "HQ".into(),
    }
}

fn openlink(seq: i64) -> String {
    format!("weixin://dl/business/?t=pool{seq:07}")
}

/// `n` links for the target, all with their openlink.
async fn fill(db: &Db, n: i64) {
    for seq in 1..=n {
        let id = db.pool_insert(&link(seq), 1_000).await.unwrap().unwrap();
        db.pool_set_openlink(id, &openlink(seq)).await.unwrap();
    }
}

both!(
    claims_are_per_tag_and_a_link_goes_to_one_tag,
    |f| async move {
        let db = f.db;
        assert_eq!(db.pool_next_seq(MODEL, TARGET).await.unwrap(), 1);
        let a = db.pool_insert(&link(1), 1_000).await.unwrap().unwrap();
        let b = db.pool_insert(&link(2), 1_000).await.unwrap().unwrap();
        let _unfinished = db.pool_insert(&link(3), 1_000).await.unwrap().unwrap();
        assert_eq!(
            db.pool_insert(&link(2), 1_000).await.unwrap(),
            None,
            "a sequence number another PC took is refused, not duplicated"
        );
        assert_eq!(db.pool_next_seq(MODEL, TARGET).await.unwrap(), 4);
        db.pool_set_openlink(a, &openlink(1)).await.unwrap();
        db.pool_set_openlink(b, &openlink(2)).await.unwrap();
        // A link's openlink is set once.
        db.pool_set_openlink(a, &openlink(9)).await.unwrap();
        let unfinished = db.pool_unfinished(MODEL, TARGET).await.unwrap();
        assert_eq!(unfinished.iter().map(|l| l.seq).collect::<Vec<_>>(), [3]);

        let first = db
            .pool_claim(MODEL, TARGET, "04AA01", "PC-1", 2_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (first.seq, first.openlink.as_deref()),
            (1, Some(openlink(1).as_str()))
        );
        assert_eq!(first.claimed_uid.as_deref(), Some("04AA01"));
        assert_eq!(first.claimed_by.as_deref(), Some("PC-1"));
        // The same tag again (a re-tap, a torn write): its own link, nothing new claimed.
        let again = db
            .pool_claim(MODEL, TARGET, "04AA01", "PC-2", 3_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, first);
        let second = db
            .pool_claim(MODEL, TARGET, "04AA02", "PC-2", 3_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.seq, 2);
        // The only other link is not finished: the pool is empty for a third tag.
        assert_eq!(
            db.pool_claim(MODEL, TARGET, "04AA03", "PC-1", 4_000)
                .await
                .unwrap(),
            None
        );
        // Another target's pool is another pool.
        assert_eq!(
            db.pool_claim(MODEL, "store:2", "04AA03", "PC-1", 4_000)
                .await
                .unwrap(),
            None
        );

        let s = db.pool_summaries().await.unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (
                s[0].total,
                s[0].free,
                s[0].claimed,
                s[0].written,
                s[0].unfinished
            ),
            (3, 0, 2, 0, 1)
        );
        // The station recorded the first tag verified with its link: written.
        db.station_upsert_tag(&StationAttempt {
            started_at: 5_000,
            uid: "04AA01".into(),
            model_id: MODEL.into(),
            sn: first.sn.clone(),
            openlink: first.openlink.clone(),
            target: TARGET.into(),
            result: "written".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let s = db.pool_summaries().await.unwrap();
        assert_eq!((s[0].claimed, s[0].written), (2, 1));
        assert_eq!(s[0].target_label, "门店 1001 人民路店");
    }
);

both!(
    two_pcs_claiming_at_once_never_share_a_link,
    |f| async move {
        fill(&f.db, 12).await;
        // A second handle on the same database: another process, another PC.
        let other = Db::open_url(&f.url).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let db = if i % 2 == 0 {
                f.db.clone()
            } else {
                other.clone()
            };
            tasks.push(tokio::spawn(async move {
                db.pool_claim(MODEL, TARGET, &format!("04BB{i:02}"), "PC", 1)
                    .await
                    .unwrap()
            }));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        let claimed: Vec<_> = got.iter().flatten().collect();
        assert_eq!(claimed.len(), 12, "every free link handed out, then none");
        let ids: BTreeSet<i64> = claimed.iter().map(|l| l.id).collect();
        assert_eq!(ids.len(), 12, "no link handed to two tags");
        let uids: BTreeSet<&str> = claimed
            .iter()
            .map(|l| l.claimed_uid.as_deref().unwrap())
            .collect();
        assert_eq!(uids.len(), 12);
        let s = f.db.pool_summaries().await.unwrap();
        assert_eq!((s[0].free, s[0].claimed), (0, 12));
    }
);
