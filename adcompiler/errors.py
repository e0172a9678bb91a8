"""Errors that point at the user's source line.

Every error adcompiler raises on purpose is an `ADError`. Its text is the message, then
the location in the form Python's tracebacks use, the offending line with a caret under
the column, and a hint saying what to do instead.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the user's source: file, 1-based line, 0-based column, the line's text."""

    file: str
    line: int
    col: int
    text: str

    @property
    def short(self) -> str:
        """`file.py:LINE`, with the base name only, so that output is the same on every machine."""
        return f"{os.path.basename(self.file)}:{self.line}"

    def excerpt(self) -> str:
        """The Python-traceback rendering: where, the line itself, and a caret."""
        stripped = self.text.lstrip()
        caret = " " * max(self.col - (len(self.text) - len(stripped)), 0) + "^"
        return f'  File "{self.file}", line {self.line}, column {self.col + 1}\n    {stripped}\n    {caret}'


class ADError(Exception):
    """Base class of every error adcompiler raises about the user's program."""

    def __init__(self, message: str, loc: Location | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        if self.loc is not None:
            parts.append(self.loc.excerpt())
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


class UnsupportedSyntaxError(ADError):
    """A construct outside the language adcompiler accepts."""


class MissingRuleError(ADError):
    """A differentiated value flows into a callable that has no derivative rule."""


class UnsupportedArgumentError(ADError):
    """A call passes an argument its rule does not handle (a keyword, or a non-constant)."""


class WrtError(ADError):
    """`wrt=` or `retain=` names something that is not a parameter or a variable."""


class NonScalarOutputError(ADError):
    """`grad` was asked for the gradient of an output that is not a scalar."""


class RuleError(ADError):
    """A derivative rule was registered wrongly (arity, argument names)."""


class InternalError(ADError):
    """An invariant of the compiler itself failed: this is a bug in adcompiler."""

    def __init__(self, message: str, loc: Location | None = None):
        super().__init__(
            f"{message} (this is a bug in adcompiler; please report it with the function that caused it)",
            loc,
        )
