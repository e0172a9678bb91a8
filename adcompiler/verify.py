"""The IR checker: run after every pass in the tests, and by `dump`.

It checks that every value is defined once, before it is used, in a region that
encloses the use; that region ops yield as many values as they have results; and that
loop bodies take and yield their carried values.
"""
from __future__ import annotations

from .errors import InternalError
from .ir import Call, Const, For, Function, If, Region, Value, While


def verify(fn: Function) -> Function:
    """Return `fn` unchanged, or raise `InternalError` naming the first broken invariant."""
    defined: set[Value] = set()
    _define(fn.params, defined, fn)
    if fn.seed is not None:
        _define((fn.seed,), defined, fn)
    _region(fn.body, set(fn.params) | ({fn.seed} if fn.seed else set()), defined, fn)
    if fn.backward_at is not None and not 0 <= fn.backward_at <= len(fn.body.ops):
        raise InternalError(f"{fn.name}: backward_at {fn.backward_at} is outside the body")
    return fn


def _define(values, defined: set, fn: Function) -> None:
    for v in values:
        if not isinstance(v, Value):
            raise InternalError(f"{fn.name}: {v!r} is defined but is not a Value")
        if v in defined:
            raise InternalError(f"{fn.name}: {v!r} is defined twice")
        defined.add(v)


def _use(operand, visible: set, fn: Function, where) -> None:
    if isinstance(operand, Const):
        return
    if not isinstance(operand, Value):
        raise InternalError(f"{fn.name}: operand {operand!r} is neither a Value nor a Const", where)
    if operand not in visible:
        raise InternalError(f"{fn.name}: {operand!r} is used before it is defined", where)


def _region(region: Region, visible: set, defined: set, fn: Function) -> None:
    visible = set(visible) | set(region.params)
    for op in region.ops:
        for operand in op.operands:
            _use(operand, visible, fn, op.loc)
        _check_shape(op, fn)
        for inner in op.regions:
            _define(inner.params, defined, fn)
            _region(inner, visible, defined, fn)
        _define(op.results, defined, fn)
        visible |= set(op.results)
    for operand in region.yields:
        _use(operand, visible, fn, None)


def _check_shape(op, fn: Function) -> None:
    n = len(op.results)
    if isinstance(op, Call):
        if n != 1:
            raise InternalError(f"{fn.name}: a call must have one result, not {n}", op.loc)
    elif isinstance(op, If):
        _arity(op.then, n, "then-region", op, fn)
        _arity(op.orelse, n, "else-region", op, fn)
    elif isinstance(op, (For, While)):
        carried = len(op.inits)
        if n != carried + op.tape:
            raise InternalError(f"{fn.name}: a loop carries {carried} values but has {n} results", op.loc)
        _arity(op.body, carried + op.stop + op.tape, "loop body", op, fn)
        params = len(op.body.params) - (op.ntargets if isinstance(op, For) else 0)
        if params != carried:
            raise InternalError(f"{fn.name}: a loop carries {carried} values but its body takes {params}", op.loc)
        if isinstance(op, While):
            _arity(op.cond, 1, "loop condition", op, fn)
            if len(op.cond.params) != carried:
                raise InternalError(f"{fn.name}: a while-loop's condition takes {len(op.cond.params)} values, "
                                    f"not {carried}", op.loc)
    else:
        raise InternalError(f"{fn.name}: unknown op {op!r}")


def _arity(region: Region, n: int, what: str, op, fn: Function) -> None:
    if len(region.yields) != n:
        raise InternalError(f"{fn.name}: the {what} yields {len(region.yields)} values, expected {n}", op.loc)
