"""Running derivative rules on symbols, so that a rule written in NumPy becomes IR.

A rule is an ordinary function such as `lambda g, ans, x: g * np.cos(x)`. The reverse
pass calls it with `Symbol`s standing for IR values; every operator, ufunc and NumPy
function applied to a symbol appends a `Call` op to the active `Recorder` and returns a
new symbol. Literal constants stay Python values, so `x ** (2 - 1)` folds to `x ** 1`,
and the few identities below (`g * 1`, `x ** 1`, `x + 0`) simplify on the spot: the
generated code says what a person would have written.
"""
from __future__ import annotations

import operator
import threading

import numpy as np

from . import abstract
from .errors import InternalError
from .ir import Call, Const, Value
from .naming import literal_hint, temp_hint
from .runtime import make_list, make_tuple

_state = threading.local()


class Recorder:
    """Collects the ops that symbols record, all tagged with one source location.

    `types` maps values to what is known of them (see `abstract`); the recorder adds
    the abstract value of each result it records, so that rules can ask `x.ndim`.
    """

    def __init__(self, loc=None, types=None):
        self.loc = loc
        self.ops: list[Call] = []
        self.types = {} if types is None else types

    def __enter__(self):
        self._outer = getattr(_state, "recorder", None)
        _state.recorder = self
        return self

    def __exit__(self, *exc):
        _state.recorder = self._outer

    def call(self, fn, args, kwargs=(), hint=None) -> "Symbol":
        operands = tuple(as_operand(a) for a in args)
        kw = tuple((k, as_operand(v)) for k, v in kwargs)
        hint = hint or temp_hint(fn, [_hint_of(o) for o in operands])
        result = Value(hint, self.loc)
        self.ops.append(Call((result,), fn, operands, kw, self.loc))
        av = abstract.transfer(fn, [abstract.value_of(self.types, o) for o in operands], operands, dict(kw))
        if av is not None:
            self.types[result] = av
        return Symbol(result, av)


class Spread:
    """What `spread` returns on symbols: a number standing for itself in every element."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def spread(g, x):
    """The cotangent of `x` that is the number `g` in every element (a sum's). On symbols
    the reverse pass keeps it a number while elementwise ops can use it as it is; on real
    arrays it is the array."""
    if isinstance(x, Symbol) or isinstance(g, Symbol):
        return Spread(g)
    return np.broadcast_to(g, np.shape(x))


def record(fn, *args, **kwargs) -> "Symbol":
    """Record `fn(*args, **kwargs)` in the active recorder."""
    recorder = getattr(_state, "recorder", None)
    if recorder is None:
        raise InternalError(f"a symbol was used outside of a recorder (calling {fn!r})")
    return recorder.call(fn, args, tuple(kwargs.items()))


def recordable(fn):
    """`fn` called on real values, or recorded as a call when any argument is a symbol.

    Rules use it for runtime helpers, which do what can only be decided at run time.
    """
    def call(*args, **kwargs):
        if any(isinstance(a, Symbol) for a in args) or any(isinstance(v, Symbol) for v in kwargs.values()):
            return record(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    call.__wrapped__ = fn
    call.__name__ = getattr(fn, "__name__", "helper")
    return call


def _hint_of(operand) -> str:
    if isinstance(operand, Value):
        return operand.hint
    return operand.name or literal_hint(operand.value)


_LITERALS = (int, float, complex, bool, str, type(None), type(Ellipsis))


def as_operand(x):
    """The IR operand for a rule's argument or result."""
    if isinstance(x, Symbol):
        return x.operand
    if isinstance(x, (Value, Const)):
        return x
    if isinstance(x, _LITERALS) or isinstance(x, np.generic):
        return Const(x)
    if isinstance(x, slice):
        parts = (x.start, x.stop, x.step)
        if any(isinstance(p, Symbol) for p in parts):
            return record(slice, *parts).operand
        return Const(x)
    if isinstance(x, tuple):
        if any(isinstance(i, Symbol) or isinstance(i, slice) and _has_symbol(i) for i in x):
            return record(make_tuple, *x).operand
        return Const(x)
    if isinstance(x, list):
        if any(isinstance(i, Symbol) for i in x):
            return record(make_list, *x).operand
        return Const(x)
    raise InternalError(f"a derivative rule produced a {type(x).__name__}, which cannot appear in generated code")


def _has_symbol(s: slice) -> bool:
    return any(isinstance(p, Symbol) for p in (s.start, s.stop, s.step))


def _is(x, number) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x == number


def _binary(fn, a, b):
    if fn is operator.mul:
        if _is(a, 1):
            return b
        if _is(b, 1):
            return a
        if _is(a, -1):
            return -b
        if _is(b, -1):
            return -a
    elif fn is operator.add:
        if _is(a, 0):
            return b
        if _is(b, 0):
            return a
    elif fn is operator.sub:
        if _is(b, 0):
            return a
        if _is(a, 0):
            return -b
    elif fn in (operator.truediv, operator.pow) and _is(b, 1):
        return a
    return record(fn, a, b)


class Symbol:
    """Stands for an IR value while a rule runs; records what is done to it.

    `ndim` is the number of dimensions when it is known before run time, else None, and
    `is_number` whether it is a Python number: rules may choose their form by them.
    """

    __slots__ = ("operand", "av")
    __array_priority__ = 1000  # ndarray operators defer to ours

    def __init__(self, operand, av=None):
        self.operand = operand
        self.av = av

    @property
    def ndim(self):
        if isinstance(self.av, abstract.Array):
            return self.av.ndim
        return 0 if isinstance(self.av, abstract.Scalar) else None

    @property
    def is_number(self) -> bool:
        return isinstance(self.av, abstract.Scalar)

    def __repr__(self) -> str:
        return f"Symbol({self.operand!r})"

    def __bool__(self):
        raise InternalError("a derivative rule branched on a value only known at run time")

    # arithmetic
    def __add__(self, o): return _binary(operator.add, self, o)
    def __radd__(self, o): return _binary(operator.add, o, self)
    def __sub__(self, o): return _binary(operator.sub, self, o)
    def __rsub__(self, o): return _binary(operator.sub, o, self)
    def __mul__(self, o): return _binary(operator.mul, self, o)
    def __rmul__(self, o): return _binary(operator.mul, o, self)
    def __truediv__(self, o): return _binary(operator.truediv, self, o)
    def __rtruediv__(self, o): return _binary(operator.truediv, o, self)
    def __pow__(self, o): return _binary(operator.pow, self, o)
    def __rpow__(self, o): return _binary(operator.pow, o, self)
    def __matmul__(self, o): return record(operator.matmul, self, o)
    def __rmatmul__(self, o): return record(operator.matmul, o, self)

    def __neg__(self):
        op = _defining_op(self)
        if op is not None and op.fn is operator.neg:  # -(-x) is x
            recorder = getattr(_state, "recorder", None)
            return Symbol(op.args[0], abstract.value_of(recorder.types, op.args[0]))
        return record(operator.neg, self)

    # comparisons and logic (no derivative, but rules use them as masks)
    def __lt__(self, o): return record(operator.lt, self, o)
    def __le__(self, o): return record(operator.le, self, o)
    def __gt__(self, o): return record(operator.gt, self, o)
    def __ge__(self, o): return record(operator.ge, self, o)
    def __eq__(self, o): return record(operator.eq, self, o)
    def __ne__(self, o): return record(operator.ne, self, o)
    def __and__(self, o): return record(operator.and_, self, o)
    def __or__(self, o): return record(operator.or_, self, o)
    __hash__ = object.__hash__

    # array protocol
    def __getitem__(self, index): return record(operator.getitem, self, index)

    def __iter__(self):  # without this, Python would iterate by indexing, forever
        raise TypeError("a symbol's length is known only at run time: it cannot be iterated by a rule")

    def __len__(self):
        raise TypeError("a symbol's length is known only at run time")

    @property
    def T(self): return record(np.transpose, self)

    @property
    def shape(self): return record(np.shape, self)

    def reshape(self, *shape):
        return record(np.reshape, self, shape[0] if len(shape) == 1 else shape)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            return NotImplemented
        return record(ufunc, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return record(func, *args, **kwargs)


def _defining_op(symbol: Symbol):
    recorder = getattr(_state, "recorder", None)
    if recorder is None or not isinstance(symbol.operand, Value):
        return None
    for op in reversed(recorder.ops):
        if op.results[0] is symbol.operand:
            return op
    return None
