"""Helpers that generated code calls at run time.

They exist where a derivative depends on something only known when the code runs (an
array's shape or number of dimensions). Each is small, plain NumPy, and named for what
it computes, because it appears in `g.source`.
"""
from __future__ import annotations

import numpy as np


def stop_gradient(x):
    """Identity in the forward pass; the compiler gives it a zero derivative."""
    return x


def unbroadcast(g, like):
    """`g` summed back to the shape of `like`, undoing NumPy broadcasting.

    `like` is the array (or scalar) `g` belongs to, or just its shape. A Python or NumPy
    scalar gets a scalar of its own type back (float in, float out).
    """
    if isinstance(like, tuple):
        shape = like
    elif isinstance(like, np.ndarray):
        shape = like.shape
    else:
        total = g if np.ndim(g) == 0 else np.sum(g)
        return type(like)(total) if isinstance(like, (float, np.floating)) else total
    g_shape = g.shape if type(g) is np.ndarray else np.shape(g)
    if g_shape == shape:
        return g  # the common case, checked first: this runs once per broadcasting op and iteration
    axes, summed = _summed_axes(g_shape, shape)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True).reshape(summed)
    return g if np.shape(g) == shape else np.broadcast_to(g, shape)


def _summed_axes(g_shape: tuple, shape: tuple) -> tuple:
    """The axes of `g_shape` that `unbroadcast` sums to reach `shape` (leading extra axes,
    and those where `shape` has 1), and the shape of that sum without the extra axes; the
    sum is then broadcast to `shape` (where `g_shape` has 1, or fewer axes)."""
    extra = len(g_shape) - len(shape)
    axes = tuple(range(max(extra, 0))) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and 0 <= i + extra < len(g_shape) and g_shape[i + extra] != 1
    )
    summed = tuple(1 if k in axes else n for k, n in enumerate(g_shape))[max(extra, 0):]
    return axes, summed


def broadcast_back(c, g, like):
    """The adjoint of `unbroadcast(g, like)` (a linear map of `g`) for the cotangent `c`
    of its result: `c` summed over the axes the result was broadcast along, then spread
    back over those `unbroadcast` summed. Only the shape of `g` is read."""
    g_shape = np.shape(g)
    if not isinstance(like, (tuple, np.ndarray)):  # the result was the sum of `g`
        return np.broadcast_to(c, g_shape)
    shape = like if isinstance(like, tuple) else like.shape
    if g_shape == shape:
        return c
    _, summed = _summed_axes(g_shape, shape)
    return np.broadcast_to(unbroadcast(c, summed), g_shape)


def astype(x, dtype):
    """`x.astype(dtype)`."""
    return np.asarray(x).astype(dtype)


def dtype_of(x):
    """`x.dtype`, also for Python scalars."""
    return np.result_type(x)


class no_grad:
    """`with adcompiler.no_grad():` — values computed inside carry no gradient.

    Outside compiled code it does nothing, so the function runs as plain Python too.
    """

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def rename(x):
    """Identity: generated code spells it `y = x`, giving an adjoint its own name."""
    return x


def as_gradient(g, like):
    """`g` as a gradient of `like` is handed to the caller: of its type, dtype and shape
    (float in, float out; float32 in, float32 out; a dict of arrays for a dict of arrays),
    and the caller's own array to modify (never an input, or a view of one). Generated
    code calls it only where it cannot tell that `g` already is all that."""
    if isinstance(like, dict) and isinstance(g, dict):
        return {k: as_gradient(g[k], v) for k, v in like.items()}
    if isinstance(like, (tuple, list)) and isinstance(g, (tuple, list)):
        return type(like)(as_gradient(a, b) for a, b in zip(g, like))
    if isinstance(like, np.ndarray):
        return np.array(g, dtype=like.dtype)  # a copy: g may be an input, or a view of one
    if isinstance(like, (float, np.floating)):
        return g if type(g) is type(like) else type(like)(g)
    return np.array(g) if isinstance(g, np.ndarray) else g


def as_own_gradient(g, like):
    """`as_gradient(g, like)` for a `g` that generated code made itself, in `like`'s shape:
    only its dtype may need converting."""
    if type(g) is np.ndarray and type(like) is np.ndarray:
        return g if g.dtype == like.dtype else g.astype(like.dtype)
    return as_gradient(g, like)


def mean(x):
    """`np.mean(x)` of an array of float32, float64 or complex numbers: its sum over its
    size, the same number without the Python-level steps of `np.mean`, which take longer
    than the arithmetic on small arrays."""
    return x.sum() / x.size


def softplus(x):
    """`np.logaddexp(0, x)` for arrays, about six times faster and equal to within an ulp:
    NumPy's `logaddexp` works element by element through scalar library calls, while
    these ufuncs are vectorised. Exact at the extremes (`inf`, `-inf`, `nan`). Below a
    few hundred elements the four calls cost more than they save."""
    if x.size < 256 or x.dtype.kind != "f":  # (of integers, `-np.abs` would wrap around)
        return np.logaddexp(0.0, x)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def cofactors(a):
    """The cofactor matrix of each matrix of `a` (the slope of its determinant), also where
    it is singular: with `a = U diag(s) Vh`, `det(U) det(Vh) U diag(c) Vh`, where `c[i]`
    is the product of the singular values other than `s[i]`."""
    u, s, vh = np.linalg.svd(a)
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    signs = np.linalg.det(u) * np.linalg.det(vh)
    return (signs[..., None, None] * u * (before * after)[..., None, :]) @ vh


def broadcast_rows(x, stacked):
    """`x` spread over the shape of one slice `stacked[t]` (and its own), in one contiguous
    array: `y + rows` is `y + x`, element for element, without NumPy's slower broadcasting
    loop in each iteration that adds it."""
    own, row = np.shape(x), np.shape(stacked)[1:]
    n = max(len(own), len(row))
    own, row = (1,) * (n - len(own)) + own, (1,) * (n - len(row)) + row
    if any(a != b and 1 not in (a, b) for a, b in zip(own, row)):
        return x  # shapes that do not broadcast: the loop's addition raises, as the user's does
    rows = np.empty(tuple(max(a, b) for a, b in zip(own, row)), dtype=np.result_type(x))
    rows[...] = x
    return rows


def sample_indices(samples):
    """`0, 1, ..., n - 1` for the `n` samples of `np.arange(start, stop, step)`: each
    sample's weight in `step`."""
    return np.arange(np.shape(samples)[0])


_JOINS = {"concatenate": np.concatenate, "hstack": np.hstack, "vstack": np.vstack, "dstack": np.dstack}


def split_adjoint(g, pieces, join: str, axis=0):
    """The cotangent of `x` in `pieces = np.split(x, ...)` (or `array_split`, `hsplit`,
    ...), from the pieces' cotangents `g` (a list, None or shorter where a piece got
    none): they are joined back, zeros in the gaps."""
    g = list(g) + [None] * (len(pieces) - len(g))
    parts = [np.zeros_like(p, dtype=np.result_type(p, 1.0)) if gi is None else gi for p, gi in zip(pieces, g)]
    return _JOINS[join](parts, axis=axis) if join == "concatenate" else _JOINS[join](parts)


def linspace_weights(samples, endpoint=True):
    """For `samples = np.linspace(start, stop, num, endpoint)`: the weights w of `stop` in
    each sample (`start + w (stop - start)`), shaped to broadcast against `samples`."""
    num = np.shape(samples)[0]
    w = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    return w.reshape((num,) + (1,) * (np.ndim(samples) - 1))


def spread_tangent(t, like):
    """A tangent in the shape of the value `like` it belongs to, where the elementwise op
    that made `like` broadcast a smaller argument (`np.zeros(3) + x` for a float `x`)."""
    if np.shape(t) == np.shape(like):
        return t
    return np.broadcast_to(t, np.shape(like)).copy()


def make_tuple(*items):
    """A tuple of the arguments; generated code spells it `(a, b)`."""
    return items


def setitem(x, index, value):
    """`x` with `x[index] = value`, as a new array: the meaning of an array update in the IR.

    Generated code writes the update in place (`x[index] = value`) when nothing reads
    the old `x` afterwards and `x` belongs to the function; otherwise it copies first.
    """
    x = np.array(x, copy=True)
    x[index] = value
    return x


def add_at(x, index, value):
    """`x` with `value` added at `index`, as a new array; repeated indices accumulate."""
    x = np.array(x, copy=True)
    add_into(x, index, value)
    return x


def add_into(x, index, value):
    """Add `value` into `x` at `index`, in place; repeated integer indices accumulate. In a
    list or dict, an element that is a container itself is added element by element
    (`+=` would join two lists)."""
    if not isinstance(x, np.ndarray):
        x[index] = add_structures(x[index], value)
    elif _is_basic_index(index):
        x[index] += value
    else:
        np.add.at(x, index, value)


def make_dict(*keys_and_values):
    """A dict of alternating keys and values; generated code spells it `{k: v, ...}`."""
    return dict(zip(keys_and_values[::2], keys_and_values[1::2]))


def list_append(items, value):
    """`items` with `value` appended, as a new list: the meaning of `items.append(value)`
    in the IR, which generated code writes in place when it may (see `aliasing`)."""
    return items + [value]


def sum_adjoint(g, items):
    """The adjoint of `sum(items)` (Python's): `g` for each item, in the item's shape."""
    return [unbroadcast(g, x) for x in items]


def sum_adjoint_back(c, g, items):
    """The adjoint of `sum_adjoint(g, items)` (linear in `g`) for the cotangent `c` of its
    result, one per item: each spread back to `g`'s shape, and summed."""
    total = 0.0
    for part, item in zip(c, items):
        total = total + broadcast_back(part, g, item)
    return total


def extremum_adjoint(g, items, ans):
    """The adjoint of `max(items)` or `min(items)` (Python's): `g` split among the items equal
    to the result, zero for the others."""
    hits = [float(np.all(x == ans)) for x in items]
    share = g / sum(hits)
    return [unbroadcast(share * h, x) for h, x in zip(hits, items)]


def if_holds_floats(part, x):
    """`part` (a value's share of a cotangent or tangent) where the array `x` written into
    holds inexact numbers; zeros where it holds ints or bools, which truncate what is
    written."""
    return part if np.result_type(x).kind in "fc" else 0.0 * np.asarray(part, dtype=float)


def extremum_tangent(t, items, ans):
    """The tangent of `max(items)` or `min(items)` (Python's), from the items' tangents `t`:
    shared among the items equal to the result, as `extremum_adjoint` shares the cotangent."""
    hits = [float(np.all(x == ans)) for x in items]
    return sum(ti * (h / sum(hits)) for ti, h in zip(t, hits))


def extremum_adjoint_back(c, g, items, ans):
    """The adjoint of `extremum_adjoint(g, items, ans)` (linear in `g`) for the cotangent
    `c` of its result: each item's part, weighted by its share, spread back to `g`'s shape."""
    hits = [float(np.all(x == ans)) for x in items]
    total = 0.0
    for part, item, hit in zip(c, items, hits):
        total = total + broadcast_back(part, g, item) * (hit / sum(hits))
    return total


def with_added(items, key, g):
    """A copy of the container `items` with `g` added to its element at `key` (the
    adjoint of reading `items[key]` at a key known only at run time)."""
    if isinstance(items, dict):
        items = dict(items)
    else:
        kind, items = type(items), list(items)
    items[key] = add_structures(items[key], g)  # an element may be a container itself
    return items if isinstance(items, dict) or kind is list else kind(items)


def add_structures(a, b):
    """The sum of two adjoints of one container, element by element."""
    if isinstance(a, dict):
        return {k: add_structures(a[k], b[k]) for k in a}
    if isinstance(a, (list, tuple)):
        return type(a)(add_structures(x, y) for x, y in zip(a, b))
    return a + b


def make_list(*items):
    """A list of the arguments; generated code spells it `[a, b]`."""
    return list(items)


def _is_basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) for i in items)


def written_cotangent(g, index):
    """The cotangent of `value` in `x[index] = value`: a copy of `g[index]`. Where an
    advanced index names one element several times, NumPy keeps one of the writes; the
    others are overwritten and get zero. Which one NumPy keeps is found by making the
    same assignment of write numbers."""
    picked = np.array(g[index], copy=True)
    if _is_basic_index(index):
        return picked
    order = np.arange(picked.size).reshape(picked.shape)
    kept = np.full(np.shape(g), -1)
    kept[index] = order
    picked[kept[index] != order] = 0.0
    return picked


def getitem_adjoint(g, shape, index):
    """The adjoint of `x[index]` for `x` of `shape`: `g` placed where the elements came
    from, zeros elsewhere. Repeated integer indices accumulate."""
    out = np.zeros(shape, dtype=np.result_type(g, 0.0))
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def matmul_adjoint_a(g, a, b):
    """The adjoint of `a` in `a @ b`, for 1-d, 2-d and stacked operands."""
    a_ndim, b_ndim = np.ndim(a), np.ndim(b)
    if b_ndim == 1:
        return g * b if a_ndim == 1 else np.multiply.outer(g, b)
    if a_ndim == 1:
        da = np.matmul(b, np.expand_dims(g, -1))[..., 0]
        return unbroadcast(da, np.asarray(a)) if da.ndim > 1 else da
    return unbroadcast(np.matmul(g, np.swapaxes(b, -1, -2)), np.asarray(a))


def matmul_adjoint_b(g, a, b):
    """The adjoint of `b` in `a @ b`, for 1-d, 2-d and stacked operands."""
    a_ndim, b_ndim = np.ndim(a), np.ndim(b)
    if a_ndim == 1:
        return g * a if b_ndim == 1 else np.expand_dims(a, -1) * np.expand_dims(g, -2)
    if b_ndim == 1:
        db = np.matmul(np.swapaxes(a, -1, -2), np.expand_dims(g, -1))[..., 0]
        return unbroadcast(db, np.asarray(b)) if db.ndim > 1 else db
    return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g), np.asarray(b))


def _check_dot(a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        from .errors import ADError

        raise ADError(
            f"the derivative of np.dot is implemented for scalars, vectors and matrices, "
            f"not for arrays of {np.ndim(a)} and {np.ndim(b)} dimensions",
            hint="Use `np.matmul` (or `@`), `np.tensordot` or `np.einsum` for stacked arrays.",
        )


def dot_adjoint_a(g, a, b):
    """The adjoint of `a` in `np.dot(a, b)`."""
    _check_dot(a, b)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    return matmul_adjoint_a(g, a, b)


def dot_adjoint_b(g, a, b):
    """The adjoint of `b` in `np.dot(a, b)`."""
    _check_dot(a, b)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    return matmul_adjoint_b(g, a, b)


def zeros_like_input(x):
    """A zero gradient of the type and shape of `x` (a float for a Python float, a list of
    zeros for a list, a dict of zeros for a dict)."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x, dtype=np.result_type(x, 1.0))
    if isinstance(x, (list, tuple)):
        return type(x)(zeros_like_input(item) for item in x)
    if isinstance(x, dict):
        return {k: zeros_like_input(v) for k, v in x.items()}
    return type(x)(0.0) if isinstance(x, (float, np.floating)) else 0.0


class RowTerms:
    """Sums over a loop's iterations of `left.T @ right` (one sum per left) and of
    `right.sum(axis=0)`, for 2-D `left` and `right` with a row per sample.

    `add` keeps references to the matrices; when they hold `BLOCK` elements it stacks
    their rows (`np.concatenate`) and forms each product once for all of them. That is
    done only for float64 (or complex128) rows, where it changes nothing but the order
    of additions; other rows are multiplied term by term, as the loop would have, and
    added in the loop's order. `product` and `column_sum` give an accumulator's final
    value: its value before the loop (`start`, or `zeros_like_input(zeros_like)`) plus
    the sum. Generated code makes one per right-hand matrix of a loop (see `batching`).
    """

    # Elements held before stacking: enough for fast products, few for memory, and stacks
    # mostly under glibc's 128 KiB mmap threshold (a larger array is mapped afresh and
    # page-faulted in on every allocation).
    BLOCK = 24576

    __slots__ = ("_rights", "_lefts", "_rows", "_width", "_parts", "_sums_columns", "_stacked", "_handed")

    def __init__(self, lefts: int, column_sum: bool):
        self._rights = []
        self._lefts = []  # per `add`, its tuple of lefts
        self._rows = 0
        self._width = 0  # elements per row of a right and its lefts, from the first `add` of a block
        self._parts = [[] for _ in range(lefts + column_sum)]  # per sum: its blocks' (or terms') sums, in order
        self._sums_columns = column_sum
        self._stacked = True  # whether every block so far was stacked
        self._handed = set()  # the sums already given out: a second reader gets a copy

    def add(self, right, *lefts):
        if not self._rights:
            self._width = max(1, right.shape[1] + sum(left.shape[1] for left in lefts))
        self._rights.append(right)
        self._lefts.append(lefts)
        self._rows += len(right)
        if self._rows * self._width >= self.BLOCK:
            self._stack()
        return self

    def product(self, k: int, start=0, zeros_like=None):
        """The accumulator of the `k`-th left: `start` (or zeros like `zeros_like`) plus
        the sum of `left.T @ right`."""
        return self._total(k, start, zeros_like)

    def column_sum(self, start=0, zeros_like=None):
        """The accumulator of `right.sum(axis=0)`: as `product`."""
        return self._total(len(self._parts) - 1, start, zeros_like)

    def _total(self, k: int, start, zeros_like):
        self._stack()
        parts = self._parts[k]
        if zeros_like is not None and self._stacked and parts:
            total = parts[0]
            for part in parts[1:]:
                total = total + part
            total = _added_to_zeros(total, zeros_like)
            if k in self._handed:
                return total.copy()  # another accumulator has this very array
            self._handed.add(k)
            return total
        total = zeros_like_input(zeros_like) if zeros_like is not None else start
        for part in parts:
            total = total + part
        return total

    def _stack(self) -> None:
        rights = self._rights
        if not rights:
            return
        per_left = list(zip(*self._lefts))  # per left, the matrices of every `add`
        self._lefts.clear()
        right = _stacked(rights)
        lefts = [_stacked(matrices) for matrices in per_left] if right is not None else ()
        if right is not None and all(left is not None for left in lefts):
            rights.clear()  # the rows are in `right` now: let go of the matrices nothing else holds
            for parts, left in zip(self._parts, lefts):
                parts.append(left.T @ right)
            if self._sums_columns:  # a matrix-vector product sums columns faster than `sum`
                self._parts[-1].append(np.ones(len(right), right.dtype) @ right)
        else:  # term by term, in the loop's order
            self._stacked = False
            for i, right in enumerate(rights):
                for parts, matrices in zip(self._parts, per_left):
                    parts.append(matrices[i].T @ right)
                if self._sums_columns:
                    self._parts[-1].append(right.sum(axis=0))
            rights.clear()
        self._rows = 0


_WIDEST = (np.dtype(np.float64), np.dtype(np.complex128))


def _stacked(matrices):
    """The rows of `matrices` in one array, or None where stacking would change more than
    the order of additions: unless they have one dtype, whose products NumPy forms in that
    dtype, and the widest (a float32 block would be summed in float32 where the loop adds
    each product to a float64 accumulator), and rows of one width."""
    dtype = matrices[0].dtype
    if dtype not in _WIDEST:
        return None
    if len(matrices) == 1:
        return matrices[0]
    try:  # `casting="no"` refuses any other dtype, and rows of another width do not stack
        return np.concatenate(matrices, dtype=dtype, casting="no")
    except (TypeError, ValueError):
        return None


def _added_to_zeros(total, like):
    """`zeros_like_input(like) + total`, without making the zeros when `total` is an
    array of that shape already."""
    if isinstance(total, np.ndarray) and isinstance(like, np.ndarray) and total.shape == like.shape:
        dtype = np.result_type(like, 1.0, total)
        return total if total.dtype == dtype else total.astype(dtype)
    return zeros_like_input(like) + total
