"""Clean-up passes on the IR. Every op but a random draw is pure, so an op whose results
nobody reads goes.

`eliminate_dead_code` walks each region backwards with the set of values still read;
the reverse pass relies on it to drop forward values the gradient does not need.
"""
from __future__ import annotations

import dataclasses
import math
import operator

import numpy as np

from . import abstract, runtime
from .aliasing import owned_values
from .containers import tuple_valued
from .ir import Call, For, Function, If, Region, Value, substitute, with_regions
from .shapes import ShapeClasses


def eliminate_dead_code(fn: Function) -> Function:
    live = {v for v in fn.body.yields if isinstance(v, Value)}
    kept = _live_ops(fn.body.ops, live)
    backward_at = fn.backward_at
    if backward_at is not None:
        survivors = {r for op in kept for r in op.results}
        backward_at = sum(1 for op in fn.body.ops[:backward_at] if any(r in survivors for r in op.results))
    body = dataclasses.replace(fn.body, ops=tuple(kept))
    return dataclasses.replace(fn, body=body, backward_at=backward_at)


def without_dead_ops(region: Region) -> Region:
    """`region` without the ops whose results nothing reads."""
    live = {v for v in region.yields if isinstance(v, Value)}
    return dataclasses.replace(region, ops=tuple(_live_ops(region.ops, live)))


def _live_ops(ops, live: set) -> list:
    kept = []
    for op in reversed(ops):
        if not any(r in live for r in op.results) and not _draws(op):
            continue
        if isinstance(op, If):
            op = _without_dead_results(op, live)
        op = _prune_regions(op)
        kept.append(op)
        live.update(x for x in op.operands if isinstance(x, Value))
        for region in op.regions:
            _read_by(region, live)
    kept.reverse()
    return kept


def _draws(op) -> bool:
    """Whether `op` draws random numbers (`np.random.randn`, `rng.normal`), or holds an op
    that does: it changes the generator's state, so it runs where the user's code runs
    it, read or not."""
    if not isinstance(op, Call):
        return any(_draws(inner) for region in op.regions for inner in region.ops)
    owner = getattr(op.fn, "__self__", None)
    return (getattr(op.fn, "__module__", None) or "").startswith("numpy.random") or \
        isinstance(owner, (np.random.Generator, np.random.RandomState))


def _without_dead_results(op: If, live: set) -> If:
    """`op` without the results nothing reads after it (each branch stops computing them)."""
    keep = [k for k, r in enumerate(op.results) if r in live]
    if len(keep) == len(op.results):
        return op
    first_export = len(op.results) - op.exports

    def kept(region: Region) -> Region:
        return dataclasses.replace(region, yields=tuple(region.yields[k] for k in keep))

    return dataclasses.replace(op, results=tuple(op.results[k] for k in keep), then=kept(op.then),
                               orelse=kept(op.orelse), exports=sum(1 for k in keep if k >= first_export))


def _read_by(region: Region, live: set) -> None:
    live.update(x for x in region.yields if isinstance(x, Value))
    for op in region.ops:
        live.update(x for x in op.operands if isinstance(x, Value))
        for inner in op.regions:
            _read_by(inner, live)


def _prune_regions(op):
    if isinstance(op, Call):
        return op
    pruned = []
    for region in op.regions:
        live = {v for v in region.yields if isinstance(v, Value)}
        pruned.append(dataclasses.replace(region, ops=tuple(_live_ops(region.ops, live))))
    return with_regions(op, pruned)


def products_first(fn: Function, types: dict) -> Function:
    """`b + x @ W` as `x @ W + b` where the sum may be formed in the product's own array
    (`abstract.adds_in_place`): the emitter then writes `x_matmul_W += b`. (Addition of
    two numbers is exact in either order.)"""
    body = _products_first(fn.body, types)
    return fn if body is fn.body else dataclasses.replace(fn, body=body)


def _products_first(region: Region, types: dict) -> Region:
    producers = {r: op for op in region.ops if isinstance(op, Call) for r in op.results}
    summed, ops, changed = set(), [], False  # products just made, and sums formed into them
    for op in region.ops:
        if not isinstance(op, Call):
            inner = [_products_first(r, types) for r in op.regions]
            if any(a is not b for a, b in zip(inner, op.regions)):
                op, changed = with_regions(op, inner), True
        elif op.fn is operator.add and len(op.args) == 2 and not op.kwargs:
            for k in (0, 1):
                a, b = op.args[k], op.args[1 - k]
                made = producers.get(a)
                if made is not None and (made.fn in (operator.matmul, np.matmul) or a in summed) and \
                        abstract.adds_in_place(types.get(a), abstract.value_of(types, b), types.get(op.results[0])):
                    if k == 1:
                        op, changed = dataclasses.replace(op, args=(a, b)), True
                    summed.add(op.results[0])
                    break
        ops.append(op)
    return dataclasses.replace(region, ops=tuple(ops)) if changed else region


def drop_needless_conversions(fn: Function, types: dict) -> Function:
    """Remove `as_gradient(g, x)` where `g` is known to be a new array of `x`'s dtype and
    dimensions already: the caller may have it as it is (the first time: a second
    gradient that is the same array, `a` and `b` of `a + b`, is copied)."""
    owned = owned_values(fn)
    renamed = {op.results[0]: op.args[0] for op in fn.body.ops if isinstance(op, Call) and op.fn is runtime.rename}

    def array_of(v):  # the value a chain of renames starts from: one array
        while v in renamed:
            v = renamed[v]
        return v

    mapping, kept, given = {}, [], set()
    for op in fn.body.ops:
        if isinstance(op, Call) and op.fn is runtime.as_gradient and array_of(op.args[0]) not in given:
            g, x = op.args
            have, want = abstract.value_of(types, g), abstract.value_of(types, x)
            if g in owned and isinstance(have, abstract.Array) and isinstance(want, abstract.Array) \
                    and have.dims is not None and have.dims == want.dims:
                given.add(array_of(g))
                if have.dtype is not None and want.dtype is not None and have.dtype == want.dtype and have.dims:
                    mapping[op.results[0]] = g  # (a 0-d value may be a NumPy scalar: it is converted)
                    kept.append(None)
                    continue
                op = dataclasses.replace(op, fn=runtime.as_own_gradient)  # the dtype alone is unknown
                types[op.results[0]] = want
        kept.append(op)
    if not mapping and all(a is b for a, b in zip(kept, fn.body.ops)):
        return fn
    body = substitute(dataclasses.replace(fn.body, ops=tuple(op for op in kept if op is not None)), mapping)
    backward_at = fn.backward_at if fn.backward_at is None else sum(
        1 for op in kept[:fn.backward_at] if op is not None)
    return dataclasses.replace(fn, body=body, backward_at=backward_at)


def measure_earliest(fn: Function, types: dict | None = None) -> Function:
    """Shape queries (`np.size(y)`, `np.shape(y)`) read the earliest value certainly of the
    same shape (`shapes.ShapeClasses`): a mean's count then need not keep the value it
    averages alive, and dead-code elimination can drop it when only the gradient is wanted."""
    classes = ShapeClasses(fn, types, tuple_valued(fn.body)[0])
    defined = {p: -1 for p in fn.params}
    for i, op in enumerate(fn.body.ops):
        for r in op.results:
            defined[r] = i
    queries = (np.size, np.shape, np.ndim)
    ops, changed = [], False
    for i, op in enumerate(fn.body.ops):
        if isinstance(op, Call) and op.fn in queries and len(op.args) == 1 and isinstance(op.args[0], Value):
            root = classes.find(op.args[0])
            if root is not op.args[0] and defined.get(root, i) < i:
                op = dataclasses.replace(op, args=(root,))
                changed = True
        ops.append(op)
    return dataclasses.replace(fn, body=dataclasses.replace(fn.body, ops=tuple(ops))) if changed else fn


def fold_renames(fn: Function, user_names, types: dict) -> Function:
    """`b = rename(a)`, where `a` is a temporary made just for it, becomes `a` named `b`:
    `pred_bar = pred_minus_y_bar` disappears, the adjoint is computed as `pred_bar`."""
    mapping: dict = {}
    body = _folded(fn.body, user_names, types, mapping)
    if not mapping:
        return fn
    return dataclasses.replace(fn, body=substitute(body, mapping))  # renames are backward ops: backward_at holds


def _folded(r: Region, user_names, types: dict, mapping: dict) -> Region:
    """`r` with its renames folded; `mapping` gets every folded value's new value."""
    defined = {res: op for op in r.ops if isinstance(op, Call) for res in op.results}
    folded, dropped = {}, set()
    for op in r.ops:
        if isinstance(op, Call) and op.fn is runtime.rename and isinstance(op.args[0], Value):
            a, b = op.args[0], op.results[0]
            if a.hint == b.hint and (a not in defined or defined[a].fn is runtime.rename):
                # a new name for a parameter (or a name) of that name: the parameter
                dropped.add(id(op))
                mapping[b] = mapping.get(a, a)
            elif a in defined and defined[a].fn is not runtime.rename and a not in folded \
                    and not _named_by_user(a, user_names):
                new = Value(b.hint, a.loc)
                folded[a] = new
                dropped.add(id(op))
                mapping[a] = mapping[b] = new
                if a in types:
                    types[new] = types[a]
    ops = []
    for op in r.ops:
        if id(op) in dropped:
            continue
        if isinstance(op, Call) and op.results[0] in folded:
            op = dataclasses.replace(op, results=(folded[op.results[0]],))
        elif not isinstance(op, Call):
            op = with_regions(op, [_folded(inner, user_names, types, mapping) for inner in op.regions])
        ops.append(op)
    return Region(r.params, tuple(ops), r.yields)


def _named_by_user(value: Value, user_names) -> bool:
    """A user's variable, or the adjoint of one (`b_bar` for `b`)."""
    return value.hint in user_names or value.hint.endswith("_bar") and value.hint[:-4] in user_names


def eliminate_common_subexpressions(fn: Function) -> Function:
    """An arithmetic op that repeats an earlier one, on the same operands, in the same
    region or an enclosing one, reads the earlier result instead: `-x` spelled twice
    (once by the user, once by a derivative rule) is computed once. Only ops known to be
    pure and to return a new value qualify: operators, ufuncs, `math` functions."""
    mapping: dict = {}
    starts: list = []
    body = _without_repeats(fn.body, {}, mapping, starts)
    if not mapping:
        return fn
    backward_at = fn.backward_at if fn.backward_at is None else (starts + [len(body.ops)])[fn.backward_at]
    return dataclasses.replace(fn, body=body, backward_at=backward_at)


def _without_repeats(region: Region, seen: dict, mapping: dict, starts=None) -> Region:
    """`region` without its repeated ops, reading their first results instead (`mapping`
    collects the replacements; a value is replaced before any later op reads it)."""
    seen = dict(seen)  # what this region computes stays in it
    ops = []
    for op in region.ops:
        if starts is not None:
            starts.append(len(ops))
        if mapping and any(isinstance(x, Value) and x in mapping for x in op.operands):
            op = _reading_replacements(op, mapping)
        if isinstance(op, Call):
            key = _expression_key(op)
            if key is not None and key in seen:
                mapping[op.results[0]] = seen[key]
                continue
            if key is not None:
                seen[key] = op.results[0]
            ops.append(op)
        else:
            ops.append(with_regions(op, [_without_repeats(r, seen, mapping) for r in op.regions]))
    yields = region.yields
    if mapping and any(isinstance(y, Value) and y in mapping for y in yields):
        yields = tuple(mapping.get(y, y) if isinstance(y, Value) else y for y in yields)
    return Region(region.params, tuple(ops), yields)


def _reading_replacements(op, mapping: dict):
    """`op` with its own operands (not those of its regions) replaced by `mapping`."""
    def sub(x):
        return mapping.get(x, x) if isinstance(x, Value) else x

    if isinstance(op, Call):
        return dataclasses.replace(op, args=tuple(map(sub, op.args)), kwargs=tuple((k, sub(v)) for k, v in op.kwargs))
    if isinstance(op, If):
        return dataclasses.replace(op, cond=sub(op.cond))
    if isinstance(op, For):
        return dataclasses.replace(op, iterable=sub(op.iterable), inits=tuple(map(sub, op.inits)))
    return dataclasses.replace(op, inits=tuple(map(sub, op.inits)))


_OPERATORS = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg,
              operator.pos, operator.matmul, operator.floordiv, operator.mod}


def _expression_key(op: Call):
    """What identifies the op's result, or None if it must be computed where it is."""
    fn = op.fn
    if op.kwargs or op.in_place or len(op.results) != 1:
        return None
    try:
        pure = fn in _OPERATORS or isinstance(fn, np.ufunc) or fn is np.transpose or \
            getattr(fn, "__module__", None) == "math" and getattr(math, getattr(fn, "__name__", ""), None) is fn
    except TypeError:  # an unhashable callable
        return None
    if not pure:
        return None
    args = []
    for a in op.args:
        if isinstance(a, Value):
            args.append(a)
        elif isinstance(a.value, (int, float, complex, bool, str, type(None))):
            args.append((type(a.value), repr(a.value), a.name))  # repr: 0.0 and -0.0 differ
        else:
            return None
    return (fn, tuple(args))
