"""The structured SSA IR.

Grammar (every node is an immutable dataclass; values compare by identity):

    Function ::= name, params: (Value...), body: Region, seed: Value | None,
                 backward_at: int | None
    Region   ::= params: (Value...), ops: (Op...), yields: (Operand...)
    Operand  ::= Value | Const
    Op       ::= Call(results=(Value,), fn, args: (Operand...), kwargs: ((str, Operand)...))
               | If(results, cond: Operand, then: Region, orelse: Region)
                     both regions take no params and yield len(results) operands
               | For(results, iterable: Operand, inits: (Operand...), body: Region)
                     body.params = (target, *carried), len(carried) == len(inits),
                     body yields the next carried values; results are the last ones
               | While(results, inits: (Operand...), cond: Region, body: Region)
                     cond.params = carried, cond yields one boolean;
                     body.params = carried, body yields the next carried values

A `Call`'s `fn` is the real Python object called: `operator.mul` for `*`, `np.sin` for
`np.sin`, `getattr` for attribute reads. Every op carries the `Location` of the user
statement it came from. The body region of a `Function` yields what the function
returns. After the reverse pass, `backward_at` is the index of the body's first
backward op and `seed` the adjoint of the output, which the emitter binds to `1.0` or
makes a parameter.
"""
from __future__ import annotations

from dataclasses import dataclass
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

    def count(operand):
        if isinstance(operand, Value):
            counts[operand] = counts.get(operand, 0) + 1

    def visit(r: Region):
        for op in r.ops:
            for operand in op.operands:
                count(operand)
            for inner in op.regions:
                visit(inner)
        for operand in r.yields:
            count(operand)

    visit(region)
    return counts
