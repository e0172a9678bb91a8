"""The reduction and scan rules (`rules/reductions.py`), from a table.

One row per call: how the function is spelled, its argument cases, its keyword
parameters and the domain of the random inputs. An argument case lists, per positional
argument, a shape (a random float input; "float" is a Python float, `()` a 0-d array),
`Fixed(array)` (a given float input, e.g. with zeros or ties), or `Lit("text")` (a
constant written into the source, e.g. an axis or an index list). Each row is checked
at rule level (`check_rule`: JVP against finite differences and against the VJP) and
end to end through the compiler (`check_compiled`). Adding a rule means adding a row.

The table machinery at the top is shared with `test_rules_shapes.py`.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pytest

import adcompiler as ad

from .helpers import function_from_source, make_input
from .rulecheck import check_compiled, check_rule

# ---------------------------------------------------------------- table machinery (shared)


@dataclass(frozen=True)
class Lit:
    """A constant argument, written into the source as `text`."""

    text: str

    @property
    def value(self):
        return eval(self.text, {"np": np})  # noqa: S307 - test literals only


@dataclass(frozen=True)
class Fixed:
    """A differentiated argument with given entries (zeros, ties, NaN)."""

    value: np.ndarray

    def __repr__(self) -> str:
        return f"Fixed({np.array2string(self.value, separator=',')})"


@dataclass(frozen=True)
class Seq:
    """A tuple (or list) argument whose items are argument specs."""

    items: tuple
    kind: type = tuple

    def __init__(self, *items, kind=tuple):
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "kind", kind)


def build_args(specs, rng, domain):
    """The rule-level arguments of one case, and the differentiated inputs in order."""
    inputs = []

    def build(spec):
        if isinstance(spec, Lit):
            return spec.value
        if isinstance(spec, Seq):
            return spec.kind(build(s) for s in spec.items)
        value = spec.value.copy() if isinstance(spec, Fixed) else make_input(spec, rng, domain)
        inputs.append(value)
        return value

    return [build(s) for s in specs], inputs


def call_source(spelling, specs, params) -> tuple[str, int]:
    """`def f(x, y, ...): return spelling(...)`, and how many inputs it takes."""
    names = iter("xyzuvw")
    used = []

    def spell(spec):
        if isinstance(spec, Lit):
            return spec.text
        if isinstance(spec, Seq):
            items = ", ".join(spell(s) for s in spec.items)
            return f"[{items}]" if spec.kind is list else f"({items}{',' if len(spec.items) == 1 else ''})"
        used.append(next(names))
        return used[-1]

    arguments = [spell(s) for s in specs] + [f"{k}={_spell_literal(v)}" for k, v in params.items()]
    return f"def f({', '.join(used)}):\n    return {spelling}({', '.join(arguments)})\n", len(used)


def _spell_literal(value) -> str:
    if isinstance(value, float) and np.isinf(value):
        return "np.inf" if value > 0 else "-np.inf"
    return repr(value)


def table_cases(rows):
    for spelling, cases, params, domain in rows:
        for specs in cases:
            yield pytest.param(spelling, specs, params, domain, id=f"{spelling}-{specs}-{params}")


def seed_of(*parts) -> int:
    return zlib.crc32(repr(parts).encode())


def evaluate(spelling):
    return eval(spelling, {"np": np})  # noqa: S307 - spellings from the tables


# ---------------------------------------------------------------- the table

SHAPES_1D_3D = [((4,),), ((2, 3),), ((2, 3, 4),)]
SCALARS = [("float",), ((),)]
ONE_ZERO = Fixed(np.array([[1.5, 0.0, 2.0, -0.5], [0.7, 1.2, -2.0, 0.9]]))
TWO_ZEROS = Fixed(np.array([[1.5, 0.0, 2.0, 0.0], [0.0, 1.2, -2.0, 0.9]]))
ZEROS_3D = Fixed(np.array([[[0.5, 0.0], [1.5, 2.0]], [[0.0, 0.0], [-1.0, 3.0]]]))
TIES = Fixed(np.array([[1.0, 3.0, 3.0, 2.0], [-1.0, -1.0, 0.5, -1.0]]))
WITH_NAN = Fixed(np.array([[1.0, np.nan, 2.0, -0.5], [0.3, 1.2, np.nan, np.nan]]))
WEIGHTS = (3,)  # random positive weights, for an axis of length 3

ROWS = [
    # spelling, argument cases, keyword parameters, domain
    ("np.sum", SHAPES_1D_3D, {"axis": -1}, "real"),
    ("np.sum", [((2, 3, 4),)], {"axis": (-1, 0)}, "real"),
    ("np.sum", [((2, 3, 4),)], {"axis": (0, -2), "keepdims": True}, "real"),
    ("np.mean", [((2, 3),), ((2, 3, 4),)], {"axis": -2}, "real"),
    ("np.mean", [((2, 3, 4),)], {"axis": (2, -3), "keepdims": True}, "real"),
    ("np.prod", SCALARS + SHAPES_1D_3D, {}, "positive"),
    ("np.prod", SHAPES_1D_3D, {"axis": -1}, "real"),
    ("np.prod", [((2, 3, 4),)], {"axis": (0, 2)}, "real"),
    ("np.prod", [((2, 3, 4),)], {"axis": 1, "keepdims": True}, "real"),
    ("np.prod", [(ONE_ZERO,), (TWO_ZEROS,), (ZEROS_3D,)], {}, "real"),
    ("np.prod", [(ONE_ZERO,), (TWO_ZEROS,)], {"axis": 1}, "real"),
    ("np.prod", [(ONE_ZERO,), (TWO_ZEROS,)], {"axis": 0, "keepdims": True}, "real"),
    ("np.prod", [(ZEROS_3D,)], {"axis": (0, -1)}, "real"),
    ("np.nanprod", [(WITH_NAN,)], {"axis": 1}, "real"),
    ("np.nanprod", [(WITH_NAN,)], {}, "real"),
    ("np.max", SCALARS + SHAPES_1D_3D, {}, "real"),
    ("np.max", SHAPES_1D_3D, {"axis": -1}, "real"),
    ("np.max", [((2, 3, 4),)], {"axis": (0, 2), "keepdims": True}, "real"),
    ("np.min", SHAPES_1D_3D, {"axis": 0}, "real"),
    ("np.amax", [((2, 3, 4),)], {"axis": -2, "keepdims": True}, "real"),
    ("np.amin", [((2, 3, 4),)], {"axis": (1, 2)}, "real"),
    ("np.max", [(TIES,)], {"axis": 1}, "real"),
    ("np.nanmax", [(WITH_NAN,)], {"axis": 1}, "real"),
    ("np.nanmin", [(WITH_NAN,)], {}, "real"),
    ("np.ptp", SHAPES_1D_3D, {}, "real"),
    ("np.ptp", [((2, 3, 4),)], {"axis": (0, -1), "keepdims": True}, "real"),
    ("np.var", SCALARS + SHAPES_1D_3D, {}, "real"),
    ("np.var", [((2, 3, 4),)], {"axis": -1, "ddof": 1}, "real"),
    ("np.var", [((2, 3, 4),)], {"axis": (0, 2), "keepdims": True}, "real"),
    ("np.std", SHAPES_1D_3D, {}, "real"),
    ("np.std", [((2, 3, 4),)], {"axis": 1, "ddof": 1, "keepdims": True}, "real"),
    ("np.std", [((2, 3, 4),)], {"axis": (-1, 0)}, "real"),
    ("np.average", [((2, 3), Lit("None"), Lit("None")), ((2, 3, 4), Lit("None"), Lit("None"))], {}, "positive"),
    ("np.average", [((2, 3), Lit("None"), (2, 3)), ((2, 3, 4), Lit("1"), WEIGHTS)], {}, "positive"),
    ("np.average", [((2, 3, 4), Lit("-2"), WEIGHTS), ((2, 3), Lit("(0, 1)"), (2, 3))], {}, "positive"),
    ("np.average", [((2, 3, 4), Lit("1"), WEIGHTS), ((2, 3, 4), Lit("None"), (2, 3, 4))], {"keepdims": True},
     "positive"),
    ("np.average", [((2, 3, 4), Lit("1"), Lit("None"))], {}, "real"),
    ("np.cumsum", SCALARS + SHAPES_1D_3D, {}, "real"),
    ("np.cumsum", SHAPES_1D_3D, {"axis": -1}, "real"),
    ("np.cumsum", [((2, 3, 4),)], {"axis": 1}, "real"),
    ("np.cumprod", SCALARS + SHAPES_1D_3D, {}, "real"),
    ("np.cumprod", SHAPES_1D_3D, {"axis": -1}, "real"),
    ("np.cumprod", [((2, 3, 4),)], {"axis": 0}, "real"),
    ("np.cumprod", [(ONE_ZERO,), (TWO_ZEROS,), (ZEROS_3D,)], {}, "real"),
    ("np.cumprod", [(ONE_ZERO,), (TWO_ZEROS,)], {"axis": 1}, "real"),
    ("np.cumprod", [(ONE_ZERO,), (TWO_ZEROS,), (ZEROS_3D,)], {"axis": 0}, "real"),
    ("np.nansum", [(WITH_NAN,)], {}, "real"),
    ("np.nansum", [(WITH_NAN,)], {"axis": 1, "keepdims": True}, "real"),
    ("np.nanmean", [(WITH_NAN,)], {}, "real"),
    ("np.nanmean", [(WITH_NAN,)], {"axis": -1}, "real"),
    ("np.linalg.norm", SCALARS + SHAPES_1D_3D, {}, "real"),
    ("np.linalg.norm", [((2, 3, 4),)], {"axis": -1}, "real"),
    ("np.linalg.norm", [((2, 3, 4),)], {"axis": (0, 2), "keepdims": True}, "real"),
    ("np.linalg.norm", [((4,),), ((2, 3),)], {"ord": 2}, "real"),
    ("np.linalg.norm", [((4,),), ((2, 3),)], {"ord": 1}, "real"),
    ("np.linalg.norm", [((4,),), ((2, 3),)], {"ord": float("inf")}, "real"),
    ("np.linalg.norm", [((4,),), ((2, 3),)], {"ord": float("-inf")}, "real"),
    ("np.linalg.norm", [((3, 2),)], {"ord": -1}, "real"),
    ("np.linalg.norm", [((3, 2),)], {"ord": -2}, "real"),
    ("np.linalg.norm", [((3, 2),), ((2, 3),)], {"ord": "fro"}, "real"),
    ("np.linalg.norm", [((3, 2),), ((2, 3),)], {"ord": "nuc"}, "real"),
    ("np.linalg.norm", [((4,),)], {"ord": 3}, "real"),
    ("np.linalg.norm", [((4,),)], {"ord": 0.5}, "positive"),
    ("np.linalg.norm", [((2, 3, 4),)], {"ord": 1, "axis": 1}, "real"),
    ("np.linalg.norm", [((2, 3, 4),)], {"ord": float("inf"), "axis": -1, "keepdims": True}, "real"),
    ("np.linalg.norm", [((2, 3, 4),)], {"ord": 2, "axis": (2, 0)}, "real"),
    ("np.linalg.norm", [((2, 3, 4),)], {"ord": "nuc", "axis": (1, 2), "keepdims": True}, "real"),
    ("np.linalg.norm", [((2, 3, 4),)], {"ord": -1, "axis": (0, 1)}, "real"),
    ("np.linalg.norm", [((2, 3, 4),)], {"ord": float("inf"), "axis": (2, 1)}, "real"),
]


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(ROWS)))
def test_rule_jvp_and_vjp(spelling, specs, params, domain):
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    args, _ = build_args(specs, rng, domain)
    check_rule(evaluate(spelling), args, params, rng)


@pytest.mark.parametrize("spelling, specs, params, domain", list(table_cases(ROWS)))
def test_compiled_gradient(spelling, specs, params, domain):
    rng = np.random.default_rng(seed_of(spelling, specs, params))
    _, inputs = build_args(specs, rng, domain)
    source, _ = call_source(spelling, specs, params)
    check_compiled(source, inputs)


# ---------------------------------------------------------------- exact values: zeros and ties


def _grad(expression, x, **namespace):
    return ad.grad(function_from_source(f"def f(x):\n    return {expression}\n", namespace=namespace))(x)


def _products_without_each(row):
    return np.array([np.prod(np.delete(row, j)) for j in range(len(row))])


@pytest.mark.parametrize("row, expected", [
    ([1.5, 0.0, 2.0, -0.5], [0.0, -1.5, 0.0, 0.0]),  # one zero: only the zero's neighbours' product
    ([1.5, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]),  # two zeros: every product of the others holds a zero
    ([0.0, 2.0, 3.0], [6.0, 0.0, 0.0]),
])
def test_prod_with_zeros_is_exact(row, expected):
    x = np.array(row)
    np.testing.assert_array_equal(_grad("np.prod(x)", x), expected)
    np.testing.assert_array_equal(_grad("np.sum(np.prod(x[None], axis=1))", x), expected)


def test_prod_along_axes_matches_products_of_the_others():
    x = TWO_ZEROS.value
    expected = np.array([_products_without_each(r) for r in x])
    np.testing.assert_array_equal(_grad("np.sum(np.prod(x, axis=-1))", x), expected)
    expected_columns = np.array([_products_without_each(c) for c in x.T]).T
    np.testing.assert_array_equal(_grad("np.sum(np.prod(x, axis=0))", x), expected_columns)


def _cumprod_gradient_by_definition(x, g):
    """sum over i >= j of g[i] * prod(x[:i + 1] without x[j]), term by term."""
    n = len(x)
    return np.array([sum(g[i] * np.prod(np.delete(x[: i + 1], j)) for i in range(j, n)) for j in range(n)])


@pytest.mark.parametrize("row", [
    [1.5, 0.0, 2.0, -0.5, 3.0], [1.5, 0.0, 2.0, 0.0, 3.0], [0.0, 2.0, 0.0, 0.5], [0.5, 2.0, 1.5, 0.0],
    [0.0, 0.0, 0.0], [1.5, -2.0, 0.5],
])
def test_cumprod_with_zeros_is_exact(row):
    x = np.array(row)
    g = np.arange(1.0, len(x) + 1)
    got = ad.vjp(function_from_source("def f(x):\n    return np.cumprod(x)\n"))(x)[1](g)
    np.testing.assert_allclose(got, _cumprod_gradient_by_definition(x, g), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("expression, x, expected", [
    ("np.max(x)", [1.0, 3.0, 3.0, 2.0], [0.0, 0.5, 0.5, 0.0]),
    ("np.amax(x)", [3.0, 3.0, 3.0], [1 / 3, 1 / 3, 1 / 3]),
    ("np.min(x)", [-1.0, 2.0, -1.0], [0.5, 0.0, 0.5]),
    ("np.amin(x)", [-1.0, 2.0, 0.0], [1.0, 0.0, 0.0]),
    ("np.sum(np.max(x, axis=1))", [[1.0, 3.0, 3.0, 2.0], [-1.0, -1.0, 0.5, -1.0]],
     [[0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0]]),
    ("np.sum(np.min(x, axis=1, keepdims=True))", [[1.0, 3.0, 3.0, 2.0], [-1.0, -1.0, 0.5, -1.0]],
     [[1.0, 0.0, 0.0, 0.0], [1 / 3, 1 / 3, 0.0, 1 / 3]]),
    ("np.ptp(x)", [1.0, 3.0, 3.0, 1.0, 2.0], [-0.5, 0.5, 0.5, -0.5, 0.0]),
    ("np.ptp(x)", [2.0, 2.0], [0.0, 0.0]),
    ("np.nanmax(x)", [1.0, np.nan, 1.0], [0.5, 0.0, 0.5]),
    ("np.linalg.norm(x, np.inf)", [-2.0, 1.0, 2.0], [-0.5, 0.0, 0.5]),
    ("np.linalg.norm(x, 1)", [[1.0, -2.0], [-3.0, 2.0]], [[0.5, -0.5], [-0.5, 0.5]]),  # tied column sums
])
def test_tied_extrema_share_the_gradient_equally(expression, x, expected):
    np.testing.assert_allclose(_grad(expression, np.array(x)), expected, rtol=1e-12)


def test_nan_entries_get_no_gradient():
    x = WITH_NAN.value
    present = ~np.isnan(x)
    np.testing.assert_array_equal(_grad("np.nansum(x)", x), present * 1.0)
    np.testing.assert_allclose(_grad("np.sum(np.nanmean(x, axis=1))", x), present / present.sum(1, keepdims=True))


def test_average_weights_are_differentiated_too():
    rng = np.random.default_rng(5)
    a, w = rng.standard_normal((2, 3)), rng.uniform(0.5, 1.5, 3)
    fn = function_from_source("def f(a, w):\n    return np.sum(np.average(a, axis=1, weights=w) ** 2)\n")
    ad.check_grads(fn, a, w, wrt=(0, 1))
    _, gw = ad.grad(fn, wrt=(0, 1))(a, w)
    assert gw.shape == w.shape


def test_var_and_std_with_ddof_match_their_definitions():
    x = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])
    got = _grad("np.sum(np.var(x, axis=1, ddof=1))", x)
    np.testing.assert_allclose(got, 2 * (x - x.mean(1, keepdims=True)) / 2)


# ---------------------------------------------------------------- refusals: never a wrong gradient


@pytest.mark.parametrize("expression", [
    "np.linalg.norm(x, 0)",
    "np.linalg.norm(x, ord=0)",
])
def test_unsupported_norm_order_is_refused(expression):
    fn = function_from_source(f"def f(x):\n    return {expression}\n")
    with pytest.raises(ad.UnsupportedArgumentError, match="ord=0"):
        ad.grad(fn)


@pytest.mark.parametrize("expression", [
    "np.max(x, initial=0.0)",
    "np.var(x, correction=1)",
    "np.average(x, returned=True)[0]",
    "np.cumsum(x, dtype=np.float32)[0]",
    "np.sum(np.linalg.norm(x, axis=0, keepdims=np.size(x) > 1))",
])
def test_keywords_the_rules_do_not_handle_are_refused(expression):
    fn = function_from_source(f"def f(x):\n    return {expression}\n")
    with pytest.raises(ad.UnsupportedArgumentError):
        ad.grad(fn)


def test_norm_of_a_matrix_with_a_vector_only_order_fails_in_numpy_not_silently():
    fn = function_from_source("def f(x):\n    return np.linalg.norm(x, 3)\n")
    with pytest.raises(ValueError):
        ad.grad(fn)(np.ones((2, 2)))


# ---------------------------------------------------------------- the generated code reads like the maths


def test_generated_code_names_its_helpers():
    fn = function_from_source("def f(x):\n    return np.prod(x, axis=1) + np.cumprod(x, 1)[:, 0]\n")
    source = ad.vjp(fn).source
    assert "product_of_others(x, 1)" in source
    assert "cumprod_adjoint(" in source


def test_whole_programs_mixing_reductions():
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((3, 4)), rng.uniform(0.5, 1.5, 4)
    source = """
def f(x, w):
    centred = x - np.mean(x, axis=-1, keepdims=True)
    scale = np.std(x, axis=1, ddof=1, keepdims=True)
    z = centred / scale
    top = np.max(z, axis=0)
    return np.average(top, weights=w) + np.linalg.norm(np.cumsum(z, axis=1), 'fro') * np.prod(w)
"""
    check_compiled(source, [x, w])

