"""Stage 4: lower the normalised AST to the structured SSA IR.

Each expression becomes one `Call` per operation, named after the user's variable when
it is assigned to one and after what it computes otherwise (`b_times_b`). Names that
are not local resolve now to the objects they denote: modules and functions become
static callees, literal constants become `Const`s, and other global data (an array
defined at module level) becomes a named `Const` that generated code reads by name.
"""
from __future__ import annotations

import dataclasses
import inspect
import operator
import types

import gast
import numpy as np

from . import runtime
from .errors import ADError, UnsupportedArgumentError, UnsupportedSyntaxError
from .ir import Call, Const, Function, Region, Value
from .naming import literal_hint, temp_hint
from .rules import rule_for
from .source import _MISSING, Source

BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_,
}
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_}
COMPARE = {
    gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge,
    gast.Eq: operator.eq, gast.NotEq: operator.ne,
}
ARRAY_ATTRIBUTES = {"T": np.transpose, "shape": np.shape, "ndim": np.ndim, "size": np.size}
ARRAY_METHODS = {"sum": np.sum, "mean": np.mean, "dot": np.dot, "reshape": np.reshape,
                 "transpose": np.transpose}
_FOLDABLE = set(BINARY.values()) | set(UNARY.values()) | set(COMPARE.values())
_SCALARS = (int, float, complex, bool, str, bytes, type(None), type(Ellipsis), np.generic)


class UnresolvedNameError(ADError):
    """A free name has no binding yet (a helper defined further down the module)."""


class _Static:
    """A compile-time object named in the source: a module, a function, a class."""

    __slots__ = ("obj", "spelling")

    def __init__(self, obj, spelling: str):
        self.obj = obj
        self.spelling = spelling  # how the source names it: `np.linalg.norm`, `helper`


def lower(source: Source) -> Function:
    return _Lowering(source).function()


class _Lowering:
    def __init__(self, source: Source):
        self.source = source
        self.env: dict[str, object] = {}
        self.ops: list[Call] = []
        self.fresh: set[Value] = set()  # temporaries made by the current statement

    def error(self, cls, node, message, hint=None):
        return cls(message, self.source.location(node), hint)

    # ------------------------------------------------------------ statements

    def function(self) -> Function:
        tree = self.source.tree
        params = tuple(Value(a.id, self.source.location(a)) for a in tree.args.args)
        self.env.update((p.hint, p) for p in params)
        result = None
        for stmt in tree.body:
            self.fresh = set()
            if isinstance(stmt, gast.Assign):
                value = None if self._elementwise(stmt) else self.operand(stmt.value)
                for target in stmt.targets:
                    value = self.assign(target, value, stmt.value)
            elif isinstance(stmt, gast.Return):
                result = self.operand(stmt.value)
            else:
                raise self.error(UnsupportedSyntaxError, stmt, f"`{type(stmt).__name__}` is not supported here")
        body = Region((), tuple(self.ops), (result,))
        return Function(tree.name, params, body, self.source.location(tree))

    @staticmethod
    def _elementwise(stmt) -> bool:
        """`a, b = x, y`: each element is lowered and assigned on its own."""
        value = stmt.value
        return isinstance(value, (gast.Tuple, gast.List)) and all(
            isinstance(t, (gast.Tuple, gast.List)) and len(t.elts) == len(value.elts) for t in stmt.targets)

    def assign(self, target, value, value_node):
        """Bind `target` to `value` (lowering `value_node` element by element when `value` is None)."""
        if isinstance(target, gast.Name):
            value = self.named(value, target.id)
            self.env[target.id] = value
            return value
        if not isinstance(target, (gast.Tuple, gast.List)):
            raise self.error(UnsupportedSyntaxError, target, "this assignment target is not supported")
        if value is None:
            parts = [self.operand(e) for e in value_node.elts]
            for sub, part in zip(target.elts, parts):
                self.assign(sub, part, None)
            return None
        for sub, part in zip(target.elts, self._unpack(value, target)):
            self.assign(sub, part, None)
        return value

    def _unpack(self, value, target):
        if isinstance(value, Const) and isinstance(value.value, (tuple, list)):
            if len(value.value) != len(target.elts):
                raise self.error(ADError, target, f"cannot unpack {len(value.value)} values into {len(target.elts)} names")
            return [Const(v) for v in value.value]
        return [self.call(operator.getitem, [value, Const(i)], target) for i in range(len(target.elts))]

    def named(self, value, name: str):
        """Give the temporary just computed the user's name, instead of copying it."""
        if isinstance(value, Value) and value in self.fresh:
            for i in range(len(self.ops) - 1, -1, -1):
                op = self.ops[i]
                if op.results[0] is value:
                    renamed = Value(name, value.loc)
                    self.ops[i] = dataclasses.replace(op, results=(renamed,))
                    self.fresh.discard(value)
                    return renamed
        return value

    # ------------------------------------------------------------ expressions

    def operand(self, node):
        """Lower `node` to an IR operand; a static object here is an error."""
        result = self.expr(node)
        if isinstance(result, _Static):
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
        return Const(node.value)

    def expr_Name(self, node):
        if node.id in self.env:
            return self.env[node.id]
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
        return self.call(BINARY[type(node.op)], [self.operand(node.left), self.operand(node.right)], node)

    def expr_UnaryOp(self, node):
        return self.call(UNARY[type(node.op)], [self.operand(node.operand)], node)

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
            return Const(obj) if isinstance(obj, _SCALARS) else _Static(obj, f"{base.spelling}.{node.attr}")
        if node.attr in ARRAY_ATTRIBUTES:
            return self.call(ARRAY_ATTRIBUTES[node.attr], [base], node)
        raise self.error(UnsupportedSyntaxError, node, f"the attribute `.{node.attr}` is not supported",
                         f"Supported array attributes: {', '.join(sorted(ARRAY_ATTRIBUTES))}.")

    def expr_Subscript(self, node):
        return self.call(operator.getitem, [self.operand(node.value), self.operand(node.slice)], node)

    def expr_Slice(self, node):
        parts = [Const(None) if p is None else self.operand(p) for p in (node.lower, node.upper, node.step)]
        if all(isinstance(p, Const) for p in parts):
            return Const(slice(*(p.value for p in parts)))
        return self.call(slice, parts, node)

    def expr_Tuple(self, node):
        items = [self.operand(e) for e in node.elts]
        if all(isinstance(i, Const) and i.name is None for i in items):
            return Const(tuple(i.value for i in items))
        return self.call(runtime.make_tuple, items, node)

    def expr_List(self, node):
        items = [self.operand(e) for e in node.elts]
        if all(isinstance(i, Const) and i.name is None for i in items):
            return Const([i.value for i in items])
        raise self.error(UnsupportedSyntaxError, node, "lists holding computed values are not supported yet",
                         "Use a tuple, or `np.stack((a, b))`.")

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
            if not isinstance(callee, _Static):
                raise self.error(UnsupportedSyntaxError, node.func, "only named functions can be called here")
            fn = callee.obj
            node_args = node.args
            spelling = callee.spelling
        args += [self.operand(a) for a in node_args]
        kwargs = {k.arg: self.operand(k.value) for k in node.keywords}
        args, kwargs = self.bind(fn, args, kwargs, node)
        result = self.call(fn, args, node, kwargs)
        if isinstance(node.func, gast.Name):  # generated code calls it by the user's name
            self.ops[-1] = dataclasses.replace(self.ops[-1], fn_name=spelling)
        return result

    def bind(self, fn, args, kwargs, node):
        """Positional data arguments stay positional; the rest become keywords, by name."""
        rule = rule_for(fn)
        if rule is None:
            return args, kwargs
        try:
            names = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            names = []
        for i in range(rule.nargs, len(args)):
            if i >= len(names):
                raise self.error(UnsupportedArgumentError, node, f"too many positional arguments for {_describe(fn)}")
            kwargs[names[i]] = args[i]
        args = args[: rule.nargs]
        for name in names[len(args): rule.nargs]:
            if name in kwargs:
                args.append(kwargs.pop(name))
            else:
                default = inspect.signature(fn).parameters[name].default
                if default is inspect.Parameter.empty:
                    break
                args.append(Const(None if default is np._NoValue else default))
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
    from .naming import describe

    return f"`{describe(obj)}`"
