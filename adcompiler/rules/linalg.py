"""Derivative rules of products (`einsum`, `tensordot`, `kron`, ...) and of linear algebra.

Real inputs only. Matrix rules work on stacks of matrices wherever NumPy does (the last
two axes are the matrix); `mT` is the transpose of those two axes. Rules that need an
array's shape or number of dimensions call the small helpers below, marked `@recordable`:
they appear by name in generated code and run as plain NumPy.

Conventions worth knowing:
- `cholesky`, `eigh` and `eigvalsh` read only one triangle of their input (the lower one
  by default). Their gradient is the gradient of that function of *all* entries, so it
  is zero on the triangle that is never read: a user whose matrix is symmetric by
  construction (`s = b + b.T`) gets the right gradient for `b` through the chain rule.
- Factorizations are differentiated where they are smooth: distinct eigenvalues and
  singular values, full column rank for `qr` (m >= n) and `lstsq`, positive definite
  input for `cholesky`. Where eigenvalues tie, the coupling term is dropped (set to
  zero), which is right for functions that do not depend on the basis of the
  eigenspace.
- Outputs that are piecewise constant (the sign of `slogdet`, the rank of `lstsq`, the
  flag of `cho_factor`) have tangent 0.0 and pass no cotangent back.
"""
from __future__ import annotations

import functools
import operator
import string
from collections import Counter

import numpy as np

from ..errors import ADError, UnsupportedArgumentError
from .. import runtime
from ..runtime import unbroadcast
from ..tracing import Symbol, recordable
from .registry import defjvp, defvjp


def mT(x):
    """The transpose of the last two axes (a stack of matrices stays a stack)."""
    return np.matrix_transpose(x)


def _sum_of(terms, like):
    """The sum of the terms that are not None; zeros shaped like `like` if there are none."""
    terms = [t for t in terms if t is not None]
    return functools.reduce(operator.add, terms) if terms else np.zeros_like(like)


def _as_tuple(x):
    """Lists written in the source (`axes=[[1], [0]]`) as tuples, which generated code can hold."""
    return tuple(_as_tuple(i) for i in x) if isinstance(x, (list, tuple)) else x


def _refuse(message, hint=None):
    raise UnsupportedArgumentError(message, None, hint)


# ================================================================ products

defvjp(np.vdot, lambda g, ans, a, b: g * np.reshape(b, np.shape(a)),
       lambda g, ans, a, b: g * np.reshape(a, np.shape(b)))
defjvp(np.vdot, lambda t, ans, a, b: np.vdot(t, b), lambda t, ans, a, b: np.vdot(a, t))

defvjp(np.outer, lambda g, ans, a, b: np.reshape(np.dot(g, np.ravel(b)), np.shape(a)),
       lambda g, ans, a, b: np.reshape(np.dot(np.ravel(a), g), np.shape(b)))
defjvp(np.outer, lambda t, ans, a, b: np.outer(t, b), lambda t, ans, a, b: np.outer(a, t))


@recordable
def inner_adjoint_a(g, a, b):
    """The adjoint of `a` in `np.inner(a, b)`, which contracts the last axes."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    a_free = np.ndim(a) - 1
    return np.tensordot(g, b, axes=(list(range(a_free, np.ndim(g))), list(range(np.ndim(b) - 1))))


@recordable
def inner_adjoint_b(g, a, b):
    """The adjoint of `b` in `np.inner(a, b)`."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    a_free = np.ndim(a) - 1
    return np.tensordot(g, a, axes=(list(range(a_free)), list(range(a_free))))


defvjp(np.inner, lambda g, ans, a, b: inner_adjoint_a(g, a, b), lambda g, ans, a, b: inner_adjoint_b(g, a, b))
defjvp(np.inner, lambda t, ans, a, b: np.inner(t, b), lambda t, ans, a, b: np.inner(a, t))


def _tensordot_axes(axes, a_ndim, b_ndim):
    """The contracted axes of `a` and of `b`, paired in order, as non-negative lists."""
    if isinstance(axes, (int, np.integer)):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    return [i % a_ndim for i in axes_a], [i % b_ndim for i in axes_b]


@recordable
def tensordot_adjoint_a(g, a, b, axes=2):
    """The adjoint of `a` in `np.tensordot(a, b, axes)`."""
    axes_a, axes_b = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [i for i in range(np.ndim(b)) if i not in axes_b]
    # g's axes are free_a then free_b; contracting the free_b ones with b leaves free_a,
    # then b's contracted axes in increasing order, each standing for its partner in a.
    t = np.tensordot(g, b, axes=(list(range(len(free_a), np.ndim(g))), free_b))
    order = free_a + [axes_a[j] for j in np.argsort(axes_b)]
    return np.transpose(t, np.argsort(order))


@recordable
def tensordot_adjoint_b(g, a, b, axes=2):
    """The adjoint of `b` in `np.tensordot(a, b, axes)`."""
    axes_a, axes_b = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    t = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    order = [axes_b[j] for j in np.argsort(axes_a)] + [i for i in range(np.ndim(b)) if i not in axes_b]
    return np.transpose(t, np.argsort(order))


defvjp(np.tensordot, lambda g, ans, a, b, axes=2: tensordot_adjoint_a(g, a, b, _as_tuple(axes)),
       lambda g, ans, a, b, axes=2: tensordot_adjoint_b(g, a, b, _as_tuple(axes)), params=("axes",))
defjvp(np.tensordot, lambda t, ans, a, b, axes=2: np.tensordot(t, b, _as_tuple(axes)),
       lambda t, ans, a, b, axes=2: np.tensordot(a, t, _as_tuple(axes)))


def _kron_blocks(g, a, b):
    """`g`, the cotangent of `np.kron(a, b)`, with the axes of `a` first, then those of `b`."""
    nd = max(np.ndim(a), np.ndim(b))
    a_shape = (1,) * (nd - np.ndim(a)) + np.shape(a)
    b_shape = (1,) * (nd - np.ndim(b)) + np.shape(b)
    blocks = np.reshape(g, [n for pair in zip(a_shape, b_shape) for n in pair])
    blocks = np.transpose(blocks, list(range(0, 2 * nd, 2)) + list(range(1, 2 * nd, 2)))
    return blocks, np.reshape(a, a_shape), np.reshape(b, b_shape), nd


@recordable
def kron_adjoint_a(g, a, b):
    """The adjoint of `a` in `np.kron(a, b)`: each block of `g` contracted with `b`."""
    blocks, _, b_full, nd = _kron_blocks(g, a, b)
    return np.reshape(np.tensordot(blocks, b_full, axes=nd), np.shape(a))


@recordable
def kron_adjoint_b(g, a, b):
    """The adjoint of `b` in `np.kron(a, b)`: the blocks of `g` weighted by `a` and summed."""
    blocks, a_full, _, nd = _kron_blocks(g, a, b)
    return np.reshape(np.tensordot(a_full, blocks, axes=nd), np.shape(b))


defvjp(np.kron, lambda g, ans, a, b: kron_adjoint_a(g, a, b), lambda g, ans, a, b: kron_adjoint_b(g, a, b))
defjvp(np.kron, lambda t, ans, a, b: np.kron(t, b), lambda t, ans, a, b: np.kron(a, t))


def _cross_axes(axisa, axisb, axisc, axis):
    return (axis, axis, axis) if axis is not None else (axisa, axisb, axisc)


@recordable
def cross_adjoint(g, a, b, first, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The adjoint of `a` (`first`) or of `b` in `np.cross(a, b)`, for 3-vectors.

    <g, da x b> = <b x g, da> and <g, a x db> = <g x a, db>.
    """
    axisa, axisb, axisc = _cross_axes(axisa, axisb, axisc, axis)
    a_, b_ = np.moveaxis(a, axisa, -1), np.moveaxis(b, axisb, -1)
    if a_.shape[-1] != 3 or b_.shape[-1] != 3:
        raise ADError("the derivative of np.cross is implemented for 3-vectors only",
                      hint="Pad 2-vectors with a zero third component.")
    g_ = np.moveaxis(g, axisc, -1)
    if first:
        return np.moveaxis(unbroadcast(np.cross(b_, g_), a_), -1, axisa)
    return np.moveaxis(unbroadcast(np.cross(g_, a_), b_), -1, axisb)


_CROSS_PARAMS = ("axisa", "axisb", "axisc", "axis")
defvjp(np.cross, lambda g, ans, a, b, **axes: cross_adjoint(g, a, b, True, **axes),
       lambda g, ans, a, b, **axes: cross_adjoint(g, a, b, False, **axes), params=_CROSS_PARAMS)
defjvp(np.cross, lambda t, ans, a, b, **axes: np.cross(t, b, **axes),
       lambda t, ans, a, b, **axes: np.cross(a, t, **axes))

# ---------------------------------------------------------------- einsum
# np.einsum(subscripts, *operands) is linear in each operand. Its VJP for an operand is
# another einsum, from g and the other operands to that operand's labels; the helper
# builds its subscripts at run time, when the number of axes `...` stands for is known.

_EINSUM_OPERANDS = 4  # rules are registered for this many operands; more are refused


def _einsum_labels(subscripts, shapes):
    """One label string per operand and the output's, with `...` spelled as letters."""
    if not isinstance(subscripts, str):
        raise ADError("the derivative of np.einsum needs the subscripts as a string",
                      hint="Write `np.einsum('ij,jk->ik', a, b)`, not the interleaved form.")
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    unused = [c for c in string.ascii_letters if c not in subscripts]
    spans = [len(shape) - len(term.replace("...", "")) for term, shape in zip(terms, shapes) if "..." in term]
    ellipsis = "".join(unused[: max(spans, default=0)])
    unused = unused[len(ellipsis):]

    def expand(term, ndim):
        span = ndim - len(term.replace("...", ""))
        return term.replace("...", ellipsis[len(ellipsis) - span:] if span else "")

    labels = [expand(term, len(shape)) for term, shape in zip(terms, shapes)]
    if arrow:
        out = output.replace("...", ellipsis)
    else:  # implicit output: the labels used once, in alphabetical order, after `...`
        counts = Counter("".join(t.replace("...", "") for t in terms))
        out = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
    return labels, out, unused


@recordable
def einsum_adjoint(g, subscripts, index, *operands):
    """The adjoint of operand `index` in `np.einsum(subscripts, *operands)`.

    The einsum from `g` and the other operands to this operand's labels, with a ones
    vector for each label this operand sums on its own, an identity matrix for each
    repeated label (a diagonal), and a fresh label for each broadcast axis of length 1.
    """
    labels, out, unused = _einsum_labels(subscripts, [np.shape(x) for x in operands])
    sizes = {}
    for term, x in zip(labels, operands):
        for c, n in zip(term, np.shape(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    terms = [out] + [t for j, t in enumerate(labels) if j != index]
    arrays = [g] + [x for j, x in enumerate(operands) if j != index]
    dtype = np.result_type(*arrays)
    known = set("".join(terms))
    fresh = iter(unused)
    target = ""
    for c, n in zip(labels[index], np.shape(operands[index])):
        if c in target:  # a repeated label: the cotangent lives on the diagonal
            new = next(fresh)
            terms.append(c + new)
            arrays.append(np.eye(n, dtype=dtype))
            c = new
        elif n == 1 and sizes[c] > 1:  # broadcast: sum over the label, keep an axis of 1
            c = next(fresh)
            known.add(c)
            terms.append(c)
            arrays.append(np.ones(1, dtype=dtype))
        elif c not in known:  # summed by this operand alone: the cotangent is constant along it
            known.add(c)
            terms.append(c)
            arrays.append(np.ones(n, dtype=dtype))
        target += c
    return np.einsum(",".join(terms) + "->" + target, *arrays, optimize=len(arrays) > 2)


def _einsum_vjp(index):
    def vjp(g, ans, subscripts, *operands, optimize=False):
        _check_einsum_call(subscripts, operands)
        return einsum_adjoint(g, subscripts, index, *operands)

    return vjp


def _einsum_jvp(index):
    def jvp(t, ans, subscripts, *operands, optimize=False):
        _check_einsum_call(subscripts, operands)
        moved = operands[:index] + (t,) + operands[index + 1:]
        return np.einsum(subscripts, *moved, optimize=optimize)

    return jvp


def _check_einsum_call(subscripts, operands):
    if not isinstance(subscripts, (str, Symbol)) or any(isinstance(x, list) for x in operands):
        _refuse("the derivative of `np.einsum` needs the subscripts as a string",
                "Write `np.einsum('ij,jk->ik', a, b)`, not the interleaved form.")
    if len(operands) > _EINSUM_OPERANDS:
        _refuse(f"the derivative of `np.einsum` is implemented for up to {_EINSUM_OPERANDS} operands",
                "Split the product into several einsum calls.")


defvjp(np.einsum, None, *[_einsum_vjp(i) for i in range(_EINSUM_OPERANDS)], params=("optimize",))
defjvp(np.einsum, None, *[_einsum_jvp(i) for i in range(_EINSUM_OPERANDS)])

# ================================================================ determinants and inverses


def _per_matrix(x):
    """A scalar per matrix (shape `(...)`), as `(..., 1, 1)` to scale a stack of matrices."""
    return np.expand_dims(x, (-2, -1))


def _trace(x):
    return np.trace(x, axis1=-2, axis2=-1)


# d det(A) = tr(adj(A) dA): the cofactor matrix, which exists where A is singular too
# (det(A) A^-T needs the inverse)
cofactors = recordable(runtime.cofactors)
defvjp(np.linalg.det, lambda g, ans, a: _per_matrix(g) * cofactors(a))
defjvp(np.linalg.det, lambda t, ans, a: np.sum(cofactors(a) * t, axis=(-2, -1)))


def _slogdet_vjp(g, ans, a):
    _, g_logdet = g  # the sign is piecewise constant
    if g_logdet is None:
        return np.zeros_like(a)
    return _per_matrix(g_logdet) * mT(np.linalg.inv(a))


defvjp(np.linalg.slogdet, _slogdet_vjp, outputs=2)
defjvp(np.linalg.slogdet, lambda t, ans, a: (0.0, _trace(np.linalg.solve(a, t))))

# d A^-1 = -A^-1 dA A^-1
defvjp(np.linalg.inv, lambda g, ans, a: -mT(ans) @ g @ mT(ans))
defjvp(np.linalg.inv, lambda t, ans, a: -ans @ t @ ans)


# For A of full rank, with P = pinv(A) (Golub and Pereyra):
#   dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P
def _pinv_vjp(g, ans, a, rcond=None, rtol=None):
    p, gT = ans, mT(g)
    return (-mT(p) @ g @ mT(p)
            + (gT - a @ (p @ gT)) @ (p @ mT(p))
            + (mT(p) @ p) @ (gT - (gT @ p) @ a))


def _pinv_jvp(t, ans, a, rcond=None, rtol=None):
    p, tT = ans, mT(t)
    return (-p @ t @ p
            + (p @ mT(p)) @ (tT - (tT @ a) @ p)
            + (tT - p @ (a @ tT)) @ (mT(p) @ p))


defvjp(np.linalg.pinv, _pinv_vjp, params=("rcond", "rtol"))
defjvp(np.linalg.pinv, _pinv_jvp)

# ================================================================ solves
# x = solve(A, b): b_bar = solve(A^T, g), A_bar = -b_bar x^T. NumPy reads b as a vector
# only when it is 1-d, and broadcasts stacks; the helpers decide at run time.


def _columns(v, b):
    """`v` (shaped like `b` or like the solution) as a stack of column matrices."""
    return np.expand_dims(v, -1) if np.ndim(b) == 1 else v


def _uncolumns(v, b):
    return v[..., 0] if np.ndim(b) == 1 else v


@recordable
def solve_adjoint_b(g, a, b):
    """The adjoint of `b` in `np.linalg.solve(a, b)`."""
    return unbroadcast(_uncolumns(np.linalg.solve(mT(a), _columns(g, b)), b), b)


@recordable
def solve_adjoint_a(g, x, a, b):
    """The adjoint of `a` in `x = np.linalg.solve(a, b)`."""
    b_bar = np.linalg.solve(mT(a), _columns(g, b))
    return unbroadcast(-b_bar @ mT(_columns(x, b)), a)


@recordable
def solve_tangent_a(t, x, a, b):
    """The tangent of `x = np.linalg.solve(a, b)` along `a`: -A^-1 dA x."""
    return -_uncolumns(np.linalg.solve(a, t @ _columns(x, b)), b)


defvjp(np.linalg.solve, lambda g, ans, a, b: solve_adjoint_a(g, ans, a, b),
       lambda g, ans, a, b: solve_adjoint_b(g, a, b))
defjvp(np.linalg.solve, lambda t, ans, a, b: solve_tangent_a(t, ans, a, b),
       lambda t, ans, a, b: np.linalg.solve(a, t))


@recordable
def outer_over_columns(u, v):
    """u v^T summed over the columns of `u` and `v`, which are vectors or matrices."""
    return np.reshape(u, (np.shape(u)[0], -1)) @ np.transpose(np.reshape(v, (np.shape(v)[0], -1)))


@recordable
def lstsq_residuals_adjoint(g_residuals, r):
    """2 r g: the adjoint of the residual r from that of `lstsq`'s residuals sum(r**2).

    NumPy gives the residuals shape (k,) for k right-hand sides, (1,) for a vector, and
    (0,) when the system is square (the residual is then zero, and so is this).
    """
    if np.size(g_residuals) == 0:
        return np.zeros_like(r)
    return 2 * r * np.reshape(g_residuals, np.shape(r)[1:])


@recordable
def lstsq_residuals_tangent(r, dr, residuals):
    """The tangent of `lstsq`'s residuals sum(r**2, axis=0): 2 <r, dr>, or empty like them."""
    if np.size(residuals) == 0:
        return np.zeros_like(residuals)
    return np.reshape(2 * np.sum(r * dr, axis=0), np.shape(residuals))


def _singular_values_vjp(g_s, a):
    """The adjoint of `a` from that of its singular values: U diag(g_s) V^T."""
    usv = np.linalg.svd(a, full_matrices=False)
    return (usv[0] * np.expand_dims(g_s, -2)) @ usv[2]


def _singular_values_jvp(t, a):
    usv = np.linalg.svd(a, full_matrices=False)
    return np.einsum("...ik,...ij,...kj->...k", usv[0], t, usv[2])


# x = lstsq(A, b)[0] for A of full column rank solves A^T A x = A^T b; with r = b - A x:
#   dx = (A^T A)^-1 (A^T (db - dA x) + dA^T r),  d sum(r**2) = 2 <r, db - dA x>
def _lstsq_vjp_a(g, ans, a, b, rcond=None):
    g_x, g_residuals, _, g_s = g
    x = ans[0]
    r = b - a @ x
    terms = [_singular_values_vjp(g_s, a) if g_s is not None else None]
    if g_x is not None:
        z = np.linalg.solve(mT(a) @ a, g_x)
        terms += [outer_over_columns(r, z), -outer_over_columns(a @ z, x)]
    if g_residuals is not None:
        terms.append(-outer_over_columns(lstsq_residuals_adjoint(g_residuals, r), x))
    return _sum_of(terms, a)


def _lstsq_vjp_b(g, ans, a, b, rcond=None):
    g_x, g_residuals, _, _ = g
    terms = []
    if g_x is not None:
        terms.append(a @ np.linalg.solve(mT(a) @ a, g_x))
    if g_residuals is not None:
        terms.append(lstsq_residuals_adjoint(g_residuals, b - a @ ans[0]))
    return _sum_of(terms, b)


def _lstsq_jvp_a(t, ans, a, b, rcond=None):
    x, residuals = ans[0], ans[1]
    r = b - a @ x
    dx = np.linalg.solve(mT(a) @ a, mT(t) @ r - mT(a) @ (t @ x))
    return dx, lstsq_residuals_tangent(r, -(t @ x), residuals), 0.0, _singular_values_jvp(t, a)


def _lstsq_jvp_b(t, ans, a, b, rcond=None):
    x, residuals = ans[0], ans[1]
    dx = np.linalg.solve(mT(a) @ a, mT(a) @ t)
    return dx, lstsq_residuals_tangent(b - a @ x, t, residuals), 0.0, 0.0


defvjp(np.linalg.lstsq, _lstsq_vjp_a, _lstsq_vjp_b, params=("rcond",), outputs=4)
defjvp(np.linalg.lstsq, _lstsq_jvp_a, _lstsq_jvp_b)

# ================================================================ factorizations
# Helpers for matrices read through one triangle (cholesky, eigh): S is the symmetric
# matrix the function sees; its lower (or upper) triangle comes from A.


def _symmetric_from(t, lower=True):
    """The symmetric matrix built from the lower (or upper) triangle of `t`."""
    return np.tril(t) + mT(np.tril(t, -1)) if lower else np.triu(t) + mT(np.triu(t, 1))


def _gradient_on_triangle(s_bar, lower=True):
    """From a gradient w.r.t. the symmetric S to one w.r.t. the triangle of A it came from."""
    return np.tril(s_bar) + np.tril(mT(s_bar), -1) if lower else np.triu(s_bar) + np.triu(mT(s_bar), 1)


def _inverse_gaps(w):
    """F[..., i, j] = 1 / (w_j - w_i) off the diagonal, and 0 where the values tie."""
    gaps = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    tie = gaps == 0
    return np.where(tie, 0.0, 1.0 / np.where(tie, 1.0, gaps))


def _half_lower(x):
    """The lower triangle of `x` with its diagonal halved."""
    return 0.5 * (np.tril(x) + np.tril(x, -1))


def _inverse_right(x, m):
    """x M^-1."""
    return mT(np.linalg.solve(mT(m), mT(x)))


# ---------------------------------------------------------------- cholesky
# A = L L^T with S symmetric: dL = L Phi(L^-1 dS L^-T), Phi taking the lower triangle
# with a halved diagonal. Phi is self-adjoint, so S_bar = L^-T Phi(L^T L_bar) L^-1.
# NumPy reads the lower triangle of its input (the upper one with `upper=True`, which
# returns U = L^T): the gradient is w.r.t. that triangle and zero on the other one.


def _cholesky_lower_vjp(g, l):
    p = _half_lower(mT(l) @ g)
    s_bar = _inverse_right(np.linalg.solve(mT(l), p), l)
    return _gradient_on_triangle(s_bar)


def _cholesky_lower_jvp(t, l):
    ds = _symmetric_from(t)
    return l @ _half_lower(_inverse_right(np.linalg.solve(l, ds), mT(l)))


def _cholesky_vjp(g, ans, a, upper=False):
    return mT(_cholesky_lower_vjp(mT(g), mT(ans))) if upper else _cholesky_lower_vjp(g, ans)


def _cholesky_jvp(t, ans, a, upper=False):
    return mT(_cholesky_lower_jvp(mT(t), mT(ans))) if upper else _cholesky_lower_jvp(t, ans)


defvjp(np.linalg.cholesky, _cholesky_vjp, params=("upper",))
defjvp(np.linalg.cholesky, _cholesky_jvp)

# ---------------------------------------------------------------- qr
# Reduced A = QR, m >= n, full column rank. With X = Q^T dA R^-1 and C = tril(X, -1):
#   dR = (X - C + C^T) R,  dQ = dA R^-1 - Q (X - C + C^T).
# The VJP: A_bar = (Q_bar + Q copyltu(M)) R^-T, M = R R_bar^T - Q_bar^T Q, where
# copyltu mirrors the lower triangle onto the upper one.


def _check_qr_mode(mode):
    if mode != "reduced":
        _refuse(f"the derivative of `np.linalg.qr` is implemented for mode='reduced', not {mode!r}")


def _copyltu(m):
    return np.tril(m) + mT(np.tril(m, -1))


def _qr_vjp(g, ans, a, mode="reduced"):
    _check_qr_mode(mode)
    g_q, g_r = g
    q, r = ans[0], ans[1]
    m = r @ mT(g_r) if g_r is not None else 0.0
    if g_q is not None:
        m = m - mT(g_q) @ q
    b = q @ _copyltu(m)
    if g_q is not None:
        b = g_q + b
    return mT(np.linalg.solve(r, mT(b)))  # b R^-T


def _qr_jvp(t, ans, a, mode="reduced"):
    _check_qr_mode(mode)
    q, r = ans[0], ans[1]
    t_rinv = _inverse_right(t, r)
    x = mT(q) @ t_rinv
    upper = np.triu(x) + mT(np.tril(x, -1))  # X - C + C^T, upper triangular
    return t_rinv - q @ upper, upper @ r


defvjp(np.linalg.qr, _qr_vjp, params=("mode",), outputs=2)
defjvp(np.linalg.qr, _qr_jvp)

# ---------------------------------------------------------------- eigh, eigvalsh
# S = V diag(w) V^T: dw = diag(V^T dS V), dV = V (F o V^T dS V) with F = _inverse_gaps(w);
# S_bar = V (diag(w_bar) + F o V^T V_bar) V^T.


def _lower(uplo):
    if uplo not in ("L", "U"):
        _refuse(f"UPLO={uplo!r} is neither 'L' nor 'U'")
    return uplo == "L"


def _eigh_vjp(g, ans, a, UPLO="L"):
    g_w, g_v = g
    w, v = ans[0], ans[1]
    inner = [np.expand_dims(g_w, -2) * v if g_w is not None else None,
             v @ (_inverse_gaps(w) * (mT(v) @ g_v)) if g_v is not None else None]
    return _gradient_on_triangle(_sum_of(inner, a) @ mT(v), _lower(UPLO))


def _eigh_jvp(t, ans, a, UPLO="L"):
    w, v = ans[0], ans[1]
    y = mT(v) @ _symmetric_from(t, _lower(UPLO)) @ v
    return np.diagonal(y, axis1=-2, axis2=-1), v @ (_inverse_gaps(w) * y)


def _eigvalsh_vjp(g, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO=UPLO)[1]
    return _gradient_on_triangle((v * np.expand_dims(g, -2)) @ mT(v), _lower(UPLO))


def _eigvalsh_jvp(t, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO=UPLO)[1]
    return np.einsum("...ji,...jk,...ki->...i", v, _symmetric_from(t, _lower(UPLO)), v)


defvjp(np.linalg.eigh, _eigh_vjp, params=("UPLO",), outputs=2)
defjvp(np.linalg.eigh, _eigh_jvp)
defvjp(np.linalg.eigvalsh, _eigvalsh_vjp, params=("UPLO",))
defjvp(np.linalg.eigvalsh, _eigvalsh_jvp)

# ---------------------------------------------------------------- svd
# Thin A = U diag(s) V^T (NumPy returns Vh = V^T), distinct non-zero s. With
# F = _inverse_gaps(s**2) and dP = U^T dA V:
#   ds = diag(dP)
#   dU = U (F o (dP S + S dP^T)) + (I - U U^T) dA V S^-1
#   dV = V (F o (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1
# and the VJP is the adjoint of that map, term by term.


@recordable
def square_svd_factor(u, vh):
    """`u`, after checking the SVD it comes from is of square matrices.

    With full_matrices=True the factors of a non-square matrix hold an arbitrary basis of
    a complement, which has no derivative.
    """
    if np.shape(u)[-1] != np.shape(vh)[-2]:
        raise ADError("the derivative of np.linalg.svd with full_matrices=True is defined for square matrices only",
                      hint="Pass full_matrices=False.")
    return u


def _svd_args(hermitian):
    if hermitian:
        _refuse("the derivative of `np.linalg.svd` is not implemented for hermitian=True",
                "Use `np.linalg.eigh` for symmetric matrices.")


def _scale_columns(x, s):
    return x * np.expand_dims(s, -2)


def _scale_rows(x, s):
    return np.expand_dims(s, -1) * x


def _svd_vjp(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    _svd_args(hermitian)
    if not compute_uv:
        if isinstance(g, tuple):  # registered as returning (u, s, vh); here it returns s alone
            _refuse("`np.linalg.svd(..., compute_uv=False)` cannot be indexed or unpacked in differentiated code",
                    "Use `np.linalg.svd(a, full_matrices=False)[1]` to read single singular values.")
        return _singular_values_vjp(g, a)
    g_u, g_s, g_vh = g
    u, s, vh = ans[0], ans[1], ans[2]
    if full_matrices:
        u = square_svd_factor(u, vh)
    f = _inverse_gaps(s**2)
    terms = []
    if g_s is not None:
        terms.append(_scale_columns(u, g_s) @ vh)
    if g_u is not None:
        ut_gu = mT(u) @ g_u
        core = _scale_columns(f * (ut_gu - mT(ut_gu)), s)
        terms += [u @ core @ vh, _scale_columns(g_u - u @ ut_gu, 1 / s) @ vh]
    if g_vh is not None:
        g_v = mT(g_vh)
        vt_gv = vh @ g_v
        core = _scale_rows(f * (vt_gv - mT(vt_gv)), s)
        terms += [u @ core @ vh, u @ _scale_rows(mT(g_v) - (mT(g_v) @ mT(vh)) @ vh, 1 / s)]
    return _sum_of(terms, a)


def _svd_jvp(t, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    _svd_args(hermitian)
    if not compute_uv:
        return _singular_values_jvp(t, a)
    u, s, vh = ans[0], ans[1], ans[2]
    if full_matrices:
        u = square_svd_factor(u, vh)
    v = mT(vh)
    f = _inverse_gaps(s**2)
    dp = mT(u) @ t @ v
    ds = np.diagonal(dp, axis1=-2, axis2=-1)
    du = u @ (f * (_scale_columns(dp, s) + _scale_rows(mT(dp), s))) + _scale_columns(t @ v - u @ dp, 1 / s)
    dv = v @ (f * (_scale_rows(dp, s) + _scale_columns(mT(dp), s))) + _scale_columns(mT(t) @ u - v @ mT(dp), 1 / s)
    return du, ds, mT(dv)


defvjp(np.linalg.svd, _svd_vjp, params=("full_matrices", "compute_uv", "hermitian"), outputs=3)
defjvp(np.linalg.svd, _svd_jvp)

# ================================================================ matrix functions


def _powers(a, n):
    """[I, A, A^2, ..., A^n], stacked like `a`."""
    out = [np.zeros_like(a) + np.eye(np.shape(a)[-1], dtype=a.dtype)]
    for _ in range(n):
        out.append(out[-1] @ a)
    return out


@recordable
def matrix_power_adjoint(g, a, n):
    """The adjoint of `a` in `np.linalg.matrix_power(a, n)`: sum_k (A^k)^T G (A^(n-1-k))^T."""
    a = np.asarray(a, dtype=np.result_type(a, 1.0))
    base = a if n >= 0 else np.linalg.inv(a)
    p = [mT(x) for x in _powers(base, abs(n) - 1)] if n else []
    total = sum((p[k] @ g @ p[abs(n) - 1 - k] for k in range(abs(n))), np.zeros_like(a))
    return total if n >= 0 else -mT(base) @ total @ mT(base)


@recordable
def matrix_power_tangent(t, a, n):
    """The tangent of `np.linalg.matrix_power(a, n)`: sum_k A^k dA A^(n-1-k)."""
    a = np.asarray(a, dtype=np.result_type(a, 1.0))
    base = a if n >= 0 else np.linalg.inv(a)
    dbase = t if n >= 0 else -base @ t @ base
    p = _powers(base, abs(n) - 1) if n else []
    return sum((p[k] @ dbase @ p[abs(n) - 1 - k] for k in range(abs(n))), np.zeros_like(a))


defvjp(np.linalg.matrix_power, lambda g, ans, a, n: matrix_power_adjoint(g, a, n), None)
defjvp(np.linalg.matrix_power, lambda t, ans, a, n: matrix_power_tangent(t, a, n), None)

# ================================================================ SciPy
# Registered only when SciPy is installed (`_register_scipy` at the end). SciPy functions
# do not dispatch on symbols, so rules call them through `recordable` wrappers, and the
# helpers below run them on arrays.

try:
    import scipy.linalg as _sla
except ImportError:  # pragma: no cover - SciPy is optional
    _sla = None

# ---------------------------------------------------------------- expm
# The Frechet derivative L(A, E) of expm is the top right block of expm([[A, E], [0, A]]);
# the VJP is L(A^T, G), the JVP L(A, T).


@recordable
def expm_frechet_block(a, e):
    """L(a, e), the derivative of expm at `a` along `e`, from one expm of twice the size."""
    n = np.shape(a)[-1]
    zeros = np.zeros_like(a)
    block = np.concatenate([np.concatenate([a, e], axis=-1), np.concatenate([zeros, a], axis=-1)], axis=-2)
    return _sla.expm(block)[..., :n, n:]


# ---------------------------------------------------------------- solve_triangular
# x = op(T)^-1 b, T the triangle of `a` that is read (its diagonal taken as ones with
# unit_diagonal=True), op the identity or the transpose (trans=1, 'T', 2 or 'C').
# b_bar = op(T)^-T g; op(T)_bar = -b_bar x^T, kept on the triangle that is read.

_TRIANGULAR = ("trans", "lower", "unit_diagonal")


def _transposes(trans):
    return trans in (1, 2, "T", "C")


def _read_triangle(m, lower, unit_diagonal):
    k = 1 if unit_diagonal else 0
    return np.tril(m, -k) if lower else np.triu(m, k)


def _triangular_back_solve(g, a, b, trans, lower, unit_diagonal):
    """op(T)^-T g, as a stack of columns."""
    back = "N" if _transposes(trans) else "T"
    return _sla.solve_triangular(a, _columns(g, b), trans=back, lower=lower, unit_diagonal=unit_diagonal)


@recordable
def solve_triangular_adjoint_b(g, a, b, trans=0, lower=False, unit_diagonal=False):
    """The adjoint of `b` in `scipy.linalg.solve_triangular(a, b, ...)`."""
    return unbroadcast(_uncolumns(_triangular_back_solve(g, a, b, trans, lower, unit_diagonal), b), b)


@recordable
def solve_triangular_adjoint_a(g, x, a, b, trans=0, lower=False, unit_diagonal=False):
    """The adjoint of `a` in `x = scipy.linalg.solve_triangular(a, b, ...)`."""
    op_bar = -_triangular_back_solve(g, a, b, trans, lower, unit_diagonal) @ mT(_columns(x, b))
    t_bar = mT(op_bar) if _transposes(trans) else op_bar
    return unbroadcast(_read_triangle(t_bar, lower, unit_diagonal), a)


@recordable
def solve_triangular_tangent_a(t, x, a, b, trans=0, lower=False, unit_diagonal=False):
    """The tangent of `x = scipy.linalg.solve_triangular(a, b, ...)` along `a`: -op(T)^-1 op(dT) x."""
    dt = _read_triangle(t, lower, unit_diagonal)
    d_op = mT(dt) if _transposes(trans) else dt
    dx = _sla.solve_triangular(a, d_op @ _columns(x, b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    return -_uncolumns(dx, b)


def _triangular(params):
    return {k: v for k, v in params.items() if k in _TRIANGULAR}


# ---------------------------------------------------------------- cho_factor, cho_solve
# cho_factor(a, lower) returns (c, lower): c holds the Cholesky factor in one triangle
# (L for lower=True, U = L^T otherwise) and, as SciPy leaves it, the entries of `a` in
# the other. cho_solve((c, lower), b) reads only the factor's triangle and solves
# S x = b with S = L L^T: S_bar = -b_bar x^T, and L_bar = (S_bar + S_bar^T) L.


def _cholesky_factor(c, lower):
    """L, from the triangle of `c` that holds the factor."""
    return np.tril(c) if lower else mT(np.triu(c))


@recordable
def cho_solve_adjoint_b(g, c_and_lower, b):
    """The adjoint of `b` in `scipy.linalg.cho_solve((c, lower), b)`."""
    return unbroadcast(_uncolumns(_sla.cho_solve(c_and_lower, _columns(g, b)), b), b)


@recordable
def cho_solve_adjoint_c(g, x, c_and_lower, b):
    """The adjoint of `c` in `x = scipy.linalg.cho_solve((c, lower), b)`."""
    c, lower = c_and_lower
    b_bar = _sla.cho_solve(c_and_lower, _columns(g, b))
    s_bar = -b_bar @ mT(_columns(x, b))
    l_bar = (s_bar + mT(s_bar)) @ _cholesky_factor(c, lower)
    return unbroadcast(np.tril(l_bar) if lower else np.triu(mT(l_bar)), c)


@recordable
def cho_solve_tangent_c(t_c, x, c_and_lower, b):
    """The tangent of `x = scipy.linalg.cho_solve((c, lower), b)` along `c`: -S^-1 dS x."""
    c, lower = c_and_lower
    l, dl = _cholesky_factor(c, lower), _cholesky_factor(t_c, lower)
    ds = dl @ mT(l) + l @ mT(dl)
    return -_uncolumns(_sla.cho_solve(c_and_lower, ds @ _columns(x, b)), b)


def _cho_factor_vjp(g, ans, a, lower=False, check_finite=True):
    g_c, c = g[0], ans[0]
    if g_c is None:
        return np.zeros_like(a)
    if lower:
        return _cholesky_lower_vjp(np.tril(g_c), np.tril(c)) + np.triu(g_c, 1)
    return mT(_cholesky_lower_vjp(mT(np.triu(g_c)), mT(np.triu(c)))) + np.tril(g_c, -1)


def _cho_factor_jvp(t, ans, a, lower=False, check_finite=True):
    c = ans[0]
    if lower:
        return np.tril(_cholesky_lower_jvp(t, np.tril(c))) + np.triu(t, 1), 0.0
    return np.triu(mT(_cholesky_lower_jvp(mT(t), mT(np.triu(c))))) + np.tril(t, -1), 0.0


def _register_scipy(sla):
    # det and inv: the NumPy rules (`overwrite_a=True` is refused: it destroys the input)
    defvjp(sla.det, lambda g, ans, a, check_finite=True: _per_matrix(g * ans) * mT(np.linalg.inv(a)),
           params=("check_finite",))
    defjvp(sla.det, lambda t, ans, a, check_finite=True: ans * _trace(np.linalg.solve(a, t)))
    defvjp(sla.inv, lambda g, ans, a, check_finite=True: -mT(ans) @ g @ mT(ans), params=("check_finite",))
    defjvp(sla.inv, lambda t, ans, a, check_finite=True: -ans @ t @ ans)

    defvjp(sla.expm, lambda g, ans, a: expm_frechet_block(mT(a), g))
    defjvp(sla.expm, lambda t, ans, a: expm_frechet_block(a, t))

    solve_triangular = recordable(sla.solve_triangular)
    defvjp(sla.solve_triangular,
           lambda g, ans, a, b, **kw: solve_triangular_adjoint_a(g, ans, a, b, **_triangular(kw)),
           lambda g, ans, a, b, **kw: solve_triangular_adjoint_b(g, a, b, **_triangular(kw)),
           params=_TRIANGULAR + ("check_finite",))
    defjvp(sla.solve_triangular,
           lambda t, ans, a, b, **kw: solve_triangular_tangent_a(t, ans, a, b, **_triangular(kw)),
           lambda t, ans, a, b, **kw: solve_triangular(a, t, **_triangular(kw)))

    # the first argument is the tuple (c, lower): its cotangent is a tuple too
    cho_solve = recordable(sla.cho_solve)
    defvjp(sla.cho_solve,
           lambda g, ans, c_and_lower, b, check_finite=True: (cho_solve_adjoint_c(g, ans, c_and_lower, b), None),
           lambda g, ans, c_and_lower, b, check_finite=True: cho_solve_adjoint_b(g, c_and_lower, b),
           params=("check_finite",))
    defjvp(sla.cho_solve,
           lambda t, ans, c_and_lower, b, check_finite=True: cho_solve_tangent_c(t[0], ans, c_and_lower, b),
           lambda t, ans, c_and_lower, b, check_finite=True: cho_solve(c_and_lower, t))

    defvjp(sla.cho_factor, _cho_factor_vjp, params=("lower", "check_finite"), outputs=2)
    defjvp(sla.cho_factor, _cho_factor_jvp)


if _sla is not None:
    _register_scipy(_sla)
