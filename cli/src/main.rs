//! The `ndgpu` command: NumPy's reductions (one subcommand per `ReduceOp`, named as NumPy
//! names them) and cast of .npy files on the CPU or a GPU, streamed in chunks so that files
//! larger than memory work. Exit status: 0 success, 1 runtime error, 2 usage error; every
//! error is one line on stderr.

#![deny(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{
    ArgMatches, Args, Command, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ndgpu::npy::stream::{self, StreamOptions};
use ndgpu::{Axes, DType, Device, ReduceOp};

#[derive(Parser)]
#[command(
    name = "ndgpu",
    version,
    about = "NumPy's reductions and cast of .npy files on a GPU (wgpu) or the CPU"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Show the adapters found and which device `--device auto` uses.
    Info,
    /// a.astype(DTYPE).
    Cast {
        #[command(flatten)]
        io: Io,
        /// Target dtype, as np.dtype spells it (bool, int8, ..., float32, float64, complex64; f4, <f4, float, double, ...).
        #[arg(long, value_parser = parse_dtype)]
        to: DType,
    },
}

/// The options of every reduction subcommand (`ndgpu OP IN -o OUT ...`).
#[derive(Args)]
struct ReduceArgs {
    #[command(flatten)]
    io: Io,
    /// Axis to reduce (negative counts from the end); repeat for several (arg-reductions take
    /// one). Default: all axes (arg-reductions: the flattened array).
    #[arg(long, allow_negative_numbers = true)]
    axis: Vec<isize>,
    /// Keep reduced axes with length 1.
    #[arg(long)]
    keepdims: bool,
}

/// One subcommand per reduction, built from `ReduceOp::ALL`: a new operation needs no change
/// here.
fn reduction_commands() -> Vec<Command> {
    ReduceOp::ALL
        .into_iter()
        .map(|op| {
            let about = if op.is_arg() {
                format!("np.{op}(a, axis=..., keepdims=...) as int64")
            } else {
                format!(
                    "np.{op}(a, axis=..., keepdims=...): output dtype as NumPy's (e.g. {} for int32, {} for float32)",
                    op.out_dtype(DType::Int32),
                    op.out_dtype(DType::Float32)
                )
            };
            let cmd = ReduceArgs::augment_args(Command::new(op.name())).about(about);
            if op.is_arg() {
                // One axis or none: a repeated --axis is a usage error.
                cmd.mut_arg("axis", |a| a.action(clap::ArgAction::Set))
            } else {
                cmd
            }
        })
        .collect()
}

#[derive(Args)]
struct Io {
    /// Input .npy file.
    input: PathBuf,
    /// Output .npy file (written atomically).
    #[arg(short, long)]
    output: PathBuf,
    /// Where to compute.
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    device: DeviceArg,
    /// Bytes of input per chunk (default: NDGPU_CHUNK_BYTES or 32 MiB).
    #[arg(long, hide = true)]
    chunk_bytes: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DeviceArg {
    Cpu,
    Gpu,
    Auto,
}

/// A `--to` dtype, spelled as `np.dtype` accepts it (`float32`, `float`, `f4`, `<f4`, ...).
fn parse_dtype(s: &str) -> Result<DType, String> {
    match DType::from_numpy_str(s) {
        Ok(DType::BFloat16) => Err(
            ".npy files have no bfloat16 type (NumPy has none): cast to float32 or float16".into(),
        ),
        Ok(d) => Ok(d),
        Err(_) => Err(format!(
            "unknown dtype `{s}`: use one of bool, int8, uint8, int16, uint16, int32, uint32, \
             int64, uint64, float16, float32, float64, complex64, or a NumPy spelling of one \
             (float, double, f4, <f4, int, i8, u1, ?, half, single, c8, ...)"
        )),
    }
}

fn device(d: DeviceArg) -> ndgpu::Result<Device> {
    match d {
        DeviceArg::Cpu => Ok(Device::cpu()),
        DeviceArg::Gpu => Device::gpu(),
        DeviceArg::Auto => Ok(Device::auto()),
    }
}

/// A progress bar on stderr, shown only when stderr is a terminal and the work has already
/// taken two seconds.
fn progress() -> Option<Box<dyn FnMut(u64, u64)>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let start = Instant::now();
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut shown = false;
    Some(Box::new(move |done, total| {
        bar.set_length(total);
        bar.set_position(done);
        if !shown && start.elapsed() > Duration::from_secs(2) && done < total {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        if done >= total {
            bar.finish_and_clear();
        }
    }))
}

fn options(io: &Io) -> StreamOptions {
    let mut o = StreamOptions::default();
    if let Some(b) = io.chunk_bytes {
        o.chunk_bytes = b.max(1);
    }
    o.progress = progress();
    o
}

fn info() -> ndgpu::Result<()> {
    let mut text = format!(
        "cpu: available ({} threads)\n",
        rayon::current_num_threads()
    );
    text += &format!("{}\n", ndgpu::gpu_info());
    let (d, why) = Device::auto_with_reason();
    match why {
        None => text += &format!("--device auto uses: {}\n", d.name()),
        Some(e) => text += &format!("--device auto uses: {} ({e})\n", d.name()),
    }
    print_stdout(&text)
}

/// Writes `text` to stdout. A closed pipe (`ndgpu info | head -1`) is not an error: the
/// reader has what it wanted, so the program ends quietly, as coreutils do. Any other write
/// error (a full disk) is.
fn print_stdout(text: &str) -> ndgpu::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(ndgpu::Error::Io {
            path: "stdout".into(),
            message: e.to_string(),
        }),
        _ => Ok(()),
    }
}

/// One line on stderr, prefixed `ndgpu: `. Nothing can be done if stderr itself fails (it is
/// a full disk or closed), so that is ignored: the exit status still tells.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "ndgpu: {line}");
}

/// The one-line usage printed for a bare `ndgpu`.
fn usage_line() -> String {
    let names: Vec<String> = Cli::command()
        .subcommands(reduction_commands())
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect();
    format!(
        "usage: ndgpu COMMAND ..., where COMMAND is one of {}; see `ndgpu --help` and `ndgpu COMMAND --help`",
        names.join(", ")
    )
}

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary files being written and exit with
/// 128 + the signal's number, as a shell reports a process killed by it.
fn exit_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("ndgpu-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                ndgpu::npy::AtomicFile::remove_all_uncommitted();
                std::process::exit(128 + sig);
            }
        });
    drop(spawned);
}

fn run(cli: Cli) -> ndgpu::Result<()> {
    match cli.cmd {
        Cmd::Info => info()?,
        Cmd::Cast { io, to } => {
            stream::cast(&io.input, &io.output, to, &device(io.device)?, options(&io))?;
        }
    }
    Ok(())
}

fn run_reduction(op: ReduceOp, m: &ArgMatches) -> ndgpu::Result<()> {
    let a =
        ReduceArgs::from_arg_matches(m).map_err(|e| ndgpu::Error::Unsupported(e.to_string()))?;
    let axes = if a.axis.is_empty() {
        Axes::All
    } else {
        Axes::List(a.axis)
    };
    stream::reduce_to_file(
        &a.io.input,
        &a.io.output,
        op,
        &axes,
        a.keepdims,
        &device(a.io.device)?,
        options(&a.io),
    )
}

/// What the command line asked for.
enum Job {
    Reduce(ReduceOp, ArgMatches),
    Other(Cli),
}

static PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Mesa's implicit device-select Vulkan layer connects to the window system to order GPUs and
/// prints "XDG_RUNTIME_DIR is invalid" on headless machines; ndgpu orders adapters itself, so
/// the program turns the layer off (unless the user set the variable). The library leaves the
/// environment alone.
#[allow(unsafe_code)] // the program's one unsafe call
fn quiet_device_select() {
    if cfg!(target_os = "linux") && std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: called first thing in main, before any other thread exists, so nothing
        // reads the environment concurrently.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}

fn main() -> ExitCode {
    quiet_device_select();
    let command = Cli::command().subcommands(reduction_commands());
    let parsed = command.try_get_matches().and_then(|m| {
        let op = m
            .subcommand()
            .and_then(|(name, sub)| ReduceOp::from_name(name).map(|op| (op, sub.clone())));
        match op {
            Some((op, sub)) => Ok(Job::Reduce(op, sub)),
            None => Cli::from_arg_matches(&m).map(Job::Other),
        }
    });
    let job = match parsed {
        Ok(j) => j,
        Err(e) if !e.use_stderr() => {
            // --help / --version (a closed stdout is no error, a full disk is)
            return match print_stdout(&e.render().to_string()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    report(&e.to_string());
                    ExitCode::from(1)
                }
            };
        }
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                    | clap::error::ErrorKind::MissingSubcommand
            ) && std::env::args_os().len() <= 1 =>
        {
            report(&usage_line());
            return ExitCode::from(2);
        }
        Err(e) => {
            let text = e.render().to_string();
            // clap's message without its usage block, on one line.
            let line: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            report(line.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    exit_on_signals();
    // Last resort: a panic still prints one line (and unwinding removes temporary files).
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut p) = PANIC.lock() {
            *p = Some(format!("{msg}{at}").replace('\n', " "));
        }
    }));
    let work = || match job {
        Job::Reduce(op, m) => run_reduction(op, &m),
        Job::Other(cli) => run(cli),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            report(&e.to_string().replace('\n', " "));
            ExitCode::from(1)
        }
        Err(_) => {
            let msg = PANIC
                .lock()
                .ok()
                .and_then(|p| p.clone())
                .unwrap_or_default();
            report(&format!("internal error (please report): {msg}"));
            ExitCode::from(1)
        }
    }
}
