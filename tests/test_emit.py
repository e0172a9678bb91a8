"""The generated source (`emit`): each computation written once, no empty sections."""
from __future__ import annotations

import numpy as np

import adcompiler as ad

from . import corpus_calls as cc
from .helpers import function_from_source


def test_a_tuple_of_expressions_read_twice_is_built_once():
    g = ad.grad(cc.tuple_indexed_by_argument)
    g(np.array([0.3, -0.5]), 0)
    code = [line for line in g.source.splitlines() if not line.lstrip().startswith("#")]
    assert sum(line.count("x * 2.0") for line in code) == 1
    assert "    pair = (x * 2.0, exp_x)" in code


def test_a_tuple_read_once_is_written_where_it_is_read():
    g = ad.value_and_grad(function_from_source("""
    def f(w, b):
        return np.sum(w ** 2) + np.sum(b)
    """), wrt=(0, 1))
    g(np.ones(2), np.ones(2))
    assert g.source.rstrip().splitlines()[-1].startswith("    return sum_w_pow_2_plus_sum_b, (w_bar, ")


def test_no_forward_pass_comment_without_a_forward_pass():
    g = ad.grad(function_from_source("""
    def f(x, y):
        return x * y + 2.0 * x
    """))
    g(1.5, 2.0)
    assert "# forward pass" not in g.source
    g = ad.grad(function_from_source("""
    def f(x):
        return np.sum(np.sin(x) ** 2)
    """))
    g(np.ones(3))
    assert "# forward pass" in g.source


def test_an_element_read_at_run_time_indices_is_named_after_them():
    g = ad.grad(function_from_source("""
    def f(A):
        s = 0.0
        for i in range(A.shape[0]):
            for j in range(A.shape[1]):
                s = s + np.sin(A[i, j]) * (i - j)
        return s
    """))
    g(np.ones((2, 3)))
    assert "A_i_j = A[i, j]" in g.source
    assert "make_tuple" not in g.source


def test_a_sum_into_a_matrix_product_is_formed_in_its_array():
    """`z = X @ w + b` as `z = X @ w; z += b` where `b` cannot widen the product's array (a
    broadcast that would is left a new array); the value is f's, bit for bit."""
    f = function_from_source("""
    def f(X, W, b):
        z = b + X @ W
        return np.sum(np.tanh(z))
    """)
    R = np.random.default_rng(0)
    for X, b, in_place in [(R.standard_normal((4, 3)), R.standard_normal(2), True),
                           (R.standard_normal((1, 3)), R.standard_normal((4, 2)), False)]:
        W = R.standard_normal((3, 2))
        g = ad.value_and_grad(f, wrt=(0, 1, 2))
        value, _ = g(X, W, b)
        assert value == f(X, W, b)
        assert ("    z = X @ W\n    z += b\n" in g.source) == in_place
        ad.check_grads(f, X, W, b, wrt=(0, 1, 2))
