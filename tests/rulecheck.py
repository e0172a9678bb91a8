"""Checking one derivative rule on real arrays: the harness behind the rule tables.

`check_rule(fn, args, params)` calls the registered rules of `fn` directly (rules are
plain NumPy) and checks, for every argument that has a rule:

- the JVP against central finite differences along a random direction `u`;
- the inner-product identity `<v, J u> == <J^T v, u>` between the JVP and the VJP,
  for a random cotangent `v`.

`check_compiled(source, args)` checks the whole compiler on the same call, against
finite differences, through `adcompiler.check_grads`.
"""
from __future__ import annotations

import numpy as np

import adcompiler as ad
from adcompiler.rules import rule_for
from adcompiler.runtime import unbroadcast

from .helpers import function_from_source

EPS = 1e-6


def check_rule(fn, args, params=None, rng=None, rtol=1e-5, atol=1e-6):
    params = params or {}
    rng = rng or np.random.default_rng(0)
    rule = rule_for(fn)
    assert rule is not None, f"{fn} has no rule"
    assert rule.jvps is not None, f"{fn} has VJP rules but no JVP rules"
    ans = fn(*args, **params)
    for i, (vjp, jvp) in enumerate(zip(rule.vjps, rule.jvps)):
        if vjp is None or not _is_float(args[i]):
            continue
        u = _like(args[i], rng)
        v = _like(ans, rng)
        ju = _broadcast_like(jvp(u, ans, *args, **params), ans)
        jtv = vjp(v, ans, *args, **params)
        if rule.unbroadcast:
            jtv = unbroadcast(jtv, args[i])
        numeric = _directional(fn, args, params, i, u)
        _assert_close(ju, numeric, f"JVP of argument {i} vs finite differences", rtol, atol)
        assert np.shape(jtv) == np.shape(args[i]), f"VJP of argument {i} has shape {np.shape(jtv)}, not {np.shape(args[i])}"
        left, right = _inner(v, ju), _inner(jtv, u)
        assert np.isclose(left, right, rtol=rtol, atol=atol), f"argument {i}: <v, Ju> = {left} but <J^T v, u> = {right}"


def check_compiled(source: str, args, namespace=None):
    fn = function_from_source(source, namespace=namespace)
    ad.check_grads(fn, *args, wrt=tuple(i for i, a in enumerate(args) if _is_float(a)))


def _is_float(a) -> bool:
    return isinstance(a, float) or isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _like(x, rng):
    if isinstance(x, tuple):
        return tuple(_like(e, rng) for e in x)
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape)
    return float(rng.standard_normal())


def _broadcast_like(t, ans):
    if isinstance(ans, tuple):
        return tuple(_broadcast_like(a, b) for a, b in zip(t, ans))
    return np.broadcast_to(t, np.shape(ans))


def _directional(fn, args, params, i, u):
    def at(step):
        moved = list(args)
        moved[i] = args[i] + step * u
        return fn(*moved, **params)

    up, down = at(EPS), at(-EPS)
    if isinstance(up, tuple):
        return tuple((np.asarray(a) - np.asarray(b)) / (2 * EPS) for a, b in zip(up, down))
    return (np.asarray(up) - np.asarray(down)) / (2 * EPS)


def _inner(a, b) -> float:
    if isinstance(a, tuple):
        return sum(_inner(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def _assert_close(got, expected, what, rtol, atol):
    if isinstance(got, tuple):
        for g, e in zip(got, expected):
            _assert_close(g, e, what, rtol, atol)
        return
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)
