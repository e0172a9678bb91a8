"""The teaching texts' examples (shared/seeds), with their published numbers."""
from __future__ import annotations

import numpy as np

import adcompiler as ad


def hasktorch(a):
    b = a + 2
    c = b * b * 3
    out = np.mean(c)
    return out


def test_hasktorch_gradient_is_4_5_everywhere():
    np.testing.assert_allclose(ad.grad(hasktorch)(np.ones((2, 2))), np.full((2, 2), 4.5))


def rtorch(x1, x2):
    x3 = x1 ** 2
    x5 = x3 * 0.2
    x4 = x2 ** 2
    x6 = x4 * 0.2
    x7 = x5 + x6 - 5
    return x7


def test_rtorch_book_partials_are_0_8():
    value, (g1, g2) = ad.value_and_grad(rtorch, wrt=("x1", "x2"))(2.0, 2.0)
    assert np.isclose(value, -3.4)
    assert np.isclose(g1, 0.8) and np.isclose(g2, 0.8)


def test_rtorch_book_retained_intermediates():
    grads, retained = ad.grad(rtorch, wrt=(0, 1), retain=("x3", "x4", "x5", "x6"))(2.0, 2.0)
    np.testing.assert_allclose(grads, (0.8, 0.8))
    np.testing.assert_allclose([retained[k] for k in ("x3", "x4", "x5", "x6")], [0.2, 0.2, 1.0, 1.0])


def rstudio(x1, x2):
    y = x1 * (x2 + 2)
    z = y ** 2 * 3
    out = np.mean(z)
    return out


def test_rstudio_blog_gradients_and_retained():
    (g1, g2), retained = ad.grad(rstudio, wrt=("x1", "x2"), retain=("y", "z"))(np.ones((2, 2)), 1.1)
    np.testing.assert_allclose(g1, np.full((2, 2), 14.415))
    assert type(g2) is float and np.isclose(g2, 18.6)
    np.testing.assert_allclose(retained["y"], np.full((2, 2), 4.65))
    np.testing.assert_allclose(retained["z"], np.full((2, 2), 0.25))


def test_rstudio_blog_mean_of_ones():
    def f(x):
        y = np.mean(x + 2)
        return y

    np.testing.assert_allclose(ad.grad(f)(np.ones((2, 2))), np.full((2, 2), 0.25))


def d2l_dot(x):
    y = 2 * np.dot(x, x)
    return y


def test_d2l_dot_gradient_is_4x():
    x = np.arange(4.0)
    np.testing.assert_allclose(ad.grad(d2l_dot)(x), 4 * x)


def d2l_detach(x):
    y = x * x
    u = ad.stop_gradient(y)
    z = u * x
    return np.sum(z)


def test_d2l_detached_gradient_is_u():
    x = np.arange(4.0)
    np.testing.assert_allclose(ad.grad(d2l_detach)(x), x * x)


def d2l_square(x):
    y = x * x
    return y


def test_d2l_backward_with_seed_of_ones_is_2x():
    x = np.arange(4.0)
    value, pullback = ad.vjp(d2l_square)(x)
    np.testing.assert_allclose(value, x * x)
    np.testing.assert_allclose(pullback(np.ones(4)), 2 * x)


def test_d2l_seed_of_ones_equals_gradient_of_sum():
    def summed(x):
        y = x * x
        return y.sum()

    x = np.arange(4.0)
    np.testing.assert_allclose(ad.vjp(d2l_square)(x)[1](np.ones(4)), ad.grad(summed)(x))
