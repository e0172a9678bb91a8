"""The data-dependent loop from d2l's autograd chapter: double a vector until its norm
reaches 1000, then keep it or scale it by 100 depending on its sign.

The result is `k * a` for a scalar `k` that the control flow picks, so the gradient of
`sum(c)` is `k` in every entry, i.e. `c / a` (as the d2l text checks it).
"""
import numpy as np


def while_doubling(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return np.sum(c)


def while_doubling_by_hand(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return np.sum(c), (c / a,)


def inputs(rng, small=False):
    return (rng.standard_normal(4),)
