"""The elementwise NumPy rules and the `math` rules, from a table.

One row per function: how it is spelled in source, the argument shapes to try ("float"
is a Python float, `()` a 0-d array) and the domain of each argument, chosen where the
function is smooth. Each row is checked at rule level (JVP against finite differences,
JVP against VJP) and end to end through the compiler. Adding a rule means adding a row.
"""
from __future__ import annotations

import math
import operator
import zlib

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.rules.elementwise import digamma_of_float

from .helpers import function_from_source
from .rulecheck import check_compiled, check_rule

UNARY = [("float",), ((),), ((3,),), ((2, 3),)]
BINARY = [
    ("float", "float"), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)),
    ((2, 1), (1, 3)), ("float", (2, 3)), ((2, 3), "float"), ((), (3,)),
]
FLOAT = [("float",)]
FLOATS = [("float", "float")]

ROWS = [
    # spelling, argument shapes, domain (one for all arguments, or one per argument)
    ("np.reciprocal", UNARY, "nonzero"),
    ("np.cbrt", UNARY, "nonzero"),
    ("np.exp2", UNARY, "real"),
    ("np.expm1", UNARY, "real"),
    ("np.log2", UNARY, "positive"),
    ("np.log10", UNARY, "positive"),
    ("np.log1p", UNARY, "positive"),
    ("np.logaddexp", BINARY, "real"),
    ("np.logaddexp2", BINARY, "real"),
    ("np.float_power", BINARY, ("positive", "real")),
    ("np.tan", UNARY, "unit"),
    ("np.arcsin", UNARY, "unit"),
    ("np.arccos", UNARY, "unit"),
    ("np.arctan", UNARY, "real"),
    ("np.sinh", UNARY, "real"),
    ("np.cosh", UNARY, "real"),
    ("np.arcsinh", UNARY, "real"),
    ("np.arccosh", UNARY, "above_one"),
    ("np.arctanh", UNARY, "unit"),
    ("np.arctan2", BINARY, "nonzero"),
    ("np.hypot", BINARY, "nonzero"),
    ("np.deg2rad", UNARY, "real"),
    ("np.radians", UNARY, "real"),
    ("np.rad2deg", UNARY, "real"),
    ("np.degrees", UNARY, "real"),
    ("np.sinc", UNARY, "real"),
    ("np.fabs", UNARY, "nonzero"),
    ("np.fmax", BINARY, "real"),
    ("np.fmin", BINARY, "real"),
    ("np.copysign", BINARY, "nonzero"),
    ("np.nan_to_num", UNARY, "real"),
    ("np.conj", UNARY, "real"),
    ("np.conjugate", UNARY, "real"),
    ("np.real", UNARY, "real"),
    ("np.mod", BINARY, ("offgrid", "near_one")),
    ("np.remainder", BINARY, ("offgrid", "near_one")),
    ("np.fmod", BINARY, ("offgrid", "near_one")),
    ("operator.mod", BINARY, ("offgrid", "near_one")),
    ("math.sin", FLOAT, "real"),
    ("math.cos", FLOAT, "real"),
    ("math.tan", FLOAT, "unit"),
    ("math.exp", FLOAT, "real"),
    ("math.log", FLOAT, "positive"),
    ("math.log", FLOATS, "positive"),
    ("math.log1p", FLOAT, "positive"),
    ("math.expm1", FLOAT, "real"),
    ("math.sqrt", FLOAT, "positive"),
    ("math.tanh", FLOAT, "real"),
    ("math.sinh", FLOAT, "real"),
    ("math.cosh", FLOAT, "real"),
    ("math.atan", FLOAT, "real"),
    ("math.asin", FLOAT, "unit"),
    ("math.acos", FLOAT, "unit"),
    ("math.atan2", FLOATS, "nonzero"),
    ("math.hypot", FLOAT, "nonzero"),
    ("math.hypot", FLOATS, "nonzero"),
    ("math.pow", FLOATS, ("positive", "real")),
    ("math.fabs", FLOAT, "nonzero"),
    ("math.erf", FLOAT, "real"),
    ("math.erfc", FLOAT, "real"),
    ("math.lgamma", FLOAT, "positive"),
    ("math.lgamma", FLOAT, "negative_offgrid"),
    ("math.copysign", FLOATS, "nonzero"),
    ("math.fmod", FLOATS, ("offgrid", "near_one")),
]


def make(shape, rng, domain):
    """An input of `shape` ("float": a Python float) on which the function is smooth."""
    size = () if shape == "float" else shape
    magnitude = np.abs(rng.standard_normal(size))
    sign = rng.choice([-1.0, 1.0], size=size)
    x = {
        "real": rng.standard_normal(size),
        "positive": magnitude + 0.5,
        "nonzero": sign * (magnitude + 0.3),
        "unit": rng.uniform(-0.9, 0.9, size),
        "above_one": magnitude + 1.2,
        "offgrid": rng.integers(-3, 4, size) + rng.uniform(0.15, 0.85, size),
        "negative_offgrid": -rng.integers(0, 4, size) - rng.uniform(0.15, 0.85, size),
        "near_one": sign * rng.uniform(0.98, 1.02, size),
    }[domain]
    return float(x) if shape == "float" else np.asarray(x, dtype=float)


def _arguments(shapes, domain, seed):
    rng = np.random.default_rng(seed)
    domains = (domain,) * len(shapes) if isinstance(domain, str) else domain
    return [make(s, rng, d) for s, d in zip(shapes, domains)]


NAMESPACE = {"np": np, "math": math, "operator": operator}


def _cases():
    for spelling, cases, domain in ROWS:
        for shapes in cases:
            yield pytest.param(spelling, shapes, domain, id=f"{spelling}-{'-'.join(map(str, shapes))}-{domain}")


CASES = list(_cases())


@pytest.mark.parametrize("spelling, shapes, domain", CASES)
def test_rule(spelling, shapes, domain):
    fn = eval(spelling, NAMESPACE)
    args = _arguments(shapes, domain, zlib.crc32(f"{spelling}{shapes}".encode()))
    if len(args) < ad.rules.rule_for(fn).nargs:  # math.log(x), math.hypot(x): end to end only
        pytest.skip("the rule-level harness passes every argument the rules cover")
    check_rule(fn, args, rng=np.random.default_rng(1))


@pytest.mark.parametrize("spelling, shapes, domain", CASES)
def test_compiled(spelling, shapes, domain):
    names = ", ".join("xyz"[: len(shapes)])
    args = _arguments(shapes, domain, zlib.crc32(f"{spelling}{shapes}".encode()))
    check_compiled(f"def f({names}):\n    return {spelling}({names})\n", args, namespace=NAMESPACE)


# Whole expressions: operator syntax, compositions, keywords, mixed floats and arrays.
EXPRESSIONS = [
    ("x % y", BINARY, ("offgrid", "near_one")),
    ("x % 1.0 + np.fmod(x, 2.0)", UNARY, ("offgrid",)),
    ("np.sum(np.floor(x) * x)", UNARY, ("offgrid",)),
    ("np.arctan2(np.sinh(x), np.cosh(y)) * np.log1p(np.hypot(x, y))", BINARY, "nonzero"),
    ("np.sum(np.logaddexp(x, 0.0)) - np.tan(np.sum(x) * 0.1)", UNARY, ("real",)),
    ("np.nan_to_num(x, nan=0.0, posinf=1.0) * np.fmax(x, 0.2)", UNARY, ("real",)),
    ("np.float_power(x, 2) + np.float_power(1.5, y)", BINARY, ("positive", "real")),
    ("math.sin(x) * math.exp(y) + math.atan2(x, y)", FLOATS, "nonzero"),
    ("math.log(x, 10.0) + math.log(x, y) + math.pow(x, 2.5)", FLOATS, "positive"),
    ("math.hypot(x, y) * math.lgamma(x) / math.erfc(y)", FLOATS, "positive"),
    ("math.copysign(x, y) + math.fabs(x) * math.tanh(y)", FLOATS, "nonzero"),
    ("math.sqrt(x) * np.sum(np.cbrt(y))", [("float", (3,))], "positive"),
]


@pytest.mark.parametrize("expression, cases, domain", EXPRESSIONS)
def test_expression(expression, cases, domain):
    for shapes in cases:
        names = ", ".join("xyz"[: len(shapes)])
        args = _arguments(shapes, domain, zlib.crc32(f"{expression}{shapes}".encode()))
        check_compiled(f"def f({names}):\n    return {expression}\n", args, namespace=NAMESPACE)


# ---------------------------------------------------------------- no derivative

ZERO_GRADIENT = [
    "np.sign(x)", "np.floor(x)", "np.ceil(x)", "np.round(x)", "np.round(x, 1)", "np.around(x)",
    "np.rint(x)", "np.fix(x)", "np.trunc(x)", "np.heaviside(x, 0.5)", "np.heaviside(x, y)",
    "np.isclose(x, y)", "np.signbit(x)", "np.floor_divide(x, y)", "x // y",
]
MATH_ZERO_GRADIENT = ["math.floor(x)", "math.ceil(x)", "math.trunc(x)", "math.isclose(x, y)", "math.isfinite(x * y)"]


@pytest.mark.parametrize("expression", ZERO_GRADIENT + MATH_ZERO_GRADIENT)
def test_zero_gradient(expression):
    fn = function_from_source(f"def f(x, y):\n    return np.sum({expression} * 2.0)\n", namespace=NAMESPACE)
    if expression.startswith("math."):
        x, y = 1.7, -0.6
    else:
        x, y = np.array([1.7, -0.6, 2.2]), np.array([0.4, -1.3, 2.2])
    gx, gy = ad.grad(fn, wrt=(0, 1))(x, y)
    assert np.shape(gx) == np.shape(x) and np.shape(gy) == np.shape(y)
    assert np.all(gx == 0) and np.all(gy == 0)


def test_copysign_sends_nothing_to_the_sign():
    fn = function_from_source("def f(x, y):\n    return np.sum(np.copysign(x, y))\n")
    gx, gy = ad.grad(fn, wrt=(0, 1))(np.array([1.5, -2.0, 3.0]), np.array([-1.0, -1.0, 2.0]))
    np.testing.assert_array_equal(gx, [-1.0, 1.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0, 0.0])


# ---------------------------------------------------------------- special points

def test_fmax_and_fmin_split_ties_equally_and_ignore_nan():
    x, y = np.array([1.0, 2.0, 3.0, np.nan]), np.array([1.0, 5.0, 0.0, 4.0])
    for name, expect_x in (("fmax", [0.5, 0.0, 1.0, 0.0]), ("fmin", [0.5, 1.0, 0.0, 0.0])):
        fn = function_from_source(f"def f(x, y):\n    return np.sum(np.{name}(x, y))\n")
        gx, gy = ad.grad(fn, wrt=(0, 1))(x, y)
        np.testing.assert_array_equal(gx, expect_x)
        np.testing.assert_array_equal(gy, 1.0 - np.array(expect_x))


def test_nan_to_num_passes_the_gradient_where_finite():
    fn = function_from_source("def f(x):\n    return np.sum(np.nan_to_num(x, posinf=5.0, neginf=-5.0) * 3.0)\n")
    np.testing.assert_array_equal(ad.grad(fn)(np.array([1.0, np.nan, np.inf, -np.inf, -2.0])), [3, 0, 0, 0, 3])


def test_sinc_slope_is_zero_at_zero():
    fn = function_from_source("def f(x):\n    return np.sum(np.sinc(x))\n")
    g = ad.grad(fn)(np.array([0.0, 0.5]))
    np.testing.assert_allclose(g, [0.0, -4.0 / np.pi])


def test_math_gradients_are_floats():
    fn = function_from_source("def f(x, y):\n    return math.atan2(x, y) + math.lgamma(x) * math.log(y, 2.0)\n",
                              namespace=NAMESPACE)
    grads = ad.grad(fn, wrt=(0, 1))(1.3, 0.7)
    assert all(isinstance(g, float) for g in grads), [type(g) for g in grads]


def test_math_hypot_of_three_arguments_is_refused():
    fn = function_from_source("def f(x):\n    return math.hypot(x, 1.0, 2.0)\n", namespace=NAMESPACE)
    with pytest.raises(ad.ADError):
        ad.grad(fn)(0.5)


@pytest.mark.parametrize("x", [0.013, 0.5, 1.0, 2.5, 9.9, 10.0, 50.0, 1e4, -0.3, -1.5, -2.7])
def test_digamma_of_float(x):
    special = pytest.importorskip("scipy.special")
    assert math.isclose(digamma_of_float(x), special.digamma(x), rel_tol=1e-13, abs_tol=1e-13)
    assert math.isnan(digamma_of_float(-2.0)) and math.isnan(digamma_of_float(-math.inf))
    assert digamma_of_float(math.inf) == math.inf


def test_softplus_is_logaddexp_of_zero():
    """Generated code spells `np.logaddexp(0, x)` on arrays as `runtime.softplus(x)`: the
    same values to within an ulp, the same dtype, exact at the extremes."""
    from adcompiler import runtime

    x = np.concatenate([np.linspace(-800.0, 800.0, 4001), [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-300]])
    with np.errstate(invalid="ignore"):  # NumPy's logaddexp warns on nan, softplus does not
        expected = np.logaddexp(0.0, x)
    got = runtime.softplus(x)
    np.testing.assert_allclose(got, expected, rtol=4e-16, atol=0)
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert runtime.softplus(x.astype(np.float32)).dtype == np.float32
    assert np.array_equal(runtime.softplus(x[:10]), np.logaddexp(0.0, x[:10]))  # small: NumPy's own


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int8, bool])
def test_logaddexp_of_zero_and_integers_is_numpys(dtype):
    """Of integers (whose `-np.abs` wraps around for unsigned ones) the generated code
    keeps `np.logaddexp`, and its value and dtype."""
    from adcompiler import runtime

    fn = function_from_source("def f(x, m):\n    return np.sum(x * np.logaddexp(0, m))\n")
    m = (np.arange(300) % 7).astype(dtype)
    x = np.linspace(0.5, 1.5, 300)
    value, grad = ad.value_and_grad(fn)(x, m)
    assert value == pytest.approx(fn(x, m), rel=1e-12)
    np.testing.assert_array_equal(grad, np.logaddexp(0, m))
    np.testing.assert_array_equal(runtime.softplus(m), np.logaddexp(0.0, m))


def test_logaddexp_of_zero_uses_softplus_and_keeps_the_value():
    fn = function_from_source("def f(z):\n    return np.mean(np.logaddexp(0.0, -z) + np.logaddexp(z, 0))\n")
    z = np.linspace(-30.0, 30.0, 11)
    g = ad.value_and_grad(fn)
    value, grad = g(z)
    assert g.source.count("softplus(") == 2 and "np.logaddexp(" not in g.source.split("# backward")[0]
    assert value == pytest.approx(fn(z), rel=1e-15)
    np.testing.assert_allclose(grad, (1 / (1 + np.exp(-z)) - 1 / (1 + np.exp(z))) / z.size, rtol=1e-12)
