"""Golden tests: the generated source of canonical functions, compared with reviewed text.

Regenerate after a deliberate change with `ADCOMPILER_UPDATE_GOLDEN=1 pytest tests/test_golden.py`,
then read the diff as a reviewer would.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import adcompiler as ad

from . import golden_functions as gf

GOLDEN = Path(__file__).parent / "golden"

CASES = {
    "hasktorch_grad": lambda: ad.grad(gf.hasktorch),
    "rtorch_grad_retain": lambda: ad.grad(gf.rtorch, wrt=("x1", "x2"), retain=("x3", "x4", "x5", "x6")),
    "rstudio_grad": lambda: ad.grad(gf.rstudio, wrt=(0, 1)),
    "logistic_loss_grad": lambda: ad.grad(gf.logistic_loss, wrt=("w", "b")),
    "detach_grad": lambda: ad.grad(gf.detach),
    "square_vjp": lambda: ad.vjp(gf.square),
    "branch_grad": lambda: ad.grad(gf.branch),
    "power_series_grad": lambda: ad.grad(gf.power_series),
    "halve_until_small_grad": lambda: ad.grad(gf.halve_until_small),
    "grow_until_limit_grad": lambda: ad.grad(gf.grow_until_limit),
    "rnn_grad": lambda: ad.grad(gf.rnn, wrt=("W", "U", "x")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_matches_golden(name):
    source = CASES[name]().source
    path = GOLDEN / f"{name}.py"
    if os.environ.get("ADCOMPILER_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_is_deterministic(name):
    from adcompiler import api

    first = CASES[name]().source
    api.clear_caches()
    assert CASES[name]().source == first


def test_printed_ir_matches_golden():
    text = str(ad.grad(gf.rstudio).graph) + "\n"
    path = GOLDEN / "rstudio_ir.txt"
    if os.environ.get("ADCOMPILER_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()
