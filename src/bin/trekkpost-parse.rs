//! The attachment parser's child process on its own (see `parse::sandbox`): the same code
//! as `trekkpost __parse-child`, in a binary without the daemon's runtime, database,
//! web and mail code, so each child starts in a fraction of the time and maps less.
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let request = match args.first().map(String::as_str) {
        Some(trekkpost::parse::sandbox::CHILD_ARG) => &args[1..],
        _ => &args[..],
    };
    let code = trekkpost::parse::child_main(request);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
