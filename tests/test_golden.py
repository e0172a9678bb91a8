"""Golden tests: the generated source of canonical functions, compared with reviewed text.

Regenerate after a deliberate change with `ADCOMPILER_UPDATE_GOLDEN=1 pytest tests/test_golden.py`,
then read the diff as a reviewer would.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import adcompiler as ad

from . import golden_functions as gf

GOLDEN = Path(__file__).parent / "golden"

R = np.random.default_rng(0)
V3 = R.standard_normal(3)
M23 = R.standard_normal((2, 3))

# name -> (the gradient, arguments of a first call: the golden text is the variant they select)
CASES = {
    "hasktorch_grad": lambda: (ad.grad(gf.hasktorch), (np.ones((2, 2)),)),
    "rtorch_grad_retain": lambda: (ad.grad(gf.rtorch, wrt=("x1", "x2"), retain=("x3", "x4", "x5", "x6")), (2.0, 2.0)),
    "rstudio_grad": lambda: (ad.grad(gf.rstudio, wrt=(0, 1)), (np.ones((2, 2)), 1.1)),
    "logistic_loss_grad": lambda: (ad.grad(gf.logistic_loss, wrt=("w", "b")),
                                   (V3, 0.1, R.standard_normal((5, 3)), (R.standard_normal(5) > 0) * 1.0)),
    "detach_grad": lambda: (ad.grad(gf.detach), (V3,)),
    "square_vjp": lambda: (ad.vjp(gf.square), (V3,)),
    "branch_grad": lambda: (ad.grad(gf.branch), (V3,)),
    "power_series_grad": lambda: (ad.grad(gf.power_series), (np.float64(0.5), 5)),
    "halve_until_small_grad": lambda: (ad.grad(gf.halve_until_small), (np.float64(5.0),)),
    "grow_until_limit_grad": lambda: (ad.grad(gf.grow_until_limit), (np.float64(0.5), 3.0)),
    # a function of one Python float is differentiated in forward mode: no tape
    "halve_until_small_forward": lambda: (ad.grad(gf.halve_until_small), (5.0,)),
    "rnn_grad": lambda: (ad.grad(gf.rnn, wrt=("W", "U", "x")),
                         (R.standard_normal((4, 4)), R.standard_normal((4, 3)), R.standard_normal((5, 3)))),
    # forward mode along a direction of W: the tangents run beside the values, no tape
    "rnn_jvp": lambda: (ad.jvp(gf.rnn, wrt="W"),
                        (R.standard_normal((4, 4)), R.standard_normal((4, 3)), R.standard_normal((5, 3)),
                         R.standard_normal((4, 4)))),
}


def source_of(name: str) -> str:
    gradient, args = CASES[name]()
    gradient(*args)
    return gradient.source


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_matches_golden(name):
    source = source_of(name)
    path = GOLDEN / f"{name}.py"
    if os.environ.get("ADCOMPILER_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_is_deterministic(name):
    from adcompiler import api

    first = source_of(name)
    api.clear_caches()
    assert source_of(name) == first


def test_printed_ir_matches_golden():
    text = str(ad.grad(gf.rstudio).graph) + "\n"  # the IR before specialisation
    path = GOLDEN / "rstudio_ir.txt"
    if os.environ.get("ADCOMPILER_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_is_in_the_accepted_language(name):
    """The generated gradient is itself a function adcompiler reads and lowers (tapes,
    in-place updates and all), so that it can be transformed again."""
    from adcompiler import pipeline
    from adcompiler.reverse import Request

    gradient, args = CASES[name]()
    gradient(*args)
    generated = gradient.compiled.function
    front = pipeline.front_end(generated, Request(wrt=(0,)))
    assert front.primal.name == generated.__name__


def _sine_loop(x):
    y = x
    for _ in range(3):
        y = np.sin(y) * x
    return y


def test_generated_gradient_can_be_differentiated_again():
    """The tape-recording loop of a generated gradient is lowered and differentiated: a
    second derivative, checked against finite differences of the first."""
    first = ad.grad(_sine_loop)
    first(0.7)
    second = ad.grad(first.compiled.function)
    eps = 1e-6
    expected = (first(0.7 + eps) - first(0.7 - eps)) / (2 * eps)
    assert second(0.7) == pytest.approx(expected, rel=1e-6)
