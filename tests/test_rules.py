"""Every derivative rule against central finite differences, from a table.

One row per expression: the expression in `x` (and `y`, `z`), the argument shapes to
try (scalars, vectors, matrices, broadcast pairs; "float" is a Python float), and the
domain of the inputs. Adding a rule means adding a row.
"""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad

from .helpers import function_from_source, make_input

UNARY_SHAPES = ["float", (), (3,), (2, 3)]
BINARY_SHAPES = [
    ("float", "float"), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)),
    ((2, 1), (1, 3)), ("float", (2, 3)), ((2, 3), "float"), ((), (3,)),
]

ROWS = [
    # expression, shapes, domain
    ("x + y", BINARY_SHAPES, "real"),
    ("x - y", BINARY_SHAPES, "real"),
    ("x * y", BINARY_SHAPES, "real"),
    ("x / y", BINARY_SHAPES, "positive"),
    ("x ** y", BINARY_SHAPES, "positive"),
    ("x ** 2", UNARY_SHAPES, "real"),
    ("x ** 3.5", UNARY_SHAPES, "positive"),
    ("2.0 ** x", UNARY_SHAPES, "real"),
    ("-x", UNARY_SHAPES, "real"),
    ("+x", UNARY_SHAPES, "real"),
    ("x * x + 3 * x - x / 2", UNARY_SHAPES, "real"),
    ("1.5 - x", UNARY_SHAPES, "real"),
    ("2 / x", UNARY_SHAPES, "positive"),
    ("np.add(x, y)", BINARY_SHAPES, "real"),
    ("np.subtract(x, y)", BINARY_SHAPES, "real"),
    ("np.multiply(x, y)", BINARY_SHAPES, "real"),
    ("np.divide(x, y)", BINARY_SHAPES, "positive"),
    ("np.power(x, y)", BINARY_SHAPES, "positive"),
    ("np.negative(x)", UNARY_SHAPES, "real"),
    ("np.exp(x)", UNARY_SHAPES, "real"),
    ("np.log(x)", UNARY_SHAPES, "positive"),
    ("np.sqrt(x)", UNARY_SHAPES, "positive"),
    ("np.sin(x)", UNARY_SHAPES, "real"),
    ("np.cos(x)", UNARY_SHAPES, "real"),
    ("np.tanh(x)", UNARY_SHAPES, "real"),
    ("np.square(x)", UNARY_SHAPES, "real"),
    ("np.abs(x)", UNARY_SHAPES, "positive"),
    ("np.abs(-x)", UNARY_SHAPES, "positive"),
    ("abs(x)", UNARY_SHAPES, "positive"),
    ("np.maximum(x, y)", BINARY_SHAPES, "real"),
    ("np.minimum(x, y)", BINARY_SHAPES, "real"),
    ("np.maximum(x, 0.1)", UNARY_SHAPES, "real"),
    ("np.where(x > 0, x, y)", BINARY_SHAPES, "real"),
    ("np.where(x > y, x * y, y)", BINARY_SHAPES, "real"),
    ("np.clip(x, -0.5, 0.5)", UNARY_SHAPES, "real"),
    ("np.clip(x, -0.5, None)", UNARY_SHAPES, "real"),
    ("np.clip(x, None, 0.5)", UNARY_SHAPES, "real"),
    ("np.clip(x, y, 1.0)", BINARY_SHAPES, "real"),
    ("np.sum(x)", UNARY_SHAPES, "real"),
    ("np.mean(x)", UNARY_SHAPES, "real"),
    ("np.sum(x * y)", BINARY_SHAPES, "real"),
    ("np.sum(x, axis=0)", [(3,), (2, 3), (2, 3, 4)], "real"),
    ("np.sum(x, axis=1)", [(2, 3), (2, 3, 4)], "real"),
    ("np.sum(x, axis=-1, keepdims=True)", [(3,), (2, 3), (2, 3, 4)], "real"),
    ("np.sum(x, axis=(0, 2))", [(2, 3, 4)], "real"),
    ("np.sum(x, 1)", [(2, 3)], "real"),
    ("x.sum(axis=0)", [(2, 3)], "real"),
    ("np.mean(x, axis=0)", [(3,), (2, 3), (2, 3, 4)], "real"),
    ("np.mean(x, axis=1, keepdims=True)", [(2, 3), (2, 3, 4)], "real"),
    ("np.mean(x, axis=(0, 1))", [(2, 3, 4)], "real"),
    ("x.mean()", [(2, 3)], "real"),
    ("np.dot(x, y)", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ("float", (3,)), ((), ())], "real"),
    ("x.dot(y)", [((2, 3), (3, 4))], "real"),
    ("x @ y", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
               ((5, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((1, 2, 3), (4, 3, 2))], "real"),
    ("np.matmul(x, y)", [((2, 3), (3, 4)), ((3,), (3,))], "real"),
    ("np.transpose(x)", ["float", (), (3,), (2, 3), (2, 3, 4)], "real"),
    ("np.transpose(x, (1, 2, 0))", [(2, 3, 4)], "real"),
    ("np.transpose(x, (-1, 0, 1))", [(2, 3, 4)], "real"),
    ("np.transpose(x, (1, -1, 0))", [(3, 3, 3)], "real"),
    ("x.transpose(0, -1, -2)", [(2, 3, 4)], "real"),
    ("np.transpose(x, axes=(2, 0, 1))", [(2, 3, 4)], "real"),
    ("x.transpose(1, 0)", [(2, 3)], "real"),
    ("x.T", [(3,), (2, 3)], "real"),
    ("np.reshape(x, (3, 2))", [(2, 3), (6,)], "real"),
    ("np.reshape(x, -1)", [(2, 3)], "real"),
    ("x.reshape(3, 2)", [(2, 3)], "real"),
    ("x.reshape((6, 1))", [(2, 3)], "real"),
    ("x[0]", [(3,), (2, 3)], "real"),
    ("x[-1, 1:]", [(2, 3)], "real"),
    ("x[::2]", [(5,), (5, 2)], "real"),
    ("x[:, None]", [(3,)], "real"),
    ("x[..., 0]", [(2, 3)], "real"),
    ("x[np.array([0, 0, 2])]", [(3,), (3, 2)], "real"),
    ("x[x > 0]", [(5,)], "real"),
]


def _cases():
    for expression, shapes, domain in ROWS:
        binary = "y" in expression.replace("np.", "")
        for shape in shapes:
            yield pytest.param(expression, shape if binary else (shape,), domain, id=f"{expression}-{shape}")


@pytest.mark.parametrize("expression, shapes, domain", list(_cases()))
def test_rule_matches_finite_differences(expression, shapes, domain):
    params = ", ".join("xyz"[: len(shapes)])
    fn = function_from_source(f"def f({params}):\n    return {expression}\n")
    rng = np.random.default_rng(abs(hash((expression, str(shapes)))) % 2**32)
    args = [make_input(shape, rng, domain) for shape in shapes]
    ad.check_grads(fn, *args, wrt=tuple(range(len(args))))


@pytest.mark.parametrize("expression", ["np.exp(x)", "np.sum(x * y)", "x * 2.0", "np.mean(x ** 2)"])
def test_float_in_float_out(expression):
    params = "x, y" if "y" in expression else "x"
    fn = function_from_source(f"def f({params}):\n    return np.sum({expression})\n")
    args = (0.7, 1.3) if "y" in expression else (0.7,)
    grads = ad.grad(fn, wrt=tuple(range(len(args))))(*args)
    assert all(type(g) is float for g in grads), [type(g) for g in grads]


def test_float32_stays_float32():
    fn = function_from_source("def f(x, y):\n    return np.sum(np.tanh(x) * y + 1.0)\n")
    x = np.ones(3, dtype=np.float32)
    gx, gy = ad.grad(fn, wrt=(0, 1))(x, x)
    assert gx.dtype == np.float32 and gy.dtype == np.float32


def test_maximum_splits_ties_equally():
    fn = function_from_source("def f(x, y):\n    return np.sum(np.maximum(x, y))\n")
    gx, gy = ad.grad(fn, wrt=(0, 1))(np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0]))
    np.testing.assert_array_equal(gx, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.5, 1.0, 0.0])


def test_repeated_integer_indices_accumulate():
    fn = function_from_source("def f(x):\n    return np.sum(x[np.array([0, 0, 2])])\n")
    np.testing.assert_array_equal(ad.grad(fn)(np.zeros(3)), [2.0, 0.0, 1.0])


def test_gradients_are_writable_and_shaped_like_inputs():
    fn = function_from_source("def f(x):\n    return np.sum(x)\n")
    g = ad.grad(fn)(np.ones((2, 3)))
    assert g.shape == (2, 3)
    g[0, 0] = 5.0  # a broadcast view would refuse this


# ---------------------------------------------------------------- rule-level checks

import operator  # noqa: E402

from .rulecheck import check_rule  # noqa: E402

RULE_ROWS = [
    # function, argument shapes per case, domain, keyword params
    (operator.add, BINARY_SHAPES, "real", {}),
    (operator.sub, BINARY_SHAPES, "real", {}),
    (operator.mul, BINARY_SHAPES, "real", {}),
    (operator.truediv, BINARY_SHAPES, "positive", {}),
    (operator.pow, BINARY_SHAPES, "positive", {}),
    (operator.neg, [(s,) for s in UNARY_SHAPES], "real", {}),
    (operator.pos, [(s,) for s in UNARY_SHAPES], "real", {}),
    (operator.matmul, [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4))], "real", {}),
    (np.add, BINARY_SHAPES, "real", {}),
    (np.subtract, BINARY_SHAPES, "real", {}),
    (np.multiply, BINARY_SHAPES, "real", {}),
    (np.divide, BINARY_SHAPES, "positive", {}),
    (np.power, BINARY_SHAPES, "positive", {}),
    (np.negative, [(s,) for s in UNARY_SHAPES], "real", {}),
    (np.positive, [(s,) for s in UNARY_SHAPES], "real", {}),
    (np.exp, [(s,) for s in UNARY_SHAPES], "real", {}),
    (np.log, [(s,) for s in UNARY_SHAPES], "positive", {}),
    (np.sqrt, [(s,) for s in UNARY_SHAPES], "positive", {}),
    (np.sin, [(s,) for s in UNARY_SHAPES], "real", {}),
    (np.cos, [(s,) for s in UNARY_SHAPES], "real", {}),
    (np.tanh, [(s,) for s in UNARY_SHAPES], "real", {}),
    (np.square, [(s,) for s in UNARY_SHAPES], "real", {}),
    (np.absolute, [(s,) for s in UNARY_SHAPES], "positive", {}),
    (abs, [(s,) for s in UNARY_SHAPES], "positive", {}),
    (np.maximum, BINARY_SHAPES, "real", {}),
    (np.minimum, BINARY_SHAPES, "real", {}),
    (np.matmul, [((2, 3), (3, 4)), ((3,), (3,)), ((4, 2, 3), (4, 3, 2))], "real", {}),
    (np.dot, [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((), (3,))], "real", {}),
    (np.sum, [((2, 3),)], "real", {}),
    (np.sum, [((2, 3),), ((2, 3, 4),)], "real", {"axis": 1}),
    (np.sum, [((2, 3, 4),)], "real", {"axis": (0, 2), "keepdims": True}),
    (np.mean, [((2, 3),)], "real", {}),
    (np.mean, [((2, 3),), ((2, 3, 4),)], "real", {"axis": -1}),
    (np.mean, [((2, 3, 4),)], "real", {"axis": (1, 2), "keepdims": True}),
    (np.transpose, [((2, 3),)], "real", {}),
    (np.transpose, [((2, 3, 4),)], "real", {"axes": (2, 0, 1)}),
]


def _rule_cases():
    for fn, cases, domain, params in RULE_ROWS:
        for shapes in cases:
            yield pytest.param(fn, shapes, domain, params, id=f"{getattr(fn, '__name__', fn)}-{shapes}-{params}")


@pytest.mark.parametrize("fn, shapes, domain, params", list(_rule_cases()))
def test_vjp_and_jvp_agree(fn, shapes, domain, params):
    rng = np.random.default_rng(7)
    args = [make_input(s, rng, domain) for s in shapes]
    check_rule(fn, args, params, rng)


@pytest.mark.parametrize("fn, extra", [(np.where, None), (np.clip, None), (np.reshape, None)])
def test_rules_with_non_differentiable_arguments(fn, extra):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal(3)
    if fn is np.where:
        check_rule(fn, [x > 0, x, y])
    elif fn is np.clip:
        check_rule(fn, [x, -0.5 * np.ones(3), 0.5])
        check_rule(fn, [x, None, 0.5])
    else:
        check_rule(fn, [x, (3, 2)])


CONSTRUCTORS_FROM_VALUES = [
    "np.sum(np.full((2,), x[0]))",
    "np.sum(np.full(4, x[0]) * x)",
    "np.sum(np.full((3, 4), x) ** 2)",
    "np.sum(np.full_like(x, x[1]) ** 2)",
    "np.sum(np.full_like(x, 2.0, dtype=float) * np.full_like(x, x[2]))",
    "np.sum(np.linspace(0.0, x[0], 5) * x[1])",
    "np.sum(np.linspace(x[1], 2.0 * x[0], 6, endpoint=False) ** 2)",
    "np.sum(np.linspace(x[:2], x[2:], 4) ** 2)",
]


@pytest.mark.parametrize("expression", CONSTRUCTORS_FROM_VALUES)
def test_constructors_pass_the_gradient_to_their_values(expression):
    """`np.full`, `np.full_like` and `np.linspace` are differentiable in the values they
    spread (a zero gradient there would be silently wrong)."""
    from .rulecheck import check_compiled

    check_compiled(f"def f(x):\n    return {expression}\n", (np.array([0.31, 0.72, 0.45, 0.93]),))


@pytest.mark.parametrize("expression", ["np.sum(np.full(3, x) ** 2)", "np.sum(np.linspace(0.0, x, 5) ** 2)",
                                        "np.sum(np.full_like(np.ones(2), x) * x)"])
def test_constructors_of_one_float_in_forward_mode(expression):
    from .rulecheck import check_compiled

    check_compiled(f"def f(x):\n    return {expression}\n", (0.7,))


FLOAT_SPREAD_OVER_ARRAYS = [
    "np.sum(np.zeros(3) + x)",
    "np.mean((x - np.ones((2, 3))) ** 2)",
    "np.sum(np.maximum(np.linspace(0.0, 1.0, 4), x))",
    "np.sum(np.where(np.arange(4) > 1, x, 2.0 * x))",
]


@pytest.mark.parametrize("expression", FLOAT_SPREAD_OVER_ARRAYS)
def test_tangent_of_a_float_spread_over_an_array(expression):
    """Forward mode (the gradient of one float): a float broadcast against an array has a
    tangent of the array's shape, so that a later sum counts every element."""
    from .rulecheck import check_compiled

    check_compiled(f"def f(x):\n    return {expression}\n", (0.7,))


FORWARD_BODIES = {
    "update-of-spread": "    y = np.zeros(3) + x\n    y[1] = x ** 2\n    return np.sum(y)\n",
    "append": "    items = []\n    items.append(x)\n    items.append(x ** 2)\n    return sum(items)\n",
    "append-in-loop": "    items = []\n    for i in range(3):\n        items.append(x * i)\n"
                      "    return sum(items) * len(items)\n",
}


@pytest.mark.parametrize("name", sorted(FORWARD_BODIES))
def test_forward_mode_programs(name):
    from .rulecheck import check_compiled

    check_compiled("def f(x):\n" + FORWARD_BODIES[name], (0.7,))


@pytest.mark.parametrize("body, x", [
    ("np.sum(np.arange(x, x + 3.0) ** 2)", 0.7),
    ("np.sum(np.arange(0.5, 3.0, x) ** 2)", 0.7),
    ("np.sum(np.arange(x, 4.0, 0.5) * np.arange(8))", 0.2),
    ("np.sum(np.arange(5) * x)", 0.7),
], ids=["start", "step", "start with a constant count", "stop alone"])
def test_arange_start_and_step_have_slopes(body, x):
    """Sample k of np.arange(start, stop, step) is start + k step (it was taken as having no
    derivative, so a gradient through it was silently zero)."""
    fn = function_from_source(f"def f(x):\n    return {body}\n")
    ad.check_grads(fn, x)
    ad.check_grads(fn, np.float64(x))


def test_heaviside_passes_the_gradient_of_its_value_at_zero():
    fn = function_from_source("def f(h, x):\n    return np.sum(np.heaviside(x, h) * np.array([1.0, 2.0, 3.0]))\n")
    x = np.array([-1.0, 0.0, 2.0])
    assert ad.grad(fn)(0.4, x) == pytest.approx(2.0)
    ad.check_grads(fn, 0.4, x)
