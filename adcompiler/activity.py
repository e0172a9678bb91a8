"""Activity analysis: which values need an adjoint.

A value is *varied* when it depends, through differentiable operations, on one of the
sources (the `wrt` parameters and the intermediates whose adjoints were asked for), and
*useful* when the output depends on it. Only values that are both get adjoints; the
seeds' `requiresGrad` is the varied half of this.

Loops are solved to a fixed point: a carried value is varied if its initial value or
the value the body yields for it is; a loop target is varied if the iterable is.
"""
from __future__ import annotations

from dataclasses import dataclass

from .ir import Call, For, Function, If, Region, Value
from .rules import is_nondiff


@dataclass(frozen=True)
class Activity:
    varied: frozenset
    useful: frozenset

    def active(self, value) -> bool:
        return value in self.varied and value in self.useful


def analyse(fn: Function, sources, outputs) -> Activity:
    varied = set(sources)
    _forward(fn.body, varied)
    useful = {v for v in outputs if isinstance(v, Value)}
    _backward(fn.body, useful)
    return Activity(frozenset(varied), frozenset(useful))


def _forward(region: Region, varied: set) -> None:
    for op in region.ops:
        if isinstance(op, Call):
            if not is_nondiff(op.fn) and any(x in varied for x in op.operands):
                varied.update(op.results)
        elif isinstance(op, If):
            for branch in (op.then, op.orelse):
                _forward(branch, varied)
                varied.update(r for r, y in zip(op.results, branch.yields) if y in varied)
        else:
            if isinstance(op, For) and op.iterable in varied:
                varied.update(op.targets)
            carried = op.body.params[-len(op.inits):] if op.inits else ()
            while True:
                before = len(varied)
                varied.update(p for p, init in zip(carried, op.inits) if init in varied)
                _forward(op.body, varied)
                varied.update(p for p, y in zip(carried, op.body.yields) if y in varied)
                if len(varied) == before:
                    break
            varied.update(r for r, p in zip(op.results, carried) if p in varied)


def _backward(region: Region, useful: set) -> None:
    for op in reversed(region.ops):
        if isinstance(op, Call):
            if any(r in useful for r in op.results) and not is_nondiff(op.fn):
                useful.update(x for x in op.operands if isinstance(x, Value))
        elif isinstance(op, If):
            for branch in (op.then, op.orelse):
                useful.update(y for r, y in zip(op.results, branch.yields) if r in useful and isinstance(y, Value))
                _backward(branch, useful)
        else:
            carried = op.body.params[-len(op.inits):] if op.inits else ()
            yields = op.body.yields[: len(op.inits)]
            useful.update(p for r, p in zip(op.results, carried) if r in useful)
            while True:
                before = len(useful)
                useful.update(y for p, y in zip(carried, yields) if p in useful and isinstance(y, Value))
                _backward(op.body, useful)
                if len(useful) == before:
                    break
            useful.update(i for p, i in zip(carried, op.inits) if p in useful and isinstance(i, Value))
            if isinstance(op, For) and any(t in useful for t in op.targets) and isinstance(op.iterable, Value):
                useful.add(op.iterable)
