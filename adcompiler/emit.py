"""Stage 7: turn an IR function into Python source a person can read.

- Values are named by `naming.Namer`: the user's names, `x_1` for later versions of `x`
  while the earlier one is still needed, and the same name again once it is not
  (`x = x * 2`), within one section (forward or backward).
- A temporary read once, by an op of the same user line, is written inline
  (`c = b * b * 3`), so each user statement reads as one line again.
- Expressions are built as `ast` nodes and printed with `ast.unparse`, which places
  parentheses; statements, indentation and comments are laid out here.
- Above each group of backward statements, a comment quotes the user's line and gives
  `file.py:LINE`.

Two layouts: `flat` binds the seed to `1.0` and returns everything at once (`grad`),
`closure` returns the value and a pullback that takes the seed (`vjp`).
"""
from __future__ import annotations

import ast
import operator
import types
from dataclasses import dataclass

import numpy as np

from . import runtime
from .errors import InternalError
from .ir import Call, Const, Function, Value
from .naming import Namer, module_path

_BINARY = {
    operator.add: ast.Add, operator.sub: ast.Sub, operator.mul: ast.Mult, operator.truediv: ast.Div,
    operator.pow: ast.Pow, operator.matmul: ast.MatMult, operator.floordiv: ast.FloorDiv,
    operator.mod: ast.Mod, operator.and_: ast.BitAnd, operator.or_: ast.BitOr,
}
_UNARY = {operator.neg: ast.USub, operator.pos: ast.UAdd, operator.not_: ast.Not}
_COMPARE = {
    operator.lt: ast.Lt, operator.le: ast.LtE, operator.gt: ast.Gt, operator.ge: ast.GtE,
    operator.eq: ast.Eq, operator.ne: ast.NotEq,
}
_MODULE_NAMES = {"numpy": "np", "math": "math"}
_INLINE_ALWAYS = (runtime.make_tuple, slice)
# The forward pass keeps the user's expressions whole; a backward expression is split
# into named steps beyond this many operations.
_BACKWARD_EXPRESSION_OPS = 3


@dataclass(frozen=True)
class Emitted:
    source: str
    namespace: dict
    name: str


def emit(fn: Function, layout: str = "flat", user_names=()) -> Emitted:
    return _Emitter(fn, layout, set(user_names)).run()


class _Emitter:
    def __init__(self, fn: Function, layout: str, user_names: set):
        self.fn = fn
        self.layout = layout
        self.user_names = user_names
        self.namer = Namer(claimable=user_names)
        self.namespace: dict = {}
        self.global_names: dict[int, str] = {}
        self.lines: list[str] = []
        ops = fn.body.ops
        self.backward_at = len(ops) if fn.backward_at is None else fn.backward_at
        self.inline = self._inlined(ops)
        self.definition = {op.results[0]: op for op in ops if isinstance(op, Call)}

    # ------------------------------------------------------------ layout

    def run(self) -> Emitted:
        fn = self.fn
        for p in fn.params:
            self.namer.name(p)
        self._name_globals()
        self._name_values()
        params = ", ".join(self.namer.names[p] for p in fn.params)
        body = fn.body.ops
        forward, backward = body[: self.backward_at], body[self.backward_at:]
        self.lines.append(f"def {fn.name}({params}):")
        if fn.seed is None:
            self._block(forward, 1, comments=False)
            self.lines.append(f"    return {self._returns(fn.returns)}")
        elif self.layout == "flat":
            self.lines.append("    # forward pass")
            self._block(forward, 1, comments=False)
            self.lines.append("    # backward pass")
            self.lines.append(f"    {self.namer.names[fn.seed]} = 1.0")
            self._block(backward, 1, comments=True)
            self.lines.append(f"    return {self._returns(fn.returns)}")
        else:
            pullback = self.namer.fresh(f"{fn.name.removesuffix('_vjp')}_pullback")
            self.lines.append("    # forward pass")
            self._block(forward, 1, comments=False)
            self.lines.append("")
            self.lines.append(f"    def {pullback}({self.namer.names[fn.seed]}):")
            self.lines.append("        # backward pass")
            self._block(backward, 2, comments=True)
            self.lines.append(f"        return {self._returns(fn.returns[1:])}")
            self.lines.append("")
            self.lines.append(f"    return {self._returns(fn.returns[:1])}, {pullback}")
        return Emitted("\n".join(self.lines) + "\n", self.namespace, fn.name)

    def _block(self, ops, depth: int, comments: bool) -> None:
        indent = "    " * depth
        last_line = None
        for op in ops:
            if op.results[0] in self.inline:
                continue
            if not isinstance(op, Call):
                raise InternalError("control flow cannot be emitted yet", op.loc)
            if comments and op.loc is not None and (op.loc.file, op.loc.line) != last_line:
                last_line = (op.loc.file, op.loc.line)
                self.lines.append(f"{indent}# {op.loc.text.strip()}  ({op.loc.short})")
            target = self.namer.names[op.results[0]]
            self.lines.append(f"{indent}{target} = {ast.unparse(self._call(op))}")

    def _returns(self, operands) -> str:
        return ", ".join(ast.unparse(self._operand(x)) for x in operands)

    # ------------------------------------------------------------ names

    def _name_globals(self) -> None:
        for op in self.fn.body.ops:
            if isinstance(op, Call):
                self._callee(op.fn, op.fn_name)
                for x in op.operands:
                    if isinstance(x, Const) and x.name is not None:
                        self._operand(x)

    def _global(self, obj, preferred: str) -> str:
        key = id(obj)
        if key not in self.global_names:
            name = preferred if preferred not in self.namer.taken else self.namer.fresh(preferred)
            self.namer.reserve(name)
            self.global_names[key] = name
            self.namespace[name] = obj
        return self.global_names[key]

    def _name_values(self) -> None:
        """Name results in program order, reusing the name of a dead value with the same hint."""
        ops = self.fn.body.ops
        ends = self._ends(ops)
        free: dict[str, list[str]] = {}  # hint -> names of dead values, in this section
        live: list[tuple[int, Value]] = []
        for i, op in enumerate(ops):
            if i == self.backward_at:
                free = {}
                if self.fn.seed is not None:
                    self.namer.name(self.fn.seed)
            still = []
            for end, v in live:
                if end <= i:
                    free.setdefault(v.hint, []).append(self.namer.names[v])
                else:
                    still.append((end, v))
            live = still
            for r in op.results:
                if r in self.inline:
                    continue
                reusable = free.get(r.hint)
                if reusable:
                    self.namer.share(r, reusable.pop())
                else:
                    self.namer.name(r)
                live.append((ends.get(r, i), r))
        if self.fn.seed is not None and self.fn.seed not in self.namer.names:
            self.namer.name(self.fn.seed)

    def _ends(self, ops) -> dict:
        """Where each value is read for the last time, counting an inlined op at its reader."""
        position = {len(ops): len(ops)}  # reads by the return statement
        for i in range(len(ops) - 1, -1, -1):
            r = ops[i].results[0] if ops[i].results else None
            position[i] = position[self._reader_index.get(r, len(ops))] if r in self.inline else i
        ends: dict[Value, int] = {}
        for i, op in enumerate(ops):
            for x in _operands_deep(op):
                ends[x] = max(ends.get(x, -1), position[i])
        for x in self.fn.returns:
            if isinstance(x, Value):
                ends[x] = len(ops) + 1
        return ends

    def _inlined(self, ops) -> set:
        """Temporaries read once, by a later op of the same user line: written inline."""
        counts: dict[Value, int] = {}
        reader: dict[Value, object] = {}
        for op in ops:
            for x in op.operands:
                if isinstance(x, Value):
                    counts[x] = counts.get(x, 0) + 1
                    reader[x] = op
        for x in self.fn.returns:
            if isinstance(x, Value):
                counts[x] = counts.get(x, 0) + 2
        index = {id(op): i for i, op in enumerate(ops)}
        self._reader_index = {v: index[id(op)] for v, op in reader.items()}
        inline = set()
        sizes: dict[Value, int] = {}

        def size(op) -> int:
            """How many ops the expression of `op` holds, counting those inlined into it."""
            total = 1 + sum(sizes.get(x, 0) for x in op.operands if x in inline)
            sizes[op.results[0]] = total
            return total

        for i, op in enumerate(ops):
            if not isinstance(op, Call):
                continue
            r = op.results[0]
            if op.fn in _INLINE_ALWAYS and counts.get(r, 0) >= 1:
                inline.add(r)
                continue
            use = reader.get(r)
            backward = i >= self.backward_at
            if (counts.get(r) == 1 and isinstance(use, Call) and r.hint not in self.user_names
                    and op.loc is not None and use.loc is not None and op.loc.line == use.loc.line
                    and backward == (index[id(use)] >= self.backward_at)
                    and (not backward or size(op) <= _BACKWARD_EXPRESSION_OPS)):
                inline.add(r)
        return inline

    # ------------------------------------------------------------ expressions

    def _operand(self, x, in_index: bool = False) -> ast.expr:
        if isinstance(x, Value):
            if x in self.inline:
                return self._call(self.definition[x], in_index)
            return ast.Name(self.namer.names[x])
        if x.name is not None:
            path = module_path(x.value) if callable(x.value) else None
            if path is not None and path[0] in ("numpy", "math"):
                return _dotted(f"{self._module(path[0])}.{path[1]}")
            return ast.Name(self._global(x.value, x.name.split(".")[-1]))
        return self._literal(x.value, in_index)

    def _literal(self, value, in_index: bool = False) -> ast.expr:
        if isinstance(value, slice) and in_index:
            return ast.Slice(*(None if p is None else self._literal(p) for p in (value.start, value.stop, value.step)))
        if isinstance(value, slice):
            return self._apply("slice", [self._literal(p) for p in (value.start, value.stop, value.step)])
        if isinstance(value, tuple):
            return ast.Tuple([self._literal(v, in_index) for v in value])
        if isinstance(value, list):
            return ast.List([self._literal(v) for v in value])
        if isinstance(value, np.generic):
            return self._apply(f"{self._module('numpy')}.{type(value).__name__}", [ast.Constant(value.item())])
        if value is Ellipsis or isinstance(value, (int, float, complex, str, bool, type(None), bytes)):
            return ast.Constant(value)
        raise InternalError(f"the constant {value!r} cannot be written in generated code")

    def _call(self, op: Call, in_index: bool = False) -> ast.expr:
        fn, args = op.fn, op.args
        if fn in _BINARY:
            return ast.BinOp(self._operand(args[0]), _BINARY[fn](), self._operand(args[1]))
        if fn in _UNARY:
            return ast.UnaryOp(_UNARY[fn](), self._operand(args[0]))
        if fn in _COMPARE:
            return ast.Compare(self._operand(args[0]), [_COMPARE[fn]()], [self._operand(args[1])])
        if fn is operator.getitem:
            return ast.Subscript(self._operand(args[0]), self._operand(args[1], in_index=True))
        if fn is runtime.make_tuple:
            return ast.Tuple([self._operand(a, in_index) for a in args])
        if fn is slice and in_index:
            return ast.Slice(*(None if _is_none(a) else self._operand(a) for a in args))
        if fn is runtime.rename:
            return self._operand(args[0])
        if fn is np.transpose and len(args) == 1 and not op.kwargs:
            return ast.Attribute(self._operand(args[0]), "T")
        keywords = [ast.keyword(k, self._operand(v)) for k, v in op.kwargs]
        return ast.Call(self._callee(fn, op.fn_name), [self._operand(a) for a in args], keywords)

    def _apply(self, dotted: str, args) -> ast.expr:
        return ast.Call(_dotted(dotted), args, [])

    def _module(self, module: str) -> str:
        import importlib

        return self._global(importlib.import_module(module), _MODULE_NAMES.get(module, module.split(".")[-1]))

    def _callee(self, fn, spelling: str | None = None) -> ast.expr:
        path = module_path(fn)
        if path is not None and path[0] in ("numpy", "math"):
            return _dotted(f"{self._module(path[0])}.{path[1]}")
        if path is not None and path[0] == "builtins":
            return ast.Name(self._global(fn, path[1]))
        name = spelling or getattr(fn, "__name__", None)
        if name is None or isinstance(fn, types.ModuleType):
            raise InternalError(f"cannot spell the callable {fn!r} in generated code")
        return ast.Name(self._global(fn, name))


def _dotted(path: str) -> ast.expr:
    head, *rest = path.split(".")
    node: ast.expr = ast.Name(head)
    for attr in rest:
        node = ast.Attribute(node, attr)
    return node


def _is_none(x) -> bool:
    return isinstance(x, Const) and x.value is None and x.name is None


def _operands_deep(op):
    yield from (x for x in op.operands if isinstance(x, Value))
    for region in op.regions:
        yield from _values_read(region)


def _values_read(region):
    for op in region.ops:
        yield from (x for x in op.operands if isinstance(x, Value))
        for inner in op.regions:
            yield from _values_read(inner)
    yield from (x for x in region.yields if isinstance(x, Value))
