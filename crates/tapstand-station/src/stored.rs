//! The words the station writes into SQLite for its enums. Each comes from a `match` with the exact
//! text, never from `Debug` or a serde default, so renaming a variant cannot change what existing
//! databases hold (history filters, the CSV export and the UI read the same words back).
//!
//! | column                                   | written from                                   |
//! |------------------------------------------|------------------------------------------------|
//! | `station_attempts.chip`, `station_tags.chip` | [`ChipKind::stored_name`] (tapstand-ndef)  |
//! | `station_attempts.result`                | [`TapResult::as_str`](crate::TapResult::as_str) |
//! | `station_attempts.scheme_source`         | [`scheme_source`]                              |
//! | `scheme_ledger.state`                    | `SchemeState::as_str` / `parse` (tapstand-store) |
//! | `settings` `station.last_request` (JSON) | [`TargetChoice`](crate::TargetChoice)'s explicit serde names |
//!
//! The test below pins every spelling.
//!
//! [`ChipKind::stored_name`]: tapstand_tag::ndef::chip::ChipKind::stored_name

use tapstand_wechat::SchemeSource;

/// Where the tap's openlink came from, as stored in `station_attempts.scheme_source`: `ledger` (no call),
/// `generated` (issued now), `recovered` (our own call's lost answer, from 9800010) or `adopted` (another
/// tool had generated it for this sn; WeChat's 9800010 answer carried it and it is now in the ledger).
pub fn scheme_source(source: SchemeSource) -> &'static str {
    match source {
        SchemeSource::Ledger => "ledger",
        SchemeSource::Generated => "generated",
        SchemeSource::Recovered => "recovered",
        SchemeSource::Adopted => "adopted",
    }
}

/// `station_attempts.scheme_source` when the link was generated for a derived sn (`<UID>-2`, see
/// `tapstand_wechat::SchemeService::get_or_derive`): the tag's own sn had been used up without its link.
pub const DERIVED_SOURCE: &str = "derived";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TapResult, TargetChoice};
    use tapstand_store::ledger::SchemeState;
    use tapstand_tag::ndef::chip::ChipKind;

    /// Fails to compile when a variant is added to an enum whose spelling is stored: give it a
    /// spelling of its own, then add it to the tables in `stored_spellings`.
    #[allow(dead_code)]
    fn every_variant_is_listed(
        c: ChipKind,
        r: TapResult,
        s: SchemeSource,
        l: SchemeState,
        t: TargetChoice,
    ) {
        use ChipKind::*;
        match c {
            Ntag213 | Ntag215 | Ntag216 | Ntag210 | Ntag212 | Ntag203 | Ultralight
            | UltralightC | UltralightEv1Mf0ul11 | UltralightEv1Mf0ul21 | MifareClassic1k
            | MifareClassic4k | MifareMini | MifarePlus | Iso14443_4 | OtherType2 | Unknown => {}
            Ntag424Dna | Desfire | St25ta | Type4 => {}
        }
        match r {
            TapResult::Written
            | TapResult::AlreadyCorrect
            | TapResult::NeedsConfirmation
            | TapResult::Failed => {}
        }
        match s {
            SchemeSource::Ledger
            | SchemeSource::Generated
            | SchemeSource::Recovered
            | SchemeSource::Adopted => {}
        }
        match l {
            SchemeState::Pending
            | SchemeState::InFlight
            | SchemeState::Unknown
            | SchemeState::Issued
            | SchemeState::Recovered
            | SchemeState::UsedElsewhere
            | SchemeState::Lost => {}
        }
        match t {
            TargetChoice::Store { .. }
            | TargetChoice::Terminal { .. }
            | TargetChoice::AllStores => {}
        }
    }

    fn distinct(words: &[&str]) -> bool {
        let mut w = words.to_vec();
        w.sort_unstable();
        w.dedup();
        w.len() == words.len()
    }

    #[test]
    fn stored_spellings() {
        let chips = [
            (ChipKind::Ntag213, "ntag213"),
            (ChipKind::Ntag215, "ntag215"),
            (ChipKind::Ntag216, "ntag216"),
            (ChipKind::Ntag210, "ntag210"),
            (ChipKind::Ntag212, "ntag212"),
            (ChipKind::Ntag203, "ntag203"),
            (ChipKind::Ultralight, "ultralight"),
            (ChipKind::UltralightC, "ultralightc"),
            (ChipKind::UltralightEv1Mf0ul11, "ultralightev1mf0ul11"),
            (ChipKind::UltralightEv1Mf0ul21, "ultralightev1mf0ul21"),
            (ChipKind::MifareClassic1k, "mifareclassic1k"),
            (ChipKind::MifareClassic4k, "mifareclassic4k"),
            (ChipKind::MifareMini, "mifaremini"),
            (ChipKind::MifarePlus, "mifareplus"),
            (ChipKind::Iso14443_4, "iso14443_4"),
            (ChipKind::OtherType2, "othertype2"),
            (ChipKind::Ntag424Dna, "ntag424dna"),
            (ChipKind::Desfire, "desfire"),
            (ChipKind::St25ta, "st25ta"),
            (ChipKind::Type4, "type4"),
            (ChipKind::Unknown, "unknown"),
        ];
        for (k, word) in chips {
            assert_eq!(k.stored_name(), word, "{k:?}");
        }
        assert!(distinct(&chips.map(|(_, w)| w)));

        let results = [
            (TapResult::Written, "written"),
            (TapResult::AlreadyCorrect, "already_correct"),
            (TapResult::NeedsConfirmation, "needs_confirmation"),
            (TapResult::Failed, "failed"),
        ];
        for (r, word) in results {
            assert_eq!(r.as_str(), word, "{r:?}");
        }
        assert!(distinct(&results.map(|(_, w)| w)));

        let sources = [
            (SchemeSource::Ledger, "ledger"),
            (SchemeSource::Generated, "generated"),
            (SchemeSource::Recovered, "recovered"),
            (SchemeSource::Adopted, "adopted"),
        ];
        for (s, word) in sources {
            assert_eq!(scheme_source(s), word, "{s:?}");
        }
        assert!(distinct(&sources.map(|(_, w)| w)));

        let states = [
            (SchemeState::Pending, "pending"),
            (SchemeState::InFlight, "in_flight"),
            (SchemeState::Unknown, "unknown"),
            (SchemeState::Issued, "issued"),
            (SchemeState::Recovered, "recovered"),
            (SchemeState::UsedElsewhere, "used_elsewhere"),
            (SchemeState::Lost, "lost"),
        ];
        for (s, word) in states {
            assert_eq!(s.as_str(), word, "{s:?}");
            assert_eq!(SchemeState::parse(word), Some(s), "{word}");
        }
        assert!(distinct(&states.map(|(_, w)| w)));
        assert_eq!(SchemeState::parse("InFlight"), None);
        assert_eq!(SchemeState::parse(""), None);

        // The station page's last choice is kept as JSON in the settings table.
        let choices = [
            (TargetChoice::Store { id: 7 }, r#"{"kind":"store","id":7}"#),
            (
                TargetChoice::Terminal { id: 9 },
                r#"{"kind":"terminal","id":9}"#,
            ),
            (TargetChoice::AllStores, r#"{"kind":"all_stores"}"#),
        ];
        for (c, json) in choices {
            assert_eq!(serde_json::to_string(&c).unwrap(), json, "{c:?}");
            assert_eq!(serde_json::from_str::<TargetChoice>(json).unwrap(), c);
        }
    }
}
