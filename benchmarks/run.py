"""Time adcompiler's gradients against hand-written NumPy, the forward pass alone, and
(where installed) autograd, JAX and PyTorch, on the workloads of `benchmarks/workloads`.

    python benchmarks/run.py [--quick] [--only NAME[,NAME...]] [--systems S[,S...]] [--json PATH]

One process, pinned to one core, every numeric library on one thread, float64. For each
workload: adcompiler's compile time from an empty cache; a check that every system's
value and gradient agree with the first hand-written gradient (a system that disagrees
or fails is reported and not timed); then interleaved timing rounds. The table gives
the median microseconds per call. `docs/benchmarks.md` describes the method.

This file only reads the options and sets up the process before NumPy is imported;
`benchmarks/suite.py` does the rest.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds (well under a minute)")
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--systems", help="comma-separated systems, named as in the table's header (default: all)")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to PATH")
    parser.add_argument("--rounds", type=int, help="timing rounds per workload")
    parser.add_argument("--block-ms", type=float, help="target milliseconds of one system's block of calls")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time blocks by wall time (default) or by this process's CPU time, which leaves out "
                             "the time other processes hold the core (for a busy machine)")
    parser.add_argument("--cpu", type=int, default=0, help="the core to pin to (default 0; -1: do not pin)")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (unset by default, in this process only)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    options = parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks.environment import configure_process

    configured = configure_process(None if options.cpu < 0 else options.cpu, options.keep_openblas_env)
    from benchmarks import suite  # imports NumPy: only now, as thread counts and the BLAS kernel are read then

    return suite.run(options, configured)


if __name__ == "__main__":
    sys.exit(main())
