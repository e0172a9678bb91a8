"""adcompiler in one screen: differentiate a NumPy function, read its gradient, use it.

Run: python examples/quickstart.py
"""
import numpy as np

import adcompiler as ad


# The RStudio blog's example ("Introducing torch autograd"), in plain NumPy.
def model(x1, x2):
    y = x1 * (x2 + 2)
    z = y ** 2 * 3
    out = np.mean(z)
    return out


grad_model = ad.grad(model, wrt=("x1", "x2"), retain=("y", "z"))
(dx1, dx2), retained = grad_model(np.ones((2, 2)), 1.1)

print("The gradient adcompiler generated for these arguments (a 2x2 array and a float):\n")
print(grad_model.source)
print("d out / d x1 =\n", dx1)           # 14.415 everywhere
print("d out / d x2 =", dx2)             # 18.6
print("d out / d y  =\n", retained["y"])  # 4.65 everywhere
print("d out / d z  =\n", retained["z"])  # 0.25 everywhere


# A loss with respect to its weights, checked against finite differences.
def logistic_loss(w, b, x, y):
    p = 1 / (1 + np.exp(-(x @ w + b)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


rng = np.random.default_rng(0)
x = rng.standard_normal((100, 3))
y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype(float)
w, b = np.zeros(3), 0.0
step = ad.value_and_grad(logistic_loss, wrt=("w", "b"))
for _ in range(200):
    loss, (dw, db) = step(w, b, x, y)
    w, b = w - 0.5 * dw, b - 0.5 * db
ad.check_grads(logistic_loss, w, b, x, y, wrt=(0, 1))
print(f"\nlogistic regression after 200 steps: loss {loss:.4f}, w = {np.round(w, 2)}, b = {b:.2f}")
