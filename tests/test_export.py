"""`ad.export`: a derivative's code as a module that runs without adcompiler."""
from __future__ import annotations

import runpy

import numpy as np
import pytest
import scipy.special

import adcompiler as ad

from .helpers import function_from_source

R = np.random.default_rng(6)


def exported(derivative, tmp_path, name: str):
    """The function of the module `export` writes, run in a fresh namespace; and the text."""
    path = tmp_path / f"{name}.py"
    text = ad.export(derivative, path)
    assert path.read_text() == text
    assert "import adcompiler" not in text and "from adcompiler" not in text
    compile(text, str(path), "exec")  # a module of its own: it parses
    return runpy.run_path(str(path))[name], text


def test_an_exported_gradient_with_a_loop_gives_the_same_gradients(tmp_path):
    rnn = function_from_source("""
    def rnn(W, b, xs):
        h = np.zeros((xs.shape[1], W.shape[0]))
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ W + h * 0.5 + b)
        return np.sum(h ** 2)
    """)
    g = ad.grad(rnn, wrt=(0, 1))
    W, b, xs = R.standard_normal((3, 3)), R.standard_normal(3), R.standard_normal((5, 2, 3))
    expected = g(W, b, xs)
    fn, text = exported(g, tmp_path, "rnn_grad")
    for got, want in zip(fn(W, b, xs), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert "RowTerms" not in text  # the plain form: one product per step, as written


def test_an_exported_vjp_returns_its_pullback(tmp_path):
    f = function_from_source("def f(x, A):\n    return np.tanh(A @ x) * scale\n", namespace={"scale": 2.5})
    x, A, v = R.standard_normal(3), R.standard_normal((2, 3)), R.standard_normal(2)
    derivative = ad.vjp(f)
    value, pullback = derivative(x, A)
    fn, text = exported(derivative, tmp_path, "f_vjp")
    exported_value, exported_pullback = fn(x, A)
    np.testing.assert_allclose(exported_value, value)
    np.testing.assert_allclose(exported_pullback(v), pullback(v), rtol=1e-12)
    assert "* 2.5" in text  # a global number is read where the code was compiled


def test_an_exported_jvp_and_the_globals_it_reads(tmp_path):
    f = function_from_source("def f(x):\n    return np.sum(expit(x * weights))\n",
                             namespace={"expit": scipy.special.expit, "weights": np.array([1.0, -2.0])})
    derivative = ad.jvp(f)
    x, v = np.array([0.3, 0.4]), np.array([1.0, 0.5])
    value, tangent = derivative(x, v)
    fn, text = exported(derivative, tmp_path, "f_jvp")
    np.testing.assert_allclose(fn(x, v), (value, tangent), rtol=1e-12)
    assert "import scipy.special" in text and "weights = np.array([1.0, -2.0], dtype=np.float64)" in text


def test_export_needs_a_derivative_that_has_run(tmp_path):
    g = ad.grad(function_from_source("def f(x):\n    return np.sum(x ** 2)\n"))
    with pytest.raises(ad.ADError, match="call"):
        ad.export(g, tmp_path / "never.py")


def test_a_global_dict_of_arrays_is_written_as_one(tmp_path):
    f = function_from_source("def f(x):\n    return np.sum(x * table['w']) + table['c']\n",
                             namespace={"table": {"w": np.array([1.0, 2.0]), "c": 0.5}})
    g = ad.value_and_grad(f)
    x = np.array([0.3, 0.1])
    value, gradient = g(x)
    fn, text = exported(g, tmp_path, "f_grad")
    exported_value, exported_gradient = fn(x)
    assert exported_value == value
    np.testing.assert_array_equal(exported_gradient, gradient)


def test_exported_helpers_have_their_imports_and_non_finite_constants_are_written(tmp_path):
    """The generated code need not name NumPy for the helpers it copies to need it; an
    array holding inf or nan has no literal of its own."""
    f = function_from_source("""
    def f(x):
        s = 0.0
        for i in range(2):
            s = s + (x * x).sum()
        return s + np.sum(np.minimum(limits, 5.0) * x)
    """, namespace={"limits": np.array([np.inf, 1.0])})
    g = ad.grad(f)
    x = np.array([1.0, 2.0])
    expected = g(x)
    fn, text = exported(g, tmp_path, "f_grad")
    np.testing.assert_array_equal(fn(x), expected)
    assert "float('inf')" in text


def test_export_refuses_the_derivative_of_a_gradient_that_carries_its_value(tmp_path):
    f = function_from_source("""
    def f(x):
        for i in range(2):
            if np.sum(x) > 100:
                return x
        return np.sum(np.sin(x))
    """)
    derivative = ad.vjp(ad.grad(f))
    derivative(np.array([0.3, 0.7]))
    with pytest.raises(ad.ADError, match="value beside the gradient"):
        ad.export(derivative, tmp_path / "f.py")
