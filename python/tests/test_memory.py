"""The zero-copy claims, measured on a 1 GiB array in a fresh process each (peak RSS is
monotonic): a C-contiguous input is borrowed by a CPU operation (no copy in), a result's Rust
allocation becomes the NumPy array's buffer (no copy out), a non-contiguous or big-endian
input is copied exactly once."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ndgpu

GIB = 1 << 30
MIB = 1 << 20

PROBE = textwrap.dedent(
    """
    import json, resource, sys, tracemalloc
    import numpy as np
    import ndgpu

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    case, device = sys.argv[1], sys.argv[2]
    a = np.ones((1 << 28,), dtype=np.float32)          # 1 GiB, pages touched
    ndgpu.sum(a[:1024], device=device)                 # the device is opened before measuring
    if case == "big_endian":
        a = a.astype(">f4")
    before = peak()
    tracemalloc.start()
    if case == "sum":
        r = ndgpu.sum(a, device=device)
        ok = bool(r == a.size)
    elif case == "strided":
        r = ndgpu.sum(a.reshape(-1, 2)[:, 0], device=device)   # a view of every other element
        ok = bool(r == a.size // 2)
    elif case == "big_endian":
        r = ndgpu.sum(a, device=device)
        ok = bool(r == a.size)
    elif case == "cast":
        r = ndgpu.cast(a, "float64", device=device)             # a 2 GiB result
        ok = r.dtype == np.float64 and bool(r[-1] == 1.0)
        ok = ok and not r.flags.owndata and type(r.base).__name__ == "PySliceContainer"
    _, traced = tracemalloc.get_traced_memory()
    print(json.dumps({"grew": peak() - before, "traced_peak": traced, "ok": bool(ok)}))
    """
)


def probe(case, device):
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, case, device], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_contiguous_input_is_borrowed_on_the_cpu():
    r = probe("sum", "cpu")
    assert r["ok"]
    assert r["grew"] < 64 * MIB, r          # no copy of the 1 GiB input
    assert r["traced_peak"] < MIB, r        # and nothing allocated through NumPy


def test_contiguous_input_is_uploaded_from_its_buffer(device):
    if device == "cpu":
        pytest.skip("the GPU path")
    r = probe("sum", "gpu")
    assert r["ok"]
    assert r["traced_peak"] < MIB, r        # no NumPy-side copy before the upload


def test_result_is_the_rust_allocation():
    r = probe("cast", "cpu")
    assert r["ok"]
    assert r["traced_peak"] < MIB, r        # NumPy allocated no buffer for the result
    assert 2 * GIB - 64 * MIB < r["grew"] < 2 * GIB + 64 * MIB, r   # the result once, no copy


def test_non_contiguous_input_is_copied_once():
    r = probe("strided", "cpu")
    assert r["ok"]
    assert GIB // 2 - 64 * MIB < r["grew"] < GIB // 2 + 64 * MIB, r


def test_big_endian_input_is_copied_once():
    r = probe("big_endian", "cpu")
    assert r["ok"]
    assert r["grew"] < GIB + 64 * MIB, r    # at most one native copy of 1 GiB


def test_result_buffer_is_owned_by_rust(device):
    a = np.arange(1000, dtype=np.float32).reshape(10, 100)
    r = ndgpu.sum(a, axis=1, device=device)
    assert not r.flags.owndata and type(r.base).__name__ == "PySliceContainer"
    assert not np.shares_memory(r, a)
    assert r.flags.c_contiguous and r.flags.writeable


def test_gil_is_released_while_work_runs():
    import threading
    import time

    a = np.ones(1 << 26, dtype=np.float32)
    ticks = []
    started = threading.Event()
    stop = threading.Event()

    def tick():
        started.set()
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    th = threading.Thread(target=tick)
    th.start()
    started.wait()
    t0 = time.perf_counter()
    ndgpu.cast(a, "float64", device="cpu")  # one long call
    t1 = time.perf_counter()
    stop.set()
    th.join()
    during = [t for t in ticks if t0 < t < t1]
    # With the GIL held the other thread could not run during the call (at most a tick or
    # two at its edges); released, it ticks all along.
    assert len(during) > 10, (len(during), t1 - t0)
