"""Jacobians, Hessians and Hessian-vector products, built from `vjp` and `grad`.

    ad.jacobian(f, wrt=0)(*args)     # the Jacobian: output shape + argument shape
    ad.hessian(f, wrt=0)(*args)      # the Jacobian of the gradient
    ad.hvp(f, wrt=0)(*args, v)       # the Hessian times v: the vjp of the gradient

No new code is generated here: a Jacobian is one pullback per element of the output
(the pullback runs the compiled backward pass only), a Hessian-vector product the
pullback of `grad(f)`'s own compiled code, which the Hessian repeats per element.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from .api import grad, vjp
from .errors import UnsupportedArgumentError, WrtError


class Jacobian:
    """`jacobian(f, wrt)`: call it as you would call `f`."""

    def __init__(self, fn, wrt):
        functools.update_wrapper(self, fn)
        self.wrt = wrt
        self._vjp = vjp(fn, wrt=wrt)

    @property
    def source(self) -> str:
        """The generated source of the vector-Jacobian product it runs."""
        return self._vjp.source

    def __call__(self, *args, **kwargs):
        positions = self.wrt if isinstance(self.wrt, (tuple, list)) else (self.wrt,)
        bound = inspect.signature(self.__wrapped__).bind(*args, **kwargs).arguments
        for position in positions:
            arg = list(bound.values())[position] if isinstance(position, int) else bound.get(position)
            if isinstance(arg, (tuple, list, dict)):
                raise UnsupportedArgumentError(
                    f"jacobian takes arguments that are arrays or numbers, not a {type(arg).__name__}", None,
                    "Pass the array you differentiate by as an argument of its own, or use `adcompiler.vjp`.")
        value, pullback = self._vjp(*args, **kwargs)
        if isinstance(value, (tuple, list, dict)):
            raise UnsupportedArgumentError(
                f"jacobian needs a function that returns an array or a number; this one returned a "
                f"{type(value).__name__}", None, "Take the Jacobian of each output separately, or use `adcompiler.vjp`.")
        if np.ndim(value) == 0:  # a number: its Jacobian is its gradient
            return pullback(1.0 if isinstance(value, float) else np.ones_like(value))
        out = np.asarray(value)
        rows = []
        for k in range(out.size):
            seed = np.zeros(out.shape, dtype=np.result_type(out, 1.0))
            seed.flat[k] = 1.0
            rows.append(pullback(seed))
        if isinstance(self.wrt, (tuple, list)):
            return tuple(_stacked([row[i] for row in rows], out.shape) for i in range(len(self.wrt)))
        return _stacked(rows, out.shape)

    def __repr__(self) -> str:
        return f"<adcompiler jacobian of {self.__wrapped__.__qualname__}>"


def _stacked(rows, out_shape) -> np.ndarray:
    """The pullbacks of the output's elements, in order, as one array: output shape first."""
    rows = [np.asarray(row) for row in rows]
    return np.stack(rows).reshape(tuple(out_shape) + rows[0].shape)


def jacobian(fn=None, wrt=0):
    """The Jacobian of `fn` with respect to `wrt` (a position or name; a tuple of them gives
    a tuple of Jacobians): for an output of shape `S` and an argument of shape `A`, an
    array of shape `S + A`; for a number output, the gradient."""
    if fn is None:
        return lambda f: Jacobian(f, wrt)
    return Jacobian(fn, wrt)


def hessian(fn=None, wrt=0):
    """The Hessian of a scalar-valued `fn` with respect to one argument `wrt`: the Jacobian
    of its gradient, of shape `A + A` for an argument of shape `A`."""
    if isinstance(wrt, (tuple, list)):
        raise WrtError("hessian takes one argument (a position or a name), not a tuple", None,
                       "Pass the arguments as one array, or use `adcompiler.hvp` with a tuple of vectors.")
    if fn is None:
        return lambda f: hessian(f, wrt)
    return Jacobian(grad(fn, wrt=wrt), wrt)


class HessianVectorProduct:
    """`hvp(f, wrt)`: call it with `f`'s arguments, then the vector (a tuple of them for a
    tuple `wrt`)."""

    def __init__(self, fn, wrt):
        functools.update_wrapper(self, fn)
        self._vjp = vjp(grad(fn, wrt=wrt), wrt=wrt)

    @property
    def source(self) -> str:
        """The generated source: the vjp of the gradient's code."""
        return self._vjp.source

    def __call__(self, *args):
        if not args:
            raise UnsupportedArgumentError("hvp(f)(*args, v) needs the arguments of f and the vector v", None,
                                           "Pass the vector last.")
        *args, v = args
        _, pullback = self._vjp(*args)
        return pullback(v)  # the Hessian is symmetric: v times it is it times v

    def __repr__(self) -> str:
        return f"<adcompiler hvp of {self.__wrapped__.__qualname__}>"


def hvp(fn=None, wrt=0):
    """Hessian-vector products of a scalar-valued `fn`: `hvp(f)(*args, v)` is the Hessian
    with respect to `wrt` at `args`, times `v` (shaped like that argument)."""
    if fn is None:
        return lambda f: HessianVectorProduct(f, wrt)
    return HessianVectorProduct(fn, wrt)
