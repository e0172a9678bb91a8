"""A tanh RNN over 50 steps, batch 16, 8 inputs -> 64 hidden units: a loop of matrix
products whose backward pass must run in reverse over the saved states.

The hand-written gradient keeps every state in one preallocated array and, after the
reverse sweep over time, forms the weight gradients with one matrix product each over
all time steps, instead of one small product per step.
"""
import numpy as np


def rnn(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h ** 2)


def rnn_by_hand(Wx, Wh, b, xs):
    steps, batch, n_in = xs.shape
    hidden = Wh.shape[0]
    hs = np.zeros((steps + 1, batch, hidden))  # hs[t + 1] is the state after step t
    for t in range(steps):
        a = xs[t] @ Wx
        a += hs[t] @ Wh
        a += b
        np.tanh(a, out=hs[t + 1])
    h = hs[steps]
    loss = np.sum(h * h)
    d_as = np.empty((steps, batch, hidden))  # adjoints of the pre-activations
    d_h = 2.0 * h
    for t in range(steps - 1, -1, -1):
        h_t = hs[t + 1]
        d_a = d_as[t]
        np.multiply(d_h, 1.0 - h_t * h_t, out=d_a)
        d_h = d_a @ Wh.T
    d_a = d_as.reshape(steps * batch, hidden)
    dWx = xs.reshape(steps * batch, n_in).T @ d_a
    dWh = hs[:steps].reshape(steps * batch, hidden).T @ d_a
    db = d_a.sum(axis=0)
    return loss, (dWx, dWh, db)


def inputs(rng, small=False):
    steps, batch, n_in, hidden = (4, 3, 2, 5) if small else (50, 16, 8, 64)
    xs = rng.standard_normal((steps, batch, n_in))
    Wx = rng.standard_normal((n_in, hidden)) / np.sqrt(n_in)
    Wh = 0.9 * rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    b = 0.1 * rng.standard_normal(hidden)
    return Wx, Wh, b, xs
