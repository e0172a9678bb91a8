"""Test helpers: functions made from source text, and inputs of given shapes."""
from __future__ import annotations

import itertools
import linecache
import textwrap

import numpy as np

import adcompiler  # noqa: F401

_serial = itertools.count()


def function_from_source(text: str, name: str | None = None, namespace: dict | None = None):
    """Define the function(s) in `text` as if they were in a file, so adcompiler can read them."""
    text = textwrap.dedent(text).lstrip("\n")
    filename = f"<test source {next(_serial)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    scope = {"np": np, "ad": adcompiler, **(namespace or {})}
    exec(compile(text, filename, "exec"), scope)
    if name is None:
        name = text.split("def ", 1)[1].split("(", 1)[0]
    return scope[name]


def make_input(shape, rng, domain: str = "real"):
    """A float for `shape == "float"`, else an array; `domain` keeps log/sqrt defined."""
    if shape == "float":
        x = float(rng.uniform(0.5, 1.5))
        return x if domain == "positive" else float(x * rng.choice([-1.0, 1.0]))
    x = rng.standard_normal(shape)
    if domain == "positive":
        return np.abs(x) + 0.5
    if domain == "unit":
        return np.tanh(x) * 0.9
    return x
