"""The public entry points: `grad`, `value_and_grad`, `vjp`, `jvp`.

Applying `grad` runs the front end of the pipeline (`pipeline.front_end`) and a first
reverse pass, so that errors the source alone decides are raised there; a function
that names a helper defined later in its module is checked on its first call instead.
Each call then runs the variant compiled for its argument signature (Python float or
array, dtype, which dimensions are 1; see `abstract`), compiling it the first time.
Variants are cached per function, `wrt`, `retain` and layout, and compiled again if a
global name the function uses is rebound.
"""
from __future__ import annotations

import functools
import inspect
import weakref

import numpy as np

from . import abstract
from .errors import ADError, NonScalarOutputError, UnsupportedArgumentError, WrtError
from .lower import UnresolvedNameError
from .pipeline import STAGES, Compiled, cached_front_end, cached_gradient, check_gradient, clear_caches  # noqa: F401
from .reverse import Request
from .runtime import as_gradient
from .source import Source, parse


class _Compiled:
    """What a derivative shows of the code it runs: `compiled`, `source` and `graph` (of
    the variant last called, or, before any call, of the one for any arguments)."""

    _last: Compiled | None

    @property
    def compiled(self) -> Compiled:
        return self._last if self._last is not None else self.variant(None)

    @property
    def source(self) -> str:
        """The generated Python source of this derivative (of the variant last called)."""
        return self.compiled.source

    @property
    def graph(self):
        """The SSA IR of the differentiated function; `str()` prints it."""
        return self.compiled.graph


class Gradient(_Compiled):
    """A compiled derivative of a function. Call it as you would call the function."""

    def __init__(self, fn, wrt, retain, mode: str, dump=None):
        functools.update_wrapper(self, fn)
        if isinstance(fn, Gradient) and fn.mode == "vjp":
            raise ADError(f"adcompiler cannot differentiate `vjp({fn.__qualname__})`, which returns a pullback",
                          hint="Differentiate `grad` or `value_and_grad` of the function, or its pullback's result.")
        self.fn = fn
        self.mode = mode
        self._dump = dump
        self._signature = inspect.signature(fn)
        self._nparams = len(self._signature.parameters)
        self.request = _request(fn, self._signature, wrt, retain)
        self._layout = "closure" if mode == "vjp" else "flat"
        self._variants: dict = {}  # argument signature -> Compiled
        self._runners: dict = {}  # argument signature -> _Runner
        self._by_shape: dict = {}  # exact dtypes and shapes -> _Runner: looked up first, faster to key
        self._last: Compiled | None = None
        self._inner: dict = {}  # for a derivative of a `Gradient`: argument signature -> its variant
        if isinstance(fn, Gradient):
            return  # its code depends on the arguments: read at the first call
        try:
            check_gradient(fn, self.request, dump)  # the errors the source decides, now
        except UnresolvedNameError:
            pass  # a name the function uses is not defined yet: check on the first call

    def variant(self, signature=None) -> Compiled:
        """The compiled code for arguments of this signature (None: for any arguments). The
        derivative of a `Gradient` (`grad(grad(f))`) is that of the code it runs for them."""
        compiled = self._variants.get(signature)
        inner = self.fn.variant(signature) if isinstance(self.fn, Gradient) else None
        if compiled is None or not compiled.origin.bindings_unchanged() or \
                inner is not None and inner is not self._inner.get(signature):
            target = self.fn if inner is None else inner.function
            layout = "closure" if _projected(self.fn, inner) else self._layout  # see `_Runner._projected_call`
            compiled = self._variants[signature] = cached_gradient(
                target, self.request, layout, self._dump, signature, want_value=self.mode != "grad")
            self._inner[signature] = inner
        self._last = compiled
        return compiled

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self._nparams:
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = bound.args
        key = abstract.exact_key(args)
        runner = self._by_shape.get(key)
        if runner is None or not runner.current():
            runner = self._runners.get(abstract.signature(args))
            if runner is None or not runner.current():
                runner = self._runner(args)
            if len(self._by_shape) > 64:  # many shapes: keep the first-level cache small
                self._by_shape.clear()
            self._by_shape[key] = runner
        self._last = runner.compiled
        try:
            return runner.run(*args)
        except (OverflowError, ZeroDivisionError, ValueError, TypeError):  # TypeError: a float made complex
            if not runner.compiled.python_numbers:
                raise
            return self.with_numpy_numbers(args)  # see `with_numpy_numbers`

    def _runner(self, args) -> "_Runner":
        """Compile (or fetch) the variant for these arguments' signature, checking them once."""
        for i in self.request.wrt:
            _check_differentiable(args[i], i, self.fn)
        for i, arg in enumerate(args):
            _check_not_complex(arg, i, self.fn)
        signature = abstract.signature(args)
        runner = self._runners[signature] = _Runner(self, self.variant(signature), args, signature)
        return runner

    def with_numpy_numbers(self, args):
        """The derivative by the variant compiled for any arguments, with Python floats
        passed as NumPy floats: NumPy's arithmetic throughout. A variant specialised on
        Python numbers computes with `math` and float arithmetic, which raise where NumPy
        gives inf or nan (`math.exp(1000.0)`, `1.0 / 0.0`, `(-1.5) ** 3.5` made complex);
        the call then comes here, and gets what the user's NumPy code gives. Gradients of
        floats are floats."""
        runner = self._runners.get(None)
        if runner is None or not runner.current():
            runner = self._runners[None] = _Runner(self, self.variant(None), args, None)
        self._last = runner.compiled
        return runner(tuple(np.float64(a) if type(a) is float else a for a in args), likes=args)

    def __repr__(self) -> str:
        return f"<adcompiler {self.mode} of {self.fn.__qualname__}>"


class _Runner:
    """Calls one compiled variant and shapes its results for the caller, doing at run time
    only the checks and conversions that compile time could not settle."""

    def __init__(self, gradient: Gradient, compiled: Compiled, args, signature):
        self._gradient = weakref.ref(gradient)  # not a reference: the gradient holds its runners
        self.compiled = compiled
        self.function = compiled.function
        inner = gradient._inner.get(signature)
        # whether the code is still that of the function (and, for grad(grad(f)), of f's gradient)
        self.current = compiled.origin.bindings_unchanged if inner is None else (
            lambda: compiled.origin.bindings_unchanged() and inner.origin.bindings_unchanged())
        self.request = request = gradient.request
        self.mode = gradient.mode
        self.wrt = request.wrt
        self.tuple_wrt = request.tuple_wrt
        self.retain = request.retain
        self.scalar_output = compiled.scalar_output
        self.plain = compiled.finished or all(compiled.plain_gradients) and all(
            isinstance(args[i], np.ndarray) for i in request.wrt)
        self.projected = _projected(gradient.fn, inner)
        fast = not self.projected and not self.retain and compiled.finished and (
            self.mode == "grad" and not compiled.with_value
            or self.mode == "value_and_grad" and compiled.with_value and compiled.scalar_output)
        if fast:  # the generated code returns it all: call it directly (shadows the method `run`)
            self.run = self.function

    def run(self, *args):
        return self(args)

    def __call__(self, args, likes=None):
        """The call, its results shaped for the caller; gradients take the types of `likes`
        (default: of `args`)."""
        likes = args if likes is None else likes
        if self.projected:
            return self._projected_call(args, likes)
        if self.mode == "vjp":
            value, pullback = self.function(*args)
            gradient = self._gradient()  # alive: it is calling this runner (and the pullback keeps it)
            retry = (lambda: gradient.with_numpy_numbers(likes)) if self.compiled.python_numbers else None
            return value, _Pullback(pullback, [likes[i] for i in self.wrt], self.tuple_wrt, retry, value)
        if not self.compiled.with_value:  # the generated code returns what the caller gets
            if self.retain:
                grads, retained = self.function(*args)
                return grads, _retained(self.request, (retained,))
            return self.function(*args)
        value, grads, *retained = self.function(*args)
        if not self.scalar_output and np.ndim(value) != 0:
            raise NonScalarOutputError(
                f"grad needs a function with a scalar output; this one returned an array of shape {np.shape(value)}",
                _return_location(self.compiled.origin),
                "Reduce the output (e.g. `np.sum(...)`), or use `adcompiler.vjp` with a seed of the output's shape.",
            )
        if not self.plain or likes is not args:
            if self.tuple_wrt:
                grads = tuple(_fresh(g, likes[i]) for g, i in zip(grads, self.wrt))
            else:
                grads = _fresh(grads, likes[self.wrt[0]])
        if self.retain:
            result = (grads, _retained(self.request, retained))
            return (value, *result) if self.mode == "value_and_grad" else result
        return (value, grads) if self.mode == "value_and_grad" else grads

    def _projected_call(self, args, likes):
        """The derivative of `grad(f)` whose code returns `(value, gradient)` (f's output not
        known to be a scalar before it runs): compiled as a vjp, seeded on the gradient alone,
        after the check `grad(f)` itself makes of the value."""
        (value, grads), pullback = self.function(*args)
        if np.ndim(value) != 0:
            raise NonScalarOutputError(
                f"grad needs a function with a scalar output; this one returned an array of shape {np.shape(value)}",
                None, "Reduce the output (e.g. `np.sum(...)`), or use `adcompiler.vjp` with a seed of its shape.")
        back = _Pullback(lambda seed: pullback((0.0, seed)), [likes[i] for i in self.wrt], self.tuple_wrt, None, grads)
        if self.mode == "vjp":
            return grads, back
        if isinstance(grads, (tuple, list, dict)) or np.ndim(grads) != 0:
            raise NonScalarOutputError(
                "grad of grad(f) needs f to be a function of one number (its gradient is then a number)", None,
                "For a Hessian-vector product, use `adcompiler.vjp(adcompiler.grad(f))` with a seed of the gradient's "
                "shape.")
        result = back(1.0)
        return (grads, result) if self.mode == "value_and_grad" else result


def _projected(fn, inner) -> bool:
    """Whether a gradient of the `Gradient` `fn` runs code that returns `(value, gradient)`."""
    return inner is not None and inner.with_value and fn.mode == "grad"


class _Pullback:
    """`pullback(v)`: the vector-Jacobian product for the seed `v` (of the output's shape).
    `retry`, for a variant that computes on Python numbers: the `vjp` call again with
    NumPy's arithmetic, where this backward pass raises (see `Gradient.with_numpy_numbers`)."""

    def __init__(self, fn, inputs, tuple_wrt: bool, retry=None, value=None):
        self._fn = fn
        self._inputs = inputs
        self._tuple_wrt = tuple_wrt
        self._retry = retry
        self._value = value

    def __call__(self, seed):
        _check_seed(seed, self._value)
        seed = _as_seed(seed, self._value)
        try:
            grads = self._fn(seed)
        except (OverflowError, ZeroDivisionError, ValueError, TypeError):
            if self._retry is None:
                raise
            _, pullback = self._retry()
            return pullback(seed)
        if self._tuple_wrt:
            return tuple(_fresh(g, x) for g, x in zip(grads, self._inputs))
        return _fresh(grads, self._inputs[0])


def _like(tangent, value):
    """A tangent in its value's floating dtype (float32 values, float32 tangents), item by
    item for containers."""
    if isinstance(value, (tuple, list)) and isinstance(tangent, (tuple, list)):
        return type(tangent)(_like(t, v) for t, v in zip(tangent, value))
    if isinstance(value, dict) and isinstance(tangent, dict):
        return {k: _like(tangent[k], v) for k, v in value.items()}
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and isinstance(tangent, np.ndarray) \
            and tangent.dtype != value.dtype and tangent.dtype.kind == "f":
        return tangent.astype(value.dtype)
    return tangent


def _as_seed(seed, value):
    """The seed with a list or tuple standing for an array (or number) output made an array:
    the generated code's arithmetic on it is NumPy's, not a list's (`2 * [1.0]`)."""
    if isinstance(value, (tuple, list)):
        return type(seed)(_as_seed(s, v) for s, v in zip(seed, value))
    if isinstance(value, dict):
        return {k: _as_seed(seed[k], v) for k, v in value.items()}
    return np.asarray(seed) if isinstance(seed, (tuple, list)) else seed


def _check_seed(seed, value) -> None:
    """Refuse a seed that does not have the structure and shapes of the output: a tuple for
    a tuple, a dict of the same keys for a dict, an array of the output's shape for an
    array (a number for a number)."""
    if isinstance(value, dict):
        if not isinstance(seed, dict) or set(seed) != set(value):
            raise UnsupportedArgumentError(
                f"the function returned a dict with keys {sorted(value)}; the seed must be a dict of the same keys "
                f"(got {type(seed).__name__})", None, "Pass one seed per output item, under its key.")
        for k, v in value.items():
            _check_seed(seed[k], v)
    elif isinstance(value, (tuple, list)):
        if not isinstance(seed, (tuple, list)) or len(seed) != len(value):
            raise UnsupportedArgumentError(
                f"the function returned a {type(value).__name__} of {len(value)} items; the seed must be a tuple "
                f"of as many (got {type(seed).__name__})", None,
                "Pass one seed per output item, e.g. `pullback((1.0, np.ones_like(y)))`.")
        for s, v in zip(seed, value):
            _check_seed(s, v)
    elif np.shape(seed) != np.shape(value):
        raise UnsupportedArgumentError(
            f"the seed has shape {np.shape(seed)}, the output it stands for has shape {np.shape(value)}", None,
            "Pass a seed of the output's shape.")


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


class ForwardDerivative(_Compiled):
    """`jvp(f, wrt)`: call it with `f`'s arguments, then the tangents (one per `wrt`
    argument, a tuple of them for a tuple `wrt`); it returns `(value, tangent)`, the
    derivative of `f` along the tangents, computed in one forward sweep."""

    def __init__(self, fn, wrt, dump=None):
        functools.update_wrapper(self, fn)
        if isinstance(fn, (Gradient, ForwardDerivative)):
            raise ADError(f"adcompiler does not take the jvp of `{fn!r}`",
                          hint="For second derivatives use `adcompiler.hvp` or `adcompiler.hessian`.")
        self.fn = fn
        self._dump = dump
        self._signature = inspect.signature(fn)
        self.request = _request(fn, self._signature, wrt, ())
        self._variants: dict = {}
        self._last: Compiled | None = None
        try:
            cached_front_end(fn, self.request, dump)  # the errors the source decides, now
        except UnresolvedNameError:
            pass

    def variant(self, signature=None) -> Compiled:
        compiled = self._variants.get(signature)
        if compiled is None or not compiled.origin.bindings_unchanged():
            compiled = self._variants[signature] = cached_gradient(self.fn, self.request, "jvp", self._dump, signature)
        self._last = compiled
        return compiled

    def __call__(self, *args, **kwargs):
        if not args:
            raise UnsupportedArgumentError(f"jvp({self.fn.__qualname__}) takes the function's arguments, then the "
                                           "tangents", None, "Pass the tangents last, positionally.")
        *args, tangents = args
        bound = self._signature.bind(*args, **kwargs)  # keywords and defaults, as the function takes them
        bound.apply_defaults()
        args = bound.args
        tangents = tuple(tangents) if self.request.tuple_wrt else (tangents,)
        if len(tangents) != len(self.request.wrt):
            raise UnsupportedArgumentError(f"{len(self.request.wrt)} tangents are needed, one per `wrt` argument; "
                                           f"got {len(tangents)}", None, "Pass a tuple of tangents.")
        for i, t in zip(self.request.wrt, tangents):
            _check_differentiable(args[i], i, self.fn)
            _check_seed(t, args[i])
        tangents = [_as_seed(t, args[i]) for i, t in zip(self.request.wrt, tangents)]  # a list for an array: an array
        compiled = self.variant(abstract.signature(args))
        try:
            value, tangent = compiled.function(*args, *tangents)
            if not (compiled.python_numbers and isinstance(tangent, complex)):  # (Python's `(-1.0) ** 1.5` is complex)
                return value, _like(tangent, value)
        except (OverflowError, ZeroDivisionError, ValueError, TypeError):
            if not compiled.python_numbers:
                raise
        numpy_numbers = [np.float64(a) if type(a) is float else a for a in args]  # see Gradient.with_numpy_numbers
        value, tangent = self.variant(None).function(*numpy_numbers, *tangents)
        return value, _like(tangent, value)

    def __repr__(self) -> str:
        return f"<adcompiler jvp of {self.fn.__qualname__}>"


def jvp(fn=None, wrt=0, *, dump=None):
    """`jvp(f)(*args, tangents)` returns `(value, tangent)`: the Jacobian times the tangents,
    by forward mode (no tape)."""
    if fn is None:
        return lambda f: ForwardDerivative(f, wrt, dump)
    return ForwardDerivative(fn, wrt, dump)


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


def _retained(request: Request, retained) -> dict:
    return dict(zip(request.retain, map(_fresh, retained[0])))


def _check_differentiable(arg, index: int, fn, inside: bool = False) -> None:
    """A `wrt` argument holds floating-point numbers (containers: in each of their leaves)."""
    if isinstance(arg, (tuple, list, dict)):
        for item in arg.values() if isinstance(arg, dict) else arg:
            _check_differentiable(item, index, fn, inside=True)
        return
    dtype = arg.dtype if isinstance(arg, (np.ndarray, np.generic)) else np.asarray(arg).dtype
    if dtype.kind != "f":
        name = list(inspect.signature(fn).parameters)[index]
        raise ADError(
            f"cannot differentiate with respect to `{name}`: it {'holds' if inside else 'is'} {_kind(arg)}, "
            "not a floating-point value",
            _def_location(fn),
            f"Pass `{name}` as floats (e.g. `2.0` or `x.astype(float)`).",
        )


def _check_not_complex(arg, index: int, fn) -> None:
    """Complex numbers are refused anywhere: the derivative rules are those of real calculus."""
    if isinstance(arg, (tuple, list, dict)):
        for item in arg.values() if isinstance(arg, dict) else arg:
            _check_not_complex(item, index, fn)
        return
    if isinstance(arg, complex) or isinstance(arg, (np.ndarray, np.generic)) and arg.dtype.kind == "c":
        name = list(inspect.signature(fn).parameters)[index]
        raise ADError(
            f"`{name}` is complex: adcompiler differentiates functions of real numbers only",
            _def_location(fn),
            "Split complex values into real and imaginary parts, each a float array.",
        )


def _kind(arg) -> str:
    if isinstance(arg, np.ndarray):
        return f"an array of dtype {arg.dtype}"
    name = type(arg).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _fresh(g, like=None):
    return as_gradient(g, like)


def _def_location(fn):
    try:
        source = parse(fn)
    except ADError:
        return None
    return source.location(source.tree)


def _return_location(source: Source):
    return source.location(source.tree.body[-1])
