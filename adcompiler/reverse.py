"""Stage 6: reverse mode. From a primal function, build one that also returns adjoints.

The result keeps the primal ops (the forward pass) and appends, for each active op in
reverse order, the ops its VJP rules record (the backward pass):

    def f_grad(x, w):                    params as in f
        <forward ops of f>               loops also fill their tapes
        y_bar = 1.0                      the seed: `Function.seed`, bound by the emitter
        <backward ops, last primal op first>
        return y, x_bar                  value, gradient(s)[, retained adjoints]

An adjoint is named after its primal (`x_bar`). Its first contribution is assigned and
the next ones added (`x_bar = x_bar + ...`), never into a zero array; a `wrt` argument
the output does not depend on gets zeros of its own type and shape.

Control flow keeps its shape:

- `If`: the adjoint is an `If` on the same condition, whose branches are the backward
  sweeps of the forward branches. It yields the adjoints of the outer values either
  branch touches. A value defined inside a forward branch that its backward branch
  reads is exported from the forward `If` as an extra result (`If.exports`).
- `For` and `While`: the adjoint is a `For` over the reversed tape. The tape holds,
  for each iteration, exactly the values defined in the forward body that the backward
  body reads, and nothing else: that is the to-be-recorded analysis, computed by
  building the backward body first and recording its free variables. Values from
  outside the loop are read where they are, never copied; since the IR is in SSA form
  and arrays are updated functionally, no recorded value can be overwritten later.
  Branch decisions inside a loop are recorded the same way (the condition is a value
  the backward `If` reads), and so are loop targets. When the backward body needs no
  value, the forward loop counts its iterations instead (`_n`), and the backward loop
  runs that many times. The shape of the generated code:

      _tape = []                              for t, h in reversed(_tape):
      for t in range(T):                          <adjoint of the body>
          h = ...                      ->     (carrying the adjoints of the loop's
          _tape.append((t, h))                 carried values and of the outer values
                                               the body reads)

Tuples: an op returning a tuple (`make_tuple`, `np.linalg.qr`) gets a compile-time
`TupleAdjoint` holding one adjoint per element that is read; rules of tuple-returning
functions receive it as a tuple with `None` where no cotangent flows.
"""
from __future__ import annotations

import contextlib
import dataclasses
import operator

import numpy as np
from dataclasses import dataclass

from . import abstract, runtime, tracing
from .activity import analyse
from .errors import ADError, MissingRuleError, UnsupportedArgumentError, UnsupportedSyntaxError
from .aliasing import UPDATES, VIEWS
from .calls import why_not_inlined
from .containers import TUPLE_MAKERS, tuple_valued
from .ir import Call, Const, For, Function, If, Region, Value, While, free_values, substitute
from .optimize import without_dead_ops
from .naming import describe
from .rules import is_nondiff, rule_for
from .shapes import ShapeClasses
from .tracing import Recorder, Symbol, as_operand, record

METADATA = (np.shape, np.ndim, np.size, len)


@dataclass(frozen=True)
class Request:
    """What to differentiate: the indices of `wrt` parameters and the names to retain."""

    wrt: tuple[int, ...]
    retain: tuple[str, ...] = ()
    tuple_wrt: bool = False  # return the gradients as a tuple even for one parameter


def reverse(fn: Function, request: Request, name: str, user_names=frozenset(), types=None,
            with_value: bool = True, seed_is_one: bool = False, finished: bool | None = None) -> Function:
    """`types`: what is known of the primal values (`abstract.infer`); the dict is extended
    with what becomes known of the values the reverse pass makes. Without `with_value`
    (a `grad` whose output is known to be a scalar) the function returns the gradients
    only and the value is not computed unless the backward pass needs it. `finished`
    (by default: without the value) returns each gradient as the caller gets it
    (`as_gradient`)."""
    output = fn.returns[0]
    wrt = [fn.params[i] for i in request.wrt]
    retained = [find_named(fn, n) for n in request.retain]
    types = {} if types is None else types
    tuples, lengths = tuple_valued(fn.body)
    context = _Context(analyse(fn, wrt + retained, [output]), ShapeClasses(fn, types, tuples), frozenset(user_names),
                       tuples, types, lengths)
    sweep = _Sweep(context, {})
    seed = Value(f"{output.hint if isinstance(output, Value) else 'out'}_bar")
    if isinstance(output, Value):
        sweep.adjoints[output] = seed
        if seed_is_one:
            types[seed] = abstract.Scalar("float")
        else:
            context.typed(seed, output)
    sweep.run(fn.body.ops)
    grads = [sweep.adjoint_or_zeros(p) for p in wrt]
    if (not with_value) if finished is None else finished:
        grads = [sweep.as_gradient(g, p) for g, p in zip(grads, wrt)]
    results = [output] if with_value else []
    results.append(sweep.tuple_of(grads, fn.loc) if request.tuple_wrt else grads[0])
    if retained:
        results.append(sweep.tuple_of([sweep.adjoint_or_zeros(v) for v in retained], fn.loc))
    forward = context.forward(fn.body.ops)
    ops = forward + tuple(sweep.ops)
    return Function(name, fn.params, Region((), ops, tuple(results)), fn.loc, seed, len(forward))


def check(fn: Function, request: Request) -> None:
    """Raise, without building anything, the errors `reverse` would raise for a missing rule,
    a missing argument rule or an unhandled keyword (the errors the source decides)."""
    from .ir import walk_ops

    wrt = [fn.params[i] for i in request.wrt]
    retained = [find_named(fn, n) for n in request.retain]
    activity = analyse(fn, wrt + retained, [fn.returns[0]])
    sweep = _Sweep(_Context(activity, None, frozenset(), set(), {}, {}), {})
    for op in walk_ops(fn.body):
        if not isinstance(op, Call) or is_nondiff(op.fn) or op.fn in TUPLE_MAKERS or op.fn is runtime.make_dict:
            continue
        if op.fn is operator.getitem or not activity.active(op.results[0]):
            continue
        active = [i for i, a in enumerate(op.args) if a in activity.varied]
        rule = sweep._rule(op, active)
        params = rule_params(op, rule)
        symbol = sweep.context.symbol
        for i in active:  # a rule may refuse its arguments (an unsupported `ord=`): run it, keep nothing
            try:
                with Recorder(op.loc, {}), _located(op.loc):
                    rule.vjps[i](symbol(op.results[0]), symbol(op.results[0]), *map(symbol, op.args), **params)
            except ADError:
                raise
            except Exception:  # noqa: BLE001 - a tuple-valued op's rule wants its real cotangent: compiled later
                pass


def find_named(fn: Function, name: str) -> Value | None:
    """The last value the user's code bound to `name` at the top level of the function."""
    found = next((p for p in fn.params if p.hint == name), None)
    for op in fn.body.ops:
        for r in op.results:
            if r.hint == name:
                found = r
    return found


class Spread:
    """An adjoint that is one number for every element of its primal, as a sum's or a mean's
    is: it stays that number while elementwise ops of the primal's shape consume it, and
    becomes an array only where something needs the array (`_Sweep.spread_out`)."""

    def __init__(self, value, like: Value):
        self.value = value  # the number (an operand)
        self.like = like  # the primal whose shape it stands for


class TupleAdjoint:
    """The adjoint of a tuple, element by element; `None` where nothing flowed."""

    def __init__(self, items: dict):
        self.items = dict(items)  # index -> operand

    def as_tuple(self, length: int | None = None) -> tuple:
        n = length if length is not None else max(self.items, default=-1) + 1
        return tuple(self.items.get(i) for i in range(n))


@dataclass
class _Context:
    activity: object
    shapes: ShapeClasses
    user_names: frozenset
    tuples: set  # values known to hold tuples or lists
    types: dict  # value -> abstract value (see `abstract`)
    lengths: dict  # tuple-valued value -> its number of items, where the op making it says
    replacements: dict = dataclasses.field(default_factory=dict)  # id(forward op) -> op with tape

    def forward(self, ops) -> tuple:
        return tuple(self.replacements.get(id(op), op) for op in ops)

    def length(self, container):
        """The number of items of a tuple or list, if known before run time."""
        av = self.types.get(container)
        if isinstance(av, abstract.Sequence) and av.kind != "shape":
            return len(av.items)
        return self.lengths.get(container)

    def is_container(self, value) -> bool:
        """Whether `value` holds a tuple, list or dict (indexing it picks an element)."""
        return value in self.tuples or isinstance(self.types.get(value), (abstract.Sequence, abstract.Mapping))

    def typed(self, new: Value, like, same: bool = False) -> Value:
        """`new`, known to be shaped like `like` (an adjoint is shaped like its primal; its
        dtype may differ: float32 data can have a float64 gradient until the end), or,
        with `same`, to be what `like` is (a new name for it)."""
        av = abstract.value_of(self.types, like)
        if isinstance(av, abstract.Array) and not same:
            av = abstract.Array(av.dims, None)
        if av is not None and av not in ("range", abstract.SLICE):
            self.types[new] = av
        return new

    def symbol(self, operand):
        """How a rule sees an operand: a symbol for values and named globals, the literal otherwise."""
        if isinstance(operand, Value) or (isinstance(operand, Const) and operand.name is not None):
            return Symbol(operand, abstract.value_of(self.types, operand))
        return operand.value


def rule_params(op: Call, rule) -> dict:
    """The keyword arguments of `op` as its rule takes them: ones it names, constants
    written in the source."""
    params = {}
    for key, value in op.kwargs:
        if key not in rule.params:
            raise UnsupportedArgumentError(
                f"the derivative of `{describe(op.fn)}` does not handle the keyword argument `{key}=`",
                op.loc, "Remove the argument, or compute the result another way.")
        if not isinstance(value, Const) or value.name is not None and isinstance(value.value, np.ndarray):
            raise UnsupportedArgumentError(
                f"`{key}=` of `{describe(op.fn)}` must be a constant written in the source",
                op.loc, f"Write the value of `{key}` literally, e.g. `{key}=0`.")
        params[key] = value.value
    return params


class _Sweep:
    """The backward sweep over one region: adjoints so far, and the ops recorded."""

    def __init__(self, context: _Context, adjoints: dict, in_loop: bool = False):
        self.context = context
        self.adjoints = adjoints
        self.ops: list = []
        self.in_loop = in_loop  # inside a loop, rules read shapes, which the tape can hold instead of arrays

    @property
    def varied(self):
        return self.context.activity.varied

    def run(self, ops) -> None:
        for op in reversed(ops):
            if isinstance(op, Call):
                self.call(op)
            elif isinstance(op, If):
                self.if_(op)
            else:
                self.loop(op)

    # ------------------------------------------------------------ calls

    def call(self, op: Call) -> None:
        result = op.results[0]
        g = self.adjoints.get(result)
        if g is None or result not in self.varied or is_nondiff(op.fn):
            return
        if isinstance(g, Spread):
            g = g.value if self._keeps_shape(op) else self.spread_out(g, op.loc)
        if op.fn in TUPLE_MAKERS:
            for i, arg in enumerate(op.args):
                item = self._item(g, i, op.loc)
                if arg in self.varied and item is not None:
                    self.accumulate(arg, item, False, op.loc)
            return
        if op.fn is runtime.make_dict:
            for key, arg in zip(op.args[::2], op.args[1::2]):
                item = self._item(g, key.value, op.loc)
                if arg in self.varied and item is not None:
                    self.accumulate(arg, item, False, op.loc)
            return
        if op.fn is operator.getitem and self.context.is_container(op.args[0]):
            index = op.args[1]
            length = self.context.length(op.args[0])
            if isinstance(index, Const) and isinstance(index.value, (int, str)) and \
                    not (isinstance(index.value, int) and index.value < 0 and length is None):
                key = index.value
                if isinstance(key, int) and key < 0:
                    key += length
                self.accumulate(op.args[0], TupleAdjoint({key: g}), False, op.loc)
                return
            # a key known at run time (or an item counted from the end of a list whose length is):
            # a copy of the adjoint, with g added
            old = self.adjoint_or_zeros(op.args[0], op.loc)
            if isinstance(g, TupleAdjoint):  # the item is a container itself (`layers[i]["W"]`): build it
                g = self.adjoint_or_zeros(op.results[0], op.loc)
            added = self.context.typed(Value(f"{op.args[0].hint}_bar", op.loc), op.args[0], same=True)
            self.ops.append(Call((added,), runtime.with_added, (old, index, g), (), op.loc))
            self.adjoints[op.args[0]] = added
            return
        abstract.check_not_joining_containers(op, self.context.types)
        abstract.check_not_updating_container(op, self.context.types, self.context.tuples)
        active = [i for i, a in enumerate(op.args) if a in self.varied]
        rule = self._rule(op, active)
        params = rule_params(op, rule)
        symbol = self.context.symbol
        if isinstance(g, TupleAdjoint) and not all(type(key) is int for key in g.items):
            g = self._runtime_container(result, g.items, op.loc)  # a dict's adjoint, as a dict
        if isinstance(g, TupleAdjoint):
            cotangent = tuple(None if x is None else symbol(x) for x in g.as_tuple(rule.length))
        else:
            cotangent = symbol(g)
        if op.fn is runtime.setitem:
            active.reverse()  # read the value's cotangent before zeroing it in place (numpy_rules)
        square = is_square(op)
        for i in active[:1] if square else active:
            with Recorder(op.loc, self.context.types) as recorder, _located(op.loc):
                contribution = rule.vjps[i](cotangent, symbol(result), *map(symbol, op.args), **params)
                if contribution is None:  # the rule says: no cotangent for this argument
                    continue
                if square:  # `x * x`: both factors' contributions at once (2.0: float arithmetic stays float)
                    contribution = tracing.Spread(contribution.value * 2.0) \
                        if isinstance(contribution, tracing.Spread) else contribution * 2.0
                if isinstance(contribution, tracing.Spread):
                    contribution = self._spread(contribution.value, op.args[i])
                else:
                    if rule.unbroadcast:
                        contribution = self._unbroadcast(contribution, op, i)
                    contribution = _operand_or_tuple(contribution)
            self.ops += recorder.ops
            fresh = bool(recorder.ops) and (recorder.ops[-1].results[0] is contribution or isinstance(
                contribution, Spread) and recorder.ops[-1].results[0] is contribution.value)
            self.accumulate(op.args[i], contribution, fresh, op.loc)

    def _unbroadcast(self, contribution, op: Call, i: int):
        """Sum a cotangent of the op's result back to the shape of its argument `i`:
        at compile time where shapes are known, else at run time."""
        types, arg = self.context.types, op.args[i]
        plan = abstract.unbroadcast_plan(abstract.value_of(types, arg), abstract.value_of(types, op.results[0]))
        if isinstance(contribution, Symbol) and contribution.is_number:
            if plan == () or plan is None and not self.context.shapes.broadcasts_to(op, i):
                return contribution  # stands for an array of the argument's shape as well
            # a number standing for an array of the result's shape, which broadcast the argument
            contribution = np.broadcast_to(contribution, np.shape(self.context.symbol(op.results[0])))
        if plan == ():
            return contribution
        if plan == ("scalar",):
            return np.sum(contribution)
        if plan is not None:
            leading, kept = plan
            if leading:
                contribution = np.sum(contribution, axis=leading if len(leading) > 1 else leading[0])
            if kept:
                contribution = np.sum(contribution, axis=kept if len(kept) > 1 else kept[0], keepdims=True)
            return contribution
        if not self.context.shapes.broadcasts_to(op, i):
            return contribution
        like = _shape_of(arg, self.context) if self.in_loop else self.context.symbol(arg)
        summed = record(runtime.unbroadcast, contribution, like)
        self.context.typed(summed.operand, arg)  # now shaped like the argument
        return summed

    def _item(self, g, key, loc):
        if isinstance(g, TupleAdjoint):
            return g.items.get(key)
        item = Value("item_bar", loc)
        self.ops.append(Call((item,), operator.getitem, (g, Const(key)), (), loc))
        return item

    def _rule(self, op, active):
        rule = rule_for(op.fn)
        name = describe(op.fn) if op.fn_name is None else op.fn_name
        if rule is None:
            why = why_not_inlined(op.fn)
            raise MissingRuleError(
                f"`{name}` has no derivative rule, and a differentiated value flows into it"
                + (f"; it could not be inlined: {why}" if why else ""),
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
        for key, value in op.kwargs:
            if value in self.varied:
                raise MissingRuleError(f"`{name}` has no derivative with respect to its argument `{key}=`",
                                       op.loc, "Pass a constant there.")
        return rule

    # ------------------------------------------------------------ accumulation

    def accumulate(self, target, contribution, fresh: bool, loc) -> None:
        """Add `contribution` to the adjoint of `target`; `fresh`: it was just recorded."""
        if not isinstance(target, Value) or contribution is None:
            return
        old = self.adjoints.get(target)
        if isinstance(contribution, TupleAdjoint) or isinstance(old, TupleAdjoint):
            self.adjoints[target] = self._add_tuples(old, contribution, loc, target)
            return
        name = f"{target.hint}_bar"
        if isinstance(contribution, Spread) or self._is_number_for_array(contribution, target):
            number = contribution.value if isinstance(contribution, Spread) else contribution
            if fresh and old is None and self.ops and self.ops[-1].results[0] is number:
                number = self._named(number, name)  # the number that stands for the adjoint
            if old is None or isinstance(old, Spread):
                if old is not None:
                    number = self._add(old.value, number, name, target, loc)
                self.adjoints[target] = Spread(number, target)
                return
            contribution, fresh = number, False
        if isinstance(old, Spread):
            if fresh and self._scattered(contribution) is not None:
                old = self.spread_out(old, loc)  # x_bar[index] += g needs x_bar as an array
            else:
                old = old.value  # a number added to an array spreads over it
        scattered = self._scattered(contribution) if fresh and isinstance(old, Value) else None
        if scattered is not None:  # x_bar[index] += g, rather than adding a mostly-zero array
            self.ops[-1] = Call((Value(name, loc),), runtime.add_at, (old,) + scattered, (), loc)
            self.adjoints[target] = self.ops[-1].results[0]
        elif fresh and old is not None and self.ops[-1].fn is operator.neg and not isinstance(old, Spread):
            negated = self.ops.pop()  # old + (-x) is old - x
            self.adjoints[target] = self._add(old, negated.args[0], name, target, loc, operator.sub)
        elif old is None and fresh:
            self.adjoints[target] = self._named(contribution, name)
        elif old is None and isinstance(contribution, Value) and target.hint in self.context.user_names:
            alias = self.context.typed(Value(name, loc), contribution, same=True)  # the user's variable's own name
            self.ops.append(Call((alias,), runtime.rename, (contribution,), (), loc))
            self.adjoints[target] = alias
        elif old is None:
            self.adjoints[target] = contribution
        elif self.context.is_container(target):  # two adjoints of one container, each built at run time
            total = self.context.typed(Value(name, loc), target, same=True)
            self.ops.append(Call((total,), runtime.add_structures, (old, contribution), (), loc))
            self.adjoints[target] = total
        else:
            self.adjoints[target] = self._add(old, contribution, name, target, loc)

    def _spread(self, number, target):
        """A rule's `spread(g, x)`: a `Spread` where `x` is known to be an array with
        dimensions, else the array it stands for."""
        operand = as_operand(number)
        primal = self.context.types.get(target)
        if not (isinstance(primal, abstract.Array) and primal.dims):
            return as_operand(np.broadcast_to(number, np.shape(self.context.symbol(target))))
        if isinstance(operand, Value) and operand not in self.context.types:
            self.context.types[operand] = abstract.Array((), None)  # a number, as the rule says
        return Spread(operand, target)

    def _add(self, old, contribution, name: str, target, loc, fn=operator.add) -> Value:
        total = self.context.typed(Value(name, loc), target)
        self.ops.append(Call((total,), fn, (old, contribution), (), loc))
        known = abstract.transfer(fn, [abstract.value_of(self.context.types, x) for x in (old, contribution)])
        if known is not None:
            self.context.types[total] = known
        return total

    def _is_number_for_array(self, contribution, target) -> bool:
        """A 0-d cotangent for an array: it stands for that number in every element."""
        types = self.context.types
        number = abstract.value_of(types, contribution)
        primal = types.get(target)
        return (isinstance(number, abstract.Scalar) or isinstance(number, abstract.Array) and number.dims == ()) \
            and isinstance(primal, abstract.Array) and bool(primal.dims)

    def _keeps_shape(self, op: Call) -> bool:
        """Whether `op` is elementwise with every operand of its result's shape (or a literal
        number), so that a number standing for its cotangent can be used as it is."""
        from .rules import is_elementwise

        if not is_elementwise(op.fn):
            return False
        types = self.context.types
        result = abstract.value_of(types, op.results[0])
        for x in op.operands:
            if isinstance(x, Const) and x.name is None and isinstance(x.value, (int, float)):
                continue
            if abstract.value_of(types, x) != result or result is None:
                return False
        if isinstance(result, abstract.Array) and (result.dims is None or None in result.dims):
            # sizes unknown here (`x[2:4] + x[0:1]`): the same only where the shape classes say so
            return not any(self.context.shapes.broadcasts_to(op, i) for i in range(len(op.args)))
        return True

    def spread_out(self, spread: Spread, loc) -> Value:
        """The array a `Spread` stands for: its number in every element of its primal's shape."""
        with Recorder(loc, self.context.types) as recorder:
            array = np.broadcast_to(self.context.symbol(spread.value) if isinstance(spread.value, (Value, Const))
                                    else spread.value, np.shape(self.context.symbol(spread.like)))
        self.ops += recorder.ops
        return self._named(array.operand, f"{spread.like.hint}_bar")

    def _keys(self, container, partial: "TupleAdjoint"):
        """All keys of a container (from its abstract value), to add a run-time adjoint to."""
        av = self.context.types.get(container)
        if isinstance(av, abstract.Mapping):
            return [k for k, _ in av.items]
        if isinstance(av, abstract.Sequence):
            return list(range(len(av.items)))
        raise UnsupportedSyntaxError("the gradient of a tuple, list or dict whose structure is not known here "
                                     "cannot be accumulated", getattr(container, "loc", None),
                                     "Take its elements out first: `a, b = pair`.")

    def _scattered(self, contribution):
        """`(index, g)` if the contribution just recorded is `getitem_adjoint(g, shape, index)`."""
        op = self.ops[-1]
        if op.fn is runtime.getitem_adjoint and op.results[0] is contribution:
            g, _shape, index = op.args
            return index, g
        return None

    def _add_tuples(self, old, new, loc, target=None) -> TupleAdjoint:
        if old is None:
            return new
        if not isinstance(old, TupleAdjoint):  # a container's adjoint built at run time (after an If)
            old = TupleAdjoint({key: self._item(old, key, loc) for key in self._keys(target, new)})
        if not isinstance(new, TupleAdjoint):
            new = TupleAdjoint({key: self._item(new, key, loc) for key in self._keys(target, old)})
        items = dict(old.items)
        for i, item in new.items.items():
            if items.get(i) is None:
                items[i] = item
            elif isinstance(item, TupleAdjoint) and isinstance(items[i], TupleAdjoint):
                items[i] = self._add_tuples(items[i], item, loc)  # `p[0][0] + p[0][1]`: item by item
            elif isinstance(item, TupleAdjoint) or isinstance(items[i], TupleAdjoint):
                items[i] = self._add_nested(items[i], item, self._item_value(target, i), loc)
            else:  # an item that may be a container itself is added item by item (`+` would join lists)
                total = Value("t_bar", loc)
                add = operator.add if self._is_number_or_array(target, i) else runtime.add_structures
                self.ops.append(Call((total,), add, (items[i], item), (), loc))
                items[i] = total
        return TupleAdjoint(items)

    def _runtime_container(self, value, items: dict, loc) -> Value:
        """The adjoint of a list of unknown length: its zeros, with each item's adjoint added."""
        total = Value(f"{value.hint}_bar", loc)
        self.ops.append(Call((total,), runtime.zeros_like_input, (value,), (), loc))
        for key, item in items.items():
            if item is None:
                continue
            if isinstance(item, (TupleAdjoint, Spread)):
                element = Value("item", loc)
                self.ops.append(Call((element,), operator.getitem, (value, Const(key)), (), loc))
                self.adjoints[element] = item
                item = self.adjoint_or_zeros(element, loc)
            added = Value(f"{value.hint}_bar", loc)
            self.ops.append(Call((added,), runtime.with_added, (total, Const(key), item), (), loc))
            total = added
        self.adjoints[value] = total
        return total

    def _add_nested(self, a, b, av, loc) -> TupleAdjoint:
        """The sum of two adjoints of one nested container, one known item by item and the
        other built at run time (`p[0][-1]` and `p[0][i]` both read): the latter is taken
        apart by the keys its abstract value `av` gives."""
        if not isinstance(av, (abstract.Sequence, abstract.Mapping)):
            raise UnsupportedSyntaxError("the gradient of a nested tuple, list or dict whose structure is not known "
                                         "here cannot be accumulated", loc,
                                         "Take its elements out first: `a, b = pair`.")
        keys = [k for k, _ in av.items] if isinstance(av, abstract.Mapping) else range(len(av.items))
        a, b = (x if isinstance(x, TupleAdjoint) else TupleAdjoint({k: self._item(x, k, loc) for k in keys})
                for x in (a, b))
        return self._add_tuples(a, b, loc)

    def _item_value(self, container, key):
        """The abstract value of `container[key]`, if known."""
        av = self.context.types.get(container)
        if isinstance(av, abstract.Mapping):
            return dict(av.items).get(key)
        if isinstance(av, abstract.Sequence) and isinstance(key, int) and -len(av.items) <= key < len(av.items):
            return av.items[key]
        return None

    def _is_number_or_array(self, container, key) -> bool:
        """Whether the item `key` of `container` is known to be a number or an array."""
        return isinstance(self._item_value(container, key), (abstract.Array, abstract.Scalar))

    def _named(self, contribution: Value, name: str) -> Value:
        """Name the value just recorded after the adjoint it becomes."""
        op = self.ops[-1]
        named = self.context.typed(Value(name, contribution.loc), contribution, same=True)
        self.ops[-1] = dataclasses.replace(op, results=(named,))
        return named

    def adjoint_or_zeros(self, value, loc=None):
        """The adjoint of `value` now: zeros of its type and shape if nothing flowed into it."""
        if value is None:
            return Const(None)
        adjoint = self.adjoints.get(value)
        if isinstance(adjoint, Spread):
            adjoint = self.adjoints[value] = self.spread_out(adjoint, loc or value.loc)
        av = self.context.types.get(value)
        if isinstance(adjoint, TupleAdjoint) or adjoint is None and isinstance(av, (abstract.Sequence, abstract.Mapping)):
            return self._container(value, adjoint, av, loc or value.loc)
        if adjoint is not None:
            return adjoint
        loc = loc or value.loc
        zeros = self.context.typed(Value(f"{value.hint}_bar", loc), value)
        self.ops.append(Call((zeros,), runtime.zeros_like_input, (value,), (), loc))
        self.adjoints[value] = zeros
        return zeros

    def _container(self, value, adjoint, av, loc):
        """The adjoint of a tuple, list or dict, of the same structure: zeros where nothing flowed."""
        items = adjoint.items if isinstance(adjoint, TupleAdjoint) else {}
        if isinstance(av, abstract.Mapping):
            keys, maker = [k for k, _ in av.items], runtime.make_dict
        elif isinstance(av, abstract.Sequence):
            keys = range(len(av.items))
            maker = runtime.make_list if av.kind == "list" else runtime.make_tuple
        else:  # a list whose length is known at run time (built by `append`): zeros, plus what flowed in
            return self._runtime_container(value, items, loc)
        parts = []
        for key in keys:
            item = items.get(key)
            if item is None or isinstance(item, (TupleAdjoint, Spread)):
                element = Value("item", loc)
                self.ops.append(Call((element,), operator.getitem, (value, Const(key)), (), loc))
                if isinstance(av, (abstract.Sequence, abstract.Mapping)):
                    child = dict(av.items).get(key) if isinstance(av, abstract.Mapping) else av.items[key]
                    if child is not None:
                        self.context.types[element] = child
                self.adjoints[element] = item
                item = self.adjoint_or_zeros(element, loc)
            parts.append(item)
        result = Value(f"{value.hint}_bar", loc)
        args = [x for key, part in zip(keys, parts) for x in (Const(key), part)] if maker is runtime.make_dict else parts
        self.ops.append(Call((result,), maker, tuple(args), (), loc))
        self.adjoints[value] = result
        return result

    def as_gradient(self, g, param: Value):
        """`g` as the caller gets it: of its parameter's type, dtype and shape, and a new
        array (see `runtime.as_gradient`); `optimize` drops the conversion where it is
        known to change nothing."""
        types = self.context.types
        want, have = types.get(param), abstract.value_of(types, g)
        if isinstance(want, abstract.Scalar) and want.kind == "float":
            if isinstance(have, abstract.Scalar) and have.kind == "float":
                return g
            converted = Value(g.hint if isinstance(g, Value) else f"{param.hint}_bar", param.loc)
            self.ops.append(Call((converted,), float, (g,), (), param.loc))
            types[converted] = want
            return converted
        converted = Value(g.hint if isinstance(g, Value) else f"{param.hint}_bar", param.loc)
        self.ops.append(Call((converted,), runtime.as_gradient, (g, param), (), param.loc))
        if want is not None:
            types[converted] = want
        return converted

    def tuple_of(self, items, loc):
        result = Value("grads", loc)
        self.ops.append(Call((result,), runtime.make_tuple, tuple(items), (), loc))
        return result

    # ------------------------------------------------------------ branches

    def if_(self, op: If) -> None:
        flowing = [(r, self.adjoints.get(r)) for r in op.results if r in self.varied]
        if all(g is None for _, g in flowing):
            return
        sweeps = []
        for branch in (op.then, op.orelse):
            sweep = _Sweep(self.context, dict(self.adjoints), self.in_loop)
            for r, y in zip(op.results, branch.yields):
                if r in self.varied and self.adjoints.get(r) is not None and y in self.varied:
                    sweep.accumulate(y, self.adjoints[r], False, op.loc)
            sweep.run(branch.ops)
            sweeps.append(sweep)
        touched = [v for v in _outer_reads(op) if v in self.varied
                   and any(s.adjoints.get(v) is not self.adjoints.get(v) for s in sweeps)]
        backward, forward = [], []
        for branch, sweep in zip((op.then, op.orelse), sweeps):
            yields = tuple(sweep.adjoint_or_zeros(v) for v in touched)
            backward.append(Region((), tuple(sweep.ops), yields))
            forward.append(dataclasses.replace(branch, ops=self.context.forward(branch.ops)))
        forward_if, backward = _export(op, forward, backward)
        self.context.replacements[id(op)] = forward_if
        results = tuple(self.context.typed(Value(f"{v.hint}_bar", op.loc), v) for v in touched)
        self.ops.append(If(results, op.cond, backward[0], backward[1], op.loc))
        self.adjoints.update(zip(touched, results))

    # ------------------------------------------------------------ loops

    def loop(self, op) -> None:
        carried = op.body.params[len(op.body.params) - len(op.inits):]
        active = [j for j, r in enumerate(op.results[: len(op.inits)]) if r in self.varied]
        if all(self.adjoints.get(op.results[j]) is None for j in active):
            return
        loc = op.loc
        typed = self.context.typed
        carried_bars = [typed(Value(f"{carried[j].hint}_bar", loc), carried[j]) for j in active]
        outer = [v for v in _outer_reads(op) if v in self.varied]
        outer_bars = [typed(Value(f"{v.hint}_bar", loc), v) for v in outer]
        sweep = _Sweep(self.context, dict(zip(outer, outer_bars)), in_loop=True)
        for j, bar in zip(active, carried_bars):
            sweep.accumulate(op.body.yields[j], bar, False, loc)
        sweep.run(op.body.ops)
        next_bars = [sweep.adjoint_or_zeros(carried[j]) for j in active]
        touched = [k for k, v in enumerate(outer) if sweep.adjoints.get(v) is not outer_bars[k]]
        outer_next = [sweep.adjoint_or_zeros(outer[k]) for k in touched]  # may record ops (a container's adjoint)
        body = Region((), tuple(sweep.ops), tuple(next_bars) + tuple(outer_next))
        body = without_dead_ops(body)
        forward_body = dataclasses.replace(op.body, ops=self.context.forward(op.body.ops))
        forward_body, body = _hoist_metadata(forward_body, body)
        forward_body, body = _copy_views_of_updated(forward_body, body)
        defined = set(forward_body.params) | {r for o in forward_body.ops for r in o.results}
        record = [v for v in free_values(body) if v in defined]
        inits = [self.adjoint_or_zeros(op.results[j], loc) for j in active] + \
                [self.adjoint_or_zeros(outer[k], loc) for k in touched]
        if record:
            targets = [typed(Value(v.hint, loc), v) for v in record]
            forward_op, tape = _with_tape(op, forward_body, record, loc)
            iterable = Value("reversed_tape", loc)
            self.ops.append(Call((iterable,), reversed, (tape,), (), loc))
            body = substitute(body, dict(zip(record, targets)))
        else:
            targets = [Value("_", loc)]
            forward_op, count = _with_counter(op, forward_body, loc)
            iterable = Value("range_n", loc)
            self.ops.append(Call((iterable,), range, (count,), (), loc))
        self.context.replacements[id(op)] = forward_op
        params = tuple(targets) + tuple(carried_bars) + tuple(outer_bars[k] for k in touched)
        results = tuple(typed(Value(f"{carried[j].hint}_bar", loc), carried[j]) for j in active) + \
            tuple(typed(Value(f"{outer[k].hint}_bar", loc), outer[k]) for k in touched)
        body = Region(params, body.ops, body.yields)
        self.ops.append(For(results, iterable, tuple(inits), body, loc, ntargets=len(targets)))
        for k, result in zip(touched, results[len(active):]):
            self.adjoints[outer[k]] = result  # the loop started from the adjoint these had
        for j, result in zip(active, results):
            self.accumulate(op.inits[j], result, False, loc)  # an outer value may also be an initial value


def is_square(op: Call) -> bool:
    """Whether `op` is `x * x`: its two arguments' derivative terms are equal, and the
    derivative rules are applied once, doubled."""
    return op.fn is operator.mul and len(op.args) == 2 and isinstance(op.args[0], Value) and op.args[0] is op.args[1]


@contextlib.contextmanager
def _located(loc):
    """Errors a rule raises while it is traced point at the user's line."""
    try:
        yield
    except ADError as error:
        if error.loc is None:
            error.loc = loc
            error.args = (error._render(),)
        raise


def _outer_reads(op) -> list:
    """Values from outside `op` that its regions (or operands) read, in order of first use."""
    seen: dict = {}
    for region in op.regions:
        for v in free_values(region):
            seen.setdefault(v, None)
    return list(seen)


def _export(op: If, forward: list, backward: list):
    """Make the values each backward branch reads from its forward branch results of the forward If."""
    exported: list = []
    for fwd, bwd in zip(forward, backward):
        inside = set(fwd.params) | {r for o in fwd.ops for r in o.results}
        exported += [v for v in free_values(bwd) if v in inside and v not in exported]
    if not exported:
        return dataclasses.replace(op, then=forward[0], orelse=forward[1]), backward
    results = tuple(Value(v.hint, v.loc) for v in exported)
    mapping = dict(zip(exported, results))
    new_forward, new_backward = [], []
    for fwd, bwd in zip(forward, backward):
        inside = set(fwd.params) | {r for o in fwd.ops for r in o.results}
        extra = tuple(v if v in inside else Const(None) for v in exported)
        new_forward.append(dataclasses.replace(fwd, yields=fwd.yields + extra))
        new_backward.append(substitute(bwd, {v: mapping[v] for v in exported if v in inside}))
    forward_if = dataclasses.replace(op, results=op.results + results, then=new_forward[0],
                                     orelse=new_forward[1], exports=len(exported))
    return forward_if, new_backward


def _insert_after(ops: list, value, new_op) -> None:
    """Put `new_op` right after the op defining `value` (first, for a region parameter)."""
    at = next((k + 1 for k, o in enumerate(ops) if value in o.results), 0)
    ops.insert(at, new_op)


def _hoist_metadata(forward: Region, backward: Region):
    """Move shape queries of forward values into the forward body, so that the tape holds
    a shape rather than the array it describes."""
    defined = set(forward.params) | {r for o in forward.ops for r in o.results}
    ops, kept, mapping = list(forward.ops), [], {}
    for o in backward.ops:
        if isinstance(o, Call) and o.fn in METADATA and len(o.args) == 1 and o.args[0] in defined:
            _insert_after(ops, o.args[0], o)
            mapping[o.results[0]] = o.results[0]
        else:
            kept.append(o)
    return dataclasses.replace(forward, ops=tuple(ops)), Region(backward.params, tuple(kept), backward.yields)


def _copy_views_of_updated(forward: Region, backward: Region):
    """A view of an array the body updates is copied before it goes on the tape: the update
    may then happen in place without changing what the backward pass reads."""
    updated = {o.args[0] for o in forward.ops if isinstance(o, Call) and o.fn in UPDATES}
    if not updated:
        return forward, backward
    ops, mapping = list(forward.ops), {}
    for o in forward.ops:
        if isinstance(o, Call) and o.fn in VIEWS and o.args and o.args[0] in updated:
            view = o.results[0]
            if view in free_values(backward):
                copy = Value(view.hint, view.loc)
                _insert_after(ops, view, Call((copy,), np.copy, (view,), (), o.loc))
                mapping[view] = copy
    return dataclasses.replace(forward, ops=tuple(ops)), substitute(backward, mapping)


def _with_tape(op, body: Region, record: list, loc):
    """The forward loop, appending `record` (one value, or a tuple of them) to a tape each iteration."""
    ops = list(body.ops)
    if len(record) == 1:
        item = record[0]
    else:
        item = Value("record", loc)
        ops.append(Call((item,), runtime.make_tuple, tuple(record), (), loc))
    tape = Value("_tape", loc)
    body = Region(body.params, tuple(ops), body.yields + (item,))
    return dataclasses.replace(op, results=op.results + (tape,), body=body, tape=True), tape


def _with_counter(op, body: Region, loc):
    """The forward loop, counting its iterations in an extra carried value `_n`."""
    before, after = Value("_n", loc), Value("_n", loc)
    step = Call((after,), operator.add, (before, Const(1)), (), loc)
    carried = len(op.inits)
    yields = body.yields[:carried] + (after,) + body.yields[carried:]
    body = Region(body.params + (before,), body.ops + (step,), yields)
    count = Value("_n", loc)
    results = op.results[:carried] + (count,) + op.results[carried:]
    changes = dict(results=results, inits=op.inits + (Const(0),), body=body)
    if isinstance(op, While):
        cond = op.cond
        changes["cond"] = Region(cond.params + (Value("_n", loc),), cond.ops, cond.yields)
    return dataclasses.replace(op, **changes), count


def _operand_or_tuple(contribution):
    """A rule's result as an operand, or as a `TupleAdjoint` if the rule returned a tuple."""
    if isinstance(contribution, tuple) and not all(_is_literal(c) for c in contribution):
        return TupleAdjoint({i: as_operand(c) for i, c in enumerate(contribution) if c is not None})
    return as_operand(contribution)


def _is_literal(x) -> bool:
    return not isinstance(x, (Symbol, Value, tuple))


def _shape_of(operand, context):
    """What `unbroadcast` needs to know of an operand: its shape (or the literal itself)."""
    if isinstance(operand, Const) and operand.name is None:
        return operand.value
    return record(np.shape, context.symbol(operand))
