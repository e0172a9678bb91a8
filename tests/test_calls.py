"""Calls, closures, containers and methods end to end: the programs of `corpus_calls`.

Each row of `CASES` is one program with one argument set, checked against finite
differences in float64; its compiled value must be the function's value. Programs whose
gradient is deliberately NOT the derivative (`stop_gradient`, `no_grad`, a user rule
that differs from the function) are compared with their intended gradient instead
(`INTENDED`). Then: refusals and missing rules, user-rule registration errors,
rebinding of globals (never a stale gradient), names that look like generated ones,
`wrt` naming a container argument, and the golden source of one helper-calling program.
"""
from __future__ import annotations

import inspect
import os
from pathlib import Path

import numpy as np
import pytest

import adcompiler as ad

from . import corpus_calls as cc
from . import corpus_calls_helpers as h
from .helpers import Case, check_hessian_vector_product, check_jvp, derivative_rows, function_from_source


def arr(*values):
    return np.array(values, dtype=float)


def case(fn, *args, wrt=None, id=None, xfail=None):
    """`wrt` defaults to every float or float-array argument."""
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)))
    return Case(fn, args, wrt, f"{fn.__name__}-{id}" if id else fn.__name__, xfail)


X3 = arr(0.3, -0.5, 0.8)
P3 = arr(0.3, 1.5, 0.8)  # positive
BIG3 = arr(1.3, 2.5, 1.8)  # all above 1
X23 = arr(0.5, -0.3, 0.8, 0.2, 0.9, -0.4).reshape(2, 3)
W32 = arr(0.5, -0.3, 0.2, 0.8, -0.6, 0.1).reshape(3, 2)
W33 = arr(0.3, -0.6, 0.9, 0.4, 0.7, -0.2, -0.5, 0.1, 0.8).reshape(3, 3)
B2 = arr(0.1, -0.2)
B3 = arr(0.2, -0.1, 0.3)
Y2 = arr(0.4, -0.7)
TWO_LAYER_ARGS = (W32.T, B3, W33[:, :2], X23[:, :2], arr(0.1, 0.2, -0.3, 0.4).reshape(2, 2))

# Known failures (each is described, with a reproducer, in the report that came with this file).
ENUMERATE_ZIP = ("compile", "lower._Lowering.iteration: `enumerate(zip(x, y))` lowers `zip(x, y)` as an opaque "
                 "call, then reports that `zip` has no derivative rule")
STARRED = ("compile", "fence: starred assignment `first, *rest = ...` is refused")
DICTCOMP = ("compile", "fence: dict comprehensions are refused")

CASES = [
    # ------------------------------------------------ helpers from another module
    case(cc.call_dense, X23, W32, B2),
    case(cc.call_module_attribute, X23, W32, B2),
    case(cc.call_mlp, X23, W33, B3, W32),
    case(cc.helper_in_loop, X3, W33),
    case(cc.helper_accumulated_in_loop, X23, B3, Y2),
    case(cc.helper_called_twice, X3),
    case(cc.nested_helper_calls, X3),
    case(cc.helper_default_used, X3),
    case(cc.helper_default_overridden, X3, 0.7),
    case(cc.helper_keyword, X3, 0.7),
    case(cc.helper_keywords_reordered, X23, W32, B2),
    case(cc.helper_default_none, X23, W32),
    case(cc.helper_default_none_given, X23, W32, B2),
    case(cc.helper_varargs, X3, P3, B3),
    case(cc.helper_varargs_keyword_only, X3, P3),
    case(cc.helper_varargs_len, X3),
    case(cc.helper_returns_tuple, X3),
    case(cc.helper_tuple_indexed, X3),
    case(cc.helper_with_early_return, BIG3, id="early"),
    case(cc.helper_with_early_return, P3, id="late"),
    case(cc.helper_with_loop, X3),
    case(cc.helper_with_math, 0.7),
    case(cc.helper_reads_global, X3),
    case(cc.uses_module_constant_attribute, X3),
    case(cc.helper_array_default, X3),
    case(cc.helper_rebinds_parameter, X3),
    case(cc.helper_argument_names_swapped, 0.7, W32),
    case(cc.helper_function_as_keyword, X3),
    case(cc.method_on_helper_result, X23, W32, B2),
    case(cc.two_layer_loss, *TWO_LAYER_ARGS),
    case(cc.uses_global_offset, X3),
    case(cc.uses_global_helper, X3),
    case(cc.uses_helper_activation, X3),
    # ------------------------------------------------ nested functions and closures
    case(cc.nested_def, X3),
    case(cc.nested_def_captures_parameter, X3, 0.7),
    case(cc.nested_def_default_from_local, X3),
    case(cc.nested_def_shadows_global, X3),
    case(cc.closure_factory_called_twice, X3, 0.7, -1.3),
    case(cc.nested_def_captures_local, X3),
    case(cc.closure_late_binding, X3),
    case(cc.closure_reads_variable_rebound_in_loop, X3),
    case(cc.lambda_reads_variable_rebound_in_loop, X3),
    case(cc.closure_called_through_a_helper_after_rebinding, 0.7, 1.3),
    case(cc.default_read_at_definition, X3),
    case(cc.lambda_default_read_at_definition, X3),
    case(cc.closure_model, W32, X23),
    case(cc.closure_model_local, W32, B2, X23),
    case(cc.closure_made_at_import, X23),
    case(cc.closure_two_levels, X3, 0.7),
    case(cc.closure_in_loop, X3, W33),
    case(cc.closure_compose, X3),
    case(cc.closure_lambda_factory, X3, 0.7),
    # ------------------------------------------------ lambdas and higher-order functions
    case(cc.lambda_assigned, X3),
    case(cc.lambda_captures_parameter, X3, 0.7),
    case(cc.lambda_default_capture, X3, 0.7),
    case(cc.lambda_called_immediately, X3),
    case(cc.lambda_passed_to_helper, X3),
    case(cc.apply_module_function, X3),
    case(cc.apply_numpy_function, X3),
    case(cc.apply_twice, X3),
    case(cc.loop_over_functions, X3),
    # ------------------------------------------------ array methods and attributes
    case(cc.method_chain, X23, W32),
    case(cc.method_transpose_attribute, W32, X3),
    case(cc.method_reshape, X23),
    case(cc.method_dot, X3, P3),
    case(cc.method_max_min, X23),
    case(cc.method_prod, X23),
    case(cc.method_std_var, X23),
    case(cc.method_transpose, W33),
    case(cc.method_flatten_ravel, X23),
    case(cc.method_astype_copy, X3),
    case(cc.method_clip, arr(0.3, -0.7, 0.8, 0.1)),
    case(cc.method_squeeze, X3),
    case(cc.attribute_queries, X3),
    # ------------------------------------------------ builtins
    case(cc.builtin_abs, 0.7, 0.2, id="positive"),
    case(cc.builtin_abs, 0.2, 0.7, id="negative"),
    case(cc.builtin_float_abs_of_arrays, X3),
    case(cc.builtin_max_min, 0.7, 0.2),
    case(cc.builtin_max_min_of_several, 0.7, 0.2, 0.9, id="a-largest"),
    case(cc.builtin_max_min_of_several, 0.3, 0.8, 0.9, id="b-largest"),
    case(cc.builtin_max_min_of_several, 0.1, 0.2, 0.4, id="constant-largest"),
    case(cc.builtin_max_min_of_array_items, X3),
    case(cc.builtin_list_tuple_copy, 0.7, 0.2),
    case(cc.like_with_shape_and_dtype, X3),
    case(cc.split_pieces_in_a_loop, np.arange(1.0, 13.0).reshape(4, 3) / 7.0),
    case(cc.builtin_sum_list, X3, P3),
    case(cc.builtin_len_range, X3),
    case(cc.builtin_float_int, X3),
    case(cc.builtin_zip_enumerate, X3, P3, xfail=ENUMERATE_ZIP),
    case(cc.builtin_isinstance, 0.7, id="float"),
    case(cc.builtin_isinstance, X3, id="array"),
    # ------------------------------------------------ tuples, lists and dicts
    case(cc.tuple_indexed, X3, P3),
    case(cc.list_indexed, X3, P3),
    case(cc.tuple_carried_negative_index, X3),
    case(cc.nested_unpacking, X3, P3),
    case(cc.unpack_pair_from_tuple, X3),
    case(cc.item_of_tuple_display, X3, P3),
    case(cc.tuple_indexed_by_argument, X3, 0, id="0"),
    case(cc.tuple_indexed_by_argument, X3, 1, id="1"),
    case(cc.starred_unpacking, X3, P3, B3, xfail=STARRED),
    case(cc.list_of_weights, X3, W33, W33.T),
    case(cc.list_passed_to_helper, X3, P3),
    case(cc.tuple_to_stack, X3, P3),
    case(cc.dict_literal, W32.T, B2, X3),
    case(cc.dict_argument_read, {"W": W32, "b": B2}, X23, wrt=1),
    # ------------------------------------------------ comprehensions
    case(cc.listcomp_to_sum, X3),
    case(cc.genexp_to_builtin_sum, X3),
    case(cc.listcomp_to_stack, X3, W33),
    case(cc.listcomp_to_array, 0.7, 0.2),
    case(cc.dictcomp_params, W32.T, B2, X3, xfail=DICTCOMP),
    case(cc.array_of_list, 0.7, 0.2),
    # ------------------------------------------------ math on floats
    case(cc.math_functions, 0.7),
    case(cc.math_pow_hypot, 0.7, 0.2),
    case(cc.math_constants, 0.7),
    case(cc.math_mixed_with_arrays, 0.7, X3),
    # ------------------------------------------------ non-differentiable functions
    case(cc.nondiff_floor_sign, X3),
    case(cc.nondiff_argmax, X3),
    case(cc.nondiff_round, arr(0.33, -0.52, 0.81)),
    case(cc.nondiff_comparison, X3),
    case(cc.nondiff_only, X3),
    # ------------------------------------------------ user rules
    case(cc.user_rule_one_argument, X3),
    case(cc.user_rule_two_arguments, X3, P3),
    # ------------------------------------------------ names that look like generated ones
    case(cc.names_like_adjoints, X3),
    case(cc.names_like_tapes, X3),
    case(cc.names_like_runtime, X23, X3),
    case(cc.local_named_np, X3),
    case(h.weighted_with_local_np, X3),
]


@pytest.mark.parametrize("fn, args, wrt", [c.param(("gradient", "compile", "crash")) for c in CASES])
def test_gradient_matches_finite_differences(fn, args, wrt):
    ad.check_grads(fn, *args, wrt=wrt)


# Second derivatives: helpers of the gradient's code without second-order rules are refused.
SECOND_ORDER_REFUSED = {"method_prod", "split_pieces_in_a_loop", "tuple_to_stack"}


@pytest.mark.parametrize("fn, args, wrt", derivative_rows(CASES, True, SECOND_ORDER_REFUSED))
def test_hessian_vector_product_matches_finite_differences_of_the_gradient(fn, args, wrt):
    check_hessian_vector_product(fn, args, wrt)


@pytest.mark.parametrize("fn, args, wrt", derivative_rows(CASES, False))
def test_jvp_matches_finite_differences(fn, args, wrt):
    check_jvp(fn, args, wrt)


@pytest.mark.parametrize("fn, args, wrt", [c.param(("compile", "crash")) for c in CASES])
def test_compiled_value_is_the_functions_value(fn, args, wrt):
    np.testing.assert_allclose(ad.value_and_grad(fn, wrt=wrt)(*args)[0], fn(*args), rtol=1e-13, atol=0)


def test_nondiff_only_has_zero_gradient():
    np.testing.assert_array_equal(ad.grad(cc.nondiff_only)(X3), np.zeros(3))


# ---------------------------------------------------------------- gradients that are not derivatives


def _normalised(x):
    return x / np.sqrt(np.sum(x * x))


INTENDED = [
    # (program, args, the gradient it should have)
    (cc.stop_gradient_factor, (X3,), np.exp(X3)),
    (cc.stop_gradient_in_helper, (X3,), 2.0 * _normalised(X3)),
    (cc.no_grad_block, (X3,), 2.0 * (X3 - np.mean(X3)) / np.max(np.abs(X3)) ** 2),
    (cc.no_grad_in_helper, (X3,), 2.0 * X3 - np.mean(X3)),
    (cc.user_rule_overrides_source, (X3,), np.full(3, 0.25)),  # the rule clips the incoming 2.0
]


@pytest.mark.parametrize("fn, args, expected", INTENDED, ids=[row[0].__name__ for row in INTENDED])
def test_intended_gradient(fn, args, expected):
    value, grad = ad.value_and_grad(fn)(*args)
    np.testing.assert_allclose(grad, expected, rtol=1e-12)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-13)


def test_every_program_of_the_corpus_has_a_case():
    programs = {name for name, obj in vars(cc).items() if callable(obj) and getattr(obj, "__module__", None) == cc.__name__}
    helpers = {"local_square", "nonlinearity", "sum_list"} | {
        f"{name}_{mode}" for name in ("log1pexp", "scaled_product", "clipped_identity") for mode in ("vjp", "jvp")}
    containers = {row[0].__name__ for row in CONTAINER_WRT}  # see the wrt tests below
    tested = {c.fn.__name__ for c in CASES} | {row[0].__name__ for row in INTENDED}
    assert programs - tested == helpers | containers
    assert len(programs - helpers) >= 60
    assert all(getattr(cc, name).__doc__ for name in programs - helpers)


# ---------------------------------------------------------------- refusals: clear errors with locations


def _line_of(fn, text: str) -> int:
    """The file line number of the first line of `fn` containing `text` (docstrings skipped)."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line and '"""' not in line)


REFUSALS = [
    # (program, the text of the refused line, the words the message must contain)
    pytest.param(cc.starred_unpacking, "first, *rest =", "starred assignment", id="starred_unpacking"),
    pytest.param(cc.dictcomp_params, "p = {k: v for", "dict comprehension", id="dictcomp_params", marks=pytest.mark.xfail(
        strict=True, reason="fence._WHAT has no entry for gast.DictComp: the message says '`DictComp` is not "
        "supported' and the hint is the generic 'Rewrite this line with the supported constructs'")),
]


@pytest.mark.parametrize("fn, text, words", REFUSALS)
def test_unsupported_construct_is_refused_clearly(fn, text, words):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)
    error = info.value
    assert words in error.message and "not supported" in error.message
    assert error.loc is not None and error.loc.file.endswith("corpus_calls.py")
    assert error.loc.line == _line_of(fn, text)
    assert error.hint
    assert f'line {error.loc.line}' in str(error) and "^" in str(error)


def _missing_rule(body: str) -> ad.MissingRuleError:
    fn = function_from_source("def f(x):\n" + body, namespace={"h": h})
    with pytest.raises(ad.MissingRuleError) as info:
        ad.grad(fn)
    return info.value


def test_recursive_helper_is_refused_with_how_to_register_a_rule():
    error = _missing_rule("    return np.sum(h.power_recursive(x, 3))\n")
    assert "`power_recursive`" in error.message and "recursion" in error.message
    assert "@adcompiler.adjoint(power_recursive)" in error.hint
    # the call that stays opaque is the recursive one, inside the helper
    assert error.loc.file.endswith("corpus_calls_helpers.py")
    assert error.loc.line == _line_of(h.power_recursive, "return x * power_recursive(")


def test_mutually_recursive_helpers_are_refused():
    error = _missing_rule("    return np.sum(h.is_even_depth(x, 3))\n")
    assert "`is_even_depth`" in error.message and "recursion" in error.message
    assert "adcompiler.adjoint(is_even_depth)" in error.hint
    assert error.loc.line == _line_of(h.is_odd_depth, "return is_even_depth(")


def test_helper_without_source_is_refused_at_the_call():
    error = _missing_rule("    y = x * 2.0\n    return np.sum(h.cube_no_source(y))\n")
    assert "`cube_no_source`" in error.message and "cannot read the source" in error.message
    assert "adcompiler.adjoint(cube_no_source)" in error.hint and "stop_gradient" in error.hint
    assert error.loc.line == 3 and error.loc.text.strip() == "return np.sum(h.cube_no_source(y))"
    assert error.loc.col == error.loc.text.index("h.cube_no_source")


def test_helper_outside_the_language_is_refused_with_the_reason():
    error = _missing_rule("    return np.sum(h.uses_try(x))\n")
    assert "uses_try" in error.message and "`try` statements are not supported" in error.message
    assert "adcompiler.adjoint(" in error.hint
    assert error.loc.line == 2


@pytest.mark.parametrize("call", ["h.power_recursive(np.ones(3), 2)", "h.cube_no_source(2.0)", "h.uses_try(np.ones(3))"])
def test_helper_that_cannot_be_inlined_is_fine_when_no_gradient_flows(call):
    fn = function_from_source(f"def f(x):\n    c = {call}\n    return np.sum(x * c)\n", namespace={"h": h})
    c = eval(call, {"h": h, "np": np})  # noqa: S307 - a constant of the test
    np.testing.assert_allclose(ad.grad(fn)(X3), np.broadcast_to(c, (3,)))


def test_failed_inlining_with_a_temporary_argument_falls_back_to_the_call():
    fn = function_from_source(
        "def needs_is(a, b=None):\n    if b is None:\n        return a * 2.0\n    return a * b\n\n"
        "def f(x):\n    c = needs_is(np.ones(3) * 3.0)\n    return np.sum(x * c)\n", name="f")
    np.testing.assert_allclose(ad.grad(fn)(X3), np.full(3, 6.0))


# ---------------------------------------------------------------- user rules (@adcompiler.adjoint)


def test_user_rule_is_inlined_into_the_generated_source():
    source = ad.grad(cc.user_rule_one_argument).source
    assert "np.exp(x - log1pexp_x)" in source  # the rule's body, with the call's names
    assert "log1pexp(x)" in source and "log1p(" not in source  # the function is called, not inlined


def test_user_rule_of_two_arguments_in_the_source():
    source = ad.grad(cc.user_rule_two_arguments, wrt=(0, 1)).source
    assert "scaled_product(a, b)" in source
    assert source.count("* 3.0") >= 2


def test_user_rule_used_instead_of_the_functions_body():
    source = ad.grad(cc.user_rule_overrides_source).source
    assert "np.clip(" in source and "-0.25, 0.25)" in source


def test_user_forward_rule_reads_every_tangent_and_a_reverse_rule_serves_a_float():
    """A JVP rule written for all tangents at once (`tx * y + x * ty`) gets zeros for the
    others, never None; `grad` of a Python float uses the reverse rule when there is no
    forward one."""
    scaled = function_from_source("def scaled(x, y):\n    return x * y * 2.0\n")
    square = function_from_source("def square(a):\n    return a * a\n")
    ad.adjoint(scaled, jvp=lambda tangents, ans, x, y: (tangents[0] * y + x * tangents[1]) * 2.0)(
        lambda g, ans, x, y: (2.0 * g * y, 2.0 * g * x))
    ad.adjoint(square)(lambda g, ans, a: 2.0 * a * g)
    f = function_from_source("def f(x, y):\n    return np.sum(scaled(x, y))\n", namespace={"scaled": scaled})
    g = function_from_source("def g(t):\n    return square(t) * 3.0\n", namespace={"square": square})
    x, y = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    _, tangent = ad.jvp(f, wrt=(0, 1))(x, y, (np.ones(2), np.ones(2)))
    assert tangent == pytest.approx(2.0 * np.sum(x + y))
    assert ad.grad(g)(0.5) == pytest.approx(3.0) == ad.grad(g)(np.array(0.5))


def _bump_jvp(tangents, ans, x, y):
    """Every rule registered has a JVP too (`test_coverage` checks the whole registry)."""
    tx, ty = tangents
    return (0.0 if tx is None else tx * y) + (0.0 if ty is None else x * ty)


def _fresh_function(name="bump"):
    return function_from_source(f"def {name}(x, y):\n    return x * y\n")


def test_rule_with_wrong_arity_is_refused():
    fn = _fresh_function()
    with pytest.raises(ad.RuleError) as info:
        @ad.adjoint(fn)
        def bump_vjp(g, ans, x):
            return g
    message = info.value.message
    assert "bump_vjp" in message and "takes 3 parameters" in message and "must take 4" in message
    assert "(g, ans, x, y)" in message


def test_rule_with_unknown_argument_names_is_refused():
    fn = _fresh_function()
    with pytest.raises(ad.RuleError) as info:
        @ad.adjoint(fn)
        def bump_vjp(g, ans, a, b):
            return g * b, g * a
    message = info.value.message
    assert "('a', 'b')" in message and "('x', 'y')" in message
    assert "def bump_vjp(g, ans, x, y)" in message


def test_rule_for_a_function_with_varargs_is_refused():
    fn = function_from_source("def spread(*xs):\n    return xs[0]\n")
    with pytest.raises(ad.RuleError, match=r"\*args"):
        ad.adjoint(fn)


def test_rule_with_varargs_is_refused():
    fn = _fresh_function()
    with pytest.raises(ad.RuleError, match=r"\*args"):
        @ad.adjoint(fn)
        def bump_vjp(g, ans, *args):
            return args


def test_rule_returning_the_wrong_number_of_cotangents_is_refused():
    fn = _fresh_function("bump_two")
    caller = function_from_source("def f(x, y):\n    return np.sum(bump_two(x, y))\n", namespace={"bump_two": fn})

    @ad.adjoint(fn, jvp=_bump_jvp)
    def bump_vjp(g, ans, x, y):
        return g * y  # should be a pair

    with pytest.raises(ad.RuleError, match="tuple of 2 cotangents"):
        ad.grad(caller, wrt=(0, 1))


def test_rule_with_none_for_an_argument_gives_no_gradient_there():
    fn = _fresh_function("bump_half")
    caller = function_from_source("def f(x, y):\n    return np.sum(bump_half(x, y))\n", namespace={"bump_half": fn})

    @ad.adjoint(fn, jvp=_bump_jvp)
    def bump_vjp(g, ans, x, y):
        return g * y, None

    np.testing.assert_allclose(ad.grad(caller, wrt=0)(X3, P3), P3)
    # `None` declares that no gradient flows to `y` (unlike `defvjp`'s None, which refuses one)
    np.testing.assert_array_equal(ad.grad(caller, wrt=1)(X3, P3), np.zeros(3))


# ---------------------------------------------------------------- rebinding globals: never a stale gradient


def _stays_fresh(fn, x, rebind):
    """The gradient after `rebind()` is the new function's, from the same `grad` object."""
    g = ad.grad(fn)
    before = g(x)
    rebind()
    after = g(x)
    assert not np.allclose(before, after)
    ad.check_grads(fn, x)
    np.testing.assert_allclose(after, ad.grad(fn)(x), rtol=1e-12)


def test_rebinding_a_module_constant(monkeypatch):
    _stays_fresh(cc.uses_global_offset, X3, lambda: monkeypatch.setattr(cc, "OFFSET", 3.0))


def test_rebinding_a_module_level_helper(monkeypatch):
    _stays_fresh(cc.uses_global_helper, X3, lambda: monkeypatch.setattr(cc, "nonlinearity", cc.local_square))


def test_rebinding_a_global_read_by_an_inlined_helper(monkeypatch):
    _stays_fresh(cc.helper_reads_global, X3, lambda: monkeypatch.setattr(h, "SCALE", 5.0))


def test_helper_reads_its_own_modules_global_not_the_callers():
    np.testing.assert_allclose(ad.grad(cc.helper_reads_global)(X3), 4.0 * X3)  # h.SCALE == 2, not cc.SCALE


def test_changing_a_closure_cell(monkeypatch):
    cell = h.fixed_model.__closure__[0]
    _stays_fresh(cc.closure_made_at_import, X23, lambda: monkeypatch.setattr(cell, "cell_contents", 3.0 * h.W_FIXED))


def test_rebinding_a_helper_called_through_its_module(monkeypatch):
    _stays_fresh(cc.uses_helper_activation, X3, lambda: monkeypatch.setattr(h, "activation", h.sigmoid))


def test_rebinding_a_constant_read_through_its_module(monkeypatch):
    _stays_fresh(cc.uses_module_constant_attribute, X3, lambda: monkeypatch.setattr(h, "SCALE", 5.0))


# ---------------------------------------------------------------- names that look like generated ones


RUNTIME_NAMES = ("unbroadcast", "zeros_like_input", "rename", "add_at", "add_into", "getitem_adjoint", "as_gradient")


@pytest.mark.parametrize("fn, wrt", [(cc.names_like_runtime, (0, 1)), (cc.names_like_tapes, 0),
                                     (cc.names_like_adjoints, 0)])
def test_user_variables_do_not_shadow_generated_names(fn, wrt):
    """A runtime helper the generated code calls is never also assigned (the user's variable is renamed)."""
    source = ad.grad(fn, wrt=wrt).source
    for name in RUNTIME_NAMES:
        if f"{name}(" in source:
            assert f"    {name} = " not in source


def test_local_named_np_in_the_differentiated_function():
    source = ad.grad(h.weighted_with_local_np).source
    assert "np = " not in source


# ---------------------------------------------------------------- wrt naming a container argument


def _check_leaves(got, params, loss, x):
    """Each leaf of `got` matches finite differences of `loss` in that leaf of `params`."""
    from adcompiler.checks import numerical_gradient

    keys = params.keys() if isinstance(params, dict) else range(len(params))
    for key in keys:
        def partial(leaf, key=key):
            changed = dict(params) if isinstance(params, dict) else list(params)
            changed[key] = leaf
            return loss(changed if isinstance(params, (dict, list)) else tuple(changed), x)

        np.testing.assert_allclose(got[key], numerical_gradient(partial, (params[key],), 0), rtol=1e-5, atol=1e-7)


CONTAINER_WRT = [
    (cc.dict_argument_wrt, {"W": W32, "b": B2}, X23, None),
    (cc.tuple_argument_wrt, (W32, B2), X23, None),
    (cc.list_argument_unpacked_wrt, [W33, W33.T], X3, None),
    (cc.list_argument_wrt, [W33, W33.T], X3, None),
]


@pytest.mark.parametrize("fn, params, x", [
    pytest.param(fn, params, x, id=fn.__name__,
                 marks=[pytest.mark.xfail(strict=True, reason=why)] if why else [])
    for fn, params, x, why in CONTAINER_WRT])
def test_gradient_wrt_a_container_has_its_structure(fn, params, x):
    grads = ad.grad(fn, wrt=0)(params, x)
    assert type(grads) is type(params)
    assert (grads.keys() == params.keys()) if isinstance(params, dict) else len(grads) == len(params)
    _check_leaves(grads, params, fn, x)


# ---------------------------------------------------------------- golden source


GOLDEN = Path(__file__).parent / "golden" / "helper_call_grad.py"


def test_helper_call_source_matches_golden():
    """`two_layer_loss` calls two helpers of another module: one readable backward pass
    (the variant compiled for its arrays, as `g.source` shows after a call)."""
    g = ad.grad(cc.two_layer_loss, wrt=("W1", "b1", "W2"))
    g(*TWO_LAYER_ARGS)
    source = g.source
    if os.environ.get("ADCOMPILER_UPDATE_GOLDEN"):
        GOLDEN.write_text(source)
    assert source == GOLDEN.read_text()


# ---------------------------------------------------------------- joining containers


JOINS = {
    "list-in-loop": ("    acc = []\n    for i in range(2):\n        acc = acc + [x[i]]\n    return np.sum(acc[0])\n", 4),
    "tuple": ("    t = (x[0], x[1]) + (x[0],)\n    return np.sum(t[2])\n", 2),
    "repeat": ("    t = [x[0]] * 2\n    return np.sum(t[1])\n", 2),
}


@pytest.mark.parametrize("name", sorted(JOINS))
def test_joining_tuples_or_lists_is_refused_with_its_line(name):
    """`+` and `*` on tuples and lists would otherwise get the adjoint of array arithmetic."""
    body, line = JOINS[name]
    fn = function_from_source("def f(x):\n" + body)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert info.value.loc.line == line and "items.append(v)" in str(info.value)


def test_shape_tuples_still_join():
    """Joining shape tuples carries no gradient: `x.shape + (1,)` stays allowed."""
    fn = function_from_source("def f(x):\n    y = np.reshape(x, x.shape + (1,))\n    return np.sum(y ** 2)\n")
    x = np.array([0.5, -1.5])
    np.testing.assert_allclose(ad.grad(fn)(x), 2 * x)


def test_reversed_slice_of_a_list_display():

    fn = function_from_source("def f(x):\n    items = [x[i] for i in range(4)]\n    s = 0.0\n"
                              "    for a in items[::-1]:\n        s = s * 2.0 + a\n    return s\n")
    ad.check_grads(fn, np.array([0.31, 0.72, 0.45, 0.93]))


@pytest.mark.parametrize("body, line", [
    ("    d = {'a': x * 1.0}\n    d['a'] += 1.0\n    return np.sum(d['a'])\n", 3),
    ("    d = {}\n    for i in range(3):\n        d[i] = x[i] ** 2\n    return d[0] + d[1]\n", 4),
    ("    ys = []\n    for i in range(3):\n        ys.append(x * i)\n    ys[1] = x * x\n"
     "    return np.sum(ys[1] + ys[2])\n", 5),
    ("    ys = [x]\n    ys.append(x * 2.0)\n    ys[0] = x * x\n    return np.sum(ys[0] + ys[1])\n", 4),
], ids=["dict", "dict in a loop", "list appended to in a loop", "list appended to"])
@pytest.mark.parametrize("arg", [np.array([0.31, 0.72, 0.45, 0.93]), 0.31], ids=["array", "float"])
def test_assigning_an_item_of_a_dict_or_list_is_refused_with_its_line(body, line, arg):
    """Reverse mode (arrays) and forward mode (a Python float) refuse it alike."""
    fn = function_from_source("def f(x):\n" + body)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)(arg)
    assert info.value.loc.line == line
