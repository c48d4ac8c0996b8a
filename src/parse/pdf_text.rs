//! Positioned glyphs read straight from lopdf, for speed: pdf-extract builds its fonts with
//! hash maps and a String per glyph. This reader reproduces pdf-extract 0.12's geometry
//! exactly (same matrices, same quirks: a Form XObject starts from an identity CTM and
//! ignores its /Matrix, font names are cached per page) so the lines built from either are
//! the same. Whatever it cannot read the way pdf-extract would (Type3 fonts, embedded font
//! programs that carry the encoding, CMaps other than Identity, unknown glyph names, any
//! malformed operand pdf-extract would choke on) makes it give up on the whole document with
//! [`Error::Unsupported`], and the caller uses pdf-extract instead.
// The tokenizer lives next to this file but belongs to this reader alone.
#[path = "pdf_content.rs"]
mod pdf_content;

use lopdf::{Dictionary, Document, Object, ObjectId};
use pdf_content::{Lexer, Operand};
use pdf_extract::Transform;
use std::collections::HashMap;
use std::rc::Rc;

/// Why the reader stopped.
#[derive(Debug, thiserror::Error)]
pub(super) enum Error {
    /// Something this reader does not do the way pdf-extract does: use pdf-extract.
    #[error("not handled by the fast reader: {0}")]
    Unsupported(&'static str),
    /// The sink refused more glyphs (the document is over the glyph limit).
    #[error("too much text")]
    Stopped,
    /// Form XObjects nested deeper than any real document (or drawing themselves).
    #[error("form XObjects nested too deeply")]
    TooDeep,
}

type Result<T> = std::result::Result<T, Error>;

fn unsupported<T>(why: &'static str) -> Result<T> {
    Err(Error::Unsupported(why))
}

/// Where the glyphs go, in the terms of pdf-extract's `OutputDev` (so one collector serves
/// both readers).
pub(super) trait GlyphSink {
    fn begin_page(&mut self, width: f64, height: f64);
    /// `trm` maps glyph space to user space; `width` is the advance in text space units per
    /// unit font size.
    fn glyph(&mut self, trm: &Transform, width: f64, font_size: f64, text: &str) -> Result<()>;
    fn end_page(&mut self);
}

/// What the reader did besides pdf-extract's work, for the comparison tests.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Stats {
    /// Text shown with `'` or `"`, which pdf-extract drops.
    pub quote_ops: bool,
}

const MAX_FORM_DEPTH: usize = 16;
const MAX_PARENT_DEPTH: usize = 64;

fn deref<'a>(doc: &'a Document, o: &'a Object) -> Result<&'a Object> {
    match o {
        Object::Reference(r) => doc.get_object(*r).or(unsupported("dangling reference")),
        _ => Ok(o),
    }
}

/// The entry, dereferenced; `None` when absent.
fn get_obj<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Result<Option<&'a Object>> {
    match dict.get(key) {
        Ok(o) => deref(doc, o).map(Some),
        Err(_) => Ok(None),
    }
}

fn get_dict<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Result<Option<&'a Dictionary>> {
    Ok(get_obj(doc, dict, key)?.and_then(|o| o.as_dict().ok()))
}

fn get_name<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Result<Option<&'a [u8]>> {
    Ok(get_obj(doc, dict, key)?.and_then(|o| o.as_name().ok()))
}

fn get_i64(doc: &Document, dict: &Dictionary, key: &[u8]) -> Result<Option<i64>> {
    Ok(get_obj(doc, dict, key)?.and_then(|o| match o {
        Object::Integer(i) => Some(*i),
        _ => None,
    }))
}

/// A number operand or array element, not dereferenced (pdf-extract's `as_num`).
fn num(o: &Object) -> Result<f64> {
    match o {
        Object::Integer(i) => Ok(*i as f64),
        Object::Real(f) => Ok(f64::from(*f)),
        _ => unsupported("not a number"),
    }
}

fn operand<'o, 'a>(ops: &'o [Operand<'a>], i: usize) -> Result<&'o Operand<'a>> {
    ops.get(i).ok_or(Error::Unsupported("missing operand"))
}

fn num_operand(ops: &[Operand], i: usize) -> Result<f64> {
    operand(ops, i)?
        .num()
        .ok_or(Error::Unsupported("not a number"))
}

fn six(ops: &[Operand]) -> Result<Transform> {
    let [a, b, c, d, e, f] = ops else {
        return unsupported("matrix without six numbers");
    };
    let n = |o: &Operand| o.num().ok_or(Error::Unsupported("not a number"));
    Ok(Transform::row_major(
        n(a)?,
        n(b)?,
        n(c)?,
        n(d)?,
        n(e)?,
        n(f)?,
    ))
}

/// A resource looked up in the page's dictionary and then its ancestors.
fn inherited<'a>(
    doc: &'a Document,
    page: &'a Dictionary,
    key: &[u8],
) -> Result<Option<&'a Object>> {
    let mut dict = page;
    for _ in 0..MAX_PARENT_DEPTH {
        if let Some(o) = get_obj(doc, dict, key)? {
            return Ok(Some(o));
        }
        match dict.get(b"Parent").and_then(Object::as_reference) {
            Ok(id) => match doc.get_dictionary(id) {
                Ok(d) => dict = d,
                Err(_) => return Ok(None),
            },
            Err(_) => return Ok(None),
        }
    }
    unsupported("page tree too deep")
}

fn stream_bytes(s: &lopdf::Stream) -> Vec<u8> {
    if s.filters().is_ok() {
        s.decompressed_content()
            .unwrap_or_else(|_| s.content.clone())
    } else {
        s.content.clone()
    }
}

/// How a font turns the bytes of a string into glyphs.
enum Codes {
    /// One byte per glyph: text and width per code.
    Simple(Box<[Entry; 256]>),
    /// Identity-H/V: two bytes per glyph, the code is the CID.
    Identity {
        text: HashMap<u32, Box<str>>,
        widths: HashMap<u32, f64>,
        default_width: f64,
    },
}

#[derive(Clone, Default)]
struct Entry {
    /// `None`: pdf-extract cannot decode this code (it would panic); stop if it is shown.
    text: Option<Box<str>>,
    width: f64,
}

struct Font {
    codes: Codes,
}

/// A 16-bit code unit as pdf-extract's `to_utf8` decodes it: `None` for a lone surrogate.
fn unit_text(u: u16) -> Option<Box<str>> {
    char::from_u32(u32::from(u)).map(|c| c.to_string().into_boxed_str())
}

fn encoding_table(name: &[u8]) -> Result<[u16; 256]> {
    match name {
        b"WinAnsiEncoding" => Ok(tables::WIN_ANSI),
        b"MacRomanEncoding" => Ok(tables::MAC_ROMAN),
        b"MacExpertEncoding" => Ok(tables::MAC_EXPERT),
        _ => unsupported("encoding name"),
    }
}

fn glyph_name(name: &[u8]) -> Option<u16> {
    let name = std::str::from_utf8(name).ok()?;
    tables::GLYPH_NAMES
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| tables::GLYPH_NAMES[i].1)
}

/// /ToUnicode, as pdf-extract reads it.
fn unicode_map(doc: &Document, font: &Dictionary) -> Result<Option<HashMap<u32, Box<str>>>> {
    match get_obj(doc, font, b"ToUnicode")? {
        None => Ok(None),
        Some(Object::Name(n)) if n == b"Identity-H" => Ok(None),
        Some(Object::Stream(s)) => {
            let cmap = adobe_cmap_parser::get_unicode_map(&stream_bytes(s))
                .or(unsupported("ToUnicode CMap"))?;
            let mut map = HashMap::with_capacity(cmap.len());
            for (k, v) in cmap {
                if v.len() % 2 != 0 {
                    return unsupported("odd ToUnicode value");
                }
                let be: Vec<u16> = v
                    .chunks_exact(2)
                    .map(|p| (u16::from(p[0]) << 8) | u16::from(p[1]))
                    .collect();
                if let [0xd800..=0xdfff] = be[..] {
                    continue;
                }
                let s = String::from_utf16(&be).or(unsupported("bad UTF-16 in ToUnicode"))?;
                map.insert(k, s.into_boxed_str());
            }
            Ok(Some(map))
        }
        Some(_) => unsupported("ToUnicode kind"),
    }
}

fn make_font(doc: &Document, font: &Dictionary) -> Result<Font> {
    let subtype = get_name(doc, font, b"Subtype")?.ok_or(Error::Unsupported("font subtype"))?;
    match subtype {
        b"Type0" => cid_font(doc, font),
        b"Type3" => unsupported("Type3 font"),
        _ => simple_font(doc, font, subtype),
    }
}

fn simple_font(doc: &Document, font: &Dictionary, subtype: &[u8]) -> Result<Font> {
    let base_name =
        get_name(doc, font, b"BaseFont")?.ok_or(Error::Unsupported("font without BaseFont"))?;
    if let Some(descriptor) = get_dict(doc, font, b"FontDescriptor")? {
        // pdf-extract reads encodings out of embedded Type1 and CFF programs.
        if subtype == b"Type1"
            && matches!(
                get_obj(doc, descriptor, b"FontFile")?,
                Some(Object::Stream(_))
            )
        {
            return unsupported("embedded Type1 program");
        }
        if get_obj(doc, descriptor, b"FontFile3")?.is_some() {
            return unsupported("embedded CFF program");
        }
    }
    let mut unicode = unicode_map(doc, font)?;
    let mut encoding: Option<[u16; 256]> = match get_obj(doc, font, b"Encoding")? {
        Some(Object::Name(name)) => Some(encoding_table(name)?),
        Some(Object::Dictionary(enc)) => {
            let mut table = match get_name(doc, enc, b"BaseEncoding")? {
                Some(base) => encoding_table(base)?,
                None => tables::PDF_DOC,
            };
            if let Some(diffs) = get_obj(doc, enc, b"Differences")?.and_then(|o| o.as_array().ok())
            {
                let mut code: i64 = 0;
                for o in diffs {
                    match deref(doc, o)? {
                        Object::Integer(i) => code = *i,
                        Object::Name(n) => {
                            let u = glyph_name(n).ok_or(Error::Unsupported("glyph name"))?;
                            let slot = usize::try_from(code)
                                .ok()
                                .and_then(|c| table.get_mut(c))
                                .ok_or(Error::Unsupported("Differences code"))?;
                            *slot = u;
                            if let Some(map) = unicode.as_mut() {
                                let s = String::from_utf16(&[u]).or(unsupported("glyph name"))?;
                                map.entry(code as u32).or_insert(s.into_boxed_str());
                            }
                            code += 1;
                        }
                        _ => return unsupported("Differences entry"),
                    }
                }
            }
            Some(table)
        }
        None if subtype == b"TrueType" => Some(tables::WIN_ANSI),
        None => None,
        Some(_) => return unsupported("Encoding kind"),
    };
    let mut widths: [Option<f64>; 256] = [None; 256];
    let first = get_i64(doc, font, b"FirstChar")?;
    let last = get_i64(doc, font, b"LastChar")?;
    let list = get_obj(doc, font, b"Widths")?.and_then(|o| o.as_array().ok());
    if let (Some(first), Some(last), Some(list)) = (first, last, list) {
        if first.checked_add(list.len() as i64 - 1) != Some(last) {
            return unsupported("Widths length");
        }
        for (i, w) in list.iter().enumerate() {
            let w = num(w)?;
            if let Some(slot) = usize::try_from(first + i as i64)
                .ok()
                .and_then(|c| widths.get_mut(c))
            {
                *slot = Some(w);
            }
        }
    } else if let Some((_, metrics)) = tables::CORE_FONTS
        .iter()
        .find(|(n, _)| n.as_bytes() == base_name)
    {
        match &encoding {
            Some(enc) => {
                for ((_, u), w) in tables::CORE_GLYPHS.iter().zip(metrics.iter()) {
                    for (i, e) in enc.iter().enumerate() {
                        if e == u {
                            widths[i] = Some(f64::from(*w));
                        }
                    }
                }
            }
            None => {
                let mut table = [0u16; 256];
                for ((code, u), w) in tables::CORE_GLYPHS.iter().zip(metrics.iter()) {
                    if let Ok(c) = usize::try_from(*code) {
                        if c < 256 {
                            table[c] = *u;
                            widths[c] = Some(f64::from(*w));
                        }
                    }
                }
                encoding = Some(table);
            }
        }
    } else if matches!(base_name, b"Symbol" | b"ZapfDingbats") {
        return unsupported("Symbol or ZapfDingbats without widths");
    }
    let missing = match get_obj(doc, font, b"MissingWidth")? {
        Some(o) => num(o).unwrap_or(0.0),
        None => 0.0,
    };
    let mut entries: Box<[Entry; 256]> = Box::new(std::array::from_fn(|_| Entry::default()));
    for (code, e) in entries.iter_mut().enumerate() {
        e.width = widths[code].unwrap_or(missing);
        let from_encoding = |table: &[u16; 256]| unit_text(table[code]);
        e.text = match &unicode {
            Some(map) => match map.get(&(code as u32)) {
                Some(s) => Some(s.clone()),
                None => encoding.as_ref().and_then(from_encoding),
            },
            None => from_encoding(encoding.as_ref().unwrap_or(&tables::PDF_DOC)),
        };
    }
    Ok(Font {
        codes: Codes::Simple(entries),
    })
}

fn cid_font(doc: &Document, font: &Dictionary) -> Result<Font> {
    if get_name(doc, font, b"BaseFont")?.is_none() {
        return unsupported("font without BaseFont");
    }
    let descendants = get_obj(doc, font, b"DescendantFonts")?
        .and_then(|o| o.as_array().ok())
        .ok_or(Error::Unsupported("DescendantFonts"))?;
    let cid = deref(
        doc,
        descendants
            .first()
            .ok_or(Error::Unsupported("DescendantFonts"))?,
    )?
    .as_dict()
    .or(unsupported("descendant font"))?;
    match get_obj(doc, font, b"Encoding")? {
        Some(Object::Name(n)) if n == b"Identity-H" || n == b"Identity-V" => {}
        _ => return unsupported("CMap other than Identity"),
    }
    let text = unicode_map(doc, font)?.ok_or(Error::Unsupported("CID font without ToUnicode"))?;
    if get_dict(doc, cid, b"FontDescriptor")?.is_none() {
        return unsupported("CID font without descriptor");
    }
    let default_width = get_i64(doc, cid, b"DW")?.unwrap_or(1000) as f64;
    let mut widths = HashMap::new();
    if let Some(w) = get_obj(doc, cid, b"W")?.and_then(|o| o.as_array().ok()) {
        let mut i = 0;
        while i < w.len() {
            let next = deref(doc, w.get(i + 1).ok_or(Error::Unsupported("W array"))?)?;
            let start = deref(doc, &w[i])?.as_i64().or(unsupported("W array"))?;
            if let Object::Array(list) = next {
                for (j, x) in list.iter().enumerate() {
                    widths.insert(start.wrapping_add(j as i64) as u32, num(x)?);
                }
                i += 2;
            } else {
                // pdf-extract reads "first last width" as an empty range (its bug, kept so
                // both readers agree); it still needs the count to be there.
                i += 3;
            }
        }
    }
    Ok(Font {
        codes: Codes::Identity {
            text,
            widths,
            default_width,
        },
    })
}

#[derive(Clone)]
struct TextState {
    font: Option<Rc<Font>>,
    font_size: f64,
    char_spacing: f64,
    word_spacing: f64,
    scaling: f64,
    leading: f64,
    rise: f64,
    tm: Transform,
}

#[derive(Clone)]
struct State {
    ctm: Transform,
    ts: TextState,
}

struct Reader<'a, 'b> {
    doc: &'a Document,
    sink: &'b mut dyn GlyphSink,
    /// Fonts by resource name, for the current page (pdf-extract's cache).
    by_name: HashMap<Vec<u8>, Rc<Font>>,
    /// Fonts by object, for the whole document.
    by_id: HashMap<ObjectId, Rc<Font>>,
    stats: Stats,
}

/// Read every page into `sink`. On `Error::Unsupported` the sink holds a partial result.
pub(super) fn read(doc: &Document, sink: &mut dyn GlyphSink) -> Result<Stats> {
    let mut r = Reader {
        doc,
        sink,
        by_name: HashMap::new(),
        by_id: HashMap::new(),
        stats: Stats::default(),
    };
    let empty = Dictionary::new();
    for (_, id) in doc.get_pages() {
        let page = doc
            .get_object(id)
            .and_then(Object::as_dict)
            .or(unsupported("page object"))?;
        r.by_name.clear();
        let resources = match inherited(doc, page, b"Resources")? {
            Some(Object::Dictionary(d)) => d,
            _ => &empty,
        };
        let mb = inherited(doc, page, b"MediaBox")?
            .and_then(|o| o.as_array().ok())
            .ok_or(Error::Unsupported("MediaBox"))?;
        let mb: Vec<f64> = mb.iter().map(num).collect::<Result<_>>()?;
        if mb.len() < 4 {
            return unsupported("MediaBox");
        }
        let content = doc.get_page_content(id).or(unsupported("page content"))?;
        r.sink.begin_page(mb[2] - mb[0], mb[3] - mb[1]);
        r.stream(&content, resources, 0)?;
        r.sink.end_page();
    }
    Ok(r.stats)
}

impl Reader<'_, '_> {
    fn font(&mut self, resources: &Dictionary, name: &[u8]) -> Result<Rc<Font>> {
        if let Some(f) = self.by_name.get(name) {
            return Ok(f.clone());
        }
        let doc = self.doc;
        let fonts =
            get_dict(doc, resources, b"Font")?.ok_or(Error::Unsupported("no /Font resources"))?;
        let entry = fonts.get(name).or(unsupported("font not in resources"))?;
        let id = entry.as_reference().ok();
        let font = match id.and_then(|id| self.by_id.get(&id)) {
            Some(f) => f.clone(),
            None => {
                let dict = deref(doc, entry)?
                    .as_dict()
                    .or(unsupported("font not a dictionary"))?;
                let f = Rc::new(make_font(doc, dict)?);
                if let Some(id) = id {
                    self.by_id.insert(id, f.clone());
                }
                f
            }
        };
        self.by_name.insert(name.to_vec(), font.clone());
        Ok(font)
    }

    fn stream(&mut self, bytes: &[u8], resources: &Dictionary, depth: usize) -> Result<()> {
        if depth > MAX_FORM_DEPTH {
            return Err(Error::TooDeep);
        }
        let mut lex = Lexer::new(bytes);
        // Escaped strings and names are decoded here.
        let mut scratch = Vec::new();
        let mut gs = State {
            ctm: Transform::identity(),
            ts: TextState {
                font: None,
                font_size: f64::NAN,
                char_spacing: 0.0,
                word_spacing: 0.0,
                scaling: 1.0,
                leading: 0.0,
                rise: 0.0,
                tm: Transform::identity(),
            },
        };
        let mut stack: Vec<State> = Vec::new();
        let mut tlm = Transform::identity();
        while let Some(op) = lex.next_op().map_err(|m| Error::Unsupported(m.0))? {
            let o = lex.operands();
            match op {
                b"BT" | b"ET" => {
                    tlm = Transform::identity();
                    gs.ts.tm = tlm;
                }
                b"cm" => gs.ctm = gs.ctm.pre_transform(&six(o)?),
                b"TJ" => {
                    if let Operand::Array(start, end) = *operand(o, 0)? {
                        for item in lex.items(start, end) {
                            if let Some(n) = item.num() {
                                let ts = &mut gs.ts;
                                let tx = ts.scaling * ((0.0 - n / 1000.0) * ts.font_size);
                                ts.tm =
                                    ts.tm.pre_transform(&Transform::create_translation(tx, 0.0));
                            } else if let Some(s) = item.string(&mut scratch) {
                                self.show(&mut gs, s)?;
                            }
                        }
                    }
                }
                b"Tj" => match operand(o, 0)?.string(&mut scratch) {
                    Some(s) => self.show(&mut gs, s)?,
                    None => return unsupported("Tj operand"),
                },
                b"'" | b"\"" => {
                    // Next line, then show (with `"` setting word and character spacing
                    // first). pdf-extract ignores these operators.
                    let s = if op == b"\"" {
                        gs.ts.word_spacing = num_operand(o, 0)?;
                        gs.ts.char_spacing = num_operand(o, 1)?;
                        operand(o, 2)?
                    } else {
                        operand(o, 0)?
                    };
                    tlm = tlm.pre_transform(&Transform::create_translation(0.0, -gs.ts.leading));
                    gs.ts.tm = tlm;
                    if let Some(s) = s.string(&mut scratch) {
                        self.stats.quote_ops = true;
                        self.show(&mut gs, s)?;
                    }
                }
                b"Tc" => gs.ts.char_spacing = num_operand(o, 0)?,
                b"Tw" => gs.ts.word_spacing = num_operand(o, 0)?,
                b"Tz" => gs.ts.scaling = num_operand(o, 0)? / 100.0,
                b"TL" => gs.ts.leading = num_operand(o, 0)?,
                b"Ts" => gs.ts.rise = num_operand(o, 0)?,
                b"Tf" => {
                    let size = num_operand(o, 1);
                    let name = operand(o, 0)?
                        .name(&mut scratch)
                        .ok_or(Error::Unsupported("Tf operand"))?;
                    gs.ts.font = Some(self.font(resources, name)?);
                    gs.ts.font_size = size?;
                }
                b"Tm" => {
                    tlm = six(o)?;
                    gs.ts.tm = tlm;
                }
                b"Td" | b"TD" => {
                    let [x, y] = o else {
                        return unsupported("Td operands");
                    };
                    let n = |o: &Operand| o.num().ok_or(Error::Unsupported("not a number"));
                    let (tx, ty) = (n(x)?, n(y)?);
                    if op == b"TD" {
                        gs.ts.leading = -ty;
                    }
                    tlm = tlm.pre_transform(&Transform::create_translation(tx, ty));
                    gs.ts.tm = tlm;
                }
                b"T*" => {
                    tlm = tlm.pre_transform(&Transform::create_translation(0.0, -gs.ts.leading));
                    gs.ts.tm = tlm;
                }
                b"q" => stack.push(gs.clone()),
                b"Q" => {
                    if let Some(s) = stack.pop() {
                        gs = s;
                    }
                }
                b"Do" => {
                    let doc = self.doc;
                    let name = operand(o, 0)?
                        .name(&mut scratch)
                        .ok_or(Error::Unsupported("Do operand"))?;
                    let xobjects = get_dict(doc, resources, b"XObject")?
                        .ok_or(Error::Unsupported("no /XObject resources"))?;
                    let xf = get_obj(doc, xobjects, name)?
                        .and_then(|x| x.as_stream().ok())
                        .ok_or(Error::Unsupported("XObject"))?;
                    // pdf-extract runs image data through the content parser too.
                    if get_name(doc, &xf.dict, b"Subtype")? != Some(b"Form") {
                        return unsupported("image XObject");
                    }
                    let inner = get_dict(doc, &xf.dict, b"Resources")?.unwrap_or(resources);
                    self.stream(&stream_bytes(xf), inner, depth + 1)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A string shown at the text matrix, glyph by glyph (pdf-extract's `show_text`).
    fn show(&mut self, gs: &mut State, s: &[u8]) -> Result<()> {
        let font = gs
            .ts
            .font
            .clone()
            .ok_or(Error::Unsupported("text without a font"))?;
        match &font.codes {
            Codes::Simple(entries) => {
                for &b in s {
                    let e = &entries[usize::from(b)];
                    let text = e
                        .text
                        .as_deref()
                        .ok_or(Error::Unsupported("undecodable code"))?;
                    self.glyph(gs, e.width, b == 32, text)?;
                }
            }
            Codes::Identity {
                text,
                widths,
                default_width,
            } => {
                for pair in s.chunks_exact(2) {
                    let code = (u32::from(pair[0]) << 8) | u32::from(pair[1]);
                    let w = widths.get(&code).copied().unwrap_or(*default_width);
                    let t = text.get(&code).map_or("", |t| t);
                    self.glyph(gs, w, false, t)?;
                }
            }
        }
        Ok(())
    }

    fn glyph(&mut self, gs: &mut State, width: f64, space: bool, text: &str) -> Result<()> {
        let ts = &mut gs.ts;
        let tsm = Transform::row_major(ts.scaling, 0.0, 0.0, 1.0, 0.0, ts.rise);
        let trm = tsm.post_transform(&ts.tm.post_transform(&gs.ctm));
        let w0 = width / 1000.0;
        let mut spacing = ts.char_spacing;
        if space {
            spacing += ts.word_spacing;
        }
        self.sink.glyph(&trm, w0, ts.font_size, text)?;
        let tx = ts.scaling * ((w0 - 0.0 / 1000.0) * ts.font_size + spacing);
        ts.tm = ts.tm.pre_transform(&Transform::create_translation(tx, 0.0));
        Ok(())
    }
}

#[rustfmt::skip]
mod tables {
    // Generated from pdf-extract 0.12.1's tables (encodings.rs, core_fonts.rs, glyphnames.rs,
    // PDFDocEncoding) so both readers decode alike.

    pub(super) const WIN_ANSI: [u16; 256] = [
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0020, 0x0021, 0x0022, 0x0023,
        0x0024, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
        0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003a, 0x003b,
        0x003c, 0x003d, 0x003e, 0x003f, 0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
        0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f, 0x0050, 0x0051, 0x0052, 0x0053,
        0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005a, 0x005b, 0x005c, 0x005d, 0x005e, 0x005f,
        0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006a, 0x006b,
        0x006c, 0x006d, 0x006e, 0x006f, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
        0x0078, 0x0079, 0x007a, 0x007b, 0x007c, 0x007d, 0x007e, 0x2022, 0x20ac, 0x2022, 0x201a, 0x0192,
        0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x2022, 0x017d, 0x2022,
        0x2022, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
        0x0153, 0x2022, 0x017e, 0x0178, 0x0020, 0x00a1, 0x00a2, 0x00a3, 0x00a4, 0x00a5, 0x00a6, 0x00a7,
        0x00a8, 0x00a9, 0x00aa, 0x00ab, 0x00ac, 0x002d, 0x00ae, 0x00af, 0x00b0, 0x00b1, 0x00b2, 0x00b3,
        0x00b4, 0x00b5, 0x00b6, 0x00b7, 0x00b8, 0x00b9, 0x00ba, 0x00bb, 0x00bc, 0x00bd, 0x00be, 0x00bf,
        0x00c0, 0x00c1, 0x00c2, 0x00c3, 0x00c4, 0x00c5, 0x00c6, 0x00c7, 0x00c8, 0x00c9, 0x00ca, 0x00cb,
        0x00cc, 0x00cd, 0x00ce, 0x00cf, 0x00d0, 0x00d1, 0x00d2, 0x00d3, 0x00d4, 0x00d5, 0x00d6, 0x00d7,
        0x00d8, 0x00d9, 0x00da, 0x00db, 0x00dc, 0x00dd, 0x00de, 0x00df, 0x00e0, 0x00e1, 0x00e2, 0x00e3,
        0x00e4, 0x00e5, 0x00e6, 0x00e7, 0x00e8, 0x00e9, 0x00ea, 0x00eb, 0x00ec, 0x00ed, 0x00ee, 0x00ef,
        0x00f0, 0x00f1, 0x00f2, 0x00f3, 0x00f4, 0x00f5, 0x00f6, 0x00f7, 0x00f8, 0x00f9, 0x00fa, 0x00fb,
        0x00fc, 0x00fd, 0x00fe, 0x00ff,
    ];

    pub(super) const MAC_ROMAN: [u16; 256] = [
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0020, 0x0021, 0x0022, 0x0023,
        0x0024, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
        0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003a, 0x003b,
        0x003c, 0x003d, 0x003e, 0x003f, 0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
        0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f, 0x0050, 0x0051, 0x0052, 0x0053,
        0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005a, 0x005b, 0x005c, 0x005d, 0x005e, 0x005f,
        0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006a, 0x006b,
        0x006c, 0x006d, 0x006e, 0x006f, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
        0x0078, 0x0079, 0x007a, 0x007b, 0x007c, 0x007d, 0x007e, 0x0000, 0x00c4, 0x00c5, 0x00c7, 0x00c9,
        0x00d1, 0x00d6, 0x00dc, 0x00e1, 0x00e0, 0x00e2, 0x00e4, 0x00e3, 0x00e5, 0x00e7, 0x00e9, 0x00e8,
        0x00ea, 0x00eb, 0x00ed, 0x00ec, 0x00ee, 0x00ef, 0x00f1, 0x00f3, 0x00f2, 0x00f4, 0x00f6, 0x00f5,
        0x00fa, 0x00f9, 0x00fb, 0x00fc, 0x2020, 0x00b0, 0x00a2, 0x00a3, 0x00a7, 0x2022, 0x00b6, 0x00df,
        0x00ae, 0x00a9, 0x2122, 0x00b4, 0x00a8, 0x2260, 0x00c6, 0x00d8, 0x221e, 0x00b1, 0x2264, 0x2265,
        0x00a5, 0x00b5, 0x2202, 0x2211, 0x220f, 0x03c0, 0x222b, 0x00aa, 0x00ba, 0x2126, 0x00e6, 0x00f8,
        0x00bf, 0x00a1, 0x00ac, 0x221a, 0x0192, 0x2248, 0x2206, 0x00ab, 0x00bb, 0x2026, 0x0020, 0x00c0,
        0x00c3, 0x00d5, 0x0152, 0x0153, 0x2013, 0x2014, 0x201c, 0x201d, 0x2018, 0x2019, 0x00f7, 0x25ca,
        0x00ff, 0x0178, 0x2044, 0x00a4, 0x2039, 0x203a, 0xfb01, 0xfb02, 0x2021, 0x00b7, 0x201a, 0x201e,
        0x2030, 0x00c2, 0x00ca, 0x00c1, 0x00cb, 0x00c8, 0x00cd, 0x00ce, 0x00cf, 0x00cc, 0x00d3, 0x00d4,
        0xf8ff, 0x00d2, 0x00da, 0x00db, 0x00d9, 0x0131, 0x02c6, 0x02dc, 0x00af, 0x02d8, 0x02d9, 0x02da,
        0x00b8, 0x02dd, 0x02db, 0x02c7,
    ];

    pub(super) const MAC_EXPERT: [u16; 256] = [
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
        0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0020, 0xf721, 0xf6f8, 0xf7a2,
        0xf724, 0xf6e4, 0xf726, 0xf7b4, 0x207d, 0x207e, 0x2025, 0x2024, 0x002c, 0x002d, 0x002e, 0x2044,
        0xf730, 0xf731, 0xf732, 0xf733, 0xf734, 0xf735, 0xf736, 0xf737, 0xf738, 0xf739, 0x003a, 0x003b,
        0x0000, 0xf6de, 0x0000, 0xf73f, 0x0000, 0x0000, 0x0000, 0x0000, 0xf7f0, 0x0000, 0x0000, 0x00bc,
        0x00bd, 0x00be, 0x215b, 0x215c, 0x215d, 0x215e, 0x2153, 0x2154, 0x0000, 0x0000, 0x0000, 0x0000,
        0x0000, 0x0000, 0xfb00, 0xfb01, 0xfb02, 0xfb03, 0xfb04, 0x208d, 0x0000, 0x208e, 0xf6f6, 0xf6e5,
        0xf760, 0xf761, 0xf762, 0xf763, 0xf764, 0xf765, 0xf766, 0xf767, 0xf768, 0xf769, 0xf76a, 0xf76b,
        0xf76c, 0xf76d, 0xf76e, 0xf76f, 0xf770, 0xf771, 0xf772, 0xf773, 0xf774, 0xf775, 0xf776, 0xf777,
        0xf778, 0xf779, 0xf77a, 0x20a1, 0xf6dc, 0xf6dd, 0xf6fe, 0x0000, 0x0000, 0xf6e9, 0xf6e0, 0x0000,
        0x0000, 0x0000, 0x0000, 0xf7e1, 0xf7e0, 0xf7e2, 0xf7e4, 0xf7e3, 0xf7e5, 0xf7e7, 0xf7e9, 0xf7e8,
        0xf7ea, 0xf7eb, 0xf7ed, 0xf7ec, 0xf7ee, 0xf7ef, 0xf7f1, 0xf7f3, 0xf7f2, 0xf7f4, 0xf7f6, 0xf7f5,
        0xf7fa, 0xf7f9, 0xf7fb, 0xf7fc, 0x0000, 0x2078, 0x2084, 0x2083, 0x2086, 0x2088, 0x2087, 0xf6fd,
        0x0000, 0xf6df, 0x2082, 0x0000, 0xf7a8, 0x0000, 0xf6f5, 0xf6f0, 0x2085, 0x0000, 0xf6e1, 0xf6e7,
        0xf7fd, 0x0000, 0xf6e3, 0x0000, 0x0000, 0xf7fe, 0x0000, 0x2089, 0x2080, 0xf6ff, 0xf7e6, 0xf7f8,
        0xf7bf, 0x2081, 0xf6f9, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0xf7b8, 0x0000, 0x0000,
        0x0000, 0x0000, 0x0000, 0xf6fa, 0x2012, 0xf6e6, 0x0000, 0x0000, 0x0000, 0x0000, 0xf7a1, 0x0000,
        0xf7ff, 0x0000, 0x00b9, 0x00b2, 0x00b3, 0x2074, 0x2075, 0x2076, 0x2077, 0x2079, 0x2070, 0x0000,
        0xf6ec, 0xf6f1, 0xf6f3, 0x0000, 0x0000, 0xf6ed, 0xf6f2, 0xf6eb, 0x0000, 0x0000, 0x0000, 0x0000,
        0x0000, 0xf6ee, 0xf6fb, 0xf6f4, 0xf7af, 0xf6ea, 0x207f, 0xf6ef, 0xf6e2, 0xf6e8, 0xf6f7, 0xf6fc,
        0x0000, 0x0000, 0x0000, 0x0000,
    ];

    pub(super) const PDF_DOC: [u16; 256] = [
        0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x0009, 0x000a, 0x000b,
        0x000c, 0x000d, 0x000e, 0x000f, 0x0010, 0x0011, 0x0012, 0x0013, 0x0014, 0x0015, 0x0016, 0x0017,
        0x02d8, 0x02c7, 0x02c6, 0x02d9, 0x02dd, 0x02db, 0x02da, 0x02dc, 0x0020, 0x0021, 0x0022, 0x0023,
        0x0024, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
        0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003a, 0x003b,
        0x003c, 0x003d, 0x003e, 0x003f, 0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
        0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f, 0x0050, 0x0051, 0x0052, 0x0053,
        0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005a, 0x005b, 0x005c, 0x005d, 0x005e, 0x005f,
        0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006a, 0x006b,
        0x006c, 0x006d, 0x006e, 0x006f, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
        0x0078, 0x0079, 0x007a, 0x007b, 0x007c, 0x007d, 0x007e, 0x0000, 0x2022, 0x2020, 0x2021, 0x2026,
        0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203a, 0x2212, 0x2030, 0x201e, 0x201c, 0x201d, 0x2018,
        0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141, 0x0152, 0x0160, 0x0178, 0x017d, 0x0131, 0x0142,
        0x0153, 0x0161, 0x017e, 0x0000, 0x20ac, 0x00a1, 0x00a2, 0x00a3, 0x00a4, 0x00a5, 0x00a6, 0x00a7,
        0x00a8, 0x00a9, 0x00aa, 0x00ab, 0x00ac, 0x0000, 0x00ae, 0x00af, 0x00b0, 0x00b1, 0x00b2, 0x00b3,
        0x00b4, 0x00b5, 0x00b6, 0x00b7, 0x00b8, 0x00b9, 0x00ba, 0x00bb, 0x00bc, 0x00bd, 0x00be, 0x00bf,
        0x00c0, 0x00c1, 0x00c2, 0x00c3, 0x00c4, 0x00c5, 0x00c6, 0x00c7, 0x00c8, 0x00c9, 0x00ca, 0x00cb,
        0x00cc, 0x00cd, 0x00ce, 0x00cf, 0x00d0, 0x00d1, 0x00d2, 0x00d3, 0x00d4, 0x00d5, 0x00d6, 0x00d7,
        0x00d8, 0x00d9, 0x00da, 0x00db, 0x00dc, 0x00dd, 0x00de, 0x00df, 0x00e0, 0x00e1, 0x00e2, 0x00e3,
        0x00e4, 0x00e5, 0x00e6, 0x00e7, 0x00e8, 0x00e9, 0x00ea, 0x00eb, 0x00ec, 0x00ed, 0x00ee, 0x00ef,
        0x00f0, 0x00f1, 0x00f2, 0x00f3, 0x00f4, 0x00f5, 0x00f6, 0x00f7, 0x00f8, 0x00f9, 0x00fa, 0x00fb,
        0x00fc, 0x00fd, 0x00fe, 0x00ff,
    ];

    /// The glyphs of the standard Latin fonts: (code in their built-in encoding, -1 when none; Unicode).
    pub(super) const CORE_GLYPHS: [(i16, u16); 315] = [
        (32, 0x0020), (33, 0x0021), (34, 0x0022), (35, 0x0023), (36, 0x0024), (37, 0x0025), (38, 0x0026), (39, 0x2019),
        (40, 0x0028), (41, 0x0029), (42, 0x002a), (43, 0x002b), (44, 0x002c), (45, 0x002d), (46, 0x002e), (47, 0x002f),
        (48, 0x0030), (49, 0x0031), (50, 0x0032), (51, 0x0033), (52, 0x0034), (53, 0x0035), (54, 0x0036), (55, 0x0037),
        (56, 0x0038), (57, 0x0039), (58, 0x003a), (59, 0x003b), (60, 0x003c), (61, 0x003d), (62, 0x003e), (63, 0x003f),
        (64, 0x0040), (65, 0x0041), (66, 0x0042), (67, 0x0043), (68, 0x0044), (69, 0x0045), (70, 0x0046), (71, 0x0047),
        (72, 0x0048), (73, 0x0049), (74, 0x004a), (75, 0x004b), (76, 0x004c), (77, 0x004d), (78, 0x004e), (79, 0x004f),
        (80, 0x0050), (81, 0x0051), (82, 0x0052), (83, 0x0053), (84, 0x0054), (85, 0x0055), (86, 0x0056), (87, 0x0057),
        (88, 0x0058), (89, 0x0059), (90, 0x005a), (91, 0x005b), (92, 0x005c), (93, 0x005d), (94, 0x005e), (95, 0x005f),
        (96, 0x2018), (97, 0x0061), (98, 0x0062), (99, 0x0063), (100, 0x0064), (101, 0x0065), (102, 0x0066), (103, 0x0067),
        (104, 0x0068), (105, 0x0069), (106, 0x006a), (107, 0x006b), (108, 0x006c), (109, 0x006d), (110, 0x006e), (111, 0x006f),
        (112, 0x0070), (113, 0x0071), (114, 0x0072), (115, 0x0073), (116, 0x0074), (117, 0x0075), (118, 0x0076), (119, 0x0077),
        (120, 0x0078), (121, 0x0079), (122, 0x007a), (123, 0x007b), (124, 0x007c), (125, 0x007d), (126, 0x007e), (161, 0x00a1),
        (162, 0x00a2), (163, 0x00a3), (164, 0x2044), (165, 0x00a5), (166, 0x0192), (167, 0x00a7), (168, 0x00a4), (169, 0x0027),
        (170, 0x201c), (171, 0x00ab), (172, 0x2039), (173, 0x203a), (174, 0xfb01), (175, 0xfb02), (177, 0x2013), (178, 0x2020),
        (179, 0x2021), (180, 0x00b7), (182, 0x00b6), (183, 0x2022), (184, 0x201a), (185, 0x201e), (186, 0x201d), (187, 0x00bb),
        (188, 0x2026), (189, 0x2030), (191, 0x00bf), (193, 0x0060), (194, 0x00b4), (195, 0x02c6), (196, 0x02dc), (197, 0x00af),
        (198, 0x02d8), (199, 0x02d9), (200, 0x00a8), (202, 0x02da), (203, 0x00b8), (205, 0x02dd), (206, 0x02db), (207, 0x02c7),
        (208, 0x2014), (225, 0x00c6), (227, 0x00aa), (232, 0x0141), (233, 0x00d8), (234, 0x0152), (235, 0x00ba), (241, 0x00e6),
        (245, 0x0131), (248, 0x0142), (249, 0x00f8), (250, 0x0153), (251, 0x00df), (-1, 0x00cf), (-1, 0x00e9), (-1, 0x0103),
        (-1, 0x0171), (-1, 0x011b), (-1, 0x0178), (-1, 0x00f7), (-1, 0x00dd), (-1, 0x00c2), (-1, 0x00e1), (-1, 0x00db),
        (-1, 0x00fd), (-1, 0x0219), (-1, 0x00ea), (-1, 0x016e), (-1, 0x00dc), (-1, 0x0105), (-1, 0x00da), (-1, 0x0173),
        (-1, 0x00cb), (-1, 0x0110), (-1, 0xf6c3), (-1, 0x00a9), (-1, 0x0112), (-1, 0x010d), (-1, 0x00e5), (-1, 0x0145),
        (-1, 0x013a), (-1, 0x00e0), (-1, 0x0162), (-1, 0x0106), (-1, 0x00e3), (-1, 0x0116), (-1, 0x0161), (-1, 0x015f),
        (-1, 0x00ed), (-1, 0x25ca), (-1, 0x0158), (-1, 0x0122), (-1, 0x00fb), (-1, 0x00e2), (-1, 0x0100), (-1, 0x0159),
        (-1, 0x00e7), (-1, 0x017b), (-1, 0x00de), (-1, 0x014c), (-1, 0x0154), (-1, 0x015a), (-1, 0x010f), (-1, 0x016a),
        (-1, 0x016f), (-1, 0x00b3), (-1, 0x00d2), (-1, 0x00c0), (-1, 0x0102), (-1, 0x00d7), (-1, 0x00fa), (-1, 0x0164),
        (-1, 0x2202), (-1, 0x00ff), (-1, 0x0143), (-1, 0x00ee), (-1, 0x00ca), (-1, 0x00e4), (-1, 0x00eb), (-1, 0x0107),
        (-1, 0x0144), (-1, 0x016b), (-1, 0x0147), (-1, 0x00cd), (-1, 0x00b1), (-1, 0x00a6), (-1, 0x00ae), (-1, 0x011e),
        (-1, 0x0130), (-1, 0x2211), (-1, 0x00c8), (-1, 0x0155), (-1, 0x014d), (-1, 0x0179), (-1, 0x017d), (-1, 0x2265),
        (-1, 0x00d0), (-1, 0x00c7), (-1, 0x013c), (-1, 0x0165), (-1, 0x0119), (-1, 0x0172), (-1, 0x00c1), (-1, 0x00c4),
        (-1, 0x00e8), (-1, 0x017a), (-1, 0x012f), (-1, 0x00d3), (-1, 0x00f3), (-1, 0x0101), (-1, 0x015b), (-1, 0x00ef),
        (-1, 0x00d4), (-1, 0x00d9), (-1, 0x2206), (-1, 0x00fe), (-1, 0x00b2), (-1, 0x00d6), (-1, 0x00b5), (-1, 0x00ec),
        (-1, 0x0151), (-1, 0x0118), (-1, 0x0111), (-1, 0x00be), (-1, 0x015e), (-1, 0x013e), (-1, 0x0136), (-1, 0x0139),
        (-1, 0x2122), (-1, 0x0117), (-1, 0x00cc), (-1, 0x012a), (-1, 0x013d), (-1, 0x00bd), (-1, 0x2264), (-1, 0x00f4),
        (-1, 0x00f1), (-1, 0x0170), (-1, 0x00c9), (-1, 0x0113), (-1, 0x011f), (-1, 0x00bc), (-1, 0x0160), (-1, 0x0218),
        (-1, 0x0150), (-1, 0x00b0), (-1, 0x00f2), (-1, 0x010c), (-1, 0x00f9), (-1, 0x221a), (-1, 0x010e), (-1, 0x0157),
        (-1, 0x00d1), (-1, 0x00f5), (-1, 0x0156), (-1, 0x013b), (-1, 0x00c3), (-1, 0x0104), (-1, 0x00c5), (-1, 0x00d5),
        (-1, 0x017c), (-1, 0x011a), (-1, 0x012e), (-1, 0x0137), (-1, 0x2212), (-1, 0x00ce), (-1, 0x0148), (-1, 0x0163),
        (-1, 0x00ac), (-1, 0x00f6), (-1, 0x00fc), (-1, 0x2260), (-1, 0x0123), (-1, 0x00f0), (-1, 0x017e), (-1, 0x0146),
        (-1, 0x00b9), (-1, 0x012b), (-1, 0x20ac),
    ];

    pub(super) const W_COURIER_BOLD: [u16; 315] = [
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
        600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600,
    ];

    pub(super) const W_HELVETICA_BOLD: [u16; 315] = [
        278, 333, 474, 556, 556, 889, 722, 278, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
        975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
        278, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
        611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 333,
        556, 556, 167, 556, 556, 556, 556, 238, 500, 556, 333, 333, 611, 611, 556, 556,
        556, 278, 556, 350, 278, 500, 500, 556, 1000, 1000, 611, 333, 333, 333, 333, 333,
        333, 333, 333, 333, 333, 333, 333, 333, 1000, 1000, 370, 611, 778, 1000, 365, 889,
        278, 278, 611, 944, 611, 278, 556, 556, 611, 556, 667, 584, 667, 722, 556, 722,
        556, 556, 556, 722, 722, 556, 722, 611, 667, 722, 250, 737, 667, 556, 556, 722,
        278, 556, 611, 722, 556, 667, 556, 556, 278, 494, 722, 778, 611, 556, 722, 389,
        556, 611, 667, 778, 722, 667, 743, 722, 611, 333, 778, 722, 722, 584, 611, 611,
        494, 556, 722, 278, 667, 556, 556, 556, 611, 611, 722, 278, 584, 280, 737, 778,
        278, 600, 667, 389, 611, 611, 611, 549, 722, 722, 278, 389, 556, 722, 722, 722,
        556, 500, 278, 778, 611, 556, 556, 278, 778, 722, 612, 611, 333, 778, 611, 278,
        611, 667, 611, 834, 667, 400, 722, 611, 1000, 556, 278, 278, 611, 834, 549, 611,
        611, 722, 667, 556, 611, 834, 667, 667, 778, 400, 611, 722, 611, 549, 722, 389,
        722, 611, 722, 611, 722, 722, 722, 778, 500, 667, 278, 556, 584, 278, 611, 333,
        584, 611, 611, 549, 611, 611, 500, 611, 333, 278, 556,
    ];

    pub(super) const W_HELVETICA_OBLIQUE: [u16; 315] = [
        278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
        222, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 333,
        556, 556, 167, 556, 556, 556, 556, 191, 333, 556, 333, 333, 500, 500, 556, 556,
        556, 278, 537, 350, 222, 333, 333, 556, 1000, 1000, 611, 333, 333, 333, 333, 333,
        333, 333, 333, 333, 333, 333, 333, 333, 1000, 1000, 370, 556, 778, 1000, 365, 889,
        278, 222, 611, 944, 611, 278, 556, 556, 556, 556, 667, 584, 667, 667, 556, 722,
        500, 500, 556, 722, 722, 556, 722, 556, 667, 722, 250, 737, 667, 500, 556, 722,
        222, 556, 611, 722, 556, 667, 500, 500, 278, 471, 722, 778, 556, 556, 667, 333,
        500, 611, 667, 778, 722, 667, 643, 722, 556, 333, 778, 667, 667, 584, 556, 611,
        476, 500, 722, 278, 667, 556, 556, 500, 556, 556, 722, 278, 584, 260, 737, 778,
        278, 600, 667, 333, 556, 611, 611, 549, 722, 722, 222, 317, 556, 722, 667, 667,
        556, 500, 222, 778, 556, 556, 500, 278, 778, 722, 612, 556, 333, 778, 556, 278,
        556, 667, 556, 834, 667, 299, 667, 556, 1000, 556, 278, 278, 556, 834, 549, 556,
        556, 722, 667, 556, 556, 834, 667, 667, 778, 400, 556, 722, 556, 453, 722, 333,
        722, 556, 722, 556, 667, 667, 667, 778, 500, 667, 278, 500, 584, 278, 556, 278,
        584, 556, 556, 549, 556, 556, 500, 556, 333, 278, 556,
    ];

    pub(super) const W_TIMES_BOLD: [u16; 315] = [
        250, 333, 555, 500, 500, 1000, 833, 333, 333, 333, 500, 570, 250, 333, 250, 278,
        500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500,
        930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778,
        611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500,
        333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500,
        556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520, 333,
        500, 500, 167, 500, 500, 500, 500, 278, 500, 500, 333, 333, 556, 556, 500, 500,
        500, 250, 540, 350, 333, 500, 500, 500, 1000, 1000, 500, 333, 333, 333, 333, 333,
        333, 333, 333, 333, 333, 333, 333, 333, 1000, 1000, 300, 667, 778, 1000, 330, 722,
        278, 278, 500, 722, 556, 389, 444, 500, 556, 444, 722, 570, 722, 722, 500, 722,
        500, 389, 444, 722, 722, 500, 722, 556, 667, 722, 250, 747, 667, 444, 500, 722,
        278, 500, 667, 722, 500, 667, 389, 389, 278, 494, 722, 778, 556, 500, 722, 444,
        444, 667, 611, 778, 722, 556, 672, 722, 556, 300, 778, 722, 722, 570, 556, 667,
        494, 500, 722, 278, 667, 500, 444, 444, 556, 556, 722, 389, 570, 220, 747, 778,
        389, 600, 667, 444, 500, 667, 667, 549, 722, 722, 278, 416, 444, 722, 722, 722,
        444, 444, 278, 778, 500, 500, 389, 278, 778, 722, 612, 556, 300, 778, 556, 278,
        500, 667, 556, 750, 556, 394, 778, 667, 1000, 444, 389, 389, 667, 750, 549, 500,
        556, 722, 667, 444, 500, 750, 556, 556, 778, 400, 500, 722, 556, 549, 722, 444,
        722, 500, 722, 667, 722, 722, 722, 778, 444, 667, 389, 556, 570, 389, 556, 333,
        570, 500, 556, 549, 500, 500, 444, 556, 300, 278, 500,
    ];

    pub(super) const W_TIMES_BOLDITALIC: [u16; 315] = [
        250, 389, 555, 500, 500, 833, 778, 333, 333, 333, 500, 570, 250, 333, 250, 278,
        500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500,
        832, 667, 667, 667, 722, 667, 667, 722, 778, 389, 500, 667, 611, 889, 722, 722,
        611, 722, 667, 556, 611, 722, 667, 889, 667, 611, 611, 333, 278, 333, 570, 500,
        333, 500, 500, 444, 500, 444, 333, 500, 556, 278, 278, 500, 278, 778, 556, 500,
        500, 500, 389, 389, 278, 556, 444, 667, 500, 444, 389, 348, 220, 348, 570, 389,
        500, 500, 167, 500, 500, 500, 500, 278, 500, 500, 333, 333, 556, 556, 500, 500,
        500, 250, 500, 350, 333, 500, 500, 500, 1000, 1000, 500, 333, 333, 333, 333, 333,
        333, 333, 333, 333, 333, 333, 333, 333, 1000, 944, 266, 611, 722, 944, 300, 722,
        278, 278, 500, 722, 500, 389, 444, 500, 556, 444, 611, 570, 611, 667, 500, 722,
        444, 389, 444, 722, 722, 500, 722, 556, 667, 722, 250, 747, 667, 444, 500, 722,
        278, 500, 611, 667, 500, 667, 389, 389, 278, 494, 667, 722, 556, 500, 667, 389,
        444, 611, 611, 722, 667, 556, 608, 722, 556, 300, 722, 667, 667, 570, 556, 611,
        494, 444, 722, 278, 667, 500, 444, 444, 556, 556, 722, 389, 570, 220, 747, 722,
        389, 600, 667, 389, 500, 611, 611, 549, 722, 667, 278, 366, 444, 722, 667, 667,
        444, 389, 278, 722, 500, 500, 389, 278, 722, 722, 612, 500, 300, 722, 576, 278,
        500, 667, 500, 750, 556, 382, 667, 611, 1000, 444, 389, 389, 611, 750, 549, 500,
        556, 722, 667, 444, 500, 750, 556, 556, 722, 400, 500, 667, 556, 549, 722, 389,
        722, 500, 667, 611, 667, 667, 667, 722, 389, 667, 389, 500, 606, 389, 556, 278,
        606, 500, 556, 549, 500, 500, 389, 556, 300, 278, 500,
    ];

    pub(super) const W_TIMES_ITALIC: [u16; 315] = [
        250, 333, 420, 500, 500, 833, 778, 333, 333, 333, 500, 675, 250, 333, 250, 278,
        500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 675, 675, 675, 500,
        920, 611, 611, 667, 722, 611, 611, 722, 722, 333, 444, 667, 556, 833, 667, 722,
        611, 722, 611, 500, 556, 722, 611, 833, 611, 556, 556, 389, 278, 389, 422, 500,
        333, 500, 500, 444, 500, 444, 278, 500, 500, 278, 278, 444, 278, 722, 500, 500,
        500, 500, 389, 389, 278, 500, 444, 667, 444, 444, 389, 400, 275, 400, 541, 389,
        500, 500, 167, 500, 500, 500, 500, 214, 556, 500, 333, 333, 500, 500, 500, 500,
        500, 250, 523, 350, 333, 556, 556, 500, 889, 1000, 500, 333, 333, 333, 333, 333,
        333, 333, 333, 333, 333, 333, 333, 333, 889, 889, 276, 556, 722, 944, 310, 667,
        278, 278, 500, 667, 500, 333, 444, 500, 500, 444, 556, 675, 556, 611, 500, 722,
        444, 389, 444, 722, 722, 500, 722, 500, 611, 722, 250, 760, 611, 444, 500, 667,
        278, 500, 556, 667, 500, 611, 389, 389, 278, 471, 611, 722, 500, 500, 611, 389,
        444, 556, 611, 722, 611, 500, 544, 722, 500, 300, 722, 611, 611, 675, 500, 556,
        476, 444, 667, 278, 611, 500, 444, 444, 500, 500, 667, 333, 675, 275, 760, 722,
        333, 600, 611, 389, 500, 556, 556, 549, 722, 667, 278, 300, 444, 722, 611, 611,
        444, 389, 278, 722, 500, 500, 389, 278, 722, 722, 612, 500, 300, 722, 500, 278,
        500, 611, 500, 750, 500, 300, 667, 556, 980, 444, 333, 333, 611, 750, 549, 500,
        500, 722, 611, 444, 500, 750, 500, 500, 722, 400, 500, 667, 500, 453, 722, 389,
        667, 500, 611, 556, 611, 611, 611, 722, 389, 611, 333, 444, 675, 333, 500, 278,
        675, 500, 500, 549, 500, 500, 389, 500, 300, 278, 500,
    ];

    pub(super) const W_TIMES_ROMAN: [u16; 315] = [
        250, 333, 408, 500, 500, 833, 778, 333, 333, 333, 500, 564, 250, 333, 250, 278,
        500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
        921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
        556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
        333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
        500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541, 333,
        500, 500, 167, 500, 500, 500, 500, 180, 444, 500, 333, 333, 556, 556, 500, 500,
        500, 250, 453, 350, 333, 444, 444, 500, 1000, 1000, 444, 333, 333, 333, 333, 333,
        333, 333, 333, 333, 333, 333, 333, 333, 1000, 889, 276, 611, 722, 889, 310, 667,
        278, 278, 500, 722, 500, 333, 444, 444, 500, 444, 722, 564, 722, 722, 444, 722,
        500, 389, 444, 722, 722, 444, 722, 500, 611, 722, 250, 760, 611, 444, 444, 722,
        278, 444, 611, 667, 444, 611, 389, 389, 278, 471, 667, 722, 500, 444, 722, 333,
        444, 611, 556, 722, 667, 556, 588, 722, 500, 300, 722, 722, 722, 564, 500, 611,
        476, 500, 722, 278, 611, 444, 444, 444, 500, 500, 722, 333, 564, 200, 760, 722,
        333, 600, 611, 333, 500, 611, 611, 549, 722, 667, 278, 326, 444, 722, 722, 722,
        444, 444, 278, 722, 500, 444, 389, 278, 722, 722, 612, 500, 300, 722, 500, 278,
        500, 611, 500, 750, 556, 344, 722, 611, 980, 444, 333, 333, 611, 750, 549, 500,
        500, 722, 611, 444, 500, 750, 556, 556, 722, 400, 500, 667, 500, 453, 722, 333,
        722, 500, 667, 611, 722, 722, 722, 722, 444, 611, 333, 500, 564, 333, 500, 278,
        564, 500, 500, 549, 500, 500, 444, 500, 300, 278, 500,
    ];

    pub(super) const CORE_FONTS: [(&str, &[u16; 315]); 12] = [
        ("Courier-Bold", &W_COURIER_BOLD),
        ("Courier-BoldOblique", &W_COURIER_BOLD),
        ("Courier-Oblique", &W_COURIER_BOLD),
        ("Courier", &W_COURIER_BOLD),
        ("Helvetica-Bold", &W_HELVETICA_BOLD),
        ("Helvetica-BoldOblique", &W_HELVETICA_BOLD),
        ("Helvetica-Oblique", &W_HELVETICA_OBLIQUE),
        ("Helvetica", &W_HELVETICA_OBLIQUE),
        ("Times-Bold", &W_TIMES_BOLD),
        ("Times-BoldItalic", &W_TIMES_BOLDITALIC),
        ("Times-Italic", &W_TIMES_ITALIC),
        ("Times-Roman", &W_TIMES_ROMAN),
    ];

    /// Glyph names of the standard encodings and fonts → Unicode, sorted by name.
    pub(super) const GLYPH_NAMES: [(&str, u16); 472] = [
        ("A", 0x0041), ("AE", 0x00c6), ("AEsmall", 0xf7e6), ("Aacute", 0x00c1), ("Aacutesmall", 0xf7e1), ("Abreve", 0x0102),
        ("Acircumflex", 0x00c2), ("Acircumflexsmall", 0xf7e2), ("Acutesmall", 0xf7b4), ("Adieresis", 0x00c4), ("Adieresissmall", 0xf7e4), ("Agrave", 0x00c0),
        ("Agravesmall", 0xf7e0), ("Amacron", 0x0100), ("Aogonek", 0x0104), ("Aring", 0x00c5), ("Aringsmall", 0xf7e5), ("Asmall", 0xf761),
        ("Atilde", 0x00c3), ("Atildesmall", 0xf7e3), ("B", 0x0042), ("Brevesmall", 0xf6f4), ("Bsmall", 0xf762), ("C", 0x0043),
        ("Cacute", 0x0106), ("Caronsmall", 0xf6f5), ("Ccaron", 0x010c), ("Ccedilla", 0x00c7), ("Ccedillasmall", 0xf7e7), ("Cedillasmall", 0xf7b8),
        ("Circumflexsmall", 0xf6f6), ("Csmall", 0xf763), ("D", 0x0044), ("Dcaron", 0x010e), ("Dcroat", 0x0110), ("Delta", 0x2206),
        ("Dieresissmall", 0xf7a8), ("Dotaccentsmall", 0xf6f7), ("Dsmall", 0xf764), ("E", 0x0045), ("Eacute", 0x00c9), ("Eacutesmall", 0xf7e9),
        ("Ecaron", 0x011a), ("Ecircumflex", 0x00ca), ("Ecircumflexsmall", 0xf7ea), ("Edieresis", 0x00cb), ("Edieresissmall", 0xf7eb), ("Edotaccent", 0x0116),
        ("Egrave", 0x00c8), ("Egravesmall", 0xf7e8), ("Emacron", 0x0112), ("Eogonek", 0x0118), ("Esmall", 0xf765), ("Eth", 0x00d0),
        ("Ethsmall", 0xf7f0), ("Euro", 0x20ac), ("F", 0x0046), ("Fsmall", 0xf766), ("G", 0x0047), ("Gbreve", 0x011e),
        ("Gcommaaccent", 0x0122), ("Gravesmall", 0xf760), ("Gsmall", 0xf767), ("H", 0x0048), ("Hsmall", 0xf768), ("Hungarumlautsmall", 0xf6f8),
        ("I", 0x0049), ("Iacute", 0x00cd), ("Iacutesmall", 0xf7ed), ("Icircumflex", 0x00ce), ("Icircumflexsmall", 0xf7ee), ("Idieresis", 0x00cf),
        ("Idieresissmall", 0xf7ef), ("Idotaccent", 0x0130), ("Igrave", 0x00cc), ("Igravesmall", 0xf7ec), ("Imacron", 0x012a), ("Iogonek", 0x012e),
        ("Ismall", 0xf769), ("J", 0x004a), ("Jsmall", 0xf76a), ("K", 0x004b), ("Kcommaaccent", 0x0136), ("Ksmall", 0xf76b),
        ("L", 0x004c), ("Lacute", 0x0139), ("Lcaron", 0x013d), ("Lcommaaccent", 0x013b), ("Lslash", 0x0141), ("Lslashsmall", 0xf6f9),
        ("Lsmall", 0xf76c), ("M", 0x004d), ("Macronsmall", 0xf7af), ("Msmall", 0xf76d), ("N", 0x004e), ("Nacute", 0x0143),
        ("Ncaron", 0x0147), ("Ncommaaccent", 0x0145), ("Nsmall", 0xf76e), ("Ntilde", 0x00d1), ("Ntildesmall", 0xf7f1), ("O", 0x004f),
        ("OE", 0x0152), ("OEsmall", 0xf6fa), ("Oacute", 0x00d3), ("Oacutesmall", 0xf7f3), ("Ocircumflex", 0x00d4), ("Ocircumflexsmall", 0xf7f4),
        ("Odieresis", 0x00d6), ("Odieresissmall", 0xf7f6), ("Ogoneksmall", 0xf6fb), ("Ograve", 0x00d2), ("Ogravesmall", 0xf7f2), ("Ohungarumlaut", 0x0150),
        ("Omacron", 0x014c), ("Omega", 0x2126), ("Oslash", 0x00d8), ("Oslashsmall", 0xf7f8), ("Osmall", 0xf76f), ("Otilde", 0x00d5),
        ("Otildesmall", 0xf7f5), ("P", 0x0050), ("Psmall", 0xf770), ("Q", 0x0051), ("Qsmall", 0xf771), ("R", 0x0052),
        ("Racute", 0x0154), ("Rcaron", 0x0158), ("Rcommaaccent", 0x0156), ("Ringsmall", 0xf6fc), ("Rsmall", 0xf772), ("S", 0x0053),
        ("Sacute", 0x015a), ("Scaron", 0x0160), ("Scaronsmall", 0xf6fd), ("Scedilla", 0x015e), ("Scommaaccent", 0x0218), ("Ssmall", 0xf773),
        ("T", 0x0054), ("Tcaron", 0x0164), ("Tcommaaccent", 0x0162), ("Thorn", 0x00de), ("Thornsmall", 0xf7fe), ("Tildesmall", 0xf6fe),
        ("Tsmall", 0xf774), ("U", 0x0055), ("Uacute", 0x00da), ("Uacutesmall", 0xf7fa), ("Ucircumflex", 0x00db), ("Ucircumflexsmall", 0xf7fb),
        ("Udieresis", 0x00dc), ("Udieresissmall", 0xf7fc), ("Ugrave", 0x00d9), ("Ugravesmall", 0xf7f9), ("Uhungarumlaut", 0x0170), ("Umacron", 0x016a),
        ("Uogonek", 0x0172), ("Uring", 0x016e), ("Usmall", 0xf775), ("V", 0x0056), ("Vsmall", 0xf776), ("W", 0x0057),
        ("Wsmall", 0xf777), ("X", 0x0058), ("Xsmall", 0xf778), ("Y", 0x0059), ("Yacute", 0x00dd), ("Yacutesmall", 0xf7fd),
        ("Ydieresis", 0x0178), ("Ydieresissmall", 0xf7ff), ("Ysmall", 0xf779), ("Z", 0x005a), ("Zacute", 0x0179), ("Zcaron", 0x017d),
        ("Zcaronsmall", 0xf6ff), ("Zdotaccent", 0x017b), ("Zsmall", 0xf77a), ("a", 0x0061), ("aacute", 0x00e1), ("abreve", 0x0103),
        ("acircumflex", 0x00e2), ("acute", 0x00b4), ("adieresis", 0x00e4), ("ae", 0x00e6), ("agrave", 0x00e0), ("amacron", 0x0101),
        ("ampersand", 0x0026), ("ampersandsmall", 0xf726), ("aogonek", 0x0105), ("apple", 0xf8ff), ("approxequal", 0x2248), ("aring", 0x00e5),
        ("asciicircum", 0x005e), ("asciitilde", 0x007e), ("asterisk", 0x002a), ("asuperior", 0xf6e9), ("at", 0x0040), ("atilde", 0x00e3),
        ("b", 0x0062), ("backslash", 0x005c), ("bar", 0x007c), ("braceleft", 0x007b), ("braceright", 0x007d), ("bracketleft", 0x005b),
        ("bracketright", 0x005d), ("breve", 0x02d8), ("brokenbar", 0x00a6), ("bsuperior", 0xf6ea), ("bullet", 0x2022), ("c", 0x0063),
        ("cacute", 0x0107), ("caron", 0x02c7), ("ccaron", 0x010d), ("ccedilla", 0x00e7), ("cedilla", 0x00b8), ("cent", 0x00a2),
        ("centinferior", 0xf6df), ("centoldstyle", 0xf7a2), ("centsuperior", 0xf6e0), ("circumflex", 0x02c6), ("colon", 0x003a), ("colonmonetary", 0x20a1),
        ("comma", 0x002c), ("commaaccent", 0xf6c3), ("commainferior", 0xf6e1), ("commasuperior", 0xf6e2), ("copyright", 0x00a9), ("currency", 0x00a4),
        ("d", 0x0064), ("dagger", 0x2020), ("daggerdbl", 0x2021), ("dcaron", 0x010f), ("dcroat", 0x0111), ("degree", 0x00b0),
        ("dieresis", 0x00a8), ("divide", 0x00f7), ("dollar", 0x0024), ("dollarinferior", 0xf6e3), ("dollaroldstyle", 0xf724), ("dollarsuperior", 0xf6e4),
        ("dotaccent", 0x02d9), ("dotlessi", 0x0131), ("dsuperior", 0xf6eb), ("e", 0x0065), ("eacute", 0x00e9), ("ecaron", 0x011b),
        ("ecircumflex", 0x00ea), ("edieresis", 0x00eb), ("edotaccent", 0x0117), ("egrave", 0x00e8), ("eight", 0x0038), ("eightinferior", 0x2088),
        ("eightoldstyle", 0xf738), ("eightsuperior", 0x2078), ("ellipsis", 0x2026), ("emacron", 0x0113), ("emdash", 0x2014), ("endash", 0x2013),
        ("eogonek", 0x0119), ("equal", 0x003d), ("esuperior", 0xf6ec), ("eth", 0x00f0), ("exclam", 0x0021), ("exclamdown", 0x00a1),
        ("exclamdownsmall", 0xf7a1), ("exclamsmall", 0xf721), ("f", 0x0066), ("ff", 0xfb00), ("ffi", 0xfb03), ("ffl", 0xfb04),
        ("fi", 0xfb01), ("figuredash", 0x2012), ("five", 0x0035), ("fiveeighths", 0x215d), ("fiveinferior", 0x2085), ("fiveoldstyle", 0xf735),
        ("fivesuperior", 0x2075), ("fl", 0xfb02), ("florin", 0x0192), ("four", 0x0034), ("fourinferior", 0x2084), ("fouroldstyle", 0xf734),
        ("foursuperior", 0x2074), ("fraction", 0x2044), ("g", 0x0067), ("gbreve", 0x011f), ("gcommaaccent", 0x0123), ("germandbls", 0x00df),
        ("grave", 0x0060), ("greater", 0x003e), ("greaterequal", 0x2265), ("guillemotleft", 0x00ab), ("guillemotright", 0x00bb), ("guilsinglleft", 0x2039),
        ("guilsinglright", 0x203a), ("h", 0x0068), ("hungarumlaut", 0x02dd), ("hyphen", 0x002d), ("hypheninferior", 0xf6e5), ("hyphensuperior", 0xf6e6),
        ("i", 0x0069), ("iacute", 0x00ed), ("icircumflex", 0x00ee), ("idieresis", 0x00ef), ("igrave", 0x00ec), ("imacron", 0x012b),
        ("infinity", 0x221e), ("integral", 0x222b), ("iogonek", 0x012f), ("isuperior", 0xf6ed), ("j", 0x006a), ("k", 0x006b),
        ("kcommaaccent", 0x0137), ("l", 0x006c), ("lacute", 0x013a), ("lcaron", 0x013e), ("lcommaaccent", 0x013c), ("less", 0x003c),
        ("lessequal", 0x2264), ("logicalnot", 0x00ac), ("lozenge", 0x25ca), ("lslash", 0x0142), ("lsuperior", 0xf6ee), ("m", 0x006d),
        ("macron", 0x00af), ("minus", 0x2212), ("msuperior", 0xf6ef), ("mu", 0x00b5), ("multiply", 0x00d7), ("n", 0x006e),
        ("nacute", 0x0144), ("ncaron", 0x0148), ("ncommaaccent", 0x0146), ("nine", 0x0039), ("nineinferior", 0x2089), ("nineoldstyle", 0xf739),
        ("ninesuperior", 0x2079), ("notequal", 0x2260), ("nsuperior", 0x207f), ("ntilde", 0x00f1), ("numbersign", 0x0023), ("o", 0x006f),
        ("oacute", 0x00f3), ("ocircumflex", 0x00f4), ("odieresis", 0x00f6), ("oe", 0x0153), ("ogonek", 0x02db), ("ograve", 0x00f2),
        ("ohungarumlaut", 0x0151), ("omacron", 0x014d), ("one", 0x0031), ("onedotenleader", 0x2024), ("oneeighth", 0x215b), ("onefitted", 0xf6dc),
        ("onehalf", 0x00bd), ("oneinferior", 0x2081), ("oneoldstyle", 0xf731), ("onequarter", 0x00bc), ("onesuperior", 0x00b9), ("onethird", 0x2153),
        ("ordfeminine", 0x00aa), ("ordmasculine", 0x00ba), ("oslash", 0x00f8), ("osuperior", 0xf6f0), ("otilde", 0x00f5), ("p", 0x0070),
        ("paragraph", 0x00b6), ("parenleft", 0x0028), ("parenleftinferior", 0x208d), ("parenleftsuperior", 0x207d), ("parenright", 0x0029), ("parenrightinferior", 0x208e),
        ("parenrightsuperior", 0x207e), ("partialdiff", 0x2202), ("percent", 0x0025), ("period", 0x002e), ("periodcentered", 0x00b7), ("periodinferior", 0xf6e7),
        ("periodsuperior", 0xf6e8), ("perthousand", 0x2030), ("pi", 0x03c0), ("plus", 0x002b), ("plusminus", 0x00b1), ("product", 0x220f),
        ("q", 0x0071), ("question", 0x003f), ("questiondown", 0x00bf), ("questiondownsmall", 0xf7bf), ("questionsmall", 0xf73f), ("quotedbl", 0x0022),
        ("quotedblbase", 0x201e), ("quotedblleft", 0x201c), ("quotedblright", 0x201d), ("quoteleft", 0x2018), ("quoteright", 0x2019), ("quotesinglbase", 0x201a),
        ("quotesingle", 0x0027), ("r", 0x0072), ("racute", 0x0155), ("radical", 0x221a), ("rcaron", 0x0159), ("rcommaaccent", 0x0157),
        ("registered", 0x00ae), ("ring", 0x02da), ("rsuperior", 0xf6f1), ("rupiah", 0xf6dd), ("s", 0x0073), ("sacute", 0x015b),
        ("scaron", 0x0161), ("scedilla", 0x015f), ("scommaaccent", 0x0219), ("section", 0x00a7), ("semicolon", 0x003b), ("seven", 0x0037),
        ("seveneighths", 0x215e), ("seveninferior", 0x2087), ("sevenoldstyle", 0xf737), ("sevensuperior", 0x2077), ("six", 0x0036), ("sixinferior", 0x2086),
        ("sixoldstyle", 0xf736), ("sixsuperior", 0x2076), ("slash", 0x002f), ("space", 0x0020), ("ssuperior", 0xf6f2), ("sterling", 0x00a3),
        ("summation", 0x2211), ("t", 0x0074), ("tcaron", 0x0165), ("tcommaaccent", 0x0163), ("thorn", 0x00fe), ("three", 0x0033),
        ("threeeighths", 0x215c), ("threeinferior", 0x2083), ("threeoldstyle", 0xf733), ("threequarters", 0x00be), ("threequartersemdash", 0xf6de), ("threesuperior", 0x00b3),
        ("tilde", 0x02dc), ("trademark", 0x2122), ("tsuperior", 0xf6f3), ("two", 0x0032), ("twodotenleader", 0x2025), ("twoinferior", 0x2082),
        ("twooldstyle", 0xf732), ("twosuperior", 0x00b2), ("twothirds", 0x2154), ("u", 0x0075), ("uacute", 0x00fa), ("ucircumflex", 0x00fb),
        ("udieresis", 0x00fc), ("ugrave", 0x00f9), ("uhungarumlaut", 0x0171), ("umacron", 0x016b), ("underscore", 0x005f), ("uogonek", 0x0173),
        ("uring", 0x016f), ("v", 0x0076), ("w", 0x0077), ("x", 0x0078), ("y", 0x0079), ("yacute", 0x00fd),
        ("ydieresis", 0x00ff), ("yen", 0x00a5), ("z", 0x007a), ("zacute", 0x017a), ("zcaron", 0x017e), ("zdotaccent", 0x017c),
        ("zero", 0x0030), ("zeroinferior", 0x2080), ("zerooldstyle", 0xf730), ("zerosuperior", 0x2070),
    ];
}

#[cfg(test)]
mod tests {
    use super::super::pdf::{compare_readers, Compared, Line};
    use super::*;
    use lopdf::{dictionary, Stream};

    /// x, y, width, font size, text.
    type Shown = (f64, f64, f64, f64, String);

    #[derive(Default)]
    struct Glyphs(Vec<Shown>);

    impl GlyphSink for Glyphs {
        fn begin_page(&mut self, _w: f64, _h: f64) {}
        fn glyph(&mut self, trm: &Transform, width: f64, size: f64, text: &str) -> Result<()> {
            self.0
                .push((trm.m31, trm.m32, width, size, text.to_string()));
            Ok(())
        }
        fn end_page(&mut self) {}
    }

    /// A one-page document with font /F1 and the given content stream.
    fn doc_with(font: Dictionary, content: &str) -> Document {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(font);
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => vec![page_id.into()],
                "Count" => 1,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        doc
    }

    fn helvetica() -> Dictionary {
        dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        }
    }

    fn read_doc(doc: &Document) -> Result<Vec<Shown>> {
        let mut g = Glyphs::default();
        read(doc, &mut g)?;
        Ok(g.0)
    }

    fn bytes(mut doc: Document) -> Vec<u8> {
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("in-memory save");
        out
    }

    fn assert_same_lines(name: &str, ours: &[Line], theirs: &[Line]) {
        let texts = |l: &[Line]| -> Vec<Vec<String>> {
            l.iter()
                .map(|l| l.chunks.iter().map(|c| c.text.clone()).collect())
                .collect()
        };
        assert_eq!(texts(ours), texts(theirs), "{name}: texts differ");
        for (a, b) in ours.iter().zip(theirs) {
            assert_eq!(a.page, b.page, "{name}");
            assert!((a.y - b.y).abs() <= 0.5, "{name}: y {} vs {}", a.y, b.y);
            assert!((a.size - b.size).abs() <= 0.5, "{name}: size");
            for (c, d) in a.chunks.iter().zip(&b.chunks) {
                assert!(
                    (c.x0 - d.x0).abs() <= 0.5 && (c.x1 - d.x1).abs() <= 0.5,
                    "{name}: '{}' at {}..{} vs {}..{}",
                    c.text,
                    c.x0,
                    c.x1,
                    d.x0,
                    d.x1
                );
            }
        }
    }

    #[test]
    fn standard_tables_decode_norwegian_letters() {
        assert_eq!(tables::WIN_ANSI[0xe5], 'å' as u16);
        assert_eq!(tables::WIN_ANSI[0xd8], 'Ø' as u16);
        assert_eq!(tables::WIN_ANSI[0x80], '€' as u16);
        assert_eq!(tables::MAC_ROMAN[0x8c], 'å' as u16);
        assert_eq!(tables::PDF_DOC[0x41], 'A' as u16);
        assert_eq!(glyph_name(b"aring"), Some('å' as u16));
        assert_eq!(glyph_name(b"space"), Some(32));
        assert_eq!(glyph_name(b"no-such-glyph"), None);
        assert!(tables::GLYPH_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn helvetica_widths_and_kerning_place_glyphs() {
        let doc = doc_with(
            helvetica(),
            "BT /F1 10 Tf 1 0 0 1 50 700 Tm (Ab) Tj [(c) -500 (d)] TJ 0 -12 Td 2 Tc 3 Tw (a b) Tj ET",
        );
        let g = read_doc(&doc).expect("readable");
        let xs: Vec<(f64, &str)> = g.iter().map(|g| (g.0, g.4.as_str())).collect();
        // A 667, b 556, c 500; -500 moves right by 5 at size 10.
        let want = [(50.0, "A"), (56.67, "b"), (62.23, "c"), (72.23, "d")];
        for ((x, t), (wx, wt)) in xs.iter().zip(want) {
            assert_eq!(*t, wt);
            assert!((x - wx).abs() < 1e-6, "{t} at {x}, want {wx}");
        }
        // Second line: a (556) + Tc 2, space (278) + Tc 2 + Tw 3.
        assert_eq!(g[4].1, 688.0);
        assert!((g[5].0 - (50.0 + 5.56 + 2.0)).abs() < 1e-6);
        assert!((g[6].0 - (50.0 + 5.56 + 2.0 + 2.78 + 5.0)).abs() < 1e-6);
        assert!((g[0].2 - 0.667).abs() < 1e-9 && g[0].3 == 10.0);
    }

    #[test]
    fn differences_and_to_unicode_decode() {
        let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
            1 begincodespacerange <00> <FF> endcodespacerange\n\
            1 beginbfchar <41> <00D8> endbfchar\nendcmap end end";
        let mut doc = doc_with(Dictionary::new(), "BT /F1 10 Tf 50 700 Td (AB\\001) Tj ET");
        let cmap_id = doc.add_object(Stream::new(dictionary! {}, cmap.to_vec()));
        let font = dictionary! {
            "Type" => "Font", "Subtype" => "TrueType", "BaseFont" => "Custom",
            "FirstChar" => 65, "LastChar" => 66, "Widths" => vec![600.into(), 700.into()],
            "Encoding" => dictionary! { "Differences" => vec![1.into(), Object::Name(b"aring".to_vec())] },
            "ToUnicode" => cmap_id,
        };
        let font_id = doc
            .objects
            .iter()
            .find(|(_, o)| matches!(o, Object::Dictionary(d) if d.is_empty()))
            .map(|(id, _)| *id)
            .expect("the placeholder font");
        doc.objects.insert(font_id, Object::Dictionary(font));
        let g = read_doc(&doc).expect("readable");
        let text: Vec<&str> = g.iter().map(|g| g.4.as_str()).collect();
        assert_eq!(text, ["Ø", "B", "å"]);
        assert_eq!((g[0].2, g[1].2, g[2].2), (0.6, 0.7, 0.0));
        match compare_readers(&bytes(doc)) {
            Compared::Read(ours, Some(theirs), _) => {
                assert_same_lines("differences", &ours, &theirs)
            }
            _ => panic!("expected both readers to read it"),
        }
    }

    #[test]
    fn form_xobjects_and_state_stack() {
        let mut doc = doc_with(
            helvetica(),
            "q 2 0 0 2 0 0 cm BT /F1 10 Tf 10 20 Td (A) Tj ET Q /X1 Do",
        );
        let form = Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 100.into(), 100.into()] },
            b"BT /F1 8 Tf 30 40 Td (B) Tj ET".to_vec(),
        );
        let form_id = doc.add_object(form);
        let page_id = doc.get_pages()[&1];
        if let Ok(Object::Dictionary(page)) = doc.get_object_mut(page_id) {
            if let Ok(Object::Dictionary(res)) = page.get_mut(b"Resources") {
                res.set("XObject", dictionary! { "X1" => form_id });
            }
        }
        let g = read_doc(&doc).expect("readable");
        assert_eq!((g[0].0, g[0].1, g[0].4.as_str()), (20.0, 40.0, "A"));
        assert_eq!((g[1].0, g[1].1, g[1].4.as_str()), (30.0, 40.0, "B"));
    }

    #[test]
    fn what_pdf_extract_reads_differently_falls_back() {
        let type3 = dictionary! { "Type" => "Font", "Subtype" => "Type3" };
        assert!(matches!(
            read_doc(&doc_with(type3, "BT /F1 10 Tf (A) Tj ET")),
            Err(Error::Unsupported(_))
        ));
        let std_enc = dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => "StandardEncoding",
        };
        assert!(matches!(
            read_doc(&doc_with(std_enc, "BT /F1 10 Tf (A) Tj ET")),
            Err(Error::Unsupported(_))
        ));
        // No font selected, and a malformed operator: pdf-extract would panic.
        assert!(matches!(
            read_doc(&doc_with(helvetica(), "BT (A) Tj ET")),
            Err(Error::Unsupported(_))
        ));
        assert!(matches!(
            read_doc(&doc_with(helvetica(), "1 0 0 cm")),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn a_form_drawing_itself_stops() {
        let mut doc = doc_with(helvetica(), "/X1 Do");
        let form_id = doc.new_object_id();
        let form = Stream::new(
            dictionary! { "Subtype" => "Form", "Resources" => dictionary! { "XObject" => dictionary! { "X1" => form_id } } },
            b"/X1 Do".to_vec(),
        );
        doc.objects.insert(form_id, Object::Stream(form));
        let page_id = doc.get_pages()[&1];
        if let Ok(Object::Dictionary(page)) = doc.get_object_mut(page_id) {
            if let Ok(Object::Dictionary(res)) = page.get_mut(b"Resources") {
                res.set("XObject", dictionary! { "X1" => form_id });
            }
        }
        assert!(matches!(read_doc(&doc), Err(Error::TooDeep)));
    }

    /// Every PDF (by its extension) under `dir`, however deep; the tokenizer's tests use it
    /// too.
    pub(super) fn pdfs_in(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                pdfs_in(&p, out);
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")) {
                out.push(p);
            }
        }
    }

    /// The safety net: on every PDF at hand, our reader gives pdf-extract's lines, or hands
    /// the document to pdf-extract.
    #[test]
    fn both_readers_agree_on_every_pdf() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut fixtures = Vec::new();
        pdfs_in(&root.join("tests/fixtures"), &mut fixtures);
        assert!(!fixtures.is_empty(), "no PDF fixtures found");
        let mut files = fixtures;
        pdfs_in(&root.join("../shared/corpus/lists"), &mut files);
        pdfs_in(&root.join("../shared/hostile"), &mut files);
        let mut report = Vec::new();
        for f in files {
            let Ok(data) = std::fs::read(&f) else {
                continue;
            };
            let name = f.display().to_string();
            // A big stack: lopdf's parser recurses on nested objects.
            let outcome = std::thread::Builder::new()
                .stack_size(256 << 20)
                .spawn(move || compare_readers(&data))
                .expect("thread")
                .join();
            match outcome {
                Ok(Compared::Read(ours, Some(theirs), stats)) => {
                    if !stats.quote_ops {
                        assert_same_lines(&name, &ours, &theirs);
                    }
                    report.push(format!("fast       {name}"));
                }
                Ok(Compared::Read(_, None, _)) => {
                    report.push(format!("fast (pdf-extract fails) {name}"))
                }
                Ok(Compared::FellBack(why)) => report.push(format!("pdf-extract ({why}) {name}")),
                Ok(Compared::Failed(e)) => report.push(format!("error ({e}) {name}")),
                Ok(Compared::Unloadable) => {}
                Err(_) => panic!("{name}: our reader or lopdf panicked"),
            }
        }
        eprintln!("{}", report.join("\n"));
    }
}

#[cfg(test)]
mod timing {
    /// `cargo test --release --lib parse::pdf_text::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn time_bench_pdf() {
        let path = std::env::var("PDF_BENCH").unwrap_or("/tmp/benchout/bench.pdf".into());
        let Ok(bytes) = std::fs::read(&path) else {
            return;
        };
        let limits = crate::parse::ParseLimits::default();
        let runs = 50;
        let t = std::time::Instant::now();
        for _ in 0..runs {
            let _ = lopdf::Document::load_mem(&bytes);
        }
        let load = t.elapsed() / runs;
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..runs {
            n = super::super::pdf::lines(&bytes, &limits)
                .map(|l| l.len())
                .unwrap_or(0);
        }
        let lines = t.elapsed() / runs;
        let t = std::time::Instant::now();
        for _ in 0..runs {
            let _ = super::super::pdf::read(&bytes, &limits);
        }
        let read = t.elapsed() / runs;
        eprintln!("{path}: load_mem {load:?}, lines() {lines:?} ({n} lines), read() {read:?}");
    }
}
