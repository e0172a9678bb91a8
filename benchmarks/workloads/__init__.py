"""The benchmark workloads: each a plain NumPy function, the parameters to differentiate,
a way to make inputs (full size, or tiny for the tests), and hand-written gradients.

A hand-written gradient takes the function's arguments and returns
`(value, (gradient of each wrt argument, ...))`, as `adcompiler.value_and_grad` does.
Every function here uses NumPy only through the module global `np`, so that the
runner can run the very same code under autograd, JAX or PyTorch by rebinding `np`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import logreg, mlp, rnn, scalar_loop, while_doubling


@dataclass(frozen=True)
class Workload:
    name: str
    fn: Callable  # the function to differentiate
    wrt: tuple  # positions of the parameters to differentiate
    inputs: Callable  # inputs(rng, small=False) -> the arguments
    by_hand: dict  # label -> hand-written value-and-gradient
    summary: str


WORKLOADS = (
    Workload("scalar_loop", scalar_loop.scalar_loop, (0,), scalar_loop.inputs,
             {"math": scalar_loop.scalar_loop_by_hand_math, "np": scalar_loop.scalar_loop_by_hand_np},
             "200 steps of x + 0.01 sin(x) exp(-x^2) on a Python float"),
    Workload("mlp_small", mlp.mlp_small, (0, 1, 2, 3), mlp.mlp_small_inputs,
             {"hand": mlp.mlp_small_by_hand},
             "MLP 100x3 -> 32 -> 1, ReLU, mean squared error"),
    Workload("mlp_large", mlp.mlp_large, (0, 1, 2, 3), mlp.mlp_large_inputs,
             {"hand": mlp.mlp_large_by_hand},
             "MLP 256x784 -> 1024 -> 10, tanh, softmax cross-entropy"),
    Workload("rnn", rnn.rnn, (0, 1, 2), rnn.inputs,
             {"hand": rnn.rnn_by_hand},
             "tanh RNN, 50 steps, batch 16, 8 -> 64, sum of squares of the last state"),
    Workload("logreg_small", logreg.logreg, (0, 1), logreg.inputs_of(100, 10),
             {"hand": logreg.logreg_by_hand},
             "logistic regression 100x10, logaddexp loss"),
    Workload("logreg_large", logreg.logreg, (0, 1), logreg.inputs_of(10000, 100),
             {"hand": logreg.logreg_by_hand},
             "logistic regression 10000x100, logaddexp loss"),
    Workload("while_doubling", while_doubling.while_doubling, (0,), while_doubling.inputs,
             {"hand": while_doubling.while_doubling_by_hand},
             "d2l: double a 4-vector until its norm reaches 1000, then a sign test"),
)

BY_NAME = {w.name: w for w in WORKLOADS}
