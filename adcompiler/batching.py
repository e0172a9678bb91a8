"""Sums of products that a loop accumulates, formed a block of iterations at a time.

The reverse sweep of a loop over time steps adds a small product to each weight's
adjoint at every step: `W_bar = W_bar + h.T @ g`, `b_bar = b_bar + g.sum(axis=0)`,
with `h` and `g` matrices of a few rows. One NumPy call per step and per weight costs
more than the arithmetic. Summed over the steps these are one product of the stacked
rows, `[h_1; h_2; ...].T @ [g_1; g_2; ...]`, which is what one writes by hand.

`batch_accumulations` finds, in each `for` loop, carried values that the body only
ever adds such a term to, and lets a `runtime.RowTerms` collect the rows instead; it
stacks and multiplies them every few thousand elements (so the rows it holds stay few),
and after the loop the accumulator gets the total. Terms that share their right-hand
matrix share one collector, so `g` is stacked once for `W_bar` and `b_bar` alike.
Only 2-D operands (known from the argument signature) qualify: then stacking rows is
exact algebra, and only the order of the floating-point additions changes. (At run
time the collector stacks only float64 or complex128 rows; others it adds term by term,
as the loop would have.) The generated code stays readable:

    terms = RowTerms(lefts=2, column_sum=True)
    for h_1, h_2, xs_t in reversed(_tape):
        g = h_bar * (1 - h_1 ** 2)
        terms.add(g, xs_t, h_2)
        h_bar = g @ Wh.T
    Wx_bar = terms.product(0, zeros_like=Wx)
"""
from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass

import numpy as np

from . import abstract, runtime
from .ir import Call, Const, For, Function, Region, Value, rewrite_loops, uses

_PRODUCTS = (operator.matmul, np.matmul, np.dot)


@dataclass(frozen=True)
class _Term:
    """Carried value `param` (position `k`) gets `left.T @ right`, or `right.sum(axis=0)`
    when `left` is None, added by the op `add`, each iteration."""

    k: int
    param: Value
    add: Call
    right: Value
    left: Value | None


def batch_accumulations(fn: Function, types: dict) -> Function:
    if not types:
        return fn

    def batched(loop: For, region: Region, renamed: dict):
        terms = _terms(loop, types)
        return _batched(loop, terms, types, renamed, _zero_starts(region)) if terms else None

    return rewrite_loops(fn, batched)


def _zero_starts(region: Region) -> dict:
    """`zeros_like_input(x)` values read once (as a loop's initial value), and their `x`."""
    counts = uses(region)
    return {op.results[0]: op.args[0] for op in region.ops
            if isinstance(op, Call) and op.fn is runtime.zeros_like_input and counts.get(op.results[0]) == 1}


def _terms(loop: For, types: dict) -> list:
    """The carried values of `loop` that only accumulate qualifying terms."""
    body = loop.body
    counts = uses(body)
    producers = {op.results[0]: op for op in body.ops if isinstance(op, Call)}
    found = []
    for k, param in enumerate(loop.carried):
        step = body.yields[k]
        add = producers.get(step)
        if not (isinstance(add, Call) and add.fn is operator.add and not add.in_place and not add.kwargs
                and param in add.args and counts.get(param) == 1 and counts.get(step) == 1):
            continue
        addend = add.args[1] if add.args[0] is param else add.args[0]
        term = _term(producers.get(addend), producers, types)
        if term is not None and counts.get(addend) == 1:
            found.append(_Term(k, param, add, *term))
    return found


def _term(op, producers: dict, types: dict):
    """(right, left) of `left.T @ right`, or (right, None) of `right.sum(axis=0)`."""
    if not isinstance(op, Call) or op.kwargs and op.fn is not np.sum:
        return None
    if op.fn in _PRODUCTS and len(op.args) == 2:
        transpose, right = producers.get(op.args[0]), op.args[1]
        if isinstance(transpose, Call) and transpose.fn is np.transpose and len(transpose.args) == 1 \
                and not transpose.kwargs and _is_matrix(transpose.args[0], types) and _is_matrix(right, types):
            return right, transpose.args[0]
        return None
    if op.fn is np.sum and len(op.args) == 1 and _is_matrix(op.args[0], types) \
            and len(op.kwargs) == 1 and op.kwargs[0][0] == "axis" and _is_const(op.kwargs[0][1], 0):
        return op.args[0], None
    return None


def _is_const(x, value) -> bool:
    return isinstance(x, Const) and x.name is None and type(x.value) is int and x.value == value


def _is_matrix(x, types: dict) -> bool:
    av = abstract.value_of(types, x) if isinstance(x, Value) else None
    return isinstance(av, abstract.Array) and av.dims is not None and len(av.dims) == 2


def _batched(loop: For, terms: list, types: dict, renamed: dict, zero_starts: dict) -> list:
    """The ops that replace `loop`: a collector per right-hand matrix, the loop feeding
    it instead of the accumulators, then each accumulator's final value from its
    collector, given its value before the loop (or, for one that starts as zeros, the
    array the zeros are shaped like: `zero_starts`). `renamed` gets the final values."""
    groups: dict = {}
    for term in terms:
        groups.setdefault(term.right, []).append(term)
    removed = {id(term.add) for term in terms}
    position = {id(op): i for i, op in enumerate(loop.body.ops)}
    fed_at: dict = {}  # id of a group's last `add` in the body -> the collector's op in its place
    before, params, yields, outs, after = [], [], [], [], []
    for right, group in groups.items():
        lefts = list(dict.fromkeys(t.left for t in group if t.left is not None))
        made, param, fed, out = (Value(f"{right.hint}_terms", right.loc) for _ in range(4))
        kwargs = (("lefts", Const(len(lefts))), ("column_sum", Const(any(t.left is None for t in group))))
        before.append(Call((made,), runtime.RowTerms, (), kwargs, loop.loc, "RowTerms"))
        last = max((t.add for t in group), key=lambda add: position[id(add)])  # every operand is defined by then
        fed_at[id(last)] = Call((fed,), runtime.RowTerms.add, (param, right, *lefts), (), last.loc)
        params.append(param)
        yields.append(fed)
        outs.append((made, out))
        for term in group:
            result, init = loop.results[term.k], loop.inits[term.k]
            summed = Value(init.hint if isinstance(init, Value) else result.hint, result.loc)
            args = (out,) if term.left is None else (out, Const(lefts.index(term.left)))
            method = runtime.RowTerms.column_sum if term.left is None else runtime.RowTerms.product
            like = zero_starts.get(init)  # `W_bar = zeros_like_input(W)` before the loop: no need to make it
            start = ("zeros_like", like) if like is not None else ("start", init)
            after.append(Call((summed,), method, args, (start,), term.add.loc))
            if result in types:
                types[summed] = types[result]
            renamed[result] = summed
    body = loop.body
    ncarried = len(loop.inits)
    kept = [k for k in range(ncarried) if k not in {t.k for t in terms}]
    ops = tuple(fed_at.get(id(op), op) for op in body.ops if id(op) not in removed or id(op) in fed_at)
    body = Region(body.params[:loop.ntargets] + tuple(loop.carried[k] for k in kept) + tuple(params), ops,
                  tuple(body.yields[k] for k in kept) + tuple(yields) + body.yields[ncarried:])
    new_loop = dataclasses.replace(
        loop, inits=tuple(loop.inits[k] for k in kept) + tuple(made for made, _ in outs), body=body,
        results=tuple(loop.results[k] for k in kept) + tuple(out for _, out in outs) + loop.results[ncarried:])
    return [*before, new_loop, *after]
