//! One PDF for many stores without holding the whole document: the pages are drawn in chunks of a few stores
//! (printpdf → lopdf → the same page fixes as a single document, [`PdfBuilder::into_lopdf`]), and each chunk's
//! objects are renumbered after the previous chunk's and appended to the file at once. At the end come the one
//! page tree, the catalog, the Info dictionary, the cross-reference table and the trailer.
//!
//! The objects are serialized by lopdf (`Document::save_to` of the chunk, whose own cross-reference table
//! gives each object's offset); lopdf 0.44 has no public writer for a single object. Written by hand here,
//! because nothing in lopdf writes them for a document that is not in memory: the two header lines, the
//! final cross-reference table (fixed 20-byte lines) and the trailer (integers, references and the ID).
//!
//! Each chunk embeds its own subset of the fonts (the glyphs of its pages); [`DEFAULT_CHUNK_STORES`] keeps
//! that cost small (measured in `benchmarks/memory.md`).

use std::io::Write;

use lopdf::{Dictionary, Object, ObjectId};

use crate::error::PrintError;
use crate::pdf::{info_dict, PdfBuilder, PdfMeta};

/// Stores per chunk when exporting into one PDF: large enough that the per-chunk font subsets cost little,
/// small enough that a chunk (its images twice: printpdf's and lopdf's copy) stays a few tens of MB.
pub const DEFAULT_CHUNK_STORES: usize = 64;

/// The page tree's root and the catalog have fixed numbers; chunks follow.
const PAGES_ID: ObjectId = (1, 0);
const CATALOG_ID: ObjectId = (2, 0);

fn pdf_err(e: impl std::fmt::Display) -> PrintError {
    PrintError::Pdf(e.to_string())
}

/// Writes one PDF to `out`, chunk by chunk.
pub(crate) struct PdfStreamWriter<W: Write> {
    out: W,
    /// For write errors.
    path: std::path::PathBuf,
    /// Bytes written so far (= the offset of the next object).
    pos: u64,
    /// Offset of each object written, by number (index 0 unused).
    offsets: Vec<Option<u64>>,
    pages: Vec<ObjectId>,
    /// The first chunk's catalog entries (page layout, mode), without `Pages`.
    catalog: Option<Dictionary>,
    id: Option<Object>,
}

impl<W: Write> PdfStreamWriter<W> {
    pub fn new(mut out: W, path: &std::path::Path) -> Result<Self, PrintError> {
        let io = |source| PrintError::Io {
            path: path.to_path_buf(),
            source,
        };
        // The header, and a comment of four bytes ≥ 128 so that tools treat the file as binary (as lopdf does).
        let header: &[u8] = b"%PDF-1.4\n%\xBB\xAD\xC0\xDE\n";
        out.write_all(header).map_err(io)?;
        Ok(PdfStreamWriter {
            out,
            path: path.to_path_buf(),
            pos: header.len() as u64,
            offsets: vec![None; 3],
            pages: Vec::new(),
            catalog: None,
            id: None,
        })
    }

    fn io(&self, source: std::io::Error) -> PrintError {
        PrintError::Io {
            path: self.path.clone(),
            source,
        }
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Draws the chunk's pages and appends their objects.
    pub fn append(&mut self, chunk: PdfBuilder) -> Result<(), PrintError> {
        let mut lo = chunk.into_lopdf()?;
        let catalog_id = lo
            .trailer
            .get(b"Root")
            .and_then(|o| o.as_reference())
            .map_err(pdf_err)?;
        // Only the first chunk's catalog entries survive (they are the same in every chunk); whatever another
        // chunk's catalog alone refers to is pruned with it.
        if self.catalog.is_some() {
            let cat = lo.get_dictionary_mut(catalog_id).map_err(pdf_err)?;
            let keep: Vec<Vec<u8>> = cat
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| k != b"Pages" && k != b"Type")
                .collect();
            for k in keep {
                cat.remove(&k);
            }
        }
        lo.trailer.remove(b"Info");
        lo.prune_objects();
        lo.compress();
        let first_id = self.offsets.len() as u32;
        lo.renumber_objects_with(first_id);
        let pages: Vec<ObjectId> = lo.get_pages().values().copied().collect();
        let catalog_id = lo
            .trailer
            .get(b"Root")
            .and_then(|o| o.as_reference())
            .map_err(pdf_err)?;
        let mut catalog = match lo.objects.remove(&catalog_id) {
            Some(Object::Dictionary(d)) => d,
            _ => return Err(PrintError::Pdf("chunk without a catalog".into())),
        };
        let root = catalog
            .get(b"Pages")
            .and_then(|o| o.as_reference())
            .map_err(pdf_err)?;
        lo.objects.remove(&root);
        catalog.remove(b"Pages");
        if self.catalog.is_none() {
            self.catalog = Some(catalog);
            self.id = lo.trailer.get(b"ID").ok().cloned();
        }
        for p in &pages {
            lo.get_dictionary_mut(*p)
                .map_err(pdf_err)?
                .set("Parent", Object::Reference(PAGES_ID));
        }
        // Only the pages' Parent and the (removed) catalog pointed at the chunk's page tree.
        lo.trailer = Dictionary::new();
        let max = lo.objects.keys().map(|k| k.0).max().unwrap_or(first_id);
        self.write_objects(&mut lo)?;
        self.offsets.resize((max + 1).max(first_id) as usize, None);
        self.pages.extend(pages);
        Ok(())
    }

    /// Saves `lo` (objects already numbered for this file) into memory with lopdf, and appends its objects.
    fn write_objects(&mut self, lo: &mut lopdf::Document) -> Result<(), PrintError> {
        lo.max_id = lo.objects.keys().map(|k| k.0).max().unwrap_or(0);
        // A classic table (lopdf's default is a cross-reference stream), read back below for the offsets.
        lo.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        let mut buf = Vec::new();
        lo.save_to(&mut buf).map_err(pdf_err)?;
        let entries = parse_xref(&buf)?;
        let Some(&(_, start)) = entries.iter().min_by_key(|(_, off)| *off) else {
            return Ok(());
        };
        let end = xref_start(&buf)?;
        if start > end {
            return Err(PrintError::Pdf("chunk xref out of range".into()));
        }
        self.out
            .write_all(&buf[start..end])
            .map_err(|e| self.io(e))?;
        for (id, off) in entries {
            let id = id as usize;
            if self.offsets.len() <= id {
                self.offsets.resize(id + 1, None);
            }
            self.offsets[id] = Some(self.pos + (off - start) as u64);
        }
        self.pos += (end - start) as u64;
        Ok(())
    }

    /// Writes the page tree, the catalog, the Info dictionary, the cross-reference table and the trailer.
    /// Returns the output and the file's size.
    pub fn finish(mut self, meta: &PdfMeta) -> Result<(W, u64), PrintError> {
        if self.pages.is_empty() {
            return Err(PrintError::Pdf("no pages".into()));
        }
        let info_id: ObjectId = (self.offsets.len() as u32, 0);
        let mut lo = lopdf::Document::with_version("1.4");
        let mut pages = Dictionary::new();
        pages.set("Type", Object::Name(b"Pages".to_vec()));
        pages.set(
            "Kids",
            Object::Array(self.pages.iter().map(|p| Object::Reference(*p)).collect()),
        );
        pages.set("Count", Object::Integer(self.pages.len() as i64));
        let mut catalog = self.catalog.take().unwrap_or_default();
        catalog.set("Type", Object::Name(b"Catalog".to_vec()));
        catalog.set("Pages", Object::Reference(PAGES_ID));
        lo.objects.insert(PAGES_ID, Object::Dictionary(pages));
        lo.objects.insert(CATALOG_ID, Object::Dictionary(catalog));
        lo.objects
            .insert(info_id, Object::Dictionary(info_dict(meta)));
        self.write_objects(&mut lo)?;

        let size = self.offsets.len();
        let xref_at = self.pos;
        let mut x = Vec::with_capacity(size * 20 + 64);
        write!(x, "xref\n0 {size}\n0000000000 65535 f \n").map_err(pdf_err)?;
        for off in &self.offsets[1..] {
            match off {
                Some(o) => writeln!(x, "{o:010} 00000 n "),
                None => writeln!(x, "0000000000 65535 f "),
            }
            .map_err(pdf_err)?;
        }
        let id = match &self.id {
            Some(Object::Array(a)) => {
                let hex: Vec<String> = a
                    .iter()
                    .filter_map(|o| o.as_str().ok())
                    .map(|b| b.iter().map(|c| format!("{c:02X}")).collect::<String>())
                    .collect();
                if hex.len() == 2 {
                    format!(" /ID [<{}> <{}>]", hex[0], hex[1])
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        write!(
            x,
            "trailer\n<< /Size {size} /Root {} 0 R /Info {} 0 R{id} >>\nstartxref\n{xref_at}\n%%EOF\n",
            CATALOG_ID.0, info_id.0
        )
        .map_err(pdf_err)?;
        self.out.write_all(&x).map_err(|e| self.io(e))?;
        self.pos += x.len() as u64;
        self.out.flush().map_err(|e| self.io(e))?;
        Ok((self.out, self.pos))
    }
}

/// The offset after `startxref` at the end of a file lopdf wrote.
fn xref_start(buf: &[u8]) -> Result<usize, PrintError> {
    let tail = &buf[buf.len().saturating_sub(64)..];
    let at = tail
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or_else(|| PrintError::Pdf("no startxref".into()))?;
    std::str::from_utf8(&tail[at + 9..])
        .ok()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| PrintError::Pdf("bad startxref".into()))
}

/// (object number, offset) of every object in use in the cross-reference table lopdf wrote.
fn parse_xref(buf: &[u8]) -> Result<Vec<(u32, usize)>, PrintError> {
    let bad = || PrintError::Pdf("unexpected cross-reference table from lopdf".into());
    let start = xref_start(buf)?;
    let text = std::str::from_utf8(buf.get(start..).ok_or_else(bad)?).map_err(|_| bad())?;
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some("xref") {
        return Err(bad());
    }
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.starts_with("trailer") {
            return Ok(out);
        }
        let mut head = line.split_whitespace();
        let (Some(first), Some(count)) = (head.next(), head.next()) else {
            return Err(bad());
        };
        let first: u32 = first.parse().map_err(|_| bad())?;
        let count: u32 = count.parse().map_err(|_| bad())?;
        for k in 0..count {
            let entry = lines.next().ok_or_else(bad)?;
            let mut f = entry.split_whitespace();
            let (Some(off), Some(_gen), Some(kind)) = (f.next(), f.next(), f.next()) else {
                return Err(bad());
            };
            if kind == "n" {
                out.push((first + k, off.parse().map_err(|_| bad())?));
            }
        }
    }
    Err(bad())
}
