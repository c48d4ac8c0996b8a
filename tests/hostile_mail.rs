//! Malformed and malicious mail: decoding and classifying each must neither panic nor hang.
use std::path::Path;
use std::time::{Duration, Instant};
use trekkpost::classify::classify;
use trekkpost::mime::parse_mail;

const LIMIT: Duration = Duration::from_secs(1);

#[test]
fn hostile_mail_is_contained_and_fast() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/hostile/mail");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("hostile corpus not found beside the project; skipped");
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    let (mut parsed, mut refused, mut slow) = (0, 0, Vec::new());
    for path in &paths {
        let Ok(raw) = std::fs::read(path) else {
            continue;
        };
        let start = Instant::now();
        let outcome = std::panic::catch_unwind(|| match parse_mail(&raw) {
            Ok(mail) => {
                let c = classify(&mail);
                Some(c.kind)
            }
            Err(_) => None,
        });
        let took = start.elapsed();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        match outcome {
            Ok(Some(kind)) => {
                parsed += 1;
                println!("{name}: {} in {took:?}", kind.as_str());
            }
            Ok(None) => {
                refused += 1;
                println!("{name}: refused in {took:?}");
            }
            Err(_) => panic!("{name}: a panic escaped"),
        }
        if took > LIMIT {
            slow.push(format!("{name}: {took:?}"));
        }
    }
    println!(
        "{parsed} classified, {refused} refused, {} slow",
        slow.len()
    );
    assert!(slow.is_empty(), "too slow: {slow:?}");
}

/// A message nested in itself thousands of times (built here, not read from disk).
#[test]
fn deeply_nested_forwards() {
    let depth = 3000;
    let mut raw = String::new();
    for i in 0..depth {
        raw.push_str(&format!(
            "From: a{i}@x.example\r\nSubject: fwd {i}\r\nContent-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\nContent-Type: message/rfc822\r\n\r\n"
        ));
    }
    raw.push_str("From: inner@x.example\r\nSubject: inner\r\n\r\nHei\r\n");
    for i in (0..depth).rev() {
        raw.push_str(&format!("\r\n--b{i}--\r\n"));
    }
    let start = Instant::now();
    let result = parse_mail(raw.as_bytes());
    if let Ok(mail) = &result {
        let _ = classify(mail);
    }
    assert!(start.elapsed() < LIMIT * 2, "took {:?}", start.elapsed());
}

#[test]
fn garbage_bytes() {
    for raw in [
        &b""[..],
        b"\xff\xfe\x00\x01",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        b":\r\n\r\n",
    ] {
        let _ = parse_mail(raw).map(|m| classify(&m));
    }
}

/// Corpus mails cut short, with bytes flipped and lines duplicated: a cheap stand-in for the
/// fuzz targets, run on every test.
#[test]
fn mutated_corpus_mail() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/mail");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64: deterministic, no dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0;
    for entry in entries.flatten() {
        let Ok(raw) = std::fs::read(entry.path().join("message.eml")) else {
            continue;
        };
        if raw.len() > 60_000 {
            continue;
        }
        for round in 0..rounds() {
            let mut m = raw.clone();
            match round % 3 {
                0 => m.truncate((next() as usize) % m.len().max(1)),
                1 => {
                    for _ in 0..20 {
                        let i = (next() as usize) % m.len().max(1);
                        if let Some(b) = m.get_mut(i) {
                            *b = (next() & 0xff) as u8;
                        }
                    }
                }
                _ => {
                    let i = (next() as usize) % m.len().max(1);
                    let j = (i + (next() as usize) % 400).min(m.len());
                    let chunk = m[i..j].to_vec();
                    m.splice(i..i, chunk.iter().cycle().take(chunk.len() * 5).copied());
                }
            }
            let start = Instant::now();
            if let Ok(mail) = parse_mail(&m) {
                let _ = classify(&mail);
                let _ = trekkpost::classify::extract_access(&mail);
            }
            assert!(start.elapsed() < LIMIT, "{:?} round {round}", entry.path());
            runs += 1;
        }
    }
    println!("{runs} mutated mails");
}

/// Mutation rounds per corpus mail (`MUTATION_ROUNDS` to run longer by hand).
fn rounds() -> usize {
    std::env::var("MUTATION_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}
