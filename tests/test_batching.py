"""Sums of products a loop accumulates (`batching`, `runtime.RowTerms`): the gradients
match finite differences however the rows fall into blocks, and the generated code
collects them only where the algebra is exact."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.runtime import RowTerms

from .helpers import function_from_source

RNN = function_from_source("""
def rnn(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h ** 2)
""")

MINIBATCHES = function_from_source("""
def minibatches(W, b, X, Y):
    loss = 0.0
    for start in range(0, X.shape[0], 4):
        z = np.tanh(X[start:start + 4] @ W + b)
        loss = loss + np.sum((z - Y[start:start + 4]) ** 2)
    return loss
""")


def rnn_inputs(rng, steps=6, batch=3, n_in=2, hidden=4):
    return (rng.standard_normal((n_in, hidden)), 0.5 * rng.standard_normal((hidden, hidden)),
            rng.standard_normal(hidden), rng.standard_normal((steps, batch, n_in)))


@pytest.fixture(params=[1 << 30, 40, 1], ids=["one block", "some blocks", "a block per add"])
def block(request, monkeypatch):
    monkeypatch.setattr(RowTerms, "BLOCK", request.param)
    return request.param


def test_rnn_weight_gradients_are_collected_after_the_loop(block):
    args = rnn_inputs(np.random.default_rng(0))
    g = ad.grad(RNN, wrt=(0, 1, 2))
    g(*args)
    assert "RowTerms(lefts=2, column_sum=True)" in g.source
    loop = g.source.split("reversed(_tape):")[1].split("\n    Wx_bar")[0]
    assert ".add(" in loop and "Wh_bar" not in loop and "b_bar" not in loop
    ad.check_grads(RNN, *args, wrt=(0, 1, 2))


def test_minibatches_of_unequal_rows(block):
    rng = np.random.default_rng(1)
    args = (rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((10, 3)),
            rng.standard_normal((10, 2)))  # batches of 4, 4 and 2 rows
    g = ad.grad(MINIBATCHES, wrt=(0, 1))
    g(*args)
    assert "RowTerms(" in g.source
    ad.check_grads(MINIBATCHES, *args, wrt=(0, 1))


def test_a_loop_that_runs_no_iteration_gives_zero_gradients_of_the_right_type():
    rng = np.random.default_rng(2)
    W, b = rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2)
    X, Y = np.zeros((0, 3)), np.zeros((0, 2))
    g = ad.grad(MINIBATCHES, wrt=(0, 1))
    gW, gb = g(W, b, X, Y)
    assert "RowTerms(" in g.source
    assert gW.shape == W.shape and gW.dtype == np.float32 and not gW.any()
    assert gb.shape == b.shape and gb.dtype == np.float64 and not gb.any()


def test_float32_gradients_keep_their_dtype_and_values():
    args = tuple(a.astype(np.float32) for a in rnn_inputs(np.random.default_rng(3)))
    got = ad.grad(RNN, wrt=(0, 1, 2))(*args)
    expected = ad.grad(RNN, wrt=(0, 1, 2))(*(a.astype(np.float64) for a in args))
    for x, y in zip(got, expected):
        assert x.dtype == np.float32
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5)


def test_an_accumulation_in_the_users_loop_is_collected_too(block):
    f = function_from_source("""
    def gram(A, B, C):
        acc = np.zeros((A.shape[2], B.shape[2]))
        for i in range(A.shape[0]):
            acc = acc + A[i].T @ np.sin(B[i])
        return np.sum(acc * C)
    """)
    rng = np.random.default_rng(4)
    args = rng.standard_normal((5, 3, 2)), rng.standard_normal((5, 3, 4)), rng.standard_normal((2, 4))
    g = ad.value_and_grad(f, wrt=(0, 1, 2))
    value, _ = g(*args)
    assert "RowTerms(" in g.source
    assert value == pytest.approx(f(*args), rel=1e-12)
    ad.check_grads(f, *args, wrt=(0, 1, 2))


def test_an_accumulator_read_inside_the_loop_is_left_as_it_is():
    f = function_from_source("""
    def read_inside(A, B):
        acc = np.zeros((A.shape[2], B.shape[2]))
        total = 0.0
        for i in range(A.shape[0]):
            acc = acc + A[i].T @ B[i]
            total = total + np.sum(acc ** 2)
        return total
    """)
    rng = np.random.default_rng(5)
    args = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    g = ad.value_and_grad(f, wrt=(0, 1))
    value, _ = g(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    ad.check_grads(f, *args, wrt=(0, 1))


def test_vectors_are_not_collected():
    f = function_from_source("""
    def outer_sum(a, B):
        acc = 0.0
        for i in range(B.shape[0]):
            acc = acc + np.sum(np.tanh(B[i] * a))
        return acc
    """)
    rng = np.random.default_rng(6)
    args = rng.standard_normal(3), rng.standard_normal((4, 3))
    g = ad.grad(f, wrt=(0, 1))
    g(*args)
    assert "RowTerms" not in g.source
    ad.check_grads(f, *args, wrt=(0, 1))


def test_row_terms_match_the_terms_one_by_one(block):
    rng = np.random.default_rng(7)
    terms = RowTerms(lefts=2, column_sum=True)
    rights = [rng.standard_normal((rows, 3)) for rows in (2, 5, 1, 4)]
    lefts = [(rng.standard_normal((len(r), 2)), rng.standard_normal((len(r), 4))) for r in rights]
    for right, pair in zip(rights, lefts):
        assert terms.add(right, *pair) is terms
    np.testing.assert_allclose(terms.product(0), sum(a.T @ r for (a, _), r in zip(lefts, rights)))
    np.testing.assert_allclose(terms.product(1), sum(c.T @ r for (_, c), r in zip(lefts, rights)))
    np.testing.assert_allclose(terms.column_sum(), sum(r.sum(axis=0) for r in rights))


def test_row_terms_of_different_widths_broadcast_as_the_terms_would():
    rng = np.random.default_rng(8)
    terms = RowTerms(lefts=1, column_sum=True)
    pairs = [(rng.standard_normal((2, 3)), rng.standard_normal((2, 1))), (rng.standard_normal((2, 3)),
                                                                         rng.standard_normal((2, 4)))]
    for right, left in pairs:
        terms.add(right, left)
    np.testing.assert_allclose(terms.product(0), pairs[0][1].T @ pairs[0][0] + pairs[1][1].T @ pairs[1][0])


@pytest.mark.parametrize("other", [np.float32, np.dtype(">f8")], ids=["float32", "big-endian float64"])
def test_a_block_of_mixed_dtypes_is_summed_right(other, block):
    rng = np.random.default_rng(10)
    rights = [rng.standard_normal((3, 2)) for _ in range(4)]
    lefts = [rng.standard_normal((3, 5)) for _ in range(4)]
    lefts[2] = lefts[2].astype(other)
    terms = RowTerms(lefts=1, column_sum=False)
    for right, left in zip(rights, lefts):
        terms.add(right, left)
    expected = np.zeros((5, 2))
    for right, left in zip(rights, lefts):
        expected = expected + left.T @ right
    total = terms.product(0, zeros_like=np.ones((5, 2)))
    assert total.dtype == np.float64
    np.testing.assert_allclose(total, expected, rtol=1e-14)


def test_empty_row_terms():
    terms = RowTerms(lefts=1, column_sum=True)
    assert terms.product(0) == 0 and terms.column_sum() == 0
    zeros = terms.product(0, zeros_like=np.ones((2, 3), np.float32))
    assert zeros.shape == (2, 3) and zeros.dtype == np.float32 and not zeros.any()
    total = RowTerms(lefts=1, column_sum=False).add(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))
    promoted = total.product(0, zeros_like=np.ones((2, 3)))
    assert promoted.dtype == np.float64 and np.all(promoted == 2.0)


def test_two_bias_gradients_from_one_collector_are_separate_arrays():
    f = function_from_source("""
    def two_biases(b1, b2, xs):
        c = np.sum(b1 ** 2)
        total = 0.0
        for t in range(xs.shape[0]):
            total = total + np.sum(np.sin(xs[t] + b1 + b2))
        return total + c
    """)
    rng = np.random.default_rng(9)
    args = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal((4, 2, 3))
    g1, g2 = ad.grad(f, wrt=(0, 1))(*args)
    assert g1 is not g2
    ad.check_grads(f, *args, wrt=(0, 1))


@pytest.mark.parametrize("dtype", [bool, np.int8, np.float16, np.float32])
def test_terms_of_narrow_dtypes_are_added_as_the_loop_adds_them(dtype, block):
    f = function_from_source("""
    def counts(x, M):
        acc = np.zeros((M.shape[2], M.shape[2]))
        for i in range(M.shape[0]):
            acc = acc + M[i].T @ M[i]
        return np.sum(x * acc)
    """)
    M = np.zeros((40, 3, 2), dtype)
    M[:, 0, :] = 3 if dtype is not bool else True
    x = np.ones((2, 2))
    g = ad.value_and_grad(f)
    value, grad = g(x, M)
    assert "RowTerms(" in g.source
    acc = np.zeros((2, 2))
    for i in range(len(M)):
        acc = acc + M[i].T @ M[i]
    assert value == np.sum(acc)
    np.testing.assert_array_equal(grad, acc)


def test_a_collector_is_fed_after_the_last_of_its_terms():
    f = function_from_source("""
    def two_weights(A, B, xs):
        total = 0.0
        for t in range(xs.shape[0]):
            u = xs[t] @ A
            v = np.tanh(u) @ B
            total = total + np.sum(np.sin(v) * u[:, :1])
        return total
    """)
    rng = np.random.default_rng(10)
    args = rng.standard_normal((3, 2)), rng.standard_normal((2, 2)), rng.standard_normal((4, 5, 3))
    g = ad.grad(f, wrt=(0, 1))
    g(*args)
    ad.check_grads(f, *args, wrt=(0, 1))


def test_a_batched_gradient_is_read_back_in_its_plain_form():
    """A generated gradient with collectors (`RowTerms`, `del`) is itself in the accepted
    language: the front end reads the same derivative compiled without them."""
    from adcompiler import pipeline
    from adcompiler.reverse import Request

    args = rnn_inputs(np.random.default_rng(11))
    first = ad.grad(RNN, wrt=(0, 1, 2))
    first(*args)
    assert "RowTerms(" in first.source and "del " in first.source
    front = pipeline.front_end(first.compiled.function, Request(wrt=(0,)))
    assert front.primal.name == first.compiled.function.__name__


RNN_STEP_LOSS = function_from_source("""
def rnn_step_loss(W, xs):
    h = np.zeros((xs.shape[1], W.shape[1]))
    s = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h)
        s = s + np.sum(h ** 2)
    return s
""")

BUFFER_ACCUMULATION = function_from_source("""
def buffer_accumulation(A, B):
    H = np.zeros((2, A.shape[1]))
    M = np.zeros((A.shape[1], B.shape[1]))
    for s in range(0, A.shape[0], 2):
        H[:] = np.tanh(A[s:s + 2])
        M = M + H.T @ B[s:s + 2]
    return np.sum(M ** 2)
""")


def test_a_collected_adjoint_is_not_updated_in_place_by_the_next_iteration(block):
    """The collector keeps `h_bar`; the next step's `h_bar += ...` would change its rows."""
    rng = np.random.default_rng(11)
    W, xs = rng.standard_normal((2, 3)), rng.standard_normal((5, 2, 2))
    g = ad.grad(RNN_STEP_LOSS)
    g(W, xs)
    assert "RowTerms(" in g.source and "h_bar +=" not in g.source
    ad.check_grads(RNN_STEP_LOSS, W, xs)


def test_a_collected_buffer_is_not_overwritten_by_the_next_iteration(block):
    rng = np.random.default_rng(12)
    A, B = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    value, _ = ad.value_and_grad(BUFFER_ACCUMULATION, wrt=(0, 1))(A, B)
    assert value == pytest.approx(BUFFER_ACCUMULATION(A, B), rel=1e-12)
    ad.check_grads(BUFFER_ACCUMULATION, A, B, wrt=(0, 1))


def test_minibatches_indexed_with_a_tuple_made_at_run_time(block):
    f = function_from_source("""
    def minibatch(W, b, X):
        loss = 0.0
        for s in range(0, X.shape[0], 2):
            loss = loss + np.sum(np.tanh(X[s:s + 2, :] @ W + b))
        return loss
    """)
    rng = np.random.default_rng(13)
    W, b, X = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((7, 3))
    assert ad.grad(f, wrt=1)(W, b, X).shape == (2,)
    ad.check_grads(f, W, b, X, wrt=(0, 1))
