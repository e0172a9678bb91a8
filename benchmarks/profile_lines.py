"""Where the time of adcompiler's generated code goes, line by line.

    python benchmarks/profile_lines.py NAME [--calls N]

Compiles the gradient of workload NAME, rewrites its generated source so that every
statement records the time since the previous one (a loop header is charged with its
iteration: the tape unpacking of a reversed loop shows there), runs it N times on the
benchmark's inputs and prints the source with microseconds per call beside each line.
Recording adds ~0.1 µs to each statement; that cost, measured on `_ = 0` statements,
is subtracted, so lines that take ~0.1 µs (the scalar loop's) are only indicative.
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path
from time import perf_counter_ns

ROOT = Path(__file__).resolve().parent.parent


class Laps:
    """`laps.lap(line)` charges the time since the previous lap to `line`."""

    def __init__(self):
        self.total = defaultdict(int)
        self.hits = defaultdict(int)
        self.restart()
        total, hits, clock = self.total, self.hits, perf_counter_ns

        def lap(line):
            now = clock()
            total[line] += now - self.last
            hits[line] += 1
            self.last = clock()

        self.lap = lap

    def restart(self):
        self.last = perf_counter_ns()

    def clear(self):
        self.total.clear()
        self.hits.clear()


def _lap(line: int) -> ast.stmt:
    return ast.Expr(ast.Call(ast.Name("_lap", ast.Load()), [ast.Constant(line)], []))


def instrument(body: list) -> list:
    """`body` with a lap after each statement; loop bodies start with a lap of their header."""
    out = []
    for stmt in body:
        if isinstance(stmt, (ast.For, ast.While)):
            stmt.body = [_lap(stmt.lineno), *instrument(stmt.body)]
            out += [stmt, _lap(stmt.lineno)]
        elif isinstance(stmt, ast.If):
            stmt.body = [_lap(stmt.lineno), *instrument(stmt.body)]
            stmt.orelse = [_lap(stmt.lineno), *instrument(stmt.orelse)]
            out.append(stmt)
        elif isinstance(stmt, ast.Return):
            keep = ast.Assign([ast.Name("_result", ast.Store())], stmt.value or ast.Constant(None))
            out += [keep, _lap(stmt.lineno), ast.Return(ast.Name("_result", ast.Load()))]
        else:
            out += [stmt, _lap(stmt.lineno)]
    return out


def instrumented(source: str, namespace: dict, laps: Laps):
    tree = ast.parse(source)
    function = tree.body[0]
    function.body = [_lap(function.lineno), *instrument(function.body)]
    ast.fix_missing_locations(tree)
    scope = dict(namespace, _lap=laps.lap)
    exec(compile(tree, "<instrumented>", "exec"), scope)
    return scope[function.name]


def lap_cost_ns(rounds: int = 20) -> float:
    """What a lap adds to the statement it follows: the time charged to `_ = 0` in a loop."""
    laps = Laps()
    empty = instrumented("def empty():\n    for i in range(50):\n" + "        _ = 0\n" * 10, {}, laps)
    best = float("inf")
    for _ in range(rounds):
        laps.clear()
        laps.restart()
        empty()
        best = min(best, sum(laps.total.values()) / sum(laps.hits.values()))
    return best


def profile(gradient, args, calls: int):
    """(source lines, {line: ns per call}, {line: hits per call}, plain ns per call)."""
    compiled = gradient.compiled
    laps = Laps()
    fn = instrumented(compiled.source, compiled.function.__globals__, laps)
    for _ in range(max(1, calls // 10)):
        fn(*args)  # warm
    laps.clear()
    for _ in range(calls):
        laps.restart()
        fn(*args)
    start = perf_counter_ns()
    for _ in range(calls):
        compiled.function(*args)
    plain = (perf_counter_ns() - start) / calls
    cost = lap_cost_ns()
    per_call = {line: max(0.0, (t - cost * laps.hits[line]) / calls) for line, t in laps.total.items()}
    hits = {line: h / calls for line, h in laps.hits.items()}
    return compiled.source.splitlines(), per_call, hits, plain


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="a workload of benchmarks/workloads")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--cpu", type=int, default=0)
    options = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from benchmarks.environment import configure_process

    configure_process(None if options.cpu < 0 else options.cpu)
    import numpy as np

    import adcompiler as ad
    from benchmarks.suite import SEED
    from benchmarks.workloads import BY_NAME

    workload = BY_NAME[options.name]
    args = workload.inputs(np.random.default_rng(SEED))
    gradient = ad.value_and_grad(workload.fn, wrt=workload.wrt)
    gradient(*args)
    lines, per_call, hits, plain = profile(gradient, args, options.calls)
    total = sum(per_call.values())
    print(f"{workload.name}: {plain / 1000:.1f} µs per call uninstrumented, {total / 1000:.1f} µs charged to lines")
    print(f"{'µs/call':>9} {'%':>5} {'hits':>5}")
    for number, text in enumerate(lines, start=1):
        if number in per_call:
            print(f"{per_call[number] / 1000:9.2f} {100 * per_call[number] / total:5.1f} {hits[number]:5.0f}  {text}")
        else:
            print(f"{'':9} {'':5} {'':5}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
