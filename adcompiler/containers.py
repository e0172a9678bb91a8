"""Which values hold tuples, lists or dicts, known from the ops that make them.

The abstract values of `abstract` know containers by their items; these facts need no
items: a list built by `append` in a loop is a list, and so is every item of a list
built by appending tuples (a loop's tape), read at any index.
"""
from __future__ import annotations

import operator

from . import runtime
from .ir import Call, For, If, Region, While
from .rules import rule_for

TUPLE_MAKERS = (runtime.make_tuple, runtime.make_list)  # make_dict is handled beside them


def tuple_valued(region: Region, found=None, lengths=None, nested=None):
    """Values known to hold tuples or lists, and their lengths where the op says. `nested`:
    lists known to hold only tuples, lists or dicts (a loop's tape), whose items, read at
    any index, are containers too."""
    found = set() if found is None else found
    lengths = {} if lengths is None else lengths
    nested = set() if nested is None else nested
    for op in region.ops:
        if isinstance(op, Call):
            rule = rule_for(op.fn)
            if op.fn in TUPLE_MAKERS or op.fn is runtime.make_dict or rule is not None and rule.outputs is not None:
                found.add(op.results[0])
                if op.fn in TUPLE_MAKERS:
                    lengths[op.results[0]] = len(op.args)
                elif rule is not None and rule.length is not None:
                    lengths[op.results[0]] = rule.length
                if op.fn is runtime.make_list and all(a in found for a in op.args):
                    nested.add(op.results[0])
            elif op.fn is runtime.list_append:
                found.add(op.results[0])  # a list (its length known at run time)
                if op.args[0] in nested and op.args[1] in found:
                    nested.add(op.results[0])
            elif op.fn is operator.getitem and op.args[0] in nested:
                found.add(op.results[0])  # an item, or a slice: a list
        if isinstance(op, (For, While)):  # a list carried through a loop is one in it and after it
            steps = list(zip(op.body.params[len(op.body.params) - len(op.inits):], op.inits, op.body.yields,
                             op.results))
            assumed = {param for param, init, _, _ in steps if init in found}
            for assumed_nested in ({param for param, init, _, _ in steps if init in nested}, set()):
                trial = found | assumed, dict(lengths), nested | assumed_nested
                for inner in op.regions:
                    tuple_valued(inner, *trial)
                if all(step in trial[0] for param, _, step, _ in steps if param in assumed) and \
                        all(step in trial[2] for param, _, step, _ in steps if param in assumed_nested):
                    break
            else:
                for inner in op.regions:
                    tuple_valued(inner, found, lengths, nested)
                continue
            found |= trial[0] | {result for param, _, _, result in steps if param in assumed}
            lengths.update(trial[1])
            nested |= trial[2] | {result for param, _, _, result in steps if param in assumed_nested}
            continue
        for inner in op.regions:
            tuple_valued(inner, found, lengths, nested)
        if isinstance(op, If):  # and after an `if` whose branches both yield one
            found.update(r for r, a, b in zip(op.results, op.then.yields, op.orelse.yields) if a in found and b in found)
            nested.update(r for r, a, b in zip(op.results, op.then.yields, op.orelse.yields)
                          if a in nested and b in nested)
    return found, lengths
