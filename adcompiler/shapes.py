"""Which values certainly have the same shape, without knowing any shape.

An elementwise op whose operands are all of one shape class, or literal scalars,
produces a value of that class: in `c = b * b * 3`, `b`, `b * b` and `c` share one
(unless `b` is a tuple or list, which `*` repeats).
The reverse pass skips `unbroadcast` for an argument of an elementwise op when every
other operand is in the argument's class: no broadcasting can have happened there.
"""
from __future__ import annotations

import numpy as np

from . import abstract
from .ir import Call, Const, Function, Value, walk_ops
from .rules import is_elementwise


def is_scalar_literal(operand) -> bool:
    return isinstance(operand, Const) and operand.name is None and isinstance(operand.value, (int, float))


class ShapeClasses:
    """`containers`: values known to be tuples, lists or dicts, whose `+` and `*` join and
    repeat them (as do those `types` knows to be containers)."""

    def __init__(self, fn: Function, types: dict | None = None, containers=frozenset()):
        self.parent: dict[Value, Value] = {}
        types = types or {}
        for op in walk_ops(fn.body):
            if isinstance(op, Call) and is_elementwise(op.fn) and not (op.fn is np.where and len(op.args) != 3):
                arrays = [a for a in op.args if not is_scalar_literal(a)]
                if arrays and all(isinstance(a, Value) and a not in containers and not _container(types.get(a))
                                  for a in arrays) and self._all_same(arrays):
                    self.parent[op.results[0]] = self.find(arrays[0])

    def find(self, v: Value) -> Value:
        while v in self.parent:
            v = self.parent[v]
        return v

    def _all_same(self, values) -> bool:
        roots = {self.find(v) for v in values}
        return len(roots) == 1

    def broadcasts_to(self, op: Call, i: int) -> bool:
        """False when argument `i` of the elementwise `op` surely has the output's shape."""
        target = op.args[i]
        if not isinstance(target, Value):
            return True
        root = self.find(target)
        return not all(is_scalar_literal(a) or isinstance(a, Value) and self.find(a) is root for a in op.args)


def _container(av) -> bool:
    return isinstance(av, abstract.Mapping) or isinstance(av, abstract.Sequence) and av.kind != "shape"
