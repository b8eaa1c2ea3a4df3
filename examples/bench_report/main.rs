//! The reproducible speed report: `cargo run --release --example bench_report [-- --quick]`.
//! Every figure is printed beside a baseline measured in the same run, as a ratio, because the
//! machines it runs on are shared and noisy.

mod cpu;
mod family;
mod gpu;
mod stream;

/// Options shared by every section.
pub struct Opts {
    /// Smaller arrays and fewer repetitions (a smoke run, e.g. in CI).
    pub quick: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = Opts {
        quick: args.iter().any(|a| a == "--quick"),
    };
    let only = |name: &str| {
        !args.iter().any(|a| a.starts_with("--only"))
            || args.iter().any(|a| a == &format!("--only={name}"))
    };
    if only("cpu") {
        cpu::report(&opts);
    }
    if only("family") {
        family::report(&opts);
    }
    // The exact-sum rows of the family section alone.
    if args.iter().any(|a| a == "--only=exact") {
        let (side, reps) = if opts.quick { (1000, 5) } else { (10_000, 7) };
        family::exact_sums(side, reps);
    }
    if only("gpu") {
        gpu::report(&opts);
    }
    if only("stream") {
        stream::report(&opts);
    }
}
