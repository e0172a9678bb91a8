"""Helper functions in a module of their own, called by the programs of `corpus_calls`.

Calls from `corpus_calls` into this module test inlining across modules: free names
here (`np`, `math`, `SCALE`, other helpers) must resolve in THIS module, not in the
caller's. `SCALE` and `activation` are rebound by `test_calls` to check that no stale
gradient is ever returned.
"""
import math

import numpy
import numpy as np

import adcompiler

SCALE = 2.0


# ============================================================ layers and losses


def relu(x):
    """The rectifier, through `np.maximum`."""
    return np.maximum(x, 0.0)


def sigmoid(x):
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x):
    """log(1 + e^x), written directly."""
    return np.log(1.0 + np.exp(x))


def dense(x, W, b):
    """An affine layer followed by `tanh`."""
    return np.tanh(x @ W + b)


def affine(x, W, b=None):
    """An affine map whose bias is optional (`None` by default)."""
    y = x @ W
    if b is not None:
        y = y + b
    return y


def mlp(x, W1, b1, W2):
    """Two layers: helpers calling helpers."""
    h = relu(x @ W1 + b1)
    return sigmoid(h @ W2)


def mse(prediction, target):
    """The mean squared error."""
    return np.mean((prediction - target) ** 2)


def scale(x, factor=2.0):
    """`x` times a factor with a default."""
    return x * factor


def scale_by_global(x):
    """`x` times the module constant `SCALE` (rebound by a test)."""
    return x * SCALE


def activation(x):
    """The activation used by `corpus_calls.uses_helper_activation` (rebound by a test)."""
    return np.tanh(x)


def shift(x, offset=np.array([0.5, -0.25, 1.0])):
    """`x` plus an array default argument."""
    return x + offset


def normalise(x):
    """A helper that rebinds its own parameter."""
    x = x - np.mean(x)
    x = x / (1.0 + np.sum(x * x))
    return x


def moments(x):
    """The mean and variance of `x`, as a tuple."""
    m = np.mean(x)
    v = np.mean((x - m) ** 2)
    return m, v


def sum_all(*arrays):
    """The sum of every element of every argument (`*args`)."""
    total = 0.0
    for a in arrays:
        total = total + np.sum(a)
    return total


def weighted_sum(*terms, weight=1.0):
    """`*args` followed by a keyword-only parameter."""
    total = 0.0
    for t in terms:
        total = total + weight * np.sum(t)
    return total


def count_args(*args):
    """`len(args)` of a fixed-length `*args`."""
    return len(args)


def safe_log(x, eps=1e-3):
    """Log with an early return for an argument that is already large."""
    if np.min(x) > 1.0:
        return np.log(x)
    return np.log(x + eps)


def power_loop(x, n):
    """`x ** n` by repeated multiplication: a loop inside a helper."""
    y = np.ones_like(x)
    for _ in range(n):
        y = y * x
    return y


def gaussian(a, mu=0.0):
    """A Gaussian bump on a Python float, through `math`."""
    return math.exp(-((a - mu) ** 2) / 2.0) / math.sqrt(2.0 * math.pi)


def detached_norm(x):
    """`x` divided by its norm, the norm taken without gradient."""
    n = adcompiler.stop_gradient(np.sqrt(np.sum(x * x)))
    return x / n


def no_grad_center(x):
    """`x` minus its mean, the mean computed in a `no_grad` block."""
    with adcompiler.no_grad():
        m = np.mean(x)
    return x - m


def weighted_with_local_np(x):
    """A helper with a LOCAL variable named `np` (it uses `numpy` by its full name)."""
    np = 3.0
    return numpy.sum(x * np)


# ============================================================ higher-order functions


def apply(f, x):
    """`f(x)`: a function passed as an argument."""
    return f(x)


def apply_twice(f, x):
    """`f(f(x))`."""
    return f(f(x))


def compose(f, g):
    """The composition `f . g`, as a closure."""

    def composed(x):
        return f(g(x))

    return composed


def make_model(W):
    """A model written as a closure over its weights."""

    def model(x):
        return np.tanh(x @ W)

    return model


def make_scaler(k):
    """A lambda closing over `k`."""
    return lambda t: t * k


W_FIXED = np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]])
fixed_model = make_model(W_FIXED)  # a closure made at import time; its cell holds an array


# ============================================================ functions adcompiler cannot inline


def power_recursive(x, n):
    """`x ** n` by recursion: cannot be inlined."""
    if n == 0:
        return np.ones_like(x)
    return x * power_recursive(x, n - 1)


def is_even_depth(x, n):
    """Mutual recursion, with `is_odd_depth`."""
    if n == 0:
        return x
    return is_odd_depth(x * 1.5, n - 1)


def is_odd_depth(x, n):
    """Mutual recursion, with `is_even_depth`."""
    if n == 0:
        return -x
    return is_even_depth(x * 0.5, n - 1)


def _without_source():
    scope = {"np": np}
    exec(compile("def cube_no_source(x):\n    return x * x * x\n", "<no file>", "exec"), scope)
    return scope["cube_no_source"]


cube_no_source = _without_source()  # a Python function whose source cannot be read


def uses_try(x):
    """A helper adcompiler refuses to inline (`try` is outside its language)."""
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


# ============================================================ functions with user rules


def log1pexp(x):
    """log(1 + e^x); given a stable derivative rule by `corpus_calls` via `@adcompiler.adjoint`."""
    return np.log1p(np.exp(x))


def scaled_product(a, b):
    """`a * b * 3`; its rule is registered by `corpus_calls`."""
    return a * b * 3.0


def clipped_identity(x):
    """Identity forward; its rule (a straight-through estimator) clips the gradient."""
    return x
