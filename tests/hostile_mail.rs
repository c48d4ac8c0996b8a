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
