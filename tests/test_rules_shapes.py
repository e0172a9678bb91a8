"""The shape, assembly and selection rules (`rules/shapes.py`), from a table.

Rows read as in `test_rules_reductions.py` (whose table machinery this file reuses):
spelling, argument cases, keyword parameters, domain. `Seq(...)` is a tuple (or list)
argument, as in `np.concatenate((x, y))`. Rules whose arguments or results are
sequences are checked at rule level by `check_sequence_rule` below (the same two checks
as `rulecheck.check_rule`, over tuples and lists); the others by `check_rule`. Every row
is also checked end to end through the compiler.
"""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.rules import rule_for

from .helpers import function_from_source
from .rulecheck import EPS, check_compiled, check_rule
from .test_rules_reductions import Lit, Seq, build_args, call_source, evaluate, seed_of, table_cases

M = (2, 3)
T = (2, 3, 4)

ROWS = [
    # spelling, argument cases, keyword parameters, domain
    ("np.ravel", [("float",), ((),), ((3,),), (T,)], {}, "real"),
    ("np.squeeze", [((2, 1, 3),), ((1, 3, 1),)], {}, "real"),
    ("np.squeeze", [((2, 1, 3),)], {"axis": 1}, "real"),
    ("np.squeeze", [((1, 3, 1),)], {"axis": (0, -1)}, "real"),
    ("np.expand_dims", [((3,),), (M,)], {"axis": 0}, "real"),
    ("np.expand_dims", [(M,)], {"axis": (0, -1)}, "real"),
    ("np.swapaxes", [(M,), (T,)], {"axis1": 0, "axis2": -1}, "real"),
    ("np.moveaxis", [(T,)], {"source": 0, "destination": -1}, "real"),
    ("np.moveaxis", [(T,)], {"source": (0, 1), "destination": (-1, 0)}, "real"),
    ("np.broadcast_to", [((3,), Lit("(2, 3)")), ((2, 1), Lit("(4, 2, 3)")), ("float", Lit("(2,)")),
                         ((), Lit("(3,)"))], {}, "real"),
    ("np.atleast_1d", [("float",), ((),), ((3,),)], {}, "real"),
    ("np.atleast_2d", [("float",), ((3,),), (M,)], {}, "real"),
    ("np.atleast_3d", [((3,),), (M,), (T,)], {}, "real"),
    # made from values
    ("np.full", [(Lit("(2, 3)"), "float"), (Lit("(2, 3)"), (3,)), (Lit("4"), ())], {}, "real"),
    ("np.linspace", [("float", "float", Lit("5")), ((2,), (2,), Lit("4")), ("float", (3,), Lit("2"))], {}, "real"),
    ("np.linspace", [("float", "float", Lit("5"))], {"endpoint": False}, "real"),
    # joining: a sequence in
    ("np.concatenate", [(Seq(M, (1, 3)),), (Seq((3,), (2,), (1,)),), (Seq(M, Lit("np.ones((1, 3))")),)], {}, "real"),
    ("np.concatenate", [(Seq(M, (2, 1), kind=list),)], {"axis": 1}, "real"),
    ("np.concatenate", [(Seq(T, (2, 3, 2)),)], {"axis": -1}, "real"),
    ("np.concatenate", [(Seq(M, (3,), (2, 2)),)], {"axis": None}, "real"),
    ("np.stack", [(Seq((3,), (3,)),), (Seq("float", "float", kind=list),), (Seq((), ()),)], {}, "real"),
    ("np.stack", [(Seq(M, M, M),)], {"axis": -1}, "real"),
    ("np.stack", [(Seq(M, M),)], {"axis": 1}, "real"),
    ("np.hstack", [(Seq((3,), (2,)),), (Seq(M, (2, 1)),), (Seq("float", (2,)),), (Seq(T, (2, 1, 4)),)], {}, "real"),
    ("np.vstack", [(Seq((3,), (3,)),), (Seq(M, (3,)),), (Seq((1, 2, 3), (2, 2, 3)),)], {}, "real"),
    ("np.dstack", [(Seq(M, M),), (Seq((3,), (3,)),), (Seq((2, 3, 1), (2, 3, 2)),)], {}, "real"),
    ("np.column_stack", [(Seq((3,), (3, 2)),), (Seq((3,), (3,)),)], {}, "real"),
    ("np.array", [(Seq("float", "float", kind=list),), (Seq((3,), (3,)),), (M,),
                  (Seq(Seq("float", "float", kind=list), Seq("float", "float", kind=list), kind=list),),
                  (Seq("float", Lit("2.0"), kind=list),)], {}, "real"),
    ("np.asarray", [(Seq((2,), (2,)),), ((3,),)], {}, "real"),
    # copies
    ("np.tile", [((3,), Lit("2")), (M, Lit("(2, 1, 2)")), (T, Lit("(2, 1)")), ("float", Lit("3"))], {}, "real"),
    ("np.repeat", [(M, Lit("2"))], {"axis": 1}, "real"),
    ("np.repeat", [((3, 2), Lit("[1, 0, 3]"))], {"axis": 0}, "real"),
    ("np.repeat", [(M, Lit("2")), (M, Lit("np.array([1, 2, 0, 1, 1, 3])"))], {}, "real"),
    ("np.pad", [((3,), Lit("2")), (M, Lit("((1, 0), (2, 3))")), ((2, 2, 2), Lit("1"))], {}, "real"),
    ("np.pad", [(M, Lit("(1, 2)"))], {"mode": "constant", "constant_values": 5.0}, "real"),
    # reordering
    ("np.flip", [((3,),), (T,)], {}, "real"),
    ("np.flip", [(T,)], {"axis": 1}, "real"),
    ("np.flip", [(T,)], {"axis": (0, -1)}, "real"),
    ("np.fliplr", [(M,), (T,)], {}, "real"),
    ("np.flipud", [((3,),), (M,)], {}, "real"),
    ("np.roll", [((5,), Lit("2")), (M, Lit("7"))], {}, "real"),
    ("np.roll", [(T, Lit("-1"))], {"axis": 1}, "real"),
    ("np.roll", [(T, Lit("(1, -2)"))], {"axis": (0, 2)}, "real"),
    ("np.rot90", [(M,)], {}, "real"),
    ("np.rot90", [(M,)], {"k": 2}, "real"),
    ("np.rot90", [(M,)], {"k": -1}, "real"),
    ("np.rot90", [(T,)], {"k": 3, "axes": (2, 0)}, "real"),
    ("np.sort", [((5,),), (T,)], {}, "real"),
    ("np.sort", [(T,)], {"axis": 1}, "real"),
    ("np.sort", [(T,)], {"axis": None}, "real"),
    ("np.sort", [(M,)], {"axis": 0, "kind": "stable"}, "real"),
    # selection
    ("np.take", [((5,), Lit("[0, 4, 4, 1]")), (M, Lit("[[0, 5], [5, 5]]")), ((5,), Lit("-2"))], {}, "real"),
    ("np.take", [((3, 4), Lit("np.array([2, 0, 2])"))], {"axis": 1}, "real"),
    ("np.take", [((3, 4), Lit("-1"))], {"axis": 0}, "real"),
    ("np.take", [(T, Lit("[1, 1]"))], {"axis": -2}, "real"),
    ("np.take_along_axis", [((3, 4), Lit("np.array([[0, 0], [1, 3], [2, 2]])"))], {"axis": 1}, "real"),
    ("np.take_along_axis", [((3, 4), Lit("np.array([[0, 0, 2, 1]])"))], {"axis": 0}, "real"),
    ("np.take_along_axis", [((3, 4), Lit("np.array([0, 0, 11])"))], {"axis": None}, "real"),
    ("np.take_along_axis", [(M, Lit("np.array([[2, 2], [0, 1]])"))], {}, "real"),
    ("np.diag", [((3,),), ((3, 3),), ((3, 4),)], {}, "real"),
    ("np.diag", [((3,),), ((3, 4),)], {"k": 1}, "real"),
    ("np.diag", [((3,),), ((3, 4),), ((4, 3),)], {"k": -2}, "real"),
    ("np.diagonal", [((3, 3),), ((3, 4),)], {}, "real"),
    ("np.diagonal", [((3, 4),)], {"offset": -1}, "real"),
    ("np.diagonal", [(T,)], {"offset": 1, "axis1": 2, "axis2": 0}, "real"),
    ("np.trace", [((3, 3),)], {}, "real"),
    ("np.trace", [((3, 4),)], {"offset": 1}, "real"),
    ("np.trace", [(T,)], {"axis1": 1, "axis2": 2}, "real"),
    ("np.trace", [(T,)], {"offset": -1, "axis1": 0, "axis2": -1}, "real"),
    ("np.triu", [((3, 3),), ((2, 3, 3),)], {}, "real"),
    ("np.triu", [((3, 4),)], {"k": 1}, "real"),
    ("np.tril", [((3, 3),), ((2, 3, 3),)], {}, "real"),
    ("np.tril", [((3, 4),)], {"k": -1}, "real"),
]

# Functions returning a list of arrays.
SPLIT_ROWS = [
    ("np.split", [((6,),)], {"indices_or_sections": 3}, "real"),
    ("np.split", [((2, 6),)], {"indices_or_sections": [1, 4], "axis": 1}, "real"),
    ("np.split", [((4, 3),)], {"indices_or_sections": 2, "axis": -2}, "real"),
    ("np.array_split", [((5,),)], {"indices_or_sections": 3}, "real"),
    ("np.array_split", [((2, 5),)], {"indices_or_sections": 2, "axis": 1}, "real"),
    ("np.hsplit", [((6,),)], {"indices_or_sections": 2}, "real"),
    ("np.hsplit", [((2, 4),)], {"indices_or_sections": [1]}, "real"),
    ("np.vsplit", [((4, 2),)], {"indices_or_sections": 2}, "real"),
    ("np.vsplit", [((3, 2, 2),)], {"indices_or_sections": [1, 2]}, "real"),
    ("np.dsplit", [((2, 2, 4),)], {"indices_or_sections": [3]}, "real"),
]


SPLITTERS = {row[0] for row in SPLIT_ROWS}


def _has_sequence(specs) -> bool:
    return any(isinstance(s, Seq) for s in specs)


# ---------------------------------------------------------------- rule level, over tuples and lists


def _like(x, rng):
    """A random direction shaped like `x`; None for the constants in it."""
    if isinstance(x, (tuple, list)):
        return tuple(_like(e, rng) for e in x)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return rng.standard_normal(x.shape)
    return float(rng.standard_normal()) if isinstance(x, float) else None


def _moved(x, step, u):
    if isinstance(x, (tuple, list)):
        return type(x)(_moved(a, step, b) for a, b in zip(x, u))
    return x if u is None else x + step * u


def _difference(up, down):
    if isinstance(up, (tuple, list)):
        return tuple(_difference(a, b) for a, b in zip(up, down))
    return (np.asarray(up) - np.asarray(down)) / (2 * EPS)


def _inner(a, b) -> float:
    if isinstance(a, (tuple, list)):
        return sum(_inner(x, y) for x, y in zip(a, b))
    return 0.0 if a is None or b is None else float(np.sum(np.asarray(a) * np.asarray(b)))


def _assert_same_tree(got, expected, what):
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, tuple) and len(got) == len(expected), f"{what}: not a tuple of {len(expected)}"
        for g, e in zip(got, expected):
            _assert_same_tree(g, e, what)
    elif expected is not None:
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(expected)), expected, rtol=1e-5, atol=1e-6,
                                   err_msg=what)


def _shapes(x):
    return tuple(_shapes(e) for e in x) if isinstance(x, (tuple, list)) else np.shape(x)


def check_sequence_rule(fn, args, params, rng):
    """`check_rule` for arguments and results that are tuples or lists of arrays."""
    rule = rule_for(fn)
    ans = fn(*args, **params)
    for i, (vjp, jvp) in enumerate(zip(rule.vjps, rule.jvps)):
        u = _like(args[i], rng)
        if vjp is None or u is None:
            continue
        v = _like(ans, rng)
        ju = jvp(u, ans, *args, **params)
        up = fn(*[_moved(a, EPS, u) if k == i else a for k, a in enumerate(args)], **params)
        down = fn(*[_moved(a, -EPS, u) if k == i else a for k, a in enumerate(args)], **params)
        _assert_same_tree(ju, _difference(up, down), f"JVP of argument {i} vs finite differences")
        jtv = vjp(v, ans, *args, **params)
        assert _shapes(jtv) == _shapes(args[i]), f"VJP of argument {i}: {_shapes(jtv)}, not {_shapes(args[i])}"
        left, right = _inner(v, ju), _inner(jtv, u)
        assert np.isclose(left, right, rtol=1e-5, atol=1e-6), f"argument {i}: <v, Ju> = {left} but <J^T v, u> = {right}"


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(ROWS + SPLIT_ROWS)))
def test_rule_jvp_and_vjp(spelling, specs, params, domain):
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    args, _ = build_args(specs, rng, domain)
    if _has_sequence(specs) or spelling in SPLITTERS:
        check_sequence_rule(evaluate(spelling), args, params, rng)
    else:
        check_rule(evaluate(spelling), args, params, rng)


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(SPLIT_ROWS)))
def test_split_rules_take_missing_cotangents_as_zeros(spelling, specs, params, domain):
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    (x,), _ = build_args(specs, rng, domain)
    fn = evaluate(spelling)
    pieces = fn(x, **params)
    vjp = rule_for(fn).vjps[0]
    first_only = vjp((np.ones_like(pieces[0]),), pieces, x, **params)  # a shorter tuple: later pieces unread
    expected = vjp(tuple(np.ones_like(p) if k == 0 else np.zeros_like(p) for k, p in enumerate(pieces)),
                   pieces, x, **params)
    np.testing.assert_array_equal(first_only, expected)
    middle_missing = vjp(tuple(None if k == 1 else np.ones_like(p) for k, p in enumerate(pieces)), pieces, x, **params)
    assert np.shape(middle_missing) == x.shape


# ---------------------------------------------------------------- end to end


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(ROWS)))
def test_compiled_gradient(spelling, specs, params, domain):
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    _, inputs = build_args(specs, rng, domain)
    source, _ = call_source(spelling, specs, params)
    check_compiled(source, inputs)


def _split_count(params) -> int:
    sections = params["indices_or_sections"]
    return sections if isinstance(sections, int) else len(sections) + 1


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(SPLIT_ROWS)))
def test_compiled_gradient_of_splits(spelling, specs, params, domain):
    """Each piece is used differently, and the second piece is not used at all."""
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    _, inputs = build_args(specs, rng, domain)
    call = call_source(spelling, specs, params)[0].splitlines()[1].replace("return ", "parts = ")
    used = [k for k in range(_split_count(params)) if k != 1]
    total = " + ".join(f"np.sum(np.sin(parts[{k}]) * {k + 1})" for k in used)
    check_compiled(f"def f(x):\n{call}\n    return {total}\n", inputs)


def test_compiled_split_unpacked_into_names():
    source = """
def f(x, y):
    z = np.concatenate((x, y), axis=1)
    a, b, c = np.split(z, [1, 3], axis=1)
    return np.sum(a * c) + np.sum(np.vstack([b, x]) ** 2)
"""
    rng = np.random.default_rng(2)
    check_compiled(source, [rng.standard_normal((2, 2)), rng.standard_normal((2, 2))])


def test_compiled_array_of_scalars_and_arrays():
    source = """
def f(a, b, v):
    m = np.array([[a, b], [b * a, 2.0]])
    w = np.asarray([v, v * a])
    return np.sum(m @ w)
"""
    rng = np.random.default_rng(4)
    check_compiled(source, [0.7, -1.3, rng.standard_normal(2)])


def test_whole_program_of_shape_moves():
    source = """
def f(x):
    y = np.pad(np.flip(x, 0), ((1, 0), (0, 2)))
    z = np.roll(np.tile(y, (2, 1)), 1, axis=0)
    w = np.sort(np.ravel(np.triu(z[:3, :3], 1)) + np.ravel(np.diag(np.diagonal(z[1:4, :3]))))
    return np.sum(w * np.arange(w.shape[0])) + np.trace(np.rot90(z[:3, :3]))
"""
    check_compiled(source, [np.random.default_rng(9).standard_normal((2, 3))])


# ---------------------------------------------------------------- exact values


def _grad(expression, x):
    return ad.grad(function_from_source(f"def f(x):\n    return {expression}\n"))(x)


@pytest.mark.parametrize("expression, x, expected", [
    ("np.sum(np.take(x, [0, 0, 2]))", [1.0, 2.0, 3.0], [2.0, 0.0, 1.0]),
    ("np.sum(np.take(x, [[1, 1], [1, 0]], axis=1))", [[1.0, 2.0], [3.0, 4.0]], [[1.0, 3.0], [1.0, 3.0]]),
    ("np.sum(np.take_along_axis(x, np.array([[0, 0, 0]]), axis=1))", [[1.0, 2.0]], [[3.0, 0.0]]),
    ("np.sum(np.repeat(x, 3))", [1.0, 2.0], [3.0, 3.0]),
    ("np.sum(np.repeat(x, [2, 0, 1]) * np.array([1.0, 10.0, 100.0]))", [1.0, 2.0, 3.0], [11.0, 0.0, 100.0]),
    ("np.sum(np.tile(x, (2, 3)))", [1.0, 2.0], [6.0, 6.0]),
    ("np.sort(x)[0]", [3.0, 1.0, 2.0], [0.0, 1.0, 0.0]),
    ("np.sort(x)[-1] * 2.0 + np.sort(x)[0]", [3.0, 1.0, 2.0], [2.0, 1.0, 0.0]),
    ("np.sum(np.pad(x, 2, constant_values=7.0))", [1.0, 2.0], [1.0, 1.0]),
])
def test_gradients_follow_copies_and_permutations(expression, x, expected):
    np.testing.assert_array_equal(_grad(expression, np.array(x)), expected)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("expression", [
    "np.pad(x, 1, mode='reflect')",
    "np.pad(x, 1, 'edge')",
    "np.pad(x, 1, mode='wrap')",
])
def test_pad_modes_other_than_constant_are_refused(expression):
    fn = function_from_source(f"def f(x):\n    return np.sum({expression} ** 2)\n")
    with pytest.raises(ad.UnsupportedArgumentError, match="mode='constant'"):
        ad.grad(fn)


@pytest.mark.parametrize("expression", [
    "np.pad(x, 1, stat_length=2)",
    "np.take(x, [0, 5], mode='wrap')",
    "np.concatenate((x, x), dtype=np.float32)",
    "np.array([x, x], dtype=float)",
    "np.sort(x, order='a')",
    "np.atleast_1d(x, x)[0]",
])
def test_arguments_the_rules_do_not_handle_are_refused(expression):
    fn = function_from_source(f"def f(x):\n    return np.sum({expression})\n")
    with pytest.raises(ad.UnsupportedArgumentError):
        ad.grad(fn)


# ---------------------------------------------------------------- no derivative

NONDIFF = [
    "np.argwhere(x > 0)", "np.nonzero(x > 0)[0]", "np.flatnonzero(x)", "np.count_nonzero(x > 0)",
    "np.searchsorted(np.sort(x), 0.5)", "np.digitize(x, [0.0, 1.0])", "np.argpartition(x, 1)",
    "np.lexsort((x,))", "np.nanargmax(x)", "np.nanargmin(x)", "np.unravel_index(np.argmax(x), x.shape)[0]",
    "np.indices(x.shape)", "np.tri(np.size(x))", "np.identity(np.size(x))", "np.tril_indices_from(np.outer(x, x))[0]",
    "np.triu_indices_from(np.outer(x, x))[1]", "np.diag_indices_from(np.outer(x, x))[0]", "np.all(x > -5)",
    "np.any(x > 0)", "np.isclose(x, 0.5)", "np.allclose(x, x)", "np.array_equal(x, x)", "np.array_equiv(x, x)",
]


@pytest.mark.parametrize("expression", NONDIFF)
def test_functions_without_derivative_give_zero_gradient(expression):
    fn = function_from_source(f"def f(x):\n    return np.sum({expression}) * 1.0\n")
    x = np.array([0.3, -1.2, 2.0])
    g = ad.grad(fn)(x)
    np.testing.assert_array_equal(g, np.zeros(3))


def test_functions_without_derivative_mix_with_differentiated_values():
    fn = function_from_source(
        "def f(x):\n    return np.sum(x * np.count_nonzero(x > 0)) + np.sum(x[np.flatnonzero(x)])\n")
    x = np.array([0.3, 0.0, 2.0])
    np.testing.assert_array_equal(ad.grad(fn)(x), [3.0, 2.0, 3.0])
