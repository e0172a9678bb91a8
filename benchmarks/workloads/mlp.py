"""Two multilayer perceptrons: a small one (ReLU, squared error) where per-call overhead
dominates, and a large one (tanh, softmax cross-entropy) where matrix products do."""
import numpy as np


# ---------------------------------------------------------------- small: 100x3 -> 32 -> 1


def mlp_small(W1, b1, W2, b2, X, y):
    h = np.maximum(X @ W1 + b1, 0)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def mlp_small_by_hand(W1, b1, W2, b2, X, y):
    a = X @ W1
    a += b1
    h = np.maximum(a, 0.0)
    r = h @ W2
    r += b2
    r -= y
    loss = np.mean(r * r)
    d_out = r * (2.0 / r.size)
    dW2 = h.T @ d_out
    db2 = d_out.sum(axis=0)
    d_h = d_out @ W2.T
    d_h *= a > 0
    dW1 = X.T @ d_h
    db1 = d_h.sum(axis=0)
    return loss, (dW1, db1, dW2, db2)


def mlp_small_inputs(rng, small=False):
    n, d, k = (6, 3, 4) if small else (100, 3, 32)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal((n, 1))
    W1 = rng.standard_normal((d, k)) / np.sqrt(d)
    b1 = 0.1 * rng.standard_normal(k)
    W2 = rng.standard_normal((k, 1)) / np.sqrt(k)
    b2 = 0.1 * rng.standard_normal(1)
    return W1, b1, W2, b2, X, y


# ---------------------------------------------------------------- large: 256x784 -> 1024 -> 10


def mlp_large(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    s = z - np.max(z, axis=1, keepdims=True)
    log_p = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * log_p) / X.shape[0]


def mlp_large_by_hand(W1, b1, W2, b2, X, Y):
    n = X.shape[0]
    h = X @ W1
    h += b1
    np.tanh(h, out=h)
    z = h @ W2
    z += b2
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    total = e.sum(axis=1, keepdims=True)
    loss = -np.sum(Y * (z - np.log(total))) / n
    d_z = e / total  # softmax
    d_z -= Y
    d_z /= n
    dW2 = h.T @ d_z
    db2 = d_z.sum(axis=0)
    d_a = d_z @ W2.T
    d_a *= 1.0 - h * h
    dW1 = X.T @ d_a
    db1 = d_a.sum(axis=0)
    return loss, (dW1, db1, dW2, db2)


def mlp_large_inputs(rng, small=False):
    n, d, k, c = (5, 6, 7, 3) if small else (256, 784, 1024, 10)
    X = rng.standard_normal((n, d))
    Y = np.eye(c)[rng.integers(0, c, n)]
    W1 = rng.standard_normal((d, k)) / np.sqrt(d)
    b1 = 0.1 * rng.standard_normal(k)
    W2 = rng.standard_normal((k, c)) / np.sqrt(k)
    b2 = 0.1 * rng.standard_normal(c)
    return W1, b1, W2, b2, X, Y
