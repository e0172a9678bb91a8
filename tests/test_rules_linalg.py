"""Rules of products and linear algebra against finite differences, from tables.

Inputs are small and well conditioned: "inv" matrices are random plus n times the
identity, "spd" matrices are b b^T + n I. Eigen- and singular vectors are compared
through functions that do not depend on their signs. Finite differences are central,
in float64, with steps of 1e-6 (see `rulecheck`); rows whose derivative would be wrong
by a transpose or a factor of two fail these tolerances by orders of magnitude.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.rules import rule_for

from .helpers import function_from_source
from .rulecheck import check_compiled, check_rule

try:
    import scipy.linalg as sl
except ImportError:  # pragma: no cover
    sl = None


# ---------------------------------------------------------------- inputs

def _make(spec, rng):
    """An argument from its spec: a shape, ("inv"|"spd"|"cho"|"cho_lower", n, *stack), or a literal."""
    if isinstance(spec, (str, int)):
        return spec
    if spec and spec[0] in ("inv", "spd", "cho", "cho_lower"):
        kind, n, *stack = spec
        b = rng.standard_normal((*stack, n, n))
        if kind == "inv":
            return b + n * np.eye(n)
        spd = b @ np.swapaxes(b, -1, -2) + n * np.eye(n)
        return spd if kind == "spd" else sl.cho_factor(spd, lower=kind == "cho_lower")
    return rng.standard_normal(spec)


def _inv(n, *stack):
    return ("inv", n, *stack)


def _spd(n, *stack):
    return ("spd", n, *stack)


# ---------------------------------------------------------------- rule level

RULE_ROWS = [
    # function, argument specs per case, keyword params
    (np.vdot, [[(3,), (3,)], [(2, 3), (6,)]], {}),
    (np.outer, [[(3,), (4,)], [(2, 2), (3,)]], {}),
    (np.inner, [[(3,), (3,)], [(2, 3), (4, 3)], [(2, 2, 3), (3,)], [(), (2, 3)], [(2, 3), ()]], {}),
    (np.tensordot, [[(2, 3, 4), (3, 4, 5)], [(3, 4), (3, 4)]], {}),
    (np.tensordot, [[(2, 3, 4), (4, 5)], [(3,), (3, 2)]], {"axes": 1}),
    (np.tensordot, [[(2, 3), (4,)]], {"axes": 0}),
    (np.tensordot, [[(2, 3, 4), (4, 2, 5)]], {"axes": ([0, 2], [1, 0])}),
    (np.tensordot, [[(3, 4), (4, 3)]], {"axes": ((1, 0), (0, 1))}),
    (np.tensordot, [[(3, 4), (2, 3)]], {"axes": (0, -1)}),
    (np.kron, [[(2, 3), (3, 2)], [(3,), (2, 2)], [(2,), (3,)], [(2, 1, 2), (2, 2)]], {}),
    (np.cross, [[(3,), (3,)], [(4, 3), (3,)], [(2, 1, 3), (4, 3)]], {}),
    (np.cross, [[(3, 4), (4, 3)]], {"axisa": 0}),
    (np.cross, [[(3, 2), (3, 2)]], {"axis": 0}),
    (np.cross, [[(2, 3), (3, 2)]], {"axisb": 0, "axisc": 0}),
    (np.linalg.det, [[_inv(2)], [_inv(3)], [_inv(3, 2)]], {}),
    (np.linalg.slogdet, [[_inv(3)], [_inv(3, 2)]], {}),
    (np.linalg.inv, [[_inv(2)], [_inv(3, 2)]], {}),
    (np.linalg.pinv, [[(4, 3)], [(3, 4)], [_inv(3)], [(2, 4, 3)]], {}),
    (np.linalg.solve, [[_inv(3), (3,)], [_inv(3), (3, 2)], [_inv(3, 2), (3,)], [_inv(3, 2), (2, 3, 2)],
                       [_inv(3), (2, 3, 2)], [_inv(3, 2), (3, 4)]], {}),
    (np.linalg.cholesky, [[_spd(2)], [_spd(3)], [_spd(3, 2)]], {}),
    (np.linalg.cholesky, [[_spd(3)], [_spd(3, 2)]], {"upper": True}),
    (np.linalg.qr, [[(3, 3)], [(4, 3)], [(4, 2)], [(2, 4, 3)]], {}),
    (np.linalg.qr, [[(4, 3)]], {"mode": "reduced"}),
    (np.linalg.eigh, [[_spd(2)], [_spd(4)], [_spd(3, 2)]], {}),
    (np.linalg.eigh, [[_spd(3)]], {"UPLO": "U"}),
    (np.linalg.eigvalsh, [[_spd(3)], [_spd(3, 2)]], {}),
    (np.linalg.eigvalsh, [[_spd(3)]], {"UPLO": "U"}),
    (np.linalg.svd, [[(3, 3)], [(4, 3)], [(3, 4)], [(2, 4, 3)]], {"full_matrices": False}),
    (np.linalg.svd, [[(3, 3)], [(2, 2, 2)]], {}),
    (np.linalg.svd, [[(3, 3)], [(4, 2)], [(2, 3, 4)]], {"compute_uv": False}),
    (np.linalg.matrix_power, [[_inv(3), 0], [_inv(3), 1], [_inv(3), 3], [_inv(2, 2), 4], [_inv(3), -1],
                              [_inv(3), -3]], {}),
    (np.linalg.lstsq, [[(4, 2), (4,)], [(4, 2), (4, 3)], [_inv(3), (3,)], [_inv(3), (3, 2)]], {}),
    (np.linalg.lstsq, [[(5, 3), (5,)]], {"rcond": None}),
]
if sl is not None:
    RULE_ROWS += [
        (sl.det, [[_inv(3)], [_inv(3, 2)]], {}),
        (sl.inv, [[_inv(3)], [_inv(3, 2)]], {}),
        (sl.expm, [[(2, 2)], [(3, 3)], [(2, 3, 3)]], {}),
        (sl.solve_triangular, [[_inv(3), (3,)], [_inv(3), (3, 2)], [_inv(3, 2), (3,)]], {}),
        (sl.solve_triangular, [[_inv(3), (3,)], [_inv(3), (3, 2)]], {"lower": True}),
        (sl.solve_triangular, [[_inv(3), (3, 2)]], {"trans": "T"}),
        (sl.solve_triangular, [[_inv(3), (3,)]], {"trans": 1, "lower": True}),
        (sl.solve_triangular, [[_inv(3), (3,)]], {"trans": 2}),
        (sl.solve_triangular, [[_inv(3), (3, 2)]], {"unit_diagonal": True, "lower": True}),
        (sl.solve_triangular, [[_inv(3), (3,)]], {"unit_diagonal": True, "trans": "T"}),
        (sl.cho_solve, [[("cho", 3), (3,)], [("cho_lower", 3), (3, 2)]], {}),
    ]


def _scaled(fn, args):
    """Keep expm's argument small, where its series is well conditioned."""
    return [0.5 * a for a in args] if sl is not None and fn is sl.expm else args


def _rule_cases():
    for fn, cases, params in RULE_ROWS:
        for specs in cases:
            name = getattr(fn, "__name__", fn)
            yield pytest.param(fn, specs, params, id=f"{name}-{specs}-{params}")


@pytest.mark.parametrize("fn, specs, params", list(_rule_cases()))
def test_vjp_and_jvp_agree(fn, specs, params):
    rng = np.random.default_rng(7)
    args = _scaled(fn, [_make(s, rng) for s in specs])
    check_rule(fn, args, params, rng)


def _check_linear_map(f, x, jvp, vjp, rng, rtol=1e-5, atol=1e-6):
    """The JVP `jvp(u)` of `f` at `x` against finite differences, and <v, Ju> == <J^T v, u>."""
    u = rng.standard_normal(np.shape(x))
    eps = 1e-6
    numeric = (np.asarray(f(x + eps * u)) - np.asarray(f(x - eps * u))) / (2 * eps)
    ju = np.broadcast_to(jvp(u), np.shape(numeric))
    np.testing.assert_allclose(ju, numeric, rtol=rtol, atol=atol)
    v = rng.standard_normal(np.shape(numeric))
    jtv = vjp(v)
    assert np.shape(jtv) == np.shape(x)
    assert np.isclose(np.sum(v * ju), np.sum(jtv * u), rtol=rtol, atol=atol)


# einsum is variadic: its rules are checked operand by operand (the generic harness
# walks every registered position).
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij,jk->ki", [(2, 2, 3), (3, 4)]),
    ("ij,j->", [(2, 3), (3,)]),
    ("i,i", [(3,), (3,)]),
    ("i,j,k->ijk", [(2,), (3,), (2,)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,jk", [(2, 2, 3), (3, 4)]),
    ("...i,...i", [(1, 3), (4, 3)]),
    ("i...,i...->...", [(3, 1), (3, 4)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("bA", [(2, 3)]),
    (" ij , jk -> ik ", [(2, 3), (3, 4)]),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 2), (2, 2), (2, 3)]),
    ("ij,jk,kl->", [(2, 3), (3, 2), (2, 2)]),
]


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_rules(subscripts, shapes):
    rng = np.random.default_rng(3)
    operands = [rng.standard_normal(s) for s in shapes]
    rule = rule_for(np.einsum)
    ans = np.einsum(subscripts, *operands)
    for i, x in enumerate(operands):
        def f(y, i=i):
            return np.einsum(subscripts, *operands[:i], y, *operands[i + 1:])
        _check_linear_map(f, x, lambda u: rule.jvps[i + 1](u, ans, subscripts, *operands),
                          lambda v: rule.vjps[i + 1](v, ans, subscripts, *operands), rng)


if sl is not None:
    @pytest.mark.parametrize("lower", [False, True])
    @pytest.mark.parametrize("rhs", [(3,), (3, 2)])
    def test_cho_solve_rule_for_the_factor(lower, rhs):
        rng = np.random.default_rng(5)
        c, _ = _make(("cho_lower" if lower else "cho", 3), rng)
        b = rng.standard_normal(rhs)
        rule = rule_for(sl.cho_solve)
        ans = sl.cho_solve((c, lower), b)
        _check_linear_map(lambda x: sl.cho_solve((x, lower), b), c,
                          lambda u: rule.jvps[0]((u, 0.0), ans, (c, lower), b),
                          lambda v: rule.vjps[0](v, ans, (c, lower), b)[0], rng)

    @pytest.mark.parametrize("lower", [False, True])
    def test_cho_factor_rule(lower):
        rng = np.random.default_rng(6)
        a = _make(_spd(3), rng)
        rule = rule_for(sl.cho_factor)
        ans = sl.cho_factor(a, lower=lower)
        _check_linear_map(lambda x: sl.cho_factor(x, lower=lower)[0], a,
                          lambda u: rule.jvps[0](u, ans, a, lower=lower)[0],
                          lambda v: rule.vjps[0]((v, None), ans, a, lower=lower), rng)

    def test_cho_factor_keeps_the_other_triangle_of_its_input():
        """The rule of cho_factor relies on this: SciPy leaves `a` in the unused triangle."""
        a = _make(_spd(3), np.random.default_rng(0))
        np.testing.assert_array_equal(np.tril(sl.cho_factor(a)[0], -1), np.tril(a, -1))
        np.testing.assert_array_equal(np.triu(sl.cho_factor(a, lower=True)[0], 1), np.triu(a, 1))


# ---------------------------------------------------------------- end to end

W = {"w1": np.linspace(-1.0, 1.0, 12).reshape(4, 3), "w2": np.linspace(0.5, 2.0, 9).reshape(3, 3),
     "w3": np.linspace(-2.0, 1.0, 9).reshape(3, 3), "w4": np.array([0.3, -1.2, 0.7])}
if sl is not None:
    W["sl"] = sl
    W["C"] = _make(("cho", 3), np.random.default_rng(4))

E2E_ROWS = [
    # body (arguments a, b), argument specs
    ("np.vdot(a, b)", [(2, 3), (6,)]),
    ("np.inner(a, b)", [(2, 3), (4, 3)]),
    ("np.outer(a, b)", [(3,), (2,)]),
    ("np.tensordot(a, b)", [(2, 3, 4), (3, 4, 2)]),
    ("np.tensordot(a, b, 1)", [(2, 3), (3, 2)]),
    ("np.tensordot(a, b, axes=[[0, 1], [1, 0]])", [(2, 3), (3, 2)]),
    ("np.tensordot(a, b, axes=([1], [0]))", [(2, 3), (3, 2)]),
    ("np.kron(a, b)", [(2, 2), (3, 2)]),
    ("np.cross(a, b)", [(3,), (2, 3)]),
    ("np.cross(a, b, axis=0)", [(3, 2), (3, 2)]),
    ("np.einsum('ij,jk->ik', a, b)", [(2, 3), (3, 2)]),
    ("np.einsum('ij,jk', a, b)", [(2, 3), (3, 2)]),
    ("np.einsum('ij,ij->', a, b)", [(2, 3), (2, 3)]),
    ("np.einsum('...ij,...jk->...ik', a, b)", [(2, 2, 3), (3, 2)]),
    ("np.einsum('ij,jk,kl->il', a, b, a)", [(2, 2), (2, 2)]),
    ("np.einsum('ij,jk,kl,li->', a, b, a, b)", [(2, 2), (2, 2)]),
    ("np.einsum('ii,ij->j', a, b, optimize=True)", [(3, 3), (3, 2)]),
    ("np.linalg.det(a)", [_inv(3)]),
    ("np.sum(np.linalg.det(a))", [_inv(3, 2)]),
    ("np.linalg.inv(a)", [_inv(3)]),
    ("np.linalg.inv(a) @ b", [_inv(3, 2), (3,)]),
    ("np.linalg.pinv(a)", [(4, 3)]),
    ("np.linalg.solve(a, b)", [_inv(3), (3,)]),
    ("np.linalg.solve(a, b)", [_inv(3), (3, 2)]),
    ("np.linalg.solve(a, b)", [_inv(3, 2), (2, 3, 2)]),
    ("np.linalg.cholesky(a)", [_spd(3)]),
    ("np.linalg.cholesky(a, upper=True)", [_spd(3)]),
    ("np.linalg.cholesky(a)", [_spd(3, 2)]),
    ("np.linalg.eigvalsh(a)", [_spd(3)]),
    ("np.linalg.eigvalsh(a, UPLO='U')", [_spd(3, 2)]),
    ("np.linalg.svd(a, compute_uv=False)", [(4, 3)]),
    ("np.linalg.matrix_power(a, 3)", [_inv(3)]),
    ("np.linalg.matrix_power(a, -2)", [_inv(3)]),
    ("np.linalg.matrix_power(a, n)", [_inv(3), 2]),
]
if sl is not None:
    E2E_ROWS += [
        ("sl.det(a)", [_inv(3)]),
        ("sl.inv(a)", [_inv(3)]),
        ("sl.expm(a)", [(3, 3)]),
        ("sl.solve_triangular(a, b)", [_inv(3), (3,)]),
        ("sl.solve_triangular(a, b, lower=True, trans='T')", [_inv(3), (3, 2)]),
        ("sl.solve_triangular(a, b, 1, True)", [_inv(3), (3,)]),
        ("sl.cho_solve(C, b)", [(3,)]),
    ]


def _e2e_cases():
    for body, specs in E2E_ROWS:
        yield pytest.param(body, specs, id=f"{body}-{specs}")


def _run_e2e(body, specs, seed=11):
    """Check `def f(<the names a, b, n the body uses>): return <body>` on arguments from `specs`."""
    rng = np.random.default_rng(seed)
    args = [_make(s, rng) for s in specs]
    if "expm" in body:
        args = [0.5 * x for x in args]
    names = [n for n in ("a", "b", "n") if re.search(rf"\b{n}\b", body)]
    check_compiled(f"def f({', '.join(names)}):\n    return {body}\n", args, namespace=W)


@pytest.mark.parametrize("body, specs", list(_e2e_cases()))
def test_compiled_gradient(body, specs):
    _run_e2e(body, specs)


@pytest.mark.parametrize("body", ["np.einsum('ii->', a)", "np.einsum('ij->j', a)", "np.einsum('ii', a)"])
def test_compiled_einsum_of_one_operand(body):
    _run_e2e(body, [(3, 3)])


# Functions returning tuples, through sign-invariant functions of their outputs.
TUPLE_SOURCES = [
    ("def f(a):\n    sign, logdet = np.linalg.slogdet(a)\n    return logdet\n", [_inv(3)]),
    ("def f(a):\n    sign, logdet = np.linalg.slogdet(a)\n    return np.sum(logdet * sign)\n", [_inv(3, 2)]),
    ("def f(a):\n    return np.linalg.slogdet(a)[1]\n", [_inv(3)]),
    ("def f(a):\n    q, r = np.linalg.qr(a)\n    return np.sum(q * w1) + np.sum(r * w2)\n", [(4, 3)]),
    ("def f(a):\n    q, r = np.linalg.qr(a)\n    return np.sum(r * w2)\n", [(3, 3)]),
    ("def f(a):\n    q, r = np.linalg.qr(a)\n    return np.sum(q * w1)\n", [(4, 3)]),
    ("def f(a):\n    w, v = np.linalg.eigh(a)\n    return np.sum(w * w4) + np.sum((v * w2) ** 2)\n", [_spd(3)]),
    ("def f(a):\n    w, v = np.linalg.eigh(a)\n    return np.sum((v * w2) ** 2)\n", [_spd(3)]),
    ("def f(a):\n    w, v = np.linalg.eigh(a, UPLO='U')\n    return np.sum(w * w4) + np.sum((v * w3) ** 2)\n",
     [_spd(3)]),
    ("def f(a):\n    w, v = np.linalg.eigh(a)\n    return np.sum(((v * w) @ v.T) * w2)\n", [_spd(3)]),
    ("def f(a):\n    u, s, vh = np.linalg.svd(a, full_matrices=False)\n"
     "    return np.sum((u * w1) ** 2) + np.sum(s * w4) + np.sum((vh * w2) ** 2)\n", [(4, 3)]),
    ("def f(a):\n    u, s, vh = np.linalg.svd(a, full_matrices=False)\n    return np.sum(((u * s) @ vh) * w1)\n",
     [(4, 3)]),
    ("def f(a):\n    u, s, vh = np.linalg.svd(a)\n    return np.sum((u * w2) ** 2) + np.sum((vh * w3) ** 2)\n",
     [(3, 3)]),
    ("def f(a):\n    u, s, vh = np.linalg.svd(a, full_matrices=False)\n    return np.sum((vh.T * w1) ** 2)\n",
     [(3, 4)]),
    ("def f(a, b):\n    x, res, rank, s = np.linalg.lstsq(a, b)\n    return np.sum(x * w4)\n", [(4, 3), (4,)]),
    ("def f(a, b):\n    x, res, rank, s = np.linalg.lstsq(a, b, rcond=None)\n"
     "    return np.sum(x * w2) + np.sum(res) + np.sum(s * w4)\n", [(5, 3), (5, 3)]),
    ("def f(a, b):\n    return np.sum(np.linalg.lstsq(a, b)[0] ** 2)\n", [_inv(3), (3,)]),
]
if sl is not None:
    TUPLE_SOURCES += [
        ("def f(a, b):\n    return sl.cho_solve(sl.cho_factor(a), b)\n", [_spd(3), (3,)]),
        ("def f(a, b):\n    return sl.cho_solve(sl.cho_factor(a, lower=True), b)\n", [_spd(3), (3, 2)]),
        ("def f(a, b):\n    c = sl.cho_factor(a)\n    return np.sum(sl.cho_solve(c, b) * w4)\n", [_spd(3), (3,)]),
        ("def f(a, b):\n    return sl.cho_solve((a, True), b)\n", [("inv", 3), (3,)]),
    ]


@pytest.mark.parametrize("source, specs", TUPLE_SOURCES, ids=[s.splitlines()[1].strip() for s, _ in TUPLE_SOURCES])
def test_compiled_gradient_of_tuple_results(source, specs):
    rng = np.random.default_rng(13)
    check_compiled(source, [_make(s, rng) for s in specs], namespace=W)


# ---------------------------------------------------------------- conventions and refusals

def test_cholesky_gradient_lives_on_the_lower_triangle():
    """NumPy reads the lower triangle only: the gradient is zero on the strict upper one."""
    a = _make(_spd(3), np.random.default_rng(1))
    fn = function_from_source("def f(a):\n    return np.sum(np.linalg.cholesky(a) * w2)\n", namespace=W)
    grad = ad.grad(fn)(a)
    np.testing.assert_array_equal(np.triu(grad, 1), 0.0)
    fn_upper = function_from_source("def f(a):\n    return np.sum(np.linalg.cholesky(a, upper=True) * w2)\n",
                                    namespace=W)
    np.testing.assert_array_equal(np.tril(ad.grad(fn_upper)(a), -1), 0.0)


def test_cholesky_of_a_symmetrised_matrix():
    """Symmetric perturbations: through s = b + b.T the chain rule gives the symmetric gradient."""
    rng = np.random.default_rng(2)
    b = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    check_compiled("def f(b):\n    s = b + b.T\n    return np.sum(np.linalg.cholesky(s) * w2)\n", [b], namespace=W)
    check_compiled("def f(b):\n    s = b + b.T\n    w, v = np.linalg.eigh(s)\n    return np.sum(w * w4)\n",
                   [b], namespace=W)


def test_slogdet_sign_has_zero_gradient():
    fn = function_from_source("def f(a):\n    sign, logdet = np.linalg.slogdet(a)\n    return np.sum(sign)\n")
    np.testing.assert_array_equal(ad.grad(fn)(_make(_inv(3), np.random.default_rng(0))), 0.0)


def _grad_of(body, *args, namespace=None):
    names = ", ".join("ab"[: len(args)])
    fn = function_from_source(f"def f({names}):\n    return np.sum({body})\n", namespace=namespace)
    return ad.grad(fn, wrt=tuple(range(len(args))))(*args)


@pytest.mark.parametrize("body", [
    "np.einsum('ij,jk,kl,lm,mn->in', a, a, a, a, a)",  # more operands than rules
    "np.einsum(a, [0, 1], b, [1, 2])",  # the interleaved form
    "np.einsum(w2, [0, 1], a, [1, 2])",
    "np.linalg.qr(a, mode='complete')[0]",
    "np.linalg.qr(a, 'r')",
    "np.linalg.svd(a, hermitian=True)[1]",
    "np.linalg.svd(a, compute_uv=False)[0]",
    "np.linalg.eigh(a, UPLO='X')[0]",
])
def test_refused_at_compile_time(body):
    a = np.eye(3) + 0.1
    with pytest.raises(ad.ADError):
        _grad_of(body, a, a, namespace=W)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors are deprecated")
@pytest.mark.parametrize("body, args", [
    ("np.linalg.svd(a)[0] ** 2", [np.ones((3, 2)) + np.eye(3, 2)]),  # full_matrices=True, not square
    ("np.cross(a, b)", [np.ones(2), np.arange(2.0)]),  # 2-vectors
])
def test_refused_at_run_time(body, args):
    with pytest.raises(ad.ADError):
        _grad_of(body, *args)


def test_einsum_refuses_more_operands_than_it_has_rules():
    rule = rule_for(np.einsum)
    x = np.ones((2, 2))
    with pytest.raises(ad.ADError):
        rule.vjps[1](x, x, "ij,jk,kl,lm,mn->in", x, x, x, x, x)


def test_tolerances_catch_small_mistakes():
    """The checks above are meaningful: a missing transpose, or a JVP off by 0.1%, fails them."""
    from adcompiler.rules import defjvp, defvjp

    def det_with_mistakes(a):
        return np.linalg.det(a)

    a = _make(_inv(3), np.random.default_rng(8))
    defvjp(det_with_mistakes, lambda g, ans, a: g * ans * np.linalg.inv(a))  # transpose missing
    defjvp(det_with_mistakes, lambda t, ans, a: ans * np.trace(np.linalg.solve(a, t)))
    with pytest.raises(AssertionError):
        check_rule(det_with_mistakes, [a])
    defvjp(det_with_mistakes, lambda g, ans, a: g * ans * np.linalg.inv(a).T)
    defjvp(det_with_mistakes, lambda t, ans, a: 1.001 * ans * np.trace(np.linalg.solve(a, t)))
    with pytest.raises(AssertionError):
        check_rule(det_with_mistakes, [a])


@pytest.mark.parametrize("a", [
    np.array([[1.0, 2.0], [2.0, 4.0]]),
    np.outer([1.0, -2.0, 0.5], [0.3, 1.0, 2.0]),
    np.zeros((3, 3)),
    np.stack([np.eye(2), np.array([[1.0, 1.0], [1.0, 1.0]])]),
], ids=["rank 1 of 2", "rank 1 of 3", "zero", "a stack with a singular matrix"])
def test_det_at_singular_matrices(a):
    """The slope of det is the cofactor matrix, which exists where the inverse does not."""
    f = function_from_source("def f(a):\n    return np.sum(np.linalg.det(a) * 1.5)\n")
    ad.check_grads(f, a)
    check_rule(np.linalg.det, [a])
