"""Indexing reads, end to end: every kind of index on 1-d, 2-d and 3-d float64 arrays.

The derivative of `x[index]` is the `operator.getitem` rule with `runtime.getitem_adjoint`:
the cotangent placed where the entries came from, repeated entries accumulating. Each
row is an expression in `x` and the shapes to try it on; the compiled gradient (a VJP
for array-valued expressions) is compared with finite differences.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import adcompiler as ad

from .helpers import check_hessian_vector_product, function_from_source
from .rulecheck import check_compiled

Z, V, M, T = (), (5,), (3, 4), (2, 3, 4)

ROWS = [
    # integers, negative too
    ("x[2]", [V, M]),
    ("x[1]", [T]),
    ("x[-1]", [V, M, T]),
    ("x[-2, 1]", [M, T]),
    ("x[1][-1]", [M, T]),
    ("x[0, -1, 2]", [T]),
    ("x[np.int64(1)]", [V, M]),
    # slices, with steps, negative steps, open ends
    ("x[1:4]", [V, M]),
    ("x[-3:]", [V, M]),
    ("x[:-1]", [V, T]),
    ("x[1:4:2]", [V, M]),
    ("x[::-1]", [V, M, T]),
    ("x[3:0:-2]", [V, M]),
    ("x[::-2, 1:]", [M, T]),
    ("x[:, ::-1, 1::2]", [T]),
    ("x[10:20]", [V]),  # empty
    ("x[::-1][::2]", [V]),
    # None / np.newaxis
    ("x[None]", [Z, V, M]),
    ("x[:, np.newaxis]", [V, M]),
    ("x[None, 1, None]", [M, T]),
    ("x[1, None, ::-1]", [M]),
    # Ellipsis
    ("x[...]", [Z, V, M]),
    ("x[()]", [Z, M]),
    ("x[..., 1]", [M, T]),
    ("x[0, ...]", [M, T]),
    ("x[1, ..., 2]", [T]),
    ("x[..., None, ::-1]", [V, M, T]),
    # integer arrays and lists: repeated indices accumulate
    ("x[np.array([0, 0, 4, 1])]", [V]),
    ("x[np.array([2, -1, 2])]", [V, M]),
    ("x[np.array([1, -1, 1])]", [T]),
    ("x[[0, 2, 2]]", [V, M]),
    ("x[np.array([[0, 1], [1, 1]])]", [V, M]),
    ("x[np.array([0, 1, 1]), np.array([3, 3, 3])]", [M]),
    ("x[np.array([0, 1, 1]), np.array([2, 2, 0])]", [T]),
    ("x[[1, 0], [0, 2]]", [M]),
    ("x[:, [1, 1], :]", [T]),
    ("x[..., np.array([1, 1])]", [M, T]),
    ("x[np.array(1)]", [V, M]),
    ("x[np.array([[0], [1]]), np.array([0, 2, 2])]", [M, T]),  # broadcast index arrays
    ("x[[0, 1], :, [2, 2]]", [T]),  # advanced indices apart: their axis comes first
    ("x[[0, -1, 0], ::2]", [M]),
    ("x[np.array([], dtype=int)]", [V, M]),
    # boolean masks
    ("x[x > 0]", [V, M, T]),
    ("x[x > 100]", [V]),  # selects nothing
    ("x[np.array([True, False, True])]", [M]),
    ("x[:, np.array([True, False, True, True])]", [M]),
    ("x[..., np.array([True, False, True, True])]", [M, T]),
    ("x[np.array([[True, False, True], [False, False, True]])]", [T]),
    ("x[x[:, 0] > 0]", [M]),
    ("x[True]", [Z, M]),
    ("x[False]", [V]),
    # mixtures
    ("x[1:, [0, 2]]", [M, T]),
    ("x[np.array([True, False, True]), 1]", [M]),
    ("x[x[:, 0] > -10, 1]", [M]),
    ("x[[0, 0], 1:, [3, 3]]", [T]),
    ("x[0, :, x[0, 0] > 0]", [T]),
    ("x[np.array([1, 0]), ..., None]", [T]),
    ("x[None, [0, 2], ::-1]", [M]),
    ("x[1:, None, [0, 0]]", [M]),
    ("x[np.array([True, False]), :, [1, 1]]", [T]),
    ("x[x > 0, None]", [M]),
]


def _cases():
    for expression, shapes in ROWS:
        for shape in shapes:
            yield pytest.param(expression, shape, id=f"{expression}-{shape}")


@pytest.mark.parametrize("expression, shape", list(_cases()))
def test_indexing_read(expression, shape):
    x = np.random.default_rng(zlib.crc32(f"{expression}{shape}".encode())).standard_normal(shape)
    check_compiled(f"def f(x):\n    return {expression}\n", [x])


@pytest.mark.parametrize("expression, shape", list(_cases()))
def test_indexing_read_inside_a_scalar_loss(expression, shape):
    """Through `ad.check_grads` directly, with the index feeding a further computation."""
    x = np.random.default_rng(zlib.crc32(f"{shape}{expression}".encode())).standard_normal(shape)
    fn = function_from_source(f"def f(x):\n    return np.sum(np.sin({expression}) * 2.0)\n")
    ad.check_grads(fn, x)


# ---------------------------------------------------------------- indices computed in the function

COMPUTED = [
    ("    i = 1\n    return x[i]\n", M),
    ("    i = 1\n    return x[i:i + 2]\n", V),
    ("    i = 1\n    j = i * 2\n    return x[i, j:]\n", M),
    ("    i = -1\n    return x[..., i, None]\n", T),
    ("    i = np.argmax(x)\n    return x[i]\n", V),
    ("    i = np.argmax(x[:, 0])\n    return x[i, 1:]\n", M),
    ("    n = x.shape[0]\n    return x[n - 1]\n", V),
    ("    n = x.shape[0]\n    return x[1:n - 1]\n", V),
    ("    n = x.shape[-1]\n    return x[:, n // 2:]\n", M),
    ("    idx = np.argsort(x)\n    return x[idx]\n", V),
    ("    k = len(x) // 2\n    return x[:k]\n", V),
    ("    s = slice(1, 3)\n    return x[s]\n", V),
    ("    mask = x > 0\n    return x[mask] * x[np.logical_not(mask)][0]\n", V),
    ("    rows = np.array([0, 2, 2])\n    return x[rows, 1] + x[rows][:, 0]\n", M),
    ("    i = 0\n    step = -1\n    return x[i, ::step]\n", M),
    ("    idx = (0, slice(1, None))\n    return x[idx]\n", M),
    ("    s = slice(None, None, -1)\n    return x[s, 1]\n", M),
    ("    i = 1\n    return x[i, ..., i:]\n", T),
    ("    i = np.argmin(x)\n    return x[i:] * x[:i + 1][-1]\n", V),
    ("    i = np.where(x > 0)[0]\n    return x[i] * len(i)\n", V),
    ("    return x[np.where(x > 0)] * 2.0\n", M),
]


@pytest.mark.parametrize("body, shape", COMPUTED, ids=[c[0].strip().replace("\n", "; ") for c in COMPUTED])
def test_computed_index(body, shape):
    x = np.random.default_rng(3).standard_normal(shape)
    if "mask" in body:
        x = np.array([0.5, -1.0, 2.0, -0.3, 1.1])
    check_compiled(f"def f(x):\n{body}", [x])


def test_index_passed_as_an_argument():
    fn = function_from_source("def f(x, i, mask):\n    return np.sum(x[i] ** 2) + np.sum(x[mask])\n")
    x = np.arange(1.0, 6.0)
    i, mask = np.array([4, 4, 0]), np.array([True, False, True, False, False])
    ad.check_grads(fn, x, i, mask)
    np.testing.assert_array_equal(ad.grad(fn)(x, i, mask), [3.0, 0.0, 1.0, 0.0, 20.0])


@pytest.mark.parametrize("body", [
    "y = np.zeros(3, dtype=int)\n    y[0] = x[1] * 2.7",
    "y = np.arange(3)\n    y[1:] = x[1:] * 2.7",
    "y = np.zeros(3, dtype=bool)\n    y[1:] = x[1:] > 0.5",
    "y = n.copy()\n    y[0] = x[1] * 2.7\n    y[1] += x[0]",
    "y = np.zeros(3)\n    y[0] = x[1] * 2.7",
    "y = np.mean(np.stack([n, n * 2]), axis=0)\n    y[0] = x[1] * 2.7",
], ids=["int zeros", "arange", "bool", "int argument, updated", "float (flows)", "mean of ints (flows)"])
def test_what_is_written_into_an_int_array_carries_no_gradient(body):
    """Writing floats into ints or bools truncates them: no slope flows through."""
    fn = function_from_source(f"def f(x, n):\n    {body}\n    return np.sum(y * x)\n")
    x, n = np.array([0.5, 1.7, -0.3]), np.array([1, 2, 3])
    value, _ = ad.value_and_grad(fn)(x, n)
    assert value == fn(x, n)
    ad.check_grads(fn, x, n)
    _, tangent = ad.jvp(fn)(x, n, np.array([0.0, 1.0, 0.0]))
    assert tangent == pytest.approx((fn(x + [0, 1e-6, 0], n) - fn(x - [0, 1e-6, 0], n)) / 2e-6)
    check_hessian_vector_product(fn, (x, n), 0)


def test_an_index_that_is_an_int_or_a_bool_is_not_taken_for_an_int():
    """After the loop `k` is an int (no iteration) or a bool: `x[True]` adds an axis that
    `b`'s gradient must be summed over."""
    fn = function_from_source("""
    def f(x, b, n):
        k = 0
        for i in range(n):
            k = i > 1
        y = x[k] + b
        return np.sum(y ** 2)
    """)
    x, b = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, 0.3])
    for n in (0, 4):
        gx, gb = ad.grad(fn, wrt=(0, 1))(x, b, n)
        assert gb.shape == b.shape
        ad.check_grads(fn, x, b, n, wrt=(0, 1))


@pytest.mark.parametrize("expression, w_shape", [
    ("A[i, :] * w", (3,)),
    ("A[:, i] * w", (2,)),
    ("A[i, :] * w", (1, 3)),
    ("A[:, i] * w", (2, 1)),
    ("A[i, None, :] * w", (1, 3)),
    ("A[i, 1:] * w", (2,)),
    ("A[..., i] * w", (2,)),
    ("A[[0, 1], i] * w", (2,)),
    ("A[:, i] @ W", (2, 3)),
], ids=lambda v: str(v))
def test_an_index_tuple_made_at_run_time(expression, w_shape):
    """`A[i, :]` with `i` known only at run time: a constant slice or `None` in the index
    tuple is read as what it is (a `:` was once taken for `np.newaxis`)."""
    fn = function_from_source(f"def f(A, w, i):\n    W = w\n    return np.sum({expression}) + np.sum(w ** 2)\n")
    A = np.arange(1.0, 7.0).reshape(2, 3)
    w = np.random.default_rng(4).standard_normal(w_shape)
    grad = ad.grad(fn, wrt=1)(A, w, 1)
    assert np.shape(grad) == w_shape
    ad.check_grads(fn, A, w, 1, wrt=1)


@pytest.mark.parametrize("body", [
    "return np.sum(y[1:] * x[:1])",
    "return np.sum(np.zeros(4)[2:4] + x[0:1])",
    "return np.sum(y[2:4] - x[0:1]) + np.sum(x[2:3] + 1.0)",
    "s = 0.0\n    for k in range(2):\n        s = s + np.sum(x[k:] * y[k:k + 1])\n    return s",
    "return np.sum(y[2:4] + x[0:1]) ** 2",
    "return np.mean(y[1:3] + x[0:1]) ** 2 + np.sum(x[1:] - y[3:4]) * np.sum(x)",
    "s = 0.0\n    for i in range(1, 3):\n        s = s + np.sum(x[:i] - x[i:i + 1])\n    return s",
], ids=lambda b: b.replace("\n", ";"))
def test_slices_of_sizes_known_only_at_run_time_broadcast(body):
    """`x[0:1]` against `y[2:4]`: two sizes unknown to the compiler may differ, so the
    gradient is summed back over the broadcast at run time (it once was not: `x[0:1]`
    got the gradient of one element of the sum, not of two)."""
    fn = function_from_source(f"def f(x, y):\n    {body}\n")
    ad.check_grads(fn, np.array([0.3, 0.5, 0.7]), np.array([1.0, 2.0, 3.0, 4.0]), wrt=(0, 1))


# ---------------------------------------------------------------- exact values


@pytest.mark.parametrize("expression, shape, expected", [
    ("np.sum(x[[0, 0, 2]])", V, [2.0, 0.0, 1.0, 0.0, 0.0]),
    ("np.sum(x[np.array([[4, 4], [4, 0]])])", V, [1.0, 0.0, 0.0, 0.0, 3.0]),
    ("np.sum(x[::-2])", V, [1.0, 0.0, 1.0, 0.0, 1.0]),
    ("np.sum(x[-1:0:-3])", V, [0.0, 1.0, 0.0, 0.0, 1.0]),
    ("np.sum(x[[1, 1], [0, 0]])", (2, 2), [[0.0, 0.0], [2.0, 0.0]]),
    ("np.sum(x[:, [1, 1]])", (2, 2), [[0.0, 2.0], [0.0, 2.0]]),
    ("np.sum(x[x > 1.5])", (2, 2), [[0.0, 0.0], [1.0, 1.0]]),
    ("np.sum(x[None, ..., None])", (2, 2), [[1.0, 1.0], [1.0, 1.0]]),
    ("x[1, 0] * x[1, 0]", (2, 2), [[0.0, 0.0], [4.0, 0.0]]),
])
def test_gradient_values(expression, shape, expected):
    x = np.arange(np.prod(shape), dtype=float).reshape(shape)
    g = ad.grad(function_from_source(f"def f(x):\n    return {expression}\n"))(x)
    assert g.dtype == np.float64 and g.shape == x.shape
    np.testing.assert_array_equal(g, expected)


REPEATED_WRITES = {
    "add-twice": "    y = x * 2.0\n    y[[0, 0]] += x[1]\n    return np.sum(y ** 2)\n",
    "set-twice": "    y = x * 1.0\n    y[[0, 0]] = x[2:4]\n    return np.sum(y * np.arange(1.0, 5.0))\n",
    "negative-alias": "    y = x * 1.0\n    y[[1, -3]] += x[0] ** 2\n    return np.sum(y ** 2)\n",
    "index-array": "    y = x * 1.0\n    k = np.array([3, 3, 1])\n    y[k] -= x[:3]\n    return np.sum(y ** 2)\n",
    "list-index-in-loop": "    y = np.zeros(4)\n    for i in range(3):\n        y[[i, i]] += x[i]\n    return np.sum(y * x)\n",
    "list-index-read": "    s = 0.0\n    for i in range(3):\n        s = s + np.sum(x[[i, i + 1]] * x[i])\n    return s\n",
    "columns": "    y = np.outer(x, x)\n    y[:, [0, 0]] += 1.0 * y[:, [1, 2]]\n    return np.sum(y ** 2)\n",
}


@pytest.mark.parametrize("name", sorted(REPEATED_WRITES))
def test_update_with_repeated_indices_keeps_only_the_write_numpy_keeps(name):
    """`y[[0, 0]] = v` writes element 0 twice and NumPy keeps the last: the first write's
    value gets no gradient."""
    check_compiled("def f(x):\n" + REPEATED_WRITES[name], (np.array([0.31, 0.72, 0.45, 0.93]),))
