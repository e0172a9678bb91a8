"""Pretty-printing the IR: `str(function)` gives the same text for the same program.

    def loss(%a):
      %b = add(%a, 2)                              # seeds.py:4
      %c = if %flag:
        yield %b
      else:
        yield %a
      %s = for %i in %n carry (%acc = 0.0):
        yield %acc_1
      return %c
"""
from __future__ import annotations

from .ir import Call, Const, For, Function, If, Region, Value, While
from .naming import Namer, describe

_COMMENT_COLUMN = 48


class _Printer:
    def __init__(self):
        self.namer = Namer()
        self.lines: list[str] = []

    def operand(self, x) -> str:
        if isinstance(x, Value):
            return "%" + self.namer.name(x)
        if isinstance(x, Const):
            return x.name or repr(x.value)
        return f"<{x!r}?>"

    def values(self, xs) -> str:
        return ", ".join(self.operand(x) for x in xs)

    def emit(self, depth: int, text: str, loc=None) -> None:
        line = "  " * depth + text
        if loc is not None:
            line = f"{line:<{_COMMENT_COLUMN}}  # {loc.short}"
        self.lines.append(line)

    def region(self, region: Region, depth: int) -> None:
        for op in region.ops:
            self.op(op, depth)
        if region.yields:
            self.emit(depth, f"yield {self.values(region.yields)}")

    def op(self, op, depth: int) -> None:
        lhs = self.values(op.results) + " = " if op.results else ""
        if isinstance(op, Call):
            args = [self.operand(a) for a in op.args] + [f"{k}={self.operand(v)}" for k, v in op.kwargs]
            self.emit(depth, f"{lhs}{describe(op.fn)}({', '.join(args)})", op.loc)
        elif isinstance(op, If):
            self.emit(depth, f"{lhs}if {self.operand(op.cond)}:", op.loc)
            self.region(op.then, depth + 1)
            self.emit(depth, "else:")
            self.region(op.orelse, depth + 1)
        elif isinstance(op, For):
            self.emit(depth, f"{lhs}for {self.values(op.targets)} in {self.operand(op.iterable)}"
                             f"{self.carry(op.carried, op.inits)}{_flags(op)}:", op.loc)
            self.region(op.body, depth + 1)
        elif isinstance(op, While):
            self.emit(depth, f"{lhs}while{self.carry(op.cond.params, op.inits)}{_flags(op)}:", op.loc)
            self.emit(depth + 1, "cond:")
            self.region(op.cond, depth + 2)
            self.emit(depth + 1, "body:")
            self.region(op.body, depth + 2)
        else:
            self.emit(depth, f"<unknown op {op!r}>")

    def carry(self, params, inits) -> str:
        if not params:
            return ""
        pairs = ", ".join(f"{self.operand(p)} = {self.operand(i)}" for p, i in zip(params, inits))
        return f" carry ({pairs})"


def _flags(op) -> str:
    flags = [name for name in ("stop", "tape") if getattr(op, name)]
    return f" [{', '.join(flags)}]" if flags else ""


def format_function(fn: Function) -> str:
    p = _Printer()
    seed = f" seed {p.operand(fn.seed)}" if fn.seed is not None else ""
    p.emit(0, f"def {fn.name}({p.values(fn.params)}){seed}:")
    for i, op in enumerate(fn.body.ops):
        if i == fn.backward_at:
            p.emit(1, "# backward pass")
        p.op(op, 1)
    p.emit(1, f"return {p.values(fn.body.yields)}")
    return "\n".join(p.lines)
