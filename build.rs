use std::hash::{Hash, Hasher};
use std::path::Path;

// sqlx::migrate! embeds the migrations at compile time; rebuild when they change.
// TREKKPOST_SOURCE_ID fingerprints the sources, so a parse child built from other sources
// than the program that starts it (a stale `trekkpost-parse` left beside a rebuilt
// `trekkpost`) is noticed and not used (see parse::sandbox).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=src");
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    hash_dir(Path::new("src"), &mut hasher);
    println!(
        "cargo:rustc-env=TREKKPOST_SOURCE_ID={:016x}",
        hasher.finish()
    );
}

fn hash_dir(dir: &Path, hasher: &mut impl Hasher) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        path.hash(hasher);
        if path.is_dir() {
            hash_dir(&path, hasher);
        } else if let Ok(bytes) = std::fs::read(&path) {
            bytes.hash(hasher);
        }
    }
}
