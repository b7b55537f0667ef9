//! `tapstand-cli readers --json` (issue 23): each process probes the readers with a tag on them and says
//! how they pass native commands — a reader whose name says nothing, speaking each dialect in turn
//! (the ACR122U, ACR1252U and OMNIKEY doubles of `tapstand_vtag::readers` behind the real pcscd + vpcd),
//! and the ACR122U's firmware string. Skipped, saying why, without pcscd/vpcd.

use std::process::Command;

use tapstand_vtag::{nth_uid, ReaderModel, Rig, TagState, VChip};

fn readers_json(dir: &std::path::Path) -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_tapstand-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(["readers", "--json"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn readers_json_says_each_readers_dialect_found_by_probing() {
    let Some(mut rig) = Rig::start("cli: readers --json") else {
        return;
    };
    assert!(
        rig.can_unplug(),
        "renaming the reader needs a pcscd of its own"
    );
    let dir = tempfile::tempdir().unwrap();
    let reader = rig.rename(Some("Generic USB NFC Reader")).unwrap();
    for (i, (model, dialect, firmware)) in [
        (ReaderModel::Acr122u, "acr122_direct", Some("ACR122U215")),
        (ReaderModel::Acr1252u, "part3_transparent", None),
        (ReaderModel::Omnikey5422, "none", None),
    ]
    .into_iter()
    .enumerate()
    {
        rig.vt.set_model(model);
        rig.put(TagState::factory(VChip::Ntag213, nth_uid(900 + i as u32)));
        let v = readers_json(dir.path());
        let r = v
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == reader.as_str())
            .unwrap_or_else(|| panic!("{reader} not in {v}"));
        assert_eq!(r["family"], "generic_part3", "{r}");
        assert_eq!(r["dialect"], dialect, "{model:?}: {r}");
        assert_eq!(r["firmware"].as_str(), firmware, "{model:?}: {r}");
        // The probe reset the tag and left it as it was.
        assert_eq!(
            rig.memory(),
            TagState::factory(VChip::Ntag213, nth_uid(900 + i as u32)).mem
        );
    }
    // No tag: nothing to probe with, nothing claimed.
    rig.take_away();
    let v = readers_json(dir.path());
    let r = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == reader.as_str())
        .unwrap();
    assert!(r["dialect"].is_null(), "{r}");
    rig.rename(None).unwrap();
}
