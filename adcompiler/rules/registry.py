"""The rule table: one entry per differentiable callable, keyed by the callable itself.

A VJP rule is an ordinary function `(g, ans, *args, **params) -> cotangent of one
argument`: the `sin` rule is `lambda g, ans, x: g * np.cos(x)`. It runs on real arrays
(tests call rules directly) and on `tracing.Symbol`s (the compiler inlines it).
`defvjp(fn, rule_for_arg0, rule_for_arg1, ...)` registers one rule per positional
argument, `None` meaning that argument gets no gradient. `params` lists the keyword
arguments the rules understand; a call passing any other keyword is refused.
`unbroadcast=True` marks a broadcasting elementwise function: the reverse pass sums each
cotangent back to its argument's shape, unless it can tell that no broadcasting happened.

Forward mode mirrors this: `defjvp(fn, jvp_for_arg0, jvp_for_arg1, ...)` registers one
rule `(t, ans, *args, **params) -> tangent of the output` per positional argument,
where `t` is that argument's tangent; the forward pass adds the contributions of the
arguments that carry a tangent. A contribution may be any array that broadcasts to the
output's shape.

A function returning a tuple (`np.linalg.qr`) gets `g` as a tuple holding `None` for
the outputs that receive no cotangent, and its JVP rules return a tuple of tangents.
"""
from __future__ import annotations

import builtins
import operator
from dataclasses import dataclass, replace

import numpy as np

from ..errors import RuleError


@dataclass(frozen=True)
class Rule:
    fn: object
    vjps: tuple  # one per positional argument; None where there is no gradient
    params: frozenset = frozenset()
    unbroadcast: bool = False
    jvps: tuple | None = None  # one per positional argument, like `vjps`
    outputs: int | str | None = None  # a tuple-returning function: how many outputs, or "variable"
    # For a function whose signature does not name its parameters (`norm.logpdf(x, *args,
    # **kwds)`): the positional parameters' names and defaults (REQUIRED for none), so
    # that one passed by keyword goes to its position and can be differentiated.
    positional: tuple = ()

    @property
    def nargs(self) -> int:
        return len(self.vjps)

    @property
    def length(self) -> int | None:
        """The number of outputs of a tuple-returning function, when it is fixed."""
        return self.outputs if isinstance(self.outputs, int) else None


_RULES: dict = {}
_NONDIFF: set = set()
_CHANGES = [0]  # registrations so far: compiled code made before the last one may be stale


def table_version() -> int:
    """A number that changes whenever a rule is registered (compile caches key on it)."""
    return _CHANGES[0]


REQUIRED = object()  # a positional parameter without a default (see `Rule.positional`)


def passes_nothing(g, ans, *args, **params):
    """The VJP of an argument through which nothing flows, even where the activity analysis
    sees a differentiated value there (an index, a shape or a key taken from a record that
    also holds differentiated values): no cotangent, unlike a missing rule, which refuses."""
    return None


def defvjp(fn, *vjps, params=(), unbroadcast=False, outputs=None, positional=()) -> None:
    """Register reverse-mode rules for `fn`, one per positional argument.

    `outputs`: for a function returning a tuple, the number of its outputs (or
    `"variable"`, as for `np.split`); its rules then receive `g` as a tuple.
    `positional`: see `Rule.positional`.
    """
    if not vjps:
        raise RuleError(f"defvjp({_name(fn)}) needs one rule (or None) per positional argument")
    for rule in vjps:
        if rule is not None and not callable(rule):
            raise RuleError(f"defvjp({_name(fn)}): {rule!r} is neither a function nor None")
    old = _RULES.get(fn)
    _RULES[fn] = Rule(fn, tuple(vjps), frozenset(params), unbroadcast, old.jvps if old else None, outputs,
                      tuple(positional))
    _CHANGES[0] += 1


def defjvp(fn, *jvps) -> None:
    """Register forward-mode rules for `fn`, one per positional argument, after its VJPs."""
    rule = _RULES.get(fn)
    if rule is None:
        raise RuleError(f"defjvp({_name(fn)}): register the VJP rules first with defvjp")
    if len(jvps) != rule.nargs:
        raise RuleError(f"defjvp({_name(fn)}): {len(jvps)} rules given, but its VJP rules cover {rule.nargs} arguments")
    for i, (vjp, jvp) in enumerate(zip(rule.vjps, jvps)):
        if (vjp is None) != (jvp is None):
            raise RuleError(f"defjvp({_name(fn)}): argument {i} has a VJP rule but no JVP rule, or the reverse")
    _RULES[fn] = replace(rule, jvps=tuple(jvps))
    _CHANGES[0] += 1


def nondiff(*fns) -> None:
    """Declare functions whose outputs never carry a gradient (comparisons, shapes, floor)."""
    _NONDIFF.update(fns)
    _CHANGES[0] += 1


def is_elementwise(fn) -> bool:
    """Whether `fn` works entry by entry: its output has the broadcast shape of its inputs."""
    if isinstance(fn, np.ufunc):
        return fn.signature is None and fn.nout == 1
    rule = rule_for(fn)
    return rule is not None and rule.unbroadcast or fn in _ELEMENTWISE_OPERATORS


_ELEMENTWISE_OPERATORS = {operator.neg, operator.pos, builtins.abs}


def rule_for(fn) -> Rule | None:
    try:
        return _RULES.get(fn)
    except TypeError:  # unhashable callables have no rules
        return None


def is_nondiff(fn) -> bool:
    try:
        return fn in _NONDIFF
    except TypeError:
        return False


def registered() -> dict:
    """A copy of the table, for documentation and coverage reports."""
    return dict(_RULES)


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
