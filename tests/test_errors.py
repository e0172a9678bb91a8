"""Errors name the user's file and line, show the line with a caret, and say what to do."""
from __future__ import annotations

import functools
import re

import numpy as np
import pytest

import adcompiler as ad

from .helpers import function_from_source


def assert_points_at(error: ad.ADError, line: int, text: str, caret_col: int):
    """The message shows `line`, the stripped source `text`, and a caret under column `caret_col`."""
    message = str(error)
    assert error.loc is not None and error.loc.line == line
    assert re.search(rf'File ".*", line {line}, column {caret_col + 1}', message), message
    lines = message.splitlines()
    shown = lines.index("    " + text)
    leading = len(error.loc.text) - len(error.loc.text.lstrip())
    assert lines[shown + 1] == "    " + " " * (caret_col - leading) + "^"


UNSUPPORTED = [
    ("del", "    del x\n", "del x", 4),
    ("class", "    class A:\n        pass\n", "class A:", 4),
    ("decorated def", "    @staticmethod\n    def g(t):\n        return t\n", "@staticmethod", 5),
    ("try", "    try:\n        y = x\n    except ValueError:\n        y = x\n", "try:", 4),
    ("global", "    global counter\n", "global counter", 4),
    ("yield", "    yield x\n", "yield x", 4),
    ("dict comprehension", "    y = {k: x for k in 'ab'}\n", "y = {k: x for k in 'ab'}", 8),
    ("set", "    y = {x, 1.0}\n", "y = {x, 1.0}", 8),
    ("chained comparison", "    y = 0 < x < 1\n", "y = 0 < x < 1", 8),
    ("attribute assignment", "    x.real = 1.0\n", "x.real = 1.0", 4),
    ("with", "    with open('f') as fh:\n        y = x\n", "with open('f') as fh:", 4),
]


@pytest.mark.parametrize("what, body, text, col", UNSUPPORTED, ids=[u[0] for u in UNSUPPORTED])
def test_unsupported_syntax_is_refused_with_location(what, body, text, col):
    fn = function_from_source(f"def f(x):\n{body}    return np.sum(x)\n")
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)
    assert "not supported" in info.value.message
    assert info.value.hint
    assert_points_at(info.value, 2, text, col)


def test_error_is_raised_when_grad_is_applied_not_on_call():
    fn = function_from_source("def f(x):\n    global counter\n    return x\n")
    with pytest.raises(ad.UnsupportedSyntaxError):
        ad.grad(fn)  # no call needed


twice = functools.partial(np.multiply, 2.0)


def test_missing_rule_names_the_function_and_how_to_register_one():
    fn = function_from_source(
        "def f(x):\n    y = np.sin(x)\n    z = twice(y)\n    return np.sum(z)\n", namespace={"twice": twice})
    with pytest.raises(ad.MissingRuleError) as info:
        ad.grad(fn)
    error = info.value
    assert "`twice`" in error.message and "no derivative rule" in error.message
    assert "adcompiler.adjoint" in error.hint and "stop_gradient" in error.hint
    assert_points_at(error, 3, "z = twice(y)", 8)


def test_no_rule_needed_when_no_gradient_flows():
    fn = function_from_source(
        "def f(x):\n    c = twice(3.0)\n    return np.sum(x * c)\n", namespace={"twice": twice})
    np.testing.assert_allclose(ad.grad(fn)(np.ones(2)), [6.0, 6.0])


def test_wrt_naming_a_non_parameter():
    fn = function_from_source("def f(x, y):\n    return np.sum(x * y)\n")
    with pytest.raises(ad.WrtError) as info:
        ad.grad(fn, wrt="z")
    assert "'z'" in info.value.message and "'x', 'y'" in info.value.hint
    assert_points_at(info.value, 1, "def f(x, y):", 0)
    with pytest.raises(ad.WrtError):
        ad.grad(fn, wrt=2)
    with pytest.raises(ad.WrtError):
        ad.grad(fn, wrt=("x", "w"))


def test_retain_naming_an_unknown_variable():
    fn = function_from_source("def f(x):\n    y = x * 2\n    return np.sum(y)\n")
    with pytest.raises(ad.WrtError, match="retain='q'"):
        ad.grad(fn, retain=("q",))


def test_non_scalar_output_given_to_grad():
    fn = function_from_source("def f(x):\n    y = x * 2\n    return y\n")
    g = ad.grad(fn)
    with pytest.raises(ad.NonScalarOutputError) as info:
        g(np.ones(3))
    assert "an array of 1 dimension" in info.value.message and "vjp" in info.value.hint
    assert_points_at(info.value, 3, "return y", 4)


@pytest.mark.parametrize("body", ["return np.sum(x), np.sum(x ** 2)", "return [np.sum(x)]"])
def test_a_container_output_given_to_grad_is_refused(body):
    g = ad.grad(function_from_source(f"def f(x):\n    {body}\n"))
    with pytest.raises(ad.NonScalarOutputError) as info:
        g(np.ones(2))
    assert "scalar output" in info.value.message


def test_unhandled_keyword_argument_is_refused_not_ignored():
    fn = function_from_source("def f(x):\n    return np.sum(x, dtype=np.float32)\n")
    with pytest.raises(ad.UnsupportedArgumentError) as info:
        ad.grad(fn)
    assert "dtype=" in info.value.message
    assert_points_at(info.value, 2, "return np.sum(x, dtype=np.float32)", 11)


def test_non_constant_axis_is_refused():
    fn = function_from_source("def f(x, k):\n    return np.sum(np.sum(x, axis=k))\n")
    with pytest.raises(ad.UnsupportedArgumentError, match="constant"):
        ad.grad(fn)


def test_integer_argument_is_refused():
    fn = function_from_source("def f(x):\n    return x * 2.0\n")
    with pytest.raises(ad.ADError, match="an int, not a floating-point"):
        ad.grad(fn)(3)
    with pytest.raises(ad.ADError, match="dtype int64"):
        ad.grad(fn)(np.arange(3))


def test_complex_argument_is_refused():
    fn = function_from_source("def f(x):\n    return np.sum(x * 2.0)\n")
    with pytest.raises(ad.ADError, match="complex"):
        ad.grad(fn)(np.ones(2, dtype=complex))


def test_argument_of_a_rule_without_gradient():
    fn = function_from_source("def f(x, s):\n    return np.sum(np.reshape(x, s))\n")
    g = ad.grad(fn)
    np.testing.assert_allclose(g(np.ones(4), (2, 2)), np.ones(4))


def test_unknown_attribute_on_arrays():
    fn = function_from_source("def f(x):\n    return np.sum(x.imag)\n")
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)
    assert_points_at(info.value, 2, "return np.sum(x.imag)", 18)


def test_errors_are_ad_errors():
    for cls in (ad.UnsupportedSyntaxError, ad.MissingRuleError, ad.WrtError, ad.NonScalarOutputError,
                ad.UnsupportedArgumentError, ad.RuleError, ad.InternalError):
        assert issubclass(cls, ad.ADError)


def test_internal_errors_say_they_are_bugs():
    assert "bug in adcompiler" in str(ad.InternalError("broken invariant"))


def test_update_while_a_view_is_still_used_is_refused():
    fn = function_from_source("def f(x):\n    y = x * 1.0\n    v = y[0]\n    y[0] = 5.0\n    return v + np.sum(y)\n")
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)
    assert "`v`" in info.value.message and "copy" in info.value.hint
    assert_points_at(info.value, 4, "y[0] = 5.0", 4)


def test_update_of_an_alias_is_refused():
    fn = function_from_source("def f(x):\n    y = x * 1.0\n    z = y\n    z[0] = 5.0\n    return np.sum(y)\n")
    with pytest.raises(ad.UnsupportedSyntaxError, match="shares its memory"):
        ad.grad(fn)


@pytest.mark.parametrize("body, args", [
    ("s = 0.0\n    for k in d:\n        s = s + x[k] ** 2\n    return s", (np.ones(3), {0: 2, 1: 0, 2: 1})),
    ("s = 0.0\n    for k in d:\n        s = s + x[0] * len(k)\n    return s", (np.ones(3), {"a": 1.0})),
    ("s = 0.0\n    for i in filter(lambda j: j > 0, range(3)):\n        s = s + x[i]\n    return s",
     (np.ones(3), None)),
], ids=["dict argument", "dict argument of strings", "filter with a lambda"])
def test_iterating_what_adcompiler_would_read_by_position_is_refused(body, args):
    """`for k in d` over a dict argument yields its keys; adcompiler reads sequences by
    position, which would give its values (a dict of int keys was silently read so)."""
    fn = function_from_source(f"def f(x, d):\n    {body}\n")
    with pytest.raises(ad.UnsupportedSyntaxError):
        ad.grad(fn)(*args)


def test_an_item_assigned_through_another_name_of_a_dict_whose_length_is_read_is_refused():
    """`e["z"] = c` makes `d` longer too: `len(d)` read after it would be stale."""
    fn = function_from_source('def f(a, c):\n    d = {"x": a}\n    e = d\n    e["z"] = c\n'
                              '    return len(d) * np.sum(a)\n')
    with pytest.raises(ad.UnsupportedSyntaxError, match="`d`"):
        ad.grad(fn)(np.ones(2), 3.0)


@pytest.mark.parametrize("call", ["np.array(z, copy=False)", "np.array(z, copy=None)", "np.diff(z, 0)",
                                  "np.linalg.matrix_power(z, 1)"])
def test_update_of_a_result_that_may_be_its_argument_is_refused(call):
    """These return `z` itself: an update through them changes `z`."""
    fn = function_from_source(f"def f(x):\n    z = x.reshape(2, 2) * 2\n    y = {call}\n    y[0, 0] = 5.0\n"
                              "    return np.sum(z * x.reshape(2, 2))\n")
    with pytest.raises(ad.UnsupportedSyntaxError, match="shares its memory"):
        ad.grad(fn)(np.arange(1.0, 5.0))


@pytest.mark.parametrize("body", [
    "a = [x[0]]\n    b = a\n    b.append(x[1])\n    return sum(v for v in a)",
    "groups = [[], []]\n    g = groups[0]\n    g.append(x[0])\n    return sum(groups[0]) + x[1]",
], ids=["read in a generator", "an item of a list of lists"])
def test_append_through_another_name_of_a_list_is_refused(body):
    """The list grows under both names; adcompiler's lists are values, so the other name,
    still read, would not see the new item (these were once silently read as they were)."""
    fn = function_from_source(f"def f(x):\n    {body}\n")
    with pytest.raises(ad.UnsupportedSyntaxError, match="this `append` makes longer a list") as info:
        ad.grad(fn)(np.array([0.3, 0.5]))
    assert "= list(" in info.value.hint
    assert_points_at(info.value, 4, body.split("\n")[2].strip(), 4)


def test_update_of_a_global_array_is_refused():
    fn = function_from_source("def f(x):\n    table[0] = x\n    return x\n", namespace={"table": np.zeros(2)})
    with pytest.raises(ad.UnsupportedSyntaxError, match="not a local array"):
        ad.grad(fn)


@pytest.mark.parametrize("expression, operator", [("x[~(x > 0)]", "Invert"), ("x * ((x > 0) ^ (x > 1))", "BitXor")])
def test_an_operator_without_support_is_refused_with_its_line(expression, operator):
    fn = function_from_source(f"def f(x):\n    return np.sum({expression})\n")
    with pytest.raises(ad.UnsupportedSyntaxError, match=operator) as info:
        ad.grad(fn)(np.array([0.5, -0.3, 1.5]))
    assert info.value.loc.line == 2
