"""Stage 4: lower the normalised AST to the structured SSA IR.

Statements update an environment from names to values; each assignment makes a new
value, named after the variable (`x`, and the printer's `x_1` for the next version).
Control flow becomes region ops (see `ir`):

- an `if` that does not exit becomes an `If` whose results are the variables either
  branch assigns; an `if` in tail position (one that returns, breaks or continues, see
  `normalize`) becomes an `If` whose branches end the enclosing block, so its results
  are what the block yields;
- `for` and `while` become `For` and `While` carrying the variables the body assigns
  that exist before the loop or are read after it. A loop whose body can `break`
  yields one more value, `True` on the path that breaks: the loop stops after that
  iteration.

Expressions are lowered by `lower_expr.ExpressionLowering`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import operator

import gast

from . import runtime
from .errors import InternalError, UnsupportedSyntaxError
from .ir import Const, For, Function, If, Region, Value, While, substitute
from .calls import CallInlining, LocalFunction
from .lower_expr import ExpressionLowering, Undefined, UnresolvedNameError, _Static  # noqa: F401  (re-exported)
from .normalize import EXITS, may_exit
from .source import Source


def lower(source: Source) -> Function:
    return _Lowering(source).function()


class _Tail:
    """How a block ends: what it yields when it falls through or exits."""

    def __init__(self, names=(), stop: bool = False, returns: bool = False):
        self.names = tuple(names)  # variables yielded (loop-carried or merged)
        self.stop = stop  # a loop body that can break also yields whether it did
        self.returns = returns  # the function body: yields the returned value

    def hints(self) -> list[str]:
        if self.returns:
            return ["result"]
        return list(self.names) + (["stop"] if self.stop else [])

    def fallthrough(self, lowering, node):
        if self.returns:
            raise UnsupportedSyntaxError(
                "the differentiated function can end without returning a value", lowering.source.location(node),
                "Make every path end with `return <value>`.")
        return tuple(lowering.lookup(n, node) for n in self.names) + ((Const(False),) if self.stop else ())

    def exit(self, lowering, stmt):
        if isinstance(stmt, gast.Return) and self.returns:
            if stmt.value is None:
                raise UnsupportedSyntaxError("`return` without a value cannot be differentiated",
                                             lowering.source.location(stmt), "Return the output value.")
            return (lowering.operand(stmt.value),)
        if isinstance(stmt, gast.Continue) and not self.returns:
            return self.fallthrough(lowering, stmt)
        if isinstance(stmt, gast.Break) and self.stop:
            return tuple(lowering.lookup(n, stmt) for n in self.names) + (Const(True),)
        raise InternalError(f"`{type(stmt).__name__.lower()}` was not moved to tail position",
                            lowering.source.location(stmt))


class _Lowering(ExpressionLowering, CallInlining):
    def __init__(self, source: Source):
        self.source = source
        self.root = source  # the differentiated function's source (callees' bindings are added to it)
        self.inlining: list = []  # the functions being inlined, innermost last
        self.not_inlined: dict = {}  # function -> why it could not be inlined
        self.env: dict[str, object] = {}
        self.ops: list = []
        self.fresh: set[Value] = set()  # temporaries made by the current statement
        self.later: list = []  # (last reads of a block, index of the statement lowered there), innermost last
        self.displays: dict = {}  # value of a tuple or list display -> its elements
        self.enclosing_env: dict = {}  # id of a region's environment -> (it, the environment it copied)
        self.suspended_envs: list = []  # the environments of the callers of the function being inlined
        self.used_names = {n.id for n in gast.walk(source.tree) if isinstance(n, gast.Name)}

    def error(self, cls, node, message, hint=None):
        return cls(message, self.source.location(node), hint)

    def function(self) -> Function:
        tree = self.source.tree
        params = tuple(Value(a.id, self.source.location(a)) for a in tree.args.args)
        self.env.update((p.hint, p) for p in params)
        (result,) = self.block(tree.body, _Tail(returns=True))
        return Function(tree.name, params, Region((), tuple(self.ops), (result,)), self.source.location(tree))

    @contextlib.contextmanager
    def region(self, bindings=()):
        """Lower into a fresh op list, with `bindings` added to a copy of the environment."""
        saved_ops, saved_env = self.ops, self.env
        self.ops, self.env = [], dict(saved_env)
        self.enclosing_env[id(self.env)] = (self.env, saved_env)
        self.env.update(bindings)
        try:
            yield self.ops
        finally:
            self.ops, self.env = saved_ops, saved_env

    def current_view(self, env):
        """The environment, now, of the scope `env` was made for: the innermost active one
        (the current one, or a caller's while a helper is inlined) that is `env` or a
        region's copy of it; None if there is none. A closure reads its free names there
        (late binding)."""
        for candidate in [self.env, *reversed(self.suspended_envs)]:
            current = candidate
            while current is not env:
                entry = self.enclosing_env.get(id(current))
                if entry is None or entry[0] is not current:
                    break
                current = entry[1]
            else:
                return candidate
        return None

    def lookup(self, name: str, node):
        return self.expr_Name(gast.copy_location(gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                                           type_comment=None), node))

    # ------------------------------------------------------------ statements

    def block(self, stmts, tail: _Tail) -> tuple:
        """Lower `stmts`; return what the block yields at its end."""
        last_read = {}  # name -> index of the last statement of this block that reads it
        for i, stmt in enumerate(stmts):
            last_read.update(dict.fromkeys(_names_exposed(stmt), i))
        for i, stmt in enumerate(stmts):
            self.fresh = set()
            self.later.append((last_read, i))
            try:
                if isinstance(stmt, EXITS):
                    return tail.exit(self, stmt)
                if isinstance(stmt, gast.If) and may_exit([stmt]):
                    return self.tail_if(stmt, tail)
                self.statement(stmt)
            finally:
                self.later.pop()
        return tail.fallthrough(self, stmts[-1] if stmts else self.source.tree)

    def statement(self, stmt) -> None:
        if isinstance(stmt, gast.Assign):
            value = None if self._elementwise(stmt) else self.operand(stmt.value)
            if getattr(stmt, "in_place", False) and self.ops and self.ops[-1].results[:1] == (value,):
                self.ops[-1] = dataclasses.replace(self.ops[-1], in_place=True)
            for target in stmt.targets:
                value = self.assign(target, value, stmt.value)
        elif isinstance(stmt, gast.If):
            self.merge_if(stmt)
        elif isinstance(stmt, gast.For):
            self.for_loop(stmt)
        elif isinstance(stmt, gast.While):
            self.while_loop(stmt)
        elif isinstance(stmt, gast.With):
            self.no_grad_block(stmt)
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            self.call_statement(stmt.value)
        elif isinstance(stmt, gast.FunctionDef):
            defaults = tuple(self.operand(d) for d in stmt.args.defaults)
            self.env[stmt.name] = _Static(LocalFunction(stmt, self.source, self.env, defaults), stmt.name)
        else:
            raise self.error(UnsupportedSyntaxError, stmt, f"`{type(stmt).__name__}` is not supported here")

    def call_statement(self, call) -> None:
        """A call whose result is dropped: one that updates a variable's value, as generated
        code writes them (`items.append(v)`, `add_into(x_bar, i, g)`), is the update."""
        func = call.func
        if isinstance(func, gast.Attribute) and func.attr == "append" and isinstance(func.value, gast.Name) \
                and len(call.args) == 1 and not call.keywords:
            items = func.value.id
            before = self.lookup(items, func)
            # another name for this list (`b = a`, `g = groups[0]`) now sees a longer list: its
            # items are no longer the display's; this name's are, and one more
            display = self.displays.pop(before, None) if isinstance(before, Value) else None
            item = self.operand(call.args[0])
            self.env[items] = self.named(self.call(runtime.list_append, [before, item], call), items)
            if isinstance(display, list):
                self.displays[self.env[items]] = [*display, item]
            return
        target = call.args[0] if call.args else None
        if getattr(self.expr(func), "obj", None) is runtime.add_into and isinstance(target, gast.Name) \
                and len(call.args) == 3 and not call.keywords:
            args = [self.operand(a) for a in call.args]
            self.env[target.id] = self.call(runtime.add_at, args, call)
            return
        raise self.error(UnsupportedSyntaxError, call, "calls whose result is dropped are not supported, except "
                         "`items.append(value)` on a list", "Assign the result to a variable, or remove the call.")

    def no_grad_block(self, stmt) -> None:
        """`with adcompiler.no_grad():` — what the block assigns carries no gradient after it."""
        item = stmt.items[0] if len(stmt.items) == 1 else None
        maker = self.expr(item.context_expr.func) if item and isinstance(item.context_expr, gast.Call) else None
        if getattr(maker, "obj", None) is not runtime.no_grad or item.optional_vars is not None:
            raise self.error(UnsupportedSyntaxError, stmt, "`with` statements are not supported by adcompiler, "
                             "except `with adcompiler.no_grad():`",
                             "Move the with-block outside the differentiated function.")
        if may_exit(stmt.body):
            raise self.error(UnsupportedSyntaxError, stmt, "`return`, `break` and `continue` inside "
                             "`with adcompiler.no_grad():` are not supported", "Move them after the block.")
        for s in stmt.body:
            self.fresh = set()
            self.statement(s)
        for name in sorted(_names_assigned(stmt.body)):
            if isinstance(self.env.get(name), Value):
                self.fresh = set()
                stopped = self.call(runtime.stop_gradient, [self.env[name]], stmt)
                self.env[name] = self.named(stopped, name)

    def comprehension(self, node):
        """`[elt for target in iterable if cond ...]` (also a generator expression): a list
        built element by element. Over a tuple or list display or a constant range, the
        elements are lowered one by one into a list display; otherwise it is a loop that
        appends to a new list. The comprehension's variables stay inside it, as in Python."""
        node = _hide_targets(node, self.hidden_name)
        gen = node.generators[0]
        elements = self._static_elements(gen.iter) if len(node.generators) == 1 and not gen.ifs else None
        if elements is not None:
            items = []
            for element in elements:
                self.assign(gen.target, element, None)
                items.append(self.operand(node.elt))
            return self.display(items, node)
        items = self.hidden_name("items")
        self.env[items] = self.call(runtime.make_list, [], node)
        self.env["#append"] = _Static(runtime.list_append, "list_append")
        store = gast.Name(id=items, ctx=gast.Store(), annotation=None, type_comment=None)
        load = gast.Name(id=items, ctx=gast.Load(), annotation=None, type_comment=None)
        append = gast.Call(func=gast.Name(id="#append", ctx=gast.Load(), annotation=None, type_comment=None),
                           args=[load, node.elt], keywords=[])
        body = [gast.Assign(targets=[store], value=append, type_comment=None)]
        for gen in reversed(node.generators):
            for cond in reversed(gen.ifs):
                body = [gast.If(test=cond, body=body, orelse=[])]
            body = [gast.For(target=gen.target, iter=gen.iter, body=body, orelse=[], type_comment=None)]
        for stmt in body:
            for n in gast.walk(stmt):
                if hasattr(n, "lineno") and getattr(n, "lineno", None) is None or not hasattr(n, "lineno"):
                    gast.copy_location(n, node)
        self.later.append(({items: 1}, 0))
        try:
            self.statement(body[0])
        finally:
            self.later.pop()
        return self.env[items]

    def _static_elements(self, node):
        """The operands a display or a constant `range` iterates over, if known here."""
        if isinstance(node, (gast.Tuple, gast.List)):
            return [self.operand(e) for e in node.elts]
        if isinstance(node, gast.Call) and not node.keywords and getattr(self.expr(node.func), "obj", None) is range:
            bounds = [self.operand(a) for a in node.args]
            if all(isinstance(b, Const) and isinstance(b.value, int) for b in bounds) and len(range(*[b.value for b in bounds])) <= 32:
                return [Const(k) for k in range(*[b.value for b in bounds])]
        value = self.operand(node) if isinstance(node, gast.Name) else None
        return self.displays.get(value) if isinstance(value, Value) and isinstance(self.displays.get(value), list) else None

    def hidden_name(self, base: str) -> str:
        """A variable name no code of the user's uses."""
        n = 0
        while f"{base}_{n}" in self.used_names:
            n += 1
        self.used_names.add(f"{base}_{n}")
        return f"{base}_{n}"

    def tail_if(self, stmt, tail: _Tail) -> tuple:
        cond = self.operand(stmt.test)
        if _is_literal(cond):  # `if b is None:` on a default: only the branch taken is lowered
            chosen = stmt.body if cond.value else stmt.orelse
            return self.block(chosen, tail) if chosen else tail.fallthrough(self, stmt)
        branches = []
        for body in (stmt.body, stmt.orelse):
            with self.region() as ops:
                yields = self.block(body, tail) if body else tail.fallthrough(self, stmt)
            branches.append(Region((), tuple(ops), yields))
        results = tuple(Value(h, self.source.location(stmt)) for h in tail.hints())
        self.ops.append(If(results, cond, *branches, self.source.location(stmt)))
        return results

    def merge_if(self, stmt) -> None:
        cond = self.operand(stmt.test)
        if _is_literal(cond):
            self.block(stmt.body if cond.value else stmt.orelse, _Tail())
            return
        assigned = _names_assigned(stmt.body) | _names_assigned(stmt.orelse)
        envs, regions = [], []
        for body in (stmt.body, stmt.orelse):
            with self.region() as ops:
                self.block(body, _Tail())
                envs.append(self.env)
            regions.append(ops)
        merged = [n for n in sorted(assigned) if all(n in env and not isinstance(env[n], Undefined) for env in envs)]
        for name in assigned - set(merged):
            self.env[name] = Undefined(stmt.lineno + self.source.first_line - 1)
        yields = [tuple(env[n] for n in merged) for env in envs]
        results = tuple(Value(n, self.source.location(stmt)) for n in merged)
        self.ops.append(If(results, cond, Region((), tuple(regions[0]), yields[0]),
                           Region((), tuple(regions[1]), yields[1]), self.source.location(stmt)))
        self.env.update(zip(merged, results))

    def carried(self, body, targets=()) -> list[str]:
        """Variables a loop carries: assigned in it, and existing before it or read after it.
        A `for` loop's targets are set at the start of every iteration, so they are carried
        only when their value after the loop may be read."""
        assigned = _names_assigned(body)
        exists = {n for n in assigned if n in self.env and not isinstance(self.env[n], Undefined)}
        read_later = {n for n in assigned | set(targets) if any(last.get(n, -1) > i for last, i in self.later)}
        if len(self.later) > 1:  # a loop around this one may read a target again, before this loop
            read_later |= {n for n in set(targets) if any(n in last for last, _ in self.later)}
        return sorted(exists | read_later)

    def for_loop(self, stmt) -> None:
        iterable, targets, reads = self.iteration(stmt)
        if reads and self.unroll(stmt, targets[0], reads):
            return
        names = self.carried(stmt.body, _names_assigned([stmt.target]))
        loc = self.source.location(stmt)
        inits = tuple(self._initial(n) for n in names)
        carried = [Value(n, loc) for n in names]
        stop = may_exit(stmt.body, ("break",))
        with self.region(zip(names, carried)) as ops:
            index = targets[0]
            for target, sequence in reads:  # `x = xs[i]` for `for x in xs`
                self.fresh = set()
                if isinstance(sequence, _Counted):
                    item = self.call(operator.add, [index, sequence.start], target)
                else:
                    item = sequence if sequence is index else self.call(operator.getitem, [sequence, index], target)
                self.assign(target, item, None)
            if not reads:
                self.env.update(zip(_target_names(stmt.target, self), targets))
            yields = self.block(stmt.body, _Tail(names, stop))
        body = Region(tuple(targets + carried), tuple(ops), yields)
        results = tuple(Value(n, loc) for n in names)
        self.ops.append(For(results, iterable, inits, body, loc, ntargets=len(targets), stop=stop))
        for n in _names_assigned([stmt.target]):
            if n in self.env and n not in names:  # not read after the loop: its value there is unknown
                self.env[n] = Undefined(stmt.lineno + self.source.first_line - 1)
        self.env.update(zip(names, results))

    def unroll(self, stmt, index, reads) -> bool:
        """Unroll a loop over tuple or list displays (`for w in (w1, w2)`): each element is a
        value of its own, so each iteration is lowered with its element. False if the
        loop cannot be unrolled (an element list unknown here, or a `break`)."""
        sequences = [s for _, s in reads if s is not index and not isinstance(s, _Counted)]
        elements = [self.displays.get(s) for s in sequences]
        if not sequences or any(e is None for e in elements) or may_exit(stmt.body, ("break",)):
            return False
        names = self.carried(stmt.body, _names_assigned([stmt.target]))
        for k in range(min(len(e) for e in elements)):
            self.fresh = set()
            for target, sequence in reads:
                if isinstance(sequence, _Counted):
                    item = self.call(operator.add, [Const(k), sequence.start], target)
                else:
                    item = Const(k) if sequence is index else self.displays[sequence][k]
                self.assign(target, item, None)
            yields = self.block(stmt.body, _Tail(names))
            self.env.update(zip(names, yields))
        return True

    def iteration(self, stmt):
        """How to iterate: the iterable, the loop's target values, and `(target, sequence)` reads.

        `range(...)` and constant iterables are iterated directly. Arrays, tuples, lists,
        `enumerate(xs)` and `zip(xs, ys)` are iterated by index (`for i in range(len(xs)):
        x = xs[i]`), so that each element read is an indexing op with a derivative.
        """
        loc = self.source.location(stmt.target)
        node = stmt.iter
        callee = self.expr(node.func) if isinstance(node, gast.Call) else None
        fn = getattr(callee, "obj", None)
        tuple_target = isinstance(stmt.target, (gast.Tuple, gast.List))
        starts = node.args[1:] + [k.value for k in node.keywords if k.arg == "start"] if fn is enumerate else []
        if fn is enumerate and 1 <= len(node.args) + len(node.keywords) <= 2 and len(node.args) >= 1 \
                and len(starts) + 1 == len(node.args) + len(node.keywords) and tuple_target \
                and len(stmt.target.elts) == 2 and isinstance(stmt.target.elts[0], gast.Name):
            sequence = self._sequence(node.args[0])
            if not starts:
                index = Value(stmt.target.elts[0].id, loc)
                return self._range_of([sequence], stmt), [index], [(stmt.target.elts[0], index),
                                                                   (stmt.target.elts[1], sequence)]
            index = Value("i", loc)  # `enumerate(xs, start)`: the count is `i + start`
            return self._range_of([sequence], stmt), [index], [(stmt.target.elts[0], _Counted(self.operand(starts[0]))),
                                                               (stmt.target.elts[1], sequence)]
        if fn is zip and node.args and not node.keywords and tuple_target and len(stmt.target.elts) == len(node.args):
            sequences = [self._sequence(a) for a in node.args]
            return self._range_of(sequences, stmt), [Value("i", loc)], list(zip(stmt.target.elts, sequences))
        if fn is reversed and len(node.args) == 1 and isinstance(node.args[0], gast.Call) \
                and getattr(self.expr(node.args[0].func), "obj", None) is range:
            fn = range  # `reversed(range(n))` is iterated as it is
        elif fn is reversed and len(node.args) == 1 and not node.keywords:  # `for a, b in reversed(tape)`
            sequence = self.operand(node.args[0])
            display = self.displays.get(sequence)
            if isinstance(display, dict):  # a dict written here: its keys, last first
                return Const(tuple(reversed(display))), [Value(t, loc) for t in _target_names(stmt.target, self)], []
            if isinstance(display, list):  # a tuple or list written here: its items, last first (unrolled)
                sequence = self.reversed_display(sequence, node)
                return self._range_of([sequence], stmt), [Value("i", loc)], [(stmt.target, sequence)]
            last = self.call(operator.sub, [self.call(len, [sequence], node), Const(1)], node)
            iterable = self.call(range, [last, Const(-1), Const(-1)], node)
            return iterable, [Value("i", loc)], [(stmt.target, sequence)]
        if fn is not range:
            sequence = self._sequence(node)
            if isinstance(self.displays.get(sequence), dict):  # `for k in {"a": ..., "b": ...}`: the keys
                sequence = Const(tuple(self.displays[sequence]))
            if isinstance(sequence, Value):
                return self._range_of([sequence], stmt), [Value("i", loc)], [(stmt.target, sequence)]
            iterable = sequence
        else:
            iterable = self.operand(node)
        return iterable, [Value(t, loc) for t in _target_names(stmt.target, self)], []

    def _sequence(self, node):
        """What a loop iterates, as something it can index: an iterator (`reversed(range(n))`
        in a `zip`, `filter(...)`, `iter(...)`, `map(...)`) made a list first."""
        maker = getattr(self.expr(node.func), "obj", None) if isinstance(node, gast.Call) else None
        if maker in (filter, map) and node.args and isinstance(getattr(self.expr(node.args[0]), "obj", None),
                                                               LocalFunction):
            raise self.error(UnsupportedSyntaxError, node, f"`{maker.__name__}` with a function defined in the "
                             "differentiated code is not supported", "Write a comprehension, or a loop.")
        if maker is reversed and len(node.args) == 1 and not node.keywords:
            inner = self.operand(node.args[0])
            if isinstance(self.displays.get(inner), list):  # a tuple or list written here, last item first
                return self.reversed_display(inner, node)
        value = self.operand(node)
        return self.call(list, [value], node) if maker in (reversed, filter, map, iter) else value

    def reversed_display(self, sequence, node):
        """A tuple display of the items of the display `sequence`, last first."""
        items = self.displays[sequence][::-1]
        reversed_items = self.call(runtime.make_tuple, items, node)
        self.displays[reversed_items] = items
        return reversed_items

    def _range_of(self, sequences, stmt):
        lengths = [self.call(len, [s], stmt.iter) for s in sequences]
        count = lengths[0] if len(lengths) == 1 else self.call(min, lengths, stmt.iter)
        return self.call(range, [count], stmt.iter)

    def while_loop(self, stmt) -> None:
        names = self.carried(stmt.body)
        loc = self.source.location(stmt)
        inits = tuple(self._initial(n) for n in names)
        cond_params = tuple(Value(n, loc) for n in names)
        with self.region(zip(names, cond_params)) as cond_ops:
            test = self.operand(stmt.test)
        carried = tuple(Value(n, loc) for n in names)
        stop = may_exit(stmt.body, ("break",))
        with self.region(zip(names, carried)) as ops:
            yields = self.block(stmt.body, _Tail(names, stop))
        results = tuple(Value(n, loc) for n in names)
        self.ops.append(While(results, inits, Region(cond_params, tuple(cond_ops), (test,)),
                              Region(carried, tuple(ops), yields), loc, stop=stop))
        self.env.update(zip(names, results))

    def _initial(self, name: str):
        value = self.env.get(name)
        return Const(None) if value is None or isinstance(value, Undefined) else value

    # ------------------------------------------------------------ assignment

    @staticmethod
    def _elementwise(stmt) -> bool:
        """`a, b = x, y`: each element is lowered and assigned on its own."""
        value = stmt.value
        return isinstance(value, (gast.Tuple, gast.List)) and all(
            isinstance(t, (gast.Tuple, gast.List)) and len(t.elts) == len(value.elts) for t in stmt.targets)

    def assign(self, target, value, value_node):
        """Bind `target` to `value` (lowering `value_node` element by element when `value` is None)."""
        if isinstance(target, gast.Name):
            if isinstance(value, Const) and isinstance(value.value, list):  # a list variable is mutable
                value = self.call(runtime.make_list, [Const(v) for v in value.value], value_node or target)
            value = self.named(value, target.id)
            self.env[target.id] = value
            return value
        if isinstance(target, gast.Subscript):
            return self.update(target, value if value is not None else self.operand(value_node))
        if not isinstance(target, (gast.Tuple, gast.List)):
            raise self.error(UnsupportedSyntaxError, target, "this assignment target is not supported")
        if value is None:
            parts = [self.operand(e) for e in value_node.elts]
            for sub, part in zip(target.elts, parts):
                self.assign(sub, part, None)
            return None
        for sub, part in zip(target.elts, self._unpack(value, target)):
            self.assign(sub, part, None)
        return value

    def update(self, target, value):
        """`x[index] = value`: `x` is bound to a new value, the updated array (see `aliasing`)."""
        if not isinstance(target.value, gast.Name):
            raise self.error(UnsupportedSyntaxError, target, "only a variable's elements can be assigned",
                             "Assign to a variable first, then to its elements: `row = x[i]; row[j] = v` "
                             "becomes `x[i, j] = v`.")
        name = target.value.id
        base = self.lookup(name, target.value)
        if not isinstance(base, Value):
            raise self.error(UnsupportedSyntaxError, target,
                             f"`{name}` is not a local array, so updating it would change data outside the function",
                             f"Work on a copy: `{name} = {name}.copy()` first.")
        index = self.operand(target.slice)
        self.fresh = set()
        result = self.call(runtime.setitem, [base, index, value], target)
        self.env[name] = self.named(result, name)
        return value

    def _unpack(self, value, target):
        if isinstance(value, Const) and isinstance(value.value, (tuple, list)):
            if len(value.value) != len(target.elts):
                raise self.error(UnsupportedSyntaxError, target,
                                 f"cannot unpack {len(value.value)} values into {len(target.elts)} names")
            return [Const(v) for v in value.value]
        display = self.displays.get(value) if isinstance(value, Value) else None
        if isinstance(display, list) and len(display) == len(target.elts):  # `a, b = pair` of a tuple written here
            return display
        return [self.call(operator.getitem, [value, Const(i)], target) for i in range(len(target.elts))]

    def named(self, value, name: str):
        """Give the temporary just computed the user's name, instead of copying it. Later
        ops of the statement that read it (the tuple of `a = (x * 2.0, c)[0]`) read it
        under its new name."""
        if isinstance(value, Value) and value in self.fresh:
            for i in range(len(self.ops) - 1, -1, -1):
                op = self.ops[i]
                if len(op.results) == 1 and op.results[0] is value:
                    renamed = Value(name, value.loc)
                    self.ops[i] = dataclasses.replace(op, results=(renamed,))
                    self.ops[i + 1:] = substitute(Region((), tuple(self.ops[i + 1:]), ()), {value: renamed}).ops
                    self.fresh.discard(value)
                    if value in self.displays:
                        self.displays[renamed] = self.displays.pop(value)
                    for key, elements in self.displays.items():
                        if isinstance(elements, list) and any(e is value for e in elements):
                            self.displays[key] = [renamed if e is value else e for e in elements]
                        elif isinstance(elements, dict) and any(e is value for e in elements.values()):
                            self.displays[key] = {k: renamed if e is value else e for k, e in elements.items()}
                    return renamed
        return value


@dataclasses.dataclass(frozen=True)
class _Counted:
    """The count of `enumerate(xs, start)` as a loop read: the index plus `start`."""

    start: object


def _is_literal(operand) -> bool:
    return isinstance(operand, Const) and operand.name is None and isinstance(
        operand.value, (bool, int, float, str, type(None)))


def _hide_targets(node, fresh):
    """The comprehension with its target variables renamed to names of its own."""
    import copy

    node = copy.deepcopy(node)
    names = {n.id for g in node.generators for n in gast.walk(g.target) if isinstance(n, gast.Name)}
    mapping = {name: fresh(name) for name in sorted(names)}
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and n.id in mapping:
            n.id = mapping[n.id]
    return node


def _target_names(target, lowering) -> list[str]:
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, (gast.Tuple, gast.List)) and all(isinstance(t, gast.Name) for t in target.elts):
        return [t.id for t in target.elts]
    raise lowering.error(UnsupportedSyntaxError, target, "this loop target is not supported",
                         "Use a name or a tuple of names: `for i, x in enumerate(xs)`.")


def _names_assigned(stmts) -> set[str]:
    """Variables the statements bind, counting `x` as bound by `x[i] = v` and `x.append(v)`."""
    names = set()
    for stmt in stmts:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                names.add(node.id)
            elif isinstance(node, gast.Expr) and isinstance(node.value, gast.Call):
                names.update(_updated_by_call(node.value))
            elif isinstance(node, gast.Assign):
                for target in node.targets:
                    for sub in gast.walk(target):
                        if isinstance(sub, gast.Subscript) and isinstance(sub.value, gast.Name):
                            names.add(sub.value.id)
    return names


def _updated_by_call(call) -> set[str]:
    """The variable a call statement updates: `items` in `items.append(v)`, `x` in `add_into(x, i, v)`."""
    func = call.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        return {func.value.id}
    if call.args and isinstance(call.args[0], gast.Name):
        return {call.args[0].id}
    return set()


def _names_exposed(stmt) -> set[str]:
    """Names `stmt` may read before binding them: a `for` loop's body reads the loop's
    targets only after each iteration has bound them."""
    if isinstance(stmt, gast.For):
        body = set().union(*(_names_exposed(s) for s in stmt.body)) - _names_assigned([stmt.target])
        return _names_read([stmt.iter]) | body | _names_read(stmt.orelse)
    return _names_read([stmt])


def _names_read(stmts) -> set[str]:
    return {n.id for s in stmts for n in gast.walk(s) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
