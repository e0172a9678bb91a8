"""Stage 6: reverse mode. From a primal function, build one that also returns adjoints.

The result keeps the primal ops (the forward pass) and appends, for each active op in
reverse order, the ops its VJP rules record (the backward pass):

    def f_grad(x, w):                    params as in f
        <forward ops of f>
        y_bar = 1.0                      the seed: `Function.seed`, bound by the emitter
        <backward ops, last primal op first>
        return y, x_bar                  value, gradient(s)[, retained adjoints]

An adjoint is named after its primal (`x_bar`). Its first contribution is assigned, the
next ones are added (`x_bar = x_bar + ...`), never into a zero array. A `wrt` argument
that the output does not depend on gets zeros of its own type and shape.

Straight-line code only: the adjoints of `If`, `For` and `While` arrive with the
control-flow lowering.
"""
from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass

from . import runtime
from .activity import analyse
from .errors import MissingRuleError, UnsupportedArgumentError, UnsupportedSyntaxError
from .ir import Call, Const, Function, Region, Value
from .naming import describe
from .rules import is_nondiff, rule_for
from .shapes import ShapeClasses
from .tracing import Recorder, Symbol, as_operand, record


@dataclass(frozen=True)
class Request:
    """What to differentiate: the indices of `wrt` parameters and the names to retain."""

    wrt: tuple[int, ...]
    retain: tuple[str, ...] = ()
    tuple_wrt: bool = False  # return the gradients as a tuple even for one parameter


def reverse(fn: Function, request: Request, name: str, user_names=frozenset()) -> Function:
    output = fn.returns[0]
    wrt = [fn.params[i] for i in request.wrt]
    retained = [find_named(fn, n) for n in request.retain]
    activity = analyse(fn, wrt + retained, [output])
    sweep = _Sweep(activity, ShapeClasses(fn), user_names)
    seed = Value(f"{output.hint if isinstance(output, Value) else 'out'}_bar")
    if isinstance(output, Value):
        sweep.adjoints[output] = seed
    for op in reversed(fn.body.ops):
        sweep.op(op)
    grads = [sweep.final(p) for p in wrt]
    results = [output, sweep.tuple_of(grads, fn.loc) if request.tuple_wrt else grads[0]]
    if retained:
        results.append(sweep.tuple_of([sweep.final(v) for v in retained], fn.loc))
    ops = fn.body.ops + tuple(sweep.ops)
    return Function(name, fn.params, Region((), ops, tuple(results)), fn.loc, seed, len(fn.body.ops))


def find_named(fn: Function, name: str) -> Value | None:
    """The last value the user's code bound to `name`."""
    found = next((p for p in fn.params if p.hint == name), None)
    for op in fn.body.ops:
        for r in op.results:
            if r.hint == name:
                found = r
    return found


class _Sweep:
    def __init__(self, activity, shapes, user_names):
        self.activity = activity
        self.shapes = shapes
        self.user_names = user_names
        self.adjoints: dict[Value, object] = {}
        self.ops: list = []

    def op(self, op) -> None:
        if not isinstance(op, Call):
            raise UnsupportedSyntaxError("control flow cannot be differentiated yet", op.loc)
        result = op.results[0]
        g = self.adjoints.get(result)
        if g is None or result not in self.activity.varied or is_nondiff(op.fn):
            return
        active = [i for i, a in enumerate(op.args) if a in self.activity.varied]
        rule = self._rule(op, active)
        params = self._params(op, rule)
        for i in active:
            with Recorder(op.loc) as recorder:
                contribution = rule.vjps[i](Symbol(g), Symbol(result), *map(_symbolic, op.args), **params)
                if rule.unbroadcast and self.shapes.broadcasts_to(op, i):
                    contribution = record(runtime.unbroadcast, contribution, _symbolic(op.args[i]))
                contribution = as_operand(contribution)
            self.ops += recorder.ops
            fresh = bool(recorder.ops) and recorder.ops[-1].results[0] is contribution
            self.accumulate(op.args[i], contribution, fresh, op.loc)

    def _rule(self, op, active):
        rule = rule_for(op.fn)
        name = describe(op.fn)
        if rule is None:
            raise MissingRuleError(
                f"`{name}` has no derivative rule, and a differentiated value flows into it",
                op.loc,
                f"Register one with `@adcompiler.adjoint({name})`, or wrap the argument in "
                f"`adcompiler.stop_gradient(...)` if no gradient should flow through it.",
            )
        for i in active:
            if i >= rule.nargs or rule.vjps[i] is None:
                raise MissingRuleError(
                    f"`{name}` has no derivative with respect to its argument {i + 1}, "
                    f"and a differentiated value is passed there", op.loc,
                    "Pass a constant there, or wrap the argument in `adcompiler.stop_gradient(...)`.")
        return rule

    def _params(self, op, rule) -> dict:
        params = {}
        for key, value in op.kwargs:
            if key not in rule.params:
                raise UnsupportedArgumentError(
                    f"the derivative of `{describe(op.fn)}` does not handle the keyword argument `{key}=`",
                    op.loc, "Remove the argument, or compute the result another way.")
            if not isinstance(value, Const) or value.name is not None:
                raise UnsupportedArgumentError(
                    f"`{key}=` of `{describe(op.fn)}` must be a constant written in the source",
                    op.loc, f"Write the value of `{key}` literally, e.g. `{key}=0`.")
            params[key] = value.value
        return params

    def accumulate(self, target, contribution, fresh: bool, loc) -> None:
        """Add `contribution` to the adjoint of `target`; `fresh`: it was just recorded."""
        name = f"{target.hint}_bar"
        old = self.adjoints.get(target)
        if old is None and fresh:
            self.adjoints[target] = self._named(contribution, name)
        elif old is None and isinstance(contribution, Value) and target.hint in self.user_names:
            alias = Value(name, loc)  # the user's variable gets its own adjoint name
            self.ops.append(Call((alias,), runtime.rename, (contribution,), (), loc))
            self.adjoints[target] = alias
        elif old is None:
            self.adjoints[target] = contribution
        else:
            total = Value(name, loc)
            self.ops.append(Call((total,), operator.add, (old, contribution), (), loc))
            self.adjoints[target] = total

    def _named(self, contribution: Value, name: str) -> Value:
        """Name the value just recorded after the adjoint it becomes."""
        op = self.ops[-1]
        named = Value(name, contribution.loc)
        self.ops[-1] = dataclasses.replace(op, results=(named,))
        return named

    def final(self, value):
        """The adjoint of `value` at the end of the sweep: zeros if nothing flowed into it."""
        if value is None:
            return Const(None)
        adjoint = self.adjoints.get(value)
        if adjoint is not None:
            return adjoint
        zeros = Value(f"{value.hint}_bar", value.loc)
        self.ops.append(Call((zeros,), runtime.zeros_like_input, (value,), (), value.loc))
        self.adjoints[value] = zeros
        return zeros

    def tuple_of(self, items, loc):
        result = Value("grads", loc)
        self.ops.append(Call((result,), runtime.make_tuple, tuple(items), (), loc))
        return result


def _symbolic(operand):
    """How a rule sees an operand: a symbol for values and named globals, the literal otherwise."""
    if isinstance(operand, Value) or (isinstance(operand, Const) and operand.name is not None):
        return Symbol(operand)
    return operand.value
