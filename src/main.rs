//! Binary entry point. On the `parse` branch it only dispatches the parser's commands;
//! the product's command line replaces it on merge.
use std::path::PathBuf;
use trekkpost::parse::{self, ParseLimits, ParseOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some(parse::sandbox::CHILD_ARG) => parse::child_main(&args[1..]),
        Some("parse") => {
            let json = args.iter().any(|a| a == "--json");
            match args.iter().skip(1).find(|a| !a.starts_with("--")) {
                Some(file) => {
                    // Corpus IDs are synthetic; the product sets this from configuration.
                    let opts = ParseOptions {
                        accept_synthetic_ids: true,
                    };
                    parse::cli::run_parse_command(
                        &PathBuf::from(file),
                        json,
                        &opts,
                        &ParseLimits::default(),
                    )
                }
                None => {
                    eprintln!("usage: trekkpost parse FILE [--json]");
                    2
                }
            }
        }
        Some("__pdf-lines") => {
            // Debugging aid: the text lines and chunk positions the PDF reader sees.
            let bytes = std::fs::read(args.get(1).map(String::as_str).unwrap_or_default())
                .unwrap_or_default();
            match parse::pdf::lines(&bytes, &ParseLimits::default()) {
                Ok(lines) => {
                    for l in lines {
                        let parts: Vec<String> = l
                            .chunks
                            .iter()
                            .map(|c| format!("[{:.1}-{:.1}] {}", c.x0, c.x1, c.text))
                            .collect();
                        println!("p{} {}", l.page, parts.join(" | "));
                    }
                    0
                }
                Err(e) => {
                    eprintln!("{e}");
                    1
                }
            }
        }
        _ => {
            eprintln!("usage: trekkpost parse FILE [--json]");
            2
        }
    };
    std::process::exit(code);
}
