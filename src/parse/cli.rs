//! `trekkpost parse FILE [--json]`: parse one file through the sandbox and print it.
use super::{parse_sandboxed, ParseLimits, ParseOptions, ParsedList};
use crate::norwegian::{format_amount_ore, mask_national_id};
use std::path::Path;

/// Run the `parse` command. Exit code 0 whenever the file could be read from disk,
/// also when its content is unreadable (that is a result, not an error).
pub fn run_parse_command(
    path: &Path,
    json: bool,
    opts: &ParseOptions,
    limits: &ParseLimits,
) -> i32 {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.display());
            return 1;
        }
    };
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot find this program's binary: {e}");
            return 1;
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = parse_sandboxed(&exe, &name, &bytes, opts, limits);
    if json {
        match serde_json::to_string_pretty(&list) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("cannot print the result: {e}");
                return 1;
            }
        }
    } else {
        print!("{}", render_table(&list));
    }
    0
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "-".into())
}

/// A human-readable view; national IDs masked as in anything shown to people.
pub fn render_table(list: &ParsedList) -> String {
    let mut out = String::new();
    if !list.readable {
        out.push_str(&format!(
            "unreadable: {}\n",
            list.reason.as_deref().unwrap_or("unknown reason")
        ));
        return out;
    }
    out.push_str(&format!(
        "list {}  employer {}  org {}  period {}  declared total {}\n",
        opt(&list.list_number),
        opt(&list.employer_id),
        opt(&list.org_number),
        opt(&list.period),
        list.declared_total_ore
            .map(format_amount_ore)
            .unwrap_or_else(|| "-".into())
    ));
    out.push_str(&format!(
        "{:<12} {:<11} {:<30} {:>9} {:>9} {:>12} {:<10} {:<10} {}\n",
        "where", "nat. ID", "name", "member", "employee", "amount", "birth", "end", "comment"
    ));
    for l in &list.lines {
        out.push_str(&format!(
            "{:<12} {:<11} {:<30} {:>9} {:>9} {:>12} {:<10} {:<10} {}\n",
            format!("{}:{}", l.sheet, l.row),
            l.national_id
                .as_deref()
                .map(mask_national_id)
                .unwrap_or_else(|| "-".into()),
            opt(&l.name),
            opt(&l.member_number),
            opt(&l.employee_number),
            l.amount_ore
                .map(format_amount_ore)
                .unwrap_or_else(|| "-".into()),
            opt(&l.birth_date),
            opt(&l.end_date),
            opt(&l.comment)
        ));
    }
    let sum: i64 = list.lines.iter().filter_map(|l| l.amount_ore).sum();
    out.push_str(&format!(
        "{} lines, sum {}\n",
        list.lines.len(),
        format_amount_ore(sum)
    ));
    for w in &list.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}
