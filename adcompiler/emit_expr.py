"""Writing IR operands and calls as Python expressions (part of stage 7, see `emit`).

Operators become infix (`a * b`), `getitem` subscripts (`x[1:, None]`), `make_tuple`
and `make_list` displays, `rename` the plain name, `np.transpose(x)` `x.T`; NumPy and
`math` functions are spelled through their module (`np.linalg.norm`), anything else
by a name bound in the generated code's namespace (`unbroadcast`, the user's
`helper`). Expressions are `ast` nodes; `ast.unparse` places the parentheses.
"""
from __future__ import annotations

import ast
import importlib
import operator
import types

import numpy as np

from . import runtime
from .abstract import MATH_EQUIVALENTS, Array, Scalar
from .errors import InternalError
from .ir import Call, Const, Value
from .naming import Namer, module_path

BINARY = {
    operator.add: ast.Add, operator.sub: ast.Sub, operator.mul: ast.Mult, operator.truediv: ast.Div,
    operator.pow: ast.Pow, operator.matmul: ast.MatMult, operator.floordiv: ast.FloorDiv,
    operator.mod: ast.Mod, operator.and_: ast.BitAnd, operator.or_: ast.BitOr,
}
UNARY = {operator.neg: ast.USub, operator.pos: ast.UAdd, operator.not_: ast.Not}
COMPARE = {
    operator.lt: ast.Lt, operator.le: ast.LtE, operator.gt: ast.Gt, operator.ge: ast.GtE,
    operator.eq: ast.Eq, operator.ne: ast.NotEq, operator.is_: ast.Is, operator.is_not: ast.IsNot,
}
_MODULE_NAMES = {"numpy": "np", "math": "math"}
# reductions written as methods of arrays known to be arrays: the method skips NumPy's Python-level wrapper
_REDUCTION_METHODS = {np.sum: "sum", np.mean: "mean", np.max: "max", np.min: "min", np.prod: "prod"}
# Reductions' options at their defaults, which generated code leaves out
_DEFAULT_OPTIONS = {("axis", None), ("keepdims", False)}
_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.prod, np.std, np.var, np.amax, np.amin, np.nansum, np.nanmean}


def _default_option(fn, key, value) -> bool:
    return isinstance(value, Const) and value.name is None and type(value.value) in (bool, type(None)) \
        and (key, value.value) in _DEFAULT_OPTIONS and fn in _REDUCTIONS
# runtime methods the IR calls as functions of their object
_METHODS = {runtime.RowTerms.product: "product", runtime.RowTerms.column_sum: "column_sum"}


class Expressions:
    """Builds expressions; `names` maps values to their names, `inline` to the op written in place."""

    def __init__(self, namer: Namer, types: dict | None = None, plain: bool = False, math_functions: bool = True):
        self.namer = namer
        self.types = types or {}
        self.plain = plain  # no helpers that only make it faster (`emit`)
        self.math_functions = math_functions  # `math.sin(x)` for `np.sin(x)` of a Python float (see `emit`)
        self.names: dict = namer.names
        self.inline: dict = {}  # value -> the Call op written where the value is read
        self.namespace: dict = {}
        self._global_names: dict[int, str] = {}

    # ------------------------------------------------------------ globals

    def global_name(self, obj, preferred: str) -> str:
        """The name generated code uses for a global object, bound in its namespace."""
        key = id(obj)
        if key not in self._global_names:
            name = preferred if preferred not in self.namer.taken else self.namer.fresh(preferred)
            self.namer.reserve(name)
            self._global_names[key] = name
            self.namespace[name] = obj
        return self._global_names[key]

    def module(self, module: str) -> str:
        return self.global_name(importlib.import_module(module), _MODULE_NAMES.get(module, module.split(".")[-1]))

    def callee(self, fn, spelling: str | None = None) -> ast.expr:
        path = module_path(fn)
        if path is not None and path[0] in ("numpy", "math"):
            return dotted(f"{self.module(path[0])}.{path[1]}")
        if path is not None and path[0] == "builtins":
            return ast.Name(self.global_name(fn, path[1]))
        name = spelling or getattr(fn, "__name__", None)
        if name is None or isinstance(fn, types.ModuleType):
            raise InternalError(f"cannot spell the callable {fn!r} in generated code")
        return ast.Name(self.global_name(fn, name))

    # ------------------------------------------------------------ operands

    def operand(self, x, in_index: bool = False) -> ast.expr:
        if isinstance(x, Value):
            if x in self.inline:
                return self.call(self.inline[x], in_index)
            if x not in self.names:
                raise InternalError(f"{x!r} is read before it is named")
            return ast.Name(self.names[x])
        if x.name is not None:
            path = module_path(x.value) if callable(x.value) else None
            if path is not None and path[0] in ("numpy", "math"):
                return dotted(f"{self.module(path[0])}.{path[1]}")
            return ast.Name(self.global_name(x.value, x.name.split(".")[-1]))
        return self.literal(x.value, in_index)

    def literal(self, value, in_index: bool = False) -> ast.expr:
        if isinstance(value, slice) and in_index:
            return ast.Slice(*(None if p is None else self.literal(p) for p in (value.start, value.stop, value.step)))
        if isinstance(value, slice):
            return ast.Call(ast.Name(self.global_name(slice, "slice")),
                            [self.literal(p) for p in (value.start, value.stop, value.step)], [])
        if isinstance(value, tuple):
            return ast.Tuple([self.literal(v, in_index) for v in value])
        if isinstance(value, list):
            return ast.List([self.literal(v) for v in value])
        if isinstance(value, np.generic):
            return ast.Call(dotted(f"{self.module('numpy')}.{type(value).__name__}"), [ast.Constant(value.item())], [])
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            return ast.UnaryOp(ast.USub(), ast.Constant(-value))  # so that `(-1.0) ** n` keeps its parentheses
        if value is Ellipsis or isinstance(value, (int, float, complex, str, bool, type(None), bytes)):
            return ast.Constant(value)
        raise InternalError(f"the constant {value!r} cannot be written in generated code")

    def call(self, op: Call, in_index: bool = False) -> ast.expr:
        fn, args = op.fn, op.args
        options = [(k, v) for k, v in op.kwargs if not _default_option(fn, k, v)]  # `axis=None` goes unsaid
        if fn in BINARY:
            return ast.BinOp(self.operand(args[0]), BINARY[fn](), self.operand(args[1]))
        if fn in UNARY:
            return ast.UnaryOp(UNARY[fn](), self.operand(args[0]))
        if fn in COMPARE:
            return ast.Compare(self.operand(args[0]), [COMPARE[fn]()], [self.operand(args[1])])
        if fn is operator.getitem:
            return ast.Subscript(self.operand(args[0]), self.operand(args[1], in_index=True))
        if fn is runtime.make_tuple:
            return ast.Tuple([self.operand(a, in_index) for a in args])
        if fn is runtime.make_list:
            return ast.List([self.operand(a) for a in args])
        if fn is runtime.make_dict:
            return ast.Dict([self.operand(k) for k in args[::2]], [self.operand(v) for v in args[1::2]])
        if fn is slice and in_index:
            return ast.Slice(*(None if _is_none(a) else self.operand(a) for a in args))
        if fn is runtime.rename:
            return self.operand(args[0])
        if fn is np.transpose and len(args) == 1 and not options and _surely_an_array(self.types.get(args[0])):
            return ast.Attribute(self.operand(args[0]), "T")
        if fn in (np.size, np.shape) and len(args) == 1 and _surely_an_array(self.types.get(args[0])):
            return ast.Attribute(self.operand(args[0]), fn.__name__)  # x.size: an attribute, not a call
        if fn is np.mean and len(args) == 1 and not options and not self.plain \
                and _summed_exactly(self.types.get(args[0])):
            return ast.Call(self.callee(runtime.mean), [self.operand(args[0])], [])
        if fn in _REDUCTION_METHODS and len(args) == 1 and _surely_an_array(self.types.get(args[0])):
            keywords = [ast.keyword(k, self.operand(v)) for k, v in options]  # x.sum(axis=0): no Python wrapper
            return ast.Call(ast.Attribute(self.operand(args[0]), _REDUCTION_METHODS[fn]), [], keywords)
        if fn is runtime.astype and _surely_an_array(self.types.get(args[0])):  # x.astype(dtype), as written
            keywords = [ast.keyword(k, self.operand(v)) for k, v in options]
            return ast.Call(ast.Attribute(self.operand(args[0]), "astype"), [self.operand(a) for a in args[1:]],
                            keywords)
        if fn in _METHODS:
            keywords = [ast.keyword(k, self.operand(v)) for k, v in options]
            return ast.Call(ast.Attribute(self.operand(args[0]), _METHODS[fn]), [self.operand(a) for a in args[1:]],
                            keywords)
        if fn is np.logaddexp and len(args) == 2 and not options and not self.plain and any(map(_is_zero, args)):
            other = args[1] if _is_zero(args[0]) else args[0]
            av = self.types.get(other)
            if isinstance(av, Array) and av.dtype is not None and av.dtype.kind == "f":  # softplus: faster
                return ast.Call(self.callee(runtime.softplus), [self.operand(other)], [])
        # (of constants alone, NumPy's: its inf and nan where `math` raises)
        if fn in MATH_EQUIVALENTS and self.math_functions and not options and all(map(self._is_number, args)) \
                and not all(isinstance(a, Const) for a in args):
            return ast.Call(self.callee(MATH_EQUIVALENTS[fn]), [self.operand(a) for a in args], [])
        keywords = [ast.keyword(k, self.operand(v)) for k, v in options]
        return ast.Call(self.callee(fn, op.fn_name), [self.operand(a) for a in args], keywords)

    def _is_number(self, operand) -> bool:
        """Whether `operand` is known to be a Python number (then `math` serves it faster)."""
        if isinstance(operand, Const):
            return operand.name is None and isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool)
        return isinstance(self.types.get(operand), Scalar)

    def text(self, x) -> str:
        return ast.unparse(self.operand(x))


def dotted(path: str) -> ast.expr:
    head, *rest = path.split(".")
    node: ast.expr = ast.Name(head)
    for attr in rest:
        node = ast.Attribute(node, attr)
    return node


def _summed_exactly(av) -> bool:
    """Whether `np.mean` of such an array is its sum over its size: NumPy sums float16
    and integers in a wider type, other floats in their own."""
    return isinstance(av, Array) and av.dtype is not None and av.dtype.kind in "fc" and av.dtype.itemsize >= 4


def _is_zero(x) -> bool:
    return isinstance(x, Const) and x.name is None and type(x.value) in (int, float) and x.value == 0


def _is_none(x) -> bool:
    return isinstance(x, Const) and x.value is None and x.name is None


def _surely_an_array(av) -> bool:
    """Whether a value is an ndarray at run time, so that it has `.T`, `.shape`, `.sum()`:
    an array of one dimension or more. (A 0-d value may be a number: the seed `1.0` is
    the adjoint of a 0-d result.)"""
    return isinstance(av, Array) and bool(av.dims)
