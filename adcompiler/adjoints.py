"""`@adcompiler.adjoint(fn)`: the user's own derivative rule for a function.

    @adcompiler.adjoint(log1pexp)
    def log1pexp_vjp(g, ans, x):
        return g * expit(x)

The rule is plain NumPy, `(g, ans, *fn's parameters) -> cotangents`, one per
parameter (a tuple, with `None` where there is none; a single value for a function of
one parameter). Like the built-in rules it is inlined into the generated code, so it
appears in `g.source`. `jvp=` takes the forward-mode rule, `(tangents, ans, *args) ->
tangent of the output`, linear in `tangents`; it is called once per argument that has
a tangent, the others' zero (`None` for arguments that are not numbers or arrays).
"""
from __future__ import annotations

import inspect

import numpy as np

from .errors import RuleError
from .rules.registry import defjvp, defvjp
from .tracing import Symbol


def adjoint(fn, jvp=None):
    """Register the decorated function as the VJP rule of `fn` (and `jvp` as its JVP rule)."""
    names = _positional_names(fn, "the function")

    def register(vjp):
        _check_rule(vjp, names, fn, "(g, ans")
        if jvp is not None:
            _check_rule(jvp, names, fn, "(tangents, ans")
        n = len(names)
        defvjp(fn, *[_vjp_part(vjp, i, n) for i in range(n)])
        if jvp is not None:
            defjvp(fn, *[_jvp_part(jvp, i, n) for i in range(n)])
        return vjp

    return register


def _positional_names(fn, what: str) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        raise RuleError(f"cannot read the parameters of {what} {fn!r}; wrap it in a `def` with named parameters") from None
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        raise RuleError(f"{what} {getattr(fn, '__name__', fn)} takes `*args`, `**kwargs` or keyword-only "
                        "parameters; adjoints can be registered for functions with named positional parameters")
    return [p.name for p in params]


def _check_rule(rule, names: list[str], fn, leading: str) -> None:
    rule_names = _positional_names(rule, "the rule")
    fn_name = getattr(fn, "__name__", repr(fn))
    expected = f"{leading}, {', '.join(names)})"
    if len(rule_names) != len(names) + 2:
        raise RuleError(f"the rule {rule.__name__} for {fn_name} takes {len(rule_names)} parameters; "
                        f"it must take {len(names) + 2}: {expected}")
    unknown = [r for r, n in zip(rule_names[2:], names) if r != n]
    if unknown:
        raise RuleError(f"the rule {rule.__name__} for {fn_name} names its parameters {tuple(rule_names[2:])}, "
                        f"but {fn_name}'s are {tuple(names)}: write it as `def {rule.__name__}{expected}`")


def _vjp_part(vjp, i: int, n: int):
    def part(g, ans, *args):
        cotangents = vjp(g, ans, *args)
        if n == 1 and not isinstance(cotangents, tuple):
            return cotangents
        if not isinstance(cotangents, tuple) or len(cotangents) != n:
            raise RuleError(f"the rule {vjp.__name__} must return a tuple of {n} cotangents (None where there is none)")
        return cotangents[i]

    return part


def _jvp_part(jvp, i: int, n: int):
    """The rule's term for argument `i`: the other tangents zero (a rule is linear in them,
    so the terms of the arguments with tangents add up to the whole)."""
    def part(t, ans, *args):
        return jvp(tuple(t if j == i else _zero_like(args[j]) for j in range(n)), ans, *args)

    return part


def _zero_like(arg):
    """A zero tangent for `arg` (None for what is not a number or an array)."""
    return 0.0 * arg if isinstance(arg, Symbol) or isinstance(arg, (int, float, np.ndarray)) else None
