//! A minimal PDF writer on lopdf: pages of positioned text runs in Helvetica
//! (WinAnsiEncoding), shared by the benchmark and the PDF fuzz target.
#![allow(dead_code)]
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream, StringFormat};

/// One run of text: position from the bottom-left corner (points), font size, and the
/// text already encoded as WinAnsi bytes.
#[derive(Debug, Clone)]
pub struct Run {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: Vec<u8>,
}

/// A4 pages with the given runs; `padding` (if any) is added as an unused stream object
/// so a file can be made as large as wanted without more text.
pub fn write_pdf(pages: &[Vec<Run>], padding: Option<&[u8]>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids: Vec<Object> = Vec::new();
    for runs in pages {
        let mut ops = Vec::with_capacity(runs.len() * 4 + 2);
        ops.push(Operation::new("BT", vec![]));
        for r in runs {
            ops.push(Operation::new("Tf", vec!["F1".into(), r.size.into()]));
            ops.push(Operation::new(
                "Tm",
                vec![
                    1.into(),
                    0.into(),
                    0.into(),
                    1.into(),
                    r.x.into(),
                    r.y.into(),
                ],
            ));
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(r.text.clone(), StringFormat::Literal)],
            ));
        }
        ops.push(Operation::new("ET", vec![]));
        // Encoding operations built here cannot fail; an empty page is the fallback.
        let content = Content { operations: ops }.encode().unwrap_or_default();
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    if let Some(p) = padding {
        doc.add_object(Stream::new(dictionary! {}, p.to_vec()).with_compression(false));
    }
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    // Saving to a Vec fails only when out of memory.
    let _ = doc.save_to(&mut out);
    out
}
