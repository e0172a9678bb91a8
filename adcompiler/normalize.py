"""Stage 3: desugar the fenced AST into the small core the lowering understands.

- `x op= v` becomes `x = x op v`, also for `x[i] op= v`;
- docstrings and `pass` disappear;
- exits are moved to tail position, so that every region of the IR has one exit:
  `return`, `break` and `continue` end the block they are in, and the statements
  after an `if` that may exit move into the branches that fall through:

      if c:                         if c:
          return a          ->          return a
      y = f(x)                      else:
      return y                          y = f(x)
                                        return y

  A `return` inside a loop becomes `_retval = v; _returned = True; break`, with
  `if _returned: return _retval` after the loop; `for ... else` keeps a `_broke` flag
  when the loop can break. After this pass, `return` only ends the function body (or a
  branch in tail position of it), and `break`/`continue` only end a loop body (or a
  branch in tail position of it).

Every new node copies the location of the node it replaces.
"""
from __future__ import annotations

import copy
import dataclasses

import gast

from .source import Source

EXITS = (gast.Return, gast.Break, gast.Continue)


def normalize(source: Source) -> Source:
    """The normalised source. It takes over `source.tree` (a tree `parse` made for it)."""
    tree = _Desugar().visit(source.tree)
    taken = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)}
    flags = _Flags({kind: _fresh_name(kind, taken) for kind in ("_returned", "_retval", "_broke")})
    tree.body = flags.block(tree.body, in_loop=False)
    return dataclasses.replace(source, tree=tree, bindings=source.bindings)


class _Desugar(gast.NodeTransformer):
    def visit_AugAssign(self, node):
        self.generic_visit(node)
        target = node.target
        load = copy.deepcopy(target)
        for n in gast.walk(load):
            if hasattr(n, "ctx"):
                n.ctx = gast.Load()
        if isinstance(target, gast.Subscript):
            target.value.ctx = gast.Load()  # `x[i] = ...` reads x
        value = gast.copy_location(gast.BinOp(left=load, op=node.op, right=node.value), node)
        assign = gast.copy_location(gast.Assign(targets=[target], value=value, type_comment=None), node)
        assign.in_place = isinstance(target, gast.Name)  # see `ir.Call.in_place`
        return assign

    def visit_Expr(self, node):
        return None if isinstance(node.value, gast.Constant) else node

    def visit_Pass(self, node):
        return None


def normalize_body(stmts) -> list:
    """A nested function's body with its exits moved to tail position (see the module docstring)."""
    taken = {n.id for s in stmts for n in gast.walk(s) if isinstance(n, gast.Name)}
    flags = _Flags({kind: _fresh_name(kind, taken) for kind in ("_returned", "_retval", "_broke")})
    return flags.block(copy.deepcopy(stmts), in_loop=False)


def _fresh_name(base: str, taken: set) -> str:
    name, n = base, 1
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def may_exit(stmts, kinds=("return", "break", "continue")) -> bool:
    """Whether a block may leave by an exit of `kinds` (breaks of nested loops excluded)."""
    for s in stmts:
        if isinstance(s, gast.Return) and "return" in kinds:
            return True
        if isinstance(s, gast.Break) and "break" in kinds or isinstance(s, gast.Continue) and "continue" in kinds:
            return True
        if isinstance(s, gast.If) and (may_exit(s.body, kinds) or may_exit(s.orelse, kinds)):
            return True
        if isinstance(s, (gast.For, gast.While)) and "return" in kinds and may_exit(s.body, ("return",)):
            return True
    return False


def always_exits(stmts) -> bool:
    """Whether every path through a block ends in `return`, `break` or `continue`."""
    for s in stmts:
        if isinstance(s, EXITS):
            return True
        if isinstance(s, gast.If) and always_exits(s.body) and always_exits(s.orelse):
            return True
    return False


@dataclasses.dataclass
class _Flags:
    names: dict

    def name(self, kind: str, ctx=None):
        return gast.Name(id=self.names[kind], ctx=ctx or gast.Load(), annotation=None, type_comment=None)

    def assign(self, kind: str, value, like):
        node = gast.Assign(targets=[self.name(kind, gast.Store())], value=value, type_comment=None)
        return _located(node, like)

    def block(self, stmts, in_loop: bool) -> list:
        out = []
        for k, s in enumerate(stmts):
            if isinstance(s, EXITS):
                out.append(s)
                return out  # what follows is unreachable
            if isinstance(s, (gast.For, gast.While)):
                prelude, loop, post = self.loop(s)
                out += prelude + [loop]
                return out + self.block(post + list(stmts[k + 1:]), in_loop)
            if isinstance(s, gast.If):
                s.body = self.block(s.body, in_loop)
                s.orelse = self.block(s.orelse, in_loop)
                if may_exit([s]):
                    rest = list(stmts[k + 1:])
                    if rest and not always_exits(s.body):
                        s.body = self.block(s.body + copy.deepcopy(rest), in_loop)
                    if rest and not always_exits(s.orelse):
                        s.orelse = self.block(s.orelse + copy.deepcopy(rest), in_loop)
                    out.append(s)
                    return out
            out.append(s)
        return out

    def loop(self, loop):
        """A loop whose body has no `return` and whose `else` is gone, plus what goes around it."""
        loop.body = self.block(loop.body, in_loop=True)  # inner loops first: they hand returns up
        prelude, post = [], []
        if may_exit(loop.body, ("return",)):
            loop.body = self._replace_exits(loop.body, gast.Return, self._return_to_break)
            prelude += [self.assign("_returned", _const(False, loop), loop),
                        self.assign("_retval", _const(None, loop), loop)]
            ret = _located(gast.Return(value=self.name("_retval")), loop)
            post.append(_located(gast.If(test=self.name("_returned"), body=[ret], orelse=[]), loop))
        if loop.orelse:
            orelse, loop.orelse = loop.orelse, []
            if may_exit(loop.body, ("break",)):
                loop.body = self._replace_exits(loop.body, gast.Break, self._mark_broken)
                prelude.append(self.assign("_broke", _const(False, loop), loop))
                test = _located(gast.UnaryOp(op=gast.Not(), operand=self.name("_broke")), loop)
                post.insert(0, _located(gast.If(test=test, body=orelse, orelse=[]), loop))
            else:
                post[:0] = orelse
        loop.body = self.block(loop.body, in_loop=True)
        return prelude, loop, post

    def _return_to_break(self, node):
        if isinstance(node.value, gast.Name) and node.value.id == self.names["_retval"]:
            return [_located(gast.Break(), node)]  # an inner loop already set the flags
        value = node.value if node.value is not None else _const(None, node)
        return [self.assign("_retval", value, node), self.assign("_returned", _const(True, node), node),
                _located(gast.Break(), node)]

    def _mark_broken(self, node):
        return [self.assign("_broke", _const(True, node), node), node]

    def _replace_exits(self, stmts, kind, replace):
        """Replace the exits of `kind` that belong to this loop (not to nested loops)."""
        out = []
        for s in stmts:
            if isinstance(s, kind):
                out += replace(s)
                continue
            if isinstance(s, gast.If):
                s.body = self._replace_exits(s.body, kind, replace)
                s.orelse = self._replace_exits(s.orelse, kind, replace)
            out.append(s)
        return out


def _const(value, like):
    return _located(gast.Constant(value=value, kind=None), like)


def _located(node, like):
    for n in gast.walk(node):
        if not hasattr(n, "lineno") or getattr(n, "lineno", None) is None:
            gast.copy_location(n, like)
    return node
