//! The test rig itself, through the real pcscd + vpcd: put / take away, faults, unplug / replug.
//! Skipped, saying why, when pcscd or vsmartcard-vpcd is not installed.

use std::ffi::CString;
use std::time::{Duration, Instant};

use tapstand_vtag::{content, nth_uid, Content, Rig, TagState, VChip, VPCD_READER};

fn connect() -> pcsc::Card {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("context");
    let name = CString::new(VPCD_READER).unwrap();
    ctx.connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .expect("connect")
}

fn uid_of(card: &pcsc::Card) -> Result<Vec<u8>, pcsc::Error> {
    let mut buf = [0u8; 64];
    card.transmit(&[0xFF, 0xCA, 0x00, 0x00, 0x00], &mut buf)
        .map(|r| r.to_vec())
}

#[test]
fn put_faults_unplug_replug() {
    let Some(mut rig) = Rig::start("rig: put, faults, unplug, replug") else {
        return;
    };
    let uid = nth_uid(900);
    assert!(rig.reader_state().listed);

    // Put down, talk to it, read the memory back.
    rig.present(VChip::Ntag213, uid);
    assert!(rig.tag_present());
    let card = connect();
    let r = uid_of(&card).unwrap();
    assert_eq!(&r[..7], &uid);
    assert_eq!(&r[7..], &[0x90, 0x00]);
    assert_eq!(rig.apdus(), 1);
    assert_eq!(content(&rig.memory()), Content::Empty);

    // Latency per APDU.
    rig.set_latency(Duration::from_millis(60));
    let t = Instant::now();
    uid_of(&card).unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(60),
        "{:?}",
        t.elapsed()
    );
    rig.set_latency(Duration::ZERO);

    // Pulled off after the next APDU: no answer, the tag is gone; put back, it answers again.
    rig.remove_after_apdu(rig.apdus() + 1);
    // Through vpcd a pulled tag gives an empty answer (or an error), never a status word.
    let r = uid_of(&card);
    assert!(matches!(&r, Ok(v) if v.is_empty()) || r.is_err(), "{r:?}");
    drop(card);
    let t = Instant::now();
    while rig.tag_present() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!rig.tag_present());
    rig.put_back();
    assert!(rig.tag_present());
    assert_eq!(&uid_of(&connect()).unwrap()[..7], &uid);

    // Preset memory: a broken TLV is what the chip then holds.
    rig.put(TagState::factory(VChip::Ntag215, uid).with_bytes_at(16, &[0x03, 0xFF, 0x07, 0x00]));
    assert!(matches!(content(&rig.memory()), Content::Invalid(_)));

    // Unplug: pcscd runs, with no reader; replug: the reader and the tag lying on it are back.
    if !rig.can_unplug() {
        eprintln!("pcscd was started by someone else: unplug/replug part skipped");
        return;
    }
    rig.unplug().unwrap();
    let s = rig.reader_state();
    assert!(!s.listed, "{s:?}");
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("pcscd still runs");
    match ctx.list_readers_owned() {
        Err(pcsc::Error::NoReadersAvailable) => {}
        Ok(v) => assert!(
            v.iter().all(|n| n.to_string_lossy() != VPCD_READER),
            "{v:?}"
        ),
        Err(e) => panic!("{e}"),
    }
    rig.replug().unwrap();
    let s = rig.reader_state();
    assert!(s.listed && s.tag_present, "{s:?}");
    assert_eq!(&uid_of(&connect()).unwrap()[..7], &uid);
    rig.take_away();
    assert!(!rig.tag_present());
}
