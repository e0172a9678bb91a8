"""Which values hold tuples, lists or dicts, known from the ops that make them.

The abstract values of `abstract` know containers by their items; these facts need no
items: a list built by `append` in a loop is a list, and so is every item of a list
built by appending tuples (a loop's tape), read at any index.
"""
from __future__ import annotations

import builtins
import operator

from . import runtime
from .ir import Call, Const, For, If, Region, While
from .rules import rule_for

TUPLE_MAKERS = (runtime.make_tuple, runtime.make_list)  # make_dict is handled beside them


# What is known of a container's items (a layout): CONTAINER, any container; `("tuple",
# (layouts...))`; `("list", layout)`, a list whose items all have that layout (EMPTY: no
# item yet); None: not known to be a container.
CONTAINER = ("container",)
EMPTY = ("empty",)


def join(a, b):
    """The layout of a value that has layout `a` or layout `b`."""
    if a == b or b is EMPTY:
        return a
    if a is EMPTY:
        return b
    if a is None or b is None:
        return None
    if a[0] == b[0] == "tuple" and len(a[1]) == len(b[1]):
        return ("tuple", tuple(map(join, a[1], b[1])))
    if a[0] == b[0] == "list":
        return ("list", join(a[1], b[1]))
    return CONTAINER


def tuple_valued(region: Region) -> tuple[set, dict]:
    """Values known to hold tuples, lists or dicts, and their lengths where the op says.
    Items of a list are known by what was put in it: a tape, a list of tuples (and, for
    nested loops, of tapes), has tuples for items, read at any index."""
    layouts, lengths = {}, {}
    _region(region, layouts, lengths)
    return {v for v, layout in layouts.items() if layout is not None}, lengths


def _region(region: Region, layouts: dict, lengths: dict) -> None:
    for op in region.ops:
        if isinstance(op, Call):
            layout = _call(op, layouts, lengths)
            if layout is not None or op.results[0] in layouts:
                layouts[op.results[0]] = layout
        elif isinstance(op, If):
            for branch in op.regions:
                _region(branch, layouts, lengths)
            for r, a, b in zip(op.results, op.then.yields, op.orelse.yields):
                layouts[r] = join(layouts.get(a), layouts.get(b))
        else:
            _loop(op, layouts, lengths)


def _call(op: Call, layouts: dict, lengths: dict):
    args = [layouts.get(a) for a in op.args]
    if op.fn is runtime.make_tuple:
        lengths[op.results[0]] = len(op.args)
        return ("tuple", tuple(args))
    if op.fn is runtime.make_list:
        lengths[op.results[0]] = len(op.args)
        items = EMPTY
        for item in args:
            items = join(items, item)
        return ("list", items)
    if op.fn is runtime.list_append:
        before = args[0][1] if args[0] is not None and args[0][0] == "list" else None
        return ("list", join(before, args[1]) if args[0] is not None else None)
    if op.fn is runtime.make_dict:
        return CONTAINER
    if op.fn in (runtime.sum_adjoint, runtime.extremum_adjoint):  # one adjoint per item
        return ("list", None)
    if op.fn in (runtime.zeros_like_input, runtime.with_added, runtime.add_structures):  # adjoints of containers
        if args and args[0] is not None:
            return args[0]
        if op.args and isinstance(op.args[0], Const) and isinstance(op.args[0].value, (tuple, list, dict)):
            return CONTAINER
    rule = rule_for(op.fn)
    if rule is not None and rule.outputs is not None:
        if rule.length is not None:
            lengths[op.results[0]] = rule.length
        return CONTAINER
    if op.fn is operator.getitem and args[0] is not None and args[0][0] == "list":
        index = op.args[1]
        if isinstance(index, Const) and isinstance(index.value, slice):
            return args[0]  # a slice of a list: a list
        return None if args[0][1] is EMPTY else args[0][1]
    if op.fn is operator.getitem and args[0] is not None and args[0][0] == "tuple":
        index = op.args[1]
        if isinstance(index, Const) and type(index.value) is int and -len(args[0][1]) <= index.value < len(args[0][1]):
            return args[0][1][index.value]
    if op.fn is builtins.reversed and args and args[0] is not None and args[0][0] == "list":
        return args[0]
    return None


def _loop(op, layouts: dict, lengths: dict) -> None:
    """A loop's carried values: the layouts they have on entry, joined with those the body
    yields, until they no longer change."""
    n = len(op.inits)
    carried = op.body.params[len(op.body.params) - n:]
    state = [layouts.get(i) for i in op.inits]
    for _ in range(4):  # layouts form short chains: a few rounds reach the fixed point
        for p, layout in zip(carried, state):
            layouts[p] = layout
        if isinstance(op, While):
            for p, layout in zip(op.cond.params, state):
                layouts[p] = layout
            _region(op.cond, layouts, lengths)
        else:
            _targets(op, layouts)
        _region(op.body, layouts, lengths)
        new = [join(a, layouts.get(y)) for a, y in zip(state, op.body.yields)]
        if new == state:
            break
        state = new
    else:
        state = [None] * n
        for p in carried:
            layouts[p] = None
        _region(op.body, layouts, lengths)
    for r, layout in zip(op.results, state):
        layouts[r] = layout


def _targets(op: For, layouts: dict) -> None:
    """`for item in items` over a list of known items: the item, or its unpacked parts."""
    items = layouts.get(op.iterable)
    item = items[1] if items is not None and items[0] == "list" and items[1] is not EMPTY else None
    if op.ntargets == 1:
        layouts[op.targets[0]] = item
    else:
        parts = item[1] if item is not None and item[0] == "tuple" and len(item[1]) == op.ntargets else ()
        for k, t in enumerate(op.targets):
            layouts[t] = parts[k] if parts else None
