//! Writes the seed corpus of the `tag_image` and `inspect` fuzz targets (fuzz/seeds/): memory dumps of
//! virtual tags in every state Tapstand meets, plus bare NDEF messages.
//! `cargo run -p tapstand-vtag --example fuzz_seeds -- fuzz/seeds`

use tapstand_ndef::uri::uri_record_with_code;
use tapstand_ndef::view::{aar_record, text_record};
use tapstand_ndef::wechat::{uri_and_aar, wechat_message, WECHAT_PACKAGE};
use tapstand_ndef::{Message, Record, Tnf};
use tapstand_vtag::{nth_uid, TagState, VChip};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/seeds".into());
    std::fs::create_dir_all(&dir).expect("seed dir");
    let save = |name: &str, bytes: &[u8]| {
        std::fs::write(format!("{dir}/{name}"), bytes).expect("write seed")
    };
    let wechat = wechat_message("weixin://dl/business/?t=XTSkBZlzqmn")
        .unwrap()
        .encode()
        .unwrap();
    let big = uri_and_aar(
        &format!("https://example.com/{}", "y".repeat(300)),
        Some(WECHAT_PACKAGE),
    )
    .encode()
    .unwrap();
    let uid = nth_uid(1);
    for (chip, n) in [
        (VChip::Ntag213, "213"),
        (VChip::Ntag215, "215"),
        (VChip::Ntag216, "216"),
    ] {
        save(
            &format!("ntag{n}-factory.bin"),
            &TagState::factory(chip, uid).mem,
        );
        save(
            &format!("ntag{n}-blank.bin"),
            &TagState::blank(chip, uid).mem,
        );
        save(
            &format!("ntag{n}-wechat.bin"),
            &TagState::with_message(chip, uid, &wechat).mem,
        );
        let mut locked = TagState::with_message(chip, uid, &wechat);
        locked.lock();
        save(&format!("ntag{n}-locked.bin"), &locked.mem);
        let mut pw = TagState::with_message(chip, uid, &wechat);
        pw.protect([1, 2, 3, 4], [5, 6], 4, false);
        save(
            &format!("ntag{n}-password.bin"),
            &pw.image().to_bytes_lossy(),
        );
        if chip != VChip::Ntag213 {
            save(
                &format!("ntag{n}-3byte-length.bin"),
                &TagState::with_message(chip, uid, &big).mem,
            );
        }
    }
    // A 215 with a Memory Control TLV reserving bytes inside the data area.
    let mut m = TagState::factory(VChip::Ntag215, uid).mem;
    m[16..24].copy_from_slice(&[0x02, 0x03, 0x18, 0x04, 0x04, 0x03, 0x00, 0xFE]);
    save("ntag215-memory-control.bin", &m);
    // What the inspector tells apart: a plain-text scheme, a Smart Poster around a WeChat link, a text,
    // the AAR before the link.
    let m = uri_and_aar(
        "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/a/b&query=x%3D1%26y%3D2&env_version=trial",
        Some(WECHAT_PACKAGE),
    )
    .encode()
    .unwrap();
    save(
        "ntag215-plaintext.bin",
        &TagState::with_message(VChip::Ntag215, uid, &m).mem,
    );
    let poster = Message::new(vec![
        uri_record_with_code("weixin://dl/business/?t=XTSkBZlzqmn", 0),
        text_record("zh", "会员卡"),
    ])
    .encode()
    .unwrap();
    let m = Message::new(vec![
        Record::new(Tnf::WellKnown, "Sp", poster),
        aar_record(WECHAT_PACKAGE),
    ])
    .encode()
    .unwrap();
    save(
        "ntag213-smart-poster.bin",
        &TagState::with_message(VChip::Ntag213, uid, &m).mem,
    );
    let m = Message::new(vec![text_record("zh", "欢迎光临")])
        .encode()
        .unwrap();
    save(
        "ntag213-text.bin",
        &TagState::with_message(VChip::Ntag213, uid, &m).mem,
    );
    let m = Message::new(vec![
        aar_record(WECHAT_PACKAGE),
        uri_record_with_code("weixin://dl/business/?t=XTSkBZlzqmn", 0),
    ])
    .encode()
    .unwrap();
    save(
        "ntag213-aar-first.bin",
        &TagState::with_message(VChip::Ntag213, uid, &m).mem,
    );
    // Seen on a tag (panicked the inspector): a plain-text scheme whose query has `%` before a Chinese
    // character, as a URI record with the AAR and as a Text record.
    let plaintext =
        "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/index/index&query=vip%优惠";
    let m = uri_and_aar(plaintext, Some(WECHAT_PACKAGE))
        .encode()
        .unwrap();
    save(
        "regress-plaintext-percent.bin",
        &TagState::with_message(VChip::Ntag215, uid, &m).mem,
    );
    let m = Message::new(vec![text_record("zh", plaintext)])
        .encode()
        .unwrap();
    save(
        "regress-text-percent.bin",
        &TagState::with_message(VChip::Ntag213, uid, &m).mem,
    );
    save("ndef-wechat.bin", &wechat);
    save("ndef-long-record.bin", &big);
    save(
        "ndef-text-id.bin",
        &[
            0xD9, 0x01, 0x05, 0x02, b'T', b'i', b'd', 0x02, b'e', b'n', b'h', b'i',
        ],
    );
    save("ndef-empty-record.bin", &[0xD0, 0x00, 0x00]);
}
