//! NDEF and NFC Forum Type 2 Tag mapping for Tapstand. Pure: no I/O, decoding never panics.
//!
//! * [`record`]: NDEF records and messages (all TNFs, short and long records, ids; chunked records refused).
//! * [`uri`], [`view`]: the URI prefix table, Text/AAR/Smart Poster views for the inspector.
//! * [`wechat`]: the WeChat message (URI with code 0x00 first, AAR `com.tencent.mm` second) and its check.
//! * [`t2t`]: tag memory image, Capability Container, TLVs, capacity, lock and password state.
//! * [`chip`]: NTAG213/215/216 (and relatives) from ATR, GET_VERSION and CC.
//! * [`plan`]: the tear-safe write planner, the permanent-lock plan and the password plan.
//! * [`t4t`]: NFC Forum Type 4 tags: the CC file, NDEF file access, chunking, the tear-safe write plan.
//!
//! Hand-written on purpose: no maintained Rust crate covers Type 2 Tag memory mapping (Lock/Memory Control
//! TLVs, skip areas, tear-safe length ordering, NTAG21x lock/config pages); the NDEF codec is small and
//! must be strict about chunking and never panic on tag bytes, so it lives here with its fuzz target.

pub mod chip;
pub mod plan;
pub mod record;
pub mod t2t;
pub mod t4t;
pub mod uri;
pub mod view;
pub mod wechat;

pub use chip::{ChipInfo, ChipKind};
pub use record::{Message, NdefError, Record, Tnf};
pub use t2t::{CapabilityContainer, TagImage};
pub use view::{RecordContent, RecordView};
pub use wechat::{check_wechat, wechat_message, WechatCheck};
