"""Stage 7: turn an IR function into Python source a person can read.

- Values are named after their hints by `naming.Namer`: the user's names, `x_1` for a
  later version of `x` while the earlier one is still read, and the same name again
  once it is not (`x = x * 2`). A scope per region knows which value holds each name
  and where that value is last read; a name is reused only once its holder is dead.
  Outer values read in a loop are live for the whole loop. Names of the forward pass
  are never reused by the backward pass.
- Region ops become real statements: `If` an `if`/`else` whose branches assign the
  results; `For` a `for` loop and `While` a `while` loop, whose carried values share one
  name before, inside and after the loop; a loop that can stop ends in `break`; a
  taped loop starts with `_tape = []` and appends its record at the end of the body.
- A temporary read once, by an op of the same user line in the same region, is written
  inline (`c = b * b * 3`), so each user statement reads as one line again.
- Above each group of backward statements, a comment quotes the user's line and gives
  `file.py:LINE`.

Two layouts: `flat` binds the seed to `1.0` and returns everything at once (`grad`),
`closure` returns the value and a pullback that takes the seed (`vjp`).
"""
from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

import numpy as np

from . import runtime
from .abstract import narrow_floats
from .aliasing import UPDATES, in_place_updates
from .emit_expr import Expressions
from .ir import Call, Const, For, Function, If, Region, Value, count_reads, defined_in, uses
from .naming import Namer

INF = float("inf")
_INLINE_ALWAYS = (runtime.make_tuple, runtime.make_list, runtime.make_dict, slice, range, reversed, len)
# The forward pass keeps the user's expressions whole; a backward expression is split
# into named steps beyond this many operations.
_BACKWARD_EXPRESSION_OPS = 3


@dataclass(frozen=True)
class Emitted:
    source: str
    namespace: dict
    name: str


def emit(fn: Function, layout: str = "flat", user_names=(), types=None, plain=False) -> Emitted:
    """`types`: what is known of the values (see `abstract`); numbers then use `math`,
    unless an array of a narrower float type is about: `np.sqrt(2.0)` is an `np.float64`,
    which makes a float32 array float64 in arithmetic, and `math.sqrt(2.0)` a float, which
    does not. `plain`: no runtime helpers that only make the code faster (`mean`,
    `softplus`), so that the front end can read the result (to differentiate it again)."""
    return _Emitter(fn, layout, set(user_names), types or {}, plain).run()


class _Scope:
    """Which value holds each name while one region is written, and where values die."""

    def __init__(self, holder: dict, end: dict, frozen: set):
        self.holder = holder  # name -> value bound to it
        self.end = end  # value -> index of its last read in this region (INF: read after it)
        self.frozen = frozen  # names that must not be rebound here
        self.preferred: dict = {}  # value -> the name it should get (a loop's or an If's result name)

    def available(self, name: str, at: int, strict: bool) -> bool:
        if name in self.frozen:
            return False
        value = self.holder.get(name)
        if value is None:
            return True
        end = self.end.get(value, -1)
        return end < at if strict else end <= at


class _Emitter:
    def __init__(self, fn: Function, layout: str, user_names: set, types: dict, plain: bool = False):
        self.fn = fn
        self.layout = layout
        self.user_names = user_names
        self.namer = Namer(claimable=user_names)
        self.exprs = Expressions(self.namer, types, plain, math_functions=not narrow_floats(fn, types))
        self.by_hint: dict[str, list[str]] = {}
        self.lines: list[str] = []
        self.backward_at = len(fn.body.ops) if fn.backward_at is None else fn.backward_at
        self.in_place = in_place_updates(fn, _accumulations(fn.body, types))
        # `z = X @ w + b` written `z = X @ w; z += b`: the product takes the user's name of the sum
        sums = _sums_in_place(fn.body, self.in_place, {})
        self.sum_names = {start: last.hint for start, last in sums.items() if last.hint in user_names}
        reads: dict = {}
        count_reads(Region((), fn.body.ops, fn.returns), reads)
        self.spent_sums = {last for last in sums.values() if reads.get(last) == 1}  # read once: their array is free
        self.stopped_inline = False  # whether the last tail `If` of a loop body wrote its `break`
        self.commented = None  # the user line the last comment quoted
        self.pending = None  # that comment, until a statement follows it

    # ------------------------------------------------------------ layout

    def run(self) -> Emitted:
        fn = self.fn
        for p in fn.params:
            self.namer.name(p)
        self._reserve_globals(fn.body)
        forward = Region((), fn.body.ops[: self.backward_at], ())
        backward = Region((), fn.body.ops[self.backward_at:], fn.returns)
        self._decide_inlining(fn.body, self.backward_at)
        end = _ends(Region((), fn.body.ops, fn.returns), self.exprs.inline)
        scope = _Scope({self.namer.names[p]: p for p in fn.params}, end, set())
        params = ", ".join(self.namer.names[p] for p in fn.params)
        self.lines.append(f"def {fn.name}({params}):")
        if fn.seed is None:
            self._ops(forward.ops, scope, 1, comments=False, offset=0)
            self.lines.append(f"    return {self._list(fn.returns)}")
            return self._done()
        self.lines.append("    # forward pass")
        self._ops(forward.ops, scope, 1, comments=False, offset=0)
        if self.lines[-1] == "    # forward pass":  # nothing to compute before the backward pass
            self.lines.pop()
        self._release(backward, scope)
        if self.layout == "closure":  # the pullback must not rebind a name it reads from the forward pass
            scope.frozen = set(scope.holder) | set(self.namer.names.values())
        seed = self._name(fn.seed, scope, self.backward_at, strict=False)
        if self.layout == "flat":
            self.lines.append("    # backward pass")
            self.lines.append(f"    {seed} = 1.0")
            self._ops(backward.ops, scope, 1, comments=True, offset=self.backward_at)
            self.lines.append(f"    return {self._list(fn.returns)}")
            return self._done()
        pullback = self.namer.fresh(f"{fn.name.removesuffix('_vjp')}_pullback")
        self.lines += ["", f"    def {pullback}({seed}):", "        # backward pass"]
        self._ops(backward.ops, scope, 2, comments=True, offset=self.backward_at)
        self.lines += [f"        return {self._list(fn.returns[1:])}", "",
                       f"    return {self._list(fn.returns[:1])}, {pullback}"]
        return self._done()

    def _release(self, backward: Region, scope: _Scope) -> None:
        """`del` the arrays made for the forward sweep alone (`Function.released`): their
        memory is free again before the backward pass."""
        read = uses(backward)
        names = [self.namer.names[v] for v in self.fn.released
                 if v not in read and v in self.namer.names and scope.holder.get(self.namer.names[v]) is v]
        if names:
            self.lines.append(f"    del {', '.join(names)}  # read by the forward pass alone")

    def line(self, text: str) -> None:
        """Add a statement line, after the comment waiting for it."""
        if self.pending is not None:
            indent = text[: len(text) - len(text.lstrip())]
            self.lines.append(indent + self.pending)
            self.pending = None
        self.lines.append(text)

    def _done(self) -> Emitted:
        return Emitted("\n".join(self.lines) + "\n", self.exprs.namespace, self.fn.name)

    def _list(self, operands) -> str:
        self.pending = None
        return ", ".join(self.exprs.text(x) for x in operands)

    def _reserve_globals(self, region: Region) -> None:
        for op in region.ops:
            if isinstance(op, Call):
                self.exprs.callee(op.fn, op.fn_name)
            for x in op.operands:
                if isinstance(x, Const) and x.name is not None:
                    self.exprs.operand(x)
            for inner in op.regions:
                self._reserve_globals(inner)

    # ------------------------------------------------------------ names

    def _name(self, value: Value, scope: _Scope, at: int, strict: bool, preferred: str | None = None,
              exclude=()) -> str:
        """Choose the name of `value`, defined at op `at` of the scope's region."""
        if preferred is not None and preferred not in exclude and scope.available(preferred, at, strict):
            name = preferred
        else:
            name = next((n for n in self.by_hint.get(value.hint, ())
                         if n not in exclude and scope.available(n, at, strict)), None)
            if name is None:
                name = self.namer.fresh(value.hint)
                self.by_hint.setdefault(value.hint, []).append(name)
        self.namer.share(value, name)
        scope.holder[name] = value
        return name

    def _into_spent_sum(self, op: Call) -> bool:
        """Whether `op` is a one-argument ufunc of a sum formed in place that nothing else
        reads, with the sum's shape and dtype: it may write its result into the sum's array."""
        if self.exprs.plain or not (isinstance(op.fn, np.ufunc) and op.fn.nin == op.fn.nout == 1 and not op.kwargs
                                    and len(op.args) == 1 and op.args[0] in self.spent_sums):
            return False
        arg, result = self.exprs.types.get(op.args[0]), self.exprs.types.get(op.results[0])
        return arg is not None and arg == result and arg.dims is not None and arg.dtype is not None

    def _decide_inlining(self, region: Region, backward_at: int) -> None:
        """Mark temporaries read once, by an op of the same line and region, to be written inline."""
        counts: dict = {}
        count_reads(region, counts, per_yield=2)  # a yielded value is never written inline
        reader = {}
        for i, op in enumerate(region.ops):
            for x in op.operands:
                if isinstance(x, Value):
                    reader[x] = i
        sizes: dict = {}
        for i, op in enumerate(region.ops):
            for inner in op.regions:
                self._decide_inlining(inner, len(inner.ops) if i < backward_at else 0)
            if not isinstance(op, Call) or op.fn in UPDATES or id(op) in self.in_place:
                continue  # an update is a statement of its own
            r = op.results[0]
            j = reader.get(r)
            if j is None and op.fn in _INLINE_ALWAYS and r in region.yields:
                self.exprs.inline[r] = op  # `return loss, (w_bar, b_bar)`
                continue
            if j is None or counts.get(r) != 1 and op.fn not in _INLINE_ALWAYS:
                continue
            if counts.get(r) != 1 and any(x in self.exprs.inline for x in op.operands):
                continue  # a display read twice, of an expression: written once, or its work would repeat
            use = region.ops[j]
            if isinstance(use, Call) and (use.fn in UPDATES or id(use) in self.in_place) and use.args[0] is r:
                continue  # the array an update writes into needs a name
            if any(isinstance(o, Call) and o.fn in UPDATES or o.regions for o in region.ops[i + 1:j]):
                continue  # writing it later would read an array after an update (or a loop) changed it
            backward = i >= backward_at
            size = 1 + sum(sizes.get(x, 0) for x in op.operands if x in self.exprs.inline)
            same_line = op.loc is not None and use.loc is not None and (op.loc.file, op.loc.line) == (use.loc.file, use.loc.line)
            if op.fn in _INLINE_ALWAYS or (
                    same_line and r.hint not in self.user_names and not r.hint.startswith("_")
                    and backward == (j >= backward_at) and (not backward or size <= _BACKWARD_EXPRESSION_OPS)):
                self.exprs.inline[r] = op
                sizes[r] = size

    # ------------------------------------------------------------ statements

    def _ops(self, ops, scope: _Scope, depth: int, comments: bool, offset: int, stop=None) -> None:
        indent = "    " * depth
        for k, op in enumerate(ops):
            i = k + offset
            if isinstance(op, Call) and op.results[0] in self.exprs.inline:
                continue
            if comments and op.loc is not None and (op.loc.file, op.loc.line) != self.commented:
                self.commented = (op.loc.file, op.loc.line)
                self.pending = f"# {op.loc.text.strip()}  ({op.loc.short})"
            if isinstance(op, Call) and op.fn in UPDATES:
                self._update(op, scope, i, indent)
            elif isinstance(op, Call) and id(op) in self.in_place and op.results[0] not in self.exprs.inline:
                target = self.exprs.text(op.args[0])  # an adjoint accumulated in place: `W_bar += ...`
                self.namer.share(op.results[0], target)
                scope.holder[target] = op.results[0]
                self.line(f"{indent}{target} += {self.exprs.text(op.args[1])}")
            elif isinstance(op, Call):
                call = self.exprs.call(op)
                if isinstance(call, ast.Call) and self._into_spent_sum(op):  # `h = np.tanh(z, out=z)`: the
                    call.keywords.append(ast.keyword("out", self.exprs.operand(op.args[0])))  # sum's array, spent
                expression = ast.unparse(call)
                preferred = scope.preferred.get(op.results[0]) or self.sum_names.get(op.results[0])
                target = self._name(op.results[0], scope, i, strict=False, preferred=preferred)
                if op.fn is runtime.stop_gradient and target == self.exprs.text(op.args[0]):
                    continue  # `x = stop_gradient(x)` after a no_grad block: nothing to write
                if target != expression:  # a rename that kept its name needs no statement
                    self.line(f"{indent}{target} = {expression}")
            elif isinstance(op, If):
                self._if(op, scope, i, depth, comments, stop if k == len(ops) - 1 else None)
            else:
                self._loop(op, scope, i, depth, comments)

    def _update(self, op: Call, scope: _Scope, i: int, indent: str) -> None:
        """`x[index] = v` (or `+=`, or `items.append(v)`), in place when `aliasing` allows
        it, else on a copy."""
        if op.fn is runtime.RowTerms.add:  # a loop's collector of rows (see `batching`): never shared
            terms = self.exprs.text(op.args[0])
            self.namer.share(op.results[0], terms)
            scope.holder[terms] = op.results[0]
            self.line(f"{indent}{terms}.add({', '.join(self.exprs.text(a) for a in op.args[1:])})")
            return
        if op.fn is runtime.list_append:
            items, value = (self.exprs.text(a) for a in op.args)
            if id(op) in self.in_place:
                self.namer.share(op.results[0], items)
                scope.holder[items] = op.results[0]
                self.line(f"{indent}{items}.append({value})")
            else:
                name = self._name(op.results[0], scope, i, strict=False, preferred=scope.preferred.get(op.results[0]))
                self.line(f"{indent}{name} = {items} + [{value}]")
            return
        target, index, value = op.args
        place = ast.unparse(ast.Subscript(ast.Name("X"), self.exprs.operand(index, in_index=True)))[1:]
        value_text = self.exprs.text(value)
        old = self.exprs.text(target)
        if id(op) in self.in_place:
            name = old
            self.namer.share(op.results[0], name)
            scope.holder[name] = op.results[0]
        else:
            name = self._name(op.results[0], scope, i, strict=False, preferred=scope.preferred.get(op.results[0]))
            if op.fn is runtime.add_at:
                self.line(f"{indent}{name} = {ast.unparse(self.exprs.call(op))}")
                return
            self.line(f"{indent}{name} = {old}.copy()")
        if op.fn is runtime.setitem:
            self.line(f"{indent}{name}{place} = {value_text}")
        else:
            add_into = self.exprs.global_name(runtime.add_into, "add_into")
            self.line(f"{indent}{add_into}({name}, {ast.unparse(self.exprs.operand(index))}, {value_text})")

    def _child(self, region: Region, scope: _Scope, at: int, loop: bool) -> _Scope:
        end = _ends(region, self.exprs.inline)
        inside = defined_in(region)
        for v in list(end):
            if v not in inside and (loop or scope.end.get(v, -1) > at):
                end[v] = INF  # an outer value read here, and again later (or next iteration)
        child = _Scope(dict(scope.holder), end, set(scope.frozen))
        for name, value in scope.holder.items():
            if value not in end and scope.end.get(value, -1) > at:
                child.end[value] = INF
        return child

    def _if(self, op: If, scope: _Scope, i: int, depth: int, comments: bool, stop) -> None:
        indent = "    " * depth
        cond = self.exprs.text(op.cond)
        before = dict(scope.holder)
        names = []
        for r in op.results:  # one name each: every branch assigns them all (an unread result too)
            names.append(self._name(r, scope, i, strict=False, preferred=scope.preferred.get(r), exclude=names))
        if stop is not None and any(names[k] != scope.preferred.get(r, names[k]) for k, r in enumerate(op.results)):
            stop = None  # a carried value would miss its loop name on the path that breaks
        self.stopped_inline = stop is not None
        branches = []
        for region in (op.then, op.orelse):
            start = len(self.lines)
            child = self._child(region, scope, i, loop=False)
            for name in names:  # the results are bound at the end of the branch
                child.holder[name] = before.get(name)
            child.preferred = {y: names[k] for k, y in enumerate(region.yields)
                               if isinstance(y, Value) and _defined_here(region, y)}
            self._ops(region.ops, child, depth + 1, comments, 0)
            targets, values = [], []
            breaks = False
            for k, y in enumerate(region.yields):
                if stop is not None and k == stop and isinstance(y, Const):
                    breaks = y.value is True
                    continue
                if isinstance(y, Value) and self.namer.names.get(y) == names[k] and y not in self.exprs.inline:
                    continue
                targets.append(names[k])
                values.append(self.exprs.text(y))
            if targets:
                self.line(f"{indent}    {', '.join(targets)} = {', '.join(values)}")
            if breaks:
                self.line(f"{indent}    break")
            branches.append(self.lines[start:])
            del self.lines[start:]
        if not branches[0] and not branches[1]:
            return
        if not branches[0]:
            self.line(f"{indent}if not {_parenthesized(op.cond, cond)}:")
            self.lines += branches[1]
            return
        self.line(f"{indent}if {cond}:")
        self.lines += branches[0]
        if branches[1]:
            self.lines.append(f"{indent}else:")
            self.lines += branches[1]

    def _loop(self, op, scope: _Scope, i: int, depth: int, comments: bool) -> None:
        indent = "    " * depth
        ncarried = len(op.inits)
        carried = op.body.params[len(op.body.params) - ncarried:]
        read_inside = set()
        for region in op.regions:
            read_inside |= set(_ends(region, self.exprs.inline))
        groups, copies = [], []
        for init, param, result in zip(op.inits, carried, op.results):
            held = self.namer.names.get(init) if isinstance(init, Value) else None
            if (held is not None and init.hint == result.hint and init not in read_inside and scope.end.get(init, -1) <= i
                    and scope.holder.get(held) is init and held not in groups and held not in scope.frozen):
                name = held
            else:
                name = self._name(result, scope, i, strict=True, exclude=groups)
                copies.append((name, self.exprs.text(init)))
            self.namer.share(result, name)
            self.namer.share(param, name)
            scope.holder[name] = result
            groups.append(name)
        if copies:
            self.line(f"{indent}{', '.join(n for n, _ in copies)} = {', '.join(v for _, v in copies)}")
        tape = None
        if op.tape:
            tape = self._name(op.results[-1], scope, i, strict=True)
            self.line(f"{indent}{tape} = []")
        body = op.body
        child = self._child(body, scope, i, loop=True)
        for name, param in zip(groups, carried):
            child.holder[name] = param
        if isinstance(op, For):
            targets = [self._name(t, child, -1, strict=True) for t in op.targets]
            header = f"for {', '.join(targets)} in {self.exprs.text(op.iterable)}:"
            self.line(f"{indent}{header}")
        else:
            cond_child = self._child(op.cond, scope, i, loop=True)
            for name, param in zip(groups, op.cond.params):
                self.namer.share(param, name)
                cond_child.holder[name] = param
            test = self._condition(op.cond, cond_child, depth + 1)
            self.line(f"{indent}while {test}:" if test is not None else f"{indent}while True:")
            if test is None:
                self._ops(op.cond.ops, cond_child, depth + 1, comments, 0)
                self.lines.append(f"{indent}    if not {self.exprs.text(op.cond.yields[0])}:")
                self.lines.append(f"{indent}        break")
        child.preferred = {y: groups[j] for j, y in enumerate(body.yields[:ncarried])
                           if isinstance(y, Value) and _defined_here(body, y)}
        last = body.ops[-1] if body.ops else None
        if op.stop and isinstance(last, If) and body.yields[ncarried] in last.results:
            child.preferred[body.yields[ncarried]] = None
        start = len(self.lines)
        stop_at = ncarried if op.stop and not op.tape and self._stop_is_tail(body, ncarried) else None
        self.stopped_inline = False
        self._ops(body.ops, child, depth + 1, comments, 0, stop=stop_at)
        if stop_at is not None and not isinstance(body.yields[ncarried], Const) and not self.stopped_inline:
            stop_at = None
        if op.tape:  # before the moves: the record may hold this iteration's carried values
            self.line(f"{indent}    {tape}.append({self.exprs.text(body.yields[ncarried + op.stop])})")
        moves = [(groups[j], self.exprs.text(y)) for j, y in enumerate(body.yields[:ncarried])
                 if not (isinstance(y, Value) and self.namer.names.get(y) == groups[j] and y not in self.exprs.inline)]
        if moves:
            self.line(f"{indent}    {', '.join(n for n, _ in moves)} = {', '.join(v for _, v in moves)}")
        if op.stop and stop_at is None:
            flag = body.yields[ncarried]
            if isinstance(flag, Const):
                if flag.value is True:  # every iteration leaves: the first is the last
                    self.line(f"{indent}    break")
            else:
                self.line(f"{indent}    if {self.exprs.text(flag)}:")
                self.line(f"{indent}        break")
        if len(self.lines) == start:
            self.line(f"{indent}    pass")

    def _stop_is_tail(self, body: Region, ncarried: int) -> bool:
        """Whether `break` can be written in place: the stop flag comes from the body's last `If`,
        and each carried value already has its loop name there."""
        flag = body.yields[ncarried]
        if isinstance(flag, Const):
            return flag.value is False  # never leaves early: no `break` to write (an always-True flag's is written last)
        last = body.ops[-1] if body.ops else None
        return isinstance(last, If) and flag in last.results and all(
            y in last.results for y in body.yields[:ncarried] if isinstance(y, Value) and _defined_here(body, y))

    def _condition(self, cond: Region, scope: _Scope, depth: int) -> str | None:
        """The loop test as one expression, if its ops can all be written inline."""
        *inner, last = cond.ops or [None]
        if last is None:
            return self.exprs.text(cond.yields[0])
        if (isinstance(last, Call) and last.results[0] is cond.yields[0]
                and all(isinstance(op, Call) and op.results[0] in self.exprs.inline for op in inner)):
            return ast.unparse(self.exprs.call(last))
        return None


def _accumulations(region: Region, types: dict, found=None) -> set:
    """Ids of additions `a + b` that may be written `a += b`: adjoint accumulations whose
    result is known to have the shape of `a` (whether `a` may be overwritten is for
    `aliasing.in_place_updates` to say)."""
    from . import abstract

    found = set() if found is None else found
    lines = {r: (op.loc.file, op.loc.line) for op in region.ops if op.loc is not None for r in op.results}
    producers = {r: op for op in region.ops if isinstance(op, Call) for r in op.results}
    summed = set()  # a matrix product just made, and the sums added into it
    for op in region.ops:
        for inner in op.regions:
            _accumulations(inner, types, found)
        if not (isinstance(op, Call) and op.fn is operator.add and isinstance(op.args[0], Value)):
            continue
        made = producers.get(op.args[0])
        if made is not None and (made.fn in (operator.matmul, np.matmul) or op.args[0] in summed) and \
                abstract.adds_in_place(types.get(op.args[0]), abstract.value_of(types, op.args[1]),
                                       types.get(op.results[0])):
            found.add(id(op))  # `h_matmul_W = h @ W; h_matmul_W += b`: no new array for the sum
            summed.add(op.results[0])
            continue
        same_line = op.loc is not None and lines.get(op.args[0]) == (op.loc.file, op.loc.line)
        if not same_line and op.results[0].hint == op.args[0].hint and op.results[0].hint.endswith("_bar"):
            a, r = types.get(op.args[0]), types.get(op.results[0])
            if isinstance(a, abstract.Array) and isinstance(r, abstract.Array) and a.dims is not None \
                    and a.dims == r.dims and (a.dtype is None or r.dtype is None or a.dtype == r.dtype):
                found.add(id(op))
    return found


def _sums_in_place(region: Region, in_place: set, last: dict) -> dict:
    """Each matrix product that sums are formed into in place -> the last of those sums."""
    producers = {r: op for op in region.ops if isinstance(op, Call) for r in op.results}
    start: dict = {}
    for op in region.ops:
        for inner in op.regions:
            _sums_in_place(inner, in_place, last)
        if isinstance(op, Call) and op.fn is operator.add and id(op) in in_place and op.args[0] in producers:
            made = producers[op.args[0]]
            if made.fn in (operator.matmul, np.matmul) or op.args[0] in start:
                start[op.results[0]] = start.get(op.args[0], op.args[0])
                last[start[op.results[0]]] = op.results[0]
    return last


def _parenthesized(operand, text: str) -> str:
    return text if isinstance(operand, Value) and text.isidentifier() else f"({text})"


def _defined_here(region: Region, value) -> bool:
    return value in region.params or any(value in op.results for op in region.ops)


def _ends(region: Region, inline: dict) -> dict:
    """Index of the last read of each value in `region` (nested reads count at their op;
    a read by an inlined op counts where that op is written)."""
    ops = region.ops
    reader_of = {x: len(ops) for x in region.yields if isinstance(x, Value)}
    for i, op in enumerate(ops):
        for x in op.operands:
            if isinstance(x, Value):
                reader_of[x] = i
    position = {len(ops): len(ops)}
    for i in range(len(ops) - 1, -1, -1):
        op = ops[i]
        r = op.results[0] if op.results else None
        position[i] = position.get(reader_of.get(r, i), i) if r in inline and reader_of.get(r, i) > i else i
    end: dict = {}
    for i, op in enumerate(ops):
        for x in _reads(op):
            end[x] = max(end.get(x, -1), position[i])
    for x in region.yields:
        if isinstance(x, Value):
            end[x] = len(ops)
    return end


def _reads(op):
    yield from (x for x in op.operands if isinstance(x, Value))
    for region in op.regions:
        yield from _region_reads(region)


def _region_reads(region: Region):
    for op in region.ops:
        yield from _reads(op)
    yield from (x for x in region.yields if isinstance(x, Value))

