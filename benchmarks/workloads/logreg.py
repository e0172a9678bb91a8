"""Logistic regression with labels in {-1, +1} and the numerically stable loss
log(1 + exp(-y z)) written as `np.logaddexp(0, -y z)`."""
import numpy as np


def logreg(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, -y * z))


def logreg_by_hand(w, b, X, y):
    u = X @ w
    u += b
    u *= -y  # u = -y z
    losses = np.logaddexp(0.0, u)
    loss = np.mean(losses)
    # d loss / d z = -y * sigmoid(u) / n, with sigmoid(u) = exp(u - log(1 + exp(u))) <= 1
    d_z = np.exp(u - losses)
    d_z *= -y
    d_z /= y.shape[0]
    return loss, (X.T @ d_z, float(np.sum(d_z)))


def inputs_of(n, d):
    def inputs(rng, small=False):
        rows, cols = (7, 3) if small else (n, d)
        X = rng.standard_normal((rows, cols))
        y = np.where(rng.random(rows) < 0.5, -1.0, 1.0)
        w = rng.standard_normal(cols) / np.sqrt(cols)
        b = float(0.1 * rng.standard_normal())
        return w, b, X, y

    return inputs
