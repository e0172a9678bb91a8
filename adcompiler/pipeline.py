"""The compiler's pipeline, one stage per line, and its caches.

`front_end` runs once per function (and `retain`): parse, fence, normalise, lower,
verify, check array updates. `compile_gradient` runs once per function, `wrt`, layout
and argument signature: infer what is known of each value, reverse, remove dead code,
emit, compile. A `dump` switch (argument or `ADCOMPILER_DUMP`) prints the program
after the named stages.
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys
import weakref
from dataclasses import dataclass

import gast

from . import abstract
from .aliasing import check_updates, owned_values
from .batching import batch_accumulations
from .compile import load
from .emit import emit
from .forward import forward, forward_gradient
from .hoisting import hoist_indexed_products
from .errors import MissingRuleError, NonScalarOutputError, WrtError
from .fence import fence
from .lower import lower
from .normalize import normalize
from .optimize import (drop_needless_conversions, eliminate_common_subexpressions, eliminate_dead_code, fold_renames,
                       measure_earliest, products_first)
from .reverse import Request, check, find_named, reverse
from .rules.registry import table_version
from .source import Source, parse
from .verify import verify

STAGES = ("parse", "lower", "reverse", "optimize", "emit")


@dataclass(frozen=True)
class FrontEnd:
    source: Source  # the normalised source, and the bindings of its free names
    primal: object  # the function's IR
    names: frozenset  # every name the user's code uses


@dataclass(frozen=True)
class Compiled:
    function: object  # the generated Python function
    source: str  # its text
    graph: object  # the primal IR
    adjoint: object  # the IR of the generated function
    origin: Source  # for rebinding checks and error locations
    scalar_output: bool = False  # the output is known to be a scalar: no check needed at run time
    plain_gradients: tuple = ()  # per gradient: known to be a new array of its input's dtype
    with_value: bool = True  # returns (value, gradients, ...); else the gradients alone
    finished: bool = False  # the gradients it returns are as the caller gets them
    python_numbers: bool = False  # it computes on Python numbers (and with `math`), which raise where NumPy warns


def front_end(fn, request: Request, dump=None) -> FrontEnd:
    with _no_garbage_collection():
        return _front_end(fn, request, dump)


def _front_end(fn, request: Request, dump=None) -> FrontEnd:
    show = dumper(dump)
    source = parse(_transformable(fn))
    show("parse", lambda: gast.dump(source.tree, indent=2))
    source = normalize(fence(source))
    primal = verify(lower(source))
    check_updates(primal)
    show("lower", primal)
    _check_retained(primal, request, source)
    return FrontEnd(source, primal, frozenset(_user_names(source)))


def compile_gradient(fn, request: Request, layout: str, dump=None, signature=None, want_value=True,
                     plain=False) -> Compiled:
    with _no_garbage_collection():  # the pipeline makes many small objects and no cycles worth collecting
        compiled = _compile_gradient(fn, request, layout, dump, signature, want_value, plain)
    if not plain:
        _ORIGINS[compiled.function] = (fn, request, layout, signature, want_value)
    return compiled


# generated function -> how it was made: to make it again in the plain form when it is itself
# differentiated (`_transformable`)
_ORIGINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _transformable(fn):
    """`fn`, or, for a function adcompiler generated, the same derivative compiled `plain`:
    without the loop transformations and runtime helpers that only make it faster
    (`RowTerms`, `del`, `mean`, `softplus`), which the front end does not read."""
    origin = _ORIGINS.get(fn)
    if origin is None:
        return fn
    original, request, layout, signature, want_value = origin
    return compile_gradient(original, request, layout, None, signature, want_value, plain=True).function


@contextlib.contextmanager
def _no_garbage_collection():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_gradient(fn, request: Request, dump=None) -> None:
    """The front end, and the errors the reverse pass would raise: when `grad` is applied."""
    with _no_garbage_collection():
        check(cached_front_end(fn, request, dump).primal, request)


def _compile_gradient(fn, request: Request, layout: str, dump=None, signature=None, want_value=True,
                      plain=False) -> Compiled:
    """The pipeline: front end, infer, reverse, optimise, emit, compile. Without
    `want_value`, and with an output known to be a scalar, the generated function
    returns the gradients alone, as the caller gets them."""
    show = dumper(dump)
    front = cached_front_end(fn, request, dump)
    primal = front.primal
    types = {} if signature is None else abstract.infer(primal, map(abstract.from_signature, signature))
    check_updates(primal, types)  # `x op= v`, now that it is known which `x` are numbers
    abstract.check_dict_reads(primal, types)
    if (cast := abstract.cast_in_place_updates(primal, types)) is not primal:  # `x op= v` keeps x's dtype
        primal = cast
        types = abstract.infer(primal, map(abstract.from_signature, signature))
    scalar = _scalar_output(primal, types)
    if layout == "flat":
        _check_scalar_output(front, types)
    with_value = want_value or layout == "closure" or not scalar
    finished = layout == "flat" and signature is not None  # gradients converted in the generated code
    name = primal.name + {"closure": "_vjp", "jvp": "_jvp"}.get(layout, "_grad")
    if layout == "jvp":  # forward mode: the value and its directional derivative, in one sweep
        adjoint = verify(forward(primal, request.wrt, name, types))
        with_value = finished = True
    elif _forward_mode_fits(request, layout, signature) and \
            (adjoint := _forward_gradient(primal, request, name, types, with_value)) is not None:
        finished = True  # one float in: a forward sweep, no tape
    else:
        adjoint = verify(reverse(primal, request, name, front.names, types, with_value, layout == "flat",
                                 finished))
    show("reverse", adjoint)
    adjoint = eliminate_dead_code(eliminate_common_subexpressions(measure_earliest(adjoint, types)))
    if not abstract.narrow_floats(adjoint, types):  # (with them, a number's dtype is not what inference says)
        adjoint = drop_needless_conversions(adjoint, types)
    adjoint = verify(fold_renames(adjoint, front.names, types))
    if not plain:
        adjoint = verify(products_first(
            eliminate_dead_code(batch_accumulations(hoist_indexed_products(adjoint, types), types)), types))
    show("optimize", adjoint)
    emitted = emit(adjoint, layout, front.names, types, plain)
    show("emit", emitted.source)
    return Compiled(load(emitted), emitted.source, primal, adjoint, front.source, scalar,
                    _plain_gradients(adjoint, request, types) if with_value and not finished else (), with_value,
                    finished, _has_python_numbers(signature))


def _forward_gradient(primal, request: Request, name: str, types: dict, with_value: bool):
    """The gradient with respect to one Python float by a forward sweep, or None where a
    function has a reverse-mode rule only (the reverse pass then serves)."""
    try:
        return verify(forward_gradient(primal, request.wrt[0], name, types, with_value, request.tuple_wrt))
    except MissingRuleError:
        return None


def _forward_mode_fits(request: Request, layout: str, signature) -> bool:
    """A `grad` with respect to one Python float (and no retained adjoints) is computed in
    forward mode: one sweep gives the whole derivative, and nothing is taped."""
    return (layout == "flat" and signature is not None and len(request.wrt) == 1
            and not request.retain and signature[request.wrt[0]] == ("f",))


def _has_python_numbers(signature) -> bool:
    """Whether a signature has a Python float or int, at any depth of its containers."""
    return signature is not None and any(map(_is_or_holds_a_number, signature))


def _is_or_holds_a_number(entry) -> bool:
    kind = entry[0]
    if kind in ("f", "i"):
        return True
    if kind in ("tuple", "list"):
        return any(map(_is_or_holds_a_number, entry[1]))
    return kind == "d" and any(_is_or_holds_a_number(d) for _, d in entry[1])


def _check_scalar_output(front: FrontEnd, types) -> None:
    """Refuse, before any code runs, a gradient of a function whose output is known to be
    an array or a container (the seed's arithmetic could fail first, less clearly)."""
    av = abstract.value_of(types, front.primal.returns[0])
    if isinstance(av, abstract.Array) and av.dims or isinstance(av, abstract.Sequence) and av.kind != "shape":
        n = len(av.dims) if isinstance(av, abstract.Array) else 0
        what = f"an array of {n} dimension{'s' if n > 1 else ''}" if isinstance(av, abstract.Array) else f"a {av.kind}"
        raise NonScalarOutputError(
            f"grad needs a function with a scalar output; this one returns {what}",
            front.source.location(front.source.tree.body[-1]),
            "Reduce the output (e.g. `np.sum(...)`), or use `adcompiler.vjp` with a seed of the output's shape.")


def _scalar_output(primal, types) -> bool:
    av = abstract.value_of(types, primal.returns[0])
    return isinstance(av, abstract.Scalar) or isinstance(av, abstract.Array) and av.dims == ()


def _plain_gradients(adjoint, request: Request, types) -> tuple:
    """Which returned gradients are surely new arrays of their parameter's dtype, so that
    the caller may have them as they are."""
    owned = owned_values(adjoint)
    grads = adjoint.returns[1] if len(adjoint.returns) > 1 else adjoint.returns[0]
    producers = {op.results[0]: op for op in adjoint.body.ops}
    if request.tuple_wrt:
        maker = producers.get(grads)
        grads = maker.args if maker is not None else ()
    else:
        grads = (grads,)
    plain = []
    for g, i in zip(grads, request.wrt):
        param = abstract.value_of(types, adjoint.params[i])
        av = abstract.value_of(types, g)
        plain.append(g in owned and isinstance(param, abstract.Array) and isinstance(av, abstract.Array)
                     and av.dims == param.dims and av.dtype is not None and av.dtype == param.dtype)
    return tuple(plain) if len(plain) == len(request.wrt) else (False,)


_FRONT_ENDS: dict = {}
_CACHE: dict = {}


def cached_front_end(fn, request: Request, dump=None) -> FrontEnd:
    key = (fn, request.retain, table_version())  # a rule registered since: calls may be read anew
    hit = _FRONT_ENDS.get(key)
    if hit is None or not hit.source.bindings_unchanged():
        hit = _FRONT_ENDS[key] = front_end(fn, request, dump)
    return hit


def cached_gradient(fn, request: Request, layout: str, dump, signature, want_value=True) -> Compiled:
    key = (fn, request, layout, signature, want_value, table_version())
    hit = _CACHE.get(key)
    if hit is None or not hit.origin.bindings_unchanged():
        hit = _CACHE[key] = compile_gradient(fn, request, layout, dump, signature, want_value)
    return hit


def clear_caches() -> None:
    _FRONT_ENDS.clear()
    _CACHE.clear()


def _check_retained(primal, request: Request, source: Source) -> None:
    for name in request.retain:
        if find_named(primal, name) is None:
            raise WrtError(f"retain={name!r}: the function assigns no variable of that name",
                           source.location(source.tree), "Name a variable the function assigns.")


def _user_names(source: Source) -> set:
    return {n.id for n in gast.walk(source.tree) if isinstance(n, gast.Name)} | \
        {a.id for a in source.tree.args.args}


def dumper(dump):
    wanted = dump if dump is not None else os.environ.get("ADCOMPILER_DUMP", "")
    if wanted is True or wanted == "all":
        stages = set(STAGES)
    elif isinstance(wanted, str):
        stages = {s.strip() for s in wanted.split(",") if s.strip()}
    else:
        stages = set(wanted or ())

    def show(stage: str, thing) -> None:
        if stage in stages:
            text = thing() if callable(thing) else thing
            print(f"--- adcompiler: after {stage} ---\n{text}", file=sys.stderr)

    return show
