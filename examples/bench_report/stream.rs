//! The stream section: `ndgpu sum` / `ndgpu argmax` over a large float32 .npy (default 4 GiB,
//! `--quick` 256 MiB, `--stream-bytes=N` any size), run as a child process so that its peak RSS
//! (VmHWM, sampled from /proc every 2 ms) and wall time are what a user sees; beside it the CPU
//! backend's in-memory sum of the same data and NumPy's `np.load(F).sum()` in the same run.
//! Needs `cargo build --release` first (it runs target/release/ndgpu).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ndgpu::{Axes, Device, Tensor};

struct Run {
    secs: f64,
    hwm_kib: u64,
}

fn hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Best wall time of `reps` runs, and the largest peak RSS seen.
fn measure(mut make: impl FnMut() -> Command, reps: usize) -> Option<Run> {
    let mut best = f64::INFINITY;
    let mut hwm = 0;
    for _ in 0..reps {
        let start = Instant::now();
        let mut child = make().spawn().ok()?;
        let pid = child.id();
        let status = loop {
            if let Some(k) = hwm_kib(pid) {
                hwm = hwm.max(k);
            }
            if let Some(st) = child.try_wait().ok()? {
                break st;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        if !status.success() {
            eprintln!("  (child failed: {status})");
            return None;
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    Some(Run {
        secs: best,
        hwm_kib: hwm,
    })
}

fn ndgpu_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let bin = dir.join(if cfg!(windows) { "ndgpu.exe" } else { "ndgpu" });
    bin.exists().then_some(bin)
}

fn size_arg(opts: &super::Opts) -> usize {
    std::env::args()
        .find_map(|a| {
            a.strip_prefix("--stream-bytes=")
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(if opts.quick { 256 << 20 } else { 4 << 30 })
}

fn median_secs(mut f: impl FnMut(), reps: usize) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

pub fn report(opts: &super::Opts) {
    println!("== stream: ndgpu sum/argmax over a float32 .npy (file in the page cache)");
    let Some(bin) = ndgpu_bin() else {
        println!("  skipped: build the binary first (cargo build --release)");
        return;
    };
    let bytes = size_arg(opts) / 4 * 4;
    let n = bytes / 4;
    let gb = bytes as f64 / 1e9;
    let dir = std::env::temp_dir().join(format!("ndgpu-bench-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("x.npy");
    let out = dir.join("out.npy");
    let reps = 3;

    // The CPU backend's in-memory sum of the same data: the throughput target's reference.
    let in_memory = {
        let v: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 1e-3 - 0.25).collect();
        let t = Tensor::from_vec(&Device::cpu(), &[n], v).expect("tensor");
        let s = median_secs(|| drop(t.sum(Axes::All, false).expect("sum")), 5);
        let a = median_secs(|| drop(t.argmax(None, false).expect("argmax")), 3);
        ndgpu::npy::write(&file, &t).expect("write");
        (s, a)
    };
    // Warm the page cache.
    let _ = std::fs::read(&file).map(drop);
    println!(
        "  file: {:.2} GB ({n} float32), chunk {} MiB",
        gb,
        ndgpu::npy::stream::DEFAULT_CHUNK_BYTES >> 20
    );
    println!(
        "  {:<44} {:>8} {:>9} {:>12}",
        "what", "GB/s", "seconds", "peak RSS"
    );
    let row = |what: &str, r: Option<Run>| match r {
        Some(r) => println!(
            "  {:<44} {:>8.2} {:>9.3} {:>8} MiB",
            what,
            gb / r.secs,
            r.secs,
            r.hwm_kib / 1024
        ),
        None => println!("  {what:<44} failed"),
    };
    println!(
        "  {:<44} {:>8.2} {:>9.3}",
        "CPU backend in-memory sum (reference)",
        gb / in_memory.0,
        in_memory.0
    );
    println!(
        "  {:<44} {:>8.2} {:>9.3}",
        "CPU backend in-memory argmax",
        gb / in_memory.1,
        in_memory.1
    );
    let cli =
        |sub: &'static str, envs: &'static [(&'static str, &'static str)], dev: &'static str| {
            let (bin, file, out) = (bin.clone(), file.clone(), out.clone());
            move || {
                let mut c = Command::new(&bin);
                c.args([
                    sub,
                    file.to_str().unwrap(),
                    "-o",
                    out.to_str().unwrap(),
                    "--device",
                    dev,
                ]);
                for (k, v) in envs {
                    c.env(k, v);
                }
                c
            }
        };
    let sum_run = measure(cli("sum", &[], "cpu"), reps);
    let ratio = sum_run.as_ref().map(|r| in_memory.0 / r.secs);
    row("ndgpu sum --device cpu (mmap chunks)", sum_run);
    row(
        "ndgpu sum --device cpu (NDGPU_NO_MMAP=1 pread)",
        measure(cli("sum", &[("NDGPU_NO_MMAP", "1")], "cpu"), reps),
    );
    row(
        "ndgpu argmax --device cpu (mmap chunks)",
        measure(cli("argmax", &[], "cpu"), reps),
    );
    if Device::gpu().is_ok() {
        row("ndgpu sum --device gpu", measure(cli("sum", &[], "gpu"), 1));
        row(
            "ndgpu argmax --device gpu",
            measure(cli("argmax", &[], "gpu"), 1),
        );
    } else {
        println!("  (no GPU adapter: --device gpu not measured)");
    }
    if let Some(r) = ratio {
        println!(
            "  streamed sum / in-memory sum throughput: {:.0} % (target >= 80 %)",
            r * 100.0
        );
    }
    numpy(&file, gb, reps);
    let _ = std::fs::remove_dir_all(&dir);
}

fn numpy(file: &Path, gb: f64, reps: usize) {
    let script = "import sys,time,numpy as np\nf=sys.argv[1]\nt=time.perf_counter();np.load(f).sum();a=time.perf_counter()-t\nt=time.perf_counter();np.load(f,mmap_mode='r').sum();b=time.perf_counter()-t\nprint(a,b)";
    let ok = Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("  (python3 with numpy not found: NumPy not measured)");
        return;
    }
    let mut best = (f64::INFINITY, f64::INFINITY);
    for _ in 0..reps {
        let Ok(o) = Command::new("python3")
            .args(["-c", script, file.to_str().unwrap()])
            .output()
        else {
            return;
        };
        let s = String::from_utf8_lossy(&o.stdout);
        let v: Vec<f64> = s
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if v.len() == 2 {
            best = (best.0.min(v[0]), best.1.min(v[1]));
        }
    }
    let load_rss = measure(
        || {
            let mut c = Command::new("python3");
            c.args([
                "-c",
                "import sys,numpy as np; np.load(sys.argv[1]).sum()",
                file.to_str().unwrap(),
            ]);
            c
        },
        1,
    );
    println!(
        "  {:<44} {:>8.2} {:>9.3} {:>8} MiB",
        "NumPy np.load(F).sum() (excl. import)",
        gb / best.0,
        best.0,
        load_rss.map_or(0, |r| r.hwm_kib / 1024)
    );
    println!(
        "  {:<44} {:>8.2} {:>9.3}",
        "NumPy np.load(F, mmap_mode='r').sum()",
        gb / best.1,
        best.1
    );
}
