"""Stage 1: read a function's source, parse it with gast, and resolve its free names.

A `Source` knows where every node came from (`location`) and what every free name
denotes right now (`resolve`). Free names are resolved when the gradient is compiled;
`Source.bindings` records what each one was bound to, so that the caller can notice a
rebinding later and compile again instead of running stale code.
"""
from __future__ import annotations

import builtins
import inspect
import textwrap
from dataclasses import dataclass, field

import gast

from .errors import ADError, Location, UnsupportedSyntaxError

_MISSING = object()


@dataclass(frozen=True)
class Source:
    fn: object
    filename: str
    first_line: int  # line number of the `def` in the file
    indent: int  # columns removed by dedenting
    lines: tuple[str, ...]  # the function's lines as they are in the file
    tree: gast.FunctionDef
    bindings: dict = field(default_factory=dict, compare=False)
    # number of bindings -> the compiled check of them (see `bindings_unchanged`)
    _check: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.tree.name

    def location(self, node) -> Location:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + self.indent
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Location(self.filename, self.first_line + line - 1, col, text)

    def resolve(self, name: str):
        """The object a free name denotes now, or `_MISSING`."""
        code = self.fn.__code__
        if name in code.co_freevars:
            cell = self.fn.__closure__[code.co_freevars.index(name)]
            try:
                value = cell.cell_contents
            except ValueError:  # the cell is not filled yet
                return _MISSING
            self.bindings[(id(cell), name)] = ("cell", cell, name, value)
            return value
        if name in self.fn.__globals__:
            value = self.fn.__globals__[name]
            self.bindings[(id(self.fn.__globals__), name)] = ("global", self.fn.__globals__, name, value)
            return value
        return getattr(builtins, name, _MISSING)

    def note_attribute(self, module, name: str, value) -> None:
        """Remember that `module.name` was `value` at compile time (see `bindings_unchanged`)."""
        self.bindings[(id(module), name)] = ("attr", module, name, value)

    def bindings_unchanged(self) -> bool:
        """True while every free name (and module attribute) still denotes the object it
        denoted at compile time. Every call of a gradient asks, so the question is compiled
        into one expression (see `_binding_check`), made again when bindings are added."""
        check = self._check.get(len(self.bindings))
        if check is None:
            self._check.clear()
            check = self._check[len(self.bindings)] = _binding_check(self.bindings.values())
        return check()


def _binding_check(bindings):
    """A function of no arguments that is True while each `(kind, where, name, value)` holds:
    `where.cell_contents is value` for a closure cell, `where.get(name) is value` for a
    module's globals, `getattr(where, name) is value` for a module attribute."""
    scope = {"_MISSING": _MISSING}
    tests = []
    for i, (kind, where, name, value) in enumerate(bindings):
        scope[f"where_{i}"], scope[f"value_{i}"] = where, value
        if kind == "cell":
            tests.append(f"where_{i}.cell_contents is value_{i}")
        elif kind == "global":
            tests.append(f"where_{i}.get({name!r}, _MISSING) is value_{i}")
        else:
            tests.append(f"getattr(where_{i}, {name!r}, _MISSING) is value_{i}")
    exec(f"def unchanged():\n    return {' and '.join(tests) or 'True'}\n", scope)
    return scope.pop("unchanged")  # not left in its own globals: that would be a reference cycle


def parse(fn) -> Source:
    """Parse `fn`'s source into a gast `FunctionDef`, keeping file positions."""
    fn = inspect.unwrap(fn)
    if not inspect.isfunction(fn):
        raise ADError(
            f"adcompiler differentiates Python functions; got {type(fn).__name__} {fn!r}",
            hint="Pass a function defined with `def`.",
        )
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise ADError(
            f"cannot read the source of {fn.__qualname__}: {exc}",
            hint="adcompiler reads source code; define the function in a file, not in an interactive prompt.",
        ) from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_of(lines[0]) - _indent_of(dedented.splitlines()[0])
    filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    module = gast.parse(dedented)
    tree = module.body[0]
    if not isinstance(tree, gast.FunctionDef):  # a lambda's source is its whole line
        loc = Location(filename, first_line, indent, lines[0].rstrip("\n"))
        raise UnsupportedSyntaxError(
            f"{fn.__qualname__} is not defined with `def`", loc, hint="Define the function with `def`."
        )
    return Source(fn, filename, first_line, indent, tuple(line.rstrip("\n") for line in lines), tree)


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())
