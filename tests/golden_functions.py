"""Canonical functions whose generated source is pinned in tests/golden/.

Line numbers appear in the generated comments: append new functions at the end.
"""
import numpy as np

import adcompiler as ad


def hasktorch(a):
    b = a + 2
    c = b * b * 3
    out = np.mean(c)
    return out


def rtorch(x1, x2):
    x3 = x1 ** 2
    x5 = x3 * 0.2
    x4 = x2 ** 2
    x6 = x4 * 0.2
    x7 = x5 + x6 - 5
    return x7


def rstudio(x1, x2):
    y = x1 * (x2 + 2)
    z = y ** 2 * 3
    out = np.mean(z)
    return out


def logistic_loss(w, b, x, y):
    z = x @ w + b
    p = 1 / (1 + np.exp(-z))
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return loss


def detach(x):
    u = ad.stop_gradient(x * x)
    z = u * x
    return np.sum(z)


def square(x):
    y = x * x
    return y


def branch(x):
    if np.sum(x) > 0:
        y = x * 2
    else:
        y = np.sin(x)
    return np.sum(y * y)


def power_series(x, n):
    total = 0.0
    term = 1.0
    for k in range(n):
        term = term * x / (k + 1)
        total = total + term
    return total


def halve_until_small(x):
    while x > 1.0:
        x = x * 0.5
    return x * x


def grow_until_limit(x, limit):
    y = x
    for i in range(100):
        if y > limit:
            break
        y = y * 1.5 + 0.1
    return y


def rnn(W, U, x):
    T = x.shape[0]
    h = np.zeros((T + 1, W.shape[0]))
    for t in range(T):
        h[t + 1] = np.tanh(W @ h[t] + U @ x[t])
    return np.sum(h[T] ** 2)
