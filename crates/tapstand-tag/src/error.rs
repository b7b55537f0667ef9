//! Typed errors of the tag engine and their user-facing form (Chinese first, with what to do next).

use tapstand_error::UserError;
use tapstand_ndef::plan::ReadOnlyReason;

use crate::apdu::Sw;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("the smart-card service (PC/SC) is not available: {0}")]
    NoService(String),
    #[error("no card reader is connected")]
    NoReader,
    #[error("no reader named {0:?}")]
    ReaderNotFound(String),
    #[error("no tag on the reader")]
    NoTag,
    #[error("tags are on several readers: {0:?}")]
    SeveralTags(Vec<String>),
    /// Another program (another Tapstand window, the CLI, a vendor tool) holds the card: it was not touched.
    #[error("the reader is used by another program")]
    ReaderBusy,
    #[error("the tag was removed")]
    TagRemoved,
    #[error("{name} is not supported for writing")]
    Unsupported { name: String },
    #[error("the tag does not answer like an NFC Type 2 tag: {0}")]
    NotType2(String),
    #[error("the tag is read-only ({0:?})")]
    ReadOnly(ReadOnlyReason),
    #[error("the tag is password protected from page {auth0} and no password for it is known")]
    PasswordProtected { auth0: u8 },
    #[error("the stored password for this tag was refused")]
    WrongPassword,
    #[error(
        "the message is {message_len} bytes, the tag holds at most {capacity} ({over_by} too many)"
    )]
    TooLarge {
        message_len: usize,
        capacity: usize,
        over_by: usize,
    },
    /// A 48-byte Type 2 tag: the WeChat message does not fit.
    #[error("{name} holds {data_bytes} bytes: the {message_len}-byte link does not fit")]
    TooSmall {
        name: String,
        data_bytes: usize,
        message_len: usize,
    },
    /// Password protection asked for a chip without a password (NTAG203, Ultralight C, generic tags).
    #[error("{name} has no password feature")]
    NoPasswordOnChip { name: String },
    #[error("the tag cannot be formatted for NDEF (capability container {cc})")]
    NotFormattable { cc: String },
    #[error("a blank tag cannot be identified on this reader (no GET_VERSION pass-through)")]
    CannotIdentifyBlank,
    #[error("the reader cannot pass native commands (needed for tag passwords)")]
    NoPassThrough,
    #[error("page {page:#04x} reads back {read} after writing {wrote} (reader said {sw})")]
    VerifyFailed {
        page: u16,
        wrote: String,
        read: String,
        sw: String,
    },
    #[error("the reader answered {sw} to {what}")]
    Status { what: &'static str, sw: Sw },
    /// A success with too little data (an "empty success": the reader did not really read the tag).
    #[error("the reader answered {what} with {len} byte(s) of data and a success status")]
    ShortAnswer { what: &'static str, len: usize },
    /// The exchange broke off (`SCARD_E_COMM_DATA_LOST`: the tag moved, or on Windows a transmit raced the
    /// card's arrival).
    #[error("the exchange with the tag was interrupted: {0}")]
    Interrupted(String),
    #[error("reader communication failed: {0}")]
    Comm(String),
    #[error("the OS keychain failed: {0}")]
    Keychain(String),
    #[error("no tag within {0} s")]
    Timeout(u64),
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    #[error("lock and password protection cannot be combined")]
    LockWithPassword,
    /// An ISO 14443-4 card without the NDEF Tag Application (a bank or transit card, a phone).
    #[error("{name} has no NDEF application")]
    NotNdefCard { name: String },
    /// A Type 4 tag whose NDEF file the CC declares never writable (write access `FF`).
    #[error("the NDEF file of this {name} is read-only")]
    Type4ReadOnly { name: String },
    /// A Type 4 tag whose NDEF file needs a key or password to write (access byte `80`–`FE`, or the tag
    /// answered `69 82` to UPDATE BINARY).
    #[error("writing the NDEF file of this {name} needs a key ({detail})")]
    Type4Protected { name: String, detail: String },
    /// T4T mapping version 3.0 (ENLEN) or an unknown version.
    #[error("Type 4 mapping version {version:#04x} is not supported")]
    Type4Version { version: u8 },
    /// Permanent lock asked for a tag Tapstand cannot lock (Type 4).
    #[error("{name} cannot be locked by Tapstand")]
    CannotLock { name: String },
}

impl From<TagError> for UserError {
    fn from(e: TagError) -> UserError {
        let detail = e.to_string();
        let u = match &e {
            TagError::NoService(_) => no_service(std::env::consts::OS),
            TagError::NoReader => UserError::new(
                "tag.no_reader",
                ("没有找到读卡器。", "请把 USB 读卡器（如 ACR122U、ACR1252U）插到电脑上，等指示灯亮起后重试。"),
                ("No card reader found.", "Plug in the USB reader (e.g. ACR122U, ACR1252U), wait for its light, then try again."),
            ),
            TagError::ReaderNotFound(n) => UserError::new(
                "tag.reader_not_found",
                ("找不到指定的读卡器。", "请检查读卡器是否插好，或不指定读卡器名称重试。"),
                ("The chosen reader was not found.", "Check that it is plugged in, or try again without naming a reader."),
            )
            .with_detail(n),
            TagError::NoTag => UserError::new(
                "tag.no_tag",
                ("读卡器上没有标签。", "请把标签平放在读卡器中央，然后重试。"),
                ("There is no tag on the reader.", "Lay the tag flat on the middle of the reader, then try again."),
            ),
            TagError::SeveralTags(r) => UserError::new(
                "tag.several_readers",
                ("多个读卡器上都有标签。", "请只在一个读卡器上放标签，或指定要用的读卡器。"),
                ("Tags are on more than one reader.", "Put a tag on one reader only, or choose the reader to use."),
            )
            .with_detail(r.join(", ")),
            TagError::ReaderBusy => UserError::new(
                "tag.reader_busy",
                (
                    "读卡器正被另一个 Tapstand 窗口或其他程序使用，为了不写坏标签，这次没有动它。",
                    "请等另一个窗口或命令行写完这张标签，或关闭它（以及厂商工具、NFC Tools 等读卡软件），然后把标签重新放一次再试。",
                ),
                (
                    "The reader is in use by another Tapstand window or another program; the tag was left untouched so it cannot be corrupted.",
                    "Let the other window or command finish this tag, or close it (and reader software such as vendor tools or NFC Tools), then tap the tag again.",
                ),
            ),
            TagError::TagRemoved => UserError::new(
                "tag.removed",
                ("标签被移开了，写入没有完成。", "请把同一张标签放回读卡器上，再写一次。标签不会坏，也不会留下半截内容。"),
                (
                    "The tag was moved away before writing finished.",
                    "Put the same tag back on the reader and write again. The tag is not damaged and holds no half-written content.",
                ),
            ),
            TagError::Unsupported { name } => UserError::new(
                "tag.unsupported_chip",
                ("这种卡不能写入碰一碰内容。", "请使用 NFC 标签：NTAG213、NTAG215、NTAG216 最常见（购买时注明“NTAG213 芯片”），NTAG203、Ultralight C 等 144 字节以上的兼容标签也可以。"),
                ("This card cannot hold tap-to-open content.", "Use NFC tags: NTAG213, NTAG215 or NTAG216 are the most common (ask for “NTAG213 chip” when buying); compatible tags with 144 bytes or more such as NTAG203 or Ultralight C work too."),
            )
            .with_detail(name),
            TagError::NotType2(_) => UserError::new(
                "tag.not_type2",
                ("这张卡不是 NFC 标签，无法读取。", "请使用 NTAG213、NTAG215 或 NTAG216 标签。"),
                ("This card is not an NFC tag Tapstand can read.", "Use NTAG213, NTAG215 or NTAG216 tags."),
            ),
            TagError::ReadOnly(_) => UserError::new(
                "tag.locked",
                ("标签已锁定（只读），不能再写入。", "锁定是永久的，无法解除。请换一张新标签。"),
                ("This tag is locked (read-only).", "Locking is permanent and cannot be undone. Use a new tag."),
            ),
            TagError::PasswordProtected { .. } => UserError::new(
                "tag.password_protected",
                ("标签设有密码保护，本机没有它的密码。", "请换一张新标签；如果这张标签是用本软件设的密码，请在当初写卡的电脑上操作。"),
                (
                    "This tag is password protected and its password is not on this computer.",
                    "Use a new tag; if Tapstand set the password, use the computer that wrote the tag.",
                ),
            ),
            TagError::WrongPassword => UserError::new(
                "tag.wrong_password",
                ("标签拒绝了保存的密码。", "这张标签的密码已被其他软件修改。请换一张新标签。"),
                ("The tag refused the stored password.", "Another program changed this tag's password. Use a new tag."),
            ),
            TagError::TooLarge { over_by, .. } => {
                let zh = format!("内容太长，超出标签容量 {over_by} 字节。");
                let en = format!("The content is {over_by} byte(s) too large for this tag.");
                UserError::new(
                    "tag.too_large",
                    (&zh, "请换容量更大的 NTAG215/NTAG216 标签，或缩短链接。"),
                    (&en, "Use a larger NTAG215/NTAG216 tag, or shorten the link."),
                )
            }
            TagError::TooSmall {
                data_bytes,
                message_len,
                ..
            } => {
                let zh = format!(
                    "这张标签太小：只有 {data_bytes} 字节，放不下碰一碰链接（{message_len} 字节）。"
                );
                let en = format!(
                    "This tag is too small: it holds {data_bytes} bytes and the tap link needs {message_len}."
                );
                UserError::new(
                    "tag.too_small",
                    (
                        &zh,
                        "请换用 144 字节以上的标签：NTAG213（最常见）、NTAG215、NTAG216，或 NTAG203、Ultralight C 等兼容标签。购买时注明“NTAG213 芯片”即可。",
                    ),
                    (
                        &en,
                        "Use tags with 144 bytes or more: NTAG213 (the most common), NTAG215, NTAG216, or compatible tags such as NTAG203 or Ultralight C. Ask for “NTAG213 chip” when buying.",
                    ),
                )
            }
            TagError::NoPasswordOnChip { .. } => UserError::new(
                "tag.no_password_on_chip",
                (
                    "这种标签没有密码功能，不能设置密码保护。",
                    "请不勾选“密码保护”（可以改用“永久锁定”），或换用 NTAG213/215/216 标签。",
                ),
                (
                    "This kind of tag has no password feature.",
                    "Turn off password protection (permanent lock works), or use NTAG213/215/216 tags.",
                ),
            ),
            TagError::NotFormattable { .. } => UserError::new(
                "tag.not_formattable",
                ("这张标签无法格式化。", "标签的格式区已被其他程序写坏，无法恢复。请换一张新标签。"),
                ("This tag cannot be formatted.", "Its format area was damaged by another program and cannot be repaired. Use a new tag."),
            ),
            TagError::CannotIdentifyBlank => UserError::new(
                "tag.cannot_identify_blank",
                ("这是一张空白标签，此读卡器无法识别其型号。", "请换用出厂格式化的标签，或使用 ACR122U/ACR1252U 读卡器。"),
                ("This is a blank tag and this reader cannot identify its model.", "Use factory-formatted tags, or an ACR122U/ACR1252U reader."),
            ),
            TagError::NoPassThrough => UserError::new(
                "tag.no_passthrough",
                ("此读卡器不能设置或使用标签密码。", "请不勾选“密码保护”，或使用 ACR122U/ACR1252U 读卡器。"),
                ("This reader cannot set or use tag passwords.", "Turn off password protection, or use an ACR122U/ACR1252U reader."),
            ),
            TagError::VerifyFailed { .. } => UserError::new(
                "tag.verify_failed",
                ("写入后核对不一致，标签可能有问题。", "请把标签放稳后重写一次；仍失败请换一张新标签。"),
                ("What was read back differs from what was written.", "Hold the tag still and write again; if it fails again, use a new tag."),
            ),
            TagError::Status { what, sw } => status_error(what, *sw),
            TagError::ShortAnswer { .. } => UserError::new(
                "tag.reader_no_data",
                (
                    "读卡器说读取成功，却没有返回标签内容。",
                    "请把标签放稳后重试；仍然这样，说明这台读卡器读不了这种标签，请换用 ACR122U 或 ACR1252U 读卡器。",
                ),
                (
                    "The reader reported success but returned none of the tag's content.",
                    "Hold the tag still and try again; if it keeps happening, this reader cannot read this kind of tag: use an ACR122U or ACR1252U reader.",
                ),
            ),
            TagError::Interrupted(_) => UserError::new(
                "tag.interrupted",
                (
                    "和标签的通讯中断了（标签可能被挪动了），这次没有写完。",
                    "请把同一张标签平放回读卡器中央，放稳后再写一次。标签不会留下半截内容。",
                ),
                (
                    "The exchange with the tag broke off (the tag may have moved); writing did not finish.",
                    "Lay the same tag flat on the middle of the reader, hold it still and write again. The tag holds no half-written content.",
                ),
            ),
            TagError::Comm(_) => UserError::new(
                "tag.reader_error",
                ("读卡器通讯出错。", "请把标签放稳后重试；仍失败请拔插读卡器。"),
                ("The reader reported an error.", "Hold the tag still and try again; if it keeps failing, unplug and replug the reader."),
            ),
            TagError::Keychain(_) => UserError::new(
                "tag.keychain",
                ("无法使用系统钥匙串保存标签密码。", "请解锁系统钥匙串（登录密码）后重试，或不使用密码保护。"),
                ("The OS keychain could not keep the tag password.", "Unlock the keychain and try again, or write without password protection."),
            ),
            TagError::Timeout(_) => UserError::new(
                "tag.timeout",
                ("等待标签超时。", "请把标签放到读卡器上再试。"),
                ("No tag was put on the reader in time.", "Put a tag on the reader and try again."),
            ),
            TagError::InvalidMessage(_) => UserError::new(
                "tag.invalid_message",
                ("要写入的内容无效。", "请检查链接：微信碰一碰链接以 weixin://dl/business/? 开头。"),
                ("The content to write is not valid.", "Check the link: WeChat NFC links start with weixin://dl/business/?."),
            ),
            TagError::NotNdefCard { .. } => UserError::new(
                "tag.not_ndef_card",
                (
                    "这是一张银行卡、公交卡之类的 CPU 卡（或手机），不是 NFC 标签，不能写入碰一碰内容。",
                    "请换一张 NFC 标签：NTAG213、NTAG215、NTAG216，或 NTAG 424 DNA 等 Type 4 标签。",
                ),
                (
                    "This is a smart card (bank or transit card) or a phone, not an NFC tag: it cannot hold tap-to-open content.",
                    "Use an NFC tag instead: NTAG213, NTAG215, NTAG216, or a Type 4 tag such as NTAG 424 DNA.",
                ),
            ),
            TagError::Type4ReadOnly { name } => UserError::new(
                "tag.type4_read_only",
                (
                    &format!("这张 {name} 标签的内容被设为只读，不能再写入。"),
                    "只读设置无法由 Tapstand 解除。请换一张新标签。",
                ),
                (
                    &format!("The content of this {name} tag is set read-only; it cannot be written."),
                    "Tapstand cannot undo that setting. Use a new tag.",
                ),
            ),
            TagError::Type4Protected { name, .. } => UserError::new(
                "tag.type4_protected",
                (
                    &format!("这张 {name} 标签的内容受密钥保护，本机没有它的密钥，不能写入。标签没有被改动。"),
                    "请换一张出厂状态的新标签；如果这张标签是别人配置过的，请找配置它的人用原来的工具恢复出厂设置。",
                ),
                (
                    &format!("The content of this {name} tag is protected by a key this computer does not have; the tag was not changed."),
                    "Use a new tag in its factory state; if someone configured this tag, ask them to reset it with their tool.",
                ),
            ),
            TagError::Type4Version { .. } => UserError::new(
                "tag.type4_version",
                (
                    "这张标签使用较新的 NFC Forum Type 4 3.0 格式，Tapstand 目前不能写入。",
                    "请换 NTAG213/215/216 标签，或 NTAG 424 DNA、ST25TA 等普通 Type 4 标签。",
                ),
                (
                    "This tag uses the newer NFC Forum Type 4 version 3.0 format, which Tapstand cannot write yet.",
                    "Use NTAG213/215/216 tags, or ordinary Type 4 tags such as NTAG 424 DNA or ST25TA.",
                ),
            ),
            TagError::CannotLock { name } => UserError::new(
                "tag.cannot_lock",
                (
                    &format!("{name} 标签不能由 Tapstand 永久锁定，也不能设置密码保护（这需要用芯片密钥修改文件权限，Tapstand 不保存这种密钥）。这张标签没有被改动。"),
                    "请在写卡页取消“永久锁定”（或“密码保护”）后再写（标签可以正常使用，只是别的软件仍能改写它）；一定要锁定，请换 NTAG213/215/216 标签。",
                ),
                (
                    &format!("Tapstand cannot lock {name} tags permanently or protect them with a password (that needs the chip's keys to change its file settings, which Tapstand does not keep). The tag was not changed."),
                    "Turn off “permanent lock” (or password protection) and write again (the tag works normally, but other software could rewrite it); if it must be locked, use NTAG213/215/216 tags.",
                ),
            ),
            TagError::LockWithPassword => UserError::new(
                "tag.lock_with_password",
                ("“永久锁定”和“密码保护”只能选一个。", "锁定后标签永远不能改写，不需要再设密码。请只选其中一项。"),
                ("Choose either permanent lock or password protection.", "A locked tag can never be rewritten, so it needs no password. Pick one."),
            ),
        };
        u.with_detail(detail)
    }
}

/// A reader's status word after a page READ or WRITE (or GET UID) failed twice, worded by what it means on
/// the readers that send it (`../shared/reference/readers.md` §2). None of them is a verdict about the tag.
fn status_error(what: &str, sw: Sw) -> UserError {
    let _ = what;
    match sw {
        // Feitian past page 0F of an Ultralight C, OMNIKEY past the end.
        Sw::OutOfRange => UserError::new(
            "tag.reader_cannot_reach",
            (
                "这台读卡器读写不到这张标签的那部分存储区。",
                "请换用 ACR122U 或 ACR1252U 读卡器写这种标签，或换用 NTAG213/215/216 标签。",
            ),
            (
                "This reader cannot reach that part of the tag's memory.",
                "Write this kind of tag with an ACR122U or ACR1252U reader, or use NTAG213/215/216 tags.",
            ),
        ),
        Sw::NotSupported => UserError::new(
            "tag.reader_refused",
            (
                "读卡器拒绝了这条命令（它可能不支持这种标签）。",
                "请把标签放稳后重试；仍然失败，请换用 ACR122U 或 ACR1252U 读卡器。",
            ),
            (
                "The reader refused the command (it may not support this kind of tag).",
                "Hold the tag still and try again; if it still fails, use an ACR122U or ACR1252U reader.",
            ),
        ),
        Sw::SecurityNotSatisfied => UserError::new(
            "tag.access_denied",
            (
                "读卡器报告标签拒绝了访问（标签的这部分可能设了密码）。",
                "请换一张新标签；如果这张标签是用本软件设的密码，请在当初写卡的电脑上操作。",
            ),
            (
                "The reader reports that the tag denied access (this part of the tag may have a password).",
                "Use a new tag; if Tapstand set the password, use the computer that wrote the tag.",
            ),
        ),
        // OMNIKEY: memory failure.
        Sw::Other(0x6581) => UserError::new(
            "tag.write_failed",
            (
                "标签的存储区没有写成功。",
                "请把标签放稳后再写一次；仍然失败说明这张标签坏了，请换一张新标签。",
            ),
            (
                "The tag's memory was not written.",
                "Hold the tag still and write again; if it fails again the tag is faulty: use a new tag.",
            ),
        ),
        // 63 00 (ACS), 64 00 (OMNIKEY timeout), and anything else: the tag did not answer in time.
        _ => UserError::new(
            "tag.no_answer",
            (
                "标签没有应答读卡器。",
                "请把标签平放在读卡器中央、放稳后再试；仍然失败请换一张标签，或拔插一下读卡器。",
            ),
            (
                "The tag did not answer the reader.",
                "Lay the tag flat on the middle of the reader, hold it still and try again; if it still fails, try another tag or unplug and replug the reader.",
            ),
        ),
    }
}

/// "The smart-card service is not running", with the remedy for the system it runs on (`os` as in
/// `std::env::consts::OS`; a parameter so every system's text is tested everywhere).
pub fn no_service(os: &str) -> UserError {
    match os {
        "windows" => UserError::new(
            "tag.no_service",
            (
                "Windows 的智能卡服务没有运行。",
                "插上读卡器后它会自动启动；如果仍然不行，请按 Win+R 输入 services.msc，找到“智能卡”（Smart Card），把启动类型设为“手动”并点“启动”，然后重试。",
            ),
            (
                "The Windows Smart Card service is not running.",
                "It starts by itself when a reader is plugged in; if it still does not, press Win+R, type services.msc, open “Smart Card”, set the startup type to “Manual”, click “Start”, then try again.",
            ),
        ),
        "macos" => UserError::new(
            "tag.no_service",
            ("macOS 的读卡服务没有响应。", "请拔下读卡器再插上；仍然不行请重启电脑，然后重试。"),
            (
                "The macOS smart-card service does not answer.",
                "Unplug the reader and plug it in again; if that does not help, restart the Mac, then try again.",
            ),
        ),
        _ => UserError::new(
            "tag.no_service",
            ("读卡服务（pcscd）没有运行。", "请运行 sudo systemctl enable --now pcscd.socket（或启动 pcscd），然后重试。"),
            (
                "The smart-card service (pcscd) is not running.",
                "Run sudo systemctl enable --now pcscd.socket (or start pcscd), then try again.",
            ),
        ),
    }
}

/// pcsc errors that mean "the service/context is gone: establish a new context".
pub fn is_service_error(e: pcsc::Error) -> bool {
    matches!(
        e,
        pcsc::Error::NoService
            | pcsc::Error::ServiceStopped
            | pcsc::Error::InvalidHandle
            | pcsc::Error::CommError
            | pcsc::Error::NoReadersAvailable
            | pcsc::Error::UnknownError
            | pcsc::Error::InternalError
    )
}

impl From<pcsc::Error> for TagError {
    fn from(e: pcsc::Error) -> TagError {
        match e {
            pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::InvalidHandle => {
                TagError::NoService(e.to_string())
            }
            pcsc::Error::NoReadersAvailable => TagError::NoReader,
            pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => {
                TagError::ReaderNotFound(e.to_string())
            }
            pcsc::Error::NoSmartcard => TagError::NoTag,
            pcsc::Error::RemovedCard
            | pcsc::Error::ResetCard
            | pcsc::Error::NotTransacted
            | pcsc::Error::UnpoweredCard => TagError::TagRemoved,
            pcsc::Error::SharingViolation => TagError::ReaderBusy,
            pcsc::Error::CommDataLost => TagError::Interrupted(e.to_string()),
            pcsc::Error::Timeout => TagError::Timeout(0),
            pcsc::Error::UnresponsiveCard | pcsc::Error::UnsupportedCard => {
                TagError::NotType2(e.to_string())
            }
            other => TagError::Comm(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_say_what_to_do() {
        let u: UserError = TagError::ReadOnly(ReadOnlyReason::CapabilityContainer).into();
        assert_eq!(u.code, "tag.locked");
        assert!(u.zh.message.contains("标签已锁定"));
        assert!(u.en.message.contains("locked (read-only)"));
        assert!(u.en.remedy.contains("new tag"));
        let u: UserError = TagError::TooLarge {
            message_len: 140,
            capacity: 137,
            over_by: 3,
        }
        .into();
        assert!(u.zh.message.contains("3 字节"));
        assert!(u.en.message.contains("3 byte"));
    }

    #[test]
    fn type4_refusals_are_plain_and_distinct() {
        let cases = [
            (
                TagError::NotNdefCard {
                    name: "ISO 14443-4 card".into(),
                },
                "tag.not_ndef_card",
                "不是 NFC 标签",
            ),
            (
                TagError::Type4ReadOnly {
                    name: "ST25TA".into(),
                },
                "tag.type4_read_only",
                "只读",
            ),
            (
                TagError::Type4Protected {
                    name: "NTAG 424 DNA".into(),
                    detail: "69 82".into(),
                },
                "tag.type4_protected",
                "密钥",
            ),
            (
                TagError::Type4Version { version: 0x30 },
                "tag.type4_version",
                "3.0",
            ),
            (
                TagError::CannotLock {
                    name: "NTAG 424 DNA".into(),
                },
                "tag.cannot_lock",
                "不能由 Tapstand 永久锁定",
            ),
        ];
        for (e, code, zh) in cases {
            let u: UserError = e.into();
            assert_eq!(u.code, code);
            assert!(u.zh.message.contains(zh), "{}", u.zh.message);
            assert!(!u.zh.remedy.is_empty() && !u.en.remedy.is_empty());
        }
    }

    /// Every status word real readers send ends in its own precise error, never "locked" or
    /// "password protected" (issue 23).
    #[test]
    fn status_words_are_worded_by_what_they_mean() {
        let cases = [
            (0x6300, "tag.no_answer"),
            (0x6400, "tag.no_answer"),
            (0x6581, "tag.write_failed"),
            (0x6982, "tag.access_denied"),
            (0x6A81, "tag.reader_refused"),
            (0x6A82, "tag.reader_cannot_reach"),
        ];
        for (code, want) in cases {
            let sw = Sw::from_bytes((code >> 8) as u8, code as u8);
            let u: UserError = TagError::Status {
                what: "READ BINARY",
                sw,
            }
            .into();
            assert_eq!(u.code, want, "{code:04X}");
            assert!(!u.zh.remedy.is_empty() && !u.en.remedy.is_empty());
        }
        let u: UserError = TagError::ShortAnswer {
            what: "READ BINARY",
            len: 0,
        }
        .into();
        assert_eq!(u.code, "tag.reader_no_data");
        let e: TagError = pcsc::Error::CommDataLost.into();
        assert!(matches!(e, TagError::Interrupted(_)));
        assert_eq!(UserError::from(e).code, "tag.interrupted");
        let e: TagError = pcsc::Error::RemovedCard.into();
        assert_eq!(e, TagError::TagRemoved);
    }

    #[test]
    fn a_held_card_says_busy_and_what_to_do() {
        let e: TagError = pcsc::Error::SharingViolation.into();
        assert_eq!(e, TagError::ReaderBusy);
        let u: UserError = e.into();
        assert_eq!(u.code, "tag.reader_busy");
        assert!(u.zh.message.contains("另一个 Tapstand 窗口或其他程序"));
        assert!(u.zh.remedy.contains("再试"));
        assert!(u.en.message.contains("another Tapstand window"));
        assert!(u.en.remedy.contains("tap the tag again"));
    }

    #[test]
    fn no_service_remedy_is_the_systems_own() {
        let w = no_service("windows");
        assert!(w.zh.message.contains("Windows 的智能卡服务没有运行"));
        assert!(w
            .zh
            .remedy
            .starts_with("插上读卡器后它会自动启动；如果仍然不行"));
        assert!(w.en.remedy.contains("services.msc"));
        assert!(no_service("linux").en.remedy.contains("pcscd"));
        assert!(no_service("macos").en.remedy.contains("restart the Mac"));
        let u: UserError = TagError::NoService("x".into()).into();
        assert_eq!(u.code, "tag.no_service");
        assert_eq!(u.zh, no_service(std::env::consts::OS).zh);
        assert_eq!(
            u.detail.as_deref(),
            Some("the smart-card service (PC/SC) is not available: x")
        );
    }
}
