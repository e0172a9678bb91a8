"""What is known about each value before the code runs: its kind, rank, dtype, and which
of its dimensions are 1.

A compiled gradient is specialised on the *signature* of its arguments (`signature`):
Python float or int, or an array's dtype and, per dimension, whether it is 1; tuples,
lists and dicts element by element. Sizes other than 1 are not part of it, so a new
batch size reuses the compiled code. From the signature, `infer` propagates abstract
values through the IR:

- `Scalar("float")`: a Python number;
- `Array(dims, dtype)`: an array (NumPy scalars are 0-d arrays); `dims` holds, per
  axis, `ONE` (size 1), `MANY` (size other than 1) or `None` (unknown), or is `None`
  when even the rank is unknown;
- `Sequence(kind, items)` and `Mapping(items)`: containers;
- `None`: unknown.

The reverse pass uses them to undo broadcasting at compile time (`unbroadcast_plan`) and
to pick the right form of a rule (`x.ndim` of a symbol); the emitter uses them to write
`math.sin(x)` for Python floats. Whatever is unknown falls back to code that decides at
run time, so a missing fact costs speed, never correctness.
"""
from __future__ import annotations

import builtins
import dataclasses
import functools
import math
import operator
from dataclasses import dataclass

import numpy as np

from . import runtime
from .errors import UnsupportedSyntaxError
from .ir import Call, Const, For, Function, If, Region, Value, walk_ops, with_regions

ONE, MANY = "1", "n"


@dataclass(frozen=True)
class Scalar:
    kind: str  # "float", "int" or "bool": a Python number
    size: str | None = None  # an int read from a shape: whether it is 1 (`ONE`, `MANY`, or None: unknown)


@dataclass(frozen=True)
class Array:
    dims: tuple | None
    dtype: object = None

    @property
    def ndim(self):
        return None if self.dims is None else len(self.dims)


@dataclass(frozen=True)
class Sequence:
    kind: str  # "tuple" or "list"
    items: tuple


@dataclass(frozen=True)
class Mapping:
    items: tuple  # ((key, abstract value), ...)

    def get(self, key):
        return dict(self.items).get(key)


# ---------------------------------------------------------------- signatures


def signature(args) -> tuple:
    """A hashable description of the arguments, the key of a specialised variant."""
    return tuple(map(_describe, args))


_FLOAT, _INT = ("f",), ("i",)


def exact_key(args, _ndarray=np.ndarray) -> tuple:
    """A quicker key than `signature`, with exact shapes: the first cache a call looks in."""
    return tuple([(a.dtype, a.shape) if type(a) is _ndarray else _NUMBERS.get(type(a)) or _describe(a) for a in args])


_NUMBERS = {float: _FLOAT, int: _INT, bool: _INT}  # what `_describe` says of Python numbers, without the call


def _describe(a):
    t = type(a)
    if t is np.ndarray:
        shape = a.shape
        return ("a", a.dtype.char, len(shape)) if 1 not in shape else ("a", a.dtype.char, tuple(s == 1 for s in shape))
    if t is float:
        return _FLOAT
    if t is int or t is bool:
        return _INT
    if isinstance(a, np.generic):
        return ("a", a.dtype.char, 0)
    if t is tuple or t is list:
        return (t.__name__, tuple(_describe(x) for x in a))
    if t is dict:
        return ("d", tuple((k, _describe(v)) for k, v in a.items()))
    return ("o", t)


def from_signature(desc):
    """The abstract value a signature entry stands for."""
    kind = desc[0]
    if kind == "f":
        return Scalar("float")
    if kind == "i":
        return Scalar("int")
    if kind == "a":
        shape = desc[2]
        dims = (MANY,) * shape if isinstance(shape, int) else tuple(ONE if one else MANY for one in shape)
        return Array(dims, np.dtype(desc[1]))
    if kind in ("tuple", "list"):
        return Sequence(kind, tuple(from_signature(d) for d in desc[1]))
    if kind == "d":
        return Mapping(tuple((k, from_signature(d)) for k, d in desc[1]))
    return None


def of_constant(value):
    """The abstract value of a constant operand."""
    if isinstance(value, bool):
        return Scalar("bool")
    if isinstance(value, int):
        return Scalar("int")
    if isinstance(value, float):
        return Scalar("float")
    if isinstance(value, (np.ndarray, np.generic)):
        return Array(tuple(ONE if s == 1 else MANY for s in np.shape(value)), np.asarray(value).dtype)
    if isinstance(value, tuple) and all(not isinstance(v, tuple) for v in value):
        return Sequence("tuple", tuple(of_constant(v) for v in value))
    return None


# ---------------------------------------------------------------- inference


def infer(fn: Function, params) -> dict:
    """Abstract values of the function's values, from those of its parameters."""
    env = {p: a for p, a in zip(fn.params, params) if a is not None}
    _region(fn.body, env)
    return env


def value_of(env: dict, operand):
    if isinstance(operand, Const):
        return of_constant(operand.value)
    return env.get(operand)


def check_not_joining_containers(op: Call, env: dict) -> None:
    """Refuse `a + b` and `a * n` on tuples or lists (joining or repeating them) where a
    gradient flows: their adjoints would be taken for array arithmetic."""
    if op.fn in (operator.add, operator.mul) and any(
            isinstance(value_of(env, a), Sequence) and value_of(env, a).kind != "shape" for a in op.args):
        raise UnsupportedSyntaxError(
            "joining or repeating tuples or lists with `+` or `*` cannot be differentiated", op.loc,
            "Build the list with `items.append(v)` in a loop, or write the tuple out: `(a, b, c)`.")


def check_not_updating_container(op: Call, env: dict, containers=frozenset()) -> None:
    """Refuse `d[key] = v` on a dict, list or tuple (or on one of `containers`, values
    known to be lists, such as those `append` returns) where a gradient flows."""
    if op.fn in (runtime.setitem, runtime.add_at) and (
            isinstance(value_of(env, op.args[0]), (Sequence, Mapping)) or op.args[0] in containers):
        raise UnsupportedSyntaxError(
            "assigning an item of a dict or list cannot be differentiated", op.loc,
            "Build the container with its final values (`d = {\"a\": a, \"b\": b}`), or keep the "
            "values in arrays and update those.")


def cast_in_place_updates(fn: Function, env: dict) -> Function:
    """`x op= v` on an array keeps `x`'s dtype (NumPy casts the result back into it): where
    the result would be of another dtype (a float32 `x`, a float64 `v`), it is cast, as
    NumPy does, or refused, where NumPy raises (a float added into an int array)."""
    body = _cast_in_place(fn.body, env)
    return fn if body is fn.body else dataclasses.replace(fn, body=body)


def _cast_in_place(r: Region, env: dict) -> Region:
    ops, changed = [], False
    for op in r.ops:
        if not isinstance(op, Call):
            inner = [_cast_in_place(x, env) for x in op.regions]
            if any(a is not b for a, b in zip(inner, op.regions)):
                op, changed = with_regions(op, inner), True
            ops.append(op)
            continue
        target, result = value_of(env, op.args[0]) if op.args else None, env.get(op.results[0])
        if op.in_place and isinstance(target, Array) and isinstance(result, Array) and target.dtype is not None \
                and result.dtype is not None and target.dtype != result.dtype:
            if not np.can_cast(result.dtype, target.dtype, "same_kind"):
                raise UnsupportedSyntaxError(
                    f"this augmented assignment would store {result.dtype} values into a {target.dtype} array, "
                    "which NumPy refuses", op.loc, "Write `x = x + v` for a new array of the wider type.")
            wide = Value(op.results[0].hint, op.loc)  # (the pipeline infers the values again after this)
            ops += [dataclasses.replace(op, results=(wide,)),
                    Call(op.results, runtime.astype, (wide,), (("dtype", Const(target.dtype.name)),), op.loc)]
            changed = True
            continue
        ops.append(op)
    return dataclasses.replace(r, ops=tuple(ops)) if changed else r


def adds_in_place(a, b, result) -> bool:
    """Whether `a + b` may be computed as `a += b`: `result` is known to have `a`'s shape
    and dtype, and `b` spreads over `a` without widening it (each of its sizes is 1 or, where
    `a`'s size is other than 1, other than 1 too: equal to `a`'s, or NumPy raises in the sum)."""
    if not (isinstance(a, Array) and isinstance(result, Array) and a.dims is not None and a.dims == result.dims
            and None not in a.dims and a.dtype is not None and a.dtype == result.dtype):
        return False
    if isinstance(b, Scalar):
        return True
    if not isinstance(b, Array) or b.dims is None or None in b.dims or len(b.dims) > len(a.dims):
        return False
    return all(bd == ONE or ad == MANY for bd, ad in zip(b.dims[::-1], a.dims[::-1]))


def check_dict_reads(fn: Function, env: dict) -> None:
    """Refuse a dict read at an int known only at run time: how `for k in d` is lowered
    (by position, `d[i]` for i in `range(len(d))`), where Python gives the keys."""
    for op in walk_ops(fn.body):
        key = value_of(env, op.args[1]) if isinstance(op, Call) and len(op.args) > 1 else None
        if isinstance(op, Call) and op.fn is operator.getitem and isinstance(value_of(env, op.args[0]), Mapping) \
                and isinstance(key, Scalar) and key.kind == "int" and not isinstance(op.args[1], Const):
            raise UnsupportedSyntaxError(
                "a dict read by position, `d[i]` for i in a range (as `for k in d` is read), is not supported",
                op.loc, "Loop over the keys written out, `for k in (\"a\", \"b\"):`, and read `d[k]`.")


def _region(region: Region, env: dict) -> None:
    for op in region.ops:
        if isinstance(op, Call):
            av = transfer(op.fn, [value_of(env, a) for a in op.args], op.args,
                          {k: v for k, v in op.kwargs})
            _set(env, op.results[0], av)  # None forgets what an earlier round of a loop assumed
        elif isinstance(op, If):
            for branch in op.regions:
                _region(branch, env)
            for r, a, b in zip(op.results, op.then.yields, op.orelse.yields):
                _set(env, r, join(value_of(env, a), value_of(env, b)))
        else:
            _loop(op, env)


def _loop(op, env: dict) -> None:
    n = len(op.inits)
    carried = op.body.params[len(op.body.params) - n:]
    if isinstance(op, For):
        index = _iteration_value(value_of(env, op.iterable))
        for t in op.targets:
            _set(env, t, index if op.ntargets == 1 else None)
    state = [value_of(env, i) for i in op.inits]
    for _ in range(4):  # abstract values form short chains: a few rounds reach the fixed point
        for p, a in zip(carried, state):
            _set(env, p, a)
        if not isinstance(op, For):
            for p, a in zip(op.cond.params, state):
                _set(env, p, a)
            _region(op.cond, env)
        _region(op.body, env)
        new = [join(a, value_of(env, y)) for a, y in zip(state, op.body.yields)]
        if new == state:
            break
        state = new
    else:
        state = [None] * n
        for p in carried:
            env.pop(p, None)
    for r, a in zip(op.results, state):
        _set(env, r, a)


def _iteration_value(iterable):
    return Scalar("int") if iterable == "range" else None


def _set(env: dict, value, av) -> None:
    if av is None:
        env.pop(value, None)
    else:
        env[value] = av


def join(a, b):
    """What is known of a value that is either `a` or `b`."""
    if a == b:
        return a
    if isinstance(a, Array) and isinstance(b, Array) and a.ndim is not None and a.ndim == b.ndim:
        dims = tuple(x if x == y else None for x, y in zip(a.dims, b.dims))
        return Array(dims, a.dtype if _same_dtype(a.dtype, b.dtype) else None)
    if {type(a), type(b)} == {Scalar, Array} and (a.dims if isinstance(a, Array) else b.dims) == () \
            and "float" == (a.kind if isinstance(a, Scalar) else b.kind):
        return Array((), None)  # a float or a 0-d array (`s = 0.0`, then `s = s + np.sum(x)`): a number
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        if "bool" in (a.kind, b.kind):
            return None  # an index `x[k]` takes an axis away for an int, adds one for a bool
        return Scalar("float") if "float" in (a.kind, b.kind) else Scalar("int")
    if isinstance(a, Sequence) and isinstance(b, Sequence) and a.kind == b.kind != "shape" \
            and len(a.items) == len(b.items):  # a tuple carried through a loop: still a tuple
        return Sequence(a.kind, tuple(join(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, Mapping) and isinstance(b, Mapping) and [k for k, _ in a.items] == [k for k, _ in b.items]:
        return Mapping(tuple((k, join(x, y)) for (k, x), (_, y) in zip(a.items, b.items)))
    return None


def _same_dtype(a, b) -> bool:
    """Both known and equal. (`np.dtype("float64") == None` is True: NumPy reads None as
    the default dtype, so unknown dtypes must be told apart with `is None`.)"""
    return a is not None and b is not None and a == b


# ---------------------------------------------------------------- transfer functions


def transfer(fn, avs, operands=(), kwargs=None):
    """The abstract value of `fn(*args)`, from those of the arguments (None: unknown)."""
    kwargs = kwargs or {}
    special = _SPECIAL.get(fn) if _hashable(fn) else None
    if special is not None:
        return special(avs, operands, kwargs)
    if isinstance(fn, np.ufunc) and fn.nout != 1:
        return None  # np.modf, np.divmod: a tuple
    if fn in _COMPARISONS or isinstance(fn, np.ufunc) and fn.__name__ in _BOOLEAN_UFUNCS:
        return _numpy_scalar(fn, _broadcast(avs, bool_result=True))
    if _elementwise(fn):
        return _numpy_scalar(fn, _broadcast(avs))
    if getattr(fn, "__module__", None) == "math":
        return Scalar("float")
    return None


def _numpy_scalar(fn, av):
    """NumPy functions of Python numbers return NumPy scalars (0-d), except those the
    emitter writes with `math`, and Python's own operators."""
    if isinstance(av, Scalar) and fn not in _PYTHON_OPERATORS and fn not in MATH_EQUIVALENTS:
        return Array((), np.dtype(bool) if av.kind == "bool" else np.dtype(float))
    return av


def _hashable(fn) -> bool:
    try:
        hash(fn)
        return True
    except TypeError:
        return False


def _elementwise(fn) -> bool:
    from .rules import is_elementwise

    return is_elementwise(fn)


_COMPARISONS = {operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne}
_PYTHON_OPERATORS = _COMPARISONS | {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                                    operator.neg, operator.pos, operator.floordiv, operator.mod, builtins.abs}
_BOOLEAN_UFUNCS = {"less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
                   "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf", "isfinite",
                   "signbit"}


def _broadcast(avs, bool_result: bool = False):
    if any(a is None or isinstance(a, (Sequence, Mapping)) for a in avs):
        return None
    arrays = [a for a in avs if isinstance(a, Array)]
    if not arrays:
        if bool_result:
            return Scalar("bool")
        return Scalar("float") if any(a.kind == "float" for a in avs) else Scalar("int")
    if any(a.dims is None for a in arrays):
        return None
    rank = max(len(a.dims) for a in arrays)
    dims = []
    for axis in range(rank):
        sizes = [a.dims[axis - rank + len(a.dims)] for a in arrays if axis - rank + len(a.dims) >= 0]
        dims.append(_broadcast_dim(sizes))
    if bool_result:
        dtype = np.dtype(bool)
    else:
        dtypes = [a.dtype for a in arrays]
        dtype = None if any(d is None for d in dtypes) else \
            np.result_type(*dtypes, *[_python_type(a) for a in avs if isinstance(a, Scalar)])
    return Array(tuple(dims), dtype)


def _python_type(a: Scalar):
    return {"float": 0.0, "int": 0, "bool": False}[a.kind]


def _broadcast_dim(sizes):
    if MANY in sizes:
        return MANY
    if all(s == ONE for s in sizes):
        return ONE
    return None


def _axes(axis, ndim):
    if axis is None or ndim == 0:  # (an axis of a 0-d array raises at run time, if that code runs)
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


@functools.lru_cache(maxsize=None)
def _reduced_dtype(fn, dtype):
    """A reduction's dtype, as NumPy gives it: ints and bools are averaged in float64, and
    summed in its default int (asked of NumPy itself, on one element)."""
    if dtype is None or dtype.kind not in "biu":
        return dtype
    return np.asarray(fn(np.ones(1, dtype=dtype))).dtype


def _reduction(avs, operands, kwargs, fn):
    x = avs[0] if avs else None
    axis = _const(kwargs.get("axis"), None)
    keepdims = _const(kwargs.get("keepdims"), False)
    if axis is _UNKNOWN or keepdims is _UNKNOWN:
        return None
    if isinstance(x, Scalar):
        return Array((), np.dtype(float)) if x.kind == "float" else Array((), None)
    if not isinstance(x, Array) or x.dims is None:  # all of it reduced: a number, of whatever dtype
        return Array((), x.dtype if isinstance(x, Array) else None) if axis is None and not keepdims else None
    axes = _axes(axis, len(x.dims))
    dims = tuple(ONE if i in axes else d for i, d in enumerate(x.dims)) if keepdims else \
        tuple(d for i, d in enumerate(x.dims) if i not in axes)
    return Array(dims, _reduced_dtype(fn, x.dtype))


_UNKNOWN = object()


def _dtype_operand(operand, default):
    """The dtype an argument names (`float`, `np.float32`, `"float32"`, written in the
    source), `default` if there is none, `_UNKNOWN` if it is known only at run time."""
    if operand is None:
        return default
    if isinstance(operand, Const) and (operand.name is None or isinstance(operand.value, (type, np.dtype))):
        return operand.value
    return _UNKNOWN


def _const(operand, default):
    if operand is None:
        return default
    if isinstance(operand, Const) and operand.name is None:
        return operand.value
    return _UNKNOWN


def _matmul(avs, operands, kwargs):
    a, b = (avs + [None, None])[:2]
    if not (isinstance(a, Array) and isinstance(b, Array)) or a.dims is None or b.dims is None:
        return None
    if not a.dims or not b.dims:
        return None
    dtype = None if a.dtype is None or b.dtype is None else np.result_type(a.dtype, b.dtype)
    if len(a.dims) == 1 and len(b.dims) == 1:
        return Array((), dtype)
    if len(b.dims) == 1:
        return Array(a.dims[:-1], dtype)
    if len(a.dims) == 1:
        return Array(b.dims[:-2] + b.dims[-1:], dtype)
    batch = _broadcast([Array(a.dims[:-2], dtype), Array(b.dims[:-2], dtype)])
    return Array(batch.dims + (a.dims[-2], b.dims[-1]), dtype)


def _dot(avs, operands, kwargs):
    a, b = (avs + [None, None])[:2]
    if isinstance(a, Array) and isinstance(b, Array) and a.ndim is not None and b.ndim is not None \
            and 1 <= a.ndim <= 2 and 1 <= b.ndim <= 2:
        return _matmul(avs, operands, kwargs)
    return None


def _transpose(avs, operands, kwargs):
    x = avs[0]
    if not isinstance(x, Array) or x.dims is None:
        return None
    axes = _const(kwargs.get("axes"), None)
    if axes is _UNKNOWN:
        return None
    order = tuple(reversed(range(len(x.dims)))) if axes is None else tuple(a % len(x.dims) for a in axes)
    return Array(tuple(x.dims[a] for a in order), x.dtype)


def _reshape(avs, operands, kwargs):
    x = avs[0]
    shape = operands[1] if len(operands) > 1 else None
    dtype = x.dtype if isinstance(x, Array) else None
    if isinstance(shape, Const) and shape.name is None:
        sizes = shape.value if isinstance(shape.value, tuple) else (shape.value,)
        return Array(tuple(ONE if s == 1 else MANY if s != -1 else None for s in sizes), dtype)
    sequence = avs[1] if len(avs) > 1 else None
    if isinstance(sequence, Sequence):
        return Array((None,) * len(sequence.items), dtype)
    return None


def _getitem(avs, operands, kwargs):
    x, index = (avs + [None, None])[:2]
    key = operands[1] if len(operands) > 1 else None
    if isinstance(x, Sequence) and x.kind == "shape":
        if isinstance(key, Const) and type(key.value) is int and -len(x.items) <= key.value < len(x.items):
            return Scalar("int", x.items[key.value])
        return Scalar("int") if isinstance(key, Const) and isinstance(key.value, int) else None
    if isinstance(x, Sequence) and isinstance(key, Const) and isinstance(key.value, int):
        return x.items[key.value] if -len(x.items) <= key.value < len(x.items) else None
    if isinstance(x, Sequence) and x.kind != "shape" and x.items and isinstance(index, Scalar) and index.kind == "int":
        return functools.reduce(join, x.items)  # `layers[i]`: what every item is
    if isinstance(x, Mapping) and isinstance(key, Const):
        return x.get(key.value)
    if not isinstance(x, Array) or x.dims is None:
        return None
    if isinstance(index, Scalar) and index.kind == "int" or _is_slice(index):
        items = (index,)
    elif isinstance(key, Const) and key.name is None:
        items = key.value if isinstance(key.value, tuple) else (key.value,)
        items = tuple(NEWAXIS if item is None else item for item in items)
    elif isinstance(index, Sequence) and index.kind == "tuple" and key is not None:
        items = index.items  # `x[i, j]`; a list `x[[i, j]]` is an advanced index, known at run time
    else:
        return None
    dims, axis = [], 0
    for item in items:
        if isinstance(item, Scalar) and item.kind == "int" or isinstance(item, int) and not isinstance(item, bool):
            axis += 1
        elif isinstance(item, str) and item == NEWAXIS:
            dims.append(ONE)
        elif isinstance(item, slice) or _is_slice(item):
            if axis >= len(x.dims):
                return None
            full = item == slice(None)  # a slice made at run time (`SLICE`) keeps the axis, of unknown size
            dims.append(x.dims[axis] if full else None)
            axis += 1
        else:
            return None  # ellipsis, arrays, masks: left to run time
    return Array(tuple(dims) + x.dims[axis:], x.dtype)


def _astype(avs, operands, kwargs):
    """`x.astype(dtype)`: `x`'s shape (a number becomes a 0-d array), the dtype given."""
    x = avs[0] if avs else None
    dims = x.dims if isinstance(x, Array) else () if isinstance(x, Scalar) else None
    dtype = _dtype_operand(kwargs.get("dtype", operands[1] if len(operands) > 1 else None), None)
    if dims is None or dtype is None or dtype is _UNKNOWN:
        return Array(dims, None) if dims is not None else None
    try:
        return Array(dims, np.dtype(dtype))
    except TypeError:
        return Array(dims, None)


def _where(avs, operands, kwargs):
    """`np.where(c, a, b)` broadcasts; `np.where(c)` is a tuple of index arrays, one per axis."""
    return _numpy_scalar(np.where, _broadcast(avs)) if len(avs) == 3 else None


def _extremum(avs, operands, kwargs):
    """`max(a, b)` is `a` or `b`; `max(items)` one of the items."""
    if len(avs) == 1:
        items = avs[0].items if isinstance(avs[0], Sequence) and avs[0].kind != "shape" else ()
        return functools.reduce(_either, items) if items else None
    return _either(*avs) if len(avs) == 2 and not kwargs else None


def _either(a, b):
    """What is known of a value that is `a` or `b` (two Python numbers of different
    kinds give an unknown kind: `max(1, 0.5)` is an int)."""
    if isinstance(a, Scalar) and isinstance(b, Scalar) and a.kind != b.kind:
        return None
    return join(a, b)


def _same(avs, operands, kwargs):
    return avs[0] if avs else None


def _constructor(avs, operands, kwargs):
    shape = operands[0] if operands else None
    dtype = _dtype_operand(kwargs.get("dtype"), np.dtype(float))
    dtype = np.dtype(dtype) if dtype is not _UNKNOWN and dtype is not None else None
    if isinstance(shape, Const) and shape.name is None:
        sizes = shape.value if isinstance(shape.value, tuple) else (shape.value,)
        return Array(tuple(ONE if s == 1 else MANY for s in sizes), dtype)
    if avs and isinstance(avs[0], Sequence):
        dims = avs[0].items if avs[0].kind == "shape" else tuple(_size(item) for item in avs[0].items)
        return Array(dims, dtype)
    if avs and isinstance(avs[0], Scalar):
        return Array((None,), dtype)
    return None


def _size(av):
    """Whether an int known from an abstract value is 1 (`ONE`, `MANY` or None)."""
    return av.size if isinstance(av, Scalar) else None


def _like(avs, operands, kwargs):
    """`np.zeros_like(a, dtype=None, order="K", subok=True, shape=None)`: an array shaped
    and typed like `a`, unless `dtype` or `shape` say otherwise."""
    def argument(name, position):
        if name in kwargs:
            return kwargs[name], None  # (what is known of a keyword argument is its value, if constant)
        if len(operands) > position:
            return operands[position], avs[position]
        return Const(None), None

    x = avs[0] if avs else None
    (dtype_operand, _), (shape_operand, shape_av) = argument("dtype", 1), argument("shape", 4)
    if isinstance(x, Scalar):
        x = Array((), np.dtype({"bool": bool, "int": int}.get(x.kind, float)))
    if not isinstance(x, Array):
        return None  # a list or tuple is made an array: of its shape, unknown here
    dtype = _dtype_operand(dtype_operand, None)
    dtype = x.dtype if dtype is None else np.dtype(dtype) if dtype is not _UNKNOWN else None
    if not (isinstance(shape_operand, Const) and shape_operand.value is None):
        return _constructor([shape_av], [shape_operand], {"dtype": Const(dtype)})
    return Array(x.dims, dtype)


def _shape(avs, operands, kwargs):
    """`np.shape(x)`: a tuple of ints, whose items remember which sizes are 1."""
    x = avs[0] if avs else None
    if isinstance(x, Array) and x.dims is not None:
        return Sequence("shape", x.dims)
    if isinstance(x, Scalar):
        return Sequence("shape", ())
    return None


def _broadcast_to(avs, operands, kwargs):
    x, shape = (avs + [None, None])[:2]
    if isinstance(shape, Sequence) and shape.kind == "shape":
        dtype = x.dtype if isinstance(x, Array) else np.dtype(float) if isinstance(x, Scalar) else None
        return Array(shape.items, dtype)
    return None


def _int(avs, operands, kwargs):
    return Scalar("int")


def _float(avs, operands, kwargs):
    return Scalar("float")


def _tuple(avs, operands, kwargs):
    return Sequence("tuple", tuple(_item(av, o) for av, o in zip(avs, operands)))


def _item(av, operand):
    """A tuple item's abstract value; a constant slice or `None` (`np.newaxis`), which an
    index tuple made at run time may hold (`x[i, :]`), is kept as what it is."""
    if av is None and isinstance(operand, Const) and operand.name in (None, "np.newaxis", "numpy.newaxis"):
        if isinstance(operand.value, slice):
            return operand.value
        if operand.value is None:
            return NEWAXIS
    return av


def _list(avs, operands, kwargs):
    return Sequence("list", tuple(avs))


def _dict(avs, operands, kwargs):
    keys = [o.value if isinstance(o, Const) else None for o in operands[::2]]
    return Mapping(tuple(zip(keys, avs[1::2])))


def _range(avs, operands, kwargs):
    return "range"


SLICE = "slice"  # the abstract value of `slice(a, b)`, made at run time: `x[a:b]` with a or b not constants
NEWAXIS = "newaxis"  # `None` in an index tuple (an unknown item is None)


def _slice(avs, operands, kwargs):
    return SLICE


def _is_slice(x) -> bool:
    return isinstance(x, str) and x == SLICE  # (an index may be an array: no `==` on it)


def _update(avs, operands, kwargs):
    return avs[0] if avs else None


def _zeros_like_input(avs, operands, kwargs):
    return _zeros_like(avs[0]) if avs else None


def _zeros_like(x):
    """`runtime.zeros_like_input(x)`: zeros of `x`'s type and shape, containers item by item."""
    if isinstance(x, (Scalar, Array)):
        return x
    if isinstance(x, Sequence) and x.kind != "shape":
        items = tuple(_zeros_like(item) for item in x.items)
        return Sequence(x.kind, items) if all(item is not None for item in items) else None
    if isinstance(x, Mapping):
        items = tuple((k, _zeros_like(v)) for k, v in x.items)
        return Mapping(items) if all(v is not None for _, v in items) else None
    return None


_SPECIAL = {
    **{fn: functools.partial(_reduction, fn=fn)
       for fn in (np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.std, np.var)},
    operator.matmul: _matmul, np.matmul: _matmul, np.dot: _dot,
    np.transpose: _transpose, np.reshape: _reshape, operator.getitem: _getitem,
    runtime.rename: _same, runtime.stop_gradient: _same, np.copy: _same,
    np.zeros: _constructor, np.ones: _constructor, np.empty: _constructor,
    np.zeros_like: _like, np.ones_like: _like, np.empty_like: _like,
    np.shape: _shape, np.broadcast_to: _broadcast_to, builtins.len: _int, np.ndim: _int, np.size: _int, builtins.int: _int,
    builtins.float: _float, runtime.make_tuple: _tuple, runtime.make_list: _list, runtime.make_dict: _dict,
    builtins.range: _range, builtins.slice: _slice, runtime.setitem: _update, runtime.add_at: _update,
    runtime.zeros_like_input: _zeros_like_input, builtins.max: _extremum, builtins.min: _extremum,
    np.where: _where, runtime.astype: _astype,
}


# ---------------------------------------------------------------- undoing broadcasting


def unbroadcast_plan(arg, result):
    """How a cotangent of `result`'s shape goes back to `arg`'s, known at compile time:
    `()` (nothing to do), `("scalar",)` (sum everything, for a Python number), or
    `(leading_axes, kept_axes)` to sum; None when it can only be decided at run time."""
    if isinstance(arg, Scalar):
        if isinstance(result, Scalar):
            return ()
        return ("scalar",)
    if not isinstance(arg, Array) or not isinstance(result, Array) or arg.dims is None or result.dims is None:
        return None
    extra = len(result.dims) - len(arg.dims)
    if extra < 0:
        return None
    kept = []
    for i, d in enumerate(arg.dims):
        r = result.dims[i + extra]
        if d is None or r is None:
            return None  # two unknown sizes may differ: `x[0:1] + y[2:4]` broadcasts
        if d == ONE and r == MANY:
            kept.append(i)
    if not extra and not kept:
        return ()
    return (tuple(range(extra)), tuple(kept))


MATH_EQUIVALENTS = {
    np.sin: math.sin, np.cos: math.cos, np.tan: math.tan, np.exp: math.exp, np.log: math.log,
    np.sqrt: math.sqrt, np.tanh: math.tanh, np.sinh: math.sinh, np.cosh: math.cosh,
    np.arcsin: math.asin, np.arccos: math.acos, np.arctan: math.atan, np.log1p: math.log1p,
    np.expm1: math.expm1, np.fabs: math.fabs, np.absolute: builtins.abs, np.arctan2: math.atan2,
    np.hypot: math.hypot,
}


_NARROW = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.complex64))


def narrow_floats(fn, types: dict) -> bool:
    """Whether an array of a float type narrower than float64 is an argument, a value or a
    global constant of `fn`. Then `np.sqrt(2.0)`, an `np.float64` that makes a float32
    array float64 in arithmetic, is not the float `math.sqrt(2.0)` (which does not), and
    the dtypes inferred for numbers do not hold."""
    def narrow(av) -> bool:
        return isinstance(av, Array) and av.dtype is not None and av.dtype in _NARROW

    return any(map(narrow, types.values())) or any(
        isinstance(x, Const) and isinstance(x.value, np.ndarray) and x.value.dtype in _NARROW
        for op in walk_ops(fn.body) for x in op.operands)
