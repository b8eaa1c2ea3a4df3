//! The GPU device as a device: adapter info, transfer accounting, the transfer guard, async
//! readback, reuse of output buffers, and errors instead of aborts.

use crate::common;

use ndgpu::{DType, Device, Error, Tensor, TransferGuard};

fn gpu() -> Device {
    common::gpu().expect("no GPU adapter: these tests need one (lavapipe in CI)")
}

#[test]
fn info_lists_the_chosen_adapter_and_its_limits() {
    let _ = gpu();
    let info = ndgpu::gpu_info();
    let text = info.to_string();
    eprintln!("{text}");
    let i = info.chosen.expect("an adapter is chosen");
    assert!(!info.adapters[i].name.is_empty());
    assert!(text.contains("max_storage_buffer_binding_size"));
    assert!(info.limits.iter().all(|(_, v)| *v > 0));
}

#[test]
fn stats_count_transfers_and_staging_reuse() {
    let g = gpu();
    let t = Tensor::from_vec(&g, &[1000], (0..1000).map(|i| i as f32).collect()).unwrap();
    let s0 = g.stats();
    assert_eq!(s0.bytes_uploaded, 4000);
    assert_eq!(s0.readbacks, 0);
    let a = t.to_ndarray::<f32>().unwrap();
    assert_eq!(a[[999]], 999.0);
    // count_nonzero, not sum: float sums fold on the host until the exact-sum shaders land
    // (the EXACT-SUM FALLBACK in gpu/mod.rs downloads the input).
    let sum = t.count_nonzero(ndgpu::Axes::All, false).unwrap();
    let _ = t.to_ndarray::<f32>().unwrap();
    let s1 = g.stats();
    assert_eq!(s1.readbacks, 2);
    assert_eq!(s1.bytes_read_back, 8000);
    assert!(s1.dispatches >= 1, "{s1:?}");
    assert!(
        s1.staging_reuses >= 1,
        "the second readback reuses the staging buffer: {s1:?}"
    );
    assert_eq!(sum.to_ndarray::<i64>().unwrap().sum(), 999);
    assert_eq!(Device::cpu().stats(), Default::default());
}

#[test]
fn transfer_guard_refuses_implicit_copies_only() {
    let g = gpu();
    let t = Tensor::from_vec(&g, &[4], vec![1i32, 2, 3, 4]).unwrap();
    g.set_transfer_guard(TransferGuard::Deny);
    let cpu = Device::cpu();
    match t.to_device(&cpu) {
        Err(Error::TransferDenied { bytes }) => assert_eq!(bytes, 16),
        other => panic!("expected TransferDenied, got {other:?}"),
    }
    assert!(
        cpu.sum(&t, ndgpu::Axes::All, false).is_err(),
        "IntoTensor is implicit"
    );
    assert_eq!(
        t.to_ndarray::<i32>().unwrap().sum(),
        10,
        "explicit is allowed"
    );
    g.set_transfer_guard(TransferGuard::Log);
    assert!(t.to_device(&cpu).is_ok());
    g.set_transfer_guard(TransferGuard::Allow);
    let back = t.to_device(&cpu).unwrap();
    assert_eq!(back.view::<i32>().unwrap().sum(), 10);
}

#[test]
fn async_readback() {
    let g = gpu();
    let t = Tensor::from_vec(&g, &[3, 2], vec![1u8, 2, 3, 4, 5, 6]).unwrap();
    let s = t.sum(0, false).unwrap();
    let a = pollster::block_on(s.to_ndarray_async::<u64>()).unwrap();
    assert_eq!(a.into_raw_vec_and_offset().0, vec![9, 12]);
    let futs: Vec<_> = (0..4).map(|_| t.to_ndarray_async::<u8>()).collect();
    for f in futs {
        assert_eq!(pollster::block_on(f).unwrap().len(), 6);
    }
}

#[test]
fn empty_and_scalar_tensors() {
    let g = gpu();
    let e = Tensor::from_vec(&g, &[0, 3], Vec::<f32>::new()).unwrap();
    assert_eq!(e.to_ndarray::<f32>().unwrap().len(), 0);
    assert_eq!(
        e.cast(DType::Int8)
            .unwrap()
            .to_ndarray::<i8>()
            .unwrap()
            .len(),
        0
    );
    let s = Tensor::from_vec(&g, &[], vec![2.5f64]).unwrap();
    assert_eq!(
        s.cast(DType::Int64).unwrap().to_ndarray::<i64>().unwrap()[[]],
        2
    );
    assert_eq!(
        s.argmax(None, false).unwrap().to_ndarray::<i64>().unwrap()[[]],
        0
    );
}

#[test]
fn auto_takes_a_hardware_adapter_and_never_a_software_one() {
    let _ = gpu();
    let info = ndgpu::gpu_info();
    let chosen = &info.adapters[info.chosen.expect("an adapter")];
    let software = matches!(chosen.device_type.as_str(), "Cpu" | "Other");
    let (d, why) = Device::auto_with_reason();
    if software {
        // CI's lavapipe: the CPU backend, with the reason.
        assert!(d.is_cpu(), "auto took the software adapter {}", chosen.name);
        let why = why.expect("a reason").to_string();
        assert!(
            why.contains("software") && why.contains(&chosen.name),
            "{why}"
        );
    } else {
        assert!(!d.is_cpu() && why.is_none(), "{why:?}");
    }
}

#[test]
fn reused_output_buffers_hold_only_the_new_results() {
    // A dropped output's buffer is reused, unzeroed, by the next output of its size: packed
    // outputs and short last words must still read back exactly what the CPU gives.
    let (g, c) = (gpu(), Device::cpu());
    for (round, n) in [4099usize, 4099, 1, 1, 65_537, 65_537]
        .into_iter()
        .enumerate()
    {
        let v: Vec<i32> = (0..n)
            .map(|i| (i as i32).wrapping_mul(2_654_435_761u32 as i32) >> (round % 3))
            .collect();
        let tg = Tensor::from_slice(&g, &[n], &v).unwrap();
        let tc = Tensor::from_slice(&c, &[n], &v).unwrap();
        for to in [DType::Bool, DType::UInt8, DType::Float16, DType::Int64] {
            let (a, b) = (tg.cast(to).unwrap(), tc.cast(to).unwrap());
            assert_eq!(common::bytes(&a), common::bytes(&b), "{n} -> {to}");
            drop(a); // back to the pool, dirty, for the next round
        }
        let s = [n, 1];
        let tg2 = Tensor::from_slice(&g, &s, &v).unwrap();
        let tc2 = Tensor::from_slice(&c, &s, &v).unwrap();
        for ax in [0isize, 1] {
            assert_eq!(
                common::bytes(&tg2.sum(ax, false).unwrap()),
                common::bytes(&tc2.sum(ax, false).unwrap()),
                "sum {n} axis {ax}"
            );
            assert_eq!(
                common::bytes(&tg2.argmax(Some(ax), false).unwrap()),
                common::bytes(&tc2.argmax(Some(ax), false).unwrap()),
                "argmax {n} axis {ax}"
            );
        }
    }
}
