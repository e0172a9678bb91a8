"""How adcompiler's compile time grows with the length of a function.

    python benchmarks/compile_scaling.py [--sizes 2000,4000] [--repeats 1] [--profile]

Writes straight-line functions of N statements into a temporary directory as modules,
imports them (so that adcompiler can read their source), and times
`adcompiler.value_and_grad(f, wrt=(0, 1))` plus its first call, from an empty cache.
Linear growth gives a ratio of 2.0 between 4,000 and 2,000 statements. `--profile`
prints where the time of the largest size goes (cProfile, by cumulative time).
"""
from __future__ import annotations

import argparse
import cProfile
import importlib
import importlib.util
import pstats
import random
import sys
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter_ns

import numpy as np

import adcompiler as ad

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.timing import clear_adcompiler_caches

# The pipeline's stages, by the names under which adcompiler's modules call them.
PIPELINE = ("parse", "fence", "normalize", "lower", "verify", "check_updates", "reverse", "measure_earliest",
            "eliminate_common_subexpressions", "eliminate_dead_code", "drop_needless_conversions", "fold_renames",
            "hoist_indexed_products", "batch_accumulations", "emit", "load")
STAGES = {"adcompiler.api": PIPELINE, "adcompiler.pipeline": PIPELINE, "adcompiler.abstract": ("infer",)}

# Each statement combines the previous value with an earlier one; every template maps
# [-1, 1] into [-1, 1], so a long chain neither overflows nor underflows.
TEMPLATES = (
    "v{i} = np.sin(v{a}) * v{b}",
    "v{i} = 0.5 * (v{a} + v{b})",
    "v{i} = np.tanh(v{a} - v{b})",
    "v{i} = v{a} * v{b}",
    "v{i} = np.cos(v{a}) * 0.5 + 0.25 * v{b}",
)


def straight_line_source(statements: int, seed: int = 0) -> str:
    """`def f(x, y)` with `statements` assignments and a `return np.sum(...)`."""
    rng = random.Random(seed)
    lines = ["import numpy as np", "", "", "def f(x, y):", "    v0 = x * y", "    v1 = np.sin(x) + 0.0 * y"]
    for i in range(2, statements):
        template = TEMPLATES[i % len(TEMPLATES)]
        lines.append("    " + template.format(i=i, a=i - 1, b=rng.randrange(max(0, i - 50), i - 1)))
    lines.append(f"    return np.sum(v{statements - 1})")
    return "\n".join(lines) + "\n"


def load_module(directory: Path, name: str, source: str):
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def stage_times():
    """Milliseconds spent in each stage while the block runs: {stage: ms}. Wraps the stage
    functions where the driver modules look them up, and puts them back afterwards."""
    totals = defaultdict(float)
    saved = []
    for module_name, stages in STAGES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for stage in stages:
            original = getattr(module, stage, None)
            if original is not None and callable(original):
                saved.append((module, stage, original))
                setattr(module, stage, _timed(original, stage, totals))
    try:
        yield totals
    finally:
        for module, stage, original in saved:
            setattr(module, stage, original)


def _timed(fn, stage, totals):
    def timed(*args, **kwargs):
        start = perf_counter_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[stage] += (perf_counter_ns() - start) / 1e6

    return timed


def compile_ms(fn, args) -> tuple:
    """(ms of value_and_grad(), ms of it plus the first call), from an empty cache."""
    clear_adcompiler_caches()
    start = perf_counter_ns()
    gradient = ad.value_and_grad(fn, wrt=(0, 1))
    compiled = perf_counter_ns()
    gradient(*args)
    return (compiled - start) / 1e6, (perf_counter_ns() - start) / 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,4000", help="comma-separated statement counts")
    parser.add_argument("--repeats", type=int, default=1, help="compiles per size; the minimum is reported")
    parser.add_argument("--profile", action="store_true", help="profile the compile of the largest size")
    options = parser.parse_args(argv)
    sizes = [int(s) for s in options.sizes.split(",")]
    rng = np.random.default_rng(0)
    args = (rng.uniform(-1, 1, 8), rng.uniform(-1, 1, 8))
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        modules = {n: load_module(Path(directory), f"straight_line_{n}", straight_line_source(n)) for n in sizes}
        for n in sizes:
            runs = []
            try:
                for _ in range(options.repeats):
                    with stage_times() as stages:
                        runs.append((*compile_ms(modules[n].f, args), dict(stages)))
            except Exception as error:  # a compiler bug: report it, go on with the other sizes
                print(f"{n:>6} statements: FAILED: {type(error).__name__}: {str(error).splitlines()[0]}")
                continue
            results[n] = min(runs, key=lambda r: r[1])
            print(f"{n:>6} statements: grad() {results[n][0]:9.1f} ms, with first call {results[n][1]:9.1f} ms")
            ranked = sorted(results[n][2].items(), key=lambda item: -item[1])
            print("        by stage (ms): " +
                  ", ".join(f"{stage} {ms:.0f}" for stage, ms in ranked))
        measured = [n for n in sizes if n in results]
        for small, large in zip(measured, measured[1:]):
            ratio = results[large][1] / results[small][1]  # from the first call's totals
            print(f"ratio {large} / {small} statements: {ratio:.2f} (linear: {large / small:.2f})")
        if options.profile and measured:
            profiler = cProfile.Profile()
            profiler.runcall(compile_ms, modules[measured[-1]].f, args)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0 if len(measured) == len(sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
