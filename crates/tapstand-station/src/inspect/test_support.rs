//! What the inspector's unit tests share: virtual tags read in process, and a scratch database.

use tapstand_store::Db;
use tapstand_tag::inproc::InProcessTransport;
use tapstand_tag::ndef::wechat::wechat_message;
use tapstand_tag::{quirks_for, TagReport, TagSession};
use tapstand_vtag::{TagState, VChip};

pub const OURS: &str = "weixin://dl/business/?t=OurTicket01";
pub const OTHER: &str = "weixin://dl/business/?t=OtherTick02";
/// 2026-11-20 10:00 China time.
pub const WRITTEN_AT: i64 = 1_795_140_000_000;

pub fn read(tag: TagState) -> TagReport {
    let t = InProcessTransport::with_tag(tag);
    TagSession::new(t, quirks_for("Virtual PCD 00 00"))
        .read_tag()
        .expect("read")
}

pub fn hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

pub fn wechat_tag(uid: [u8; 7], link: &str) -> TagState {
    let m = wechat_message(link).unwrap().encode().unwrap();
    TagState::with_message(VChip::Ntag215, uid, &m)
}

pub async fn db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("t.db")).await.unwrap();
    (db, dir)
}
