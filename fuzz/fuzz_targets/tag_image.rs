//! Any byte string as a Type 2 tag memory dump (and as a bare NDEF message): decoding, inspection,
//! identification and write planning must never panic, and decoded messages must survive re-encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapstand_ndef::chip::{identify, ChipKind};
use tapstand_ndef::plan::{plan_content, plan_lock, plan_password};
use tapstand_ndef::t2t::{decode_image, lock_state, password_state, TagImage};
use tapstand_ndef::{check_wechat, Message, RecordView};

fn check_message(m: &Message) {
    let enc = m.encode().expect("a decoded message re-encodes");
    assert_eq!(&Message::decode(&enc).expect("re-encoded bytes decode"), m);
    for r in &m.records {
        let _ = RecordView::of(r);
    }
    let _ = check_wechat(m);
}

fuzz_target!(|data: &[u8]| {
    let d = decode_image(data);
    if let Some(Ok(m)) = &d.message {
        check_message(m);
    }
    if let Ok(m) = Message::decode(data) {
        check_message(&m);
    }
    let img = TagImage::from_bytes(data);
    let cc = img.cc().map(|c| c.0);
    let _ = identify(data, Some(data), data.first() == Some(&0), cc);
    let msg: &[u8] = match data.len() % 3 {
        0 => &[],
        1 => &[0xD0, 0x00, 0x00],
        _ => data.get(..data.len().min(300)).unwrap_or(&[]),
    };
    for kind in [ChipKind::Ntag213, ChipKind::Ntag215, ChipKind::Ntag216] {
        let _ = lock_state(kind, &img);
        let _ = password_state(kind, &img);
        let _ = plan_content(kind, &img, msg, false);
        // The planner proper works on an image of the chip's size: pad or cut the input to it.
        let pages = kind.geometry().map(|g| g.total_pages as usize).unwrap_or(0);
        let mut sized = data.to_vec();
        sized.resize(pages * 4, 0);
        let img = TagImage::from_bytes(&sized);
        if let Ok(plan) = plan_content(kind, &img, msg, data.len() % 2 == 0) {
            // Whatever the planner produces must decode back to the message it was asked to write.
            let out = decode_image(&plan.final_image.to_bytes_lossy());
            assert_eq!(out.message_bytes.as_deref(), Some(msg), "{kind:?}");
        }
        let _ = plan_lock(kind, &img);
        let _ = plan_password(kind, &img, [1, 2, 3, 4], [5, 6], 4);
    }
});
