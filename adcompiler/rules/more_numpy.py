"""Derivative rules of the NumPy functions beyond the core modules: array-API spellings
(`np.linalg.matmul`, `np.vecdot`, `np.cumulative_sum`, ...), condition numbers and
tensor inverses, NaN-ignoring scans and moments, conversions, differences, insertions
and selections, covariance, integrals, convolutions and polynomials, interpolation and
order statistics; and the integer, bitwise and window functions, which carry no gradient.

Conventions worth knowing:
- Functions that copy entries of an array into a new one (`np.insert`, `np.delete`,
  `np.resize`) are differentiated by labelling: the function is applied to the flat
  positions 1, 2, ... of its argument, which says where each output entry came from
  (0: from elsewhere), and the cotangent is summed back by position.
- Order statistics (`np.median`, `np.quantile`, `np.percentile` and their NaN-ignoring
  forms, 'linear' interpolation only) send the gradient to the entries equal to the
  sorted values they interpolate; entries tied at such a value share it equally, as
  for `np.max`. `np.partition` is a permutation, differentiated like `np.sort`.
- `np.unwrap` adds multiples of the period at jumps: its derivative is the identity.
- `np.modf`, `np.frexp` and `np.divmod` are left without rules: they are ufuncs with two
  outputs, which the compiler's shape inference takes for one array.
- Set functions (`np.unique`, `np.union1d`, ...) and histograms return values taken
  from their input: they are left without a rule (refused) rather than declared
  non-differentiable, which would silently drop a real gradient.
"""
from __future__ import annotations

import math

import numpy as np

from .. import runtime
from ..errors import UnsupportedArgumentError
from ..tracing import recordable
from .linalg import _singular_values_jvp, _singular_values_vjp
from .reductions import cumprod_adjoint, cumprod_tangent, norm_gradient
from .registry import defjvp, defvjp, nondiff, rule_for
from .shapes import diagonal_adjoint, take_adjoint

unbroadcast = recordable(runtime.unbroadcast)
zeros_like_input = recordable(runtime.zeros_like_input)

# ---------------------------------------------------------------- shared pieces


def _restore(g, axis, keepdims):
    """`g`, the cotangent of a reduction over `axis`, with the reduced axes back (of length
    one), so that it broadcasts against the reduced array."""
    return np.expand_dims(g, axis) if axis is not None and not keepdims else g


def _per_item(pieces, arrays):
    """Cotangents of the items of a sequence argument: one Python item each when their
    number is known now, else `pieces` itself, a tuple built at run time."""
    if isinstance(arrays, (tuple, list)):
        return tuple(pieces[i] for i in range(len(arrays)))
    return pieces


def _zeros_for_none(tangents):
    """The tangents of a sequence's items, 0.0 (which broadcasts) where an item has none."""
    if isinstance(tangents, (tuple, list)):
        return tuple(0.0 if t is None else t for t in tangents)
    return tangents


def _item_or_zeros(g, k, x):
    """Item `k` of a tuple cotangent `g`, or zeros like `x` where that output got none."""
    gk = g[k] if k < len(g) else None
    return zeros_like_input(x) if gk is None else gk


def _along(ndim, axis, index):
    """An index tuple that applies `index` along `axis` of an array of `ndim` dimensions."""
    return (slice(None),) * (axis % ndim) + (index,)


def _keeps_float(dtype) -> bool:
    return dtype is None or np.issubdtype(np.dtype(dtype), np.floating)


def _refuse(message, hint=None):
    raise UnsupportedArgumentError(message, None, hint)


# ================================================================ array-API spellings


def _same_rules(new, old):
    """Register `new`, another spelling of `old` (a distinct object, the same maths), with the rules of `old`."""
    rule = rule_for(old)
    defvjp(new, *rule.vjps, params=tuple(rule.params), unbroadcast=rule.unbroadcast, outputs=rule.outputs)
    defjvp(new, *rule.jvps)


for _new, _old in ((np.linalg.matmul, np.matmul), (np.linalg.outer, np.outer), (np.linalg.tensordot, np.tensordot),
                   (np.linalg.cross, np.cross), (np.asanyarray, np.asarray), (np.asarray_chkfinite, np.asarray)):
    _same_rules(_new, _old)
if getattr(np, "row_stack", None) is not None:  # deprecated since NumPy 2.0: np.vstack
    _same_rules(np.row_stack, np.vstack)

for transpose in (np.matrix_transpose, np.linalg.matrix_transpose):
    defvjp(transpose, lambda g, ans, x: np.matrix_transpose(g))
    defjvp(transpose, lambda t, ans, x: np.matrix_transpose(t))

# np.linalg.diagonal and np.linalg.trace read the last two axes
defvjp(np.linalg.diagonal, lambda g, ans, x, offset=0: diagonal_adjoint(g, x, offset, -2, -1), params=("offset",))
defjvp(np.linalg.diagonal, lambda t, ans, x, offset=0: np.linalg.diagonal(t, offset=offset))
defvjp(np.linalg.trace, lambda g, ans, x, offset=0: diagonal_adjoint(np.expand_dims(g, -1), x, offset, -2, -1),
       params=("offset",))
defjvp(np.linalg.trace, lambda t, ans, x, offset=0: np.linalg.trace(t, offset=offset))

# ---------------------------------------------------------------- vector products (batched, broadcasting)


@recordable
def vecdot_adjoint(g, x, other, axis=-1):
    """The adjoint of `x` in `np.vecdot(x, other, axis=axis)` (real arrays): `g` times the
    other vector, summed back to the shape of `x`."""
    here, there = axis % np.ndim(x) - np.ndim(x), axis % np.ndim(other) - np.ndim(other)
    return runtime.unbroadcast(np.expand_dims(g, here) * np.moveaxis(other, there, here), np.asarray(x))


for vecdot in (np.vecdot, np.linalg.vecdot):
    defvjp(vecdot, lambda g, ans, x1, x2, axis=-1: vecdot_adjoint(g, x1, x2, axis),
           lambda g, ans, x1, x2, axis=-1: vecdot_adjoint(g, x2, x1, axis), params=("axis",))
    defjvp(vecdot, lambda t, ans, x1, x2, axis=-1: np.vecdot(t, x2, axis=axis),
           lambda t, ans, x1, x2, axis=-1: np.vecdot(x1, t, axis=axis))

# matvec(a, x)[..., i] = sum_j a[..., i, j] x[..., j];  vecmat(x, a)[..., j] = sum_i x[..., i] a[..., i, j]
defvjp(np.matvec, lambda g, ans, a, x: unbroadcast(np.expand_dims(g, -1) * np.expand_dims(x, -2), a),
       lambda g, ans, a, x: unbroadcast(np.vecmat(g, a), x))
defjvp(np.matvec, lambda t, ans, a, x: np.matvec(t, x), lambda t, ans, a, x: np.matvec(a, t))
defvjp(np.vecmat, lambda g, ans, x, a: unbroadcast(np.matvec(a, g), x),
       lambda g, ans, x, a: unbroadcast(np.expand_dims(x, -1) * np.expand_dims(g, -2), a))
defjvp(np.vecmat, lambda t, ans, x, a: np.vecmat(t, a), lambda t, ans, x, a: np.vecmat(x, t))

# ---------------------------------------------------------------- norms and singular values


def _vector_slope(v, ord):
    """d ||v||_ord / dv, for the vectors along the last axis of `v`."""
    if ord == 2:
        return v / np.linalg.norm(v, axis=-1, keepdims=True)
    if ord == 1:
        return np.sign(v)
    if ord == 0:  # a count of nonzero entries
        return np.zeros_like(v)
    if ord in (np.inf, -np.inf):  # the largest (smallest) magnitude; ties share
        size = np.abs(v)
        hits = size == (np.max if ord > 0 else np.min)(size, axis=-1, keepdims=True)
        return np.sign(v) * hits / np.sum(hits, axis=-1, keepdims=True)
    norm = np.linalg.norm(v, ord=ord, axis=-1, keepdims=True)
    return np.sign(v) * (np.abs(v) / norm) ** (ord - 1)


@recordable
def vector_norm_slope(x, ord, axis):
    """d vector_norm / dx for `np.linalg.vector_norm(x, axis=axis, ord=ord)`: the vectors
    are the entries over `axis`, all entries of `x` when it is None."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in np.atleast_1d(axis))
    last = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, last)
    slope = _vector_slope(moved.reshape(moved.shape[: x.ndim - len(axes)] + (-1,)), ord)
    return np.moveaxis(slope.reshape(moved.shape), last, axes)


def _check_vector_ord(ord):
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        _refuse(f"the derivative of `np.linalg.vector_norm` is not implemented for ord={ord!r}",
                "Use a number, np.inf or -np.inf.")


def _vector_norm_slope(ans, x, axis, keepdims, ord):
    _check_vector_ord(ord)
    if ord == 2:
        return x / _restore(ans, axis, keepdims)
    return vector_norm_slope(x, ord, axis)


defvjp(np.linalg.vector_norm, lambda g, ans, x, axis=None, keepdims=False, ord=2:
       _restore(g, axis, keepdims) * _vector_norm_slope(ans, x, axis, keepdims, ord),
       params=("axis", "keepdims", "ord"))
defjvp(np.linalg.vector_norm, lambda t, ans, x, axis=None, keepdims=False, ord=2:
       np.sum(t * _vector_norm_slope(ans, x, axis, keepdims, ord), axis=axis, keepdims=keepdims))

_MATRIX_ORDERS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _matrix_norm_slope(ans, x, keepdims, ord):
    """d matrix_norm / dx: inlined for the Frobenius norm, a helper otherwise."""
    if not any(ord == o and type(ord) is not bool for o in _MATRIX_ORDERS):
        _refuse(f"the derivative of `np.linalg.matrix_norm` is not implemented for ord={ord!r}",
                "Supported orders: 'fro', 'nuc', 1, -1, 2, -2, np.inf, -np.inf.")
    if ord == "fro":
        return x / _restore_matrix(ans, keepdims)
    return norm_gradient(x, ord, (-2, -1))


def _restore_matrix(g, keepdims):
    return g if keepdims else np.expand_dims(g, (-2, -1))


defvjp(np.linalg.matrix_norm, lambda g, ans, x, keepdims=False, ord="fro":
       _restore_matrix(g, keepdims) * _matrix_norm_slope(ans, x, keepdims, ord), params=("keepdims", "ord"))
defjvp(np.linalg.matrix_norm, lambda t, ans, x, keepdims=False, ord="fro":
       np.sum(t * _matrix_norm_slope(ans, x, keepdims, ord), axis=(-2, -1), keepdims=keepdims))
defvjp(np.linalg.svdvals, lambda g, ans, x: _singular_values_vjp(g, x))
defjvp(np.linalg.svdvals, lambda t, ans, x: _singular_values_jvp(t, x))

# ---------------------------------------------------------------- multi_dot


def _as_matrices(arrays):
    """The arrays of a multi_dot as matrices: a first vector is a row, a last one a column."""
    mats = [np.asarray(a) for a in arrays]
    if mats[0].ndim == 1:
        mats[0] = mats[0][np.newaxis, :]
    if mats[-1].ndim == 1:
        mats[-1] = mats[-1][:, np.newaxis]
    return mats


@recordable
def multi_dot_adjoints(g, arrays):
    """The adjoints of the arrays of `np.linalg.multi_dot(arrays)`: each is the product of
    those on its left, transposed, times `g`, times the product of those on its right, transposed."""
    mats = _as_matrices(arrays)
    n = len(mats)
    lefts, rights = [None] * n, [None] * n
    for i in range(1, n):
        lefts[i] = mats[0] if i == 1 else lefts[i - 1] @ mats[i - 1]
    for i in range(n - 2, -1, -1):
        rights[i] = mats[-1] if i == n - 2 else mats[i + 1] @ rights[i + 1]
    g = np.reshape(g, (mats[0].shape[0], mats[-1].shape[1]))
    adjoints = []
    for a, left, right in zip(arrays, lefts, rights):
        bar = g if left is None else left.T @ g
        bar = bar if right is None else bar @ right.T
        adjoints.append(np.reshape(bar, np.shape(a)))
    return tuple(adjoints)


@recordable
def multi_dot_tangent(tangents, arrays):
    """The tangent of `np.linalg.multi_dot(arrays)`: one product per array that has a tangent."""
    total = 0.0
    for i, t in enumerate(tangents):
        if t is not None:
            total = total + np.linalg.multi_dot([t if j == i else a for j, a in enumerate(arrays)])
    return total


defvjp(np.linalg.multi_dot, lambda g, ans, arrays: _per_item(multi_dot_adjoints(g, arrays), arrays))
defjvp(np.linalg.multi_dot, lambda t, ans, arrays: multi_dot_tangent(t, arrays))

# ---------------------------------------------------------------- condition numbers, tensor inverses


@recordable
def cond_slope(x, p):
    """d cond(x, p) / dx for each matrix of `x`. For p None, 2 and -2 the condition number
    is a ratio of extreme singular values; for the other orders it is
    norm(x, p) * norm(inv(x), p), and d inv = -inv dx inv."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    if p is None or p in (2, -2):
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        top, bottom = (-1, 0) if p == -2 else (0, -1)  # cond = s[top] / s[bottom]
        ds = np.zeros_like(s)
        ds[..., top] += 1 / s[..., bottom]
        ds[..., bottom] -= s[..., top] / s[..., bottom] ** 2
        return (u * ds[..., np.newaxis, :]) @ vh
    inv = np.linalg.inv(x)
    norm_x = np.linalg.norm(x, p, axis=(-2, -1), keepdims=True)
    norm_inv = np.linalg.norm(inv, p, axis=(-2, -1), keepdims=True)
    inv_t = np.swapaxes(inv, -1, -2)
    return norm_inv * norm_gradient(x, p, (-2, -1)) - norm_x * (inv_t @ norm_gradient(inv, p, (-2, -1)) @ inv_t)


def _check_cond_order(p):
    if not (p is None or any(p == o and type(p) is not bool for o in _MATRIX_ORDERS)):
        _refuse(f"the derivative of `np.linalg.cond` is not implemented for p={p!r}",
                "Supported orders: None, 'fro', 'nuc', 1, -1, 2, -2, np.inf, -np.inf.")


def _cond_vjp(g, ans, x, p=None):
    _check_cond_order(p)
    return np.expand_dims(g, (-2, -1)) * cond_slope(x, p)


def _cond_jvp(t, ans, x, p=None):
    _check_cond_order(p)
    return np.sum(t * cond_slope(x, p), axis=(-2, -1))


defvjp(np.linalg.cond, _cond_vjp, params=("p",))
defjvp(np.linalg.cond, _cond_jvp)


def _square(ans, a, ind):
    """The inverse computed by `np.linalg.tensorinv(a, ind)`, as the square matrix it is."""
    return np.reshape(ans, (-1, math.prod(np.shape(a)[:ind])))


@recordable
def tensorinv_adjoint(g, a, ans, ind):
    """The adjoint of `a` in `np.linalg.tensorinv(a, ind)`: that of a matrix inverse,
    -inv^T g inv^T, on `a` read as a square matrix."""
    inv = _square(ans, a, ind)
    return np.reshape(-inv.T @ np.reshape(g, inv.shape) @ inv.T, np.shape(a))


@recordable
def tensorinv_tangent(t, a, ans, ind):
    inv = _square(ans, a, ind)
    return np.reshape(-inv @ np.reshape(t, inv.shape[::-1]) @ inv, np.shape(ans))


defvjp(np.linalg.tensorinv, lambda g, ans, a, ind=2: tensorinv_adjoint(g, a, ans, ind), params=("ind",))
defjvp(np.linalg.tensorinv, lambda t, ans, a, ind=2: tensorinv_tangent(t, a, ans, ind))


def _system(a, b):
    """`np.linalg.tensorsolve(a, b)` as the square system it solves: a as a matrix."""
    return np.reshape(a, (np.size(b), -1))


@recordable
def tensorsolve_adjoint_b(g, a, b):
    """The adjoint of `b` in `x = np.linalg.tensorsolve(a, b)`: solve with the transposed system."""
    return np.reshape(np.linalg.solve(_system(a, b).T, np.ravel(g)), np.shape(b))


@recordable
def tensorsolve_adjoint_a(g, x, a, b):
    """The adjoint of `a` in `x = np.linalg.tensorsolve(a, b)`: minus the outer product of b's adjoint and x."""
    return np.reshape(-np.outer(np.ravel(tensorsolve_adjoint_b(g, a, b)), np.ravel(x)), np.shape(a))


@recordable
def tensorsolve_tangent_a(t, x, a, b):
    return np.reshape(np.linalg.solve(_system(a, b), -_system(t, b) @ np.ravel(x)), np.shape(x))


defvjp(np.linalg.tensorsolve, lambda g, ans, a, b: tensorsolve_adjoint_a(g, ans, a, b),
       lambda g, ans, a, b: tensorsolve_adjoint_b(g, a, b))
defjvp(np.linalg.tensorsolve, lambda t, ans, a, b: tensorsolve_tangent_a(t, ans, a, b),
       lambda t, ans, a, b: np.linalg.tensorsolve(a, t))

# ================================================================ scans


def _without_first(x, axis):
    """`x` without its first entry along `axis` (the initial value of an inclusive scan)."""
    x = np.asarray(x)
    return x[_along(x.ndim, axis, slice(1, None))]


@recordable
def cumulative_sum_adjoint(g, axis, include_initial):
    """The adjoint of `np.cumulative_sum`: each entry gets the cotangents of its own and all later sums."""
    axis = 0 if axis is None else axis
    later = np.flip(np.cumsum(np.flip(g, axis), axis), axis)
    return _without_first(later, axis) if include_initial else later


@recordable
def cumulative_prod_adjoint(g, x, axis, include_initial):
    """The adjoint of `x` in `np.cumulative_prod(x, axis, include_initial)`."""
    axis = 0 if axis is None else axis
    return cumprod_adjoint(_without_first(g, axis) if include_initial else g, x, axis)


@recordable
def cumulative_prod_tangent(t, x, axis, include_initial):
    axis = 0 if axis is None else axis
    tangent = cumprod_tangent(t, x, axis)
    if not include_initial:
        return tangent
    first = np.zeros_like(tangent[_along(tangent.ndim, axis, slice(0, 1))])
    return np.concatenate([first, tangent], axis=axis)


defvjp(np.cumulative_sum, lambda g, ans, x, axis=None, include_initial=False:
       cumulative_sum_adjoint(g, axis, include_initial), params=("axis", "include_initial"))
defjvp(np.cumulative_sum, lambda t, ans, x, axis=None, include_initial=False:
       np.cumulative_sum(t, axis=axis, include_initial=include_initial))
defvjp(np.cumulative_prod, lambda g, ans, x, axis=None, include_initial=False:
       cumulative_prod_adjoint(g, x, axis, include_initial), params=("axis", "include_initial"))
defjvp(np.cumulative_prod, lambda t, ans, x, axis=None, include_initial=False:
       cumulative_prod_tangent(t, x, axis, include_initial))


def _sums_from_here(g, x, axis):
    """The adjoint of `np.cumsum(x, axis)`: each entry gets the cotangents of its position and all later ones."""
    if axis is None:  # the scan ran over the flattened input
        return np.reshape(np.flip(np.cumsum(np.flip(g))), np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _nan_to_one(x):
    return np.where(np.isnan(x), 1.0, x)


# NaN entries count as 0 in nancumsum and as 1 in nancumprod: they receive no gradient.
defvjp(np.nancumsum, lambda g, ans, x, axis=None: np.where(np.isnan(x), 0.0, _sums_from_here(g, x, axis)),
       params=("axis",))
defjvp(np.nancumsum, lambda t, ans, x, axis=None: np.cumsum(np.where(np.isnan(x), 0.0, t), axis))
defvjp(np.nancumprod, lambda g, ans, x, axis=None:
       np.where(np.isnan(x), 0.0, cumprod_adjoint(g, _nan_to_one(x), axis)), params=("axis",))
defjvp(np.nancumprod, lambda t, ans, x, axis=None: cumprod_tangent(np.where(np.isnan(x), 0.0, t), _nan_to_one(x), axis))

# ---------------------------------------------------------------- NaN-ignoring moments


def _present_and_centred(x, axis):
    """How many entries are not NaN, and the entries minus their mean, over `axis`."""
    count = np.sum(np.logical_not(np.isnan(x)), axis=axis, keepdims=True)
    return count, x - np.nanmean(x, axis=axis, keepdims=True)


def _nanvar_slope(x, axis, ddof):
    """d nanvar / dx: 2 (x - mean) / (count - ddof) where x is present, 0 at NaN."""
    count, centred = _present_and_centred(x, axis)
    return np.where(np.isnan(x), 0.0, 2 * centred / (count - ddof))


def _nanstd_slope(ans, x, axis, ddof, keepdims):
    """d nanstd / dx: (x - mean) / ((count - ddof) std) where x is present, 0 at NaN."""
    count, centred = _present_and_centred(x, axis)
    return np.where(np.isnan(x), 0.0, centred / ((count - ddof) * _restore(ans, axis, keepdims)))


defvjp(np.nanvar, lambda g, ans, x, axis=None, ddof=0, keepdims=False:
       _restore(g, axis, keepdims) * _nanvar_slope(x, axis, ddof), params=("axis", "ddof", "keepdims"))
defjvp(np.nanvar, lambda t, ans, x, axis=None, ddof=0, keepdims=False:
       np.sum(t * _nanvar_slope(x, axis, ddof), axis=axis, keepdims=keepdims))
defvjp(np.nanstd, lambda g, ans, x, axis=None, ddof=0, keepdims=False:
       _restore(g, axis, keepdims) * _nanstd_slope(ans, x, axis, ddof, keepdims), params=("axis", "ddof", "keepdims"))
defjvp(np.nanstd, lambda t, ans, x, axis=None, ddof=0, keepdims=False:
       np.sum(t * _nanstd_slope(ans, x, axis, ddof, keepdims), axis=axis, keepdims=keepdims))

# ================================================================ conversions and elementwise functions


def _cast_vjp(g, ans, x, dtype=None, **flags):
    """A conversion passes the cotangent on, reshaped to `x` (a 0-d `x` may come back 1-d);
    a cast to integers or booleans has derivative 0."""
    return np.reshape(g, np.shape(x)) if _keeps_float(dtype) else 0.0 * np.reshape(g, np.shape(x))


def _cast_jvp(t, ans, x, dtype=None, **flags):
    return np.reshape(t, np.shape(ans)) if _keeps_float(dtype) else 0.0 * np.reshape(t, np.shape(ans))


@recordable
def astype_adjoint(g, x, dtype):
    """The adjoint of `x` in `np.astype(x, dtype)`: `g` for a float type, zeros for integers and booleans."""
    g = np.reshape(g, np.shape(x))
    return g if _keeps_float(dtype) else np.zeros_like(g)


# dtype is positional-only, so it keeps its place (and reaches the rules as a symbol)
defvjp(np.astype, lambda g, ans, x, dtype, copy=True: astype_adjoint(g, x, dtype), None, params=("copy",))
defjvp(np.astype, lambda t, ans, x, dtype, copy=True: astype_adjoint(t, x, dtype), None)
for conversion in (np.ascontiguousarray, np.asfortranarray):
    defvjp(conversion, _cast_vjp, params=("dtype",))
    defjvp(conversion, _cast_jvp)
defvjp(np.require, _cast_vjp, params=("dtype", "requirements"))
defjvp(np.require, _cast_jvp)
# The compiler differentiates real numbers, which real_if_close returns as they are.
defvjp(np.real_if_close, lambda g, ans, x, tol=100: g, params=("tol",))
defjvp(np.real_if_close, lambda t, ans, x, tol=100: t)
# unwrap adds multiples of the period where consecutive entries jump: slope 1 in between.
defvjp(np.unwrap, lambda g, ans, p, **options: g, params=("discont", "axis", "period"))
defjvp(np.unwrap, lambda t, ans, p, **options: t)

# ldexp(x, n) = x * 2**n for integer exponents n; nextafter(x, y) is x moved by one ulp.
defvjp(np.ldexp, lambda g, ans, x, n: g * np.ldexp(1.0, n), None, unbroadcast=True)
defjvp(np.ldexp, lambda t, ans, x, n: t * np.ldexp(1.0, n), None)
defvjp(np.nextafter, lambda g, ans, x, y: g, lambda g, ans, x, y: np.zeros_like(g), unbroadcast=True)
defjvp(np.nextafter, lambda t, ans, x, y: t, lambda t, ans, x, y: np.zeros_like(t))

@recordable
def bessel_i1(x):
    """The modified Bessel function I1, the slope of `np.i0`, from its power series
    sum_k (x/2)**(2k+1) / (k! (k+1)!), whose terms are all of one sign."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    quarter_square = (x / 2) ** 2
    term = x / 2
    total = term
    for k in range(1, 2000):
        term = term * quarter_square / (k * (k + 1))
        total = total + term
        if not np.any(np.abs(term) > 1e-17 * np.abs(total)):  # NaN stops it too
            break
    return total


defvjp(np.i0, lambda g, ans, x: g * bessel_i1(x))
defjvp(np.i0, lambda t, ans, x: t * bessel_i1(x))

# ================================================================ differences, insertions, deletions


def _entries_before(prepend, a, axis) -> int:
    """How many entries `np.diff(a, prepend=prepend, axis=axis)` puts before those of `a`."""
    if prepend is None:
        return 0
    return 1 if np.ndim(prepend) == 0 else np.shape(prepend)[axis]


@recordable
def diff_adjoint(g, a, n, axis, prepend, append):
    """The adjoint of `a` in `np.diff(a, n, axis, prepend, append)`.

    One difference maps m + 1 entries to m; its transpose sends g to
    g[j - 1] - g[j] (zero beyond the ends), minus the difference of g padded with zeros.
    """
    for _ in range(n):
        g = -np.diff(g, axis=axis, prepend=0.0, append=0.0)
    start = _entries_before(prepend, a, axis)
    return g[_along(np.ndim(g), axis, slice(start, start + np.shape(a)[axis]))]


def _zeros_shaped(constant):
    return None if constant is None else np.zeros(np.shape(constant))


@recordable
def diff_tangent(t, n, axis, prepend, append):
    """The tangent of `np.diff`: the differences of `t`, the constants at the ends held still."""
    ends = {k: _zeros_shaped(v) for k, v in (("prepend", prepend), ("append", append)) if v is not None}
    return np.diff(t, n, axis=axis, **ends)


defvjp(np.diff, lambda g, ans, a, n=1, axis=-1, prepend=None, append=None:
       diff_adjoint(g, a, n, axis, prepend, append), params=("n", "axis", "prepend", "append"))
defjvp(np.diff, lambda t, ans, a, n=1, axis=-1, prepend=None, append=None: diff_tangent(t, n, axis, prepend, append))


@recordable
def ediff1d_adjoint(g, ary, to_end, to_begin):
    """The adjoint of `ary` in `np.ediff1d(ary, to_end, to_begin)`: the differences of the
    flattened array sit between the constants."""
    g = np.asarray(g)
    before, after = (0 if end is None else np.size(end) for end in (to_begin, to_end))
    middle = g[before: g.size - after]
    return np.reshape(-np.diff(middle, prepend=0.0, append=0.0), np.shape(ary))


@recordable
def ediff1d_tangent(t, to_end, to_begin):
    return np.ediff1d(t, to_end=_zeros_shaped(to_end), to_begin=_zeros_shaped(to_begin))


defvjp(np.ediff1d, lambda g, ans, ary, to_end=None, to_begin=None: ediff1d_adjoint(g, ary, to_end, to_begin),
       params=("to_end", "to_begin"))
defjvp(np.ediff1d, lambda t, ans, ary, to_end=None, to_begin=None: ediff1d_tangent(t, to_end, to_begin))


def _labels(shape):
    """The flat positions 1, 2, ... of an array of `shape`, in that shape (0 means "no entry")."""
    return np.arange(1, math.prod(shape) + 1).reshape(shape)


def _sum_back(g, labels, shape):
    """The adjoint of a function that copies entries of an array of `shape` to where
    `labels` (the function applied to `_labels(shape)`) holds their positions."""
    g = np.broadcast_to(g, np.shape(labels))
    taken = labels > 0
    flat = np.bincount(labels[taken] - 1, weights=g[taken], minlength=math.prod(shape))
    return flat.reshape(shape).astype(np.result_type(g, 1.0), copy=False)


@recordable
def append_adjoint(g, arr, values, axis, of_values):
    """The adjoint of `arr` (or of `values`) in `np.append(arr, values, axis)`."""
    if axis is None:
        flat, split = np.ravel(g), np.size(arr)
        return np.reshape(flat[split:] if of_values else flat[:split], np.shape(values if of_values else arr))
    split = np.shape(arr)[axis]
    return np.asarray(g)[_along(np.ndim(g), axis, slice(split, None) if of_values else slice(0, split))]


@recordable
def append_tangent(t_arr, t_values, arr, values, axis):
    """The tangent of `np.append`, zeros for the argument without a tangent."""
    return np.append(np.zeros(np.shape(arr)) if t_arr is None else t_arr,
                     np.zeros(np.shape(values)) if t_values is None else t_values, axis=axis)


defvjp(np.append, lambda g, ans, arr, values, axis=None: append_adjoint(g, arr, values, axis, False),
       lambda g, ans, arr, values, axis=None: append_adjoint(g, arr, values, axis, True), params=("axis",))
defjvp(np.append, lambda t, ans, arr, values, axis=None: append_tangent(t, None, arr, values, axis),
       lambda t, ans, arr, values, axis=None: append_tangent(None, t, arr, values, axis))


@recordable
def insert_adjoint(g, arr, obj, values, axis, of_values):
    """The adjoint of `arr` (or of `values`, broadcast as np.insert needs) in `np.insert(arr, obj, values, axis)`."""
    if of_values:
        shape = np.shape(values)
        labels = np.insert(np.zeros(np.shape(arr), dtype=int), obj, _labels(shape), axis=axis)
    else:
        shape = np.shape(arr)
        labels = np.insert(_labels(shape), obj, np.zeros(np.shape(values), dtype=int), axis=axis)
    return _sum_back(g, labels, shape)


@recordable
def insert_tangent(t_arr, t_values, arr, obj, values, axis):
    """The tangent of `np.insert`, zeros for the argument without a tangent."""
    return np.insert(np.zeros(np.shape(arr)) if t_arr is None else t_arr, obj,
                     np.zeros(np.shape(values)) if t_values is None else t_values, axis=axis)


defvjp(np.insert, lambda g, ans, arr, obj, values, axis=None: insert_adjoint(g, arr, obj, values, axis, False), None,
       lambda g, ans, arr, obj, values, axis=None: insert_adjoint(g, arr, obj, values, axis, True), params=("axis",))
defjvp(np.insert, lambda t, ans, arr, obj, values, axis=None: insert_tangent(t, None, arr, obj, values, axis), None,
       lambda t, ans, arr, obj, values, axis=None: insert_tangent(None, t, arr, obj, values, axis))


@recordable
def delete_adjoint(g, arr, obj, axis):
    """The adjoint of `arr` in `np.delete(arr, obj, axis)`: zeros where entries were deleted."""
    return _sum_back(g, np.delete(_labels(np.shape(arr)), obj, axis=axis), np.shape(arr))


@recordable
def resize_adjoint(g, a, new_shape):
    """The adjoint of `a` in `np.resize(a, new_shape)`: the entries repeated cyclically add up."""
    return _sum_back(g, np.resize(_labels(np.shape(a)), new_shape), np.shape(a))


defvjp(np.delete, lambda g, ans, arr, obj, axis=None: delete_adjoint(g, arr, obj, axis), None, params=("axis",))
defjvp(np.delete, lambda t, ans, arr, obj, axis=None: np.delete(t, obj, axis=axis), None)
defvjp(np.resize, lambda g, ans, a, new_shape: resize_adjoint(g, a, new_shape), None)
defjvp(np.resize, lambda t, ans, a, new_shape: np.resize(t, new_shape), None)
defvjp(np.diagflat, lambda g, ans, v, k=0: np.reshape(np.diagonal(g, k), np.shape(v)), params=("k",))
defjvp(np.diagflat, lambda t, ans, v, k=0: np.diagflat(t, k))

# ---------------------------------------------------------------- selections


@recordable
def extract_adjoint(g, condition, arr):
    """The adjoint of `arr` in `np.extract(condition, arr)`: `g` back at the flat positions where condition holds."""
    out = np.zeros(np.size(arr), dtype=np.result_type(g, 1.0))
    out[np.flatnonzero(np.ravel(condition))] = g
    return np.reshape(out, np.shape(arr))


@recordable
def compress_adjoint(g, condition, a, axis):
    """The adjoint of `a` in `np.compress(condition, a, axis)`, which takes where condition holds."""
    return take_adjoint(g, a, np.flatnonzero(condition), axis)


defvjp(np.extract, None, lambda g, ans, condition, arr: extract_adjoint(g, condition, arr))
defjvp(np.extract, None, lambda t, ans, condition, arr: np.extract(condition, t))
defvjp(np.compress, None, lambda g, ans, condition, a, axis=None: compress_adjoint(g, condition, a, axis),
       params=("axis",))
defjvp(np.compress, None, lambda t, ans, condition, a, axis=None: np.compress(condition, t, axis=axis))


def _first_true(condlist):
    """For each condition, where it is the first one that holds (np.select's choice); and where none holds."""
    masks, taken = [], False
    for c in condlist:
        mask = np.logical_and(c, np.logical_not(taken))
        masks.append(mask)
        taken = np.logical_or(taken, mask)
    return masks, np.logical_not(taken)


@recordable
def select_adjoint(g, condlist, choicelist):
    """The adjoints of the choices of `np.select(condlist, choicelist, default)`."""
    masks, _ = _first_true(condlist)
    return tuple(runtime.unbroadcast(np.where(m, g, 0.0), c) for m, c in zip(masks, choicelist))


@recordable
def select_default_mask(condlist):
    """Where `np.select(condlist, ...)` takes its default: no condition holds."""
    return _first_true(condlist)[1]


defvjp(np.select, None, lambda g, ans, condlist, choicelist, default=0:
       _per_item(select_adjoint(g, condlist, choicelist), choicelist),
       lambda g, ans, condlist, choicelist, default=0: unbroadcast(np.where(select_default_mask(condlist), g, 0.0),
                                                                   default))
# NumPy iterates the sequences it dispatches on, which a symbol for a sequence built at
# run time cannot end: np.select and np.choose are called on symbols through `recordable`.
_select, _choose = recordable(np.select), recordable(np.choose)
defjvp(np.select, None, lambda t, ans, condlist, choicelist, default=0: _select(condlist, _zeros_for_none(t), 0.0),
       lambda t, ans, condlist, choicelist, default=0: np.where(select_default_mask(condlist), t, 0.0))


@recordable
def choose_adjoint(g, a, choices):
    """The adjoints of the choices of `np.choose(a, choices)`: `g` where `a` picks each."""
    adjoints = tuple(runtime.unbroadcast(np.where(np.equal(a, i), g, 0.0), np.asarray(c) if isinstance(
        choices, np.ndarray) else c) for i, c in enumerate(choices))
    return np.stack(adjoints) if isinstance(choices, np.ndarray) else adjoints


defvjp(np.choose, None, lambda g, ans, a, choices: _per_item(choose_adjoint(g, a, choices), choices))
defjvp(np.choose, None, lambda t, ans, a, choices: _choose(a, _zeros_for_none(t)))


@recordable
def bincount_weights_adjoint(g, x):
    """The adjoint of the weights in `np.bincount(x, weights)`: each weight gets the cotangent of its bin."""
    return np.asarray(g)[x]


defvjp(np.bincount, None, lambda g, ans, x, weights, minlength=0: bincount_weights_adjoint(g, x),
       params=("minlength",))
defjvp(np.bincount, None, lambda t, ans, x, weights, minlength=0: np.bincount(x, weights=t, minlength=minlength))

# ================================================================ assembling and moving


@recordable
def rollaxis_adjoint(g, axis, start):
    """The adjoint of `np.rollaxis(x, axis, start)`: the axis moved back where it was."""
    n = np.ndim(g)
    axis, start = axis % n, start + n if start < 0 else start
    return np.moveaxis(g, start - 1 if axis < start else start, axis)


defvjp(np.rollaxis, lambda g, ans, a, axis, start=0: rollaxis_adjoint(g, axis, start), params=("axis", "start"))
defjvp(np.rollaxis, lambda t, ans, a, axis, start=0: np.rollaxis(t, axis, start))


@recordable
def unstack_adjoint(g, pieces, axis):
    """The adjoint of `np.unstack(x, axis)`: the pieces' cotangents stacked, zeros for those without one."""
    g = tuple(g) + (None,) * (len(pieces) - len(g))
    return np.stack([np.zeros_like(p) if gi is None else gi for gi, p in zip(g, pieces)], axis=axis)


defvjp(np.unstack, lambda g, ans, x, axis=0: unstack_adjoint(g, ans, axis), params=("axis",), outputs="variable")
defjvp(np.unstack, lambda t, ans, x, axis=0: np.unstack(t, axis=axis))

# broadcast_arrays(*arrays) and meshgrid(*xi) return one array per argument, each made
# from its own argument only.
MAX_ARRAYS = 6


def _broadcast_arrays_rules(k):
    def vjp(g, ans, *arrays):
        return unbroadcast(_item_or_zeros(g, k, arrays[k]), arrays[k])

    def jvp(t, ans, *arrays):
        return tuple(np.broadcast_to(t, np.shape(ans[j])) if j == k else 0.0 for j in range(len(arrays)))

    return vjp, jvp


@recordable
def meshgrid_adjoint(g, x, k, count, indexing):
    """The adjoint of the `k`-th of `count` arrays of `np.meshgrid`: `g` summed over the
    axes it was repeated along (for indexing 'xy' the first two arrays run along axes 1 and 0)."""
    g = np.asarray(g)
    axis = 1 - k if indexing == "xy" and count >= 2 and k < 2 else k
    return np.reshape(np.sum(g, axis=tuple(i for i in range(g.ndim) if i != axis)), np.shape(x))


def _meshgrid_rules(k):
    def vjp(g, ans, *xi, indexing="xy", sparse=False, copy=True):
        gk = g[k] if k < len(g) else None
        return zeros_like_input(xi[k]) if gk is None else meshgrid_adjoint(gk, xi[k], k, len(xi), indexing)

    def jvp(t, ans, *xi, indexing="xy", sparse=False, copy=True):
        grids = np.meshgrid(*[t if j == k else x for j, x in enumerate(xi)], indexing=indexing, sparse=sparse)
        return tuple(grids[j] if j == k else 0.0 for j in range(len(xi)))

    return vjp, jvp


_broadcasts = [_broadcast_arrays_rules(k) for k in range(MAX_ARRAYS)]
defvjp(np.broadcast_arrays, *[vjp for vjp, _ in _broadcasts], outputs="variable")
defjvp(np.broadcast_arrays, *[jvp for _, jvp in _broadcasts])
_grids = [_meshgrid_rules(k) for k in range(MAX_ARRAYS)]
defvjp(np.meshgrid, *[vjp for vjp, _ in _grids], params=("indexing", "sparse", "copy"), outputs="variable")
defjvp(np.meshgrid, *[jvp for _, jvp in _grids])

# ---------------------------------------------------------------- covariance and correlation


def _observations(a, rowvar):
    """The data np.cov reads from `a`: one variable per row; and whether `a` was transposed."""
    x = np.array(a, ndmin=2, dtype=np.result_type(a, 1.0))
    flipped = not rowvar and x.shape[0] != 1
    return (x.T if flipped else x), flipped


def _variables(m, y, rowvar):
    """All the variables of np.cov(m, y, rowvar) as rows, and how many rows come from `m`."""
    xm, _ = _observations(m, rowvar)
    return (xm if y is None else np.concatenate([xm, _observations(y, rowvar)[0]])), xm.shape[0]


def _divisor(x, bias, ddof):
    return x.shape[1] - ((0 if bias else 1) if ddof is None else ddof)


@recordable
def cov_adjoint(g, m, y, rowvar, bias, ddof, of_y):
    """The adjoint of `m` (or of `y`) in `np.cov(m, y, rowvar, bias, ddof)`. With X the
    centred variables, C = X X^T / d, so X gets (g + g^T) X / d; its rows sum to zero,
    so centring passes it through unchanged."""
    x, rows = _variables(m, y, rowvar)
    centred = x - np.mean(x, axis=1, keepdims=True)
    g = np.reshape(g, (x.shape[0], x.shape[0]))
    bar = (g + g.T) @ centred / _divisor(x, bias, ddof)
    like = y if of_y else m
    piece = bar[rows:] if of_y else bar[:rows]
    return np.reshape(piece.T if _observations(like, rowvar)[1] else piece, np.shape(like))


@recordable
def cov_tangent(t_m, t_y, m, y, rowvar, bias, ddof):
    """The tangent of `np.cov(m, y, ...)` along tangents of m and y (None: held still)."""
    x, _ = _variables(m, y, rowvar)
    dx, _ = _variables(np.zeros(np.shape(m)) if t_m is None else t_m,
                       None if y is None else np.zeros(np.shape(y)) if t_y is None else t_y, rowvar)
    centred, d_centred = x - np.mean(x, axis=1, keepdims=True), dx - np.mean(dx, axis=1, keepdims=True)
    half = d_centred @ centred.T / _divisor(x, bias, ddof)
    return (half + half.T).squeeze()


defvjp(np.cov, lambda g, ans, m, y=None, rowvar=True, bias=False, ddof=None:
       cov_adjoint(g, m, y, rowvar, bias, ddof, False),
       lambda g, ans, m, y=None, rowvar=True, bias=False, ddof=None: cov_adjoint(g, m, y, rowvar, bias, ddof, True),
       params=("rowvar", "bias", "ddof"))
defjvp(np.cov, lambda t, ans, m, y=None, rowvar=True, bias=False, ddof=None:
       cov_tangent(t, None, m, y, rowvar, bias, ddof),
       lambda t, ans, m, y=None, rowvar=True, bias=False, ddof=None: cov_tangent(None, t, m, y, rowvar, bias, ddof))


@recordable
def corrcoef_adjoint(g, x, y, rowvar, of_y):
    """The adjoint of `x` (or of `y`) in `np.corrcoef(x, y, rowvar)`. R = C / (s s^T)
    with s the square roots of C's diagonal, so C gets g / (s s^T), and its diagonal
    entry k also -sum_j (g_kj R_kj + g_jk R_jk) / (2 C_kk)."""
    c = np.cov(x, y, rowvar)
    if c.ndim == 0:  # one variable: R is 1
        return np.zeros(np.shape(y if of_y else x))
    scale = np.sqrt(np.outer(np.diag(c), np.diag(c)))
    g = np.reshape(g, c.shape)
    weighted = g * (c / scale)
    c_bar = g / scale - np.diag((np.sum(weighted, axis=0) + np.sum(weighted, axis=1)) / (2 * np.diag(c)))
    return cov_adjoint(c_bar, x, y, rowvar, False, None, of_y)


@recordable
def corrcoef_tangent(t_x, t_y, x, y, rowvar):
    c = np.cov(x, y, rowvar)
    if c.ndim == 0:
        return 0.0
    dc = cov_tangent(t_x, t_y, x, y, rowvar, False, None)
    scale = np.sqrt(np.outer(np.diag(c), np.diag(c)))
    half = np.diag(dc) / (2 * np.diag(c))
    return dc / scale - c / scale * (half[:, np.newaxis] + half[np.newaxis, :])


defvjp(np.corrcoef, lambda g, ans, x, y=None, rowvar=True: corrcoef_adjoint(g, x, y, rowvar, False),
       lambda g, ans, x, y=None, rowvar=True: corrcoef_adjoint(g, x, y, rowvar, True), params=("rowvar",))
defjvp(np.corrcoef, lambda t, ans, x, y=None, rowvar=True: corrcoef_tangent(t, None, x, y, rowvar),
       lambda t, ans, x, y=None, rowvar=True: corrcoef_tangent(None, t, x, y, rowvar))

# ================================================================ integrals, convolutions, polynomials


def _pad_along(a, axis):
    """`a` with one zero before and after, along `axis`."""
    widths = [(0, 0)] * np.ndim(a)
    widths[axis] = (1, 1)
    return np.pad(a, widths)


@recordable
def trapezoid_weights(y, x, dx, axis):
    """d trapezoid(y, x, dx, axis) / dy, shaped to broadcast against `y`: half the spacing
    on each side of every sample."""
    n, ndim = np.shape(y)[axis], np.ndim(y)
    along = [1] * ndim
    along[axis] = -1
    if x is None:
        spacing = np.full(n - 1, float(dx)).reshape(along)
    elif np.ndim(x) == 1:
        spacing = np.diff(x).reshape(along)
    else:
        spacing = np.diff(x, axis=axis)
    padded = _pad_along(spacing, axis)
    left = padded[_along(padded.ndim, axis, slice(0, np.shape(padded)[axis] - 1))]
    return (left + padded[_along(padded.ndim, axis, slice(1, None))]) / 2


@recordable
def trapezoid_adjoint_x(g, y, x, axis):
    """The adjoint of the sample points `x` in `np.trapezoid(y, x, axis=axis)`: with m the
    mean of neighbouring samples, point j gets m[j - 1] - m[j]."""
    y = np.asarray(y)
    n = y.shape[axis]
    means = (y[_along(y.ndim, axis, slice(1, None))] + y[_along(y.ndim, axis, slice(0, n - 1))]) / 2
    full = np.expand_dims(g, axis) * -np.diff(_pad_along(means, axis), axis=axis)
    if np.ndim(x) == 1:
        return np.sum(np.moveaxis(full, axis, -1).reshape(-1, n), axis=0)
    return runtime.unbroadcast(full, np.asarray(x))


def _trapezoid_y(g, ans, y, x=None, dx=1.0, axis=-1):
    spread = np.expand_dims(g, axis) * trapezoid_weights(y, x, dx, axis)
    return spread if x is None else unbroadcast(spread, y)  # sample points may broadcast y


defvjp(np.trapezoid, _trapezoid_y,
       lambda g, ans, y, x=None, dx=1.0, axis=-1: trapezoid_adjoint_x(g, y, x, axis), params=("dx", "axis"))
defjvp(np.trapezoid, lambda t, ans, y, x=None, dx=1.0, axis=-1: np.trapezoid(t, x, dx=dx, axis=axis),
       lambda t, ans, y, x=None, dx=1.0, axis=-1: np.trapezoid(y, t, axis=axis))  # linear in x too

_MODES = {0: "valid", 1: "same", 2: "full"}


def _window(n, m, mode, correlating):
    """Where the `mode` output of convolving (or correlating) lengths n and m starts within
    the full output, and its length. NumPy correlates the longer input with the shorter
    one, and a correlation whose first input is the shorter comes out reversed."""
    mode = _MODES.get(mode, mode)
    short, full = min(n, m), n + m - 1
    length = {"full": full, "same": max(n, m), "valid": max(n, m) - short + 1}[mode]
    start = {"full": 0, "same": short - 1 - short // 2, "valid": short - 1}[mode]
    if correlating and n < m:
        start = full - start - length
    return start, length


def _full_cotangent(g, n, m, mode, correlating):
    """The cotangent `g` of a convolution output, placed within a full-length one of zeros."""
    start, length = _window(n, m, mode, correlating)
    out = np.zeros(n + m - 1, dtype=np.result_type(g, 1.0))
    out[start:start + length] = g
    return out


@recordable
def convolve_adjoint(g, a, v, mode, of_v):
    """The adjoint of `a` (or of `v`) in `np.convolve(a, v, mode)`: the full cotangent correlated with the other."""
    full = _full_cotangent(g, np.size(a), np.size(v), mode, False)
    other, this = (a, v) if of_v else (v, a)
    return np.reshape(np.correlate(full, np.ravel(other), "valid"), np.shape(this))


@recordable
def correlate_adjoint(g, a, v, mode, of_v):
    """The adjoint of `a` (or of `v`) in `np.correlate(a, v, mode)`, the convolution of `a` with `v` reversed."""
    full = _full_cotangent(g, np.size(a), np.size(v), mode, True)
    if of_v:
        return np.reshape(np.correlate(full, np.ravel(a), "valid")[::-1], np.shape(v))
    return np.reshape(np.correlate(full, np.ravel(v)[::-1], "valid"), np.shape(a))


for convolve, convolve_adjoint_, default_mode in ((np.convolve, convolve_adjoint, "full"),
                                                  (np.correlate, correlate_adjoint, "valid")):
    defvjp(convolve, lambda g, ans, a, v, mode=default_mode, adjoint=convolve_adjoint_: adjoint(g, a, v, mode, False),
           lambda g, ans, a, v, mode=default_mode, adjoint=convolve_adjoint_: adjoint(g, a, v, mode, True),
           params=("mode",))
    defjvp(convolve, lambda t, ans, a, v, mode=default_mode, convolve=convolve: convolve(t, v, mode=mode),
           lambda t, ans, a, v, mode=default_mode, convolve=convolve: convolve(a, t, mode=mode))

# polymul is the full convolution of the coefficients
defvjp(np.polymul, lambda g, ans, a1, a2: convolve_adjoint(g, a1, a2, "full", False),
       lambda g, ans, a1, a2: convolve_adjoint(g, a1, a2, "full", True))
defjvp(np.polymul, lambda t, ans, a1, a2: np.polymul(t, a2), lambda t, ans, a1, a2: np.polymul(a1, t))


@recordable
def polyval_adjoint_p(g, p, x):
    """The adjoint of the coefficients in `np.polyval(p, x)`: coefficient i multiplies x ** (deg - i)."""
    p = np.asarray(p)
    out = np.zeros(p.shape, dtype=np.result_type(g, p, 1.0))
    power = np.ones_like(np.asarray(x, dtype=out.dtype))
    for i in range(len(p) - 1, -1, -1):
        out[i] = runtime.unbroadcast(g * power, p[i])
        power = power * x
    return out


@recordable
def polyval_slope(p, x):
    """d polyval(p, x) / dx: the derivative polynomial, evaluated at x."""
    p = np.asarray(p)
    n = len(p)
    if n < 2:
        return np.zeros_like(np.asarray(x, dtype=np.result_type(x, 1.0)))
    degrees = np.arange(n - 1, 0, -1).reshape((-1,) + (1,) * (p.ndim - 1))
    return np.polyval(p[:-1] * degrees, x)


defvjp(np.polyval, lambda g, ans, p, x: polyval_adjoint_p(g, p, x),
       lambda g, ans, p, x: unbroadcast(g * polyval_slope(p, x), x))
defjvp(np.polyval, lambda t, ans, p, x: np.polyval(t, x), lambda t, ans, p, x: t * polyval_slope(p, x))


@recordable
def polynomial_tail(g, a):
    """The adjoint of `a` in `np.polyadd(a, b)`: coefficients are aligned at the constant
    term, so `a` gets the last `len(a)` entries of `g`."""
    g = np.asarray(g)
    return np.reshape(g[g.shape[0] - np.size(a):], np.shape(a))


@recordable
def polyadd_zero(t, other):
    """`np.polyadd(t, 0 * other)`: `t` padded in front to the length of the sum."""
    return np.polyadd(t, np.zeros(np.size(other)))


defvjp(np.polyadd, lambda g, ans, a1, a2: polynomial_tail(g, a1), lambda g, ans, a1, a2: polynomial_tail(g, a2))
defjvp(np.polyadd, lambda t, ans, a1, a2: polyadd_zero(t, a2), lambda t, ans, a1, a2: polyadd_zero(t, a1))
defvjp(np.polysub, lambda g, ans, a1, a2: polynomial_tail(g, a1), lambda g, ans, a1, a2: -polynomial_tail(g, a2))
defjvp(np.polysub, lambda t, ans, a1, a2: polyadd_zero(t, a2), lambda t, ans, a1, a2: -polyadd_zero(t, a1))


@recordable
def polyder_adjoint(g, p, m):
    """The adjoint of `p` in `np.polyder(p, m)`: coefficient j (j < n - m) was scaled by a
    falling factorial; the last m coefficients vanish."""
    n = len(p)
    out = np.zeros(n, dtype=np.result_type(g, 1.0))
    if m < n:
        out[: n - m] = g * np.polyder(np.ones(n), m)
    return out


@recordable
def polyint_adjoint(g, p, m):
    """The adjoint of `p` in `np.polyint(p, m, k)`: coefficient j was divided by a rising
    factorial; the m integration constants come after."""
    n = len(p)
    return np.asarray(g)[:n] * np.polyint(np.ones(n), m)[:n]


defvjp(np.polyder, lambda g, ans, p, m=1: polyder_adjoint(g, p, m), params=("m",))
defjvp(np.polyder, lambda t, ans, p, m=1: np.polyder(t, m))
defvjp(np.polyint, lambda g, ans, p, m=1, k=None: polyint_adjoint(g, p, m), params=("m", "k"))
defjvp(np.polyint, lambda t, ans, p, m=1, k=None: np.polyint(t, m))


@recordable
def vander_slope(x, N, increasing):
    """d vander(x, N, increasing)[i, j] / d x[i]: the power times x to one less."""
    x = np.asarray(x)
    N = len(x) if N is None else N
    powers = np.arange(N) if increasing else np.arange(N - 1, -1, -1)
    return powers * x[:, np.newaxis] ** np.maximum(powers - 1, 0)


defvjp(np.vander, lambda g, ans, x, N=None, increasing=False: np.sum(g * vander_slope(x, N, increasing), axis=1),
       params=("N", "increasing"))
defjvp(np.vander, lambda t, ans, x, N=None, increasing=False: np.expand_dims(t, -1) * vander_slope(x, N, increasing))

# ---------------------------------------------------------------- interpolation


@recordable
def interp_slope(x, xp, fp):
    """d interp(x, xp, fp) / dx: the slope of the segment `x` lies on (the one to its
    right at a knot), 0 outside [xp[0], xp[-1]), where the ends are held constant."""
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)
    if xp.size < 2:
        return np.zeros(x.shape)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, xp.size - 2)
    span = xp[i + 1] - xp[i]
    slope = (fp[i + 1] - fp[i]) / np.where(span == 0, 1.0, span)
    return np.where((x >= xp[0]) & (x < xp[-1]) & (span != 0), slope, 0.0)


@recordable
def interp_adjoint_fp(g, x, xp, fp, left, right):
    """The adjoint of the values `fp` in `np.interp(x, xp, fp, left, right)`: each x shares
    its cotangent between the two ends of its segment; beyond the ends it goes to the
    end value, unless `left` (`right`) replaces it by a constant."""
    x, xp = np.asarray(x), np.asarray(xp)
    g = np.broadcast_to(g, x.shape)
    out = np.zeros(np.shape(fp), dtype=np.result_type(g, fp, 1.0))
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(xp.size - 2, 0))
    j = np.minimum(i + 1, xp.size - 1)
    span = xp[j] - xp[i]
    w = np.where(span == 0, 0.0, (x - xp[i]) / np.where(span == 0, 1.0, span))
    below, above = x < xp[0], x > xp[-1]
    inside = ~below & ~above
    np.add.at(out, i[inside], (g * (1 - w))[inside])
    np.add.at(out, j[inside], (g * w)[inside])
    if left is None:
        out[0] += np.sum(g[below])
    if right is None:
        out[-1] += np.sum(g[above])
    return out


def _held(end):
    """The tangent of an end value given as a constant (0), or None (the end of fp moves)."""
    return None if end is None else 0.0


defvjp(np.interp, lambda g, ans, x, xp, fp, left=None, right=None: g * interp_slope(x, xp, fp), None,
       lambda g, ans, x, xp, fp, left=None, right=None: interp_adjoint_fp(g, x, xp, fp, left, right),
       params=("left", "right"))
defjvp(np.interp, lambda t, ans, x, xp, fp, left=None, right=None: t * interp_slope(x, xp, fp), None,
       lambda t, ans, x, xp, fp, left=None, right=None: np.interp(x, xp, t, left=_held(left), right=_held(right)))

# ================================================================ order statistics


def _lines(x, axis):
    """`x` with the reduced axes moved last and merged into one; the axis order used, and
    the shape before merging."""
    x = np.asarray(x)
    axes = tuple(range(x.ndim)) if axis is None else tuple(sorted(a % x.ndim for a in np.atleast_1d(axis)))
    kept = tuple(i for i in range(x.ndim) if i not in axes)
    moved = np.transpose(x, kept + axes)
    return moved.reshape(moved.shape[: len(kept)] + (-1,)), kept + axes, moved.shape


def _quantile_weights(lines, q, ignore_nan):
    """W[..., k, i]: d (k-th quantile of line ...) / d (entry i of that line), for 'linear'
    interpolation between sorted values; entries tied at a sorted value share its weight."""
    ordered = np.sort(lines, axis=-1)  # NaN last
    n = lines.shape[-1]
    count = np.sum(~np.isnan(lines), axis=-1, keepdims=True) if ignore_nan else np.full(lines.shape[:-1] + (1,), n)
    position = np.ravel(q) * (count - 1)  # (..., Q)
    lo = np.floor(position)
    frac = position - lo
    lo = np.clip(lo.astype(int), 0, n - 1)
    hi = np.clip(np.minimum(lo + 1, count - 1), 0, n - 1)

    def share(index):
        value = np.take_along_axis(ordered, index, axis=-1)
        hits = lines[..., np.newaxis, :] == value[..., np.newaxis]
        return hits / np.maximum(np.sum(hits, axis=-1, keepdims=True), 1)

    return (1 - frac)[..., np.newaxis] * share(lo) + frac[..., np.newaxis] * share(hi)


@recordable
def quantile_adjoint(g, x, q, axis, scale, ignore_nan):
    """The adjoint of `x` in `np.quantile(x, q / scale, axis)` (and `np.percentile`,
    `np.median`, their NaN forms): the result has the axes of q first, then the kept ones."""
    lines, order, moved_shape = _lines(x, axis)
    weights = _quantile_weights(lines, np.asarray(q) / scale, ignore_nan)
    g = np.moveaxis(np.reshape(g, (np.size(q),) + lines.shape[:-1]), 0, -1)
    bar = np.sum(g[..., np.newaxis] * weights, axis=-2)
    return np.transpose(bar.reshape(moved_shape), np.argsort(order))


@recordable
def quantile_tangent(t, x, q, axis, scale, ignore_nan, shape):
    """The tangent of `np.quantile(x, q / scale, axis)` along `t`, in the result's `shape`."""
    lines, _, _ = _lines(x, axis)
    weights = _quantile_weights(lines, np.asarray(q) / scale, ignore_nan)
    t_lines = _lines(np.broadcast_to(t, np.shape(x)), axis)[0]
    return np.reshape(np.moveaxis(np.sum(weights * t_lines[..., np.newaxis, :], axis=-1), -1, 0), shape)


def _check_linear(method):
    if method != "linear":
        _refuse(f"the derivative of quantiles is implemented for method='linear' only, not method={method!r}",
                "Use the default method, 'linear'.")


def _quantile_rules(scale, ignore_nan):
    def vjp(g, ans, a, q, axis=None, method="linear", keepdims=False):
        _check_linear(method)
        return quantile_adjoint(g, a, q, axis, scale, ignore_nan)

    def jvp(t, ans, a, q, axis=None, method="linear", keepdims=False):
        _check_linear(method)
        return quantile_tangent(t, a, q, axis, scale, ignore_nan, np.shape(ans))

    return vjp, jvp


def _median_rules(ignore_nan):
    def vjp(g, ans, a, axis=None, keepdims=False):
        return quantile_adjoint(g, a, 0.5, axis, 1.0, ignore_nan)

    def jvp(t, ans, a, axis=None, keepdims=False):
        return quantile_tangent(t, a, 0.5, axis, 1.0, ignore_nan, np.shape(ans))

    return vjp, jvp


for quantile, scale, ignore_nan in ((np.quantile, 1.0, False), (np.percentile, 100.0, False),
                                    (np.nanquantile, 1.0, True), (np.nanpercentile, 100.0, True)):
    _vjp, _jvp = _quantile_rules(scale, ignore_nan)
    defvjp(quantile, _vjp, None, params=("axis", "method", "keepdims"))
    defjvp(quantile, _jvp, None)
for median, ignore_nan in ((np.median, False), (np.nanmedian, True)):
    _vjp, _jvp = _median_rules(ignore_nan)
    defvjp(median, _vjp, params=("axis", "keepdims"))
    defjvp(median, _jvp)


@recordable
def partition_order(x, ans, axis):
    """Indices `i` such that np.take_along_axis(x, i, axis) is `ans`, a partition of `x`:
    where each entry of ans came from (equal entries are matched in order)."""
    if axis is None:
        x, axis = np.ravel(x), 0
    source = np.argsort(x, axis=axis, kind="stable")
    target = np.argsort(ans, axis=axis, kind="stable")
    order = np.empty_like(source)
    np.put_along_axis(order, target, source, axis=axis)
    return order


@recordable
def partition_adjoint(g, x, ans, axis):
    """The adjoint of `x` in `np.partition(x, kth, axis)`: each entry of g back at its source."""
    out = np.zeros(np.size(x) if axis is None else np.shape(x), dtype=np.result_type(g, x, 1.0))
    np.put_along_axis(out, partition_order(x, ans, axis), g, axis=0 if axis is None else axis)
    return np.reshape(out, np.shape(x))


defvjp(np.partition, lambda g, ans, a, kth, axis=-1, kind="introselect": partition_adjoint(g, a, ans, axis), None,
       params=("axis", "kind"))
defjvp(np.partition, lambda t, ans, a, kth, axis=-1, kind="introselect":
       np.take_along_axis(t, partition_order(a, ans, axis), axis=axis), None)

# ================================================================ no derivative

# Integer and bitwise arithmetic, tests returning booleans, the spacing of floats
# (piecewise constant), window functions of a length, and einsum's contraction plan.
# Not np.angle and np.imag: constant for real arrays, but a complex value computed inside
# the function (x + 1j * y) reaches them with a real gradient.
nondiff(
    np.gcd, np.lcm, np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.bitwise_count, np.invert,
    np.left_shift, np.right_shift, np.packbits, np.unpackbits, np.isin, np.logical_xor, np.iscomplex,
    np.isreal, np.isneginf, np.isposinf, np.spacing, np.bartlett, np.blackman, np.hamming, np.hanning,
    np.mask_indices, np.einsum_path,
)
