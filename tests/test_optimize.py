"""The clean-up passes and the arithmetic they save: repeated expressions computed once,
`x * x` differentiated as a square, and a loop on one float written as a running
product of derivatives. Every case is checked against finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.ir import Call, walk_ops

from .helpers import function_from_source


def calls_to(gradient, fn) -> int:
    return sum(1 for op in walk_ops(gradient.compiled.adjoint.body) if isinstance(op, Call) and op.fn is fn)


def code(gradient) -> str:
    return "\n".join(line for line in gradient.source.splitlines() if not line.strip().startswith("#"))


def test_a_repeated_expression_is_computed_once():
    f = function_from_source("""
    def twice(x):
        return np.sum(np.sin(x * 3.0) + np.cos(x * 3.0))
    """)
    x = np.linspace(0.1, 1.0, 4)
    g = ad.grad(f)
    g(x)
    assert code(g).count("x * 3.0") == 1
    assert calls_to(g, np.sin) == calls_to(g, np.cos) == 1  # the rule's `np.sin(x * 3.0)` is the forward one
    ad.check_grads(f, x)


def test_expressions_of_different_constants_are_kept_apart():
    f = function_from_source("""
    def signed_zeros(x):
        return np.sum(np.arctan2(0.0 * x, -1.0) + np.arctan2(-0.0 * x, -1.0) + x)
    """)
    x = np.array([0.5, 1.5])
    value, _ = ad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x))  # pi - pi: merging 0.0 * x with -0.0 * x would give 2 pi
    ad.check_grads(f, x)


def test_an_expression_in_one_branch_is_not_reused_in_the_other():
    f = function_from_source("""
    def branches(x, flag):
        if flag > 0:
            y = np.sin(x)
        else:
            y = np.sin(x) * 2.0
        return np.sum(y * np.sin(x))
    """)
    x = np.array([0.3, 0.7])
    for flag in (1.0, -1.0):
        ad.check_grads(f, x, flag)


def test_an_adjoint_a_loop_passes_on_unchanged_is_not_copied():
    """`s = s + ...` passes `s_bar` on as it is: no `s_bar_1 = s_bar` ... `s_bar = s_bar_1`."""
    f = function_from_source("""
    def running_sum(x):
        s = np.zeros(3)
        for i in range(3):
            s = s + np.sin(x * i)
        return np.sum(s * s)
    """)
    x = np.array([0.3, 0.5, 0.9])
    g = ad.grad(f)
    g(x)
    assert "s_bar_1" not in code(g)
    assert [line.strip() for line in code(g).splitlines() if line.strip().startswith("s_bar =")] == \
        ["s_bar = sum_s_times_s_bar * s * 2.0"]
    ad.check_grads(f, x)


@pytest.mark.parametrize("body", [
    "cc = c + c\n    return np.sum(x) * np.size(cc)",
    "cc = c * 3\n    return np.sum(x) * np.size(cc)",
    "cc = c + c\n    return np.sum(x) * np.shape(cc)[0]",
    "idx = np.where(m)\n    return np.sum(x) * np.size(idx)",
], ids=["list joined", "list repeated", "shape of a joined list", "indices of np.where"])
@pytest.mark.parametrize("container", [list, tuple])
def test_a_size_is_not_read_from_a_value_of_another_shape(body, container):
    """`c + c` joins lists, `c * 3` repeats them, `np.where(m)` is a tuple: none has its
    operands' shape, so the size is not read from them."""
    f = function_from_source(f"def f(x, c, m):\n    {body}\n")
    x, c, m = np.array([1.0, 2.0, 3.0]), container([1.0, 2.0]), np.array([True, False, True])
    value, gradient = ad.value_and_grad(f)(x, c, m)
    assert value == f(x, c, m)
    ad.check_grads(f, x, c, m)


def test_a_square_is_differentiated_once_and_doubled():
    f = function_from_source("""
    def square(x):
        return np.sum(x * x)
    """)
    x = np.array([0.5, -2.0])
    g = ad.grad(f)
    np.testing.assert_allclose(g(x), 2 * x)
    assert code(g).count("* x") == 1 and "* 2" in code(g)


@pytest.mark.parametrize("x", [0.3, 1.7])
def test_a_loop_on_one_float_runs_on_derivatives(x):
    f = function_from_source("""
    def recurrence(x):
        for i in range(30):
            x = x + 0.1 * np.sin(x) * np.exp(-x * x)
        return x
    """)
    g = ad.grad(f)
    ad.check_grads(f, x)
    g(x)
    loop = g.source.split("for i in range(30):")[1]
    assert "x_dot = x_dot * (" in loop  # one product with the incoming tangent per iteration
    assert loop.index("x_dot = x_dot") < loop.index("x = x +")  # the value is updated last, in place


def test_a_loop_that_reads_another_tangent_keeps_tangents_whole():
    f = function_from_source("""
    def two_sources(a):
        x = a
        y = np.sin(a)
        for i in range(5):
            x = x * 0.9 + y * x
        return x
    """)
    g = ad.grad(f)
    ad.check_grads(f, 0.4)
    g(0.4)
    assert "x_dot * (" not in g.source


def test_a_loop_carrying_two_tangents_keeps_tangents_whole():
    f = function_from_source("""
    def pair(a):
        x, y = a, 2.0 * a
        for i in range(5):
            x, y = x * y * 0.5, y + np.sin(x)
        return x + y
    """)
    ad.check_grads(f, 0.7)


@pytest.mark.parametrize("dtype, summed", [(np.float64, True), (np.float32, True), (np.float16, False)])
def test_mean_of_floats_is_their_sum_over_their_size(dtype, summed):
    f = function_from_source("""
    def mean_square(x):
        return np.mean(x ** 2)
    """)
    x = np.linspace(0.1, 2.0, 7).astype(dtype)
    g = ad.value_and_grad(f)
    value, grad = g(x)
    assert value == f(x) and np.asarray(value).dtype == np.asarray(f(x)).dtype  # the same number, not just close
    assert ("= mean(" in g.source) == summed
    np.testing.assert_allclose(grad, 2 * x.astype(np.float64) / x.size, rtol=1e-3)
    assert grad.dtype == dtype


def test_a_gradient_of_unknown_dtype_is_converted_to_its_inputs():
    f = function_from_source("""
    def widened(x):
        return np.sum(np.sin(x.astype(np.float64)) * 2.0)
    """)
    x = np.array([0.5, 1.0], dtype=np.float32)
    grad = ad.grad(f)(x)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, 2 * np.cos(x.astype(np.float64)), rtol=1e-6)


def test_gradients_that_are_one_array_are_returned_as_separate_arrays():
    f = function_from_source("""
    def summed(a, b):
        return np.sum(np.sin(a + b))
    """)
    a, b = np.array([0.1, 0.2]), np.array([0.3, 0.4])
    ga, gb = ad.grad(f, wrt=(0, 1))(a, b)
    assert ga is not gb and not np.shares_memory(ga, gb)
    np.testing.assert_allclose(ga, np.cos(a + b))
    np.testing.assert_allclose(gb, np.cos(a + b))


def test_minus_x_times_x_is_differentiated_without_reading_minus_x():
    f = function_from_source("""
    def gaussian_steps(x):
        for i in range(20):
            x = x + 0.1 * np.exp(-x * x)
        return x
    """)
    g = ad.grad(f)
    ad.check_grads(f, 0.3)
    g(0.3)
    assert "math.exp(-x * x)" in g.source and "-2.0 * x" in g.source


def test_a_second_derivative_flows_through_the_gradients_conversion():
    f = function_from_source("""
    def cubic(x):
        y = x.astype(np.float64)
        return np.sum(np.sin(y) * y ** 3)
    """)
    x = np.array([0.3, -0.8, 1.1], dtype=np.float32)
    first = ad.grad(f)
    first(x)
    assert "gradient(" in first.source  # the conversion to float32 is differentiated through, not zeroed
    seed = np.array([0.5, -1.0, 2.0])
    _, pullback = ad.vjp(first.compiled.function)(x.astype(np.float64))
    second = pullback(seed)  # the generated function returns the gradient (the output is known to be a number)
    x64 = x.astype(np.float64)
    hessian_diagonal = (6 * x64 - x64 ** 3) * np.sin(x64) + 6 * x64 ** 2 * np.cos(x64)
    np.testing.assert_allclose(second, seed * hessian_diagonal, rtol=1e-6)


def test_a_random_draw_nobody_reads_still_runs():
    """It advances the generator: the draws after it are the user's."""
    f = function_from_source("""
    def noisy(x):
        unused = np.random.randn(3)
        b = np.random.randn(3)
        return np.sum(x * b)
    """)
    np.random.seed(0)
    expected = f(np.ones(3))
    np.random.seed(0)
    value, gradient = ad.value_and_grad(f)(np.ones(3))
    assert value == expected


def test_a_result_of_an_if_nobody_reads_is_not_computed():
    f = function_from_source("""
    def f(x):
        t = 0.5
        if x[0] > 0:
            y = x * t
            t = 3.0
        else:
            y = x
        return np.sum(y * x)
    """)
    g = ad.grad(f)
    g(np.array([1.0, 2.0]))
    assert "3.0" not in code(g)
    ad.check_grads(f, np.array([1.0, 2.0]))
    ad.check_grads(f, np.array([-1.0, 2.0]))


def test_a_random_draw_in_a_branch_or_loop_whose_results_nobody_reads_still_runs():
    f = function_from_source("""
    def noisy(x):
        if np.sum(x) > 0:
            u = np.random.randn()
        for i in range(2):
            v = np.random.randn(2)
        return np.sum(x * np.random.randn(3))
    """)
    np.random.seed(0)
    expected = f(np.ones(3))
    np.random.seed(0)
    assert ad.value_and_grad(f)(np.ones(3))[0] == expected
