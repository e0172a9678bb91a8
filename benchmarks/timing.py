"""Timing: interleaved rounds of calibrated blocks, and adcompiler's compile time.

Each system is calibrated to a repetition count `n` whose block of `n` calls takes about
`block_ns`. A round times one block of every system, in an order shuffled each round
(the same orders in every run), so that slow drifts of the machine (frequency, another
process) fall on all systems alike, and no system always follows the same one. The
result per system is the list of per-call times of its blocks, in microseconds; the
report takes their median. The garbage collector is off inside a
block (as `timeit` does) and runs between blocks. The clock is wall time
(`perf_counter_ns`) unless `use_clock("cpu")` chose the process's CPU time.
"""
from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc
from time import perf_counter_ns

import adcompiler as ad
import adcompiler.api


# The clock of the timed blocks: wall time (the default), or the CPU time of this process
# (all its threads), which leaves out the time other processes hold the core.
CLOCKS = {"wall": perf_counter_ns, "cpu": time.process_time_ns}
clock = perf_counter_ns


def use_clock(name: str) -> None:
    global clock
    clock = CLOCKS[name]


def calibrate(call, block_ns: int) -> int:
    """How many calls of `call` take about `block_ns` (at least one)."""
    call()  # warm: first-call costs (allocation, caches) stay out of the timings
    n = 1
    while True:
        elapsed = _block(call, n)
        if elapsed >= block_ns // 4 or n >= 1 << 22:
            return max(1, round(n * block_ns / max(elapsed, 1)))
        n *= 4


def _block(call, n: int) -> int:
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        for _ in range(n):
            call()
        return clock() - start
    finally:
        if enabled:
            gc.enable()


def interleaved(calls: dict, block_ns: int, rounds: int) -> dict:
    """Per-call times in microseconds, `rounds` samples per system: {name: (n, [µs, ...])}."""
    reps = {name: calibrate(call, block_ns) for name, call in calls.items()}
    samples = {name: [] for name in calls}
    names = list(calls)
    order = random.Random(len(names))  # the same orders in every run
    for _ in range(rounds):
        # A new order each round: a system that frees large arrays leaves the next one to
        # fault the memory back in, so no system may always follow the same one.
        order.shuffle(names)
        for name in names:
            samples[name].append(_block(calls[name], reps[name]) / reps[name] / 1000)
    return {name: (reps[name], samples[name]) for name in calls}


def summary(samples: list) -> dict:
    quartiles = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
    return {"median_us": statistics.median(samples), "min_us": min(samples),
            "q1_us": quartiles[0], "q3_us": quartiles[2]}


def compile_times(workload, args, repeats: int) -> dict:
    """Milliseconds of `value_and_grad(...)` (`grad_ms`) and of it plus its first call
    (`total_ms`), `repeats` times, each from an empty cache."""
    times = {"grad_ms": [], "total_ms": []}
    for _ in range(repeats):
        clear_adcompiler_caches()
        start = perf_counter_ns()
        gradient = ad.value_and_grad(workload.fn, wrt=workload.wrt)
        compiled = perf_counter_ns()
        gradient(*args)
        called = perf_counter_ns()
        times["grad_ms"].append((compiled - start) / 1e6)
        times["total_ms"].append((called - start) / 1e6)
    return times


def clear_adcompiler_caches() -> None:
    """Forget every compiled gradient, so that the next `grad` compiles from scratch."""
    clear = getattr(adcompiler.api, "clear_caches", None)
    if clear is not None:
        clear()
    else:  # the first versions kept one cache in the api module
        adcompiler.api._CACHE.clear()


def peak_kib(call) -> float:
    """The peak of memory allocated during one call (NumPy reports its arrays' data to
    `tracemalloc`), in KiB: what the call holds at once, its result included."""
    call()  # warm: caches and first-call allocations stay out
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()
