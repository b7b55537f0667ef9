//! `tapstand-vtag [CHIP] [factory|blank|locked|password|classic] [--latency-ms N] [--port P]`:
//! puts a virtual tag on vpcd's virtual reader until Ctrl-C. (`tapstand-cli virtual-tag` has more options.)

use std::time::Duration;

use tapstand_vtag::{nth_uid, Faults, TagState, VChip, VirtualTag, VPCD_PORT};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut chip = VChip::Ntag215;
    let mut state = "factory".to_string();
    let mut latency = 0u64;
    let mut port = VPCD_PORT;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--latency-ms" => {
                latency = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(0);
                i += 1;
            }
            "--port" => {
                port = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(VPCD_PORT);
                i += 1;
            }
            "-h" | "--help" => {
                println!("usage: tapstand-vtag [ntag213|ntag215|ntag216|ntag203|classic] [factory|blank|locked|password] [--latency-ms N] [--port P]");
                return;
            }
            a => {
                if let Some(c) = VChip::parse(a) {
                    chip = c;
                } else {
                    state = a.to_string();
                }
            }
        }
        i += 1;
    }
    let uid = nth_uid(1);
    let mut tag = match state.as_str() {
        "blank" => TagState::blank(chip, uid),
        _ => TagState::factory(chip, uid),
    };
    match state.as_str() {
        "locked" => tag.lock(),
        "password" => tag.protect([0x12, 0x34, 0x56, 0x78], [0xAB, 0xCD], 4, false),
        _ => {}
    }
    let vt = VirtualTag::start(port);
    vt.set_faults(Faults {
        latency: Duration::from_millis(latency),
        pseudo_apdus_drop_auth: true,
        ..Faults::default()
    });
    vt.insert(tag);
    if vt.wait_connected(Duration::from_secs(10)) {
        println!("virtual {chip:?} ({state}) is on the reader at 127.0.0.1:{port}; Ctrl-C to stop");
    } else {
        eprintln!(
            "could not reach vpcd at 127.0.0.1:{port}: {:?} (is pcscd running?)",
            vt.last_error()
        );
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
