"""Products with the loop's slice of an array, formed before the loop (`hoisting`): only
where the algebra is exact, with gradients that match finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad

from .helpers import function_from_source

R = np.random.default_rng(0)


def compiled(fn, args, wrt):
    g = ad.value_and_grad(fn, wrt=wrt)
    value, _ = g(*args)
    assert value == fn(*args)  # the loop's sums, bit for bit
    ad.check_grads(fn, *args, wrt=wrt)
    return g.source


HOISTED = [
    ("""
    def slices_times_matrix(W, xs):
        h = np.zeros((xs.shape[1], W.shape[1]))
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ W + h)
        return np.sum(h ** 2)
    """, (R.standard_normal((2, 3)), R.standard_normal((4, 5, 2))), "xs_matmul_W = xs @ W"),
    ("""
    def matrix_times_slices(W, xs):
        total = 0.0
        for t in range(xs.shape[0]):
            total = total + np.sum(np.cos(W @ xs[t]))
        return total
    """, (R.standard_normal((3, 2)), R.standard_normal((4, 2, 5))), "W_matmul_xs = W @ xs"),
]


@pytest.mark.parametrize("text, args, line", HOISTED, ids=[h[0].split("def ")[1].split("(")[0] for h in HOISTED])
def test_products_with_every_slice_are_formed_before_the_loop(text, args, line):
    fn = function_from_source(text)
    source = compiled(fn, args, (0, 1))
    forward = source.split("# backward pass")[0]
    assert line in forward.split("for ")[0]
    name = line.split(" = ")[0]
    assert f"del {name}" in forward


KEPT = [
    ("""
    def rows_times_matrix(W, X):
        total = 0.0
        for i in range(len(X)):
            total = total + np.sum(np.sin(X[i] @ W))
        return total
    """, (R.standard_normal((3, 2)), R.standard_normal((4, 3)))),  # a vector times W: BLAS sums it in another order

    ("""
    def matrix_times_vectors(W, X):
        total = 0.0
        for i in range(X.shape[0]):
            total = total + np.sum(np.sin(W @ X[i]))
        return total
    """, (R.standard_normal((3, 2)), R.standard_normal((4, 2)))),  # W @ X would multiply the wrong axis
    ("""
    def stops_early(W, X):
        total = 0.0
        for i in range(X.shape[0]):
            total = total + np.sum(np.sin(X[i] @ W))
            if total > 1.0:
                break
        return total
    """, (R.standard_normal((3, 2)), R.standard_normal((6, 3)))),
    ("""
    def fewer_iterations(W, X):
        total = 0.0
        for i in range(2):
            total = total + np.sum(np.sin(X[i] @ W))
        return total
    """, (R.standard_normal((3, 2)), R.standard_normal((5, 3)))),
    ("""
    def matrix_made_in_the_loop(W, X):
        total = 0.0
        for i in range(X.shape[0]):
            V = W * (i + 1.0)
            total = total + np.sum(np.sin(X[i] @ V))
        return total
    """, (R.standard_normal((3, 2)), R.standard_normal((4, 3)))),
    ("""
    def stacked_matrices(W, X):
        total = 0.0
        for i in range(X.shape[0]):
            total = total + np.sum(np.sin(X[i] @ W))
        return total
    """, (R.standard_normal((4, 3, 2)), R.standard_normal((4, 5, 3)))),  # W's own stack would pair with X's
    ("""
    def list_of_batches(W, batches):
        total = 0.0
        for t in range(len(batches)):
            total = total + np.sum(np.tanh(batches[t] @ W) ** 2)
        return total
    """, (R.standard_normal((3, 2)), [R.standard_normal((4, 3)), R.standard_normal((1, 3))])),  # ragged: no stack
]


@pytest.mark.parametrize("text, args", KEPT, ids=[k[0].split("def ")[1].split("(")[0] for k in KEPT])
def test_products_are_left_in_the_loop_where_hoisting_would_change_them(text, args):
    fn = function_from_source(text)
    source = compiled(fn, args, (0, 1))
    assert "del " not in source
    assert "_matmul_" not in source.split("for ")[0]


def test_a_list_of_matrices_of_different_dtypes_is_not_stacked():
    """Stacked, int8 and int16 matrices would be multiplied as int16: 100 * 1 + 100 * 1 would
    not wrap around to -56 as it does in the loop's int8 product."""
    fn = function_from_source("""
    def list_of_dtypes(s, batches, W):
        loss = 0.0
        for t in range(len(batches)):
            loss = loss + np.sum(np.sin(s * (batches[t] @ W)))
        return loss
    """)
    batches = [np.ones((2, 2), dtype=np.int8), np.ones((2, 2), dtype=np.int16)]
    args = (np.array([0.3]), batches, np.full((2, 2), 100, dtype=np.int8))
    value, _ = ad.value_and_grad(fn)(*args)
    assert value == fn(*args)
    ad.check_grads(fn, *args)


@pytest.mark.parametrize("expression, h_shape, b_shape, spread", [
    ("xs[t] @ W + h @ U + b", (5, 3), (3,), True),
    ("b + xs[t] @ W", (5, 3), (3,), True),
    ("xs[t] @ W + h @ U + b", (1, 3), (3,), True),  # the slice (1, 3) broadcasts against h (4, 3)
    ("xs[t] @ W + h @ U + b", (5, 3), (1, 3), False),  # as many dimensions: added as it is
], ids=["bias", "bias first", "slice broadcast", "bias of full rank"])
def test_a_bias_added_to_a_slice_product_is_spread_once(expression, h_shape, b_shape, spread):
    """The sums are the loop's own, element for element: the value is f's, bit for bit."""
    fn = function_from_source(f"""
    def rnn(W, U, b, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = np.tanh({expression})
        return np.sum(h ** 2)
    """)
    rows = 4 if h_shape[0] == 1 else 5
    args = (R.standard_normal((2, 3)), R.standard_normal((3, 3)) / 2, R.standard_normal(b_shape),
            R.standard_normal((4, h_shape[0], 2)), R.standard_normal((rows, 3)))
    g = ad.value_and_grad(fn, wrt=(0, 1, 2))
    value, _ = g(*args)
    assert value == fn(*args)
    ad.check_grads(fn, *args, wrt=(0, 1, 2))
    assert ("b_rows = broadcast_rows(b, xs_matmul_W)" in g.source) == spread


def test_a_number_added_to_a_slice_product_is_left_as_it_is():
    """`c` may be a Python float at run time: spread into a float64 array, it would widen a
    float32 sum that NumPy keeps float32."""
    fn = function_from_source("""
    def f(W, X, v):
        if np.sum(v) > 100.0:
            c = np.sum(v)
        else:
            c = 0.5
        s = 0.0
        for t in range(X.shape[0]):
            s = s + np.sum(np.tanh(X[t] @ W + c))
        return s
    """)
    W, X = R.standard_normal((2, 3)).astype(np.float32), R.standard_normal((4, 5, 2)).astype(np.float32)
    g = ad.value_and_grad(fn)
    value, _ = g(W, X, np.ones(2))
    assert value == fn(W, X, np.ones(2)) and "broadcast_rows" not in g.source


def test_the_pullback_of_a_vjp_reads_no_released_array():
    fn = function_from_source(HOISTED[0][0])
    W, xs = HOISTED[0][1]
    value, pullback = ad.vjp(fn, wrt=(0, 1))(W, xs)
    got = pullback(1.0)
    expected = ad.grad(fn, wrt=(0, 1))(W, xs)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_the_transpose_of_an_array_defined_before_a_loop_is_made_once():
    fn = function_from_source("""
    def f(W, xs):
        h = np.zeros((2, W.shape[0]))
        for t in range(xs.shape[0]):
            h = np.tanh(h @ W + xs[t])
        return np.sum(h ** 2)
    """)
    args = (R.standard_normal((3, 3)) / 2, R.standard_normal((4, 2, 3)))
    source = compiled(fn, args, (0, 1))
    backward = source.split("# backward pass")[1]
    assert "W_T = W.T" in backward and backward.count(".T") == 1  # the backward loop reads W_T
