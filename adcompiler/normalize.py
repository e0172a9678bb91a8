"""Stage 3: desugar the fenced AST into the small core the lowering understands.

- `x op= v` becomes `x = x op v` (on names; arrays are never updated in place here);
- docstrings and `pass` disappear.

Every new node copies the location of the node it replaces. The input tree is not
modified: normalisation returns a new `Source`.
"""
from __future__ import annotations

import copy
import dataclasses

import gast

from .source import Source


class _Desugar(gast.NodeTransformer):
    def visit_AugAssign(self, node):
        load = gast.Name(id=node.target.id, ctx=gast.Load(), annotation=None, type_comment=None)
        store = gast.Name(id=node.target.id, ctx=gast.Store(), annotation=None, type_comment=None)
        value = gast.BinOp(left=load, op=node.op, right=node.value)
        for new in (load, store, value):
            gast.copy_location(new, node)
        return gast.copy_location(gast.Assign(targets=[store], value=value, type_comment=None), node)

    def visit_Expr(self, node):
        return None if isinstance(node.value, gast.Constant) else node

    def visit_Pass(self, node):
        return None


def normalize(source: Source) -> Source:
    tree = _Desugar().visit(copy.deepcopy(source.tree))
    return dataclasses.replace(source, tree=tree, bindings=source.bindings)
