"""The public entry points: `grad`, `value_and_grad`, `vjp`, `stop_gradient`.

`compile_gradient` is the pipeline, one stage per line. It runs when `grad` is applied,
so that errors the source alone decides are raised there; a function that names a
helper defined later in its module is compiled on its first call instead. The result
is cached per function, `wrt`, `retain` and layout; a call first checks that no free
name of the function was rebound since (and compiles again if one was).
"""
from __future__ import annotations

import functools
import inspect
import os
import sys
from dataclasses import dataclass

import gast
import numpy as np

from .aliasing import check_updates
from .emit import emit
from .compile import load
from .errors import ADError, NonScalarOutputError, WrtError
from .fence import fence
from .lower import UnresolvedNameError, lower
from .normalize import normalize
from .optimize import eliminate_dead_code
from .reverse import Request, find_named, reverse
from .source import Source, parse
from .verify import verify

STAGES = ("parse", "lower", "reverse", "optimize", "emit")


@dataclass(frozen=True)
class Compiled:
    function: object  # the generated Python function
    source: str  # its text
    graph: object  # the primal IR
    adjoint: object  # the IR of the generated function
    origin: Source  # for rebinding checks and error locations


def compile_gradient(fn, request: Request, layout: str, dump=None) -> Compiled:
    """The pipeline: parse, fence, normalise, lower, reverse, optimise, emit, compile."""
    show = _dumper(dump)
    source = parse(fn)
    show("parse", gast.dump(source.tree, indent=2))
    source = normalize(fence(source))
    primal = verify(lower(source))
    check_updates(primal)
    show("lower", primal)
    _check_retained(primal, request, source)
    suffix = "_vjp" if layout == "closure" else "_grad"
    names = _user_names(source)
    adjoint = verify(reverse(primal, request, primal.name + suffix, names))
    show("reverse", adjoint)
    adjoint = verify(eliminate_dead_code(adjoint))
    show("optimize", adjoint)
    emitted = emit(adjoint, layout, names)
    show("emit", emitted.source)
    return Compiled(load(emitted), emitted.source, primal, adjoint, source)


_CACHE: dict = {}


def _compiled(fn, request: Request, layout: str, dump) -> Compiled:
    key = (fn, request, layout)
    hit = _CACHE.get(key)
    if hit is None or not hit.origin.bindings_unchanged():
        hit = _CACHE[key] = compile_gradient(fn, request, layout, dump)
    return hit


class Gradient:
    """A compiled derivative of a function. Call it as you would call the function."""

    def __init__(self, fn, wrt, retain, mode: str, dump=None):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.mode = mode
        self._dump = dump
        self._signature = inspect.signature(fn)
        self._nparams = len(self._signature.parameters)
        self.request = _request(fn, self._signature, wrt, retain)
        self._layout = "closure" if mode == "vjp" else "flat"
        self._current: Compiled | None = None
        try:
            self._current = _compiled(fn, self.request, self._layout, dump)
        except UnresolvedNameError:
            pass  # a name the function uses is not defined yet: compile on the first call

    @property
    def compiled(self) -> Compiled:
        current = self._current
        if current is None or not current.origin.bindings_unchanged():
            current = self._current = _compiled(self.fn, self.request, self._layout, self._dump)
        return current

    @property
    def source(self) -> str:
        """The generated Python source of this derivative."""
        return self.compiled.source

    @property
    def graph(self):
        """The SSA IR of the differentiated function; `str()` prints it."""
        return self.compiled.graph

    def __call__(self, *args, **kwargs):
        compiled = self.compiled
        if kwargs or len(args) != self._nparams:
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = bound.args
        for i in self.request.wrt:
            _check_differentiable(args[i], i, self.fn)
        if self.mode == "vjp":
            value, pullback = compiled.function(*args)
            return value, _Pullback(pullback, [args[i] for i in self.request.wrt], self.request.tuple_wrt)
        value, grads, *retained = compiled.function(*args)
        if np.ndim(value) != 0:
            raise NonScalarOutputError(
                f"grad needs a function with a scalar output; this one returned an array of shape {np.shape(value)}",
                _return_location(compiled.origin),
                "Reduce the output (e.g. `np.sum(...)`), or use `adcompiler.vjp` with a seed of the output's shape.",
            )
        if self.request.tuple_wrt:
            grads = tuple(_fresh(g, args[i]) for g, i in zip(grads, self.request.wrt))
        else:
            grads = _fresh(grads, args[self.request.wrt[0]])
        result = (grads, _retained(self.request, retained)) if self.request.retain else grads
        if self.mode == "value_and_grad":
            return (value, *result) if self.request.retain else (value, result)
        return result

    def __repr__(self) -> str:
        return f"<adcompiler {self.mode} of {self.fn.__qualname__}>"


class _Pullback:
    """`pullback(v)`: the vector-Jacobian product for the seed `v` (of the output's shape)."""

    def __init__(self, fn, inputs, tuple_wrt: bool):
        self._fn = fn
        self._inputs = inputs
        self._tuple_wrt = tuple_wrt

    def __call__(self, seed):
        grads = self._fn(seed)
        if self._tuple_wrt:
            return tuple(_fresh(g, x) for g, x in zip(grads, self._inputs))
        return _fresh(grads, self._inputs[0])


def grad(fn=None, wrt=0, *, retain=(), dump=None):
    """The gradient of a scalar-valued `fn` with respect to `wrt` (position, name or tuple).

    Usable as `@grad`, `@grad(wrt="w")` or `grad(f, wrt=(0, 1))`. A tuple `wrt` gives a
    tuple of gradients. With `retain=("y", ...)`, the call returns `(grads, {"y": y_bar})`.
    """
    if fn is None:
        return lambda f: Gradient(f, wrt, retain, "grad", dump)
    return Gradient(fn, wrt, retain, "grad", dump)


def value_and_grad(fn=None, wrt=0, *, retain=(), dump=None):
    """Like `grad`, but the call returns `(value, grads)` (and the retained adjoints last)."""
    if fn is None:
        return lambda f: Gradient(f, wrt, retain, "value_and_grad", dump)
    return Gradient(fn, wrt, retain, "value_and_grad", dump)


def vjp(fn=None, wrt=0, *, dump=None):
    """`vjp(f)(*args)` returns `(value, pullback)`; `pullback(v)` is `v` times the Jacobian."""
    if fn is None:
        return lambda f: Gradient(f, wrt, (), "vjp", dump)
    return Gradient(fn, wrt, (), "vjp", dump)


# ---------------------------------------------------------------- helpers


def _request(fn, signature, wrt, retain) -> Request:
    names = list(signature.parameters)
    tuple_wrt = isinstance(wrt, (tuple, list))
    items = tuple(wrt) if tuple_wrt else (wrt,)
    indices = []
    for item in items:
        if isinstance(item, str) and item in names:
            indices.append(names.index(item))
        elif isinstance(item, int) and not isinstance(item, bool) and -len(names) <= item < len(names):
            indices.append(item % len(names))
        else:
            raise WrtError(
                f"wrt={item!r} does not name a parameter of {fn.__qualname__}{signature}",
                _def_location(fn),
                f"Name a parameter or give its position: one of {', '.join(map(repr, names))} or 0..{len(names) - 1}.",
            )
    retain = (retain,) if isinstance(retain, str) else tuple(retain)
    return Request(tuple(indices), retain, tuple_wrt)


def _check_retained(primal, request: Request, source: Source) -> None:
    for name in request.retain:
        if find_named(primal, name) is None:
            raise WrtError(f"retain={name!r}: the function assigns no variable of that name",
                           source.location(source.tree), "Name a variable the function assigns.")


def _retained(request: Request, retained) -> dict:
    return dict(zip(request.retain, map(_fresh, retained[0])))


def _check_differentiable(arg, index: int, fn) -> None:
    dtype = arg.dtype if isinstance(arg, (np.ndarray, np.generic)) else np.asarray(arg).dtype
    if dtype.kind != "f":
        name = list(inspect.signature(fn).parameters)[index]
        raise ADError(
            f"cannot differentiate with respect to `{name}`: it is {_kind(arg)}, not a floating-point value",
            _def_location(fn),
            f"Pass `{name}` as floats (e.g. `2.0` or `x.astype(float)`).",
        )


def _kind(arg) -> str:
    if isinstance(arg, np.ndarray):
        return f"an array of dtype {arg.dtype}"
    name = type(arg).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _fresh(g, like=None):
    """A gradient as handed to the user: of the type, dtype and shape of its input (float
    in, float out; float32 in, float32 out), and theirs to modify (never a read-only view)."""
    if isinstance(like, np.ndarray):
        if type(g) is not np.ndarray or g.dtype != like.dtype or not g.flags.writeable:
            g = np.array(g, dtype=like.dtype)
        return g
    if isinstance(like, (float, np.floating)):
        return g if type(g) is type(like) else type(like)(g)
    if isinstance(g, np.ndarray) and not g.flags.writeable:
        return g.copy()
    return g


def _def_location(fn):
    try:
        source = parse(fn)
    except ADError:
        return None
    return source.location(source.tree)


def _return_location(source: Source):
    return source.location(source.tree.body[-1])


def _user_names(source: Source) -> set:
    names = {a.id for a in source.tree.args.args}
    names.update(n.id for n in gast.walk(source.tree) if isinstance(n, gast.Name))
    return names


def _dumper(dump):
    wanted = dump if dump is not None else os.environ.get("ADCOMPILER_DUMP", "")
    if wanted is True or wanted == "all":
        stages = set(STAGES)
    elif isinstance(wanted, str):
        stages = {s.strip() for s in wanted.split(",") if s.strip()}
    else:
        stages = set(wanted or ())

    def show(stage: str, thing) -> None:
        if stage in stages:
            print(f"--- adcompiler: after {stage} ---\n{thing}", file=sys.stderr)

    return show
