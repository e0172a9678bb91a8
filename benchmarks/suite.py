"""The benchmark run behind `benchmarks/run.py`: per workload, compile times, the
agreement check of every system, interleaved timings; then the table and the JSON.

Import this module only after `environment.configure_process` (run.py does that).
"""
from __future__ import annotations

import json
import statistics
import time
import traceback
from pathlib import Path

import numpy as np

from benchmarks import systems, timing
from benchmarks.environment import describe_machine
from benchmarks.workloads import BY_NAME, WORKLOADS

SEED = 20240601
COLUMNS = ("adcompiler", "ad_direct", "hand", "hand_np", "forward", "autograd", "jax_eager", "jax_jit", "torch")
RATIOS = {"ad/hand": ("adcompiler", "hand"), "ad/fwd": ("adcompiler", "forward")}
MEMORY = ("adcompiler", "hand")  # peak memory of one call, measured after the timings
FULL = {"block_ms": 20.0, "rounds": 31, "compile_repeats": 5}
QUICK = {"block_ms": 4.0, "rounds": 5, "compile_repeats": 1}


def run(options, configured: dict) -> int:
    settings = dict(QUICK if options.quick else FULL, clock=options.clock)
    settings.update({k: v for k, v in (("rounds", options.rounds), ("block_ms", options.block_ms)) if v})
    timing.use_clock(options.clock)
    names = options.only.split(",") if options.only else [w.name for w in WORKLOADS]
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise SystemExit(f"unknown workload {', '.join(unknown)}; the workloads are {', '.join(BY_NAME)}")
    workloads = [BY_NAME[name] for name in names]
    wanted = set(options.systems.split(",")) if options.systems else None
    machine = describe_machine(configured)
    print(machine_line(machine))
    if machine["load"] and machine["load"][0] > 0.5:
        print(f"warning: load average {machine['load'][0]:.2f} before starting: other processes compete for "
              f"the cores, and timings will be noisy (ratios less so: they are paired per round)")
    print(f"settings: {settings}\n")

    started, cpu_started = time.perf_counter(), time.process_time()
    results = {w.name: run_workload(w, wanted, settings) for w in workloads}
    elapsed = time.perf_counter() - started
    share = (time.process_time() - cpu_started) / elapsed  # below 1: other processes took the core at times
    load_at_start = machine["load"]
    machine = describe_machine(configured)  # again: now with the versions of what was imported
    machine.update(cpu_share=share, load_at_start=load_at_start)
    print()
    print(table(workloads, results))
    print(f"\nmedian microseconds per call; ad/hand and ad/fwd: medians of per-round ratios; peak KiB: memory "
          f"allocated at once during one call (tracemalloc), adcompiler's and the hand-written gradient's; grad() ms: "
          f"value_and_grad() from an empty cache; compile ms: that plus the first call "
          f"({elapsed:.0f} s in all, with {100 * share:.0f}% of a core)")
    if options.json:
        record = {"machine": machine, "settings": settings, "workloads": results}
        Path(options.json).write_text(json.dumps(record, indent=1))
        print(f"wrote {options.json}")
    return 0


def run_workload(workload, wanted, settings) -> dict:
    args = workload.inputs(np.random.default_rng(SEED))
    print(f"{workload.name}: {workload.summary}")
    result = {"summary": workload.summary, "systems": {}, "compile": None}
    if wanted is None or "adcompiler" in wanted:
        try:
            result["compile"] = timing.compile_times(workload, args, settings["compile_repeats"])
        except Exception as error:  # the adcompiler system fails too, and says why
            result["compile"] = {"error": describe(error)}
    reference = workload.by_hand[next(iter(workload.by_hand))](*args)
    calls = {}
    for name, make in systems.systems_for(workload).items():
        if wanted is not None and name not in wanted:
            continue
        status, call = prepare(name, make, workload, args, reference)
        result["systems"][name] = {"status": status}
        if call is None:
            print(f"  {name:<11} not timed: {status}")
        else:
            calls[name] = call
    measured = timing.interleaved(calls, int(settings["block_ms"] * 1e6), settings["rounds"])
    for name, (reps, samples) in measured.items():
        result["systems"][name].update(reps=reps, samples_us=samples, **timing.summary(samples))
    result["ratios"] = {key: paired_ratio(measured, *pair) for key, pair in RATIOS.items()
                        if pair[0] in measured and pair[1] in measured}
    if measured:
        print("  " + ", ".join(f"{name} {us(result['systems'][name]['median_us'])}" for name in measured))
    result["peak_kib"] = {name: timing.peak_kib(calls[name]) for name in MEMORY if name in calls}
    return result


def paired_ratio(measured, top, bottom) -> float:
    """The median over rounds of top's time over bottom's time in the same round: a
    slowdown of the whole machine during one round cancels out of that round's ratio."""
    return statistics.median(a / b for a, b in zip(measured[top][1], measured[bottom][1]))


def prepare(name, make, workload, args, reference):
    """("ok", call) for a system that agrees with the reference, else (why, None)."""
    try:
        call = make(workload, args)
        output = call()
    except systems.Unavailable as error:
        return f"unavailable ({error})", None
    except Exception as error:
        return f"FAILED: {describe(error)}", None
    output = (output, None) if name == "forward" else output[:2]  # [:2]: retained adjoints may follow
    problem = systems.disagreement(output, reference, workload)
    return (f"WRONG: {problem}", None) if problem else ("ok", call)


def describe(error) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" (at {Path(frame.filename).name}:{frame.lineno})" if frame else ""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}{where}"


# ---------------------------------------------------------------- report


def table(workloads, results) -> str:
    present = [c for c in COLUMNS if any(c in results[w.name]["systems"] for w in workloads)]
    header = ["workload", *present, *RATIOS, "grad() ms", "compile ms", "peak KiB ad/hand"]
    rows = [header]
    for workload in workloads:
        result = results[workload.name]
        row = [workload.name] + [cell(result["systems"].get(column)) for column in present]
        row += [f"{result['ratios'][key]:.2f}" if key in result["ratios"] else "" for key in RATIOS]
        row += [compile_cell(result["compile"], "grad_ms"), compile_cell(result["compile"], "total_ms"),
                memory_cell(result.get("peak_kib", {}))]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    failures = [f"  {w.name} / {name}: {entry['status']}" for w in workloads
                for name, entry in results[w.name]["systems"].items()
                if entry["status"] != "ok" and "not installed" not in entry["status"]]
    if failures:
        lines += ["", "not timed:", *failures]
    return "\n".join(lines)


def cell(entry) -> str:
    if entry is None:
        return ""
    if "median_us" in entry:
        return us(entry["median_us"])
    status = entry["status"]
    return "n/a" if status.startswith("unavailable") else "FAIL" if status.startswith("FAILED") else "WRONG"


def us(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:,.0f}"


def memory_cell(peaks) -> str:
    if not all(name in peaks for name in MEMORY):
        return ""
    ad, hand = (peaks[name] for name in MEMORY)
    def kib(x):
        return f"{x:.1f}" if x < 10 else f"{x:,.0f}"

    return f"{kib(ad)}/{kib(hand)} ({ad / hand:.2f})" if hand else f"{kib(ad)}/0"


def compile_cell(times, key) -> str:
    if times is None:
        return ""
    return "FAIL" if "error" in times else f"{statistics.median(times[key]):.1f}"


def machine_line(machine) -> str:
    blas = machine["blas"]
    unset = ", ".join(machine["unset"]) or "nothing"
    return (f"cpu: {machine['cpu']} ({machine['cores']} cores; pinned to core {machine['pinned_cpu']}); "
            f"numpy {np.__version__}, {blas.get('name')} {blas.get('version')}, kernel {blas.get('kernel')}, "
            f"{blas.get('threads')} thread(s); unset for this process: {unset}")
