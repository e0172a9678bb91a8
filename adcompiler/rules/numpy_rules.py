"""Derivative rules of Python's operators and of the core NumPy functions.

Each rule reads like the maths; see `registry` for the signatures. Broadcasting is
undone once, by the reverse pass, for rules registered with `unbroadcast=True`.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import abstract, runtime
from ..tracing import Symbol, record, recordable, spread
from .registry import defjvp, defvjp, nondiff, passes_nothing

matmul_adjoint_a = recordable(runtime.matmul_adjoint_a)
matmul_adjoint_b = recordable(runtime.matmul_adjoint_b)
dot_adjoint_a = recordable(runtime.dot_adjoint_a)
dot_adjoint_b = recordable(runtime.dot_adjoint_b)
getitem_adjoint = recordable(runtime.getitem_adjoint)
unbroadcast = recordable(runtime.unbroadcast)
setitem = recordable(runtime.setitem)
written_cotangent = recordable(runtime.written_cotangent)

# ---------------------------------------------------------------- arithmetic

for add in (operator.add, np.add):
    defvjp(add, lambda g, ans, x, y: g, lambda g, ans, x, y: g, unbroadcast=True)
    defjvp(add, lambda t, ans, x, y: t, lambda t, ans, x, y: t)
for sub in (operator.sub, np.subtract):
    defvjp(sub, lambda g, ans, x, y: g, lambda g, ans, x, y: -g, unbroadcast=True)
    defjvp(sub, lambda t, ans, x, y: t, lambda t, ans, x, y: -t)
for mul in (operator.mul, np.multiply):
    defvjp(mul, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x, unbroadcast=True)
    defjvp(mul, lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)
for div in (operator.truediv, np.divide):
    defvjp(div, lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y, unbroadcast=True)
    defjvp(div, lambda t, ans, x, y: t / y, lambda t, ans, x, y: -t * ans / y)
for neg in (operator.neg, np.negative):
    defvjp(neg, lambda g, ans, x: -g)
    defjvp(neg, lambda t, ans, x: -t)
for pos in (operator.pos, np.positive, runtime.rename):
    defvjp(pos, lambda g, ans, x: g)
    defjvp(pos, lambda t, ans, x: t)


def _log_base(x):
    """`log(x)`, with 0 where x is 0: the exponent's derivative of `0 ** y` is 0 there."""
    return np.log(np.where(x == 0, 1.0, x))


for power in (operator.pow, np.power):
    defvjp(power, lambda g, ans, x, y: g * y * x ** (y - 1),
           lambda g, ans, x, y: g * ans * _log_base(x), unbroadcast=True)
    defjvp(power, lambda t, ans, x, y: t * y * x ** (y - 1),
           lambda t, ans, x, y: t * ans * _log_base(x))

# ---------------------------------------------------------------- elementwise functions

defvjp(np.exp, lambda g, ans, x: g * ans)
defjvp(np.exp, lambda t, ans, x: t * ans)
defvjp(np.log, lambda g, ans, x: g / x)
defjvp(np.log, lambda t, ans, x: t / x)
defvjp(np.sqrt, lambda g, ans, x: g * 0.5 / ans)
defjvp(np.sqrt, lambda t, ans, x: t * 0.5 / ans)
defvjp(np.sin, lambda g, ans, x: g * np.cos(x))
defjvp(np.sin, lambda t, ans, x: t * np.cos(x))
defvjp(np.cos, lambda g, ans, x: -g * np.sin(x))
defjvp(np.cos, lambda t, ans, x: -t * np.sin(x))
defvjp(np.tanh, lambda g, ans, x: g * (1 - ans**2))
defjvp(np.tanh, lambda t, ans, x: t * (1 - ans**2))
defvjp(np.square, lambda g, ans, x: g * 2 * x)
defjvp(np.square, lambda t, ans, x: t * 2 * x)
for absolute in (np.absolute, builtins.abs):
    defvjp(absolute, lambda g, ans, x: g * np.sign(x))
    defjvp(absolute, lambda t, ans, x: t * np.sign(x))


# Where the two arguments of maximum/minimum tie, each gets half of the gradient. Against
# a constant written in the source (`np.maximum(z, 0)`, a ReLU) the argument gets the
# gradient only where it is strictly larger: the constant takes none, and neither does
# the tie, as deep-learning frameworks do for ReLU.
def _larger(x, y):
    if _is_number(y):
        return x > y
    if _is_number(x):
        return x >= y
    return (x > y) + 0.5 * (x == y)


def _smaller(x, y):
    if _is_number(y):
        return x < y
    if _is_number(x):
        return x <= y
    return (x < y) + 0.5 * (x == y)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


defvjp(np.maximum, lambda g, ans, x, y: g * _larger(x, y), lambda g, ans, x, y: g * _larger(y, x), unbroadcast=True)
defjvp(np.maximum, lambda t, ans, x, y: t * _larger(x, y), lambda t, ans, x, y: t * _larger(y, x))
defvjp(np.minimum, lambda g, ans, x, y: g * _smaller(x, y), lambda g, ans, x, y: g * _smaller(y, x), unbroadcast=True)
defjvp(np.minimum, lambda t, ans, x, y: t * _smaller(x, y), lambda t, ans, x, y: t * _smaller(y, x))

defvjp(np.where, None, lambda g, ans, c, x, y: np.where(c, g, 0.0),
       lambda g, ans, c, x, y: np.where(c, 0.0, g), unbroadcast=True)
defjvp(np.where, None, lambda t, ans, c, x, y: np.where(c, t, 0.0),
       lambda t, ans, c, x, y: np.where(c, 0.0, t))


# np.clip(x, lo, hi) is minimum(maximum(x, lo), hi); lo or hi may be None.
def _clip_passes_x(x, lo, hi):
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


def _clip_passes_lo(x, lo, hi):
    return x < lo if hi is None else (x < lo) & (lo <= hi)


def _clip_passes_hi(x, lo, hi):
    return x > hi if lo is None else np.maximum(x, lo) > hi


def _clip_x(g, ans, x, lo, hi):
    return g if lo is None and hi is None else np.where(_clip_passes_x(x, lo, hi), g, 0.0)


defvjp(np.clip, _clip_x,
       lambda g, ans, x, lo, hi: np.where(_clip_passes_lo(x, lo, hi), g, 0.0),
       lambda g, ans, x, lo, hi: np.where(_clip_passes_hi(x, lo, hi), g, 0.0), unbroadcast=True)
defjvp(np.clip, _clip_x,
       lambda t, ans, x, lo, hi: np.where(_clip_passes_lo(x, lo, hi), t, 0.0),
       lambda t, ans, x, lo, hi: np.where(_clip_passes_hi(x, lo, hi), t, 0.0))

# ---------------------------------------------------------------- reductions


def _expand_reduced(g, x, axis, keepdims):
    """`g`, the cotangent of a reduction of `x`, spread back over the reduced axes."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def _mean_count(x, ans, axis):
    return np.size(x) if axis is None else np.size(x) / np.size(ans)


def _sum(g, ans, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        return spread(g, x)  # one number for every element, spread only where an array is needed
    return _expand_reduced(g, x, axis, keepdims)


def _mean(g, ans, x, axis=None, keepdims=False):
    count = _mean_count(x, ans, axis)
    if axis is None and not keepdims:
        return spread(g / count, x)
    return _expand_reduced(g / count, x, axis, keepdims)


defvjp(np.sum, _sum, params=("axis", "keepdims"))
defjvp(np.sum, lambda t, ans, x, axis=None, keepdims=False: np.sum(t, axis=axis, keepdims=keepdims))
defvjp(np.mean, _mean, params=("axis", "keepdims"))
defjvp(np.mean, lambda t, ans, x, axis=None, keepdims=False: np.mean(t, axis=axis, keepdims=keepdims))

# ---------------------------------------------------------------- products and shapes

# Which product a matmul is (vector or matrix, stacked or not) decides its adjoints; when
# the ranks are not known before run time, a helper decides.
def _matmul_a(g, ans, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T
    if a.ndim == 2 and b.ndim == 1:
        return np.outer(g, b)
    if a.ndim == 1 and b.ndim == 2:
        return b @ g
    if a.ndim == 1 and b.ndim == 1:
        return g * b
    return matmul_adjoint_a(g, a, b)


def _matmul_b(g, ans, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    if a.ndim == 2 and b.ndim == 1:
        return g @ a
    if a.ndim == 1 and b.ndim == 2:
        return np.outer(a, g)
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    return matmul_adjoint_b(g, a, b)


def _dot_a(g, ans, a, b):
    return _matmul_a(g, ans, a, b) if a.ndim in (1, 2) and b.ndim in (1, 2) else dot_adjoint_a(g, a, b)


def _dot_b(g, ans, a, b):
    return _matmul_b(g, ans, a, b) if a.ndim in (1, 2) and b.ndim in (1, 2) else dot_adjoint_b(g, a, b)


for matmul in (operator.matmul, np.matmul):
    defvjp(matmul, _matmul_a, _matmul_b)
    defjvp(matmul, lambda t, ans, a, b: t @ b, lambda t, ans, a, b: a @ t)
defvjp(np.dot, _dot_a, _dot_b)
defjvp(np.dot, lambda t, ans, a, b: np.dot(t, b), lambda t, ans, a, b: np.dot(a, t))


def _transpose(g, ans, x, axes=None):
    if axes is None:
        return np.transpose(g)
    axes = [a % len(axes) for a in axes]  # `(-1, 0, 1)` is `(2, 0, 1)`: the inverse permutation of that
    return np.transpose(g, tuple(np.argsort(axes).tolist()))


defvjp(np.transpose, _transpose, params=("axes",))
defjvp(np.transpose, lambda t, ans, x, axes=None: np.transpose(t, axes))
defvjp(np.reshape, lambda g, ans, x, shape: np.reshape(g, np.shape(x)), None)
defjvp(np.reshape, lambda t, ans, x, shape: np.reshape(t, np.shape(ans)), None)
defvjp(operator.getitem, lambda g, ans, x, index: getitem_adjoint(g, np.shape(x), index), None)
defjvp(operator.getitem, lambda t, ans, x, index: t[index], None)

# x[index] = value, read as a function returning the updated array. The value's
# cotangent is copied out of g before the array's cotangent zeroes those elements, which
# the generated code then does in place (the reverse pass applies these two rules last
# argument first).
def _written(g, index):
    """`g[index]` copied, where `index` names each element once (`written_cotangent` otherwise)."""
    if _basic_index(index):
        return np.copy(g[index])
    return written_cotangent(g, index)


def _basic_index(index) -> bool:
    """Whether `index` is certainly made of integers, slices, `None` and `...` (no arrays)."""
    if isinstance(index, Symbol):
        return _basic_abstract(index.av)
    return runtime._is_basic_index(index)


def _basic_abstract(av) -> bool:
    if isinstance(av, abstract.Scalar):
        return av.kind == "int"
    if isinstance(av, abstract.Sequence) and av.kind == "tuple":
        return all(_basic_abstract(item) for item in av.items)
    return False


# An index is made of integers: nothing flows through it (`passes_nothing`).
_through_index = passes_nothing


def _tangent_of_index(t, ans, x, index, value):
    return 0.0 * ans


# What is written into an array of ints or bools is truncated: nothing flows through it.
if_holds_floats = recordable(runtime.if_holds_floats)


# (linear in the part it passes: its own rules pass the cotangent or tangent the same way)
defvjp(runtime.if_holds_floats, lambda c, ans, part, x: if_holds_floats(c, x), passes_nothing)
defjvp(runtime.if_holds_floats, lambda t, ans, part, x: if_holds_floats(t, x), lambda t, ans, part, x: 0.0 * ans)


def _into(array, part):
    """`part` flows into the array written into if it holds floats (decided at run time
    where its dtype is not known before)."""
    av = array.av if isinstance(array, Symbol) else abstract.of_constant(array)
    dtype = av.dtype if isinstance(av, abstract.Array) else None
    if dtype is None:
        return if_holds_floats(part, array)
    return part if dtype.kind in "fc" else None


def _tangent_into(array, t):
    tangent = _into(array, t)
    return tangent if tangent is not None else 0.0 * array


defvjp(runtime.setitem, lambda g, ans, x, index, value: setitem(g, index, 0.0), _through_index,
       lambda g, ans, x, index, value: _into(ans, unbroadcast(_written(g, index), np.shape(value))))
defjvp(runtime.setitem, lambda t, ans, x, index, value: setitem(t, index, 0.0), _tangent_of_index,
       lambda t, ans, x, index, value: _tangent_into(ans, setitem(np.zeros_like(ans), index, t)))

# the reverse pass's own helpers, for a gradient differentiated again: `unbroadcast` and
# its adjoint `broadcast_back` are linear in their first argument and read only the shape
# of the others
broadcast_back = recordable(runtime.broadcast_back)
defvjp(runtime.unbroadcast, lambda c, ans, g, like: broadcast_back(c, g, like), lambda c, ans, g, like: None)
defjvp(runtime.unbroadcast, lambda t, ans, g, like: unbroadcast(t, like), lambda t, ans, g, like: 0.0 * ans)
defvjp(runtime.broadcast_back, lambda d, ans, c, g, like: unbroadcast(d, like), lambda d, ans, c, g, like: None,
       lambda d, ans, c, g, like: None)
defjvp(runtime.broadcast_back, lambda t, ans, c, g, like: broadcast_back(t, g, like),
       lambda t, ans, c, g, like: 0.0 * ans, lambda t, ans, c, g, like: 0.0 * ans)

# More of them, linear in the adjoint they place, spread or add; their other arguments are
# shapes, indices, keys and items read for their shapes, through which nothing flows.
_passes_nothing = passes_nothing


def _no_tangent(t, ans, *args):
    return 0.0 * ans


zeros_like_input = recordable(runtime.zeros_like_input)
spread_tangent = recordable(runtime.spread_tangent)
with_added = recordable(runtime.with_added)
sum_adjoint_back = recordable(runtime.sum_adjoint_back)
defvjp(runtime.getitem_adjoint, lambda c, ans, g, shape, index: unbroadcast(c[index], g), _passes_nothing,
       _passes_nothing)
defjvp(runtime.getitem_adjoint, lambda t, ans, g, shape, index: getitem_adjoint(t, shape, index), _no_tangent,
       _no_tangent)
defvjp(runtime.spread_tangent, lambda c, ans, t, like: unbroadcast(c, t), _passes_nothing)
defjvp(runtime.spread_tangent, lambda d, ans, t, like: spread_tangent(d, like), _no_tangent)
def _item(c, key):
    """`c[key]`; recorded where `c` is a tuple of cotangents and `key` known only at run time."""
    return record(operator.getitem, c, key) if isinstance(key, Symbol) and not isinstance(c, Symbol) else c[key]


defvjp(runtime.with_added, lambda c, ans, items, key, g: c, _passes_nothing, lambda c, ans, items, key, g: _item(c, key))
defjvp(runtime.with_added, lambda t, ans, items, key, g: t, lambda t, ans, items, key, g: zeros_like_input(ans),
       lambda t, ans, items, key, g: with_added(zeros_like_input(ans), key, t))
extremum_adjoint_back = recordable(runtime.extremum_adjoint_back)
extremum_tangent = recordable(runtime.extremum_tangent)
defvjp(runtime.extremum_adjoint, lambda c, ans, g, items, extremum: extremum_adjoint_back(c, g, items, extremum),
       _passes_nothing, _passes_nothing)
defjvp(runtime.extremum_adjoint, lambda t, ans, g, items, extremum: extremum_adjoint(t, items, extremum),
       lambda t, ans, g, items, extremum: zeros_like_input(ans), lambda t, ans, g, items, extremum: zeros_like_input(ans))
add_structures = recordable(runtime.add_structures)
defvjp(runtime.add_structures, lambda c, ans, a, b: c, lambda c, ans, a, b: c)
defjvp(runtime.add_structures, lambda t, ans, a, b: t, lambda t, ans, a, b: t)
defvjp(runtime.sum_adjoint, lambda c, ans, g, items: sum_adjoint_back(c, g, items), _passes_nothing)
defjvp(runtime.sum_adjoint, lambda t, ans, g, items: sum_adjoint(t, items), lambda t, ans, g, items: zeros_like_input(ans))

# a list built by a comprehension: the cotangent of a list is a list (or an array along
# axis 0, from np.stack or np.sum); the appended value's is its last element
defvjp(runtime.list_append, lambda g, ans, items, value: g[:-1], lambda g, ans, items, value: g[-1])
defjvp(runtime.list_append, lambda t, ans, items, value: list_append(t, 0.0 * ans[-1]),
       lambda t, ans, items, value: list_append(runtime.zeros_like_input(ans[:-1]), t))
list_append = recordable(runtime.list_append)

# x[index] += value, for indices that may repeat (the adjoint of a read accumulates so)
add_at = recordable(runtime.add_at)
defvjp(runtime.add_at, lambda g, ans, x, index, value: g, _through_index,
       lambda g, ans, x, index, value: _into(ans, unbroadcast(g[index], np.shape(value))))
defjvp(runtime.add_at, lambda t, ans, x, index, value: t, _tangent_of_index,
       lambda t, ans, x, index, value: _tangent_into(ans, add_at(np.zeros_like(ans), index, t)))

# ---------------------------------------------------------------- conversions

defvjp(np.copy, lambda g, ans, x: g)
defjvp(np.copy, lambda t, ans, x: t)
defvjp(builtins.float, lambda g, ans, x: g)
defjvp(builtins.float, lambda t, ans, x: t)


def _float_dtype(dtype) -> bool:
    kind = np.dtype(dtype).kind
    if kind == "c":
        from ..errors import UnsupportedArgumentError

        raise UnsupportedArgumentError("a cast to a complex type cannot be differentiated: adcompiler's "
                                       "derivatives are those of real numbers", hint="Keep the values real.")
    return kind == "f"


# a cast to a float type passes the gradient; a cast to an integer type has none
# a returned gradient's conversion to its input's type and dtype: the identity on values
# (what a second derivative differentiates through); `like` lends only its dtype
for _conversion in (runtime.as_gradient, runtime.as_own_gradient):
    defvjp(_conversion, lambda g, ans, x, like: g, lambda g, ans, x, like: None)
    defjvp(_conversion, lambda t, ans, x, like: t, lambda t, ans, x, like: 0.0 * ans)
defvjp(runtime.astype, lambda g, ans, x, dtype: g if _float_dtype(dtype) else None, params=("dtype",))
defjvp(runtime.astype, lambda t, ans, x, dtype: t if _float_dtype(dtype) else 0.0 * t)

# ---------------------------------------------------------------- Python's sum, max and min

sum_adjoint = recordable(runtime.sum_adjoint)
extremum_adjoint = recordable(runtime.extremum_adjoint)
defvjp(builtins.sum, lambda g, ans, items, start=0: sum_adjoint(g, items),
       lambda g, ans, items, start=0: g)
defjvp(builtins.sum, lambda t, ans, items, start=0: builtins.sum(t) if not isinstance(t, Symbol) else record_sum(t),
       lambda t, ans, items, start=0: t)


def record_sum(t):
    return recordable(builtins.sum)(t)


# max(a, b) / min(a, b) of two numbers or arrays, or max(items) / min(items) of a sequence
def _extremum_first(larger):
    def rule(g, ans, a, b=None):
        if b is None:
            return extremum_adjoint(g, a, ans)
        return g * (_larger(a, b) if larger else _smaller(a, b))
    return rule


def _extremum_second(larger):
    def rule(g, ans, a, b=None):
        return g * (_larger(b, a) if larger else _smaller(b, a))
    return rule


def _extremum_jvp_first(larger):
    def rule(t, ans, a, b=None):
        if b is None:
            return extremum_tangent(t, a, ans)
        return t * (_larger(a, b) if larger else _smaller(a, b))
    return rule


for fn, larger in ((builtins.max, True), (builtins.min, False)):
    defvjp(fn, _extremum_first(larger), _extremum_second(larger))
    defjvp(fn, _extremum_jvp_first(larger), lambda t, ans, a, b=None, larger=larger:
           t * (_larger(b, a) if larger else _smaller(b, a)))

# ---------------------------------------------------------------- constructors from values

# np.full(shape, v) and np.full_like(a, v): every element is v (broadcast), so v's
# cotangent is g summed back to v's shape. dtype= only names the result's type.
full = recordable(np.full)
defvjp(np.full, None, lambda g, ans, shape, fill_value, dtype=None: unbroadcast(g, np.shape(fill_value)),
       params=("dtype",))
defjvp(np.full, None, lambda t, ans, shape, fill_value, dtype=None: full(np.shape(ans), t))
defvjp(np.full_like, lambda g, ans, a, fill_value, dtype=None: None,  # `a` gives only its shape
       lambda g, ans, a, fill_value, dtype=None: unbroadcast(g, np.shape(fill_value)), params=("dtype",))
defjvp(np.full_like, lambda t, ans, a, fill_value, dtype=None: np.zeros_like(ans),
       lambda t, ans, a, fill_value, dtype=None: full(np.shape(ans), t))

# np.arange(start, stop, step): sample k is start + k step, so its slope is 1 in start
# and k in step; the stop only decides how many samples there are (no slope). With one
# argument, that argument is the stop.
sample_indices = recordable(runtime.sample_indices)


def _no_slope(g, ans, *args):
    return None


defvjp(np.arange, lambda g, ans, start_or_stop, stop=None, step=1: None if stop is None else np.sum(g),
       _no_slope, lambda g, ans, start_or_stop, stop=None, step=1: np.sum(g * sample_indices(ans)))
defjvp(np.arange, lambda t, ans, start_or_stop, stop=None, step=1: 0.0 * ans if stop is None else t + 0.0 * ans,
       lambda t, ans, *args: 0.0 * ans, lambda t, ans, start_or_stop, stop=None, step=1: t * sample_indices(ans))

# np.linspace(start, stop, num): sample k is start + w_k (stop - start), with w_k from 0
# to 1 (to (num - 1) / num without the endpoint), along axis 0.
linspace_weights = recordable(runtime.linspace_weights)
defvjp(np.linspace,
       lambda g, ans, start, stop, num=50, endpoint=True:
           unbroadcast(np.sum(g * (1.0 - linspace_weights(ans, endpoint)), axis=0), np.shape(start)),
       lambda g, ans, start, stop, num=50, endpoint=True:
           unbroadcast(np.sum(g * linspace_weights(ans, endpoint), axis=0), np.shape(stop)),
       None, params=("endpoint",))
defjvp(np.linspace,
       lambda t, ans, start, stop, num=50, endpoint=True: t * (1.0 - linspace_weights(ans, endpoint)),
       lambda t, ans, start, stop, num=50, endpoint=True: t * linspace_weights(ans, endpoint),
       None)

# ---------------------------------------------------------------- no derivative

nondiff(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne, operator.not_,
    operator.is_, operator.is_not,
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.isnan, np.isfinite, np.isinf,
    np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.argmax, np.argmin, np.argsort,
    np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty, np.eye,
    np.zeros_like, np.ones_like, np.empty_like,
    builtins.len, builtins.int, builtins.bool, builtins.range, builtins.slice,
    math.floor, math.ceil, runtime.stop_gradient, runtime.dtype_of,
    runtime.zeros_like_input, builtins.isinstance, builtins.round,
    np.any, np.all,
)
