"""Stage 2: refuse, with the user's line and a caret, every construct outside the language.

The fence is a whitelist: a node type that is not listed here is refused, so that a
construct nobody thought about can never be differentiated silently.
"""
from __future__ import annotations

import gast

from .errors import UnsupportedSyntaxError
from .source import Source

_ALLOWED = (
    gast.Assign, gast.AugAssign, gast.Return, gast.Expr, gast.Pass,
    gast.If, gast.For, gast.While, gast.Break, gast.Continue, gast.IfExp, gast.BoolOp, gast.boolop,
    gast.FunctionDef, gast.Lambda, gast.arguments, gast.With, gast.withitem, gast.Dict,
    gast.ListComp, gast.GeneratorExp, gast.comprehension,
    gast.BinOp, gast.UnaryOp, gast.Compare, gast.Call, gast.keyword, gast.Name, gast.Constant,
    gast.Attribute, gast.Subscript, gast.Slice, gast.Tuple, gast.List,
    gast.expr_context, gast.operator, gast.unaryop, gast.cmpop,
)

_ADVICE = {
    gast.Try: "Move the try/except outside the differentiated function.",
    gast.Global: "Pass the value as an argument and return the new value instead.",
    gast.Nonlocal: "Pass the value as an argument and return the new value instead.",
    gast.Yield: "Generators cannot be differentiated; return a value instead.",
    gast.YieldFrom: "Generators cannot be differentiated; return a value instead.",
    gast.Await: "Async code cannot be differentiated; write a plain function.",
    gast.AsyncFunctionDef: "Async code cannot be differentiated; write a plain function.",
}

_WHAT = { gast.IfExp: "conditional expressions are", gast.While: "`while` loops are", gast.BoolOp: "`and` / `or` are",
    gast.Try: "`try` statements are",
    gast.Global: "`global` declarations are", gast.Nonlocal: "`nonlocal` declarations are",
    gast.Yield: "`yield` is", gast.YieldFrom: "`yield from` is", gast.Await: "`await` is",

}


def fence(source: Source, top: bool = True) -> Source:
    """Raise `UnsupportedSyntaxError` at the first construct adcompiler cannot differentiate.

    `top`: the differentiated function itself, whose parameters must all be named (a
    function it calls may also take `*args` and keyword-only parameters)."""
    if top:
        _check_signature(source)
    for stmt in source.tree.body:
        for node in gast.walk(stmt):
            if not isinstance(node, _ALLOWED):
                _refuse(source, node)
            _check_details(source, node)
    return source


def _refuse(source: Source, node, what: str | None = None, hint: str | None = None):
    kind = type(node)
    what = what or _WHAT.get(kind, f"`{kind.__name__}` is")
    hint = hint or _ADVICE.get(kind, "Rewrite this line with the supported constructs (see docs/language.md).")
    raise UnsupportedSyntaxError(f"{what} not supported by adcompiler", source.location(node), hint)


def _check_signature(source: Source) -> None:
    args = source.tree.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise UnsupportedSyntaxError(
            "`*args`, `**kwargs`, keyword-only and positional-only parameters are not supported by adcompiler",
            source.location(source.tree),
            "Declare each parameter by name: `def f(x, y, scale=1.0)`.",
        )


def _check_details(source: Source, node) -> None:
    if isinstance(node, gast.comprehension) and node.is_async:
        _refuse(source, node.target, "async comprehensions are", "Use a plain comprehension.")
    if isinstance(node, gast.FunctionDef) and node.decorator_list:
        _refuse(source, node.decorator_list[0], "decorated nested functions are", "Define the function without a decorator.")
    if isinstance(node, (gast.FunctionDef, gast.Lambda)) and (node.args.kwarg or node.args.kwonlyargs):
        _refuse(source, node, "`**kwargs` and keyword-only parameters of nested functions are",
                "Declare each parameter by name.")
    if isinstance(node, gast.Compare) and len(node.ops) > 1:
        _refuse(source, node, "chained comparisons are", "Write `a < b and b < c` as two comparisons.")
    if isinstance(node, gast.Assign):
        for target in node.targets:
            if isinstance(target, gast.Attribute):
                _refuse(source, target, "assignment to attributes is",
                        "Keep the value in a local variable and return it.")
            if isinstance(target, gast.Starred) or any(
                    isinstance(t, gast.Starred) for t in gast.walk(target)):
                _refuse(source, target, "starred assignment is", "Unpack each element by name.")
    if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Attribute):
        _refuse(source, node, "augmented assignment to attributes is",
                "Keep the value in a local variable and return it.")
    if isinstance(node, gast.Expr) and not isinstance(node.value, (gast.Constant, gast.Call)):
        _refuse(source, node, "expression statements (values computed and dropped) are",
                "Assign the result to a variable, or remove the line.")
