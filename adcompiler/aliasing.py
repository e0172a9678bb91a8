"""Which values may share memory, and which array updates may be written in place.

The IR reads an array update `x[i] = v` as a function returning a new array
(`runtime.setitem`), and an accumulation `x[i] += v` with repeatable indices as
`runtime.add_at`. Python code means something else when two names share one array:
`y = x[0]; x[0] = 5.0` changes `y` too. So:

- values that may share memory fall into one *object*: a view (`x[1:]`, `x.T`,
  `np.reshape(x, ...)`) and its base, an update and the array it updates, a loop's
  carried value and its initial and next values, an `If`'s result and what its
  branches yield;
- `check_updates` refuses a user program that reads, after an update, a value of the
  updated object that existed before the update (a view taken earlier, or the same
  array under another name): a functional reading would differ from NumPy's;
- `in_place_updates` picks the updates that generated code may write in place: those
  of an array the function owns (`owned_values`: made inside it by an op known to
  return a new array, never a parameter, a global or a view) when no value of the
  same object that existed before the update is read after it, forward or backward.

"After" follows execution: an op later in program order, or any op of an enclosing
loop (the next iteration) for a value defined outside that loop.
"""
from __future__ import annotations

import operator

import numpy as np

from . import abstract, runtime
from .errors import UnsupportedSyntaxError
from .ir import Call, Const, For, Function, If, Region, Value

INF = float("inf")
VIEWS = {
    operator.getitem, np.reshape, np.transpose, np.ravel, np.squeeze, np.expand_dims, np.broadcast_to,
    np.swapaxes, np.moveaxis, np.asarray, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.diagonal,
    np.real, runtime.rename, runtime.stop_gradient, runtime.unbroadcast, runtime.broadcast_back, runtime.as_gradient,
    runtime.as_own_gradient,
}
UPDATES = (runtime.setitem, runtime.add_at, runtime.list_append, runtime.RowTerms.add)
# updates that keep references to their other arguments: reading the container reads them
HOLDING = (runtime.list_append, runtime.RowTerms.add)
# (function, argument position) pairs that read only an array's shape or dtype, which
# an array update does not change: such a read conflicts only with an append to a list.
METADATA_READS = {
    (np.shape, 0), (np.ndim, 0), (np.size, 0), (len, 0), (runtime.unbroadcast, 1), (runtime.broadcast_back, 1),
    (runtime.broadcast_back, 2),
    (runtime.getitem_adjoint, 1), (runtime.zeros_like_input, 0), (np.zeros_like, 0), (np.ones_like, 0),
    (runtime.as_gradient, 1), (runtime.as_own_gradient, 1), (runtime.sum_adjoint, 1),
}
FRESH = {
    np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.array, np.copy, np.eye, np.identity, np.arange, np.linspace,
    np.sum, np.mean, np.prod, np.max, np.min, np.std, np.var, np.cumsum, np.cumprod, np.outer, np.dot,
    runtime.setitem, runtime.add_at, runtime.list_append, runtime.make_list, runtime.getitem_adjoint,
    runtime.zeros_like_input, runtime.RowTerms, runtime.extremum_adjoint,
    operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg, operator.matmul,
    operator.floordiv, operator.mod, operator.pos, operator.abs, operator.not_,
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
}


# Functions that return new arrays (or numbers), never memory shared with an argument.
# (`np.diff` and `np.linalg.matrix_power` are, but for the `n` at which they return `z`.)
_SELF_AT = {np.diff: 0, np.linalg.matrix_power: 1}
FRESH |= {
    np.where, np.clip, np.concatenate, np.stack, np.hstack, np.vstack, np.dstack, np.column_stack, np.tile,
    np.repeat, np.sort, np.argsort, np.argmax, np.argmin, np.cross, np.kron, np.tensordot, np.inner,
    np.vdot, np.matmul, np.trace, np.average, np.ptp, np.nansum, np.nanmean, np.pad, np.take, np.take_along_axis,
    np.linalg.inv, np.linalg.pinv, np.linalg.solve, np.linalg.det, np.linalg.norm, np.linalg.cholesky,
    np.linalg.slogdet, np.linalg.qr, np.linalg.eigh, np.linalg.eigvalsh, np.linalg.svd, np.linalg.lstsq,
    runtime.unstack if hasattr(runtime, "unstack") else np.copy,
}
CONTAINERS = {runtime.make_tuple, runtime.make_list, runtime.make_dict}
# Functions whose results are not arrays: reading them never reads an array's memory.
NOT_ARRAYS = {np.shape, np.ndim, np.size, len, int, float, bool, range, runtime.dtype_of, isinstance}


def is_fresh_call(op) -> bool:
    """Whether a call certainly returns a new array (or a scalar), never one of its inputs."""
    try:
        if op.fn is np.array:  # `np.array(z, copy=False)` (or `copy=None`) may be `z` itself
            return all(k != "copy" or isinstance(v, Const) and v.value is True for k, v in op.kwargs)
        if op.fn in _SELF_AT:  # `np.diff(z, 0)` and `matrix_power(z, 1)` are `z`
            n = op.args[1] if len(op.args) > 1 else dict(op.kwargs).get("n", Const(1))
            return isinstance(n, Const) and type(n.value) is int and n.value != _SELF_AT[op.fn]
        return op.fn in FRESH or isinstance(op.fn, np.ufunc) and not op.kwargs or _new_total(op)
    except TypeError:
        return False


def _new_total(op) -> bool:
    """A `RowTerms` total that starts from zeros it makes (with `start`, it may be `start` itself)."""
    return op.fn in (runtime.RowTerms.product, runtime.RowTerms.column_sum) and any(
        k == "zeros_like" for k, _ in op.kwargs)


def may_share(op) -> bool:
    """Whether a call's result may share memory with its array arguments: a view
    (`x.T`, `np.flip(x)`), or a function not known to make a new array."""
    try:
        return op.fn in VIEWS or not (is_fresh_call(op) or op.fn in NOT_ARRAYS)
    except TypeError:
        return True


class _Program:
    """Positions of definitions and reads, object classes, and enclosing loops."""

    def __init__(self, fn: Function, accumulations: frozenset = frozenset()):
        self.accumulations = accumulations  # ids of `a = a + b` ops that could be `a += b`
        self.parent: dict = {}
        self.defined: dict = {p: -1 for p in fn.params}
        self.reads: dict = {}  # value -> [(position, loops enclosing the read)]
        self.length_reads: dict = {}  # the same for reads of only a shape (or a list's length)
        self.dicts: set = set()  # values made by dict displays: an item assignment may change their length
        self.updates: list = []  # (op, position, loops enclosing it)
        self.paths: dict = {}  # id(update op) -> the branches it is in
        self.containers: dict = {}  # value -> the tuples, lists and dicts that hold it
        self._members = None
        self.counter = 0
        self.path: tuple = ()  # ((id of an If, branch index), ...) enclosing what is being read
        # What each value is known to be: a tuple or list of known items, or something else
        # (`None`); loop and branch values, and items read from containers, are whatever
        # they are merged with. `element_reads` are the `c[k]` ops, resolved at the end.
        self.layouts: dict = {p: None for p in fn.params}
        self.element_reads: list = []
        self.region(fn.body, ())
        self._resolve_element_reads()

    def find(self, v):
        root = v
        while root in self.parent:
            root = self.parent[root]
        while v in self.parent and self.parent[v] is not root:  # path compression
            self.parent[v], v = root, self.parent[v]
        return root

    def union(self, a, b) -> None:
        if isinstance(a, Value) and isinstance(b, Value):
            ra, rb = self.find(a), self.find(b)
            if ra is not rb:
                self.parent[ra] = rb

    def tick(self) -> int:
        self.counter += 1
        return self.counter

    def read(self, x, loops, reads=None) -> None:
        if isinstance(x, Value):
            (self.reads if reads is None else reads).setdefault(x, []).append((self.counter, loops, self.path))

    def read_operands(self, op, loops) -> None:
        for k, x in enumerate(op.operands):
            metadata = isinstance(op, Call) and (op.fn, k) in METADATA_READS
            self.read(x, loops, self.length_reads if metadata else None)

    def region(self, region: Region, loops) -> None:
        for p in region.params:
            self.defined[p] = self.counter
        for op in region.ops:
            position = self.tick()
            self.read_operands(op, loops)
            if isinstance(op, Call):
                update = op.fn in UPDATES or id(op) in self.accumulations or op.in_place
                self._note_layout(op)
                if update and op.args:
                    self.union(op.results[0], op.args[0])
                    if op.fn in HOLDING:
                        for held in op.args[1:]:
                            if isinstance(held, Value):
                                self.containers.setdefault(held, set()).add(op.results[0])
                elif op.fn is operator.getitem and len(op.args) == 2:
                    self.element_reads.append((op.results[0], op.args[0], op.args[1]))
                elif op.fn in VIEWS and op.args:
                    self.union(op.results[0], op.args[0])  # a view of its first argument (not of an index)
                elif op.fn in CONTAINERS:  # holds its items: reading it reads them
                    for arg in op.args:
                        if isinstance(arg, Value):
                            self.containers.setdefault(arg, set()).add(op.results[0])
                elif may_share(op):
                    for k, arg in enumerate(op.args):
                        if (op.fn, k) not in METADATA_READS:  # (an argument read for its shape is not returned)
                            self.union(op.results[0], arg)
                if update:
                    self.updates.append((op, position, loops))
                    self.paths[id(op)] = self.path
            elif isinstance(op, If):
                outer = self.path
                for k, branch in enumerate(op.regions):
                    self.path = outer + ((id(op), k),)
                    self.region(branch, loops)
                    for r, y in zip(op.results, branch.yields):
                        self.union(r, y)
                self.path = outer
            else:
                inner = loops + (op,)
                carried = op.body.params[len(op.body.params) - len(op.inits):]
                for p, init, y, r in zip(carried, op.inits, op.body.yields, op.results):
                    self.union(p, init)
                    self.union(p, y)
                    self.union(p, r)
                if not isinstance(op, For):
                    for p, c in zip(carried, op.cond.params):
                        self.union(p, c)
                if op.tape and isinstance(op.body.yields[-1], Value):  # the tape holds each record
                    self.containers.setdefault(op.body.yields[-1], set()).add(op.results[-1])
                for r in op.regions:
                    self.region(r, inner)
            self.tick()
            for r in op.results:
                self.defined[r] = self.counter
        for y in region.yields:
            self.read(y, loops)

    def _note_layout(self, op) -> None:
        if op.fn is runtime.make_dict:
            self.dicts.add(op.results[0])
        if op.fn in (runtime.make_tuple, runtime.make_list):
            self.layouts[op.results[0]] = (True, op.args)  # items by position
        elif op.fn is runtime.list_append:
            self.layouts[op.results[0]] = (False, op.args[1:])  # one more item, after the others
        elif op.fn is not operator.getitem:
            for r in op.results:
                self.layouts[r] = None

    def _resolve_element_reads(self) -> None:
        """`c[k]` is a view of `c` when `c` may be an array; when `c` is certainly a tuple or
        list adcompiler built, it is one of the items (the `k`-th, for a constant `k`) and
        shares memory with that item only. Merging objects can turn a container into
        "maybe an array", so repeat until nothing changes."""
        changed = True
        while changed:
            changed = False
            kinds: dict = {}  # object -> [known container layouts, whether it may be something else]
            for v, layout in self.layouts.items():
                entry = kinds.setdefault(self.find(v), [[], False])
                if layout is None:
                    entry[1] = True
                else:
                    entry[0].append(layout)
            for result, c, k in self.element_reads:
                if not isinstance(c, Value):
                    continue
                layouts, other = kinds.get(self.find(c), ([], True))
                sources = [c] if other or not layouts else _items_at(layouts, k)
                # a constant item (the `[]` of `[[], []]`) is one object, whichever read gets it
                sources = [c if isinstance(source, Const) and isinstance(source.value, (list, dict)) else source
                           for source in sources]
                for source in sources:
                    if isinstance(source, Value) and source is not c:  # `result` is `source`: reading it reads that
                        self.containers.setdefault(source, set()).add(result)
                    if isinstance(source, Value) and self.find(source) is not self.find(result):
                        self.union(result, source)
                        changed = True

    def conflicts(self, op, position: int, loops, include_target: bool) -> list:
        """Values of the updated object, existing before the update, that are read after it."""
        target, result = op.args[0], op.results[0]
        root = self.find(target)
        found = []
        for v in self.members(root):
            if (v is result or self.defined.get(v, -1) > position) and self.containers.get(v) \
                    and any(self._inside(v, loop) and self._carries(loop, root) for loop in loops):
                found.append(v)  # held beyond its iteration (by a tape, a list, a collector): the next update changes it
                continue
            if v is result or (v is target and not include_target):
                continue
            if self.defined.get(v, -1) > position:
                continue  # a later version, or a view of one
            reads = [r for holder in self._holders(v) for r in self.reads.get(holder, ())]
            if op.fn is runtime.list_append or op.fn is runtime.setitem and any(
                    self.find(d) is root for d in self.dicts):  # it changes the length `len(items)` reads
                reads += [r for holder in self._holders(v) for r in self.length_reads.get(holder, ())]
            path = self.paths.get(id(op), ())
            for at, read_loops, read_path in reads:
                if _exclusive(path, read_path):
                    continue  # the other branch of an `if`: never runs after the update
                if at > position or any(loop in read_loops and self.defined.get(v, -1) < self._start(loop)
                                        for loop in loops):
                    found.append(v)
                    break
        return found

    def members(self, root) -> list:
        """The values of one object (read, or held by a container), computed once for all."""
        if self._members is None:
            self._members = {}
            for v in dict.fromkeys(list(self.reads) + list(self.containers)):
                self._members.setdefault(self.find(v), []).append(v)
        return self._members.get(root, [])

    def _holders(self, v) -> list:
        """`v`, the containers holding it and the other values of their objects (a list and
        the same list after an append, or carried through a loop): reading one reads `v`."""
        found, todo = [v], [v]
        while todo:
            for c in self.containers.get(todo.pop(), ()):
                for holder in [c] + self.members(self.find(c)):
                    if holder not in found:
                        found.append(holder)
                        todo.append(holder)
        return found

    def _carries(self, loop, root) -> bool:
        """Whether `loop` carries the object `root` from one iteration to the next."""
        return any(self.find(p) is root for p in loop.body.params[len(loop.body.params) - len(loop.inits):])

    def _inside(self, v, loop) -> bool:
        """Whether `v` is defined in the body of `loop`."""
        end = self.defined.get(loop.results[0], INF) if loop.results else INF
        return self._start(loop) <= self.defined.get(v, -1) < end

    def _start(self, loop) -> int:
        params = loop.body.params
        return min((self.defined[p] for p in params if p in self.defined), default=0)


def _items_at(layouts: list, k) -> list:
    """The items `c[k]` may be, for a container `c` of one of the given layouts."""
    index = k.value if isinstance(k, Const) and type(k.value) is int else None
    items = []
    for by_position, args in layouts:
        if by_position and index is not None and -len(args) <= index < len(args):
            items.append(args[index])
        else:
            items.extend(args)
    return items


def _exclusive(a: tuple, b: tuple) -> bool:
    """Whether two places are in different branches of one `if`."""
    branches = dict(a)
    return any(branches.get(if_id, k) != k for if_id, k in b)


_SYMBOLS = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
            operator.floordiv: "//", operator.mod: "%", operator.pow: "**", operator.matmul: "@"}


def check_updates(fn: Function, types: dict | None = None) -> None:
    """Refuse updates whose meaning depends on NumPy sharing memory between arrays.

    Without `types` (the front end): every update but `x op= v`, which changes `x` in
    place only when `x` is an array; with `types` (a specialisation): `x op= v` where
    `x` is not known to be a Python number."""
    program = _Program(fn)
    for op, position, loops in program.updates:
        if op.in_place != (types is not None):
            continue
        if op.in_place and isinstance(abstract.value_of(types, op.args[0]), abstract.Scalar):
            continue  # a number: `x += 1.0` binds a new one
        shared = program.conflicts(op, position, loops, include_target=True)
        if shared and op.in_place:
            other = shared[0]
            raise UnsupportedSyntaxError(
                f"this augmented assignment changes an array in place (as NumPy does) while `{other.hint}`, "
                f"which is the same array or a view of it, is still used afterwards", op.loc,
                f"Write `{op.results[0].hint} = {op.results[0].hint} {_SYMBOLS.get(op.fn, 'op')} ...` for a new "
                f"array, or `{other.hint} = {other.hint}.copy()` before the update.")
        if shared and op.fn is runtime.list_append:
            other = shared[0]
            name = op.results[0].hint
            raise UnsupportedSyntaxError(
                f"this `append` makes longer a list that `{other.hint}` also holds, and `{other.hint}` is read "
                f"afterwards", op.loc,
                f"Copy it first (`{name} = list({name})`) if only `{name}` should change: adcompiler does not "
                f"follow a list that changes under two names.")
        if shared:
            other = shared[0]
            raise UnsupportedSyntaxError(
                f"this update changes an array in place while `{other.hint}`, which shares its memory "
                f"(another name for it, or a view of it), is still used afterwards", op.loc,
                f"Make the copy explicit (`{other.hint} = {other.hint}.copy()` before the update), "
                f"or compute `{other.hint}` after it.")


def in_place_updates(fn: Function, accumulations=frozenset()) -> set:
    """The update ops (by id) that generated code may write in place; `accumulations` are
    additions `a + b` that may become `a += b` under the same conditions."""
    program = _Program(fn, frozenset(accumulations))
    owned = owned_values(fn)
    return {id(op) for op, position, loops in program.updates
            if (op.fn in UPDATES or id(op) in program.accumulations) and op.args[0] in owned
            and not program.conflicts(op, position, loops, include_target=True)}


def owned_values(fn: Function) -> set:
    """Values holding arrays the function itself created, that nothing outside it references.

    A loop's carried value is owned when its initial value and the value each iteration
    yields are: assume so for all of them, then drop the assumptions that fail, until
    none does.
    """
    carried = _carried(fn.body, {})
    assumed = set(carried)
    while True:
        owned = set(assumed)
        _owned_in(fn.body, owned)
        kept = {p for p in assumed if all(x in owned for x in carried[p])}
        if kept == assumed:
            return owned
        assumed = kept


def _carried(region: Region, found: dict) -> dict:
    """Each loop-carried param, with its initial value and the value the body yields for it."""
    for op in region.ops:
        if not isinstance(op, (Call, If)):
            params = op.body.params[len(op.body.params) - len(op.inits):]
            found.update((p, (init, y)) for p, init, y in zip(params, op.inits, op.body.yields))
        for inner in op.regions:
            _carried(inner, found)
    return found


def _owned_in(region: Region, owned: set) -> None:
    for op in region.ops:
        if isinstance(op, Call):
            if is_fresh_call(op) or op.fn in (runtime.rename, runtime.as_own_gradient) and op.args[0] in owned:
                owned.add(op.results[0])  # the same array under another name (or a new one)
            continue
        for inner in op.regions:
            _owned_in(inner, owned)
        if isinstance(op, If):
            owned.update(r for r, a, b in zip(op.results, op.then.yields, op.orelse.yields)
                         if a in owned and b in owned)
        else:
            carried = op.body.params[len(op.body.params) - len(op.inits):]
            owned.update(r for p, r in zip(carried, op.results) if p in owned)
