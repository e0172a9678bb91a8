"""Jacobians, Hessians and Hessian-vector products (`derived`), against finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad

from .helpers import function_from_source

QUADRATIC = function_from_source("""
def quadratic(x, A):
    return 0.5 * x @ A @ x + np.sum(np.sin(x))
""")
LAYER = function_from_source("""
def layer(x, W):
    return np.tanh(W @ x)
""")
RNN = function_from_source("""
def rnn(W, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h ** 2)
""")

R = np.random.default_rng(4)
X2, A22 = np.array([0.3, -0.2]), np.array([[2.0, 1.0], [0.0, 3.0]])
W32 = R.standard_normal((3, 2)) / 2


def numerical_jacobian(f, args, wrt, eps=1e-6):
    """Central differences of `f` along each element of argument `wrt`: output shape first."""
    x = np.asarray(args[wrt], dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        up = list(args)
        up[wrt] = x + step
        down = list(args)
        down[wrt] = x - step
        columns.append((np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * eps))
    out = np.stack(columns, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


def test_hessian_of_a_quadratic_form_is_its_symmetric_part_plus_the_curvature_of_sin():
    expected = (A22 + A22.T) / 2 - np.diag(np.sin(X2))
    np.testing.assert_allclose(ad.hessian(QUADRATIC)(X2, A22), expected, rtol=1e-12)


def test_hessian_through_a_loop_matches_finite_differences_of_the_gradient():
    W, xs = R.standard_normal((3, 3)) / 2, R.standard_normal((4, 3))
    hessian = ad.hessian(RNN)(W, xs)
    assert hessian.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(hessian, numerical_jacobian(ad.grad(RNN), (W, xs), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hessian, hessian.transpose(2, 3, 0, 1), atol=1e-12)  # symmetric


def test_hessian_of_a_function_of_a_float_is_a_float():
    cube = function_from_source("def cube(t):\n    return t ** 3 + np.sin(t)\n")
    second = ad.hessian(cube)(2.0)
    assert type(second) is float and second == pytest.approx(12.0 - np.sin(2.0), rel=1e-12)


def test_hvp_is_the_hessian_times_the_vector():
    v = np.array([1.0, 2.0])
    np.testing.assert_allclose(ad.hvp(QUADRATIC)(X2, A22, v), ad.hessian(QUADRATIC)(X2, A22) @ v, rtol=1e-12)


def test_hvp_with_respect_to_several_arguments_takes_a_tuple_of_vectors():
    f = function_from_source("def f(w, b, x):\n    return np.sum(np.tanh(x @ w + b) ** 2)\n")
    w, b, x = R.standard_normal(3), 0.3, R.standard_normal((4, 3))
    vw, vb, eps = R.standard_normal(3), 0.7, 1e-6
    hw, hb = ad.hvp(f, wrt=(0, 1))(w, b, x, (vw, vb))
    gradient = ad.grad(f, wrt=(0, 1))
    up, down = gradient(w + eps * vw, b + eps * vb, x), gradient(w - eps * vw, b - eps * vb, x)
    np.testing.assert_allclose(hw, (up[0] - down[0]) / (2 * eps), rtol=1e-6, atol=1e-9)
    assert type(hb) is float and hb == pytest.approx((up[1] - down[1]) / (2 * eps), rel=1e-6)


def test_jacobian_has_the_output_shape_then_the_argument_shape():
    expected = (1 - np.tanh(W32 @ X2) ** 2)[:, None] * W32
    np.testing.assert_allclose(ad.jacobian(LAYER)(X2, W32), expected, rtol=1e-12)
    by_weights = ad.jacobian(LAYER, wrt="W")(X2, W32)
    assert by_weights.shape == (3, 3, 2)
    np.testing.assert_allclose(by_weights, numerical_jacobian(LAYER, (X2, W32), 1), rtol=1e-6, atol=1e-9)


def test_jacobian_with_respect_to_several_arguments_is_a_tuple():
    by_x, by_w = ad.jacobian(LAYER, wrt=(0, 1))(X2, W32)
    np.testing.assert_allclose(by_x, ad.jacobian(LAYER)(X2, W32))
    np.testing.assert_allclose(by_w, ad.jacobian(LAYER, wrt=1)(X2, W32))


def test_jacobian_of_a_number_is_the_gradient_and_of_a_float_a_column():
    np.testing.assert_allclose(ad.jacobian(QUADRATIC)(X2, A22), ad.grad(QUADRATIC)(X2, A22))
    curve = function_from_source("def curve(t):\n    return np.array([np.cos(t), np.sin(t), t * t])\n")
    np.testing.assert_allclose(ad.jacobian(curve)(0.5), [-np.sin(0.5), np.cos(0.5), 1.0], rtol=1e-12)


def test_jacobian_of_a_tuple_output_and_hessian_of_several_arguments_are_refused():
    pair = function_from_source("def pair(x):\n    return x * 2.0, np.sum(x)\n")
    with pytest.raises(ad.UnsupportedArgumentError, match="array or a number"):
        ad.jacobian(pair)(X2)
    with pytest.raises(ad.WrtError, match="one argument"):
        ad.hessian(QUADRATIC, wrt=(0, 1))


def test_jacobian_by_a_container_argument_is_refused():
    f = function_from_source("def f(d):\n    return np.sin(d['a']) * d['b']\n")
    with pytest.raises(ad.UnsupportedArgumentError, match="dict"):
        ad.jacobian(f)({"a": np.array([0.5, 1.0]), "b": np.array([2.0, -1.0])})
