"""Forward mode: from a primal function, one that also returns a directional derivative.

Each op is followed by the ops its JVP rules record (`rules/`, per argument, summed):

    def f_jvp(x, w, x_dot):             params of f, then the tangents of `wrt`
        y = np.sin(x)
        y_dot = x_dot * np.cos(x)        the tangent of each value next to it
        return y, y_dot

There is no tape: control flow carries tangents like any other value. An `If` yields
the tangents of its results; a loop carries the tangents of its carried values. A
`grad` of a function of one Python float uses it (seeded with 1.0), since one forward
sweep gives the whole derivative with no tape at all.
"""
from __future__ import annotations

import dataclasses
import operator

import numpy as np

from . import abstract, runtime
from .containers import tuple_valued
from .errors import MissingRuleError
from .ir import Call, Const, For, Function, If, Region, Value, free_values
from .naming import describe
from .reverse import is_square, rule_params
from .rules import is_nondiff, rule_for
from .tracing import Recorder, Symbol, as_operand, recordable

_spread_tangent = recordable(runtime.spread_tangent)


def forward(fn: Function, wrt: tuple, name: str, types: dict, seeds=None) -> Function:
    """The forward-mode function. `seeds` maps each `wrt` index to the operand its tangent
    starts from (default: a new parameter `x_dot`, appended to the parameters)."""
    params = list(fn.params)
    tangents: dict = {}
    start: list = []
    for i in wrt:
        seed = (seeds or {}).get(i)
        tangent = Value(f"{fn.params[i].hint}_dot", fn.params[i].loc)
        if seed is None:
            params.append(tangent)
        else:  # `x_dot = 1.0`: a value of its own, so that rules see a symbol
            start.append(Call((tangent,), runtime.rename, (seed,), (), fn.loc))
            types[tangent] = abstract.value_of(types, seed) or abstract.Scalar("float")
        tangents[fn.params[i]] = tangent
    sweep = _Forward(types, tangents, tuple_valued(fn.body)[0])
    ops = start + sweep.region_ops(fn.body.ops)
    output = fn.returns[0]
    out_dot = sweep.tangent_or_zeros(output, ops, fn.loc)
    return Function(name, tuple(params), Region((), tuple(ops), (output, out_dot)), fn.loc)


class _Forward:
    def __init__(self, types: dict, tangents: dict, containers=frozenset()):
        self.types = types
        self.tangents = tangents
        self.containers = containers  # values known to hold tuples, lists or dicts
        self.producers: dict = {}  # value -> the primal op that computes it

    def symbol(self, operand):
        if isinstance(operand, Value) or isinstance(operand, Const) and operand.name is not None:
            return Symbol(operand, abstract.value_of(self.types, operand))
        return operand.value

    def region_ops(self, ops) -> list:
        out: list = []
        for op in ops:
            if isinstance(op, Call):
                self.producers[op.results[0]] = op
                out.append(op)
                self.call(op, out)
            elif isinstance(op, If):
                out.append(self.if_(op))
            else:
                prelude, loop = self.loop(op)
                out += prelude
                out.append(loop)
        return out

    def tangent_or_zeros(self, value, ops: list, loc):
        t = self.tangents.get(value)
        if t is not None:
            return t
        if not isinstance(value, Value) and not (isinstance(value, Const) and value.name is not None
                                                 and isinstance(value.value, (np.ndarray, list, tuple, dict))):
            return Const(0.0)  # a number's: broadcasting spreads it
        zeros = Value(f"{value.hint if isinstance(value, Value) else 'constant'}_dot", loc)  # a global array's: its shape
        ops.append(Call((zeros,), runtime.zeros_like_input, (value,), (), loc))
        return zeros

    # ------------------------------------------------------------ calls

    def call(self, op: Call, out: list) -> None:
        active = [i for i, a in enumerate(op.args) if self.tangents.get(a) is not None]
        if is_nondiff(op.fn):
            return
        for key, value in op.kwargs:
            if self.tangents.get(value) is not None:
                raise MissingRuleError(f"`{op.fn_name or describe(op.fn)}` has no derivative with respect to its "
                                       f"argument `{key}=`", op.loc, "Pass a constant there.")
        if not active:
            return
        result = op.results[0]
        name = f"{result.hint}_dot"
        if op.fn in (runtime.make_tuple, runtime.make_list, runtime.list_append):
            items = [self.tangent_or_zeros(a, out, op.loc) for a in op.args]  # a list's zeros: a list of zeros
            self.tangents[result] = self._record(out, op.fn, items, name, op.loc)
            return
        if op.fn is runtime.make_dict:  # keys, then values: the tangent has the same keys
            items = [a if k % 2 == 0 else self.tangent_or_zeros(a, out, op.loc) for k, a in enumerate(op.args)]
            self.tangents[result] = self._record(out, op.fn, items, name, op.loc)
            return
        if op.fn is operator.getitem and not isinstance(abstract.value_of(self.types, op.args[0]), abstract.Array) \
                and op.args[0] in self.tangents and 0 not in active[1:]:
            self.tangents[result] = self._record(out, operator.getitem, [self.tangents[op.args[0]], op.args[1]],
                                                 name, op.loc)
            return
        abstract.check_not_joining_containers(op, self.types)
        abstract.check_not_updating_container(op, self.types, self.containers)
        rule = rule_for(op.fn)
        if rule is None or rule.jvps is None or any(i >= rule.nargs or rule.jvps[i] is None for i in active):
            raise MissingRuleError(f"`{op.fn_name or describe(op.fn)}` has no forward-mode (JVP) rule for the "
                                   "argument a differentiated value flows into", op.loc,
                                   "Register one with `@adcompiler.adjoint(fn, jvp=...)`.")
        params = rule_params(op, rule)
        if op.fn in (runtime.setitem, runtime.add_at) and active == [0, 2] and self._holds_floats(result):
            # `x[i] = v` (or `+=`) with both tangents: `x_dot[i] = v_dot`, one update (the two
            # rules' sum would add a whole array of zeros, carrying `v_dot`, to `x_dot`)
            self.tangents[result] = self._record(out, op.fn, [self.tangents[op.args[0]], op.args[1],
                                                            self.tangents[op.args[2]]], name, op.loc)
            return
        add = runtime.add_structures if rule.outputs is not None else operator.add  # a tuple of outputs: item by item
        total, recorded = None, len(out)
        negated = self._negated_square(op)
        if negated is not None:  # `-x * x`: one term, `-2 x x_dot`, which does not read `-x`
            x = op.args[negated]
            with Recorder(op.loc, self.types) as recorder:
                total = as_operand(-2.0 * self.symbol(x) * self.symbol(self.tangents[x]))
            out += recorder.ops
            active = []
        square = is_square(op)
        for i in active[:1] if square else active:
            with Recorder(op.loc, self.types) as recorder:
                contribution = rule.jvps[i](self.symbol(self.tangents[op.args[i]]), self.symbol(result),
                                            *map(self.symbol, op.args), **params)
                if square:  # `x * x`: both factors' terms at once (2.0: float arithmetic stays float)
                    contribution = contribution * 2.0
                if rule.unbroadcast and self._may_broadcast(op.args[i], result):
                    contribution = _spread_tangent(contribution, self.symbol(result))
                contribution = as_operand(contribution)
            out += recorder.ops
            total = contribution if total is None else self._record(out, add, [total, contribution], name, op.loc)
        if isinstance(total, Value) and len(out) > recorded and out[-1].results[0] is total:
            out[-1] = dataclasses.replace(out[-1], results=(Value(name, op.loc),))
            total = out[-1].results[0]
        self.tangents[result] = total

    def _holds_floats(self, value) -> bool:
        av = abstract.value_of(self.types, value)
        return isinstance(av, abstract.Array) and av.dtype is not None and av.dtype.kind in "fc"

    def _negated_square(self, op: Call):
        """The position of `x` when `op` is `-x * x` or `x * -x` (both with tangents), else None."""
        if op.fn is not operator.mul or len(op.args) != 2 or op.kwargs:
            return None
        for k in (0, 1):
            neg, x = self.producers.get(op.args[1 - k]), op.args[k]
            if isinstance(neg, Call) and neg.fn is operator.neg and neg.args[0] is x and isinstance(x, Value) \
                    and self.tangents.get(x) is not None:
                return k
        return None

    def _may_broadcast(self, arg, result) -> bool:
        """Whether an elementwise op's argument may have fewer elements than its result (a
        float added to an array): its tangent must then be spread to the result's shape."""
        have, want = abstract.value_of(self.types, arg), abstract.value_of(self.types, result)
        if not isinstance(want, abstract.Array):
            return False
        if not isinstance(have, abstract.Array) or have.dims is None or want.dims is None:
            return True
        return len(have.dims) != len(want.dims) or any(d != abstract.MANY for d in have.dims)

    def _record(self, out: list, fn, args, hint: str, loc) -> Value:
        value = Value(hint, loc)
        out.append(Call((value,), fn, tuple(args), (), loc))
        return value

    # ------------------------------------------------------------ control flow

    def if_(self, op: If) -> If:
        branches = []
        saved = dict(self.tangents)
        results_with = set()
        inner = []
        for region in (op.then, op.orelse):
            self.tangents = dict(saved)
            ops = self.region_ops(region.ops)
            inner.append((ops, dict(self.tangents)))
            results_with |= {k for k, y in enumerate(region.yields) if self.tangents.get(y) is not None}
        order = sorted(results_with)
        for region, (ops, tangents) in zip((op.then, op.orelse), inner):
            self.tangents = tangents
            extra = [self.tangent_or_zeros(region.yields[k], ops, op.loc) for k in order]
            branches.append(Region(region.params, tuple(ops), region.yields + tuple(extra)))
        self.tangents = saved
        new_results = tuple(Value(f"{op.results[k].hint}_dot", op.loc) for k in order)
        self.tangents.update(zip((op.results[k] for k in order), new_results))
        return dataclasses.replace(op, results=op.results + new_results, then=branches[0], orelse=branches[1])

    def loop(self, op):
        n = len(op.inits)
        carried = op.body.params[len(op.body.params) - n:]
        with_tangent = {j for j, init in enumerate(op.inits) if self.tangents.get(init) is not None}
        outer = dict(self.tangents)
        while True:  # which carried values get a tangent: a fixed point over the body
            self.tangents = dict(outer)
            self.tangents.update((carried[j], Value("probe", None)) for j in with_tangent)
            self.region_ops(op.body.ops)
            more = {j for j, y in enumerate(op.body.yields[:n]) if self.tangents.get(y) is not None} | with_tangent
            if more == with_tangent:
                break
            with_tangent = more
        order = sorted(with_tangent)
        self.tangents = dict(outer)
        params_dot = [Value(f"{carried[j].hint}_dot", op.loc) for j in order]
        if self._one_scalar_source(op, [carried[j] for j in order], outer):
            ops, yields_dot = self._scaled_body(op, carried[order[0]], params_dot[0], order[0])
        else:
            self.tangents.update(zip((carried[j] for j in order), params_dot))
            ops = self.region_ops(op.body.ops)
            yields_dot = [self.tangent_or_zeros(op.body.yields[j], ops, op.loc) for j in order]
        self.tangents = outer
        pre: list = []
        inits_dot = [self.tangent_or_zeros(op.inits[j], pre, op.loc) for j in order]
        results_dot = tuple(Value(f"{op.results[j].hint}_dot", op.loc) for j in order)
        extra_params = tuple(params_dot)
        body = Region(op.body.params + extra_params, tuple(ops), op.body.yields[:n] + tuple(yields_dot)
                      + op.body.yields[n:])
        changes = dict(inits=op.inits + tuple(inits_dot), body=body,
                       results=op.results[:n] + results_dot + op.results[n:])
        if not isinstance(op, For):
            cond = op.cond
            changes["cond"] = Region(cond.params + tuple(Value(p.hint, op.loc) for p in extra_params),
                                     cond.ops, cond.yields)
        self.tangents.update(zip((op.results[j] for j in order), results_dot))
        return pre, dataclasses.replace(op, **changes)

    def _one_scalar_source(self, op, carried_with_tangent, outer) -> bool:
        """Whether every tangent in the loop's body is a multiple of one number: the loop
        carries the tangent of one Python float, and reads no other tangent."""
        if len(carried_with_tangent) != 1:
            return False
        if not isinstance(abstract.value_of(self.types, carried_with_tangent[0]), abstract.Scalar):
            return False
        regions = op.regions
        return not any(outer.get(v) is not None for r in regions for v in free_values(r))

    def _scaled_body(self, op, param, param_dot, k):
        """The body, with the tangents of one carried number `param` written as multiples
        of its tangent: each value's derivative with respect to `param` (seeded with the
        literal 1.0, so that rules fold their products), and one product with `param_dot`
        for the next tangent, the arithmetic one writes by hand. The op computing the
        next `param` goes last, so that it can overwrite `param` in place."""
        self.tangents[param] = Const(1.0)
        ops = self.region_ops(op.body.ops)
        derivative = self.tangent_or_zeros(op.body.yields[k], ops, op.loc)
        loc = next((o.loc for o in reversed(ops) if derivative in o.results), op.loc)  # the line it belongs to
        with Recorder(loc, self.types) as recorder:
            next_dot = as_operand(self.symbol(param_dot) * self.symbol(derivative))
        ops += recorder.ops
        return _sunk(ops, op.body.yields[k]), [next_dot]


def _sunk(ops: list, value) -> list:
    """`ops` with the op defining `value` moved to the end, when no later op reads it."""
    at = next((i for i, o in enumerate(ops) if value in o.results), None)
    if at is None or not isinstance(ops[at], Call):
        return ops
    later = ops[at + 1:]
    if any(value in o.operands for o in later) or any(value in free_values(r) for o in later for r in o.regions):
        return ops
    return ops[:at] + later + [ops[at]]


def forward_gradient(fn: Function, wrt: int, name: str, types: dict, with_value: bool,
                     as_tuple: bool = False) -> Function:
    """The derivative of a function of one Python float, by one forward sweep seeded with
    1.0: what `grad` compiles for such a function (`as_tuple`: `wrt` was given as a tuple)."""
    result = forward(fn, (wrt,), name, types, seeds={wrt: Const(1.0)})
    value, dot = result.returns
    ops = list(result.body.ops)
    if not isinstance(abstract.value_of(types, dot), abstract.Scalar) or isinstance(dot, Const):
        converted = Value(dot.hint if isinstance(dot, Value) else f"{fn.params[wrt].hint}_bar", fn.loc)
        ops.append(Call((converted,), float, (dot,), (), fn.loc))  # float in, float out
        dot = converted
    if as_tuple:
        grads = Value("grads", fn.loc)
        ops.append(Call((grads,), runtime.make_tuple, (dot,), (), fn.loc))
        dot = grads
    returns = (value, dot) if with_value else (dot,)
    return dataclasses.replace(result, body=Region((), tuple(ops), returns))
