"""The rules of `rules/more_numpy.py`, from tables.

Rows read as in `test_rules_reductions.py`, whose table machinery this file reuses:
spelling, argument cases, keyword parameters, domain. `Lit("text")` is a constant
written into the source, `Fixed(array)` a differentiated input with given entries,
`Seq(...)` a tuple (or list) argument. Every row is checked at rule level (`check_rule`,
or `check_sequence_rule` from `test_rules_shapes.py` when an argument or the result is
a sequence) and end to end through the compiler (`check_compiled`).
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import abstract
from adcompiler.ir import Const, Value
from adcompiler.rules import is_nondiff, rule_for
from adcompiler.tracing import Recorder, Symbol

from .helpers import function_from_source
from .rulecheck import check_compiled, check_rule
from .test_rules_reductions import Fixed, Lit, Seq, build_args, call_source, evaluate, seed_of, table_cases
from . import test_rules_shapes
from .test_rules_shapes import check_sequence_rule

M = (2, 3)
T = (2, 3, 4)
WITH_NAN = Fixed(np.array([[1.0, np.nan, 2.0, -0.5], [0.3, 1.2, np.nan, np.nan]]))
KNOTS = Lit("[0.0, 1.0, 2.5, 3.0]")
MASK = Lit("np.array([True, False, True, True])")
NONE = Lit("None")  # an optional argument left out (the rule-level harness wants one per rule)

ROWS = [
    # spelling, argument cases, keyword parameters, domain
    # ------------------------------------------------ array-API spellings
    ("np.linalg.matmul", [((2, 3), (3, 4)), ((3,), (3,)), ((5, 2, 3), (3,))], {}, "real"),
    ("np.linalg.matrix_transpose", [(M,), (T,)], {}, "real"),
    ("np.matrix_transpose", [(M,), (T,)], {}, "real"),
    ("np.linalg.diagonal", [((3, 3),), (T,)], {}, "real"),
    ("np.linalg.diagonal", [(T,)], {"offset": 1}, "real"),
    ("np.linalg.diagonal", [((3, 4),)], {"offset": -1}, "real"),
    ("np.linalg.trace", [((3, 3),), (T,)], {}, "real"),
    ("np.linalg.trace", [(T,)], {"offset": 1}, "real"),
    ("np.linalg.outer", [((3,), (2,))], {}, "real"),
    ("np.linalg.cross", [((3,), (3,)), ((2, 3), (3,)), ((4, 3), (4, 3))], {}, "real"),
    ("np.linalg.cross", [((3, 2), (3, 2))], {"axis": 0}, "real"),
    ("np.linalg.tensordot", [(T, (3, 4, 2))], {}, "real"),
    ("np.linalg.tensordot", [(M, (3, 4))], {"axes": 1}, "real"),
    ("np.linalg.tensordot", [(M, (4, 2))], {"axes": ((0,), (1,))}, "real"),
    ("np.linalg.vecdot", [((3,), (3,)), (M, (3,)), ((2, 1, 3), (4, 3))], {}, "real"),
    ("np.linalg.vecdot", [((3, 2), (3, 2))], {"axis": 0}, "real"),
    ("np.linalg.vecdot", [(T, (3, 4))], {"axis": -2}, "real"),
    ("np.vecdot", [((3,), (3,)), (M, (3,)), ((2, 1, 3), (4, 3))], {}, "real"),
    ("np.vecdot", [((3, 2), (3, 2))], {"axis": 0}, "real"),
    ("np.matvec", [(M, (3,)), ((4, 2, 3), (3,)), (M, (5, 3)), ((1, 2, 3), (4, 3))], {}, "real"),
    ("np.vecmat", [((2,), M), ((4, 2), M), ((2,), (5, 2, 3))], {}, "real"),
    ("np.linalg.vector_norm", [((3,),), (M,), ((),)], {}, "real"),
    ("np.linalg.vector_norm", [(M,)], {"axis": 1}, "real"),
    ("np.linalg.vector_norm", [(T,)], {"axis": (0, 2), "keepdims": True}, "real"),
    ("np.linalg.vector_norm", [(M,)], {"ord": 1}, "real"),
    ("np.linalg.vector_norm", [(M,)], {"ord": np.inf, "axis": 0}, "real"),
    ("np.linalg.vector_norm", [(T,)], {"ord": -np.inf, "axis": (1, 2)}, "real"),
    ("np.linalg.vector_norm", [(M,)], {"ord": 3, "axis": -1}, "real"),
    ("np.linalg.vector_norm", [((4,),)], {"ord": 0.5}, "real"),
    ("np.linalg.vector_norm", [(M,)], {"ord": 0}, "real"),
    ("np.linalg.matrix_norm", [((3, 3),), (T,)], {}, "real"),
    ("np.linalg.matrix_norm", [(T,)], {"keepdims": True}, "real"),
    ("np.linalg.matrix_norm", [((3, 3),), ((2, 3, 2),)], {"ord": "nuc"}, "real"),
    ("np.linalg.matrix_norm", [((3, 3),)], {"ord": 2}, "real"),
    ("np.linalg.matrix_norm", [((3, 2),)], {"ord": -2}, "real"),
    ("np.linalg.matrix_norm", [(M,)], {"ord": 1, "keepdims": True}, "real"),
    ("np.linalg.matrix_norm", [(T,)], {"ord": np.inf}, "real"),
    ("np.linalg.matrix_norm", [(M,)], {"ord": -np.inf}, "real"),
    ("np.linalg.svdvals", [((3, 3),), ((4, 2),), (T,)], {}, "real"),
    ("np.linalg.cond", [((3, 3),), ((2, 3, 3),), ((3, 2),)], {}, "real"),
    ("np.linalg.cond", [((3, 3),)], {"p": -2}, "real"),
    ("np.linalg.cond", [((3, 3),), ((2, 3, 3),)], {"p": "fro"}, "real"),
    ("np.linalg.cond", [((3, 3),)], {"p": "nuc"}, "real"),
    ("np.linalg.cond", [((3, 3),)], {"p": 1}, "real"),
    ("np.linalg.cond", [((3, 3),)], {"p": -np.inf}, "real"),
    ("np.linalg.tensorinv", [((2, 3, 6),)], {}, "real"),
    ("np.linalg.tensorinv", [((4, 2, 2),)], {"ind": 1}, "real"),
    ("np.linalg.tensorsolve", [((2, 3, 6), (2, 3)), ((3, 3), (3,))], {}, "real"),
    ("np.cov", [((3, 5), NONE), ((5,), NONE), ((2, 4), (4,))], {}, "real"),
    ("np.cov", [((5, 3), NONE), ((5, 2), (5, 1))], {"rowvar": False}, "real"),
    ("np.cov", [((2, 4), NONE)], {"bias": True}, "real"),
    ("np.cov", [((3, 5), NONE)], {"ddof": 2}, "real"),
    ("np.corrcoef", [((3, 5), NONE), ((2, 4), (4,)), ((5,), NONE)], {}, "real"),
    ("np.corrcoef", [((5, 3), NONE)], {"rowvar": False}, "real"),
    # ------------------------------------------------ scans and NaN-ignoring moments
    ("np.cumulative_sum", [((4,),)], {}, "real"),
    ("np.cumulative_sum", [(M,)], {"axis": 1}, "real"),
    ("np.cumulative_sum", [(M,)], {"axis": 0, "include_initial": True}, "real"),
    ("np.cumulative_sum", [((4,),)], {"include_initial": True}, "real"),
    ("np.cumulative_prod", [((4,),), (Fixed(np.array([1.5, 0.0, 2.0, -0.5])),)], {}, "real"),
    ("np.cumulative_prod", [(M,)], {"axis": 1}, "real"),
    ("np.cumulative_prod", [(M,)], {"axis": 0, "include_initial": True}, "real"),
    ("np.cumulative_prod", [((4,),)], {"include_initial": True}, "real"),
    ("np.nancumsum", [(WITH_NAN,), (M,)], {}, "real"),
    ("np.nancumsum", [(WITH_NAN,)], {"axis": 1}, "real"),
    ("np.nancumprod", [(WITH_NAN,)], {}, "real"),
    ("np.nancumprod", [(WITH_NAN,), (M,)], {"axis": 0}, "real"),
    ("np.nanvar", [(WITH_NAN,), (M,)], {}, "real"),
    ("np.nanvar", [(WITH_NAN,)], {"axis": 1}, "real"),
    ("np.nanvar", [(WITH_NAN,)], {"axis": 1, "ddof": 1, "keepdims": True}, "real"),
    ("np.nanstd", [(WITH_NAN,), (M,)], {}, "real"),
    ("np.nanstd", [(WITH_NAN,)], {"axis": 1, "ddof": 1}, "real"),
    ("np.nanstd", [(T,)], {"axis": (0, 2), "keepdims": True}, "real"),
    # ------------------------------------------------ conversions and elementwise functions
    ("np.astype", [((3,), Lit("np.float64")), (M, Lit("float"))], {}, "real"),
    ("np.asanyarray", [((3,),), ("float",)], {}, "real"),
    ("np.ascontiguousarray", [(M,), ("float",), ((),)], {}, "real"),
    ("np.asfortranarray", [(M,), ((),)], {}, "real"),
    ("np.asarray_chkfinite", [((3,),)], {}, "real"),
    ("np.require", [(M,)], {}, "real"),
    ("np.require", [(M,)], {"requirements": "F"}, "real"),
    ("np.real_if_close", [((3,),)], {}, "real"),
    ("np.unwrap", [((5,),), (Fixed(np.array([0.0, 3.0, 6.5, 0.2, -3.5])),)], {}, "real"),
    ("np.unwrap", [(M,)], {"axis": 0, "period": 1.0}, "real"),
    ("np.ldexp", [((3,), Lit("np.array([1, -2, 3])")), (M, Lit("2")), ("float", Lit("3"))], {}, "real"),
    ("np.nextafter", [((3,), (3,)), (M, (3,)), ("float", "float")], {}, "real"),
    ("np.i0", [((3,),), ("float",), (M,), (Fixed(np.array([0.0, 3.0, -4.0, 6.0])),)], {}, "real"),
    # ------------------------------------------------ differences, insertions, deletions, selections
    ("np.diff", [((5,),), ((2, 4),)], {}, "real"),
    ("np.diff", [((5,),)], {"n": 2}, "real"),
    ("np.diff", [((3, 2),)], {"axis": 0}, "real"),
    ("np.diff", [((4,),)], {"prepend": 1.0}, "real"),
    ("np.diff", [((3,),)], {"append": [1.0, 2.0]}, "real"),
    ("np.diff", [((3, 2),)], {"n": 2, "axis": 0, "prepend": 0.5, "append": 2.0}, "real"),
    ("np.ediff1d", [((4,),), (M,)], {}, "real"),
    ("np.ediff1d", [((4,),)], {"to_begin": 1.0}, "real"),
    ("np.ediff1d", [((3,),)], {"to_end": [1.0, 2.0], "to_begin": [0.0]}, "real"),
    ("np.append", [((3,), (2,)), (M, (2,)), ((3,), "float")], {}, "real"),
    ("np.append", [(M, (1, 3))], {"axis": 0}, "real"),
    ("np.append", [(M, (2, 2))], {"axis": 1}, "real"),
    ("np.insert", [((4,), Lit("1"), "float"), ((4,), Lit("[0, 2, 2]"), (3,)), ((4,), Lit("1"), (2,))], {}, "real"),
    ("np.insert", [(M, Lit("1"), (2,)), (M, Lit("[0, 3]"), "float"), (M, Lit("slice(0, 2)"), (2, 1))], {"axis": 1},
     "real"),
    ("np.insert", [(M, Lit("1"), (3,))], {"axis": 0}, "real"),
    ("np.delete", [((5,), Lit("[0, 2]")), (M, Lit("1"))], {}, "real"),
    ("np.delete", [(M, Lit("[0, 2]"))], {"axis": 1}, "real"),
    ("np.resize", [((3,), Lit("(2, 4)")), (M, Lit("4")), ((2, 2), Lit("(3, 3)"))], {}, "real"),
    ("np.diagflat", [((3,),), ((2, 2),), ("float",)], {}, "real"),
    ("np.diagflat", [((2,),)], {"k": 1}, "real"),
    ("np.diagflat", [((3,),)], {"k": -2}, "real"),
    ("np.extract", [(MASK, (4,)), (Lit("np.array([[1, 0, 1], [0, 0, 1]])"), M)], {}, "real"),
    ("np.compress", [(Lit("[True, False, True]"), (3,))], {}, "real"),
    ("np.compress", [(Lit("[False, True, True]"), M)], {"axis": 1}, "real"),
    ("np.compress", [(Lit("[True]"), M)], {"axis": 0}, "real"),
    ("np.choose", [(Lit("np.array([1, 0, 1])"), M)], {}, "real"),
    ("np.bincount", [(Lit("np.array([0, 2, 2, 4])"), (4,))], {}, "real"),
    ("np.bincount", [(Lit("np.array([1, 1, 0])"), (3,))], {"minlength": 4}, "real"),
    ("np.rollaxis", [(T, Lit("2")), (T, Lit("-1"), Lit("1")), (T, Lit("0"), Lit("3")), (T, Lit("1"), Lit("-3"))], {},
     "real"),
    ("np.partition", [((5,), Lit("2")), ((3, 4), Lit("1"))], {}, "real"),
    ("np.partition", [((3, 4), Lit("[0, 2]"))], {"axis": 0}, "real"),
    ("np.partition", [(M, Lit("3"))], {"axis": None}, "real"),
    # ------------------------------------------------ integrals, convolutions, polynomials, interpolation
    ("np.trapezoid", [((5,), NONE), ((2, 4), NONE), ((5,), (5,)), ((2, 4), (4,)), ((2, 4), (2, 4))], {},
     "real"),
    ("np.trapezoid", [((5,), NONE)], {"dx": 0.5}, "real"),
    ("np.trapezoid", [((3, 2), (3,))], {"axis": 0}, "real"),
    ("np.convolve", [((4,), (3,)), ((2,), (5,)), ((3,), (3,)), ((1,), (2,))], {}, "real"),
    ("np.convolve", [((4,), (3,)), ((2,), (5,)), ((4,), (4,))], {"mode": "same"}, "real"),
    ("np.convolve", [((4,), (3,)), ((2,), (5,))], {"mode": "valid"}, "real"),
    ("np.correlate", [((4,), (3,)), ((2,), (5,)), ((3,), (3,))], {}, "real"),
    ("np.correlate", [((4,), (3,)), ((2,), (5,)), ((2,), (6,)), ((4,), (4,))], {"mode": "same"}, "real"),
    ("np.correlate", [((4,), (3,)), ((2,), (5,))], {"mode": "full"}, "real"),
    ("np.polymul", [((3,), (2,)), ((1,), (3,))], {}, "real"),
    ("np.polyval", [((3,), (4,)), ((4,), "float"), ((1,), (2,)), ((3,), M), (Lit("[1.0, -2.0, 0.5]"), (3,))], {},
     "real"),
    ("np.polyadd", [((3,), (2,)), ((2,), (4,)), ((3,), (3,))], {}, "real"),
    ("np.polysub", [((3,), (2,)), ((2,), (4,))], {}, "real"),
    ("np.polyder", [((4,),)], {}, "real"),
    ("np.polyder", [((4,),)], {"m": 2}, "real"),
    ("np.polyint", [((3,),)], {}, "real"),
    ("np.polyint", [((3,),)], {"m": 2}, "real"),
    ("np.polyint", [((3,),)], {"m": 1, "k": 2.0}, "real"),
    ("np.vander", [((3,),)], {}, "real"),
    ("np.vander", [((3,),)], {"N": 4}, "real"),
    ("np.vander", [((3,),)], {"N": 2, "increasing": True}, "real"),
    ("np.interp", [(Fixed(np.array([-0.5, 0.3, 1.2, 2.7, 3.4])), KNOTS, (4,)), ((2, 3), KNOTS, (4,)),
                   ("float", KNOTS, (4,))], {}, "real"),
    ("np.interp", [(Fixed(np.array([-0.5, 0.3, 1.2, 2.7, 3.4])), KNOTS, (4,))], {"left": 0.0, "right": 1.0}, "real"),
    # ------------------------------------------------ order statistics
    ("np.median", [((5,),), (M,), (T,)], {}, "real"),
    ("np.median", [(M,)], {"axis": 1}, "real"),
    ("np.median", [(T,)], {"axis": (0, 2), "keepdims": True}, "real"),
    ("np.quantile", [((6,), Lit("0.3")), ((2, 5), Lit("[0.1, 0.5, 1.0]"))], {}, "real"),
    ("np.quantile", [((2, 5), Lit("0.75"))], {"axis": 1}, "real"),
    ("np.quantile", [((4, 3), Lit("[0.25, 0.6]"))], {"axis": 0, "keepdims": True}, "real"),
    ("np.quantile", [(T, Lit("np.array([[0.2], [0.9]])"))], {"axis": -1, "method": "linear"}, "real"),
    ("np.percentile", [((6,), Lit("30.0"))], {}, "real"),
    ("np.percentile", [((2, 5), Lit("[10, 90]"))], {"axis": -1}, "real"),
    ("np.nanquantile", [(WITH_NAN, Lit("0.4"))], {"axis": 1}, "real"),
    ("np.nanquantile", [(WITH_NAN, Lit("[0.0, 0.5]"))], {}, "real"),
    ("np.nanpercentile", [(WITH_NAN, Lit("70"))], {"axis": 1, "keepdims": True}, "real"),
    ("np.nanmedian", [(WITH_NAN,)], {}, "real"),
    ("np.nanmedian", [(WITH_NAN,)], {"axis": 1}, "real"),
]

# Functions with a sequence argument.
SEQUENCE_ROWS = [
    ("np.linalg.multi_dot", [(Seq((2, 3), (3, 4), (4, 2)),), (Seq((3,), (3, 4), (4,), kind=list),),
                             (Seq((3,), (3, 2), (2, 4), (4, 1)),), (Seq((2, 3), Lit("np.ones((3, 2))")),)], {}, "real"),
    ("np.select", [(Lit("[np.array([True, False, True]), np.array([True, True, False])]"), Seq((3,), (3,), kind=list),
                    "float"),
                   (Lit("[np.array([[True], [False]])]"), Seq(M, kind=list), (3,)),
                   (Lit("[np.array([True, False, True])]"), Seq("float", kind=list), Lit("0"))], {}, "real"),
    ("np.choose", [(Lit("np.array([0, 2, 1, 0])"), Seq((4,), (4,), (4,))),
                   (Lit("np.array([[0, 1, 1]])"), Seq(M, "float"))], {}, "real"),
]
if hasattr(np, "row_stack"):
    SEQUENCE_ROWS.append(("np.row_stack", [(Seq((3,), (3,)),), (Seq(M, (3,)),)], {}, "real"))

# Functions returning a tuple of arrays.
TUPLE_ROWS = [
    ("np.broadcast_arrays", [((3,), (2, 1)), (M, "float"), ((3,), (3,), (2, 1, 3))], {}, "real"),
    ("np.meshgrid", [((3,), (2,)), ((3,),)], {}, "real"),
    ("np.meshgrid", [((3,), (2,), (4,))], {"indexing": "ij"}, "real"),
    ("np.meshgrid", [((3,), (2,), (2,))], {"sparse": True}, "real"),
    ("np.unstack", [((3, 2),)], {}, "real"),
    ("np.unstack", [(T,)], {"axis": 1}, "real"),
]

_SEQUENCE_SPELLINGS = {row[0] for row in SEQUENCE_ROWS + TUPLE_ROWS}
VARIADIC = {"np.broadcast_arrays", "np.meshgrid"}


@pytest.fixture(autouse=True)
def _quiet_deprecations():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.row_stack
        yield


# ---------------------------------------------------------------- rule level


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(ROWS + SEQUENCE_ROWS + TUPLE_ROWS)))
def test_rule_jvp_and_vjp(spelling, specs, params, domain, monkeypatch):
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    args, _ = build_args(specs, rng, domain)
    fn = evaluate(spelling)
    if spelling in VARIADIC:  # the harness checks every rule: keep those of the arguments given
        rule = rule_for(fn)
        given = dataclasses.replace(rule, vjps=rule.vjps[: len(args)], jvps=rule.jvps[: len(args)])
        monkeypatch.setattr(test_rules_shapes, "rule_for", lambda f: given if f is fn else rule_for(f))
    if spelling in _SEQUENCE_SPELLINGS:
        check_sequence_rule(fn, args, params, rng)
    else:
        check_rule(fn, args, params, rng)


# ---------------------------------------------------------------- JVP rules on symbols
#
# The compiler runs VJP rules on symbols (the end-to-end tests below); JVP rules must run
# on them too. Each JVP is traced as the compiler would trace it, with symbols for the
# arrays (and for sequences, as one value built at run time), the recorded ops are then
# run on the real arrays, and the result must be what the rule computes on them directly.


def _symbol(value, name):
    if isinstance(value, (tuple, list)):
        av = abstract.from_signature(abstract.signature([tuple(value)])[0])
    elif isinstance(value, (float, np.ndarray)):
        av = abstract.from_signature(abstract.signature([value])[0])
    elif isinstance(value, type):
        return Symbol(Const(value, name=value.__name__))  # a global object, such as a dtype
    else:
        return value  # an int, a list of ints, a string: a literal in generated code
    return Symbol(Value(name), av)


def _replay(ops, env):
    def read(x):
        return env[x] if isinstance(x, Value) else x.value

    for op in ops:
        env[op.results[0]] = op.fn(*map(read, op.args), **{k: read(v) for k, v in op.kwargs})


def _traced_value(result, env):
    if isinstance(result, tuple):
        return tuple(_traced_value(r, env) for r in result)
    if isinstance(result, Symbol):
        return env[result.operand] if isinstance(result.operand, Value) else result.operand.value
    return result


def _has_float(arg) -> bool:
    if isinstance(arg, (tuple, list)):
        return any(map(_has_float, arg))
    return isinstance(arg, float) or isinstance(arg, np.ndarray) and arg.dtype.kind == "f"


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(ROWS + SEQUENCE_ROWS + TUPLE_ROWS)))
def test_jvp_rules_run_on_symbols(spelling, specs, params, domain):
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    args, _ = build_args(specs, rng, domain)
    fn = evaluate(spelling)
    rule = rule_for(fn)
    ans = fn(*args, **params)
    for i, jvp in enumerate(rule.jvps[: len(args)]):
        if jvp is None or not _has_float(args[i]):
            continue
        t = test_rules_shapes._like(args[i], rng)
        values = {"t": t, "ans": ans, **{f"arg{k}": a for k, a in enumerate(args)}}
        symbols = {name: _symbol(v, name) for name, v in values.items()}
        env = {s.operand: values[name] for name, s in symbols.items() if isinstance(s, Symbol)}
        with Recorder() as recorder:
            traced = jvp(symbols["t"], symbols["ans"], *[symbols[f"arg{k}"] for k in range(len(args))], **params)
        _replay(recorder.ops, env)
        got, expected = _traced_value(traced, env), jvp(t, ans, *args, **params)
        for g, e in zip(*(((got,), (expected,)) if not isinstance(expected, tuple) else (got, expected))):
            np.testing.assert_allclose(np.broadcast_to(g, np.shape(e)), e, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- end to end


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(ROWS + SEQUENCE_ROWS)))
def test_compiled_gradient(spelling, specs, params, domain):
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    _, inputs = build_args(specs, rng, domain)
    source, _ = call_source(spelling, specs, params)
    check_compiled(source, inputs)


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(TUPLE_ROWS)))
def test_compiled_gradient_of_tuple_results(spelling, specs, params, domain):
    """Each output is used differently, and the second is not used at all."""
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    args, inputs = build_args(specs, rng, domain)
    header, call = call_source(spelling, specs, params)[0].splitlines()
    count = len(evaluate(spelling)(*args, **params))
    used = [k for k in range(count) if k != 1 or count == 1]
    total = " + ".join(f"np.sum(np.sin(parts[{k}]) * {k + 1})" for k in used)
    check_compiled(f"{header}\n{call.replace('return ', 'parts = ')}\n    return {total}\n", inputs)


@pytest.mark.parametrize("body, shapes", [
    ("a, b = np.broadcast_arrays(x, y)\n    return np.sum(a * z + b)", [(3,), (2, 1), M]),
    ("a, b = np.meshgrid(x, y)\n    return np.sum(a * z) + np.sum(b * z ** 2)", [(3,), (2,), M]),
    ("a, b, c = np.unstack(x)\n    return np.sum(a * z) + np.sum(c * y)", [(3, 2), (2,), (4, 2)]),
])
def test_compiled_tuple_results_unpacked_and_broadcast(body, shapes):
    rng = np.random.default_rng(5)
    check_compiled(f"def f(x, y, z):\n    {body}\n", [rng.standard_normal(s) for s in shapes])


def test_compiled_program_mixing_the_new_functions():
    source = """
def f(x, w):
    y = np.diff(np.append(x, 1.5), prepend=0.0)
    z = np.convolve(y, w, mode="same") + np.interp(y, [0.0, 0.5, 1.0], w[:3])
    q = np.quantile(np.insert(z, 2, x[0] * 2.0), [0.25, 0.5])
    return np.sum(q * np.linalg.vector_norm(np.vander(w[:2]), axis=0)) + np.trapezoid(np.cumulative_sum(z), dx=0.5)
"""
    rng = np.random.default_rng(11)
    check_compiled(source, [rng.uniform(0.1, 0.9, 4), rng.standard_normal(4)])


def test_compiled_statistics_with_optional_arguments_left_out():
    source = """
def f(x):
    c = np.cov(x) + np.corrcoef(x, rowvar=False)[:2, :2] * np.linalg.cond(x[:, :2])
    return np.sum(c * np.nanstd(x, axis=1)) + np.median(np.diff(x)) + np.trapezoid(x[0])
"""
    check_compiled(source, [np.random.default_rng(12).standard_normal((2, 5))])


# ---------------------------------------------------------------- exact values


def _grad(expression, x):
    return ad.grad(function_from_source(f"def f(x):\n    return {expression}\n"))(np.array(x))


@pytest.mark.parametrize("expression, x, expected", [
    ("np.median(x)", [1.0, 3.0, 3.0, 2.0], [0.0, 0.25, 0.25, 0.5]),  # (2 + 3) / 2, the two 3s share
    ("np.quantile(x, 1.0)", [1.0, 3.0, 3.0, 2.0], [0.0, 0.5, 0.5, 0.0]),  # the maximum, ties split
    ("np.percentile(x, 50)", [4.0, 1.0, 2.0], [0.0, 0.0, 1.0]),
    ("np.nanmedian(x)", [np.nan, 1.0, 5.0, 2.0], [0.0, 0.0, 0.0, 1.0]),
    ("np.partition(x, 1)[1]", [3.0, 1.0, 2.0], [0.0, 0.0, 1.0]),
    ("np.sum(np.insert(x, [0, 0], 7.0) * np.arange(4.0))", [1.0, 2.0], [2.0, 3.0]),
    ("np.sum(np.delete(x, 1) * np.array([2.0, 3.0]))", [1.0, 2.0, 3.0], [2.0, 0.0, 3.0]),
    ("np.sum(np.resize(x, 5))", [1.0, 2.0], [3.0, 2.0]),
    ("np.sum(np.interp(x, [0.0, 1.0], [1.0, 3.0], left=-1.0))", [-1.0, 0.5, 2.0], [0.0, 2.0, 0.0]),
    ("np.sum(np.diff(x) ** 2)", [0.0, 1.0, 3.0], [-2.0, -2.0, 4.0]),
    ("np.sum(np.bincount(np.array([0, 2, 2]), x) * np.array([1.0, 10.0, 100.0]))", [1.0, 1.0, 1.0],
     [1.0, 100.0, 100.0]),
    ("np.sum(np.astype(x, int) * 1.0)", [1.5, 2.5], [0.0, 0.0]),
])
def test_exact_gradients(expression, x, expected):
    np.testing.assert_allclose(_grad(expression, x), expected, atol=1e-12)


def test_i0_slope_is_bessel_i1():
    from scipy.special import i1

    from adcompiler.rules.more_numpy import bessel_i1

    x = np.array([0.0, 1e-3, 0.7, -2.5, 12.0, 80.0, 600.0])
    np.testing.assert_allclose(bessel_i1(x), i1(x), rtol=1e-13)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("expression", [
    "np.quantile(x, 0.5, method='nearest')",
    "np.median(x, overwrite_input=True)",
    "np.percentile(x, 50, weights=np.ones(3), method='inverted_cdf')",
    "np.linalg.vector_norm(x, ord='fro')",
    "np.linalg.matrix_norm(np.outer(x, x), ord=3)",
    "np.interp(x, [0.0, 1.0], [1.0, 2.0], period=2.0)",
    "np.diff(x, prepend=x[0])",
    "np.vecdot(x, x, axes=[(0,), (0,), ()])",
])
def test_arguments_the_rules_do_not_handle_are_refused(expression):
    fn = function_from_source(f"def f(x):\n    return np.sum({expression})\n")
    with pytest.raises(ad.ADError):
        ad.grad(fn)(np.array([0.3, 0.5, 0.9]))


@pytest.mark.parametrize("expression", ["np.unique(x)", "np.union1d(x, x)", "np.histogram(x)[1]", "np.modf(x)[0]",
                                        "np.frexp(x)[0]", "np.divmod(x, 0.7)[1]",
                                        "np.imag(x + 1j * x ** 2)", "np.angle(x + 1j * x ** 2)"])
def test_functions_left_without_rules_stay_refused(expression):
    """Set functions and histograms return values of their input (a real gradient), the
    two-output ufuncs are mistyped by shape inference, and imag and angle have a gradient
    on complex values computed inside the function: no rules, so they are refused."""
    fn = function_from_source(f"def f(x):\n    return np.sum({expression})\n")
    with pytest.raises(ad.ADError):
        ad.grad(fn)(np.array([0.3, 0.5, 0.9]))


# ---------------------------------------------------------------- no derivative

NONDIFF = [
    "np.isin(x, [0.3])", "np.logical_xor(x, x > 0)", "np.iscomplex(x)", "np.isreal(x)", "np.isneginf(x)",
    "np.isposinf(x)", "np.spacing(x)", "np.gcd(np.astype(x * 10, int), 6)",
    "np.lcm(np.astype(x * 10, int), 4)", "np.bitwise_and(np.astype(x * 10, int), 3)",
    "np.bitwise_or(np.astype(x * 10, int), 3)", "np.bitwise_xor(np.astype(x * 10, int), 3)",
    "np.bitwise_count(np.astype(x * 10, int))", "np.invert(np.astype(x * 10, int))",
    "np.left_shift(np.astype(x * 10, int), 1)", "np.right_shift(np.astype(x * 10, int), 1)",
    "np.unpackbits(np.packbits(np.astype(x * 10, np.uint8)))",
]


@pytest.mark.parametrize("expression", NONDIFF)
def test_functions_without_derivative_give_zero_gradient(expression):
    fn = function_from_source(f"def f(x):\n    return np.sum({expression}) * 1.0 + np.sum(x)\n")
    np.testing.assert_array_equal(ad.grad(fn)(np.array([0.3, -1.2, 2.0])), np.ones(3))


@pytest.mark.parametrize("fn", [np.bartlett, np.blackman, np.hamming, np.hanning, np.mask_indices, np.einsum_path])
def test_functions_of_shapes_and_plans_are_declared_without_derivative(fn):
    assert is_nondiff(fn)
