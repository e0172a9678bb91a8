"""Derivative rules of reductions and scans: prod, max/min, ptp, var/std, average,
cumsum/cumprod, the nan-ignoring reductions and `np.linalg.norm`.

`np.sum` and `np.mean` live in `numpy_rules`. Every reduction takes `axis` (an int, a
negative int, a tuple, or None) and `keepdims`; its cotangent is first given back the
reduced axes (`_restore`), then broadcast against the input by the arithmetic.

Conventions where the derivative does not exist:
- `max`, `min`, `amax`, `amin`, `nanmax`, `nanmin`, `ptp` and the `inf`-norms: when
  several entries tie for the extremum, the gradient is split equally among them (two
  tied maxima get half each), as `np.maximum` does for its two arguments.
- `prod` and `cumprod` are exact when the input holds zeros (one or several): `prod`
  never divides by the input, `cumprod` divides only by entries before the first zero.
- Norms at zero (`x / 0`) and matrix norms at repeated or zero
  singular values are not differentiable; the rules return what the smooth formula gives
  there (NaN for a zero norm, a subgradient for the spectral and nuclear norms).
- `np.linalg.norm` orders other than None, 'fro', 'nuc', inf, -inf and non-zero numbers
  (that is, `ord=0`) are refused when the gradient is compiled.
"""
from __future__ import annotations

import numpy as np

from .. import runtime
from ..errors import UnsupportedArgumentError
from ..tracing import recordable
from .registry import defjvp, defvjp

# ---------------------------------------------------------------- run-time helpers


def _normalized_axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def product_of_others(x, axis):
    """For each entry of `x`, the product of the other entries reduced with it.

    Computed from products to the left and to the right, so zeros in `x` are exact.
    """
    x = np.asarray(x)
    reduced = _normalized_axes(axis, x.ndim)
    kept = tuple(i for i in range(x.ndim) if i not in reduced)
    moved = np.transpose(x, kept + reduced)
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
    if flat.shape[-1] == 0:
        return np.zeros_like(x)
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return np.transpose(others, tuple(np.argsort(kept + reduced)))


def _scan_last(x, axis):
    """`x` with the scanned axis last (flattened first when `axis` is None)."""
    return np.ravel(x)[None] if axis is None else np.moveaxis(np.asarray(x), axis, -1)


def _scan_back(result, x, axis):
    return np.reshape(result, np.shape(x)) if axis is None else np.moveaxis(result, -1, axis)


def _reverse_cumsum_last(a):
    return np.cumsum(a[..., ::-1], axis=-1)[..., ::-1]


def _cumprod_parts(x):
    """Masks of the entries before and at the first zero of each line, and the products
    of each line with its first zero replaced by one."""
    zeros_so_far = np.cumsum(x == 0, axis=-1)
    before = zeros_so_far == 0
    first = (x == 0) & (zeros_so_far == 1)
    skipping_first = np.cumprod(np.where(first, 1.0, x), axis=-1)
    return before, first, skipping_first


def cumprod_adjoint(g, x, axis):
    """The adjoint of `x` in `np.cumprod(x, axis)`, exact with zeros in `x`.

    Entry j gets sum over i >= j of g[i] times the product of x[:i + 1] without x[j]:
    before the first zero that is `reverse_cumsum(g * y)[j] / x[j]`; at the first zero
    the products skip it; after it every product holds that zero.
    """
    g, xs = _scan_last(g, axis), _scan_last(x, axis)
    before, first, skipping_first = _cumprod_parts(xs)
    y = np.cumprod(xs, axis=-1)
    safe = np.where(before, xs, 1.0)
    result = np.where(before, _reverse_cumsum_last(g * y) / safe,
                      np.where(first, _reverse_cumsum_last(g * skipping_first), 0.0))
    return _scan_back(result, x, axis)


def cumprod_tangent(t, x, axis):
    """The tangent of `np.cumprod(x, axis)` along `t`, exact with zeros in `x`."""
    t, xs = _scan_last(np.broadcast_to(t, np.shape(x)), axis), _scan_last(x, axis)
    before, first, skipping_first = _cumprod_parts(xs)
    y = np.cumprod(xs, axis=-1)
    safe = np.where(before, xs, 1.0)
    t_at_first_zero = np.sum(np.where(first, t, 0.0), axis=-1, keepdims=True)
    result = np.where(before, y * np.cumsum(np.where(before, t, 0.0) / safe, axis=-1),
                      t_at_first_zero * skipping_first)
    return result[0] if axis is None else np.moveaxis(result, -1, axis)


def weights_along(w, a, axis):
    """The weights of `np.average(a, axis, weights=w)`, shaped to broadcast against `a`."""
    w = np.asarray(w)
    if axis is None or w.shape == np.shape(a):
        return w
    shape = [1] * np.ndim(a)
    shape[axis] = -1
    return w.reshape(shape)


def _extremes(values, axis, pick):
    """Where `values` reach `pick` (np.max or np.min) along `axis`, each tie weighted 1/count."""
    mask = values == pick(values, axis=axis, keepdims=True)
    return mask / np.sum(mask, axis=axis, keepdims=True)


def _vector_norm_gradient(x, ord, axis):
    if ord is None or ord == 2:
        return x / np.linalg.norm(x, axis=axis, keepdims=True)
    if ord == 1:
        return np.sign(x)
    if ord == np.inf:
        return np.sign(x) * _extremes(np.abs(x), axis, np.max)
    if ord == -np.inf:
        return np.sign(x) * _extremes(np.abs(x), axis, np.min)
    norm = np.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    return np.sign(x) * (np.abs(x) / norm) ** (ord - 1)


def _matrix_norm_gradient(x, ord):
    """The derivative of a norm of the matrices in the last two axes of `x`."""
    if ord is None or ord == "fro":
        return x / np.linalg.norm(x, axis=(-2, -1), keepdims=True)
    if ord in ("nuc", 2, -2):
        u, _, vh = np.linalg.svd(x, full_matrices=False)
        if ord == "nuc":
            return u @ vh
        k = 0 if ord == 2 else -1  # singular values come largest first
        return u[..., :, k:k + 1 or None] @ vh[..., k:k + 1 or None, :]
    if ord in (1, -1):  # extreme column sum
        sums = np.sum(np.abs(x), axis=-2, keepdims=True)
        return np.sign(x) * _extremes(sums, -1, np.max if ord == 1 else np.min)
    if ord in (np.inf, -np.inf):  # extreme row sum
        sums = np.sum(np.abs(x), axis=-1, keepdims=True)
        return np.sign(x) * _extremes(sums, -2, np.max if ord == np.inf else np.min)
    raise ValueError(f"invalid norm order {ord!r} for matrices")


def norm_gradient(x, ord, axis):
    """The derivative of `np.linalg.norm(x, ord, axis)` in every entry of `x`.

    Whether the norm is of vectors or of matrices is decided here, at run time, the way
    NumPy decides it: by `axis`, or by the number of dimensions of `x`.
    """
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    if axis is None and ord is None:
        return x / np.linalg.norm(x)
    if axis is None:
        axis = tuple(range(x.ndim))
    elif not isinstance(axis, tuple):
        axis = (axis,)
    if len(axis) == 1:
        return _vector_norm_gradient(x, ord, axis[0])
    moved = np.moveaxis(x, axis, (-2, -1))
    return np.moveaxis(_matrix_norm_gradient(moved, ord), (-2, -1), axis)


product_of_others = recordable(product_of_others)
cumprod_adjoint = recordable(cumprod_adjoint)
cumprod_tangent = recordable(cumprod_tangent)
weights_along = recordable(weights_along)
norm_gradient = recordable(norm_gradient)
unbroadcast = recordable(runtime.unbroadcast)

# ---------------------------------------------------------------- shared pieces


def _restore(g, x, axis, keepdims):
    """`g`, the cotangent of a reduction of `x` over `axis`, with the reduced axes back
    (of length one), so that it broadcasts against `x`."""
    return np.expand_dims(g, axis) if axis is not None and not keepdims else g


def _count(x, ans):
    """How many entries of `x` each entry of the reduction `ans` combines."""
    return np.size(x) / np.size(ans)


def _reduce(t, axis, keepdims):
    return np.sum(t, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------- products


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    return _restore(g, x, axis, keepdims) * product_of_others(x, axis)


def _prod_jvp(t, ans, x, axis=None, keepdims=False):
    return _reduce(t * product_of_others(x, axis), axis, keepdims)


defvjp(np.prod, _prod_vjp, params=("axis", "keepdims"))
defjvp(np.prod, _prod_jvp)


# NaN entries count as one: nanprod(x) is prod(where(isnan(x), 1, x)).
def _nanprod_vjp(g, ans, x, axis=None, keepdims=False):
    ones_for_nan = np.where(np.isnan(x), 1.0, x)
    return np.where(np.isnan(x), 0.0, _restore(g, x, axis, keepdims) * product_of_others(ones_for_nan, axis))


def _nanprod_jvp(t, ans, x, axis=None, keepdims=False):
    ones_for_nan = np.where(np.isnan(x), 1.0, x)
    return _reduce(np.where(np.isnan(x), 0.0, t * product_of_others(ones_for_nan, axis)), axis, keepdims)


defvjp(np.nanprod, _nanprod_vjp, params=("axis", "keepdims"))
defjvp(np.nanprod, _nanprod_jvp)

# ---------------------------------------------------------------- extrema (ties share the gradient)


def _share_of_extremum(ans, x, axis, keepdims):
    """1/count where `x` reaches the extremum `ans` over `axis` (count: entries tied there), else 0."""
    hits = x == _restore(ans, x, axis, keepdims)
    return hits / np.sum(hits, axis=axis, keepdims=True)


def _extremum_vjp(g, ans, x, axis=None, keepdims=False):
    return _restore(g, x, axis, keepdims) * _share_of_extremum(ans, x, axis, keepdims)


def _extremum_jvp(t, ans, x, axis=None, keepdims=False):
    return _reduce(t * _share_of_extremum(ans, x, axis, keepdims), axis, keepdims)


# NaN never equals the extremum, so nanmax/nanmin route no gradient to NaN entries.
for extremum in (np.max, np.min, np.amax, np.amin, np.nanmax, np.nanmin):
    defvjp(extremum, _extremum_vjp, params=("axis", "keepdims"))
    defjvp(extremum, _extremum_jvp)


def _ptp_share(x, axis):
    top = _share_of_extremum(np.max(x, axis=axis, keepdims=True), x, axis, True)
    bottom = _share_of_extremum(np.min(x, axis=axis, keepdims=True), x, axis, True)
    return top - bottom


defvjp(np.ptp, lambda g, ans, x, axis=None, keepdims=False: _restore(g, x, axis, keepdims) * _ptp_share(x, axis),
       params=("axis", "keepdims"))
defjvp(np.ptp, lambda t, ans, x, axis=None, keepdims=False: _reduce(t * _ptp_share(x, axis), axis, keepdims))

# ---------------------------------------------------------------- moments


def _centred(x, axis):
    return x - np.mean(x, axis=axis, keepdims=True)


def _var_slope(ans, x, axis, ddof):
    """d var / d x."""
    return 2 * _centred(x, axis) / (_count(x, ans) - ddof)


def _std_slope(ans, x, axis, ddof, keepdims):
    """d std / d x."""
    return _centred(x, axis) / ((_count(x, ans) - ddof) * _restore(ans, x, axis, keepdims))


defvjp(np.var, lambda g, ans, x, axis=None, ddof=0, keepdims=False:
       _restore(g, x, axis, keepdims) * _var_slope(ans, x, axis, ddof), params=("axis", "ddof", "keepdims"))
defjvp(np.var, lambda t, ans, x, axis=None, ddof=0, keepdims=False:
       _reduce(t * _var_slope(ans, x, axis, ddof), axis, keepdims))
defvjp(np.std, lambda g, ans, x, axis=None, ddof=0, keepdims=False:
       _restore(g, x, axis, keepdims) * _std_slope(ans, x, axis, ddof, keepdims), params=("axis", "ddof", "keepdims"))
defjvp(np.std, lambda t, ans, x, axis=None, ddof=0, keepdims=False:
       _reduce(t * _std_slope(ans, x, axis, ddof, keepdims), axis, keepdims))


# np.average(a, axis, weights) is sum(a * w) / sum(w) over axis; the mean without weights.
def _average_share(ans, a, axis, weights):
    """d average / d a."""
    if weights is None:
        return 1 / _count(a, ans)
    w = weights_along(weights, a, axis)
    return w / np.sum(w, axis=axis, keepdims=True)


def _average_a_vjp(g, ans, a, axis=None, weights=None, keepdims=False):
    return np.broadcast_to(_restore(g, a, axis, keepdims) * _average_share(ans, a, axis, weights), np.shape(a))


def _average_a_jvp(t, ans, a, axis=None, weights=None, keepdims=False):
    return _reduce(t * _average_share(ans, a, axis, weights), axis, keepdims)


def _average_w_slope(ans, a, axis, w, keepdims):
    """d average / d w, for the weights `w` shaped to broadcast against `a`."""
    return (a - _restore(ans, a, axis, keepdims)) / np.sum(w, axis=axis, keepdims=True)


def _average_w_vjp(g, ans, a, axis=None, weights=None, keepdims=False):
    w = weights_along(weights, a, axis)
    spread = _restore(g, a, axis, keepdims) * _average_w_slope(ans, a, axis, w, keepdims)
    return np.reshape(unbroadcast(spread, w), np.shape(weights))


def _average_w_jvp(t, ans, a, axis=None, weights=None, keepdims=False):
    w = weights_along(weights, a, axis)
    return _reduce(weights_along(t, a, axis) * _average_w_slope(ans, a, axis, w, keepdims), axis, keepdims)


defvjp(np.average, _average_a_vjp, None, _average_w_vjp, params=("keepdims",))
defjvp(np.average, _average_a_jvp, None, _average_w_jvp)

# ---------------------------------------------------------------- nan-ignoring sum and mean


def _nanmean_share(x, axis):
    present = np.logical_not(np.isnan(x))
    return present / np.sum(present, axis=axis, keepdims=True)


defvjp(np.nansum, lambda g, ans, x, axis=None, keepdims=False:
       np.where(np.isnan(x), 0.0, _restore(g, x, axis, keepdims)), params=("axis", "keepdims"))
defjvp(np.nansum, lambda t, ans, x, axis=None, keepdims=False: _reduce(np.where(np.isnan(x), 0.0, t), axis, keepdims))
defvjp(np.nanmean, lambda g, ans, x, axis=None, keepdims=False:
       _restore(g, x, axis, keepdims) * _nanmean_share(x, axis), params=("axis", "keepdims"))
defjvp(np.nanmean, lambda t, ans, x, axis=None, keepdims=False: _reduce(t * _nanmean_share(x, axis), axis, keepdims))

# ---------------------------------------------------------------- scans


def _reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _cumsum_vjp(g, ans, x, axis=None):
    if axis is None:  # the scan ran over the flattened input
        return np.reshape(_reverse_cumsum(g, 0), np.shape(x))
    return _reverse_cumsum(g, axis)


defvjp(np.cumsum, _cumsum_vjp, params=("axis",))
defjvp(np.cumsum, lambda t, ans, x, axis=None: np.cumsum(t, axis))
defvjp(np.cumprod, lambda g, ans, x, axis=None: cumprod_adjoint(g, x, axis), params=("axis",))
defjvp(np.cumprod, lambda t, ans, x, axis=None: cumprod_tangent(t, x, axis))

# ---------------------------------------------------------------- norms


def _check_norm_order(ord):
    supported = ord is None or ord in ("fro", "nuc") or (
        isinstance(ord, (int, float)) and not isinstance(ord, bool) and ord != 0)
    if not supported:
        raise UnsupportedArgumentError(
            f"the derivative of `np.linalg.norm` is not implemented for ord={ord!r}",
            hint="Supported orders: None, 'fro', 'nuc', inf, -inf and non-zero numbers "
                 "(1, 2, -1, -2 for matrices).")


def _norm_slope(ans, x, ord, axis, keepdims):
    """d norm / d x: inlined for the 2-norm and the Frobenius norm, a helper otherwise."""
    _check_norm_order(ord)
    if ord is None or ord == "fro" or ord == 2 and isinstance(axis, int):
        return x / _restore(ans, x, axis, keepdims)
    return norm_gradient(x, ord, axis)


defvjp(np.linalg.norm, lambda g, ans, x, ord=None, axis=None, keepdims=False:
       _restore(g, x, axis, keepdims) * _norm_slope(ans, x, ord, axis, keepdims), params=("ord", "axis", "keepdims"))
defjvp(np.linalg.norm, lambda t, ans, x, ord=None, axis=None, keepdims=False:
       _reduce(t * _norm_slope(ans, x, ord, axis, keepdims), axis, keepdims))
