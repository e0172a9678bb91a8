"""A 200-step loop on one Python float: the cost of many tiny operations.

The hand-written gradients accumulate the derivative in the same loop (forward mode),
which is what one writes by hand for a function of one scalar: no tape at all. They
come in two spellings, with `math` (Python floats throughout) and with `np` (each call
returns a NumPy scalar, and every later operation is a NumPy scalar operation).
"""
import math

import numpy as np

STEPS = 200


def scalar_loop(x):
    for i in range(200):
        x = x + 0.01 * np.sin(x) * np.exp(-x * x)
    return x


def scalar_loop_by_hand_math(x):
    dx = 1.0
    for i in range(STEPS):
        s = math.sin(x)
        e = math.exp(-x * x)
        dx *= 1.0 + 0.01 * e * (math.cos(x) - 2.0 * x * s)
        x = x + 0.01 * s * e
    return x, (dx,)


def scalar_loop_by_hand_np(x):
    dx = 1.0
    for i in range(STEPS):
        s = np.sin(x)
        e = np.exp(-x * x)
        dx *= 1.0 + 0.01 * e * (np.cos(x) - 2.0 * x * s)
        x = x + 0.01 * s * e
    return x, (dx,)


def inputs(rng, small=False):
    return (float(rng.uniform(0.3, 1.2)),)
