"""Names: how callables are spelled, and how values get readable, collision-free names.

`Namer` hands out names in order of appearance: a value's hint if it is still free,
else the hint with the smallest free numeric suffix (`x`, `x_1`, `x_2`). Names that
are taken from the start (every name the user's function mentions, every global the
generated code refers to) are reserved first, so no invented name can shadow them.
"""
from __future__ import annotations

import builtins
import keyword
import operator
import re
import sys
import types

import numpy as np

from . import runtime

OPERATOR_WORDS = {
    operator.add: "plus", operator.sub: "minus", operator.mul: "times",
    operator.truediv: "over", operator.pow: "pow", operator.matmul: "matmul",
    operator.neg: "neg", operator.pos: "pos", operator.floordiv: "floordiv",
    operator.mod: "mod", operator.lt: "lt", operator.le: "le", operator.gt: "gt",
    operator.ge: "ge", operator.eq: "eq", operator.ne: "ne", operator.not_: "not",
    operator.and_: "and", operator.or_: "or", operator.getitem: "item", operator.is_: "is",
    operator.is_not: "is_not",
}


def module_path(fn) -> tuple[str, str] | None:
    """`(module, attribute path)` under which `fn` is found, e.g. `("numpy", "linalg.norm")`."""
    name = getattr(fn, "__name__", None)
    if name is None:
        return None
    if getattr(np, name, None) is fn:
        return ("numpy", name)
    module = getattr(fn, "__module__", None)
    owner = sys.modules.get(module or "")
    if owner is not None and getattr(owner, name, None) is fn:
        if module.startswith("numpy.") and getattr(np, module[6:].split(".")[0], None) is not None:
            return ("numpy", f"{module[6:]}.{name}")
        return (module, name)
    return None


def describe(fn) -> str:
    """A short, stable name of a callable for IR printing and error messages."""
    if fn in OPERATOR_WORDS or getattr(fn, "__module__", None) in ("_operator", "operator"):
        return fn.__name__
    path = module_path(fn)
    if path is not None:
        module, attr = path
        return f"np.{attr}" if module == "numpy" else f"{module}.{attr}" if module != "builtins" else attr
    if isinstance(fn, types.ModuleType):
        return fn.__name__
    return getattr(fn, "__qualname__", None) or f"{type(fn).__name__} object"


def temp_hint(fn, operand_hints: list[str]) -> str:
    """A hint for an anonymous intermediate: `b_times_b`, `sin_x`, `sum_c`."""
    if fn is runtime.make_tuple and operand_hints:  # (i, j) -> i_j, read as x[i, j] -> x_i_j
        hint = "_".join(operand_hints)
        return hint if hint.isidentifier() and len(hint) <= 24 else "index"
    if fn is operator.getitem and len(operand_hints) == 2:  # x[t] -> x_t, h[0] -> h_0
        hint = f"{operand_hints[0]}_{operand_hints[1]}" if operand_hints[1] != "c" else f"{operand_hints[0]}_part"
        return hint if hint.isidentifier() and len(hint) <= 24 else f"{operand_hints[0]}_part"
    if fn in (operator.add, operator.sub, operator.mul, operator.truediv, operator.matmul,
              operator.pow) and len(operand_hints) == 2:
        hint = f"{operand_hints[0]}_{OPERATOR_WORDS[fn]}_{operand_hints[1]}"
    else:
        word = OPERATOR_WORDS.get(fn) or getattr(fn, "__name__", "tmp")
        hint = "_".join([word] + operand_hints[:1])
    if len(hint) > 24 and operand_hints:
        hint = f"{OPERATOR_WORDS.get(fn) or getattr(fn, '__name__', 'tmp')}_{operand_hints[0]}"
    if len(hint) > 24:
        hint = getattr(fn, "__name__", "tmp")
    return hint if len(hint) <= 24 and hint.isidentifier() else "tmp"


_NUMBER_WORDS = {0: "zero", 1: "one", 2: "two", 3: "three", 10: "ten"}


def literal_hint(value) -> str:
    """How a constant reads inside a hint: `one`, `2`, `0_5`, or `c`."""
    if isinstance(value, bool) or value is None:
        return "c"
    if isinstance(value, (int, float)) and value in _NUMBER_WORDS and not isinstance(value, bool):
        return str(value) if isinstance(value, int) else _NUMBER_WORDS[value]
    if isinstance(value, (int, float)):
        text = repr(value).replace(".", "_").replace("-", "neg")
        return text if re.fullmatch(r"\w+", text) else "c"
    return "c"


class Namer:
    """Deterministic, collision-free names for values."""

    def __init__(self, reserved=(), claimable=()):
        self.taken: set[str] = set(reserved) | set(claimable) | set(keyword.kwlist) | {"None", "True", "False"}
        self.avoid: set[str] = set(dir(builtins))  # invented names never shadow a builtin
        self.claimable: set[str] = set(claimable)  # the user's names: kept for values hinted so
        self.names: dict[object, str] = {}

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def fresh(self, hint: str) -> str:
        base = hint if hint.isidentifier() and not keyword.iskeyword(hint) else "t"
        if base in self.claimable:
            self.claimable.discard(base)
            return base
        if base not in self.taken and base not in self.avoid:
            self.taken.add(base)
            return base
        stem = re.sub(r"_\d+$", "", base)
        n = 1
        while f"{stem}_{n}" in self.taken:
            n += 1
        self.taken.add(f"{stem}_{n}")
        return f"{stem}_{n}"

    def name(self, value) -> str:
        """The name of `value`, choosing one on first sight."""
        if value not in self.names:
            self.names[value] = self.fresh(value.hint)
        return self.names[value]

    def share(self, value, name: str) -> None:
        """Give `value` a name that another, no longer live, value had."""
        self.names[value] = name
