//! Parsing in a child process under limits: a hostile file (zip bomb, deep PDF, a reader
//! that panics, aborts, overflows its stack or loops) costs one child, never the daemon.
//!
//! The parent runs `EXE __parse-child REQUEST_JSON` with the file on stdin and reads the
//! `ParsedList` JSON from stdout. Memory (RLIMIT_AS) and CPU (RLIMIT_CPU) are limited in
//! the child before exec; wall-clock time is enforced by the parent, which kills it.
use super::{parse_attachment_with_limits, unreadable, ParseOptions, ParsedList};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Limits on one parse; embedded in the product's configuration under `[parse]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ParseLimits {
    /// Largest attachment handed to a parser.
    pub max_input_bytes: u64,
    /// Address-space limit of the child (RLIMIT_AS).
    pub max_memory_bytes: u64,
    /// CPU seconds of the child (RLIMIT_CPU).
    pub max_cpu_seconds: u64,
    /// Wall-clock seconds before the parent kills the child.
    pub max_wall_seconds: u64,
    /// Sum of a zip's declared uncompressed sizes (xlsx, ods) and cap on any one part read.
    pub max_zip_uncompressed_bytes: u64,
    /// Entries in a zip.
    pub max_zip_entries: usize,
    /// Rows × columns of one sheet's used area.
    pub max_sheet_cells: u64,
    /// Rows read from one file (CSV lines, sheet rows, PDF text lines). No employer's list
    /// comes near it; a file beyond it is refused before it can fill memory.
    pub max_rows: u64,
    /// Pages of a PDF.
    pub max_pdf_pages: usize,
    /// Characters drawn in a PDF.
    pub max_pdf_chars: usize,
    /// JSON the child may print.
    pub max_output_bytes: u64,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 50 * 1024 * 1024,
            max_memory_bytes: 1024 * 1024 * 1024,
            max_cpu_seconds: 20,
            max_wall_seconds: 30,
            max_zip_uncompressed_bytes: 200 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_sheet_cells: 5_000_000,
            max_rows: 100_000,
            max_pdf_pages: 2_000,
            max_pdf_chars: 5_000_000,
            max_output_bytes: 256 * 1024 * 1024,
        }
    }
}

/// What the parent tells the child besides the bytes.
#[derive(Debug, Serialize, Deserialize)]
struct ChildRequest {
    file_name: String,
    opts: ParseOptions,
    limits: ParseLimits,
    /// The sources the parent was built from: a child built from others refuses.
    #[serde(default)]
    source_id: String,
}

/// Fingerprint of the sources this program was built from (build.rs); a parse request
/// carries it as `source_id`.
pub const SOURCE_ID: &str = env!("TREKKPOST_SOURCE_ID");

/// Exit code of a child built from other sources than its parent.
const STALE_CHILD: i32 = 4;

/// Set once `trekkpost-parse` beside this program turned out to be built from other
/// sources: from then on this program is its own child.
static OWN_CHILD_STALE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Written before the result, so stray prints from a library cannot spoil it.
const RESULT_MARKER: &[u8] = b"\n--trekkpost-parse-result--\n";

/// The argument that makes the binary act as a parse child.
pub const CHILD_ARG: &str = "__parse-child";

/// Stack of the parsing thread: deep but bounded recursion in PDF readers fits, and an
/// overflow still ends only the child.
const CHILD_STACK: usize = 64 * 1024 * 1024;

fn set_limit(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> std::io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: setrlimit only reads the struct we pass.
    let rc = unsafe { libc::setrlimit(resource, &lim) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn read_capped(mut r: impl Read, cap: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = r.by_ref().take(cap).read_to_end(&mut buf);
    // Drain the rest so the child never blocks on a full pipe.
    let _ = std::io::copy(&mut r, &mut std::io::sink());
    buf
}

/// Why a child ended without a result, in words for staff.
fn failure_reason(
    status: std::process::ExitStatus,
    stderr: &str,
    timed_out: bool,
    limits: &ParseLimits,
) -> String {
    if timed_out {
        return format!(
            "parsing took longer than {} s and was stopped",
            limits.max_wall_seconds
        );
    }
    let oom = stderr.contains("memory allocation")
        || stderr.contains("out of memory")
        || stderr.contains("capacity overflow");
    match status.signal() {
        Some(libc::SIGXCPU) => format!(
            "parsing used more than {} s of CPU and was stopped",
            limits.max_cpu_seconds
        ),
        Some(libc::SIGKILL) => "the parser was killed (CPU or memory limit)".into(),
        Some(libc::SIGABRT) if oom => {
            "the parser ran out of memory (file too large or hostile)".into()
        }
        Some(libc::SIGABRT) if stderr.contains("overflowed its stack") => {
            "the parser overflowed its stack (hostile file?)".into()
        }
        Some(libc::SIGSEGV) => {
            "the parser crashed (segmentation fault, probably a stack overflow)".into()
        }
        Some(sig) => format!("the parser crashed (signal {sig})"),
        None => format!(
            "the parser failed (exit code {})",
            status.code().unwrap_or(-1)
        ),
    }
}

/// The name of the parse child's own binary, installed beside `trekkpost`.
pub const CHILD_BINARY: &str = "trekkpost-parse";

/// The command that starts a parse child for the program `exe`: the small
/// `trekkpost-parse` beside it when there is one (it starts faster and maps none of the
/// daemon's code), else `exe` itself in its child role.
pub fn child_command(exe: &Path) -> Command {
    let own = exe.with_file_name(CHILD_BINARY);
    if own.is_file() && !OWN_CHILD_STALE.load(std::sync::atomic::Ordering::Relaxed) {
        Command::new(own)
    } else {
        self_as_child(exe)
    }
}

fn self_as_child(exe: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_ARG);
    cmd
}

/// Parse `bytes` in a child process (`exe` is this program's binary) within `limits`.
/// Always returns: a failure of any kind is `readable: false` with the reason.
pub fn parse_sandboxed(
    exe: &Path,
    file_name: &str,
    bytes: &[u8],
    opts: &ParseOptions,
    limits: &ParseLimits,
) -> ParsedList {
    if bytes.len() as u64 > limits.max_input_bytes {
        return unreadable(format!(
            "the file is too large ({} bytes, limit {})",
            bytes.len(),
            limits.max_input_bytes
        ));
    }
    let request = ChildRequest {
        file_name: file_name.to_string(),
        opts: opts.clone(),
        limits: limits.clone(),
        source_id: SOURCE_ID.to_string(),
    };
    let request = match serde_json::to_string(&request) {
        Ok(r) => r,
        Err(e) => return unreadable(format!("cannot start the parser: {e}")),
    };
    match run_child(child_command(exe), &request, bytes, limits) {
        (Some(status), _) if status.code() == Some(STALE_CHILD) => {
            OWN_CHILD_STALE.store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(
                "{CHILD_BINARY} beside {} was built from other sources; parsing in {} itself",
                exe.display(),
                exe.display()
            );
            run_child(self_as_child(exe), &request, bytes, limits).1
        }
        (_, list) => list,
    }
}

/// One child started by `cmd` with `request`, fed `bytes`: how it ended, and its result.
fn run_child(
    mut cmd: Command,
    request: &str,
    bytes: &[u8],
    limits: &ParseLimits,
) -> (Option<std::process::ExitStatus>, ParsedList) {
    cmd.arg(request)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_clear()
        .env("RUST_BACKTRACE", "0");
    // No pre_exec hook: without one the child is started by posix_spawn, which does not
    // copy the (large) parent's page tables as fork does. The child sets its own limits
    // before it reads a byte of the file (`child_main`).
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (None, unreadable(format!("cannot start the parser: {e}"))),
    };
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return (None, unreadable("cannot start the parser: no pipes"));
    };
    let max_out = limits.max_output_bytes;
    std::thread::scope(|s| {
        s.spawn(move || {
            // A child that dies early closes the pipe; that error is reported via its status.
            let _ = stdin.write_all(bytes);
        });
        let (done, output) = std::sync::mpsc::channel();
        s.spawn(move || {
            let _ = done.send(read_capped(stdout, max_out));
        });
        let err = s.spawn(move || read_capped(stderr, 64 * 1024));
        let deadline = Instant::now() + Duration::from_secs(limits.max_wall_seconds.max(1));
        // The output ends when the child does: wait for that, not in sleeps that would
        // add to every parse.
        let mut timed_out = false;
        let out = match output.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(out) => out,
            Err(_) => {
                timed_out = true;
                let _ = child.kill();
                output.recv().unwrap_or_default()
            }
        };
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break Some(st),
                Ok(None) if Instant::now() >= deadline => {
                    timed_out = true;
                    let _ = child.kill();
                    break child.wait().ok();
                }
                Ok(None) => std::thread::sleep(Duration::from_micros(100)),
                Err(_) => {
                    let _ = child.kill();
                    break child.wait().ok();
                }
            }
        };
        let err = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
        let Some(status) = status else {
            return (None, unreadable("the parser could not be waited for"));
        };
        let list = if status.success() && !timed_out {
            let start = out
                .windows(RESULT_MARKER.len())
                .rposition(|w| w == RESULT_MARKER)
                .map(|p| p + RESULT_MARKER.len())
                .unwrap_or(0);
            match serde_json::from_slice::<ParsedList>(&out[start..]) {
                Ok(list) => list,
                Err(e) => unreadable(format!("the parser gave no usable result: {e}")),
            }
        } else {
            unreadable(failure_reason(status, &err, timed_out, limits))
        };
        (Some(status), list)
    })
}

/// Entry point of the child: `args` are the arguments after `__parse-child`.
/// Prints the result as JSON and returns the exit code.
pub fn child_main(args: &[String]) -> i32 {
    let request: ChildRequest = match args.first().map(|a| serde_json::from_str(a)) {
        Some(Ok(r)) => r,
        _ => {
            eprintln!("parse child: bad request");
            return 2;
        }
    };
    if request.source_id != SOURCE_ID {
        eprintln!("parse child: built from other sources than the program that started it");
        return STALE_CHILD;
    }
    // Limits first, before a byte of the file is read.
    let (mem, cpu) = (
        request.limits.max_memory_bytes,
        request.limits.max_cpu_seconds.max(1),
    );
    let limited = set_limit(libc::RLIMIT_AS, mem, mem)
        .and_then(|_| set_limit(libc::RLIMIT_CPU, cpu, cpu + 2))
        .and_then(|_| set_limit(libc::RLIMIT_CORE, 0, 0))
        .and_then(|_| set_limit(libc::RLIMIT_FSIZE, 0, 0));
    if let Err(e) = limited {
        eprintln!("parse child: cannot set its limits: {e}");
        return 2;
    }
    let mut bytes = Vec::new();
    if std::io::stdin()
        .lock()
        .take(request.limits.max_input_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .is_err()
    {
        eprintln!("parse child: cannot read input");
        return 2;
    }
    let worker = std::thread::Builder::new()
        .stack_size(CHILD_STACK)
        .spawn(move || {
            std::panic::catch_unwind(|| {
                parse_attachment_with_limits(
                    &request.file_name,
                    &bytes,
                    &request.opts,
                    &request.limits,
                )
            })
            .unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                unreadable(format!(
                    "the parser failed on this file (panic: {})",
                    msg.chars().take(200).collect::<String>()
                ))
            })
        });
    let list = match worker.map(|h| h.join()) {
        Ok(Ok(list)) => list,
        _ => unreadable("the parser failed on this file"),
    };
    let stdout = std::io::stdout();
    // Stdout alone is line-buffered, and JSON has no lines: one write per kilobyte.
    let mut lock = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = lock
        .write_all(RESULT_MARKER)
        .map_err(serde_json::Error::io)
        .and_then(|_| serde_json::to_writer(&mut lock, &list))
        .and_then(|_| lock.flush().map_err(serde_json::Error::io));
    match written {
        Ok(()) => 0,
        Err(_) => 3,
    }
}
