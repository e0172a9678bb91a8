"""Control flow end to end: every program of `corpus_control_flow` against finite differences.

Each row of `CASES` is one program with one argument set; together the rows of a
program drive every side of its conditions and its loops through 0, 1 and many
iterations. The inputs keep away from branch boundaries, so that the finite differences
`check_grads` takes stay on one side of them.
"""
from __future__ import annotations


import numpy as np
import pytest

import adcompiler as ad

from . import corpus_control_flow as cf
from .helpers import Case, check_hessian_vector_product, check_jvp, derivative_rows, function_from_source


def arr(*values):
    return np.array(values, dtype=float)


def case(fn, *args, wrt=0, id=None, xfail=None):
    return Case(fn, args, wrt, f"{fn.__name__}-{id}" if id else fn.__name__, xfail)


_R = np.random.default_rng(7)
A23 = arr(0.5, -0.3, 0.8, 0.2, 0.9, -0.4).reshape(2, 3)
A33 = arr(0.3, -0.6, 0.9, 0.4, 0.7, -0.2, -0.5, 0.1, 0.8).reshape(3, 3)
D2L_A = _R.standard_normal(4)

# Known failures (see the report that came with this file).
ALIAS = ("gradient", "reverse._Sweep.loop: when a loop's initial value is also read inside the body (`y = x` then "
         "`y = y * x`), the adjoint flowing to the initial value is overwritten and lost")
TUPLE = ("compile", "reverse._Sweep.call: iterating over a tuple or list of differentiated values is refused "
         "(element read at a run-time index)")
ENUM = ("compile", "lower._Lowering.for_loop: the index of `for i, x in enumerate(xs)` is never bound "
        "(`i` is not defined)")
REVERSED = ("compile", "lower._Lowering.iteration: `reversed(range(n))` is iterated by index with `len()`, "
            "which a range_iterator lacks (TypeError in the generated code)")

CASES = [
    # ------------------------------------------------ containers carried through loops
    case(cf.tuple_carried, np.array([0.3, -0.2])),
    case(cf.list_carried, np.array([0.3, -0.2])),
    case(cf.tuple_of_floats_carried, 0.7, id="float"),
    case(cf.tuple_of_floats_carried, np.array(0.7), id="0-d"),
    case(cf.list_of_lists_built_in_loops, np.array([0.3, -0.2, 0.5])),
    case(cf.math_function_in_loop, 0.7, id="float"),
    case(cf.math_function_in_loop, np.float64(0.7), id="float64"),
    case(cf.reduction_in_a_branch_not_taken, np.array(0.7), id="0-d"),
    case(cf.reduction_in_a_branch_not_taken, np.ones((2, 3)), id="2-d"),
    case(cf.enumerate_from_one, np.arange(6.0).reshape(2, 3) / 6),
    case(cf.enumerate_start_keyword_over_display, np.array([0.3, -0.4])),
    case(cf.dict_carried_over_a_float, 0.7),
    case(cf.dict_of_constants_carried_over_a_float, 1.5),
    case(cf.nested_item_at_constant_and_run_time_indices, [[1.0, 2.0, 3.0], 1.5]),
    case(cf.dict_list_item_at_constant_and_run_time_indices, {"a": [1.0, 2.0, 0.5]}),
    case(cf.list_built_in_loop_read_twice, np.array([0.5, 0.3, 0.7])),
    case(cf.filtered_comprehension_read_three_times, np.array([0.5, 0.3, -0.2, 0.7])),
    case(cf.ragged_list_of_lists, [[np.array([1.0, -0.5]), 1.5], [np.ones(2), np.array([0.3, 0.2]), np.ones(2)]]),
    case(cf.broadcast_items_of_a_list, [np.array([1.0]), np.array([1.0, 2.0, 3.0]), np.array([0.5])]),
    case(cf.dict_item_indexed_in_loop, {"w": [1.5, 2.5]}),
    case(cf.layers_as_list_of_pairs, [(A23.T.copy(), np.array([0.1, -0.2, 0.3])), (A23.copy(), np.array([0.2, 0.1]))],
         np.array([0.5, -0.4]), wrt=(0, 1)),
    case(cf.layers_as_list_of_dicts, [{"W": A23.T.copy(), "b": np.array([0.1, -0.2, 0.3])},
                                      {"W": A23.copy(), "b": np.array([0.2, 0.1])}], np.array([0.5, -0.4]),
         wrt=(0, 1)),
    case(cf.mlp_layers_from_dict, {"W": [A23.T.copy(), A23.copy()], "b": [np.array([0.1, -0.2, 0.3]),
                                                                      np.array([0.2, 0.1])]},
         np.array([0.5, -0.4]), wrt=(0, 1)),
    case(cf.if_results_unread_after_it, np.array([1.0, 2.0]), id="then"),
    case(cf.if_results_unread_after_it, np.array([-1.0, 2.0]), id="else"),
    case(cf.if_results_unread_after_it, np.array([6.0, 2.0]), id="inner-then"),
    case(cf.for_over_dict_display_keys, 1.5),
    case(cf.dict_read_at_a_string_loop_key, np.array([0.3, 0.7])),
    case(cf.reversed_displays, 0.1),
    case(cf.reversed_displays, np.array([0.1, -0.3]), id="array"),
    case(cf.zip_and_enumerate_over_iterators, np.array([0.3, -0.5, 0.9])),
    case(cf.loop_body_always_breaks, np.array([-0.76, 0.3])),
    case(cf.while_true_left_by_break, np.array([-0.76, 0.3])),
    case(cf.loop_body_always_returns, 0.7),
    case(cf.loop_body_always_returns, np.array([0.7, -0.2]), id="array"),
    # ------------------------------------------------ if / elif / else
    case(cf.if_scalar_sign, 1.3, id="then"),
    case(cf.if_scalar_sign, -0.7, id="else"),
    case(cf.if_array_sum, arr(0.5, -0.2, 0.9), id="then"),
    case(cf.if_array_sum, arr(-0.5, 0.2, -0.9), id="else"),
    case(cf.if_norm_condition, arr(0.3, -0.4, 0.5), id="then"),
    case(cf.if_norm_condition, arr(2.0, -1.5, 1.0), id="else"),
    case(cf.if_nondiff_flag, arr(0.3, -1.2), 1, id="then"),
    case(cf.if_nondiff_flag, arr(0.3, -1.2), 0, id="else"),
    case(cf.if_without_else, arr(0.4, 0.7, -0.2), id="taken"),
    case(cf.if_without_else, arr(-0.4, 0.7, -0.9), id="skipped"),
    case(cf.if_and, 0.8, arr(0.5, 0.3), wrt=(0, 1), id="both"),
    case(cf.if_and, 0.8, arr(-0.5, 0.3), wrt=(0, 1), id="second-false"),
    case(cf.if_and, -0.8, arr(0.5, 0.3), wrt=(0, 1), id="first-false"),
    case(cf.if_or, 1.5, arr(0.5, 0.3), wrt=(0, 1), id="first-true"),
    case(cf.if_or, 0.5, arr(-0.5, 0.3), wrt=(0, 1), id="second-true"),
    case(cf.if_or, 0.5, arr(0.5, 0.3), wrt=(0, 1), id="both-false"),
    case(cf.if_not, arr(0.5, 0.3), id="positive"),
    case(cf.if_not, arr(-0.5, 0.3), id="negative"),
    case(cf.if_and_or_not, 0.5, -0.7, 1.0, wrt=(0, 1, 2), id="and-true"),
    case(cf.if_and_or_not, 0.5, 0.7, 3.0, wrt=(0, 1, 2), id="or-true"),
    case(cf.if_and_or_not, 0.5, 0.7, 1.0, wrt=(0, 1, 2), id="not-false"),
    case(cf.if_and_or_not, -0.5, -0.7, 1.0, wrt=(0, 1, 2), id="first-false"),
    case(cf.if_three_and, 0.5, 0.6, 0.7, wrt=(0, 1, 2), id="all"),
    case(cf.if_three_and, 0.5, -0.6, 0.7, wrt=(0, 1, 2), id="middle-false"),
    case(cf.if_three_and, 0.5, 0.6, -0.7, wrt=(0, 1, 2), id="last-false"),
    case(cf.if_three_and, -0.5, 0.6, 0.7, wrt=(0, 1, 2), id="first-false"),
    case(cf.if_all_positive, arr(0.5, 1.2, 2.0), id="then"),
    case(cf.if_all_positive, arr(0.5, -1.2, 2.0), id="else"),
    case(cf.if_not_any, arr(0.5, 1.2, 2.0), id="then"),
    case(cf.if_not_any, arr(0.5, 6.2, 2.0), id="else"),
    case(cf.elif_chain, -1.5, id="first"),
    case(cf.elif_chain, -0.5, id="second"),
    case(cf.elif_chain, 0.5, id="third"),
    case(cf.elif_chain, 1.5, id="else"),
    case(cf.elif_chain_arrays, arr(1.5, 2.0), arr(0.3, -0.4), wrt=(0, 1), id="first"),
    case(cf.elif_chain_arrays, arr(0.5, 0.2), arr(0.3, -0.4), wrt=(0, 1), id="second"),
    case(cf.elif_chain_arrays, arr(-0.5, 0.2), arr(0.3, -0.4), wrt=(0, 1), id="else"),
    case(cf.elif_without_else, 1.5, id="if"),
    case(cf.elif_without_else, -1.5, id="elif"),
    case(cf.elif_without_else, 0.3, id="neither"),
    case(cf.nested_if, 0.5, 0.7, wrt=(0, 1), id="pp"),
    case(cf.nested_if, 0.5, -0.7, wrt=(0, 1), id="pn"),
    case(cf.nested_if, -0.5, 0.7, wrt=(0, 1), id="np"),
    case(cf.nested_if, -0.5, -0.7, wrt=(0, 1), id="nn"),
    case(cf.nested_if_partial, arr(0.5, 1.5), id="both"),
    case(cf.nested_if_partial, arr(0.5, 0.3), id="outer-only"),
    case(cf.nested_if_partial, arr(-0.5, 0.3), id="neither"),
    case(cf.if_several_vars, 0.9, 0.4, wrt=(0, 1), id="then"),
    case(cf.if_several_vars, 0.4, 0.9, wrt=(0, 1), id="else"),
    case(cf.if_local_only, 0.7, arr(0.3, -0.5), wrt=(0, 1), id="then"),
    case(cf.if_local_only, -0.7, arr(0.3, -0.5), wrt=(0, 1), id="else"),
    case(cf.if_shape_condition, arr(0.3, -0.5, 0.8), id="long"),
    case(cf.if_shape_condition, arr(0.3, -0.5), id="short"),
    case(cf.if_saved_condition, 0.5, arr(0.3, -0.5), wrt=(0, 1), id="then"),
    case(cf.if_saved_condition, -0.5, arr(0.3, -0.5), wrt=(0, 1), id="skipped"),
    case(cf.if_both_branches_return, 0.5, id="then"),
    case(cf.if_both_branches_return, -0.5, id="else"),
    case(cf.if_vector_output, arr(0.3, 0.5), id="then"),
    case(cf.if_vector_output, arr(-0.3, -0.5), id="else"),
    case(cf.if_branch_unused_value, arr(0.3, -0.5), 0.7, wrt=(0, 1), id="constant"),
    case(cf.if_branch_unused_value, arr(0.3, -0.5), -0.7, wrt=(0, 1), id="product"),
    # ------------------------------------------------ conditional expressions, and/or values
    case(cf.ifexp_scalar, 1.2, id="then"),
    case(cf.ifexp_scalar, -0.8, id="else"),
    case(cf.ifexp_nested, 1.5, id="outer"),
    case(cf.ifexp_nested, 0.3, id="inner-then"),
    case(cf.ifexp_nested, -1.5, id="inner-else"),
    case(cf.ifexp_constant_factor, arr(0.3, -0.5), 1.0, id="then"),
    case(cf.ifexp_constant_factor, arr(0.3, -0.5), -1.0, id="else"),
    case(cf.ifexp_array, arr(0.3, -0.5), arr(0.9, 0.2), wrt=(0, 1), id="then"),
    case(cf.ifexp_array, arr(0.3, -0.5), arr(-0.9, 0.2), wrt=(0, 1), id="else"),
    case(cf.ifexp_and_condition, 0.5, 0.7, wrt=(0, 1), id="then"),
    case(cf.ifexp_and_condition, 0.5, -0.7, wrt=(0, 1), id="else"),
    case(cf.ifexp_not_condition, 0.5, 0.7, wrt=(0, 1), id="else"),
    case(cf.ifexp_not_condition, -0.5, 0.7, wrt=(0, 1), id="then"),
    case(cf.or_value, 0.7, 1.3, wrt=(0, 1), id="first"),
    case(cf.or_value, 0.0, 1.3, wrt=1, id="second"),
    case(cf.and_value, 0.7, 1.3, wrt=(0, 1), id="second"),
    case(cf.and_value, 0.0, 1.3, wrt=1, id="first"),
    # ------------------------------------------------ for loops
    case(cf.for_range_int, arr(0.3, -0.5), 0, id="0"),
    case(cf.for_range_int, arr(0.3, -0.5), 1, id="1"),
    case(cf.for_range_int, arr(0.3, -0.5), 4, id="4"),
    case(cf.for_range_shape, arr(0.3, -0.5, 0.8, 1.1)),
    case(cf.for_range_len, arr(0.3, -0.5, 0.8)),
    case(cf.for_range_start_stop_step, arr(0.3, -0.5, 0.8, 1.1, -0.2, 0.6), 1, id="0"),
    case(cf.for_range_start_stop_step, arr(0.3, -0.5, 0.8, 1.1, -0.2, 0.6), 2, id="1"),
    case(cf.for_range_start_stop_step, arr(0.3, -0.5, 0.8, 1.1, -0.2, 0.6), 6, id="3"),
    case(cf.for_over_rows, A23, id="2-rows"),
    case(cf.for_over_rows, A23[:1], id="1-row"),
    case(cf.for_over_rows, np.zeros((0, 3)), id="0-rows"),
    case(cf.for_over_tuple, arr(0.3, -0.5), 0.7, A23, wrt=(0, 1, 2)),
    case(cf.for_over_list, arr(0.3, -0.5), arr(0.9, 0.2), wrt=(0, 1)),
    case(cf.for_over_constant_tuple, arr(0.3, -0.5)),
    case(cf.for_horner_coeffs, arr(1.0, -2.0, 0.5, 3.0), 0.7, wrt=(0, 1)),
    case(cf.for_zip, arr(0.3, -0.5, 0.8), arr(0.9, 0.2, -0.4, 1.0), wrt=(0, 1)),
    case(cf.for_zip_three, A23, A23[::-1] * 0.5, A23 + 1.0, wrt=(0, 1, 2)),
    case(cf.for_enumerate, arr(0.3, -0.5, 0.8)),
    case(cf.for_enumerate_rows, A23, arr(0.9, 0.2, -0.4), wrt=(0, 1)),
    case(cf.nested_loops, A23, id="2x3"),
    case(cf.nested_loops, np.zeros((0, 3)), id="0x3"),
    case(cf.nested_loops_rows, A23, arr(0.9, -0.2), wrt=(0, 1)),
    case(cf.triple_nested_loops, arr(0.3, -0.5, 0.8, 1.1), 0, id="0"),
    case(cf.triple_nested_loops, arr(0.3, -0.5, 0.8, 1.1), 1, id="1"),
    case(cf.triple_nested_loops, arr(0.3, -0.5, 0.8, 1.1), 4, id="4"),
    case(cf.loop_carried_pair, arr(0.3, -0.5), arr(0.9, 0.2), 0, wrt=(0, 1), id="0"),
    case(cf.loop_carried_pair, arr(0.3, -0.5), arr(0.9, 0.2), 1, wrt=(0, 1), id="1"),
    case(cf.loop_carried_pair, arr(0.3, -0.5), arr(0.9, 0.2), 3, wrt=(0, 1), id="3"),
    case(cf.loop_mixed_state, arr(0.3, -0.5), 0, id="0"),
    case(cf.loop_mixed_state, arr(0.3, -0.5), 1, id="1"),
    case(cf.loop_mixed_state, arr(0.3, -0.5), 3, id="3"),
    case(cf.loop_accumulate_float, arr(0.3, -0.5)),
    case(cf.loop_accumulate_array, arr(0.3, -0.5), 0, id="0"),
    case(cf.loop_accumulate_array, arr(0.3, -0.5), 1, id="1"),
    case(cf.loop_accumulate_array, arr(0.3, -0.5), 3, id="3"),
    case(cf.loop_power, 0.7, 0, id="0"),
    case(cf.loop_power, 0.7, 1, id="1"),
    case(cf.loop_power, 0.7, 4, id="4"),
    case(cf.loop_reassign_argument, arr(0.3, -0.5), 0, id="0"),
    case(cf.loop_reassign_argument, arr(0.3, -0.5), 1, id="1"),
    case(cf.loop_reassign_argument, arr(0.3, -0.5), 3, id="3"),
    case(cf.loop_var_after, arr(0.3, -0.5), 1, id="1"),
    case(cf.loop_var_after, arr(0.3, -0.5), 3, id="3"),
    case(cf.loop_target_after, arr(0.3, -0.5), 0, id="0"),
    case(cf.loop_target_after, arr(0.3, -0.5), 1, id="1"),
    case(cf.loop_target_after, arr(0.3, -0.5), 3, id="3"),
    case(cf.loop_power_copied, 0.7, 0, id="0"),
    case(cf.loop_power_copied, 0.7, 1, id="1"),
    case(cf.loop_power_copied, 0.7, 4, id="4"),
    case(cf.loop_augmented_assignment, arr(0.3, -0.5, 0.8), 0, id="0"),
    case(cf.loop_augmented_assignment, arr(0.3, -0.5, 0.8), 3, id="3"),
    case(cf.loop_target_reassigned, arr(0.3, -0.5, 0.8)),
    case(cf.loop_target_shadows, arr(0.3, -0.5, 0.8)),
    case(cf.for_over_columns, A23),
    case(cf.for_over_slice, arr(0.3, -0.5, 0.8)),
    case(cf.for_range_negative_step, arr(0.3, -0.5, 0.8)),
    case(cf.for_reversed_range, arr(0.3, -0.5, 0.8)),
    case(cf.append_in_loop, arr(0.3, -0.5, 0.8)),
    case(cf.scalar_start_becomes_array, arr(0.3, -1.2, 0.7)),
    case(cf.scalar_start_times_sum, np.array([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.4]])),
    case(cf.augmented_on_own_array, arr(0.3, -0.5, 0.8)),
    case(cf.append_copies_then_update, np.array([[0.3, -0.5], [0.8, 0.1]])),
    case(cf.for_reversed_rows, np.array([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.4]])),
    case(cf.append_until_break, arr(0.3, 0.5), id="many"),
    case(cf.append_until_break, arr(3.0, 2.5), id="0"),
    case(cf.nested_loops_alias, A23, 0.7, wrt=(0, 1)),
    case(cf.loop_vector_output, arr(0.3, -0.5), 0, id="0"),
    case(cf.loop_vector_output, arr(0.3, -0.5), 3, id="3"),
    case(cf.loop_matrix_power, A33, arr(0.3, -0.5, 0.2), 0, wrt=(0, 1), id="0"),
    case(cf.loop_matrix_power, A33, arr(0.3, -0.5, 0.2), 1, wrt=(0, 1), id="1"),
    case(cf.loop_matrix_power, A33, arr(0.3, -0.5, 0.2), 3, wrt=(0, 1), id="3"),
    case(cf.loop_cumprod, arr(0.3, -0.5, 0.8, 1.1)),
    case(cf.loop_if_on_index, arr(0.3, -0.5, 0.8, 1.1)),
    case(cf.loop_if_on_value, arr(0.3, -0.5, 0.8, -1.1)),
    case(cf.loop_ifexp, arr(0.3, -0.5, 0.8, -1.1)),
    case(cf.loop_local_in_branch, arr(0.3, -0.5, 0.8, -1.1)),
    case(cf.loop_outer_product, arr(0.3, -0.5, 0.8), arr(0.9, 0.2), wrt=(0, 1)),
    case(cf.rnn, A33 * 0.5, A23.T, _R.standard_normal((4, 2)), wrt=(0, 1, 2), id="T4"),
    case(cf.rnn, A33 * 0.5, A23.T, _R.standard_normal((1, 2)), wrt=(0, 1, 2), id="T1"),
    case(cf.rnn, A33 * 0.5, A23.T, np.zeros((0, 2)), wrt=(0, 1, 2), id="T0"),
    case(cf.float_only_loop, 0.5, 1.5, 0, wrt=(0, 1), id="0"),
    case(cf.float_only_loop, 0.5, 1.5, 1, wrt=(0, 1), id="1"),
    case(cf.float_only_loop, 0.5, 1.5, 4, wrt=(0, 1), id="4"),
    case(cf.mixed_float_array, arr(0.3, -0.5), 0.7, wrt=(0, 1)),
    # ------------------------------------------------ break and continue
    case(cf.break_in_branch, arr(0.3, -0.9, 0.8, 1.1), 0.5, id="breaks"),
    case(cf.break_in_branch, arr(0.3, -0.9, 0.8, 1.1), 10.0, id="runs-out"),
    case(cf.break_on_index, arr(0.3, -0.5, 0.8), 0, id="0"),
    case(cf.break_on_index, arr(0.3, -0.5, 0.8), 1, id="1"),
    case(cf.break_on_index, arr(0.3, -0.5, 0.8), 2, id="2"),
    case(cf.break_on_index, arr(0.3, -0.5, 0.8), 10, id="no-break"),
    case(cf.break_nested_branch, arr(0.7, -0.5, 0.8, 0.6), id="breaks"),
    case(cf.break_nested_branch, arr(0.3, -0.5, 0.2), id="runs-out"),
    case(cf.continue_in_branch, arr(0.3, -0.5, 0.8, -1.1)),
    case(cf.continue_nested_branch, arr(0.3, -0.5, 1.8, 0.6)),
    case(cf.elif_continue, arr(0.3, -0.5, 1.3, 0.6)),
    case(cf.continue_last, arr(0.3, -0.5, 1.3)),
    case(cf.break_and_continue, arr(0.3, -0.5, 1.8, 2.6, 0.4), id="breaks"),
    case(cf.break_and_continue, arr(0.3, -0.5, 1.8), id="runs-out"),
    case(cf.break_inner_loop, A33),
    case(cf.continue_inner_loop, A33),
    case(cf.break_outer_after_inner, A33 * 3.0, id="breaks"),
    case(cf.break_outer_after_inner, A33 * 0.5, id="runs-out"),
    case(cf.break_in_while_in_for, arr(0.3, -0.5, 1.3)),
    # ------------------------------------------------ early return
    case(cf.return_in_branch, 1.0, id="returns"),
    case(cf.return_in_branch, -1.0, id="falls-through"),
    case(cf.return_in_nested_branch, 0.5, 0.7, wrt=(0, 1), id="returns"),
    case(cf.return_in_nested_branch, 0.5, -0.7, wrt=(0, 1), id="inner-else"),
    case(cf.return_in_nested_branch, -0.5, 0.7, wrt=(0, 1), id="outer-else"),
    case(cf.return_in_elif, 3.0, id="first"),
    case(cf.return_in_elif, 1.0, id="second"),
    case(cf.return_in_elif, -1.0, id="third"),
    case(cf.return_in_elif, -3.0, id="else"),
    case(cf.return_before_loop, arr(0.3, -0.5), 0, id="returns"),
    case(cf.return_before_loop, arr(0.3, -0.5), 2, id="loops"),
    case(cf.return_in_loop, arr(0.3, -0.5, 0.8, 1.1), 0.5, id="returns"),
    case(cf.return_in_loop, arr(0.3, -0.5, 0.8, 1.1), 5.0, id="falls-through"),
    case(cf.return_in_inner_loop, A33, 0.5, id="returns"),
    case(cf.return_in_inner_loop, A33, 10.0, id="falls-through"),
    case(cf.return_in_while, arr(1.3, 2.5), id="returns"),
    case(cf.return_in_while, arr(0.3, -0.5), id="falls-through"),
    case(cf.return_in_nested_loop_branch, A33, arr(0.9, 1.2), wrt=(0, 1), id="returns"),
    case(cf.return_in_nested_loop_branch, A33, arr(0.2, 0.1), wrt=(0, 1), id="falls-through"),
    case(cf.return_in_while_in_for, arr(0.7, 1.3, 0.4), id="returns"),
    case(cf.return_in_while_in_for, arr(0.7, 0.3, 0.4), id="falls-through"),
    # ------------------------------------------------ for/while ... else
    case(cf.for_else_no_break, arr(0.3, -0.5, 0.8)),
    case(cf.for_else_break, arr(0.3, -0.5, 0.8), 0.5, id="breaks"),
    case(cf.for_else_break, arr(0.3, -0.5, 0.8), 5.0, id="else-runs"),
    case(cf.for_else_inner_break, A23),
    case(cf.for_else_return, arr(0.3, -0.5, 0.8), id="else-returns"),
    case(cf.for_else_return, arr(0.3, 6.5, 0.8), id="breaks"),
    case(cf.while_else_in_for, arr(0.5, 1.2, 0.3, 2.5)),
    case(cf.while_else_no_break, arr(0.3, -0.5)),
    case(cf.while_else_break, arr(1.3, 0.5), 5.0, id="breaks"),
    case(cf.while_else_break, arr(0.3, -0.5), 50.0, id="else-runs"),
    # ------------------------------------------------ while loops
    case(cf.d2l_doubling_sum, D2L_A, id="as-drawn"),
    case(cf.d2l_doubling_sum, -D2L_A, id="negated"),
    case(cf.while_value_dependent, 0.3, 1.2, wrt=(0, 1), id="many"),
    case(cf.while_value_dependent, 0.3, 8.0, wrt=(0, 1), id="1"),
    case(cf.while_value_dependent, 0.3, 11.0, wrt=(0, 1), id="0"),
    case(cf.while_counter, arr(0.3, -0.5), 0, id="0"),
    case(cf.while_counter, arr(0.3, -0.5), 1, id="1"),
    case(cf.while_counter, arr(0.3, -0.5), 3, id="3"),
    case(cf.while_and_condition, arr(0.3, -0.5, 0.8), 3, id="counter-stops"),
    case(cf.while_and_condition, arr(1.5, -2.0, 0.8), 3, id="value-stops"),
    case(cf.while_break, arr(0.3, 0.5)),
    case(cf.while_continue, arr(0.3, -0.5, 0.8, -1.1)),
    case(cf.while_several_carried, arr(0.3, -0.5), 1.5, wrt=(0, 1), id="3"),
    case(cf.while_several_carried, arr(0.3, -0.5), 4.5, wrt=(0, 1), id="0"),
    case(cf.while_tuple_update, 0.5, 1.2, wrt=(0, 1)),
    case(cf.while_newton_sqrt, 2.0),
    case(cf.while_in_for, arr(0.3, 1.1, 3.5), 0.5, wrt=(0, 1)),
    case(cf.for_in_while, arr(2.0, 2.5), id="many"),
    case(cf.for_in_while, arr(5.3, 5.5), id="0"),
]


@pytest.mark.parametrize("fn, args, wrt", [c.param(("gradient", "compile")) for c in CASES])
def test_gradient_matches_finite_differences(fn, args, wrt):
    ad.check_grads(fn, *args, wrt=wrt)


@pytest.mark.parametrize("fn, args, wrt", [c.param(("compile",)) for c in CASES])
def test_compiled_value_is_the_functions_value(fn, args, wrt):
    expected = fn(*args)
    compiled = ad.value_and_grad(fn, wrt=wrt) if np.ndim(expected) == 0 else ad.vjp(fn, wrt=wrt)
    assert np.array_equal(compiled(*args)[0], expected)


@pytest.mark.parametrize("fn, args, wrt", derivative_rows(CASES, True))
def test_hessian_vector_product_matches_finite_differences_of_the_gradient(fn, args, wrt):
    check_hessian_vector_product(fn, args, wrt)


@pytest.mark.parametrize("fn, args, wrt", derivative_rows(CASES, False))
def test_jvp_matches_finite_differences(fn, args, wrt):
    check_jvp(fn, args, wrt)


def test_every_program_of_the_corpus_has_a_case():
    programs = {name for name, obj in vars(cf).items() if callable(obj) and obj.__module__ == cf.__name__}
    tested = {c.fn.__name__ for c in CASES}
    assert programs - tested == {"d2l_doubling_value"}


# ---------------------------------------------------------------- the d2l relation


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["as-drawn", "negated"])
def test_d2l_gradient_is_c_over_a(sign):
    """d sum(c) / da == c / a elementwise, on both sides of `np.sum(b) > 0`."""
    a = sign * D2L_A
    grad = ad.grad(cf.d2l_doubling_sum)(a)
    c = cf.d2l_doubling_value(a)
    np.testing.assert_allclose(grad, c / a)


def test_d2l_cases_take_both_branches():
    assert {bool(np.sum(cf.d2l_doubling_value(a)) > 0) for a in (D2L_A, -D2L_A)} == {True, False}


# ---------------------------------------------------------------- refused forms


def _refused(body: str, cls=ad.ADError):
    fn = function_from_source("def f(x):\n" + body)
    with pytest.raises(cls) as info:
        ad.grad(fn)
    return info.value


REFUSED = [
    ("try", "    try:\n        y = np.sin(x)\n    except ValueError:\n        y = x\n    return np.sum(y)\n", 2),
    ("yield", "    yield x\n    return np.sum(x)\n", 2),
    ("global", "    global counter\n    counter = x\n    return np.sum(x)\n", 2),
    ("with", "    with open('f') as fh:\n        y = x\n    return np.sum(y)\n", 2),
    ("dropped-call", "    np.sin(x)\n    return np.sum(x)\n", 2),
    ("append-to-alias", "    items = []\n    same = items\n    items.append(x)\n    return np.sum(same[0])\n", 4),
    ("append-view-then-update", "    y = x * 1.0\n    rows = []\n    for i in range(2):\n        rows.append(y[i])\n"
     "    y[0] = 5.0\n    first = rows[0]\n    return np.sum(first * x)\n", 6),
    ("try-in-loop", "    s = 0.0\n    for v in x:\n        try:\n            s = s + v\n        except ValueError:\n"
     "            break\n    return s\n", 4),
]


@pytest.mark.parametrize("body, line", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_unsupported_forms_are_refused_with_their_line(body, line):
    error = _refused(body, ad.UnsupportedSyntaxError)
    assert error.loc is not None and error.loc.line == line
    assert 'File "<test source' in str(error) and f"line {line}" in str(error)


def test_async_def_is_refused():
    fn = function_from_source("async def f(x):\n    return np.sum(x)\n")
    with pytest.raises(ad.ADError) as info:
        ad.grad(fn)
    assert info.value.loc is not None and info.value.loc.line == 1


POSSIBLY_UNDEFINED = [
    ("if", "    if np.sum(x) > 0:\n        y = x * 2.0\n    return np.sum(y)\n", 4),
    ("if-else-other-name", "    if np.sum(x) > 0:\n        y = x\n    else:\n        z = x\n    return np.sum(y)\n", 6),
    ("elif", "    if np.sum(x) > 0:\n        y = x\n    elif np.sum(x) < -1.0:\n        y = -x\n"
     "    return np.sum(y)\n", 6),
    ("in-loop", "    s = 0.0\n    for v in x:\n        if v > 0:\n            t = v\n        s = s + t\n"
     "    return s\n", 6),
]


@pytest.mark.parametrize("body, line", [r[1:] for r in POSSIBLY_UNDEFINED], ids=[r[0] for r in POSSIBLY_UNDEFINED])
def test_possibly_undefined_variable_is_refused_by_name(body, line):
    error = _refused(body)
    name = "t" if "t = v" in body else "y"
    assert f"`{name}`" in error.message and "undefined" in error.message
    assert error.loc is not None and error.loc.line == line


AUGMENTED_ON_SHARED_ARRAYS = [
    ("view", "    v = x[1:]\n    v *= 2.0\n    return np.sum(x ** 2)\n", 3),
    ("alias", "    z = x\n    x += 1.0\n    return np.sum(z ** 2)\n", 3),
    ("row", "    for row in x:\n        row *= 2.0\n    return np.sum(x ** 2)\n", 3),
    ("helper", "    def g(z):\n        z *= 2.0\n        return np.sum(z)\n    return g(x) + np.sum(x ** 2)\n", 3),
]


@pytest.mark.parametrize("body, line", [r[1:] for r in AUGMENTED_ON_SHARED_ARRAYS],
                         ids=[r[0] for r in AUGMENTED_ON_SHARED_ARRAYS])
def test_augmented_assignment_on_a_shared_array_is_refused(body, line):
    """`v *= 2` changes an array in place, as NumPy does: refused at the first call (when it
    is known that `v` is an array) while another name for it is still used."""
    fn = function_from_source("def f(x):\n" + body)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)(np.array([[0.3, 0.5], [0.7, 0.2]]))
    assert info.value.loc.line == line and "in place" in str(info.value)


def test_augmented_assignment_on_a_shared_float_binds_a_new_float():
    fn = function_from_source("def f(a):\n    s = a\n    s += a * a\n    s *= 3.0\n    return s * a\n")
    ad.check_grads(fn, 0.7)


def test_an_array_whose_view_is_taped_is_not_updated_in_place_after_the_loop():
    f = function_from_source("""
    def taped_view(W, X):
        X = X * 1.0
        total = 0.0
        for t in range(X.shape[0]):
            total = total + np.sum(np.sin(X[t] @ W))
        X[0] = 0.0
        return total + np.sum(X)
    """)
    rng = np.random.default_rng(0)
    W, X = rng.standard_normal((3, 3)), rng.standard_normal((4, 3))
    ad.check_grads(f, W, X, wrt=(0, 1))  # the backward pass reads X[0] as it was in the loop
