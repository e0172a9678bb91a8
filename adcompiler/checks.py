"""`check_grads`: compare adcompiler's derivative with central finite differences.

For users' own test suites, and for ours. Every entry of every `wrt` argument is
perturbed (so keep the inputs small); a non-scalar output is checked through its VJP
with a random seed, which tests the whole Jacobian along that direction.
"""
from __future__ import annotations

import numpy as np

from .api import grad as _grad
from .api import vjp as _vjp


def check_grads(fn, *args, wrt=0, eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7, seed: int = 0):
    """Raise `AssertionError` unless `fn`'s derivative matches finite differences."""
    tuple_wrt = isinstance(wrt, (tuple, list))
    positions = _positions(fn, wrt if tuple_wrt else (wrt,))
    value = fn(*args)
    rng = np.random.default_rng(seed)
    if np.ndim(value) == 0:
        cotangent = 1.0
        computed = _grad(fn, wrt=wrt)(*args)
    else:
        cotangent = rng.standard_normal(np.shape(value))
        computed = _vjp(fn, wrt=wrt)(*args)[1](cotangent)
    computed = computed if tuple_wrt else (computed,)

    def scalar(*xs):
        return float(np.sum(np.asarray(fn(*xs)) * cotangent))

    for position, got in zip(positions, computed):
        expected = numerical_gradient(scalar, args, position, eps)
        _compare(got, expected, args[position], position, rtol, atol)


def numerical_gradient(scalar_fn, args, position: int, eps: float = 1e-6):
    """Central differences of `scalar_fn(*args)` in each entry of `args[position]`."""
    x = args[position]
    if not isinstance(x, np.ndarray):
        return (scalar_fn(*_with(args, position, x + eps)) - scalar_fn(*_with(args, position, x - eps))) / (2 * eps)
    result = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        up, down = x.astype(float), x.astype(float)
        up[index] += eps
        down[index] -= eps
        result[index] = (scalar_fn(*_with(args, position, up)) - scalar_fn(*_with(args, position, down))) / (2 * eps)
    return result


def _with(args, position, value):
    return tuple(value if i == position else a for i, a in enumerate(args))


def _positions(fn, wrt):
    import inspect

    names = list(inspect.signature(fn).parameters)
    return [names.index(w) if isinstance(w, str) else w % len(names) for w in wrt]


def _compare(got, expected, arg, position, rtol, atol) -> None:
    if np.shape(got) != np.shape(arg):
        raise AssertionError(f"gradient of argument {position} has shape {np.shape(got)}, "
                             f"the argument has shape {np.shape(arg)}")
    if not isinstance(arg, np.ndarray) and isinstance(arg, float) and not isinstance(got, float):
        raise AssertionError(f"gradient of float argument {position} is a {type(got).__name__}, not a float")
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        raise AssertionError(
            f"gradient of argument {position} does not match finite differences:\n"
            f"adcompiler: {np.asarray(got)!r}\nnumerical:  {np.asarray(expected)!r}")
