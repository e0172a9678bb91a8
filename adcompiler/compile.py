"""Stage 8: compile generated source into a function, visible to tracebacks and pdb.

The source is registered with `linecache` under a file name of its own, so that a
traceback through generated code, `inspect.getsource` and pdb's `list` all show it.
"""
from __future__ import annotations

import itertools
import linecache

from .emit import Emitted

_serial = itertools.count(1)


def load(emitted: Emitted):
    """Compile `emitted` and return the function it defines."""
    filename = f"<adcompiler {emitted.name} #{next(_serial)}>"
    lines = emitted.source.splitlines(keepends=True)
    linecache.cache[filename] = (len(emitted.source), None, lines, filename)
    namespace = dict(emitted.namespace)
    exec(compile(emitted.source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace.pop(emitted.name)  # not left in its own globals, a reference cycle
