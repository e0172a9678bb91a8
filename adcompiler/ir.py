"""The structured SSA IR.

Grammar (every node is an immutable dataclass; values compare by identity):

    Function ::= name, params: (Value...), body: Region, seed: Value | None,
                 backward_at: int | None
    Region   ::= params: (Value...), ops: (Op...), yields: (Operand...)
    Operand  ::= Value | Const
    Op       ::= Call(results=(Value,), fn, args: (Operand...), kwargs: ((str, Operand)...))
               | If(results, cond: Operand, then: Region, orelse: Region)
                     both regions take no params and yield len(results) operands
               | For(results, iterable: Operand, inits: (Operand...), body: Region,
                     ntargets, stop, tape)
                     body.params = (*targets, *carried), len(targets) == ntargets,
                     len(carried) == len(inits); the body yields the next carried
                     values, then, if `stop`, whether to leave the loop after this
                     iteration (`break`), then, if `tape`, a record appended to a
                     list; results are the last carried values (and the list)
               | While(results, inits: (Operand...), cond: Region, body: Region, stop, tape)
                     cond.params = carried, cond yields one boolean;
                     body.params = carried, body yields as For's does

A `Call`'s `fn` is the real Python object called: `operator.mul` for `*`, `np.sin` for
`np.sin`, `getattr` for attribute reads. Every op carries the `Location` of the user
statement it came from. The body region of a `Function` yields what the function
returns. After the reverse pass, `backward_at` is the index of the body's first
backward op and `seed` the adjoint of the output, which the emitter binds to `1.0` or
makes a parameter.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

from .errors import Location


@dataclass(frozen=True, eq=False, slots=True)
class Value:
    """An SSA value. `hint` is the name a person would give it; the printer picks the real one."""

    hint: str
    loc: Location | None = None

    def __repr__(self) -> str:
        return f"Value({self.hint!r})"


@dataclass(frozen=True, eq=False, slots=True)
class Const:
    """A compile-time constant: a literal, or a global object (then `name` is how it is spelled)."""

    value: object
    name: str | None = None

    def __repr__(self) -> str:
        return f"Const({self.name or repr(self.value)})"


Operand = Union[Value, Const]


@dataclass(frozen=True, slots=True)
class Region:
    params: tuple[Value, ...]
    ops: tuple["Op", ...]
    yields: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Call:
    results: tuple[Value, ...]
    fn: object
    args: tuple[Operand, ...]
    kwargs: tuple[tuple[str, Operand], ...] = ()
    loc: Location | None = None
    fn_name: str | None = None  # the user's name for `fn`, where the source calls it by a plain name
    in_place: bool = False  # the user wrote `x op= y`: on an array, Python changes `x` itself

    @property
    def operands(self) -> tuple[Operand, ...]:
        return self.args + tuple(v for _, v in self.kwargs)

    @property
    def regions(self) -> tuple[Region, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class If:
    results: tuple[Value, ...]
    cond: Operand
    then: Region
    orelse: Region
    loc: Location | None = None
    exports: int = 0  # trailing results only one branch defines: values the backward pass reads

    @property
    def operands(self) -> tuple[Operand, ...]:
        return (self.cond,)

    @property
    def regions(self) -> tuple[Region, ...]:
        return (self.then, self.orelse)


@dataclass(frozen=True, slots=True)
class For:
    results: tuple[Value, ...]
    iterable: Operand
    inits: tuple[Operand, ...]
    body: Region
    loc: Location | None = None
    ntargets: int = 1  # `for a, b in pairs` unpacks each item into the first ntargets params
    stop: bool = False  # the body yields one more value: True to leave after this iteration
    tape: bool = False  # the body yields one more value, the record; the last result is the list of them

    @property
    def targets(self) -> tuple[Value, ...]:
        return self.body.params[: self.ntargets]

    @property
    def carried(self) -> tuple[Value, ...]:
        return self.body.params[self.ntargets:]

    @property
    def operands(self) -> tuple[Operand, ...]:
        return (self.iterable,) + self.inits

    @property
    def regions(self) -> tuple[Region, ...]:
        return (self.body,)


@dataclass(frozen=True, slots=True)
class While:
    results: tuple[Value, ...]
    inits: tuple[Operand, ...]
    cond: Region
    body: Region
    loc: Location | None = None
    stop: bool = False  # as in `For`
    tape: bool = False  # as in `For`

    @property
    def operands(self) -> tuple[Operand, ...]:
        return self.inits

    @property
    def regions(self) -> tuple[Region, ...]:
        return (self.cond, self.body)


Op = Union[Call, If, For, While]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    params: tuple[Value, ...]
    body: Region
    loc: Location | None = None
    seed: Value | None = None
    backward_at: int | None = None
    released: tuple[Value, ...] = ()  # forward values that generated code deletes before the backward pass

    @property
    def returns(self) -> tuple[Operand, ...]:
        return self.body.yields

    def __str__(self) -> str:
        from .printing import format_function

        return format_function(self)


def walk_ops(region: Region):
    """Every op in `region` and in the regions nested inside it, in program order."""
    for op in region.ops:
        yield op
        for inner in op.regions:
            yield from walk_ops(inner)


def uses(region: Region) -> dict[Value, int]:
    """How many times each value is read in `region`, nested regions included."""
    counts: dict[Value, int] = {}
    count_reads(region, counts)
    return counts


def count_reads(region: Region, counts: dict, per_yield: int = 1) -> None:
    """Add to `counts` the reads of each value in `region`, nested regions included; a
    region's yield counts `per_yield` times."""
    for op in region.ops:
        for operand in op.operands:
            if isinstance(operand, Value):
                counts[operand] = counts.get(operand, 0) + 1
        for inner in op.regions:
            count_reads(inner, counts, per_yield)
    for operand in region.yields:
        if isinstance(operand, Value):
            counts[operand] = counts.get(operand, 0) + per_yield


def defined_in(region: Region) -> set:
    """Values defined inside `region`: its params, op results, and those of nested regions."""
    found = set(region.params)
    for op in region.ops:
        found.update(op.results)
        for inner in op.regions:
            found |= defined_in(inner)
    return found


def free_values(region: Region) -> list:
    """Values `region` reads but does not define, in order of first use."""
    inside = defined_in(region)
    return list(dict.fromkeys(x for x in _reads(region) if isinstance(x, Value) and x not in inside))


def _reads(region: Region):
    """Every operand `region` reads, nested regions included, in program order."""
    for op in region.ops:
        yield from op.operands
        for inner in op.regions:
            yield from _reads(inner)
    yield from region.yields


def rewrite_loops(fn: Function, rewrite) -> Function:
    """`fn` with each `For` loop, innermost first, replaced by the ops `rewrite(loop,
    region, renamed)` returns (None: the loop stays as it is). `region` is the region the
    loop is in; `rewrite` may map values the loop defined to new ones in `renamed`, and
    every later read in that region follows. `backward_at` follows the inserted ops."""
    starts: list = []  # per op of the body, where its replacement starts
    body = _rewrite_loops(fn.body, rewrite, starts)
    if body is fn.body:
        return fn
    backward_at = fn.backward_at if fn.backward_at is None else (starts + [len(body.ops)])[fn.backward_at]
    return replace(fn, body=body, backward_at=backward_at)


def _rewrite_loops(region: Region, rewrite, starts=None) -> Region:
    ops, changed, renamed = [], False, {}
    for op in region.ops:
        if starts is not None:
            starts.append(len(ops))
        if isinstance(op, Call):
            ops.append(op)
            continue
        inner = [_rewrite_loops(r, rewrite) for r in op.regions]
        if any(a is not b for a, b in zip(inner, op.regions)):
            op, changed = with_regions(op, inner), True
        new = rewrite(op, region, renamed) if isinstance(op, For) else None
        if new is None:
            ops.append(op)
        else:
            ops += new
            changed = True
    if not changed:
        return region
    return substitute(replace(region, ops=tuple(ops)), renamed)


def with_regions(op, regions):
    """`op` (an `If`, `For` or `While`) with its regions replaced, in the order of `op.regions`."""
    if isinstance(op, If):
        return replace(op, then=regions[0], orelse=regions[1])
    if isinstance(op, For):
        return replace(op, body=regions[0])
    return replace(op, cond=regions[0], body=regions[1])


def substitute(region: Region, mapping: dict) -> Region:
    """`region` with every read of a value in `mapping` replaced by its image."""
    if not mapping:
        return region

    def sub(x):
        return mapping.get(x, x) if isinstance(x, Value) else x

    def op_(op):
        if isinstance(op, Call):
            return replace(op, args=tuple(map(sub, op.args)), kwargs=tuple((k, sub(v)) for k, v in op.kwargs))
        if isinstance(op, If):
            return replace(op, cond=sub(op.cond), then=substitute(op.then, mapping),
                           orelse=substitute(op.orelse, mapping))
        if isinstance(op, For):
            return replace(op, iterable=sub(op.iterable), inits=tuple(map(sub, op.inits)),
                           body=substitute(op.body, mapping))
        return replace(op, inits=tuple(map(sub, op.inits)), cond=substitute(op.cond, mapping),
                       body=substitute(op.body, mapping))

    return Region(region.params, tuple(op_(op) for op in region.ops), tuple(map(sub, region.yields)))
