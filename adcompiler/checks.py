"""`check_grads`: compare adcompiler's derivative with central finite differences.

For users' own test suites, and for ours. Every entry of every `wrt` argument is
perturbed (so keep the inputs small); a non-scalar output is checked through its VJP
with a random seed, which tests the whole Jacobian along that direction. Arguments and
outputs may be tuples, lists and dicts: each array or number in them is checked.
"""
from __future__ import annotations

import numpy as np

from .api import grad as _grad
from .api import vjp as _vjp


def check_grads(fn, *args, wrt=0, eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7, seed: int = 0):
    """Raise `AssertionError` unless `fn`'s derivative matches finite differences. Arguments
    and outputs may be tuples, lists and dicts (of arrays and floats)."""
    tuple_wrt = isinstance(wrt, (tuple, list))
    positions = _positions(fn, wrt if tuple_wrt else (wrt,))
    value = fn(*args)
    rng = np.random.default_rng(seed)
    if not isinstance(value, (tuple, list, dict)) and np.ndim(value) == 0:
        cotangent = 1.0
        computed = _grad(fn, wrt=wrt)(*args)
    else:
        cotangent = _like(value, rng)
        computed = _vjp(fn, wrt=wrt)(*args)[1](cotangent)
    computed = computed if tuple_wrt else (computed,)

    def scalar(*xs):
        return _inner(fn(*xs), cotangent)

    for position, got in zip(positions, computed):
        _compare_structure(got, args[position], position)
        for path, leaf in _leaves(args[position]):
            def at_leaf(*xs, position=position, path=path):  # the leaf put back into its container
                return scalar(*_with(xs, position, _replaced(args[position], path, xs[position])))

            expected = numerical_gradient(at_leaf, _with(args, position, leaf), position, eps)
            _compare(_at(got, path), expected, leaf, f"{position}{_spelled(path)}", rtol, atol)


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


def _leaves(x, path=()):
    """`(path, leaf)` for each array or number in a tuple, list or dict (or `x` itself)."""
    if isinstance(x, dict):
        return [item for k, v in x.items() for item in _leaves(v, path + (k,))]
    if isinstance(x, (tuple, list)):
        return [item for k, v in enumerate(x) for item in _leaves(v, path + (k,))]
    return [(path, x)]


def _at(x, path):
    for key in path:
        x = x[key]
    return x


def _replaced(x, path, leaf):
    """`x` with the leaf at `path` replaced (containers copied, never changed)."""
    if not path:
        return leaf
    key, rest = path[0], path[1:]
    if isinstance(x, dict):
        return {k: _replaced(v, rest, leaf) if k == key else v for k, v in x.items()}
    return type(x)(_replaced(v, rest, leaf) if k == key else v for k, v in enumerate(x))


def _like(value, rng):
    """A random cotangent of the structure and shapes of `value`."""
    if isinstance(value, dict):
        return {k: _like(v, rng) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_like(v, rng) for v in value)
    return rng.standard_normal(np.shape(value)) if np.ndim(value) else float(rng.standard_normal())


def _inner(value, cotangent) -> float:
    return sum(float(np.sum(np.asarray(leaf) * _at(cotangent, path))) for path, leaf in _leaves(value))


def _spelled(path) -> str:
    return "".join(f"[{k!r}]" for k in path)


def _positions(fn, wrt):
    import inspect

    names = list(inspect.signature(fn).parameters)
    return [names.index(w) if isinstance(w, str) else w % len(names) for w in wrt]


def _compare_structure(got, arg, position) -> None:
    if [p for p, _ in _leaves(got)] != [p for p, _ in _leaves(arg)]:
        raise AssertionError(f"gradient of argument {position} does not have the argument's structure: "
                             f"{type(got).__name__} for {type(arg).__name__}")


def _compare(got, expected, arg, where, rtol, atol) -> None:
    if np.shape(got) != np.shape(arg):
        raise AssertionError(f"gradient of argument {where} has shape {np.shape(got)}, "
                             f"the argument has shape {np.shape(arg)}")
    if not isinstance(arg, np.ndarray) and isinstance(arg, float) and not isinstance(got, float):
        raise AssertionError(f"gradient of float argument {where} is a {type(got).__name__}, not a float")
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        raise AssertionError(
            f"gradient of argument {where} does not match finite differences:\n"
            f"adcompiler: {np.asarray(got)!r}\nnumerical:  {np.asarray(expected)!r}")
