"""Products with the loop's slice of an array, formed for every slice before the loop.

In `for t in range(xs.shape[0]): ... xs[t] @ Wx ...`, with `xs` and `Wx` defined
before the loop, every iteration multiplies one slice of `xs` by the same matrix:
`xs @ Wx` forms them all in one NumPy call (`np.matmul` maps over leading axes), and
the loop reads its slice, `xs_matmul_Wx[t]`. The loop visits every slice exactly once,
so nothing is computed that the loop would not have; one product replaces many small
ones, each of which costs more in calling than in arithmetic. (One difference remains:
with no slice at all and a `W` of the wrong shape, the product raises where the loop
would not have run; such a function fails on any other data.)

`hoist_indexed_products` does this in the generated function after the reverse pass,
where it speeds up the forward sweep and leaves the adjoints as they were. It applies
only where the result is the loop's, bit for bit: the loop runs over `range(X.shape[0])`
or `range(len(X))` without `break`, `X` is an array (not a list of them), and the
product is `X[t] @ W` or `W @ X[t]` with `X[t]` a matrix and `W` of at most two
dimensions (ranks known from the signature). (A vector `X[t]` is left in the loop:
BLAS multiplies a matrix of rows in another order than each row alone, and the last
bits of the sums differ.)
"""
from __future__ import annotations

import builtins
import dataclasses
import operator

import numpy as np

from . import abstract, runtime
from .ir import Call, Const, For, Function, Region, Value, defined_in, rewrite_loops, substitute

_MATMUL = (operator.matmul, np.matmul)


def hoist_indexed_products(fn: Function, types: dict) -> Function:
    """`fn` with the products hoisted; those of its top-level loops are `released`: the
    generated code deletes them before the backward pass, which does not read them."""
    if not types:
        return fn

    def hoisted(loop: For, region: Region, renamed: dict):
        producers = {op.results[0]: op for op in region.ops if isinstance(op, Call)}
        products, loop = _hoisted(loop, producers, types)
        views, loop = _invariant_transposes(loop)
        return products + views + [loop] if products or views else None

    new = rewrite_loops(fn, hoisted)
    if new is fn:
        return fn
    before = {id(op) for op in fn.body.ops}
    made = tuple(op.results[0] for op in new.body.ops if isinstance(op, Call) and id(op) not in before)
    return dataclasses.replace(new, released=fn.released + made)


def _hoisted(loop: For, producers: dict, types: dict):
    """The products to form before `loop`, and the loop reading their slices."""
    stacked = _array_iterated(loop, producers)
    if stacked is None or not isinstance(abstract.value_of(types, stacked), abstract.Array):
        return [], loop  # (a list's items may differ in shape and dtype: NumPy would stack them as one)
    t = loop.targets[0]
    body = loop.body
    inside = defined_in(body)
    slices = {op.results[0] for op in body.ops if isinstance(op, Call) and op.fn is operator.getitem
              and op.args == (stacked, t)}
    before, ops = [], []
    for op in body.ops:
        whole = _whole_product(op, slices, stacked, inside, types)
        if whole is None:
            ops.append(op)
            continue
        a, b = whole
        product = Value(f"{_hint(a)}_matmul_{_hint(b)}", op.loc)
        before.append(Call((product,), op.fn, (a, b), (), op.loc))
        ops.append(Call(op.results, operator.getitem, (product, t), (), op.loc))
        result_type = abstract.value_of(types, op.results[0])
        if isinstance(result_type, abstract.Array) and result_type.dims is not None:
            types[product] = abstract.Array((None,) + result_type.dims, result_type.dtype)
    if not before:
        return [], loop
    products = {op.results[0] for op in before}
    slices = {op.results[0]: op.args[0] for op in ops
              if isinstance(op, Call) and op.fn is operator.getitem and op.args[0] in products}
    ops = _with_rows(ops, slices, inside, types, before)
    return before, dataclasses.replace(loop, body=dataclasses.replace(body, ops=tuple(ops)))


def _with_rows(ops: list, slices: dict, inside: set, types: dict, before: list) -> list:
    """`ops` where a loop-invariant array of lower rank is added to a value at least as
    large as a hoisted product's slice (`xs_matmul_Wx[t] + h @ Wh + b`): `b` spread once
    over a slice's shape before the loop (`runtime.broadcast_rows`), which gives the same
    sums with a faster addition in every iteration. `slices`: each slice read -> its product."""
    covers = dict(slices)  # value -> the product whose slice shape it has, or contains
    rows: dict = {}
    out = []
    for op in ops:
        if isinstance(op, Call) and op.fn is operator.add and len(op.args) == 2 and not op.kwargs:
            for k in (0, 1):
                y, b = op.args[k], op.args[1 - k]
                if y in covers and _invariant(b, inside) and _lower_rank(b, y, types):
                    key = (b, covers[y])
                    if key not in rows:
                        rows[key] = Value(f"{b.hint}_rows", op.loc)
                        before.append(Call((rows[key],), runtime.broadcast_rows, key, (), op.loc))
                        types[rows[key]] = _spread_type(abstract.value_of(types, b), abstract.value_of(types, key[1]))
                    args = list(op.args)
                    args[1 - k] = rows[key]
                    op = dataclasses.replace(op, args=tuple(args))
                    break
            for y in op.args:
                if y in covers:  # the sum has at least the slice's shape
                    covers[op.results[0]] = covers[y]
                    break
        out.append(op)
    return out


def _spread_type(b, stacked):
    """What is known of `runtime.broadcast_rows(b, stacked)`: `b`'s dtype, and the sizes
    of `b` spread over one slice of `stacked` (1 where both are 1)."""
    row = stacked.dims[1:] if isinstance(stacked, abstract.Array) and stacked.dims else None
    if row is None or b.dims is None or len(b.dims) > len(row):
        return abstract.Array(None, b.dtype)
    own = (abstract.ONE,) * (len(row) - len(b.dims)) + b.dims
    dims = tuple(abstract.MANY if abstract.MANY in (x, y) else abstract.ONE if x == y == abstract.ONE else None
                 for x, y in zip(own, row))
    return abstract.Array(dims, b.dtype)


def _lower_rank(b, y, types: dict) -> bool:
    """Whether `b` is an array of at least one dimension, of a known dtype, and of fewer
    dimensions than `y` (so adding it broadcasts). (A number, or a value that may be a
    Python float, is left as it is: spread into an array, it could widen `y`'s dtype.)"""
    have, want = abstract.value_of(types, b), abstract.value_of(types, y)
    return isinstance(have, abstract.Array) and isinstance(want, abstract.Array) and have.ndim is not None \
        and want.ndim is not None and 1 <= have.ndim < want.ndim and have.dtype is not None


def _invariant_transposes(loop: For):
    """The transposes (`W.T`) in `loop`'s body of arrays defined before it, made once before
    it instead of once per iteration (a view: nothing is computed that could raise)."""
    inside = defined_in(loop.body)
    moved, kept, names = [], [], {}
    for op in loop.body.ops:
        if isinstance(op, Call) and op.fn is np.transpose and len(op.args) == 1 and not op.kwargs \
                and _invariant(op.args[0], inside):
            names[op.results[0]] = Value(f"{op.args[0].hint}_T", op.loc)
            moved.append(dataclasses.replace(op, results=(names[op.results[0]],)))
        else:
            kept.append(op)
    if not moved:
        return [], loop
    body = substitute(dataclasses.replace(loop.body, ops=tuple(kept)), names)
    return moved, dataclasses.replace(loop, body=body)


def _array_iterated(loop: For, producers: dict):
    """`X` when `loop` runs `for t in range(X.shape[0])` (or `range(len(X))`), else None."""
    if loop.stop or loop.ntargets != 1:
        return None
    rng = producers.get(loop.iterable)
    if not (isinstance(rng, Call) and rng.fn is builtins.range and len(rng.args) == 1 and not rng.kwargs):
        return None
    size = producers.get(rng.args[0])
    if isinstance(size, Call) and size.fn is builtins.len and len(size.args) == 1:
        return size.args[0] if isinstance(size.args[0], Value) else None
    if not (isinstance(size, Call) and size.fn is operator.getitem and _is_zero(size.args[1])):
        return None
    shape = producers.get(size.args[0])
    if isinstance(shape, Call) and shape.fn is np.shape and len(shape.args) == 1 and isinstance(shape.args[0], Value):
        return shape.args[0]
    return None


def _whole_product(op, slices: set, stacked: Value, inside: set, types: dict):
    """(a, b) such that `op`'s result is `(a @ b)[t]`, or None."""
    if not (isinstance(op, Call) and op.fn in _MATMUL and len(op.args) == 2 and not op.kwargs):
        return None
    x, w = op.args
    if x in slices and _invariant(w, inside) and _rank(w, types) in (1, 2) and (_rank(x, types) or 0) >= 2:
        return stacked, w  # X[t] @ W, X[t] a matrix: `matmul` maps W over X's leading axis
    if w in slices and _invariant(x, inside) and _rank(x, types) in (1, 2) and _rank(w, types) == 2:
        return x, stacked  # W @ X[t], X[t] a matrix: the same, on the other side
    return None


def _invariant(x, inside: set) -> bool:
    return isinstance(x, Value) and x not in inside


def _rank(x, types: dict):
    av = abstract.value_of(types, x)
    return av.ndim if isinstance(av, abstract.Array) else None


def _hint(x) -> str:
    return x.hint if isinstance(x, Value) else "c"


def _is_zero(x) -> bool:
    return isinstance(x, Const) and type(x.value) is int and x.value == 0
