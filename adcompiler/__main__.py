"""The command line: `python -m adcompiler COMMAND ...`.

    python -m adcompiler coverage              which functions have derivative rules
    python -m adcompiler coverage --missing    NumPy functions without a rule, one per line
    python -m adcompiler coverage --markdown   the full table (docs/coverage.md)

Each command is a subparser and a `run_...` function; `show`, `graph` and `export`
will join `coverage` here.
"""
from __future__ import annotations

import argparse
import sys


def run_coverage(args) -> int:
    from . import coverage

    if args.missing:
        modules = coverage.MISSING_MODULES if args.scipy else coverage.NUMPY_MODULES
        text = coverage.missing_lines(modules)
    elif args.markdown:
        text = coverage.markdown()
    else:
        text = coverage.summary()
    sys.stdout.write(text.rstrip("\n") + "\n")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m adcompiler", description="adcompiler's command line.")
    commands = main.add_subparsers(dest="command", metavar="COMMAND", required=True)

    coverage = commands.add_parser("coverage", help="which NumPy and SciPy functions have derivative rules",
                                   description="Report which functions have derivative rules.")
    view = coverage.add_mutually_exclusive_group()
    view.add_argument("--missing", action="store_true",
                      help="list the public NumPy functions with no rule, one per line")
    view.add_argument("--markdown", action="store_true", help="write the full table as Markdown")
    coverage.add_argument("--scipy", action="store_true", help="with --missing: list scipy.special's too")
    coverage.set_defaults(run=run_coverage)
    return main


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
