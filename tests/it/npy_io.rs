//! The .npy reader and writer: NumPy's fixtures in every dtype, byte order and memory order,
//! round trips, refusals, and random/mutated headers (no panic, one-line errors).

use crate::common;

use common::bytes;
use common::npy::fixtures;
use ndgpu::{DType, Device, Tensor};
use proptest::prelude::*;

const DTYPES: [&str; 13] = [
    "bool",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
];

#[test]
fn every_byte_order_and_memory_order_reads_the_same() {
    let dir = fixtures().join("arrays");
    for name in DTYPES {
        let variants: Vec<_> = ["na_C", "na_F", "le_C", "le_F", "be_C", "be_F"]
            .iter()
            .map(|v| dir.join(format!("{name}_{v}.npy")))
            .filter(|p| p.exists())
            .collect();
        assert!(variants.len() >= 2, "{name}");
        let first = ndgpu::npy::read(&variants[0]).unwrap();
        assert_eq!(first.dtype(), name.parse::<DType>().unwrap());
        assert_eq!(first.shape(), &[3, 4, 5]);
        for v in &variants[1..] {
            let t = ndgpu::npy::read(v).unwrap();
            assert_eq!(t.shape(), first.shape(), "{v:?}");
            assert_eq!(bytes(&t), bytes(&first), "{v:?}");
        }
    }
}

#[test]
fn fortran_order_is_transposed_to_c() {
    // gen.py's int32_le_C holds the same values as int32_le_F; check one element by hand
    // against the header-declared order: element [1, 2, 3] is at C offset 1*20 + 2*5 + 3.
    let dir = fixtures().join("arrays");
    let f = ndgpu::npy::read(dir.join("int32_le_F.npy")).unwrap();
    let a = f.to_ndarray::<i32>().unwrap();
    let c = ndgpu::npy::read(dir.join("int32_le_C.npy"))
        .unwrap()
        .to_ndarray::<i32>()
        .unwrap();
    assert_eq!(a[[1, 2, 3]], c.as_slice().unwrap()[33]);
    assert_eq!(a, c);
}

#[test]
fn special_shapes_and_versions() {
    let dir = fixtures().join("arrays");
    let t = ndgpu::npy::read(dir.join("float32_0d.npy")).unwrap();
    assert_eq!(
        (t.shape(), t.to_ndarray::<f32>().unwrap().first().copied()),
        (&[][..], Some(3.5))
    );
    let t = ndgpu::npy::read(dir.join("int16_0d_be.npy")).unwrap();
    assert_eq!(t.to_ndarray::<i16>().unwrap().first(), Some(&-7));
    assert_eq!(
        ndgpu::npy::read(dir.join("float64_empty.npy"))
            .unwrap()
            .shape(),
        &[0, 3]
    );
    assert_eq!(
        ndgpu::npy::read(dir.join("int32_empty_mid.npy"))
            .unwrap()
            .shape(),
        &[3, 0, 2]
    );
    assert_eq!(
        ndgpu::npy::read(dir.join("int32_v2.npy")).unwrap().shape(),
        &[4, 6]
    );
    assert_eq!(
        ndgpu::npy::read(dir.join("float64_v3.npy"))
            .unwrap()
            .shape(),
        &[12]
    );
    let h = ndgpu::npy::read_header(dir.join("float64_v3.npy")).unwrap();
    assert_eq!(h.data_offset % 64, 0);
}

#[test]
fn refused_files_give_one_line_errors_naming_the_problem() {
    let dir = fixtures().join("refused");
    let expect = [
        ("object", "object"),
        ("unicode", "unicode"),
        ("bytes", "byte string"),
        ("structured", "structured"),
        ("void", "void"),
        ("datetime64", "datetime64"),
        ("timedelta64", "timedelta64"),
        ("float128", "<f16"),
        ("truncated_data", "truncated data"),
        ("truncated_header", "truncated"),
        ("bad_magic", "magic"),
        ("empty_file", "magic"),
        ("garbled_header", "garbled"),
        ("bad_version", "version"),
        ("extra_bytes", "inconsistent"),
        ("negative_shape", "negative"),
        ("huge_shape", "too large"),
        ("huge_header_len", "header"),
        ("missing_key", "fortran_order"),
    ];
    for (file, needle) in expect {
        let e = ndgpu::npy::read(dir.join(format!("{file}.npy")))
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{file}: {e}");
        assert_eq!(e.lines().count(), 1, "{file}: {e}");
        let bytes = std::fs::read(dir.join(format!("{file}.npy"))).unwrap();
        assert!(
            ndgpu::npy::read_from(&bytes[..], &Device::cpu()).is_err(),
            "{file}"
        );
    }
}

#[test]
fn errors_stay_on_one_line_with_newlines_in_the_header() {
    // Found by the fuzzer: a descr string holding a newline was echoed into the message.
    let bytes = std::fs::read(fixtures().join("fuzz_newline_in_descr.npy")).unwrap();
    let e = ndgpu::npy::read_from(&bytes[..], &Device::cpu())
        .unwrap_err()
        .to_string();
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn round_trips_every_dtype_shape_and_stream() {
    let dir = std::env::temp_dir().join(format!("ndgpu-npy-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cpu = Device::cpu();
    for name in DTYPES {
        let src = ndgpu::npy::read(fixtures().join(format!(
            "arrays/{name}_{}_F.npy",
            if matches!(name, "bool" | "int8" | "uint8") {
                "na"
            } else {
                "be"
            }
        )))
        .unwrap();
        let p = dir.join(format!("{name}.npy"));
        ndgpu::npy::write(&p, &src).unwrap();
        let back = ndgpu::npy::read(&p).unwrap();
        assert_eq!((back.dtype(), back.shape()), (src.dtype(), src.shape()));
        assert_eq!(bytes(&back), bytes(&src), "{name}");
        let mut buf = Vec::new();
        ndgpu::npy::write_to(&mut buf, &src).unwrap();
        assert_eq!(buf, std::fs::read(&p).unwrap());
        assert_eq!(
            bytes(&ndgpu::npy::read_from(&buf[..], &cpu).unwrap()),
            bytes(&src)
        );
        assert!(ndgpu::npy::read_from(&buf[..buf.len() - 1], &cpu).is_err());
    }
    for shape in [&[][..], &[0][..], &[2, 0, 3][..], &[1, 1, 1, 1][..]] {
        let n = shape.iter().product();
        let t = Tensor::from_vec(&cpu, shape, (0..n).map(|i| i as f64).collect()).unwrap();
        let p = dir.join("s.npy");
        ndgpu::npy::write(&p, &t).unwrap();
        let back = ndgpu::npy::read(&p).unwrap();
        assert_eq!(back.shape(), shape);
    }
    let bf = Tensor::from_vec(&cpu, &[1], vec![half::bf16::ONE]).unwrap();
    let p = dir.join("bf.npy");
    std::fs::write(&p, b"keep").unwrap();
    let e = ndgpu::npy::write(&p, &bf).unwrap_err().to_string();
    assert!(e.contains("bfloat16"), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), b"keep");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn valid_file() -> Vec<u8> {
    std::fs::read(fixtures().join("arrays/int32_le_C.npy")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Random bytes after the magic string: an error (or a tensor), never a panic.
    #[test]
    fn random_headers_never_panic(version in 1u8..4, tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend([version, 0]);
        bytes.extend(tail);
        if let Err(e) = ndgpu::npy::read_from(&bytes[..], &Device::cpu()) {
            prop_assert_eq!(e.to_string().lines().count(), 1);
        }
    }

    /// A valid file with a few bytes changed, inserted or cut: never a panic.
    #[test]
    fn mutated_files_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)) {
        let mut bytes = valid_file();
        for (at, b, kind) in edits {
            let i = at.index(bytes.len().max(1));
            match kind {
                0 if !bytes.is_empty() => bytes[i] = b,
                1 => bytes.insert(i.min(bytes.len()), b),
                _ => bytes.truncate(i),
            }
        }
        if let Err(e) = ndgpu::npy::read_from(&bytes[..], &Device::cpu()) {
            prop_assert_eq!(e.to_string().lines().count(), 1);
        }
    }

    /// Header dicts built from plausible pieces: never a panic.
    #[test]
    fn plausible_dicts_never_panic(
        descr in prop::sample::select(vec!["'<f4'", "'>i8'", "'|b1'", "'<c16'", "'|O'", "'<U0'", "[('a', '<i4')]", "'<m8[s]'", "'x'", "''", "3", "'<f0'", "'<i99999999999999999999'"]),
        order in prop::sample::select(vec!["False", "True", "1", "None"]),
        shape in prop::sample::select(vec!["()", "(3,)", "(-1,)", "(0, 5)", "(99999999999999999999,)", "(2, 2**3)", "[2, 3]", "(1.5,)", "(18446744073709551615, 2)", "(4294967296, 4294967296)"]),
        data_len in 0usize..64,
    ) {
        let dict = format!("{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape}, }}");
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((dict.len() as u16).to_le_bytes());
        bytes.extend(dict.as_bytes());
        bytes.extend(vec![7u8; data_len]);
        if let Err(e) = ndgpu::npy::read_from(&bytes[..], &Device::cpu()) {
            prop_assert_eq!(e.to_string().lines().count(), 1);
        }
    }
}
