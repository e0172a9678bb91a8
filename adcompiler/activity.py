"""Activity analysis: which values need an adjoint.

A value is *varied* when it depends, through differentiable operations, on one of the
sources (the `wrt` parameters and the intermediates whose adjoints were asked for), and
*useful* when the output depends on it. Only values that are both get adjoints; the
seeds' `requiresGrad` is the varied half of this.
"""
from __future__ import annotations

from dataclasses import dataclass

from .ir import Call, Function, Region, Value
from .rules import is_nondiff


@dataclass(frozen=True)
class Activity:
    varied: frozenset
    useful: frozenset

    def active(self, value) -> bool:
        return value in self.varied and value in self.useful


def analyse(fn: Function, sources, outputs) -> Activity:
    varied = _forward(fn.body, set(sources))
    useful = _backward(fn.body, {v for v in outputs if isinstance(v, Value)})
    return Activity(frozenset(varied), frozenset(useful))


def _forward(region: Region, varied: set) -> set:
    for op in region.ops:
        carries = not (isinstance(op, Call) and is_nondiff(op.fn))
        if carries and any(x in varied for x in op.operands):
            varied.update(op.results)
        for inner in op.regions:  # control flow: conservative until its own pass exists
            _forward(inner, varied)
            if any(y in varied for y in inner.yields):
                varied.update(op.results)
    return varied


def _backward(region: Region, useful: set) -> set:
    for op in reversed(region.ops):
        if any(r in useful for r in op.results) and not (isinstance(op, Call) and is_nondiff(op.fn)):
            useful.update(x for x in op.operands if isinstance(x, Value))
            for inner in op.regions:
                useful.update(y for y in inner.yields if isinstance(y, Value))
                _backward(inner, useful)
    return useful
