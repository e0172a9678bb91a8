"""Lowering expressions: one IR op per operation, static objects resolved now.

Part of stage 4 (see `lower`). Names that are not local resolve to the objects they
denote: modules and functions become static callees, literal constants `Const`s, and
other global data (an array defined at module level) a named `Const` that generated
code reads by name. `and`, `or` and `a if c else b` keep Python's laziness: they
become `If` ops whose regions compute the operand evaluated second.
"""
from __future__ import annotations

import builtins
import dataclasses
import functools
import inspect
import operator
import types

import gast
import numpy as np

from . import runtime
from .calls import LocalFunction, is_inlinable, remember_why_not_inlined
from .errors import ADError, UnsupportedArgumentError, UnsupportedSyntaxError
from .ir import Call, Const, If, Region, Value
from .naming import describe, literal_hint, temp_hint
from .rules import rule_for
from .rules.registry import REQUIRED
from .source import _MISSING

# Functions whose signatures give `None` for parameters that are not passed, where passing
# None means something else: `np.where(c)` (indices) is not `np.where(c, None, None)`.
_NONE_MEANS_ABSENT = {np.where}

BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_,
}
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_}
COMPARE = {
    gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge,
    gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Is: operator.is_, gast.IsNot: operator.is_not,
}
ARRAY_ATTRIBUTES = {"T": np.transpose, "shape": np.shape, "ndim": np.ndim, "size": np.size,
                    "dtype": runtime.dtype_of, "real": np.real}
# x.method(...) is lowered as function(x, ...)
ARRAY_METHODS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod, "std": np.std,
    "var": np.var, "cumsum": np.cumsum, "cumprod": np.cumprod, "dot": np.dot, "reshape": np.reshape,
    "transpose": np.transpose, "flatten": np.ravel, "ravel": np.ravel, "astype": runtime.astype,
    "copy": np.copy, "clip": np.clip, "squeeze": np.squeeze, "conj": np.conj, "conjugate": np.conj,
    "round": np.round, "argmax": np.argmax, "argmin": np.argmin, "argsort": np.argsort,
    "any": np.any, "all": np.all, "trace": np.trace, "diagonal": np.diagonal, "swapaxes": np.swapaxes,
}
_FOLDABLE = set(BINARY.values()) | set(UNARY.values()) | set(COMPARE.values())
_SCALARS = (int, float, complex, bool, str, bytes, type(None), type(Ellipsis), np.generic)


class UnresolvedNameError(ADError):
    """A free name has no binding yet (a helper defined further down the module)."""


class Undefined:
    """What a name is bound to after an `if` that assigned it on one side only."""

    __slots__ = ("line",)

    def __init__(self, line: int):
        self.line = line


class _Static:
    """A compile-time object named in the source: a module, a function, a class."""

    __slots__ = ("obj", "spelling")

    def __init__(self, obj, spelling: str):
        self.obj = obj
        self.spelling = spelling  # how the source names it: `np.linalg.norm`, `helper`




def cond_like(then, orelse) -> bool:
    """Whether an `If` from `and`/`or` yields one of its operands unchanged (a condition)."""
    return not then[1] or not orelse[1]


class ExpressionLowering:
    """Mixin of `lower._Lowering`: needs `source`, `env`, `ops`, `fresh` and `region`."""

    def operand(self, node):
        """Lower `node` to an IR operand; a static object here is an error."""
        result = self.expr(node)
        if isinstance(result, _Static):
            if isinstance(result.obj, LocalFunction):
                return Const(result.obj, name=result.spelling)  # passed on to a function that calls it
            if isinstance(result.obj, types.ModuleType):
                raise self.error(UnsupportedSyntaxError, node, f"the module `{result.spelling}` cannot be used as a value",
                                 "Use one of its functions or constants instead.")
            return Const(result.obj, name=result.spelling)  # a function or class passed as a value
        return result

    def expr(self, node):
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise self.error(UnsupportedSyntaxError, node, f"`{type(node).__name__}` is not supported here")
        return method(node)

    def expr_Constant(self, node):
        if isinstance(node.value, complex):
            raise self.error(UnsupportedSyntaxError, node, "complex numbers are not supported: adcompiler's "
                             "derivatives are those of real numbers", "Keep real and imaginary parts as floats.")
        return Const(node.value)

    def expr_Name(self, node):
        if node.id in self.env:
            value = self.env[node.id]
            if isinstance(value, Undefined):
                raise self.error(UnsupportedSyntaxError, node,
                                 f"`{node.id}` may be undefined here: it is assigned on line {value.line} "
                                 "on some paths only", f"Assign `{node.id}` before the `if` or loop, or on every path.")
            return value
        obj = self.source.resolve(node.id)
        if obj is _MISSING:
            raise self.error(UnresolvedNameError, node, f"name `{node.id}` is not defined",
                             "Define it before the gradient is first called.")
        if isinstance(obj, _SCALARS):
            return Const(obj)
        if isinstance(obj, (types.ModuleType, type)) or callable(obj):
            return _Static(obj, node.id)
        return Const(obj, name=node.id)

    def expr_BinOp(self, node):
        return self.call(self._operator(BINARY, node), [self.operand(node.left), self.operand(node.right)], node)

    def expr_UnaryOp(self, node):
        return self.call(self._operator(UNARY, node), [self.operand(node.operand)], node)

    def _operator(self, table, node):
        fn = table.get(type(node.op))
        if fn is None:
            raise self.error(UnsupportedSyntaxError, node, f"the operator `{type(node.op).__name__}` is not supported",
                             "Write it with a NumPy function (`np.logical_not`, `np.logical_xor`, ...).")
        return fn

    def expr_Compare(self, node):
        fn = COMPARE.get(type(node.ops[0]))
        if fn is None:
            raise self.error(UnsupportedSyntaxError, node, f"the comparison `{type(node.ops[0]).__name__}` is not supported")
        return self.call(fn, [self.operand(node.left), self.operand(node.comparators[0])], node)

    def expr_Attribute(self, node):
        base = self.expr(node.value)
        if isinstance(base, _Static):
            if not hasattr(base.obj, node.attr):
                raise self.error(ADError, node, f"{_describe(base.obj)} has no attribute `{node.attr}`")
            obj = getattr(base.obj, node.attr)
            if not isinstance(obj, types.ModuleType) and getattr(base.obj, node.attr) is obj:
                # `h.SCALE = 5.0` (a module's), `Config.scale = 5.0` (a class's) later recompile; an
                # attribute made anew on each read (a bound method) is not a binding to watch
                self.source.note_attribute(base.obj, node.attr, obj)
            return Const(obj) if isinstance(obj, _SCALARS) else _Static(obj, f"{base.spelling}.{node.attr}")
        if node.attr in ARRAY_ATTRIBUTES:
            return self.call(ARRAY_ATTRIBUTES[node.attr], [base], node)
        raise self.error(UnsupportedSyntaxError, node, f"the attribute `.{node.attr}` is not supported",
                         f"Supported array attributes: {', '.join(sorted(ARRAY_ATTRIBUTES))}.")

    def expr_Subscript(self, node):
        base, index = self.operand(node.value), self.operand(node.slice)
        display = self.displays.get(base)
        if display is not None and isinstance(index, Const) and index.name is None:
            try:  # `p["W"]` of a dict written in the function, `t[0]` of a tuple: the element itself
                element = display[index.value]
            except (KeyError, IndexError, TypeError):
                element = None
            if isinstance(element, list):  # `items[::-1]`: a display of its own, of the same kind
                maker = next((op.fn for op in reversed(self.ops) if op.results[:1] == (base,)), runtime.make_tuple)
                result = self.call(maker, element, node)
                self.displays[result] = element
                return result
            if element is not None:
                return element
        result = self.call(operator.getitem, [base, index], node)
        if isinstance(index, Const) and isinstance(index.value, str) and index.value.isidentifier():
            self.ops[-1] = dataclasses.replace(self.ops[-1], results=(Value(index.value, result.loc),))
            result = self.ops[-1].results[0]  # params["W1"] is called W1
            self.fresh.add(result)
        return result

    def expr_Dict(self, node):
        if any(k is None for k in node.keys):
            raise self.error(UnsupportedSyntaxError, node, "`**` in dict displays is not supported",
                             "Write each key and value.")
        keys = [self.operand(k) for k in node.keys]
        if not all(isinstance(k, Const) and k.name is None for k in keys):
            raise self.error(UnsupportedSyntaxError, node, "dict keys must be constants written in the source",
                             "Use string or number literals as keys.")
        values = [self.operand(v) for v in node.values]
        items = {}  # a key written twice (`{"x": a, "x": c}`, or 1 and 1.0) keeps its first place and last value
        for k, v in zip(keys, values):
            first = next((key for key in items if key.value == k.value), k)
            items[first] = v
        result = self.call(runtime.make_dict, [x for pair in items.items() for x in pair], node)
        self.displays[result] = {k.value: v for k, v in items.items()}
        return result

    def expr_Slice(self, node):
        parts = [Const(None) if p is None else self.operand(p) for p in (node.lower, node.upper, node.step)]
        if all(isinstance(p, Const) for p in parts):
            return Const(slice(*(p.value for p in parts)))
        return self.call(slice, parts, node)

    def display(self, items, node):
        """A tuple of operands (e.g. a callee's `*args`), whose elements stay known."""
        result = self.call(runtime.make_tuple, list(items), node)
        self.displays[result] = list(items)
        return result

    def expr_Tuple(self, node):
        items = [self.operand(e) for e in node.elts]
        if all(isinstance(i, Const) and i.name is None for i in items):
            return Const(tuple(i.value for i in items))
        result = self.call(runtime.make_tuple, items, node)
        self.displays[result] = items
        return result

    def expr_List(self, node):
        items = [self.operand(e) for e in node.elts]
        if all(isinstance(i, Const) and i.name is None for i in items):
            return Const([i.value for i in items])
        result = self.call(runtime.make_list, items, node)
        self.displays[result] = items
        return result

    def expr_ListComp(self, node):
        return self.comprehension(node)

    def expr_GeneratorExp(self, node):
        return self.comprehension(node)

    def expr_Lambda(self, node):
        defaults = tuple(self.operand(d) for d in node.args.defaults)
        return _Static(LocalFunction(node, self.source, self.env, defaults), "lambda")

    def expr_IfExp(self, node):
        cond = self.operand(node.test)
        then = self.lazy(node.body)
        orelse = self.lazy(node.orelse)
        return self.branch(cond, then, orelse, node)

    def expr_BoolOp(self, node):
        """`a and b` is `b if a else a`, `a or b` is `a if a else b`: b is evaluated only if needed."""
        first = self.operand(node.values[0])
        rest = node.values[1:]
        later = self.lazy(rest[0] if len(rest) == 1 else gast.copy_location(gast.BoolOp(op=node.op, values=rest), node))
        same = (), (), (first,)
        if isinstance(node.op, gast.And):
            return self.branch(first, later, same, node)
        return self.branch(first, same, later, node)

    def lazy(self, node):
        """The ops computing `node` in a region of their own, and what they yield."""
        with self.region() as ops:
            value = self.operand(node)
        return (), tuple(ops), (value,)

    def branch(self, cond, then, orelse, node):
        loc = self.source.location(node)
        result = Value("cond" if cond_like(then, orelse) else "choice", loc)
        self.ops.append(If((result,), cond, Region(*then), Region(*orelse), loc))
        self.fresh.add(result)
        return result

    def expr_Call(self, node):
        if any(isinstance(a, gast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise self.error(UnsupportedSyntaxError, node, "`*args` and `**kwargs` in calls are not supported",
                             "Pass each argument explicitly.")
        args = []
        spelling = None
        if isinstance(node.func, gast.Attribute) and not isinstance(callee := self.expr(node.func.value), _Static):
            fn = ARRAY_METHODS.get(node.func.attr)
            if fn is None:
                raise self.error(UnsupportedSyntaxError, node.func, f"the array method `.{node.func.attr}()` is not supported",
                                 f"Supported methods: {', '.join(sorted(ARRAY_METHODS))}; or call the NumPy function.")
            args.append(callee)
            if fn is np.reshape and len(node.args) > 1:  # x.reshape(2, 3)
                args.append(self.expr_Tuple(gast.Tuple(elts=node.args, ctx=gast.Load())))
                node_args = []
            elif fn is np.transpose and len(node.args) > 1:
                args.append(self.expr_Tuple(gast.Tuple(elts=node.args, ctx=gast.Load())))
                node_args = []
            else:
                node_args = node.args
        else:
            callee = self.expr(node.func)
            if isinstance(callee, Const) and (callable(callee.value) or isinstance(callee.value, LocalFunction)):
                callee = _Static(callee.value, callee.name or getattr(callee.value, "__name__", "function"))
            if not isinstance(callee, _Static):
                raise self.error(UnsupportedSyntaxError, node.func, "only named functions can be called here")
            fn = callee.obj
            node_args = node.args
            spelling = callee.spelling
        args += [self.operand(a) for a in node_args]
        kwargs = {k.arg: self.operand(k.value) for k in node.keywords}
        if is_inlinable(fn) and rule_for(fn) is None:
            result = self.user_call(fn, args, kwargs, node, spelling)
            if result is not None:
                return result
            if isinstance(fn, LocalFunction):
                raise self.error(UnsupportedSyntaxError, node, f"`{spelling}` cannot be differentiated: "
                                 f"{self.not_inlined.get(fn)}")
            remember_why_not_inlined(fn, self.not_inlined.get(fn))
        if fn in (builtins.list, builtins.tuple) and len(args) == 1 and not kwargs \
                and isinstance(self.displays.get(args[0]), list):  # a copy of a tuple or list display
            items = self.displays[args[0]]
            result = self.call(runtime.make_list if fn is builtins.list else runtime.make_tuple, items, node)
            self.displays[result] = list(items)
            return result
        if fn in (builtins.min, builtins.max) and len(args) > 2 and not kwargs:
            # min(a, b, c) is min(min(a, b), c): either way the first of equal items wins
            return functools.reduce(lambda left, right: self.named_call(fn, [left, right], node, spelling), args)
        args, kwargs = self.bind(fn, args, kwargs, node)
        return self.named_call(fn, args, node, spelling, kwargs)

    def named_call(self, fn, args, node, spelling, kwargs=None):
        result = self.call(fn, args, node, kwargs)
        if isinstance(node.func, gast.Name):  # generated code calls it by the user's name
            self.ops[-1] = dataclasses.replace(self.ops[-1], fn_name=spelling)
        return result

    def bind(self, fn, args, kwargs, node):
        """Positional data arguments stay positional; the rest become keywords, by name.

        The rule of `fn` covers its first `nargs` positional parameters: arguments passed
        by keyword to those move into their slots (defaults fill the gaps), and positional
        arguments beyond them become keywords. A variadic `fn` (`np.einsum(*operands)`)
        keeps its positional arguments as they are.
        """
        rule = rule_for(fn)
        if rule is None:
            return args, kwargs
        try:
            parameters = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        if rule.positional:  # the rule names the parameters the signature does not
            parameters = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                            default=inspect.Parameter.empty if default is REQUIRED else default)
                          for name, default in rule.positional]
        positional = []
        for p in parameters:
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                if len(args) > rule.nargs:
                    raise self.error(UnsupportedArgumentError, node,
                                     f"the derivative of {_describe(fn)} handles at most {rule.nargs} "
                                     f"positional arguments, not {len(args)}")
                return args, kwargs
            if p.kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                break
            positional.append(p)
        for i in range(rule.nargs, len(args)):
            if i >= len(positional):
                raise self.error(UnsupportedArgumentError, node, f"too many positional arguments for {_describe(fn)}")
            kwargs[positional[i].name] = args[i]
        args = args[: rule.nargs]
        if fn in _NONE_MEANS_ABSENT:
            return args, kwargs
        for p in positional[len(args): rule.nargs]:
            if p.name in kwargs:
                args.append(kwargs.pop(p.name))
            elif p.default is inspect.Parameter.empty:
                break
            else:
                args.append(Const(None if p.default is np._NoValue else p.default))
        return args, kwargs

    def call(self, fn, args, node, kwargs=None):
        if fn in _FOLDABLE and all(isinstance(a, Const) and a.name is None for a in args):
            try:
                return Const(fn(*(a.value for a in args)))  # constant folding: `-1`, `2 ** 10`
            except Exception:  # noqa: BLE001 - leave it to run time, where Python raises it
                pass
        hints = [a.hint if isinstance(a, Value) else (a.name or literal_hint(a.value)) for a in args]
        loc = self.source.location(node)
        result = Value(temp_hint(fn, hints), loc)
        self.ops.append(Call((result,), fn, tuple(args), tuple((kwargs or {}).items()), loc))
        self.fresh.add(result)
        return result


def _describe(obj) -> str:
    return f"`{describe(obj)}`"
