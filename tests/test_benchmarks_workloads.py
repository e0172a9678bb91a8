"""The benchmark workloads (benchmarks/workloads): each hand-written gradient agrees with
finite differences, and adcompiler's gradient agrees with the hand-written one, on small
inputs. No timing here: `python benchmarks/run.py` does that."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from benchmarks import compile_scaling, systems, timing
from benchmarks.workloads import BY_NAME, WORKLOADS

HAND = [(w, label) for w in WORKLOADS for label in w.by_hand]


def central_differences(fn, args, position, eps=1e-6):
    """d fn / d args[position] by central differences, entry by entry."""
    x = args[position]

    def at(point):
        return float(fn(*args[:position], point, *args[position + 1:]))

    if not isinstance(x, np.ndarray):
        return (at(x + eps) - at(x - eps)) / (2 * eps)
    result = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        result[index] = (at(up) - at(down)) / (2 * eps)
    return result


def small_inputs(workload):
    return workload.inputs(np.random.default_rng(0), small=True)


def assert_gradients_close(got, expected, workload, rtol=1e-6, atol=1e-9):
    assert len(got) == len(expected) == len(workload.wrt)
    for g, e in zip(got, expected):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


@pytest.mark.parametrize("workload, label", HAND, ids=[f"{w.name}-{label}" for w, label in HAND])
def test_hand_written_gradient_matches_finite_differences(workload, label):
    args = small_inputs(workload)
    value, grads = workload.by_hand[label](*args)
    assert np.isclose(value, workload.fn(*args), rtol=1e-12)
    numerical = tuple(central_differences(workload.fn, args, i) for i in workload.wrt)
    assert_gradients_close(grads, numerical, workload, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_adcompiler_gradient_matches_hand_written(workload):
    args = small_inputs(workload)
    value, grads = ad.value_and_grad(workload.fn, wrt=workload.wrt)(*args)
    expected_value, expected = workload.by_hand[next(iter(workload.by_hand))](*args)
    assert np.isclose(value, expected_value, rtol=1e-12)
    assert_gradients_close(grads, expected, workload)


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_full_size_inputs_have_the_documented_shapes(workload):
    args = workload.inputs(np.random.default_rng(0))
    assert np.ndim(workload.fn(*args)) == 0
    assert all(np.asarray(args[i]).dtype == np.float64 for i in workload.wrt)


def test_compile_scaling_generates_a_differentiable_function(tmp_path):
    module = compile_scaling.load_module(tmp_path, "straight_line_for_test", compile_scaling.straight_line_source(40))
    rng = np.random.default_rng(1)
    ad.check_grads(module.f, rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3), wrt=(0, 1))


def test_interleaved_timing_takes_one_sample_per_round():
    calls = {"a": lambda: None, "b": lambda: sum(range(10))}
    measured = timing.interleaved(calls, block_ns=100_000, rounds=3)
    assert set(measured) == {"a", "b"}
    for reps, samples in measured.values():
        assert reps >= 1 and len(samples) == 3 and all(s >= 0 for s in samples)


def test_runner_refuses_a_gradient_that_disagrees_with_the_hand_written_one():
    workload = BY_NAME["logreg_small"]
    args = small_inputs(workload)
    reference = workload.by_hand["hand"](*args)
    assert systems.disagreement(reference, reference, workload) is None
    value, (dw, db) = reference
    assert "gradient of w differs" in systems.disagreement((value, (dw * 1.01, db)), reference, workload)
    assert "shape" in systems.disagreement((value, (dw[:-1], db)), reference, workload)
    assert "value" in systems.disagreement((value + 1.0, (dw, db)), reference, workload)
