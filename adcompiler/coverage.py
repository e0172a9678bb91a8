"""Which functions adcompiler can differentiate, and which NumPy and SciPy functions it cannot yet.

Three views of the rule table (`rules.registered()` and the non-differentiable set):

- `rule_entries()`: every callable with rules, under its public spelling (`np.linalg.norm`,
  `scipy.special.expit`, `*` for `operator.mul`, `math.sin`), with the arguments that
  have a VJP rule, whether it has JVP rules, and the keywords its rules handle;
- `nondiff_entries()`: the callables declared to have a zero derivative;
- `missing(module)`: the public callables of `numpy`, `numpy.linalg`, `numpy.fft` or
  `scipy.special` with neither rules nor a declaration, one name per object (`np.abs`
  is `np.absolute`, and is listed once, under the object's own `__name__`).

`summary()`, `markdown()` and `missing_lines()` render them for `python -m adcompiler coverage`.
"""
from __future__ import annotations

import datetime
import importlib
import inspect
import operator
import types
from dataclasses import dataclass

import numpy as np

from . import runtime
from .naming import describe
from .rules import registry

try:
    import scipy
except ImportError:  # SciPy is optional: its modules are then left out
    scipy = None

# The modules whose public callables are walked, in order of preference for a name
# found in several (np.matmul, not np.linalg.matmul, when they are one object).
NUMPY_MODULES = ("numpy", "numpy.linalg", "numpy.fft")
SCIPY_MODULES = ("scipy.special", "scipy.linalg")
MISSING_MODULES = (*NUMPY_MODULES, "scipy.special")  # the ones reported as to-do lists
TARGETS = {"numpy": 180, "scipy": 40}  # issue 5: functions with both VJP and JVP rules

SHORT = {"numpy": "np"}

OPERATOR_SPELLINGS = {
    operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
    operator.floordiv: "//", operator.mod: "%", operator.pow: "**", operator.matmul: "@",
    operator.neg: "-x", operator.pos: "+x", operator.invert: "~x", operator.not_: "not x",
    operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
    operator.eq: "==", operator.ne: "!=", operator.and_: "&", operator.or_: "|",
    operator.xor: "^", operator.getitem: "x[i]",
}

# adcompiler's own functions that appear in the table, as the user writes them (array
# updates, `.astype`, `.dtype`) or, for the identity the compiler inserts, as it is emitted.
INTERNAL_SPELLINGS = {
    getattr(runtime, name): spelled for name, spelled in (
        ("setitem", "x[i] = v"), ("add_at", "x[i] += v"), ("rename", "y = x (adcompiler.runtime.rename)"),
        ("astype", "x.astype(dtype)"), ("dtype_of", "x.dtype"), ("stop_gradient", "adcompiler.stop_gradient"),
    ) if hasattr(runtime, name)
}

# Public NumPy and SciPy callables that are not array maths (printing, files, error
# state, configuration, dtype and memory queries, calendars): no rule is wanted for
# them, so they are left out of the lists of functions without a rule.
NOT_ARRAY_MATH = {
    "numpy": (
        "array2string", "array_repr", "array_str", "base_repr", "binary_repr", "format_float_positional",
        "format_float_scientific", "get_printoptions", "set_printoptions", "printoptions", "typename",
        "load", "save", "savetxt", "savez", "savez_compressed", "loadtxt", "genfromtxt", "fromfile",
        "fromregex", "fromstring", "frombuffer", "from_dlpack",
        "geterr", "seterr", "geterrcall", "seterrcall", "getbufsize", "setbufsize",
        "get_include", "info", "show_config", "show_runtime",
        "can_cast", "common_type", "min_scalar_type", "mintypecode", "promote_types", "result_type",
        "isdtype", "issubdtype", "iscomplexobj", "isrealobj", "isscalar", "iterable", "isfortran",
        "may_share_memory", "shares_memory", "nested_iters", "frompyfunc",
        "busday_count", "busday_offset", "is_busday", "datetime_as_string", "datetime_data", "isnat",
    ),
    "scipy.special": ("geterr", "seterr"),
}


@dataclass(frozen=True)
class Entry:
    """One callable of the rule table, as a reader knows it."""

    fn: object
    name: str  # public spelling: np.linalg.norm, scipy.special.expit, *, math.sin
    group: str  # numpy, numpy.linalg, scipy.special, scipy.stats, math, operator, builtins, adcompiler
    arguments: tuple = ()  # positional argument names
    vjp: tuple = ()  # per argument: has a VJP rule
    jvp: bool = False  # has JVP rules
    keywords: tuple = ()  # the keyword parameters its rules handle
    aliases: tuple = ()  # other public names of the same object
    own: bool = True  # a rule of adcompiler's table, not one a user registered

    @property
    def differentiable(self) -> bool:
        """Has rules in both modes for at least one argument."""
        return self.jvp and any(self.vjp)


# ---------------------------------------------------------------- public names


def _module(name: str):
    if name.startswith("scipy") and scipy is None:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _is_public_callable(obj) -> bool:
    """A function or ufunc; not a class, dtype, module, constant or helper object (`np.test`)."""
    if isinstance(obj, (type, types.ModuleType)):
        return False
    return isinstance(obj, np.ufunc) or inspect.isroutine(obj)


def public_callables(module_name: str) -> dict:
    """`{name: object}` of a module's public callables, one name per object: the object's
    own `__name__` where the module has it (`absolute`, not `abs`), else the first in order."""
    return {name: obj for name, (obj, _) in _public_names(module_name).items()}


def _public_names(module_name: str) -> dict:
    """`{name: (object, other names of the object)}`, as `public_callables` chooses names."""
    module = _module(module_name)
    if module is None:
        return {}
    names: dict = {}
    for name in sorted(dir(module)):
        obj = getattr(module, name, None)
        if not name.startswith("_") and _is_public_callable(obj):
            names.setdefault(_key(obj), []).append(name)
    result = {}
    for found in names.values():
        obj = getattr(module, found[0])
        own = getattr(obj, "__name__", None)
        chosen = own if own in found else found[0]
        result[chosen] = (obj, tuple(n for n in found if n != chosen))
    return dict(sorted(result.items()))


def _key(obj):
    try:
        hash(obj)
        return obj
    except TypeError:
        return id(obj)


class _Index:
    """Public spelling of every callable in the walked modules, built once."""

    def __init__(self):
        self.names: dict = {}  # object -> (group, name)
        self.aliases: dict = {}  # object -> other public names
        for group in (*NUMPY_MODULES, *SCIPY_MODULES, "math", "builtins"):
            for name, (obj, others) in _public_names(group).items():
                if _key(obj) not in self.names:
                    self.names[_key(obj)] = (group, _dotted(group, name))
                    self.aliases[_key(obj)] = tuple(_dotted(group, a) for a in others)
        self.distributions = _distributions()

    def spell(self, fn) -> tuple[str, str]:
        """`(group, public name)` of `fn`."""
        if fn in OPERATOR_SPELLINGS:
            return "operator", OPERATOR_SPELLINGS[fn]
        if fn in INTERNAL_SPELLINGS:
            return "adcompiler", INTERNAL_SPELLINGS[fn]
        found = self.names.get(_key(fn))
        if found is not None:
            return found
        owner = getattr(fn, "__self__", None)  # a distribution's method: scipy.stats.norm.logpdf
        for name, distribution in self.distributions.items():
            if owner is distribution:
                return "scipy.stats", f"scipy.stats.{name}.{fn.__name__}"
        module = getattr(fn, "__module__", None) or "other"
        return ("adcompiler" if module.startswith("adcompiler") else module), describe(fn)


def _dotted(group: str, name: str) -> str:
    if group == "builtins":
        return name
    head, _, rest = group.partition(".")
    return ".".join(filter(None, (SHORT.get(head, head), rest, name)))


def _distributions() -> dict:
    stats = _module("scipy.stats")
    if stats is None:
        return {}
    kinds = (stats.rv_continuous, stats.rv_discrete)
    return {name: obj for name in dir(stats) if isinstance(obj := getattr(stats, name), kinds)}


_INDEX: _Index | None = None


def _index() -> _Index:
    global _INDEX
    if _INDEX is None:
        _INDEX = _Index()
    return _INDEX


def spelling(fn) -> str:
    """The name a user writes for `fn`: `np.linalg.norm`, `scipy.special.expit`, `*`, `math.sin`."""
    return _index().spell(fn)[1]


# ---------------------------------------------------------------- the table


def rule_entries() -> list[Entry]:
    """Every callable with derivative rules, sorted by group and name."""
    index = _index()
    entries = []
    for fn, rule in registry.registered().items():
        group, name = index.spell(fn)
        entries.append(Entry(
            fn, name, group, _argument_names(fn, rule),
            tuple(v is not None and v is not registry.passes_nothing for v in rule.vjps),
            rule.jvps is not None, tuple(sorted(rule.params)), index.aliases.get(_key(fn), ()), _is_own(rule),
        ))
    return sorted(entries, key=_order)


def _is_own(rule) -> bool:
    """Whether adcompiler's rule modules wrote the rules (a user's `adjoint` registers its own)."""
    modules = {getattr(r, "__module__", None) or "" for r in rule.vjps if r is not None}
    return all(module.startswith("adcompiler.") and module != "adcompiler.adjoints" for module in modules)


def nondiff_entries() -> list[Entry]:
    """Every callable declared to have a zero derivative, sorted by group and name."""
    index = _index()
    entries = []
    for fn in registry._NONDIFF:
        group, name = index.spell(fn)
        entries.append(Entry(fn, name, group, aliases=index.aliases.get(_key(fn), ())))
    return sorted(entries, key=_order)


GROUP_ORDER = ("numpy", "numpy.linalg", "numpy.fft", "scipy.special", "scipy.linalg", "scipy.stats",
               "math", "operator", "builtins", "adcompiler")


def _order(entry: Entry):
    return _group_rank(entry.group), entry.name


def _group_rank(group: str):
    return (GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)), group


def _argument_names(fn, rule) -> tuple:
    """Names of the positional arguments: from the rules' own signatures (`lambda g, ans, x,
    y`), else from the function's, else `arg0`, `arg1`, ..."""
    owner = getattr(fn, "__self__", None)
    if owner is not None and owner in _index().distributions.values():
        return _distribution_arguments(fn, owner)[: rule.nargs]
    sources = [r for r in rule.vjps if r is not None] + [fn]
    for source in sources:
        skip = 2 if source is not fn else 0  # a rule's first two parameters are g and ans
        try:
            parameters = list(inspect.signature(source).parameters.values())[skip:]
        except (TypeError, ValueError):
            continue
        names = [p.name for p in parameters
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in rule.params]
        rest = [p.name for p in parameters if p.kind == p.VAR_POSITIONAL]  # einsum(subscripts, *operands)
        if rest and len(names) < rule.nargs:
            names += [f"{rest[0]}[{i}]" for i in range(rule.nargs - len(names))]
        if len(names) >= rule.nargs:
            return tuple(names[: rule.nargs])
    return tuple(f"arg{i}" for i in range(rule.nargs))


def _distribution_arguments(method, distribution) -> tuple:
    """`logpdf(x, a, b, loc, scale)`: the data, the shape parameters, loc and (if continuous) scale."""
    data = next(iter(inspect.signature(method).parameters), "x")
    shapes = [name.strip() for name in (distribution.shapes or "").split(",") if name.strip()]
    continuous = isinstance(distribution, _module("scipy.stats").rv_continuous)
    return (data, *shapes, "loc", *(["scale"] if continuous else []))


def missing(module_name: str) -> list[str]:
    """Public callables of `module_name` with neither rules nor a zero-derivative declaration."""
    index = _index()
    result = []
    skipped = NOT_ARRAY_MATH.get(module_name, ())
    for name, obj in public_callables(module_name).items():
        if name not in skipped and registry.rule_for(obj) is None and not registry.is_nondiff(obj):
            group, spelled = index.spell(obj)
            if group == module_name:  # listed once, under the module that names it first
                result.append(spelled)
    return result


def not_array_math() -> list[str]:
    """The public callables left out of the lists of functions without a rule."""
    return [_dotted(module_name, name) for module_name, names in NOT_ARRAY_MATH.items()
            for name in names if name in public_callables(module_name)]


def counts() -> dict:
    """Per group: functions with both VJP and JVP rules, with rules of one mode only,
    declared non-differentiable, and (for the walked modules) without any of these."""
    table: dict = {}

    def row(group):
        return table.setdefault(group, {"both": 0, "partial": 0, "nondiff": 0, "missing": None})

    for entry in rule_entries():
        row(entry.group)["both" if entry.differentiable else "partial"] += 1
    for entry in nondiff_entries():
        row(entry.group)["nondiff"] += 1
    for module_name in MISSING_MODULES:
        if _module(module_name) is not None:
            row(module_name)["missing"] = len(missing(module_name))
    return dict(sorted(table.items(), key=lambda item: _group_rank(item[0])))


def totals() -> dict:
    """NumPy (all its modules) and SciPy functions with both VJP and JVP rules."""
    return {library: sum(breakdown(library).values()) for library in ("numpy", "scipy")}


def breakdown(library: str) -> dict:
    """`{module: functions with both VJP and JVP rules}` for the modules of `library`."""
    return {group: row["both"] for group, row in counts().items() if group.split(".")[0] == library}


def _target_line(library: str, label: str) -> str:
    parts = breakdown(library)
    value, target = sum(parts.values()), TARGETS[library]
    status = "met" if value >= target else f"{target - value} short"
    detail = ", ".join(f"{group} {n}" for group, n in parts.items())
    return f"{label} functions with both VJP and JVP rules: {value} ({detail}; target {target}: {status})"


def without_jvp() -> list[Entry]:
    """Callables with VJP rules but no JVP rules."""
    return [entry for entry in rule_entries() if not entry.jvp]


# ---------------------------------------------------------------- rendering


def versions() -> str:
    text = f"NumPy {np.__version__}"
    return text + (f", SciPy {scipy.__version__}" if scipy is not None else ", without SciPy")


def summary() -> str:
    """The human-readable report of `python -m adcompiler coverage`."""
    lines = [f"adcompiler rule coverage ({versions()})", ""]
    table = counts()
    width = max(len(group) for group in table) + 2
    header = f"  {'module':<{width}}{'VJP+JVP':>9}{'VJP only':>10}{'zero grad':>11}{'no rule':>9}"
    lines += [header, "  " + "-" * (len(header) - 2)]
    for group, row in table.items():
        missing_count = "" if row["missing"] is None else row["missing"]
        lines.append(f"  {group:<{width}}{row['both']:>9}{row['partial']:>10}{row['nondiff']:>11}{missing_count:>9}")
    lines.append("")
    lines += [_target_line("numpy", "NumPy"), _target_line("scipy", "SciPy")]
    lacking = without_jvp()
    lines.append("Rules without a JVP: " + (", ".join(e.name for e in lacking) if lacking else "none"))
    lines += ["", "`python -m adcompiler coverage --missing` lists the NumPy functions with no rule;",
              "`--markdown` writes the full table (docs/coverage.md)."]
    return "\n".join(lines)


def missing_lines(modules=NUMPY_MODULES) -> str:
    """The public callables with no rule, one per line."""
    return "\n".join(name for module_name in modules for name in missing(module_name))


def markdown(today: datetime.date | None = None) -> str:
    """The coverage table as Markdown: docs/coverage.md."""
    today = today or datetime.date.today()
    out = ["# Rule coverage", "",
           f"Generated by `python -m adcompiler coverage --markdown > docs/coverage.md` on {today.isoformat()}",
           f"with {versions()}. Do not edit by hand: run the command again.", "",
           "| module | VJP and JVP | VJP only | zero gradient | no rule |", "|---|---:|---:|---:|---:|"]
    for group, row in counts().items():
        missing_count = "" if row["missing"] is None else row["missing"]
        out.append(f"| {group} | {row['both']} | {row['partial']} | {row['nondiff']} | {missing_count} |")
    out.append("")
    out += [f"- {_target_line('numpy', 'NumPy')}", f"- {_target_line('scipy', 'SciPy')}"]
    out += ["", "VJP lists the positional arguments that have a reverse-mode rule; JVP says whether",
            "forward-mode rules exist (for the same arguments); keywords are those the rules handle,",
            "and any other keyword is refused.", ""]
    out += _rule_tables()
    out += ["## Zero gradient", "", "Declared non-differentiable: their outputs carry no gradient.", ""]
    out.append(", ".join(f"`{e.name}`" for e in nondiff_entries()))
    out += ["", "## Without a rule", "",
            "Public callables with neither rules nor a zero-gradient declaration; a gradient",
            "flowing into one of them is refused with `MissingRuleError`.", ""]
    for module_name in MISSING_MODULES:
        names = missing(module_name)
        if names:
            out += [f"### {module_name} ({len(names)})", "", ", ".join(f"`{n}`" for n in names), ""]
    out += ["Not counted, as not array maths (printing, files, error state, configuration, dtype and",
            "memory queries, calendars): " + ", ".join(f"`{n}`" for n in not_array_math()) + ".", ""]
    return "\n".join(out).rstrip() + "\n"


def _rule_tables() -> list[str]:
    out, group = [], None
    for entry in rule_entries():
        if entry.group != group:
            group = entry.group
            out += [*([""] if out else []), f"## {group}", "",
                    "| function | VJP | JVP | keywords |", "|---|---|---|---|"]
        name = f"`{entry.name}`" + "".join(f" (`{a}`)" for a in entry.aliases)
        out.append(f"| {_escape(name)} | {_vjp_cell(entry)} | {'yes' if entry.jvp else 'no'} | "
                   f"{', '.join(entry.keywords)} |")
    return out + [""]


def _vjp_cell(entry: Entry) -> str:
    having = [name for name, has in zip(entry.arguments, entry.vjp) if has]
    lacking = [name for name, has in zip(entry.arguments, entry.vjp) if not has]
    if not having:
        return "none"
    return ", ".join(having) + (f" (not {', '.join(lacking)})" if lacking else "")


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
