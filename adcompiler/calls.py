"""Lowering calls to the user's own Python functions: by inlining their bodies.

A call to a function adcompiler can read (a module-level function from any module, a
nested `def`, a lambda, a function passed as an argument) is lowered as the callee's
body, with its parameters bound to the call's arguments (defaults and keywords
included, `*args` as a tuple). The generated code then reads as one function whose
comments point into the callee's file and lines, and the callee's derivative needs no
rule. Free names inside the callee resolve in the callee's own module and closure.

A callee that cannot be inlined (no source, unsupported syntax, recursion) stays an
opaque call: harmless while no differentiated value flows into it, and reported with
the reason, at the call, if one does.
"""
from __future__ import annotations

import dataclasses
import inspect
import weakref

import gast

from .errors import ADError, UnsupportedSyntaxError
from .ir import Const, Value

LIBRARY_MODULES = ("numpy", "scipy", "adcompiler", "math", "builtins", "operator", "functools")


@dataclasses.dataclass(eq=False)
class LocalFunction:
    """A function defined inside the differentiated code: a nested `def` or a lambda."""

    node: object  # gast.FunctionDef, or gast.Lambda
    source: object  # the Source it is written in
    env: dict  # the environment it was defined in (read when it is called: late binding)
    defaults: tuple = ()  # its default values, computed where it is defined (as Python does)

    @property
    def name(self) -> str:
        return getattr(self.node, "name", "lambda")


_WHY_NOT_INLINED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def remember_why_not_inlined(fn, reason) -> None:
    """Keep the reason a call was not inlined, for the error should a gradient flow into it."""
    try:
        _WHY_NOT_INLINED[fn] = reason
    except TypeError:
        pass


def why_not_inlined(fn):
    try:
        return _WHY_NOT_INLINED.get(fn)
    except TypeError:
        return None


def is_inlinable(fn) -> bool:
    """A function of the user's, as opposed to a library function with a rule or none."""
    if isinstance(fn, LocalFunction):
        return True
    module = getattr(fn, "__module__", None) or ""
    return inspect.isfunction(fn) and module.split(".")[0] not in LIBRARY_MODULES


def parameters_of(fn) -> list:
    """`inspect.Parameter`s of a user function or a local function."""
    if not isinstance(fn, LocalFunction):
        return list(inspect.signature(fn).parameters.values())
    args = fn.node.args
    defaults = [None] * (len(args.args) - len(fn.defaults)) + list(fn.defaults)
    params = [inspect.Parameter(a.id, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                default=inspect.Parameter.empty if d is None else d) for a, d in zip(args.args, defaults)]
    if args.vararg is not None:
        params.append(inspect.Parameter(args.vararg.id, inspect.Parameter.VAR_POSITIONAL))
    return params


class CallInlining:
    """Mixin of `lower._Lowering`: inlines calls to user functions."""

    def user_call(self, fn, args, kwargs, node, spelling):
        """Lower `fn(*args, **kwargs)` by inlining `fn`; None if it cannot be inlined."""
        key = fn.node if isinstance(fn, LocalFunction) else fn.__code__
        if key in self.inlining:
            self.not_inlined[fn] = f"`{spelling}` calls itself (recursion), and adcompiler inlines the functions it calls"
            return None
        try:
            source, body, bindings, env = self._callee(fn, args, kwargs, node)
        except ADError as why:
            self.not_inlined[fn] = why.message
            return None
        saved = (self.source, self.env, self.later, set(self.fresh), list(self.ops))
        self.suspended_envs.append(self.env)  # the caller's names, which a closure called in there reads
        self.source, self.env, self.later = source, env, []
        self.inlining.append(key)
        try:
            for name, value in bindings:  # an argument computed for the call gets the parameter's name
                self.env[name] = self.named(value, name) if isinstance(value, Value) else value
            from .lower import _Tail

            (result,) = self.block(body, _Tail(returns=True))
        except ADError as why:
            self.ops[:] = saved[4]  # as before the call, renamed arguments included
            self.not_inlined[fn] = why.message
            return None
        finally:
            self.inlining.pop()
            self.source, self.env, self.later, self.fresh = saved[:4]
            self.suspended_envs.pop()
        self.root.bindings.update(source.bindings)
        if isinstance(result, Value) and any(result in op.results for op in self.ops[len(saved[4]):]):
            self.fresh.add(result)  # so that `h = dense(...)` names the result `h`
        return result

    def _callee(self, fn, args, kwargs, node):
        """The callee's source, its body, the parameter bindings, and the environment to lower it in."""
        from .fence import fence
        from .normalize import normalize, normalize_body
        from .source import parse

        if isinstance(fn, LocalFunction):
            # its free names as they are now where it was defined (in a loop, say; also when a
            # helper or another closure calls it)
            view = self.current_view(fn.env)
            source, env = fn.source, dict(fn.env if view is None else view)
            if isinstance(fn.node, gast.Lambda):
                body = [gast.copy_location(gast.Return(value=fn.node.body), fn.node.body)]
            else:
                body = normalize_body(fn.node.body)
        else:
            source = normalize(fence(parse(fn), top=False))
            source = dataclasses.replace(source, bindings={})
            body, env = source.tree.body, {}
        params = parameters_of(fn)
        try:
            bound = inspect.Signature(params).bind(*args, **kwargs)
        except TypeError as exc:
            raise UnsupportedSyntaxError(f"this call does not match the function's parameters: {exc}",
                                         self.source.location(node)) from None
        bindings = []
        for p in params:
            if p.name in bound.arguments:
                value = bound.arguments[p.name]
                if p.kind is inspect.Parameter.VAR_POSITIONAL:
                    value = self.display(list(value), node)
                bindings.append((p.name, value))
            elif p.default is not inspect.Parameter.empty:
                default = p.default
                bindings.append((p.name, default if isinstance(default, (Value, Const)) else self.constant(default, p.name)))
            elif p.kind is inspect.Parameter.VAR_POSITIONAL:
                bindings.append((p.name, Const(())))
        return source, body, bindings, env

    def constant(self, value, name: str):
        """A default value as an operand: a literal, or a named constant."""
        from .lower_expr import _SCALARS

        if isinstance(value, _SCALARS) or isinstance(value, tuple) and all(isinstance(v, _SCALARS) for v in value):
            return Const(value)
        return Const(value, name=f"{name}_default")
