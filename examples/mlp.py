"""A two-layer network's loss, its generated gradient, and a few steps of gradient descent.

Run: python examples/mlp.py
"""
import numpy as np

import adcompiler as ad


def mlp_loss(W1, b1, W2, x, y):
    h = np.maximum(x @ W1 + b1, 0)
    pred = h @ W2
    return np.mean((pred - y) ** 2)


rng = np.random.default_rng(0)
x = rng.standard_normal((100, 3))
y = x[:, :1] * 0.2 - x[:, 1:2] * 1.3 - x[:, 2:] * 0.5
W1, b1, W2 = rng.standard_normal((3, 32)) * 0.5, np.zeros(32), rng.standard_normal((32, 1)) * 0.5

grad_loss = ad.grad(mlp_loss, wrt=("W1", "b1", "W2"))
for step in range(201):
    dW1, db1, dW2 = grad_loss(W1, b1, W2, x, y)
    W1, b1, W2 = W1 - 0.05 * dW1, b1 - 0.05 * db1, W2 - 0.05 * dW2
    if step % 50 == 0:
        print(f"step {step:3d}  loss {mlp_loss(W1, b1, W2, x, y):.4f}")

print("\nThe generated gradient:\n")
print(grad_loss.source)
