"""Test helpers: functions made from source text, and inputs of given shapes."""
from __future__ import annotations

import itertools
import linecache
import textwrap
from dataclasses import dataclass

import numpy as np
import pytest

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


@dataclass(frozen=True)
class Case:
    """One row of a corpus test: `fn(*args)`, differentiated wrt `wrt`; `xfail`: `(kind, reason)`
    of a known failure, where kind "compile" fails with an `ADError`, "crash" with any
    exception, and any other kind (a wrong gradient) with an `AssertionError`."""

    fn: object
    args: tuple
    wrt: object
    id: str
    xfail: tuple | None

    def param(self, failing_kinds):
        """The row as a `pytest.param`, expected to fail if its known failure is of one of `failing_kinds`."""
        failing = self.xfail is not None and self.xfail[0] in failing_kinds
        raises = {"compile": adcompiler.ADError, "crash": Exception}.get(self.xfail[0], AssertionError) \
            if failing else None
        marks = [pytest.mark.xfail(strict=True, raises=raises, reason=self.xfail[1])] if failing else []
        return pytest.param(self.fn, self.args, self.wrt, id=self.id, marks=marks)


def derivative_rows(cases, scalar_output: bool, refused=frozenset()):
    """The rows of a corpus whose derivative can be checked again another way: one float
    (or float64 array) differentiated (the first of several), and, for second
    derivatives, a scalar output. `refused`: ids adcompiler refuses (`ADError`)."""
    rows = []
    for c in cases:
        wrt = c.wrt[0] if isinstance(c.wrt, tuple) else c.wrt
        if c.xfail is None and isinstance(wrt, int) and (not scalar_output or np.ndim(c.fn(*c.args)) == 0) and (
                type(c.args[wrt]) is float or isinstance(c.args[wrt], np.ndarray) and c.args[wrt].dtype == float):
            marks = [pytest.mark.xfail(strict=True, raises=adcompiler.ADError, reason="no rule")] \
                if c.id in refused else []
            rows.append(pytest.param(c.fn, c.args, wrt, id=c.id, marks=marks))
    return rows


def check_hessian_vector_product(fn, args, wrt, eps=1e-6):
    """The vjp of `grad(fn)` (a Hessian-vector product: the gradient's own code, differentiated
    again) against central differences of the gradient along the same vector."""
    x = args[wrt]
    v = np.random.default_rng(3).standard_normal(np.shape(x)) if isinstance(x, np.ndarray) else 1.0
    gradient = adcompiler.grad(fn, wrt=wrt)

    def gradient_at(point):
        return np.asarray(gradient(*args[:wrt], point, *args[wrt + 1:]))

    _, pullback = adcompiler.vjp(gradient, wrt=wrt)(*args)
    expected = (gradient_at(x + eps * v) - gradient_at(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(pullback(v), expected, rtol=1e-5, atol=1e-7)


def check_jvp(fn, args, wrt, eps=1e-6):
    """`jvp` against central differences of `fn` along the same tangent; its value is `fn`'s."""
    x = args[wrt]
    v = np.random.default_rng(5).standard_normal(np.shape(x)) if isinstance(x, np.ndarray) else 0.7

    def at(point):
        return fn(*args[:wrt], point, *args[wrt + 1:])

    value, tangent = adcompiler.jvp(fn, wrt=wrt)(*args, v)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-13, atol=0)
    expected = (np.asarray(at(x + eps * v)) - np.asarray(at(x - eps * v))) / (2 * eps)
    np.testing.assert_allclose(tangent, expected, rtol=1e-5, atol=1e-7)


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
