//! Embeds every WGSL file under `shaders/` (vello's way): the files at the top are kernels,
//! those in its folders snippets. The composer (`src/gpu/compose.rs`) includes the generated
//! tables, so a new shader file needs no line of Rust to be found.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    // At run time, not env!(): a build script binary shared by two checkouts of the crate
    // (one target directory) must read the shaders of the one being built.
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("shaders");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut kernels = Vec::new();
    let mut snippets = Vec::new();
    for entry in sorted(&root) {
        let name = entry.file_name().unwrap().to_str().unwrap().to_owned();
        if entry.is_dir() {
            println!("cargo::rerun-if-changed={}", entry.display());
            for file in sorted(&entry) {
                let stem = wgsl_stem(&file);
                snippets.push((format!("{name}/{stem}"), file));
            }
        } else {
            kernels.push((wgsl_stem(&entry), entry));
        }
    }
    let mut out = String::new();
    for (table, files) in [("KERNELS", &kernels), ("SNIPPETS", &snippets)] {
        writeln!(out, "pub const {table}: &[(&str, &str)] = &[").unwrap();
        for (name, path) in files {
            writeln!(out, "    ({name:?}, include_str!({:?})),", path.display()).unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("shaders.rs");
    fs::write(dest, out).unwrap();
}

/// The entries of `dir`, by name (the tables' order does not depend on the file system).
fn sorted(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// `NAME` of `.../NAME.wgsl`; any other file under `shaders/` is a mistake.
fn wgsl_stem(path: &Path) -> String {
    match (path.file_stem(), path.extension()) {
        (Some(stem), Some(ext)) if ext == "wgsl" => stem.to_str().unwrap().to_owned(),
        _ => panic!("{}: not a .wgsl file", path.display()),
    }
}
