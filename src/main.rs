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
                    let opts = ParseOptions { accept_synthetic_ids: true };
                    parse::cli::run_parse_command(&PathBuf::from(file), json, &opts, &ParseLimits::default())
                }
                None => {
                    eprintln!("usage: trekkpost parse FILE [--json]");
                    2
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
