"""Derivative rules of Python's operators and of NumPy functions.

Each rule reads like the maths; see `registry` for the signature. Broadcasting is
undone once, by the reverse pass, for rules registered with `unbroadcast=True`.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import runtime
from ..tracing import recordable
from .registry import defvjp, nondiff

matmul_adjoint_a = recordable(runtime.matmul_adjoint_a)
matmul_adjoint_b = recordable(runtime.matmul_adjoint_b)
dot_adjoint_a = recordable(runtime.dot_adjoint_a)
dot_adjoint_b = recordable(runtime.dot_adjoint_b)
getitem_adjoint = recordable(runtime.getitem_adjoint)

# ---------------------------------------------------------------- arithmetic

for add in (operator.add, np.add):
    defvjp(add, lambda g, ans, x, y: g, lambda g, ans, x, y: g, unbroadcast=True)
for sub in (operator.sub, np.subtract):
    defvjp(sub, lambda g, ans, x, y: g, lambda g, ans, x, y: -g, unbroadcast=True)
for mul in (operator.mul, np.multiply):
    defvjp(mul, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x, unbroadcast=True)
for div in (operator.truediv, np.divide):
    defvjp(div, lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y, unbroadcast=True)
for neg in (operator.neg, np.negative):
    defvjp(neg, lambda g, ans, x: -g)
defvjp(operator.pos, lambda g, ans, x: g)
defvjp(np.positive, lambda g, ans, x: g)


def _pow_base(g, ans, x, y):
    return g * y * x ** (y - 1)


def _pow_exponent(g, ans, x, y):
    return g * ans * np.log(np.where(x == 0, 1.0, x))


for power in (operator.pow, np.power):
    defvjp(power, _pow_base, _pow_exponent, unbroadcast=True)

# ---------------------------------------------------------------- elementwise functions

defvjp(np.exp, lambda g, ans, x: g * ans)
defvjp(np.log, lambda g, ans, x: g / x)
defvjp(np.sqrt, lambda g, ans, x: g * 0.5 / ans)
defvjp(np.sin, lambda g, ans, x: g * np.cos(x))
defvjp(np.cos, lambda g, ans, x: -g * np.sin(x))
defvjp(np.tanh, lambda g, ans, x: g * (1 - ans**2))
defvjp(np.square, lambda g, ans, x: g * 2 * x)
defvjp(np.absolute, lambda g, ans, x: g * np.sign(x))
defvjp(builtins.abs, lambda g, ans, x: g * np.sign(x))


# Ties between the two arguments of maximum/minimum split the gradient equally.
def _select_larger(g, ans, x, y):
    return g * ((x > y) + 0.5 * (x == y))


def _select_smaller(g, ans, x, y):
    return g * ((x < y) + 0.5 * (x == y))


defvjp(np.maximum, _select_larger, lambda g, ans, x, y: _select_larger(g, ans, y, x), unbroadcast=True)
defvjp(np.minimum, _select_smaller, lambda g, ans, x, y: _select_smaller(g, ans, y, x), unbroadcast=True)
defvjp(
    np.where,
    None,
    lambda g, ans, c, x, y: np.where(c, g, 0.0),
    lambda g, ans, c, x, y: np.where(c, 0.0, g),
    unbroadcast=True,
)


# np.clip(x, lo, hi) is minimum(maximum(x, lo), hi); lo or hi may be None.
def _clip_x(g, ans, x, lo, hi):
    if lo is None and hi is None:
        return g
    if lo is None:
        return np.where(x <= hi, g, 0.0)
    if hi is None:
        return np.where(x >= lo, g, 0.0)
    return np.where((x >= lo) & (x <= hi), g, 0.0)


def _clip_lo(g, ans, x, lo, hi):
    return np.where(x < lo, g, 0.0) if hi is None else np.where((x < lo) & (lo <= hi), g, 0.0)


def _clip_hi(g, ans, x, lo, hi):
    return np.where(x > hi, g, 0.0) if lo is None else np.where(np.maximum(x, lo) > hi, g, 0.0)


defvjp(np.clip, _clip_x, _clip_lo, _clip_hi, unbroadcast=True)

# ---------------------------------------------------------------- reductions


def _expand_reduced(g, x, axis, keepdims):
    """`g`, the cotangent of a reduction of `x`, spread back over the reduced axes."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def _sum(g, ans, x, axis=None, keepdims=False):
    return _expand_reduced(g, x, axis, keepdims)


def _mean(g, ans, x, axis=None, keepdims=False):
    count = np.size(x) if axis is None else np.size(x) / np.size(ans)
    return _expand_reduced(g / count, x, axis, keepdims)


defvjp(np.sum, _sum, params=("axis", "keepdims"))
defvjp(np.mean, _mean, params=("axis", "keepdims"))

# ---------------------------------------------------------------- products and shapes

# Which product a matmul is (vector or matrix, stacked or not) is known only at run time.
for matmul in (operator.matmul, np.matmul):
    defvjp(matmul, lambda g, ans, a, b: matmul_adjoint_a(g, a, b),
           lambda g, ans, a, b: matmul_adjoint_b(g, a, b))
defvjp(np.dot, lambda g, ans, a, b: dot_adjoint_a(g, a, b),
       lambda g, ans, a, b: dot_adjoint_b(g, a, b))


def _transpose(g, ans, x, axes=None):
    return np.transpose(g) if axes is None else np.transpose(g, tuple(np.argsort(axes).tolist()))


defvjp(np.transpose, _transpose, params=("axes",))
defvjp(np.reshape, lambda g, ans, x, shape: np.reshape(g, np.shape(x)), None)
defvjp(runtime.rename, lambda g, ans, x: g)
defvjp(operator.getitem, lambda g, ans, x, index: getitem_adjoint(g, x, index), None)

# ---------------------------------------------------------------- no derivative

nondiff(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne, operator.not_,
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.isnan, np.isfinite, np.isinf,
    np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.argmax, np.argmin, np.argsort,
    np.shape, np.ndim, np.size, np.zeros, np.ones, np.full, np.empty, np.eye, np.arange,
    np.linspace, np.zeros_like, np.ones_like, np.full_like, np.empty_like,
    builtins.len, builtins.int, builtins.bool, builtins.range, builtins.slice,
    math.floor, math.ceil, runtime.stop_gradient,
)
