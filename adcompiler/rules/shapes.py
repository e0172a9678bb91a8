"""Derivative rules of functions that move, copy, select or assemble entries without
changing them: shape changes, joining and splitting, tiling, flips and rotations,
padding, diagonals, triangles, `take`, `sort`, and `np.array` of a sequence.

All are linear in their array argument, so each JVP applies the function itself to the
tangent, and each VJP applies its transpose: the reverse move, a sum over the copies,
or entries placed back where they came from (repeated indices accumulate).

Sequences (see `registry`): a function taking a sequence of arrays (`np.concatenate`,
`np.stack`, `np.array([a, b])`) gets that argument as a Python tuple or list, and its
VJP returns a tuple with one cotangent per element; a function returning a list
(`np.split`) gets `g` as a tuple holding None for the pieces that receive no cotangent.
"""
from __future__ import annotations

import numpy as np

from .. import runtime
from ..errors import UnsupportedArgumentError
from ..tracing import Symbol, recordable
from .registry import defjvp, defvjp, nondiff, passes_nothing

# ---------------------------------------------------------------- run-time helpers


def _split_back(g, arrays, lengths, axis):
    """`g` cut along `axis` into pieces of the given lengths, each shaped like its array."""
    pieces = np.split(g, np.cumsum(lengths[:-1]).astype(int), axis=axis)
    return tuple(np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays))


def concatenate_adjoint(g, arrays, axis):
    """The adjoints of the arrays joined by `np.concatenate(arrays, axis)`."""
    if axis is None:  # the arrays were flattened first
        return _split_back(np.ravel(g), arrays, [np.size(a) for a in arrays], 0)
    return _split_back(g, arrays, [np.shape(a)[axis] for a in arrays], axis)


def hstack_adjoint(g, arrays):
    """The adjoints of the arrays joined by `np.hstack`: along axis 0 for vectors, else 1."""
    if np.ndim(arrays[0]) <= 1:
        return _split_back(g, arrays, [np.size(a) for a in arrays], 0)
    return _split_back(g, arrays, [np.shape(a)[1] for a in arrays], 1)


def vstack_adjoint(g, arrays):
    """The adjoints of the arrays joined by `np.vstack` (vectors become rows)."""
    return _split_back(g, arrays, [np.shape(a)[0] if np.ndim(a) >= 2 else 1 for a in arrays], 0)


def dstack_adjoint(g, arrays):
    """The adjoints of the arrays joined by `np.dstack` (along a third axis)."""
    return _split_back(g, arrays, [np.shape(a)[2] if np.ndim(a) >= 3 else 1 for a in arrays], 2)


def column_stack_adjoint(g, arrays):
    """The adjoints of the arrays joined by `np.column_stack` (vectors become columns)."""
    return _split_back(g, arrays, [np.shape(a)[1] if np.ndim(a) >= 2 else 1 for a in arrays], 1)


def unstack(g, axis):
    """The slices of `g` along `axis`: the adjoints of the arrays `np.stack` joined."""
    return tuple(np.moveaxis(g, axis, 0))


def _add_along(x, axis, indices, g):
    """Zeros shaped like `x`, plus `g` added at `indices` along `axis` (repeats accumulate)."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, x, 1.0))
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
        return out
    np.add.at(out, (slice(None),) * (axis % out.ndim) + (indices,), g)
    return out


def take_adjoint(g, x, indices, axis):
    """The adjoint of `x` in `np.take(x, indices, axis)`."""
    return _add_along(x, axis, np.asarray(indices), g)


def repeat_adjoint(g, x, repeats, axis):
    """The adjoint of `x` in `np.repeat(x, repeats, axis)`: each copy adds to its source."""
    n = np.size(x) if axis is None else np.shape(x)[axis]
    return _add_along(x, axis, np.repeat(np.arange(n), repeats), g)


def take_along_axis_adjoint(g, x, indices, axis):
    """The adjoint of `x` in `np.take_along_axis(x, indices, axis)` (repeats accumulate)."""
    if axis is None:
        return _add_along(x, None, indices, g)
    ndim, axis = np.ndim(x), axis % np.ndim(x)
    index = [np.arange(n).reshape([-1 if j == i else 1 for j in range(ndim)]) for i, n in enumerate(np.shape(x))]
    index[axis] = indices
    out = np.zeros(np.shape(x), dtype=np.result_type(g, x, 1.0))
    np.add.at(out, tuple(index), g)
    return out


def sort_adjoint(g, x, axis):
    """The adjoint of `x` in `np.sort(x, axis)`: each entry of `g` back at its source."""
    out = np.zeros(np.size(x) if axis is None else np.shape(x), dtype=np.result_type(g, x, 1.0))
    np.put_along_axis(out, np.argsort(x, axis=axis, kind="stable"), g, axis=-1 if axis is None else axis)
    return np.reshape(out, np.shape(x))


def tile_adjoint(g, x, reps):
    """The adjoint of `x` in `np.tile(x, reps)`: the sum of all the tiles."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    n = max(len(reps), np.ndim(x))
    shape = (1,) * (n - np.ndim(x)) + np.shape(x)
    reps = (1,) * (n - len(reps)) + reps
    blocks = np.reshape(g, [d for pair in zip(reps, shape) for d in pair])
    return np.reshape(np.sum(blocks, axis=tuple(range(0, 2 * n, 2))), np.shape(x))


def pad_adjoint(g, x, pad_width):
    """The adjoint of `x` in `np.pad(x, pad_width)`: the unpadded middle of `g`."""
    before = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(x), 2))[:, 0]
    return g[tuple(slice(b, b + n) for b, n in zip(before, np.shape(x)))]


def _diagonal_index(shape, offset):
    n = max(0, min(shape[-2] + min(offset, 0), shape[-1] - max(offset, 0)))
    return np.arange(n) - min(offset, 0), np.arange(n) + max(offset, 0)


def diagonal_adjoint(g, x, offset, axis1, axis2):
    """Zeros shaped like `x` with `g` on the diagonal that `np.diagonal(x, offset, axis1, axis2)` reads."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, x, 1.0))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    rows, cols = _diagonal_index(view.shape, offset)
    view[..., rows, cols] = g
    return out


def diag_adjoint(g, v, k):
    """The adjoint of `v` in `np.diag(v, k)`: a diagonal for a vector `v`, else a matrix."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, v, k, 0, 1)


concatenate_adjoint = recordable(concatenate_adjoint)
hstack_adjoint = recordable(hstack_adjoint)
vstack_adjoint = recordable(vstack_adjoint)
dstack_adjoint = recordable(dstack_adjoint)
column_stack_adjoint = recordable(column_stack_adjoint)
unstack = recordable(unstack)
take_adjoint = recordable(take_adjoint)
repeat_adjoint = recordable(repeat_adjoint)
take_along_axis_adjoint = recordable(take_along_axis_adjoint)
sort_adjoint = recordable(sort_adjoint)
tile_adjoint = recordable(tile_adjoint)
pad_adjoint = recordable(pad_adjoint)
diagonal_adjoint = recordable(diagonal_adjoint)
diag_adjoint = recordable(diag_adjoint)
unbroadcast = recordable(runtime.unbroadcast)

# ---------------------------------------------------------------- sequences
#
# A sequence argument arrives as a Python tuple or list (of symbols or arrays), or as one
# symbol standing for a tuple built at run time. NumPy would iterate such a symbol without
# end, so the joining functions are called on it through `recordable`, which records
# them as they are.

_concatenate, _stack, _as_array = recordable(np.concatenate), recordable(np.stack), recordable(np.asarray)


def _each(pieces, arrays):
    """Cotangents of the elements of `arrays`: one Python item each when their number is
    known now, else `pieces` itself, a tuple built at run time."""
    if isinstance(arrays, (tuple, list)):
        return tuple(pieces[i] for i in range(len(arrays)))
    return pieces


def _filled(tangents, arrays):
    """Tangents of the elements of a sequence, zeros where an element carries none."""
    if not isinstance(tangents, (tuple, list)):
        return tangents
    return tuple(np.zeros_like(a) if t is None else t for t, a in zip(tangents, arrays))


def _count_pieces(indices_or_sections) -> int:
    """How many arrays `np.split(x, indices_or_sections)` returns."""
    return indices_or_sections if np.ndim(indices_or_sections) == 0 else len(indices_or_sections) + 1


def _cotangents(g, ans, indices_or_sections):
    """Cotangents of all the pieces of a split, zeros where a piece receives none."""
    g = tuple(g) + (None,) * (_count_pieces(indices_or_sections) - len(g))
    return tuple(np.zeros_like(ans[i]) if gi is None else gi for i, gi in enumerate(g))


def _pieces(parts, indices_or_sections):
    """The tangents of a split, one Python item per piece."""
    return tuple(parts[i] for i in range(_count_pieces(indices_or_sections)))


# ---------------------------------------------------------------- shape changes


def _reshaped_like_input(g, ans, x, *args, **params):
    return np.reshape(g, np.shape(x))


defvjp(np.ravel, _reshaped_like_input)
defjvp(np.ravel, lambda t, ans, x: np.ravel(t))
defvjp(np.squeeze, _reshaped_like_input, params=("axis",))
defjvp(np.squeeze, lambda t, ans, x, axis=None: np.squeeze(t, axis))
defvjp(np.expand_dims, _reshaped_like_input, params=("axis",))
defjvp(np.expand_dims, lambda t, ans, x, axis: np.expand_dims(t, axis))
for atleast in (np.atleast_1d, np.atleast_2d, np.atleast_3d):  # the one-array form
    defvjp(atleast, _reshaped_like_input)
    defjvp(atleast, lambda t, ans, x, atleast=atleast: atleast(t))

defvjp(np.swapaxes, lambda g, ans, x, axis1, axis2: np.swapaxes(g, axis1, axis2), params=("axis1", "axis2"))
defjvp(np.swapaxes, lambda t, ans, x, axis1, axis2: np.swapaxes(t, axis1, axis2))
defvjp(np.moveaxis, lambda g, ans, x, source, destination: np.moveaxis(g, destination, source),
       params=("source", "destination"))
defjvp(np.moveaxis, lambda t, ans, x, source, destination: np.moveaxis(t, source, destination))
# (the shape: integers, even where they come from a record holding differentiated values)
defvjp(np.broadcast_to, lambda g, ans, x, shape: unbroadcast(g, x), passes_nothing)
defjvp(np.broadcast_to, lambda t, ans, x, shape: np.broadcast_to(t, shape), lambda t, ans, x, shape: 0.0 * ans)

# ---------------------------------------------------------------- joining (a sequence in, one array out)

defvjp(np.concatenate, lambda g, ans, arrays, axis=0: _each(concatenate_adjoint(g, arrays, axis), arrays),
       params=("axis",))
defjvp(np.concatenate, lambda t, ans, arrays, axis=0: _concatenate(_filled(t, arrays), axis=axis))
defvjp(np.stack, lambda g, ans, arrays, axis=0: _each(unstack(g, axis), arrays), params=("axis",))
defjvp(np.stack, lambda t, ans, arrays, axis=0: _stack(_filled(t, arrays), axis=axis))
for stack, stack_adjoint in ((np.hstack, hstack_adjoint), (np.vstack, vstack_adjoint),
                             (np.dstack, dstack_adjoint), (np.column_stack, column_stack_adjoint)):
    defvjp(stack, lambda g, ans, arrays, adjoint=stack_adjoint: _each(adjoint(g, arrays), arrays))
    defjvp(stack, lambda t, ans, arrays, stack=recordable(stack): stack(_filled(t, arrays)))


# np.array([a, b]) stacks its items (nested sequences: recursively); the cotangent of
# item i is g[i]. A sequence built at run time gets all of g, which the reverse pass of
# that sequence hands out item by item.
def _array_vjp(g, ans, obj):
    if isinstance(obj, (tuple, list)):
        return tuple(_array_vjp(g[i], None, item) for i, item in enumerate(obj))
    return g


def _array_jvp(t, ans, obj):
    if isinstance(obj, (tuple, list)):
        tangents = [None] * len(obj) if t is None else t
        return _stack([_array_jvp(ti, None, item) for ti, item in zip(tangents, obj)])
    return np.zeros_like(obj) if t is None else _as_array(t)


for array in (np.array, np.asarray):
    defvjp(array, _array_vjp)
    defjvp(array, _array_jvp)

# ---------------------------------------------------------------- splitting (one array in, a list out)

# A cotangent known only at run time (the pieces read in a loop): joined at run time.
split_adjoint = recordable(runtime.split_adjoint)

for split, join in ((np.split, np.concatenate), (np.array_split, np.concatenate)):
    defvjp(split, lambda g, ans, x, indices_or_sections, axis=0, join=join:
           split_adjoint(g, ans, "concatenate", axis) if isinstance(g, Symbol) else
           join(_cotangents(g, ans, indices_or_sections), axis=axis),
           params=("indices_or_sections", "axis"), outputs="variable")
    defjvp(split, lambda t, ans, x, indices_or_sections, axis=0, split=split:
           _pieces(split(t, indices_or_sections, axis=axis), indices_or_sections))
for split, join in ((np.hsplit, np.hstack), (np.vsplit, np.vstack), (np.dsplit, np.dstack)):
    defvjp(split, lambda g, ans, x, indices_or_sections, join=join:
           split_adjoint(g, ans, join.__name__) if isinstance(g, Symbol) else
           join(_cotangents(g, ans, indices_or_sections)),
           params=("indices_or_sections",), outputs="variable")
    defjvp(split, lambda t, ans, x, indices_or_sections, split=split:
           _pieces(split(t, indices_or_sections), indices_or_sections))

# ---------------------------------------------------------------- copies


defvjp(np.tile, lambda g, ans, x, reps: tile_adjoint(g, x, reps), None)
defjvp(np.tile, lambda t, ans, x, reps: np.tile(t, reps), None)
defvjp(np.repeat, lambda g, ans, x, repeats, axis=None: repeat_adjoint(g, x, repeats, axis), None, params=("axis",))
defjvp(np.repeat, lambda t, ans, x, repeats, axis=None: np.repeat(t, repeats, axis=axis), None)


def _constant_mode(mode):
    if mode != "constant":
        raise UnsupportedArgumentError(
            f"the derivative of `np.pad` is implemented for mode='constant' only, not mode={mode!r}",
            hint="Pad with a constant, or build the padding from slices and `np.concatenate`.")


def _pad_vjp(g, ans, x, pad_width, mode="constant", constant_values=0):
    _constant_mode(mode)
    return pad_adjoint(g, x, pad_width)


def _pad_jvp(t, ans, x, pad_width, mode="constant", constant_values=0):
    _constant_mode(mode)
    return np.pad(t, pad_width)


defvjp(np.pad, _pad_vjp, None, params=("mode", "constant_values"))
defjvp(np.pad, _pad_jvp, None)

# ---------------------------------------------------------------- reordering

defvjp(np.flip, lambda g, ans, x, axis=None: np.flip(g, axis), params=("axis",))
defjvp(np.flip, lambda t, ans, x, axis=None: np.flip(t, axis))
defvjp(np.fliplr, lambda g, ans, x: np.fliplr(g))
defjvp(np.fliplr, lambda t, ans, x: np.fliplr(t))
defvjp(np.flipud, lambda g, ans, x: np.flipud(g))
defjvp(np.flipud, lambda t, ans, x: np.flipud(t))


def _negated(shift):
    if isinstance(shift, (tuple, list)):
        return tuple(-s for s in shift)
    return -shift if isinstance(shift, int) else np.negative(shift)  # np.negative: a tuple known at run time


defvjp(np.roll, lambda g, ans, x, shift, axis=None: np.roll(g, _negated(shift), axis), None, params=("axis",))
defjvp(np.roll, lambda t, ans, x, shift, axis=None: np.roll(t, shift, axis), None)
defvjp(np.rot90, lambda g, ans, x, k=1, axes=(0, 1): np.rot90(g, -k, axes), params=("k", "axes"))
defjvp(np.rot90, lambda t, ans, x, k=1, axes=(0, 1): np.rot90(t, k, axes))
defvjp(np.sort, lambda g, ans, x, axis=-1, kind=None: sort_adjoint(g, x, axis), params=("axis", "kind"))
defjvp(np.sort, lambda t, ans, x, axis=-1, kind=None:
       np.take_along_axis(t, np.argsort(x, axis=axis, kind="stable"), axis=axis))

# ---------------------------------------------------------------- selection

defvjp(np.take, lambda g, ans, x, indices, axis=None: take_adjoint(g, x, indices, axis), None, params=("axis",))
defjvp(np.take, lambda t, ans, x, indices, axis=None: np.take(t, indices, axis=axis), None)
defvjp(np.take_along_axis, lambda g, ans, x, indices, axis=-1: take_along_axis_adjoint(g, x, indices, axis), None,
       params=("axis",))
defjvp(np.take_along_axis, lambda t, ans, x, indices, axis=-1: np.take_along_axis(t, indices, axis=axis), None)
defvjp(np.diag, lambda g, ans, v, k=0: diag_adjoint(g, v, k), params=("k",))
defjvp(np.diag, lambda t, ans, v, k=0: np.diag(t, k))
defvjp(np.diagonal, lambda g, ans, x, offset=0, axis1=0, axis2=1: diagonal_adjoint(g, x, offset, axis1, axis2),
       params=("offset", "axis1", "axis2"))
defjvp(np.diagonal, lambda t, ans, x, offset=0, axis1=0, axis2=1: np.diagonal(t, offset, axis1, axis2))
defvjp(np.trace, lambda g, ans, x, offset=0, axis1=0, axis2=1:
       diagonal_adjoint(np.expand_dims(g, -1), x, offset, axis1, axis2), params=("offset", "axis1", "axis2"))
defjvp(np.trace, lambda t, ans, x, offset=0, axis1=0, axis2=1: np.trace(t, offset, axis1, axis2))
defvjp(np.triu, lambda g, ans, x, k=0: np.triu(g, k), params=("k",))
defjvp(np.triu, lambda t, ans, x, k=0: np.triu(t, k))
defvjp(np.tril, lambda g, ans, x, k=0: np.tril(g, k), params=("k",))
defjvp(np.tril, lambda t, ans, x, k=0: np.tril(t, k))

# ---------------------------------------------------------------- no derivative: shapes, indices, tests

nondiff(
    np.argwhere, np.nonzero, np.flatnonzero, np.count_nonzero, np.searchsorted, np.digitize,
    np.argpartition, np.lexsort, np.nanargmax, np.nanargmin, np.unravel_index, np.ravel_multi_index,
    np.indices, np.tri, np.identity, np.tril_indices, np.triu_indices, np.tril_indices_from,
    np.triu_indices_from, np.diag_indices, np.diag_indices_from, np.broadcast_shapes,
    np.all, np.any, np.isclose, np.allclose, np.array_equal, np.array_equiv,
)
