//! Tapstand print engine: print-ready artwork for NFC 碰一碰 acrylic stands.
//!
//! One layout model ([`layout::layout_page`] → a display list in mm) and two renderers of it: the PDF for the
//! print shop ([`export`], [`render_pdf`]; printpdf, with the page boxes, metadata and images fixed up with
//! lopdf) and the SVG for the live preview ([`preview`]). The merchant sees what prints.
//!
//! Inputs are plain data: a [`StandDesign`] chosen once, [`SharedAssets`] (logo) and one [`StandContent`] per
//! store (id, name, the mini-program code image as fetched with `getwxacodeunlimit`, width 1280). The records
//! and the WeChat client produce those; [`scene`] builds the code's `scene` for a store or a terminal.
//!
//! Print-readiness: 3 mm bleed, crop marks outside the bleed (MediaBox > BleedBox > TrimBox, written as
//! `[llx lly urx ury]`), text and code in single black K100 (DeviceCMYK 0 0 0 1), the bundled Noto Sans CJK SC
//! embedded as a subset (or drawn as outlines: 转曲), images lossless and never downsampled, the code's
//! effective resolution checked (warning below 300 ppi, refusal below 200 ppi), real dates and metadata.

pub mod draw;
pub mod error;
pub mod export;
pub mod fonts;
pub mod layout;
pub mod model;
pub mod parse;
pub mod pdf;
pub mod raster;
pub mod scene;
mod stream;
pub mod svg;
pub mod text;

pub use error::PrintError;
pub use export::{
    export, export_chunked, preview, render_pdf, store_file_name, ExportPhase, ExportProgress,
    ExportReport, ExportRequest, ExportTarget, ExportedFile, StandPreview, StoreSource,
};
pub use model::*;
pub use stream::DEFAULT_CHUNK_STORES;
pub use svg::SvgOptions;
