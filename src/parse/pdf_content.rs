//! A content-stream tokenizer that reads exactly what lopdf 0.42's `Content::decode` reads
//! (pdf-extract decodes with it, and both readers must see the same operators) without
//! building an `Object` per operand: operands are slices of the stream, decoded only when the
//! reader asks for them. Its quirks are lopdf's: where lopdf stops reading a malformed stream
//! (and keeps the operations before), so does [`Lexer::next_op`]; where lopdf rejects the whole
//! stream (nesting too deep, an inline image it cannot skip, or panics), it returns
//! [`Malformed`] and the document goes to pdf-extract.

/// Nested parentheses lopdf accepts inside a literal string (its `MAX_BRACKET`), plus the
/// outer pair.
const MAX_PARENS: usize = 101;
/// lopdf's `MAX_NESTING_DEPTH` for arrays and dictionaries.
const MAX_NESTING: usize = 100;

/// lopdf would reject (or panic on) the whole stream.
#[derive(Debug)]
pub(super) struct Malformed(pub &'static str);

type Result<T> = std::result::Result<T, Malformed>;

/// One operand, or one element of a top-level array.
#[derive(Clone, Copy, Debug)]
pub(super) enum Operand<'a> {
    Int(i64),
    Real(f32),
    Bool(bool),
    /// After the slash; `escaped` if it holds `#xx`.
    Name {
        raw: &'a [u8],
        escaped: bool,
    },
    /// Between the outer parentheses; `escaped` if it holds a backslash.
    Literal {
        raw: &'a [u8],
        escaped: bool,
    },
    /// Between `<` and `>`.
    Hex(&'a [u8]),
    /// The elements, as a range of [`Lexer::items`] (nested arrays are `Other`).
    Array(usize, usize),
    /// null, dictionaries, references, nested arrays.
    Other,
}

impl<'a> Operand<'a> {
    pub(super) fn num(&self) -> Option<f64> {
        match *self {
            Operand::Int(i) => Some(i as f64),
            Operand::Real(f) => Some(f64::from(f)),
            _ => None,
        }
    }

    /// The bytes of a string, decoded into `scratch` only when they hold escapes.
    pub(super) fn string<'s>(&self, scratch: &'s mut Vec<u8>) -> Option<&'s [u8]>
    where
        'a: 's,
    {
        match *self {
            Operand::Literal {
                raw,
                escaped: false,
            } => Some(raw),
            Operand::Literal { raw, escaped: true } => {
                scratch.clear();
                decode_literal(raw, scratch);
                Some(scratch)
            }
            Operand::Hex(raw) => {
                scratch.clear();
                decode_hex(raw, scratch);
                Some(scratch)
            }
            _ => None,
        }
    }

    /// The bytes of a name, `#xx` decoded into `scratch` when there are any.
    pub(super) fn name<'s>(&self, scratch: &'s mut Vec<u8>) -> Option<&'s [u8]>
    where
        'a: 's,
    {
        match *self {
            Operand::Name {
                raw,
                escaped: false,
            } => Some(raw),
            Operand::Name { raw, escaped: true } => {
                scratch.clear();
                decode_name(raw, scratch);
                Some(scratch)
            }
            _ => None,
        }
    }
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0 | 0x0c)
}

fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(c: u8) -> bool {
    !is_whitespace(c) && !is_delimiter(c)
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn is_operator_char(c: u8) -> bool {
    c.is_ascii_alphabetic() || matches!(c, b'*' | b'\'' | b'"')
}

/// Between operands and operators lopdf skips only these four (not NUL or form feed).
fn content_space(d: &[u8], mut i: usize) -> usize {
    while matches!(d.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// A `%` comment with its end of line; `None` if there is none (lopdf requires the EOL).
fn comment_end(d: &[u8], i: usize) -> Option<usize> {
    if d.get(i) != Some(&b'%') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match d.get(j)? {
            b'\r' if d.get(j + 1) == Some(&b'\n') => return Some(j + 2),
            b'\r' | b'\n' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// Whitespace and comments, as inside arrays and dictionaries.
fn space(d: &[u8], mut i: usize) -> usize {
    loop {
        match d.get(i) {
            Some(&c) if is_whitespace(c) => i += 1,
            Some(b'%') => match comment_end(d, i) {
                Some(e) => i = e,
                None => return i,
            },
            _ => return i,
        }
    }
}

fn digits_end(d: &[u8], mut i: usize) -> usize {
    while d.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

fn ascii(d: &[u8]) -> &str {
    // Only called on sign, digit and dot runs, which are ASCII.
    std::str::from_utf8(d).unwrap_or("")
}

/// A real (`1.`, `.5`, `-1.5`; lopdf reads them as f32) or else an integer.
fn number(d: &[u8], p: usize) -> Option<(Operand<'static>, usize)> {
    let start = if matches!(d.get(p), Some(b'+' | b'-')) {
        p + 1
    } else {
        p
    };
    let int_end = digits_end(d, start);
    if d.get(int_end) == Some(&b'.') {
        let frac_end = digits_end(d, int_end + 1);
        if int_end > start || frac_end > int_end + 1 {
            if let Ok(f) = ascii(&d[p..frac_end]).parse::<f32>() {
                return Some((Operand::Real(f), frac_end));
            }
        }
    }
    if int_end == start {
        return None;
    }
    let digits = d.get(start..int_end)?;
    if digits.len() <= 18 {
        // Below 10^18, so no overflow: the common case, without a string parse.
        let v = digits
            .iter()
            .fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
        let v = if d.get(p) == Some(&b'-') { -v } else { v };
        return Some((Operand::Int(v), int_end));
    }
    // Overflow: lopdf cannot read the number and stops there.
    let i = ascii(&d[p..int_end]).parse::<i64>().ok()?;
    Some((Operand::Int(i), int_end))
}

/// `N G R` inside arrays and dictionaries.
fn reference_end(d: &[u8], p: usize) -> Option<usize> {
    let a = digits_end(d, p);
    if a == p {
        return None;
    }
    ascii(&d[p..a]).parse::<u32>().ok()?;
    let b0 = space(d, a);
    let b = digits_end(d, b0);
    if b == b0 {
        return None;
    }
    ascii(&d[b0..b]).parse::<u16>().ok()?;
    let c = space(d, b);
    (d.get(c) == Some(&b'R')).then_some(c + 1)
}

/// `p` is at the slash. A `#` not followed by two hex digits ends the name, as in lopdf.
fn name(d: &[u8], p: usize) -> (Operand<'_>, usize) {
    let mut i = p + 1;
    let mut escaped = false;
    loop {
        match d.get(i) {
            Some(b'#') => {
                if d.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && d.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                {
                    escaped = true;
                    i += 3;
                } else {
                    break;
                }
            }
            Some(&c) if is_regular(c) => i += 1,
            _ => break,
        }
    }
    let raw = d.get(p + 1..i).unwrap_or_default();
    (Operand::Name { raw, escaped }, i)
}

fn decode_name(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        if c == b'#' {
            // The tokenizer let `#` in only before two hex digits.
            let hi = raw.get(i + 1).copied().unwrap_or(b'0');
            let lo = raw.get(i + 2).copied().unwrap_or(b'0');
            out.push(hex_value(hi) << 4 | hex_value(lo));
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
}

/// Whether a raw name decodes to `want`.
fn name_is(raw: &[u8], escaped: bool, want: &[u8]) -> bool {
    if !escaped {
        return raw == want;
    }
    let mut buf = Vec::new();
    decode_name(raw, &mut buf);
    buf == want
}

/// `p` is at `(`: the end of the string and whether it holds escapes. `None` where lopdf fails
/// to read one (unbalanced, a final backslash, nesting deeper than it allows).
fn literal(d: &[u8], p: usize) -> Option<(Operand<'_>, usize)> {
    let mut depth = 1;
    let mut i = p + 1;
    let mut escaped = false;
    loop {
        match *d.get(i)? {
            b'\\' => {
                escaped = true;
                match *d.get(i + 1)? {
                    b'0'..=b'7' => {
                        i += 2;
                        let mut n = 1;
                        while n < 3 && matches!(d.get(i), Some(b'0'..=b'7')) {
                            i += 1;
                            n += 1;
                        }
                    }
                    b'\r' if d.get(i + 2) == Some(&b'\n') => i += 3,
                    _ => i += 2,
                }
            }
            b'(' => {
                depth += 1;
                if depth > MAX_PARENS {
                    return None;
                }
                i += 1;
            }
            b')' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    let raw = d.get(p + 1..i - 1)?;
                    return Some((Operand::Literal { raw, escaped }, i));
                }
            }
            _ => i += 1,
        }
    }
}

fn decode_literal(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&n) = raw.get(i + 1) else {
            return;
        };
        i += 2;
        match n {
            b'0'..=b'7' => {
                // Up to three octal digits; overflow is dropped, as the spec says.
                let mut v = u16::from(n - b'0');
                let mut k = 1;
                while k < 3 {
                    match raw.get(i) {
                        Some(&o @ b'0'..=b'7') => {
                            v = v * 8 + u16::from(o - b'0');
                            i += 1;
                            k += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            // Backslash and end of line: a continuation, nothing.
            b'\r' => {
                if raw.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => {}
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            other => out.push(other),
        }
    }
}

/// `p` is at `<`: hex digits and whitespace up to `>`.
fn hex(d: &[u8], p: usize) -> Option<(Operand<'_>, usize)> {
    let mut i = p + 1;
    loop {
        match *d.get(i)? {
            b'>' => return Some((Operand::Hex(d.get(p + 1..i)?), i + 1)),
            c if is_whitespace(c) || c.is_ascii_hexdigit() => i += 1,
            _ => return None,
        }
    }
}

fn decode_hex(raw: &[u8], out: &mut Vec<u8>) {
    let mut high: Option<u8> = None;
    for &c in raw {
        if !c.is_ascii_hexdigit() {
            continue;
        }
        match high.take() {
            Some(h) => out.push(h << 4 | hex_value(c)),
            None => high = Some(hex_value(c)),
        }
    }
    // An odd digit count: the last digit is the high nibble.
    if let Some(h) = high {
        out.push(h << 4);
    }
}

/// The inline image entries lopdf looks at (the last of each key wins, as in its
/// dictionaries).
#[derive(Default)]
struct ImageDict<'a> {
    w: Option<Operand<'a>>,
    width: Option<Operand<'a>>,
    h: Option<Operand<'a>>,
    height: Option<Operand<'a>>,
    bpc: Option<Operand<'a>>,
    bits: Option<Operand<'a>>,
    im: Option<Operand<'a>>,
    mask: Option<Operand<'a>>,
    cs: Option<Operand<'a>>,
    colorspace: Option<Operand<'a>>,
    filter: bool,
}

impl<'a> ImageDict<'a> {
    fn set(&mut self, key: &[u8], escaped: bool, value: Operand<'a>) {
        let slot = |k: &[u8]| name_is(key, escaped, k);
        let v = Some(value);
        if slot(b"W") {
            self.w = v;
        } else if slot(b"Width") {
            self.width = v;
        } else if slot(b"H") {
            self.h = v;
        } else if slot(b"Height") {
            self.height = v;
        } else if slot(b"BPC") {
            self.bpc = v;
        } else if slot(b"BitsPerComponent") {
            self.bits = v;
        } else if slot(b"IM") {
            self.im = v;
        } else if slot(b"ImageMask") {
            self.mask = v;
        } else if slot(b"CS") {
            self.cs = v;
        } else if slot(b"ColorSpace") {
            self.colorspace = v;
        } else if slot(b"F") || slot(b"Filter") {
            self.filter = true;
        }
    }

    /// lopdf's `image_data_stream`: `Ok(None)` where it fails (and then looks for EI),
    /// an error where it panics.
    fn data_length(&self) -> Result<Option<usize>> {
        let int = |a: Option<Operand>, b: Option<Operand>| match a.or(b) {
            // lopdf casts, so a negative size wraps.
            Some(Operand::Int(i)) => Some(i as usize),
            _ => None,
        };
        let (Some(width), Some(height), Some(bpc)) = (
            int(self.w, self.width),
            int(self.h, self.height),
            int(self.bpc, self.bits),
        ) else {
            return Ok(None);
        };
        let colors: usize = if matches!(self.im.or(self.mask), Some(Operand::Bool(true))) {
            1
        } else {
            match self.cs.or(self.colorspace) {
                None => return Err(Malformed("inline image without a colour space")),
                Some(Operand::Name { raw, escaped }) => {
                    let is = |n: &[u8]| name_is(raw, escaped, n);
                    if is(b"DeviceGray") || is(b"Gray") {
                        1
                    } else if is(b"DeviceRGB") || is(b"RGB") {
                        3
                    } else if is(b"DeviceRGBA") || is(b"RGBA") || is(b"DeviceCMYK") || is(b"CMYK") {
                        4
                    } else {
                        return Ok(None);
                    }
                }
                Some(_) => return Ok(None),
            }
        };
        if self.filter {
            return Ok(None);
        }
        // lopdf's arithmetic, wrapping as in a release build.
        let stride = width.wrapping_mul(colors.wrapping_mul(bpc)).div_ceil(8);
        Ok(Some(height.wrapping_mul(stride)))
    }
}

/// Reads operations one at a time; see the module comment.
pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
    operands: Vec<Operand<'a>>,
    items: Vec<Operand<'a>>,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Lexer {
            data,
            pos: content_space(data, 0),
            done: false,
            operands: Vec::new(),
            items: Vec::new(),
        }
    }

    /// The operands of the last operator.
    pub(super) fn operands(&self) -> &[Operand<'a>] {
        &self.operands
    }

    /// The elements of an [`Operand::Array`] of the last operator.
    pub(super) fn items(&self, start: usize, end: usize) -> &[Operand<'a>] {
        self.items.get(start..end).unwrap_or_default()
    }

    /// The next operator, its operands in [`Lexer::operands`]. `Ok(None)` at the end or where
    /// lopdf stops reading.
    pub(super) fn next_op(&mut self) -> Result<Option<&'a [u8]>> {
        if self.done {
            return Ok(None);
        }
        self.operands.clear();
        self.items.clear();
        let d = self.data;
        let mut p = self.pos;
        // Comments only before an operation, and not followed by spaces (lopdf's grammar).
        while let Some(e) = comment_end(d, p) {
            p = e;
        }
        if d.get(p..p + 2) == Some(b"BI") {
            self.pos = self.inline_image(p + 2)?;
            return Ok(Some(b"BI"));
        }
        while let Some((o, e)) = self.operand(p)? {
            self.operands.push(o);
            p = content_space(d, e);
        }
        let mut e = p;
        while d.get(e).is_some_and(|&c| is_operator_char(c)) {
            e += 1;
        }
        if e == p {
            self.done = true;
            self.operands.clear();
            return Ok(None);
        }
        self.pos = content_space(d, e);
        Ok(d.get(p..e))
    }

    /// An operand at `p` and where it ends; `Ok(None)` if there is none.
    fn operand(&mut self, p: usize) -> Result<Option<(Operand<'a>, usize)>> {
        let d = self.data;
        let rest = d.get(p..).unwrap_or_default();
        if rest.starts_with(b"null") {
            return Ok(Some((Operand::Other, p + 4)));
        }
        if rest.starts_with(b"true") {
            return Ok(Some((Operand::Bool(true), p + 4)));
        }
        if rest.starts_with(b"false") {
            return Ok(Some((Operand::Bool(false), p + 5)));
        }
        if let Some(n) = number(d, p) {
            return Ok(Some(n));
        }
        Ok(match rest.first() {
            Some(b'/') => Some(name(d, p)),
            Some(b'(') => literal(d, p),
            Some(b'<') => match hex(d, p) {
                Some(h) => Some(h),
                None => self
                    .dictionary(p, MAX_NESTING)?
                    .map(|e| (Operand::Other, e)),
            },
            Some(b'[') => self.array(p, MAX_NESTING, true)?,
            _ => None,
        })
    }

    /// An object inside an array or dictionary (lopdf's `_direct_objects`).
    fn direct(&mut self, p: usize, depth: usize) -> Result<Option<(Operand<'a>, usize)>> {
        let d = self.data;
        let rest = d.get(p..).unwrap_or_default();
        if rest.starts_with(b"null") {
            return Ok(Some((Operand::Other, p + 4)));
        }
        if rest.starts_with(b"true") {
            return Ok(Some((Operand::Bool(true), p + 4)));
        }
        if rest.starts_with(b"false") {
            return Ok(Some((Operand::Bool(false), p + 5)));
        }
        if let Some(e) = reference_end(d, p) {
            return Ok(Some((Operand::Other, e)));
        }
        if let Some(n) = number(d, p) {
            return Ok(Some(n));
        }
        Ok(match rest.first() {
            Some(b'/') => Some(name(d, p)),
            Some(b'(') => literal(d, p),
            Some(b'<') => match hex(d, p) {
                Some(h) => Some(h),
                None => self.dictionary(p, depth)?.map(|e| (Operand::Other, e)),
            },
            Some(b'[') => self.array(p, depth, false)?,
            _ => None,
        })
    }

    /// `p` is at `[`. Only the top-level array (`record`) keeps its elements.
    fn array(
        &mut self,
        p: usize,
        depth: usize,
        record: bool,
    ) -> Result<Option<(Operand<'a>, usize)>> {
        let d = self.data;
        let mark = self.items.len();
        let mut i = space(d, p + 1);
        loop {
            if depth == 0 {
                return Err(Malformed("arrays nested too deeply"));
            }
            match self.direct(i, depth - 1)? {
                Some((o, e)) => {
                    if record {
                        self.items.push(o);
                    }
                    i = space(d, e);
                }
                None => break,
            }
        }
        if d.get(i) == Some(&b']') {
            let o = if record {
                Operand::Array(mark, self.items.len())
            } else {
                Operand::Other
            };
            Ok(Some((o, i + 1)))
        } else {
            self.items.truncate(mark);
            Ok(None)
        }
    }

    /// `p` is at `<`: a dictionary, skipped; where it ends.
    fn dictionary(&mut self, p: usize, depth: usize) -> Result<Option<usize>> {
        let d = self.data;
        if d.get(p..p + 2) != Some(b"<<") {
            return Ok(None);
        }
        let i = self.entries(space(d, p + 2), depth, &mut |_, _, _| {})?;
        Ok((d.get(i..i + 2) == Some(b">>")).then_some(i + 2))
    }

    /// Dictionary entries from `i`, each handed to `entry`; where they end.
    fn entries(
        &mut self,
        mut i: usize,
        depth: usize,
        entry: &mut dyn FnMut(&'a [u8], bool, Operand<'a>),
    ) -> Result<usize> {
        let d = self.data;
        while d.get(i) == Some(&b'/') {
            let (key, k) = name(d, i);
            if depth == 0 {
                return Err(Malformed("dictionaries nested too deeply"));
            }
            match self.direct(space(d, k), depth - 1)? {
                Some((value, e)) => {
                    if let Operand::Name { raw, escaped } = key {
                        entry(raw, escaped, value);
                    }
                    i = space(d, e);
                }
                None => break,
            }
        }
        Ok(i)
    }

    /// After `BI`: the dictionary, `ID`, the data, `EI`; where the next operation starts.
    fn inline_image(&mut self, p: usize) -> Result<usize> {
        let d = self.data;
        let mut dict = ImageDict::default();
        let i = self.entries(content_space(d, p), MAX_NESTING, &mut |k, esc, v| {
            dict.set(k, esc, v)
        })?;
        if d.get(i..i + 2) != Some(b"ID") {
            return Err(Malformed("inline image without ID"));
        }
        let data = content_space(d, i + 2);
        if let Some(len) = dict.data_length()? {
            if let Some(end) = data.checked_add(len).filter(|&e| e <= d.len()) {
                let e = content_space(d, end);
                if d.get(e..e + 2) != Some(b"EI") {
                    return Err(Malformed("inline image data without EI"));
                }
                return Ok(content_space(d, e + 2));
            }
        }
        // lopdf's fallback: the first EI between spaces or newlines.
        let sep = |c: u8| matches!(c, b' ' | b'\n' | b'\r');
        let rest = d.get(data..).unwrap_or_default();
        let at = rest
            .windows(4)
            .position(|w| sep(w[0]) && w[1] == b'E' && w[2] == b'I' && sep(w[3]))
            .ok_or(Malformed("inline image without EI"))?;
        Ok(content_space(d, data + at + 3))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::pdfs_in;
    use super::*;
    use lopdf::content::Content;
    use lopdf::Object;

    /// An operand in a form both tokenizers can be compared in.
    #[derive(Debug, PartialEq, Clone)]
    enum V {
        Int(i64),
        /// The bits, so that the f32 must be the same.
        Real(u32),
        Name(Vec<u8>),
        Str(Vec<u8>),
        Arr(Vec<V>),
        Other,
    }

    type Ops = Vec<(String, Vec<V>)>;

    fn ours(data: &[u8]) -> std::result::Result<Ops, &'static str> {
        let mut lex = Lexer::new(data);
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let v = |o: &Operand, scratch: &mut Vec<u8>| match *o {
            Operand::Int(i) => V::Int(i),
            Operand::Real(f) => V::Real(f.to_bits()),
            Operand::Name { .. } => V::Name(o.name(scratch).unwrap_or_default().to_vec()),
            Operand::Literal { .. } | Operand::Hex(_) => {
                V::Str(o.string(scratch).unwrap_or_default().to_vec())
            }
            Operand::Array(..) | Operand::Bool(_) | Operand::Other => V::Other,
        };
        while let Some(op) = lex.next_op().map_err(|m| m.0)? {
            let mut operands = Vec::new();
            for o in lex.operands() {
                operands.push(match *o {
                    Operand::Array(s, e) => {
                        V::Arr(lex.items(s, e).iter().map(|i| v(i, &mut scratch)).collect())
                    }
                    _ => v(o, &mut scratch),
                });
            }
            out.push((String::from_utf8_lossy(op).into_owned(), operands));
        }
        Ok(out)
    }

    fn lopdf_value(o: &Object, top: bool) -> V {
        match o {
            Object::Integer(i) => V::Int(*i),
            Object::Real(f) => V::Real(f.to_bits()),
            Object::Name(n) => V::Name(n.clone()),
            Object::String(s, _) => V::Str(s.clone()),
            Object::Array(a) if top => V::Arr(a.iter().map(|o| lopdf_value(o, false)).collect()),
            _ => V::Other,
        }
    }

    /// lopdf's reading: `None` if it panics, `Some(Err)` if it rejects the stream.
    fn theirs(data: &[u8]) -> Option<std::result::Result<Ops, ()>> {
        let data = data.to_vec();
        let decoded = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || Content::decode(&data).ok())
            .ok()?
            .join()
            .ok()?;
        let Some(content) = decoded else {
            return Some(Err(()));
        };
        Some(Ok(content
            .operations
            .iter()
            .map(|op| {
                let operands = op.operands.iter().map(|o| lopdf_value(o, true)).collect();
                (op.operator.clone(), operands)
            })
            .collect()))
    }

    /// Both read `data` alike: same operators, same operands (but for inline images, whose
    /// data we skip), and both reject what lopdf rejects.
    fn same_as_lopdf(data: &[u8]) -> std::result::Result<(), String> {
        let mine = ours(data);
        let Some(theirs) = theirs(data) else {
            // lopdf panicked. Built as it ships (release), that is an inline image without
            // colour space, which we must refuse too. With overflow checks on (the test
            // profile) it also panics on image sizes that overflow, where release wraps and
            // reads on: then its panic says nothing about what it reads.
            return match mine {
                Err(_) => Ok(()),
                Ok(_) if cfg!(debug_assertions) => Ok(()),
                Ok(_) => Err("lopdf panics, we read it".into()),
            };
        };
        match (mine, theirs) {
            (Ok(a), Ok(b)) => {
                if a.len() != b.len() {
                    return Err(format!("{} operations, lopdf {}", a.len(), b.len()));
                }
                for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                    if x.0 != y.0 || (x.0 != "BI" && x.1 != y.1) {
                        return Err(format!("operation {i}: {x:?} vs lopdf {y:?}"));
                    }
                }
                Ok(())
            }
            (Err(_), Err(())) => Ok(()),
            (Err(e), Ok(_)) => Err(format!("we refuse ({e}), lopdf reads it")),
            (Ok(_), Err(())) => Err("we read it, lopdf refuses".into()),
        }
    }

    fn check(data: &[u8]) {
        if let Err(e) = same_as_lopdf(data) {
            panic!("{:?}: {e}", String::from_utf8_lossy(data));
        }
    }

    fn ops(data: &[u8]) -> Ops {
        check(data);
        ours(data).expect("readable")
    }

    fn real(f: f32) -> V {
        V::Real(f.to_bits())
    }

    #[test]
    fn numbers() {
        let got = ops(b"1 -2 +3 .5 -.5 5. +.25 1.5.5 -0 007 99999999 x");
        let want = vec![
            V::Int(1),
            V::Int(-2),
            V::Int(3),
            real(0.5),
            real(-0.5),
            real(5.0),
            real(0.25),
            real(1.5),
            real(0.5),
            V::Int(0),
            V::Int(7),
            V::Int(99999999),
        ];
        assert_eq!(got, vec![("x".to_string(), want)]);
        // No digits, or too big: lopdf stops there and keeps what came before.
        for s in ["BT . Tc ET", "BT - Tc ET", "BT 99999999999999999999 Tc ET"] {
            assert_eq!(ops(s.as_bytes()), vec![("BT".to_string(), vec![])], "{s}");
        }
        check(b"1e5 Tc 3.4e2 Tw");
        check(b"999999999999999999 -999999999999999999 +0999999999999999999 x");
        check(b"9223372036854775807 -9223372036854775808 00000000000000000000001 x");
        check(b"BT 9223372036854775808 Tc ET");
    }

    #[test]
    fn names() {
        let got = ops(b"/F1 12 Tf /A#20B#2f /#41 x /C#4 y /D#zz z");
        assert_eq!(got[0].1, vec![V::Name(b"F1".to_vec()), V::Int(12)]);
        assert_eq!(
            got[1].1,
            vec![V::Name(b"A B/".to_vec()), V::Name(b"A".to_vec())]
        );
        // `#` without two hex digits ends the name; then nothing can be read.
        assert_eq!(got.len(), 2);
        check(b"/D#zz z");
        check(b"/ Tf /a/b c /[x] d");
    }

    #[test]
    fn literal_strings() {
        let got = ops(
            b"(a(b)c) Tj (\\n\\r\\t\\b\\f\\(\\)\\\\) Tj (\\101\\0617\\777\\8) Tj (a\\\nb\\\r\nc\r\nd) Tj",
        );
        let strs: Vec<V> = got.iter().flat_map(|o| o.1.clone()).collect();
        assert_eq!(
            strs,
            vec![
                V::Str(b"a(b)c".to_vec()),
                V::Str(b"\n\r\t\x08\x0c()\\".to_vec()),
                V::Str(b"A17\xff8".to_vec()),
                V::Str(b"abc\r\nd".to_vec()),
            ]
        );
        // Unbalanced, or a final backslash: lopdf stops there.
        for s in ["BT (a Tj", "BT (a\\", "BT (a)) Tj", "BT ((a) Tj"] {
            assert_eq!(ops(s.as_bytes()).len(), 1, "{s}");
        }
        // lopdf allows 100 nested parentheses inside a string, not 101.
        let nested = |n: usize| format!("BT ({}{}) Tj ET", "(".repeat(n), ")".repeat(n));
        assert_eq!(ops(nested(100).as_bytes()).len(), 3);
        assert_eq!(ops(nested(101).as_bytes()).len(), 1);
    }

    #[test]
    fn hex_strings() {
        let got = ops(b"<41 42\n43> Tj <414> Tj <> Tj < 4 1 > Tj <4G> Tj");
        let strs: Vec<V> = got.iter().flat_map(|o| o.1.clone()).collect();
        assert_eq!(
            strs,
            vec![
                V::Str(b"ABC".to_vec()),
                V::Str(b"A@".to_vec()),
                V::Str(vec![]),
                V::Str(b"A".to_vec()),
            ]
        );
    }

    #[test]
    fn arrays_and_dictionaries() {
        let got = ops(b"[(a) -250 (b) 1.5 [1] /N <42> 1 0 R null] TJ");
        assert_eq!(
            got[0].1,
            vec![V::Arr(vec![
                V::Str(b"a".to_vec()),
                V::Int(-250),
                V::Str(b"b".to_vec()),
                real(1.5),
                V::Other,
                V::Name(b"N".to_vec()),
                V::Str(b"B".to_vec()),
                V::Other,
                V::Other,
            ])]
        );
        let got = ops(b"/Span <</ActualText (x) /MCID 3 /K [1 2 <</A<<>>>>] /R 1 0 R>> BDC EMC");
        assert_eq!(got[0].0, "BDC");
        assert_eq!(got[0].1, vec![V::Name(b"Span".to_vec()), V::Other]);
        assert_eq!(got[1].0, "EMC");
        check(b"[%c\n(a)%d\n 1%e\r\n] TJ [1 0%x\nR] TJ");
        check(b"[ 1 0 R ] TJ [1 0R] TJ [10R] TJ [4294967296 0 R] TJ [1 65536 R] TJ");
        check(b"<</A 1 /B>> BDC <</A>> x << /A /B >> y");
        // Nesting: lopdf rejects the stream past 100 levels.
        for n in [99, 100, 101, 150] {
            let s = format!("{}{} TJ", "[".repeat(n), "]".repeat(n));
            check(s.as_bytes());
            let s = format!("{}{} BDC", "<</A ".repeat(n), ">>".repeat(n));
            check(s.as_bytes());
            let s = format!("{}<<>>{} BDC", "<</A ".repeat(n), ">>".repeat(n));
            check(s.as_bytes());
        }
    }

    #[test]
    fn comments_keywords_and_spacing() {
        check(b"%c\nBT %d\n ET");
        check(b"%c\r\n%d\rBT ET % end");
        check(b"BT 1 % c\n 2 Td ET");
        check(b"true false null x nullx truely falsey fals");
        check(b"BT\0ET");
        check(b"BT\x0cET");
        check(b"BT/F1 12Tf(a)Tj[(b)]TJ ET");
        check(b"1 0 0 1 0 0 cm q Q T* ' \" d0 d1");
        check(b"  \r\n\t");
        check(b"");
    }

    #[test]
    fn inline_images() {
        // Data holding EI, parentheses and brackets, skipped by its declared size.
        check(b"q BI /W 4 /H 1 /BPC 8 /CS /G ID a EI)\nEI Q BT ET");
        check(b"BI /W 4 /H 1 /BPC 8 /CS /RGB ID \n\n ab EI ( EI Q");
        // A size lopdf cannot work out (filter, unknown colour space): the first EI between
        // spaces.
        check(b"BI /W 2 /H 2 /BPC 8 /CS /G /F /AHx ID 4142 EI BT ET");
        check(b"BI /W 2 /H 2 /BPC 8 /CS /Indexed ID (xEIx) EI ) EI BT ET");
        check(b"BI /W 2 /H 2 /BPC 8 /CS [/Indexed] ID x EI BT ET");
        check(b"BI /Width 2 /Height 1 /BitsPerComponent 8 /ImageMask true ID ab EI x");
        check(b"BI /W -1 /H 1 /BPC 8 /IM true ID ab EI x");
        check(b"BI /W 99999999999 /H 99999999999 /BPC 99999 /IM true ID ab EI x");
        check(b"BI /W 2 /W 3 /H 1 /BPC 8 /#43S /G ID abc EI x");
        // No EI, or a size running past the end, or nothing after EI: rejected.
        check(b"BI /W 2 /H 1 /BPC 8 ID ab");
        check(b"BI /W 2 /H 1 /BPC 8 /CS /G ID ab");
        check(b"BI /W 2 /H 1 /BPC 8 /CS /G ID ab EI");
        check(b"BI /W 2 /H 1 /BPC 8 /CS /G ID abc EI x");
        check(b"BI /W 2 /H 1 /BPC 8 /CS /Foo ID abEI x");
        check(b"BI /W 2 /H 1 /BPC 8 /CS /Foo ID ab\nEI\rx");
        check(b"BI x");
        check(b"BIX");
        check(b"1 BI 2 ID 3 EI");
        // No colour space and no mask: lopdf panics; we refuse the stream.
        check(b"BI /W 2 /H 1 /BPC 8 ID ab EI x");
    }

    /// Random streams built from awkward fragments: we read what lopdf reads.
    #[test]
    fn random_streams_read_like_lopdf() {
        random_streams(AWKWARD, AWKWARD_SEPS, 3000);
        // Mostly well-formed, so that the comparison goes deep into the streams.
        random_streams(TAME, &[b" ", b"\n", b"\r\n", b"\t", b""], 5000);
    }

    const TAME: &[&[u8]] = &[
        b"BT",
        b"ET",
        b"/F1 9 Tf",
        b"/F#31",
        b"12",
        b"-.5",
        b"5.",
        b"+3",
        b"(a(b)c)",
        b"(\\(",
        b"(x\\\n)",
        b"(\\0612)",
        b"<41 4>",
        b"<</A [1 (x)]>> BDC",
        b"[(a) 1 0 R -2 [3]] TJ",
        b"%c\n",
        b"Tj",
        b"TJ",
        b"Td",
        b"cm",
        b"null",
        b"true",
        b"T*",
        b"'",
        b"\"",
        b"BI /W 2 /H 1 /BPC 8 /CS /G ID ab EI",
        b"BI /IM true /W 9 /H 1 /BPC 1 ID \xff\xff EI",
    ];

    const AWKWARD: &[&[u8]] = &[
        b"BT",
        b"ET",
        b"/F1",
        b"/F#31",
        b"/A#",
        b"/",
        b"12",
        b"-.5",
        b"5.",
        b"+3",
        b".",
        b"-",
        b"0",
        b"(a(b)c)",
        b"(\\(",
        b"\\",
        b"(x\\\n)",
        b"(\\0612)",
        b"<41 4>",
        b"<4g>",
        b"<",
        b">",
        b"<<",
        b">>",
        b"[",
        b"]",
        b"%c\n",
        b"%",
        b"Tj",
        b"TJ",
        b"Tf",
        b"Td",
        b"cm",
        b"1 0 R",
        b"R",
        b"null",
        b"true",
        b"false",
        b"BI",
        b"ID",
        b"EI",
        b"/W 2",
        b"/H 1",
        b"/BPC 8",
        b"/CS /G",
        b"/IM true",
        b"\xff",
        b"'",
        b"\"",
        b"T*",
        b"(",
        b")",
        b"#",
        b"99999999999999999999",
        b"{",
        b"}",
    ];

    const AWKWARD_SEPS: &[&[u8]] = &[b" ", b" ", b"\n", b"", b"\r\n", b"\t", b"\0", b"\x0c"];

    fn random_streams(parts: &[&[u8]], seps: &[&[u8]], runs: usize) {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut failures = Vec::new();
        let mut operations = 0;
        for _ in 0..runs {
            let mut s = Vec::new();
            for _ in 0..1 + next(30) {
                s.extend_from_slice(parts[next(parts.len())]);
                s.extend_from_slice(seps[next(seps.len())]);
            }
            if let Err(e) = same_as_lopdf(&s) {
                failures.push(format!("{:?}: {e}", String::from_utf8_lossy(&s)));
            }
            operations += ours(&s).map_or(0, |o| o.len());
        }
        eprintln!("{runs} random streams, {operations} operations");
        assert!(
            failures.is_empty(),
            "{}",
            failures[..failures.len().min(10)].join("\n")
        );
    }

    /// Every page and form content stream of every PDF at hand reads as lopdf reads it.
    #[test]
    fn content_streams_read_like_lopdf() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        pdfs_in(&root.join("tests/fixtures"), &mut files);
        assert!(!files.is_empty(), "no PDF fixtures found");
        pdfs_in(&root.join("../shared/corpus/lists"), &mut files);
        pdfs_in(&root.join("../shared/hostile/pdf"), &mut files);
        let mut streams = 0;
        let mut failures = Vec::new();
        for f in files {
            let Ok(bytes) = std::fs::read(&f) else {
                continue;
            };
            // lopdf's object parser recurses: a big stack, and its panics are not ours.
            let contents = std::thread::Builder::new()
                .stack_size(256 << 20)
                .spawn(move || {
                    let Ok(doc) = lopdf::Document::load_mem(&bytes) else {
                        return Vec::new();
                    };
                    let mut out: Vec<Vec<u8>> = doc
                        .get_pages()
                        .values()
                        .filter_map(|id| doc.get_page_content(*id).ok())
                        .collect();
                    for o in doc.objects.values() {
                        if let Object::Stream(s) = o {
                            if s.dict.get(b"Subtype").and_then(Object::as_name).ok()
                                == Some(b"Form")
                            {
                                out.push(s.decompressed_content().unwrap_or(s.content.clone()));
                            }
                        }
                    }
                    out
                })
                .expect("thread")
                .join()
                .unwrap_or_default();
            for c in contents {
                streams += 1;
                if let Err(e) = same_as_lopdf(&c) {
                    failures.push(format!("{}: {e}", f.display()));
                }
            }
        }
        eprintln!("{streams} content streams compared");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
