"""check --perf picks the CPU dtype from measured throughput and says why (issue 21 item 20)."""

from __future__ import annotations

import sys

from lfmdoctor.diagnose import perf


def test_an_avx2_only_cpu_gets_float32_and_the_reason():
    """A CPU without AVX-512 bf16 runs bfloat16 matmuls about 3.2x slower than float32 (the sweep's figure)."""
    dtype, why = perf.choose_cpu_dtype({"float32": 32.0, "bfloat16": 10.0})
    assert dtype == "float32"
    assert why == "float32: this CPU runs bfloat16 matrix products at 0.31x float32's speed (measured)"


def test_a_cpu_with_fast_bfloat16_keeps_it():
    dtype, why = perf.choose_cpu_dtype({"float32": 10.0, "bfloat16": 25.0})
    assert dtype == "bfloat16" and "2.50x float32's speed" in why


def test_without_a_measurement_the_default_stays_and_says_so():
    dtype, why = perf.choose_cpu_dtype({})
    assert dtype == perf.fullsize.CPU_DTYPE and "not measured" in why


def test_this_cpu_is_measured():
    rates = perf.matmul_rates(sys.executable)
    assert set(rates) == {"float32", "bfloat16"} and all(rate > 0 for rate in rates.values())


def test_a_probe_that_runs_out_of_time_says_what_was_slow(monkeypatch):
    """Issue 21 item 20: the probe's time-out read "stopped: it ran past its time limit", as if the machine were
    at fault; it names the limit, the work and the dtype, and blames load only where it measured load."""
    from types import SimpleNamespace

    from lfmdoctor.bench import core

    a_cpu_only_machine = SimpleNamespace(torch=SimpleNamespace(cuda_available=False, mps_available=False))
    failure = SimpleNamespace(error_type="ChildDied", message="stopped: it ran past its time limit")
    summary = SimpleNamespace(load_s=31.0, load_avg=0.3, cpus=16)
    monkeypatch.setattr(core, "run_bench", lambda config: SimpleNamespace(failure=failure, summary=summary))
    monkeypatch.setattr(perf, "matmul_rates", lambda python: {"float32": 32.0, "bfloat16": 10.0})
    monkeypatch.setattr(perf.fullsize, "available_memory", lambda: 64 * 2**30)
    answer = perf.probe(sys.executable, a_cpu_only_machine, timeout=50)
    assert not answer.measured
    assert answer.problem == (
        f"it ran past its 50 s limit generating {perf.PROBE_STEPS} tokens in float32 on cpu (the model was built in 31 s)"
    )
    assert "busy" not in answer.answer and "float32: this CPU runs bfloat16" in perf.perf_item(answer).messages[-1]
