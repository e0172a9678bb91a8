"""Benchmarks of adcompiler's gradients against hand-written NumPy and other AD systems.

`python benchmarks/run.py` runs them; `docs/benchmarks.md` describes the method.
"""
