//! Parser benchmark (issue 3, item 6): prints figures, asserts nothing about time.
//!
//! `cargo bench --bench parse` — see README "Fuzzing and benchmarks". It generates a
//! 10,000-row xlsx and a 20-page PDF, reads the corpus's largest list when `../shared/` is
//! there, and compares in the same run with a bare calamine walk over the same cells and
//! with `pdftotext` over the same PDF. Peak memory is measured for ~50 MB attachments in
//! the sandboxed child, in a fresh probe process each, so one figure never hides another.
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use std::hint::black_box;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use trekkpost::parse::{parse_attachment, parse_sandboxed, ParseLimits, ParseOptions};

#[path = "support/pdf.rs"]
mod pdf;
#[path = "support/xlsx.rs"]
mod xlsx;
use pdf::{write_pdf, Run};
use xlsx::{write_xlsx, XCell};

/// The product binary, built by cargo for benches.
const EXE: &str = env!("CARGO_BIN_EXE_trekkpost");
const PROBE_ARG: &str = "__mem-probe";

/// Deterministic xorshift: the same files every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const FIRST: [&str; 12] = [
    "Kari", "Ola", "Åse", "Bjørn", "Ingrid", "Øystein", "Marit", "Lars", "Siri", "Håkon",
    "Ragnhild", "Per Egil",
];
const LAST: [&str; 12] = [
    "Nordmann",
    "Hansen",
    "Johansen",
    "Ødegård",
    "Berg",
    "Haugen",
    "Lie",
    "Strøm",
    "Aasen",
    "Bakke-Dahl",
    "Sæther",
    "Kristiansen",
];

/// A valid fødselsnummer (classic check digits) born 1950–1999.
fn national_id(rng: &mut Rng) -> String {
    const K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    const K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    loop {
        let s = format!(
            "{:02}{:02}{:02}{:03}",
            1 + rng.below(28),
            1 + rng.below(12),
            50 + rng.below(50),
            rng.below(500)
        );
        let mut d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        let check = |d: &[u32], w: &[u32]| match 11
            - d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11
        {
            11 => Some(0),
            10 => None,
            k => Some(k),
        };
        let Some(k1) = check(&d, &K1) else { continue };
        d.push(k1);
        let Some(k2) = check(&d, &K2) else { continue };
        return format!("{s}{k1}{k2}");
    }
}

struct Person {
    member: u64,
    id: String,
    name: String,
    ore: i64,
}

fn people(n: usize, seed: u64) -> Vec<Person> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| Person {
            member: 100_000 + i as u64,
            id: national_id(&mut rng),
            name: format!(
                "{}, {}",
                LAST[rng.below(12) as usize],
                FIRST[rng.below(12) as usize]
            ),
            ore: 20_000 + rng.below(80_000) as i64,
        })
        .collect()
}

const HEADER: [&str; 5] = ["Medlemsnr", "Fødselsnummer", "Navn", "Trekk", "Merknad"];

fn xlsx_rows(people: &[Person]) -> Vec<Vec<XCell>> {
    let mut rows = vec![
        vec![XCell::Text("Trekkliste 240974 – Bench Bemanning AS".into())],
        vec![XCell::Text("Periode: november 2026".into())],
        vec![],
        HEADER.iter().map(|h| XCell::Text(h.to_string())).collect(),
    ];
    for (i, p) in people.iter().enumerate() {
        rows.push(vec![
            XCell::Number(p.member as f64),
            XCell::Text(p.id.clone()),
            XCell::Text(p.name.clone()),
            XCell::Number(p.ore as f64 / 100.0),
            if i % 17 == 0 {
                XCell::Text("Ny i stillingen".into())
            } else {
                XCell::Empty
            },
        ]);
    }
    let sum: i64 = people.iter().map(|p| p.ore).sum();
    rows.push(vec![
        XCell::Empty,
        XCell::Empty,
        XCell::Text("Sum".into()),
        XCell::Number(sum as f64 / 100.0),
    ]);
    rows
}

fn win1252(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(s).0.into_owned()
}

fn fmt_amount(ore: i64) -> String {
    trekkpost::norwegian::format_amount_ore(ore)
}

/// A payroll-report PDF: title block on page 1, the column header repeated on every page,
/// 40 people a page and a page footer.
fn pdf_pages(people: &[Person], pages: usize) -> Vec<Vec<Run>> {
    let per_page = people.len().div_ceil(pages.max(1));
    let cols = [40.0, 110.0, 200.0, 400.0, 480.0];
    people
        .chunks(per_page.max(1))
        .enumerate()
        .map(|(p, chunk)| {
            let mut runs = Vec::new();
            let text = |x: f32, y: f32, size: f32, s: &str| Run {
                x,
                y,
                size,
                text: win1252(s),
            };
            let mut y = 800.0;
            if p == 0 {
                runs.push(text(40.0, y, 14.0, "Trekkliste 240974"));
                y -= 18.0;
                runs.push(text(
                    40.0,
                    y,
                    10.0,
                    "Bench Bemanning AS, periode november 2026",
                ));
                y -= 24.0;
            }
            for (h, x) in HEADER.iter().zip(cols) {
                runs.push(text(x, y, 9.0, h));
            }
            y -= 14.0;
            for person in chunk {
                let cells = [
                    person.member.to_string(),
                    person.id.clone(),
                    person.name.clone(),
                    fmt_amount(person.ore),
                ];
                for (c, x) in cells.iter().zip(cols) {
                    runs.push(text(x, y, 9.0, c));
                }
                y -= 12.5;
            }
            runs.push(text(
                40.0,
                30.0,
                8.0,
                &format!("Side {} av {}", p + 1, pages),
            ));
            runs
        })
        .collect()
}

fn csv_of(people: &[Person]) -> Vec<u8> {
    let mut out = String::from("Medlemsnr;Fødselsnummer;Navn;Trekk;Merknad\n");
    for p in people {
        out.push_str(&format!(
            "{};{};{};{};\n",
            p.member,
            p.id,
            p.name,
            fmt_amount(p.ore)
        ));
    }
    out.into_bytes()
}

fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        v.extend_from_slice(&rng.next().to_le_bytes());
    }
    v.truncate(n);
    v
}

/// Fastest and median of `runs` timed calls.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[times.len() / 2])
}

/// [`time`] for two contenders, run in turns so that both meet the same machine load.
fn time_pair<A, B>(
    runs: usize,
    mut f: impl FnMut() -> A,
    mut g: impl FnMut() -> B,
) -> ((Duration, Duration), (Duration, Duration)) {
    let (mut tf, mut tg) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        black_box(f());
        tf.push(t.elapsed());
        let t = Instant::now();
        black_box(g());
        tg.push(t.elapsed());
    }
    let stats = |mut v: Vec<Duration>| {
        v.sort();
        (v[0], v[v.len() / 2])
    };
    (stats(tf), stats(tg))
}

/// Every cell of every sheet touched once, as a reader that does nothing else would.
fn calamine_walk(bytes: &[u8]) -> usize {
    let Ok(mut wb) = open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes)) else {
        return 0;
    };
    let mut touched = 0;
    for name in wb.sheet_names() {
        if let Ok(range) = wb.worksheet_range(&name) {
            for row in range.rows() {
                for c in row {
                    touched += match c {
                        Data::String(s) => s.len(),
                        Data::Float(f) => *f as usize & 1,
                        Data::Empty => 0,
                        _ => 1,
                    };
                }
            }
        }
    }
    touched
}

/// `TREKKPOST_BENCH_OUT=DIR` keeps the generated files there (for profiling).
fn keep(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("TREKKPOST_BENCH_OUT") {
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(Path::new(&dir).join(name), bytes);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn parse_in_process(name: &str, bytes: &[u8]) -> usize {
    parse_attachment(name, bytes, &ParseOptions::default())
        .lines
        .len()
}

fn parse_in_child(name: &str, bytes: &[u8]) -> usize {
    parse_sandboxed(
        Path::new(EXE),
        name,
        bytes,
        &ParseOptions::default(),
        &ParseLimits::default(),
    )
    .lines
    .len()
}

fn pdftotext() -> Option<PathBuf> {
    let ok = Command::new("pdftotext")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    ok.then(|| PathBuf::from("pdftotext"))
}

/// Runs in a fresh, small process: starts the sandbox's parse child exactly as
/// `parse_sandboxed` does (same argument, same limits), but with the file itself as its
/// stdin, so the child is forked from a process that holds no copy of the bytes (a forked
/// child's peak counts the pages it was forked with). Prints the child's peak resident
/// memory (kB), its line count and its reason when unreadable.
fn probe(path: &str) -> i32 {
    let Ok(file) = std::fs::File::open(path) else {
        return 1;
    };
    let limits = ParseLimits::default();
    let request = serde_json::json!({
        "file_name": Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()),
        "opts": ParseOptions::default(),
        "limits": limits,
        "source_id": trekkpost::parse::sandbox::SOURCE_ID,
    });
    // The child sets its own limits from the request, as under parse_sandboxed.
    let mut cmd = trekkpost::parse::sandbox::child_command(Path::new(EXE));
    cmd.arg(request.to_string())
        .stdin(file)
        .stderr(Stdio::null());
    let Ok(out) = cmd.output() else {
        return 1;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text
        .rsplit("--trekkpost-parse-result--")
        .next()
        .unwrap_or("");
    let list: Option<trekkpost::parse::ParsedList> = serde_json::from_str(json.trim()).ok();
    // SAFETY: getrusage writes into the zeroed struct we own.
    let maxrss = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        ru.ru_maxrss
    };
    match list {
        Some(l) => println!(
            "{maxrss} {} {}",
            l.lines.len(),
            l.reason.unwrap_or_else(|| "-".into()).replace('\n', " ")
        ),
        None => println!("{maxrss} 0 the child gave no result ({})", out.status),
    }
    0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == PROBE_ARG) {
        std::process::exit(probe(args.get(i + 1).map_or("", String::as_str)));
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("no temporary folder: {e}");
            std::process::exit(1);
        }
    };
    // `cargo test --all-targets` runs this too, unoptimised and without `--bench`: then
    // only check that every path still runs, on small files.
    if !args.iter().any(|a| a == "--bench") {
        let few = people(200, 0x5eed);
        let xlsx = write_xlsx(&[("Trekk", xlsx_rows(&few))], &[]);
        let pdf = write_pdf(&pdf_pages(&few[..80], 2), None);
        let csv = csv_of(&few);
        let read = [
            parse_in_process("quick.xlsx", &xlsx),
            parse_in_process("quick.pdf", &pdf),
            parse_in_process("quick.csv", &csv),
            calamine_walk(&xlsx).min(1),
        ];
        println!("quick check (cargo bench --bench parse for figures): {read:?}");
        if read != [200, 80, 200, 1] {
            std::process::exit(1);
        }
        return;
    }
    let runs = 15;
    println!("trekkpost parse benchmark ({runs} runs each; fastest / median)\n");

    // 1. 10,000-row xlsx against a bare calamine walk.
    let ten_k = people(10_000, 0x5eed);
    let xlsx = write_xlsx(&[("Trekk", xlsx_rows(&ten_k))], &[]);
    keep("bench.xlsx", &xlsx);
    let n = parse_in_process("bench.xlsx", &xlsx);
    let ((p_min, p_med), (c_min, c_med)) = time_pair(
        runs,
        || parse_in_process("bench.xlsx", &xlsx),
        || calamine_walk(&xlsx),
    );
    let (s_min, _) = time(3, || parse_in_child("bench.xlsx", &xlsx));
    println!(
        "xlsx 10,000 rows ({} kB, {n} lines read)\n  trekkpost parse      {:8.1} / {:8.1} ms\n  \
         bare calamine walk   {:8.1} / {:8.1} ms\n  ratio (median)       {:8.2}×   goal ≤ 1.50×  {}\n  \
         sandboxed child      {:8.1} ms (process start and JSON included)\n",
        xlsx.len() / 1024,
        ms(p_min),
        ms(p_med),
        ms(c_min),
        ms(c_med),
        ms(p_med) / ms(c_med),
        if ms(p_med) <= 1.5 * ms(c_med) { "met" } else { "MISSED" },
        ms(s_min),
    );

    // 2. The corpus's largest list.
    let corpus = std::env::var("TREKKPOST_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let largest = std::fs::read_dir(corpus.join("lists")).ok().and_then(|rd| {
        rd.filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x != "json"))
            .filter_map(|p| std::fs::metadata(&p).ok().map(|m| (m.len(), p)))
            .filter(|(_, p)| !p.to_string_lossy().contains("scanned"))
            .max()
    });
    match largest.and_then(|(_, p)| std::fs::read(&p).ok().map(|b| (p, b))) {
        Some((path, bytes)) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let n = parse_in_process(&name, &bytes);
            let ((p_min, p_med), (c_min, c_med)) = time_pair(
                runs,
                || parse_in_process(&name, &bytes),
                || calamine_walk(&bytes),
            );
            println!(
                "corpus's largest list {name} ({} kB, {n} lines read)\n  trekkpost parse      \
                 {:8.1} / {:8.1} ms\n  bare calamine walk   {:8.1} / {:8.1} ms\n  ratio (median)       {:8.2}×\n",
                bytes.len() / 1024,
                ms(p_min),
                ms(p_med),
                ms(c_min),
                ms(c_med),
                ms(p_med) / ms(c_med),
            );
        }
        None => println!(
            "corpus not found at {} (set TREKKPOST_CORPUS): largest-list figure skipped\n",
            corpus.display()
        ),
    }

    // 3. 20-page PDF against pdftotext.
    let pdf = write_pdf(&pdf_pages(&ten_k[..800], 20), None);
    let pdf_path = dir.path().join("bench.pdf");
    if let Err(e) = std::fs::write(&pdf_path, &pdf) {
        eprintln!("cannot write the PDF: {e}");
        std::process::exit(1);
    }
    keep("bench.pdf", &pdf);
    let n = parse_in_process("bench.pdf", &pdf);
    let (p_min, p_med) = time(runs, || parse_in_process("bench.pdf", &pdf));
    println!(
        "pdf 20 pages ({} kB, {n} lines read)\n  trekkpost parse      {:8.1} / {:8.1} ms (in process)",
        pdf.len() / 1024,
        ms(p_min),
        ms(p_med),
    );
    match pdftotext() {
        Some(tool) => {
            let ((s_min, s_med), (t_min, t_med)) = time_pair(
                runs,
                || parse_in_child("bench.pdf", &pdf),
                || {
                    Command::new(&tool)
                        .arg("-layout")
                        .arg(&pdf_path)
                        .arg("-")
                        .stdout(Stdio::null())
                        .status()
                },
            );
            println!(
                "  sandboxed child      {:8.1} / {:8.1} ms (process start and JSON included)",
                ms(s_min),
                ms(s_med)
            );
            println!(
                "  pdftotext -layout    {:8.1} / {:8.1} ms (a process too)\n  ratio sandboxed/pdftotext (median) {:5.2}×   goal ≤ 1.00×  {}\n  \
                 ratio in-process/pdftotext (median) {:5.2}×\n",
                ms(t_min),
                ms(t_med),
                ms(s_med) / ms(t_med),
                if s_med <= t_med { "met" } else { "MISSED" },
                ms(p_med) / ms(t_med),
            );
        }
        None => {
            let (s_min, s_med) = time(runs, || parse_in_child("bench.pdf", &pdf));
            println!(
                "  sandboxed child      {:8.1} / {:8.1} ms (process start and JSON included)\n  \
                 pdftotext not found (apt-get install poppler-utils): PDF ratio skipped\n",
                ms(s_min),
                ms(s_med)
            );
        }
    }

    // 4. Peak memory of the sandboxed child for ~50 MB attachments.
    const TARGET: usize = 50_000_000;
    let big_people = people(1_300_000, 0xb16);
    let mut csv = csv_of(&big_people);
    if let Some(cut) = csv[..TARGET.min(csv.len())]
        .iter()
        .rposition(|&b| b == b'\n')
    {
        csv.truncate(cut + 1);
    }
    let image = random_bytes(TARGET - xlsx.len(), 7);
    let xlsx_big = write_xlsx(
        &[("Trekk", xlsx_rows(&ten_k))],
        &[("xl/media/image1.png", &image)],
    );
    // A CSV at the row limit (ParseLimits::max_rows) is read whole; beyond it, refused.
    let max_rows = ParseLimits::default().max_rows as usize;
    let at_limit = csv_of(&big_people[..max_rows - 1]);
    let pdf_padding = random_bytes(TARGET - pdf.len(), 8);
    let pdf_big = write_pdf(&pdf_pages(&ten_k[..800], 20), Some(&pdf_padding));
    println!(
        "peak memory, ~50 MB attachments (sandboxed child, RUSAGE_CHILDREN maxrss; goal < 200 MB)"
    );
    let Ok(me) = std::env::current_exe() else {
        return;
    };
    for (name, bytes) in [
        ("big.csv", &csv),
        ("rows-at-limit.csv", &at_limit),
        ("big-with-picture.xlsx", &xlsx_big),
        ("big-with-image.pdf", &pdf_big),
    ] {
        let path = dir.path().join(name);
        if std::fs::write(&path, bytes).is_err() {
            continue;
        }
        let t = Instant::now();
        let out = Command::new(&me).arg(PROBE_ARG).arg(&path).output();
        let elapsed = t.elapsed();
        let text = out
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let mut f = text.split_whitespace();
        let (child, lines) = (f.next(), f.next());
        let reason: Vec<&str> = f.collect();
        let child_mb = child
            .and_then(|c| c.parse::<f64>().ok())
            .map(|k| k / 1024.0);
        println!(
            "  {name:<24} {:5.1} MB  child peak {:>7} MB  {}  {} lines  {:.1} s{}",
            bytes.len() as f64 / 1e6,
            child_mb.map_or("?".into(), |m| format!("{m:.1}")),
            match child_mb {
                Some(m) if m < 200.0 => "met   ",
                Some(_) => "MISSED",
                None => "?     ",
            },
            lines.unwrap_or("?"),
            elapsed.as_secs_f64(),
            if reason.first() == Some(&"-") || reason.is_empty() {
                String::new()
            } else {
                format!("  (unreadable: {})", reason.join(" "))
            }
        );
    }
}
