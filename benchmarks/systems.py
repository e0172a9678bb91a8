"""The systems a workload is timed with. Each maker takes a workload and its arguments
and returns a function of no arguments that computes `(value, gradients)` (the forward
system returns the value alone), with all set-up (conversion of inputs, compilation)
done before. A maker raises `Unavailable` when its library is not installed, or when the
system cannot run the workload by design (jax.jit and Python control flow on arrays).

autograd, JAX and PyTorch run the workload's own code: the function is rebuilt with its
global `np` bound to `autograd.numpy`, `jax.numpy` or a small PyTorch stand-in.
"""
from __future__ import annotations

import inspect
import types
from types import SimpleNamespace

import numpy as np

import adcompiler as ad


class Unavailable(Exception):
    """The system cannot run here: its library is missing, or the workload is outside
    what it can do by design."""


def with_numpy(fn, module):
    """`fn` with its global name `np` bound to `module` (same code, same defaults)."""
    scope = dict(fn.__globals__)
    scope["np"] = module
    return types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)


def _import(name):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError as error:
        raise Unavailable(f"{name} is not installed") from error


# ---------------------------------------------------------------- NumPy-based systems


def make_adcompiler(workload, args):
    gradient = ad.value_and_grad(workload.fn, wrt=workload.wrt)
    return lambda: gradient(*args)


def make_adcompiler_direct(workload, args):
    """adcompiler's generated function called directly: no argument checks, no variant
    look-up, no copies of read-only gradients (what `value_and_grad(...)` adds per call)."""
    gradient = ad.value_and_grad(workload.fn, wrt=workload.wrt)
    gradient(*args)  # compile the variant for these arguments
    function = getattr(getattr(gradient, "compiled", None), "function", None)
    if function is None:
        raise Unavailable("this adcompiler exposes no `.compiled.function`")
    return lambda: function(*args)


def make_by_hand(label):
    def make(workload, args):
        fn = workload.by_hand[label]
        return lambda: fn(*args)

    return make


def make_forward(workload, args):
    fn = workload.fn
    return lambda: fn(*args)


def make_autograd(workload, args):
    autograd = _import("autograd")
    anp = _import("autograd.numpy")
    gradient = autograd.value_and_grad(with_numpy(workload.fn, anp), argnum=workload.wrt)
    return lambda: gradient(*args)


# ---------------------------------------------------------------- JAX


def _jax():
    jax = _import("jax")
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax


def _jax_args(jax, args):
    return tuple(jax.device_put(a) if isinstance(a, np.ndarray) else a for a in args)


def make_jax_eager(workload, args):
    jax = _jax()
    gradient = jax.value_and_grad(with_numpy(workload.fn, jax.numpy), argnums=workload.wrt)
    jargs = _jax_args(jax, args)
    return lambda: jax.block_until_ready(gradient(*jargs))


def make_jax_jit(workload, args):
    jax = _jax()
    gradient = jax.jit(jax.value_and_grad(with_numpy(workload.fn, jax.numpy), argnums=workload.wrt))
    jargs = _jax_args(jax, args)
    try:
        jax.block_until_ready(gradient(*jargs))  # compile now, outside the timings
    except jax.errors.ConcretizationTypeError as error:  # TracerBoolConversionError among them
        raise Unavailable("jax.jit cannot trace Python control flow that depends on array values") from error
    return lambda: jax.block_until_ready(gradient(*jargs))


# ---------------------------------------------------------------- PyTorch


def torch_numpy(torch):
    """The NumPy functions the workloads use, spelled with PyTorch (float64 throughout)."""
    f64 = torch.float64

    def tensor(x):
        return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=f64)

    def reduce(op):
        return lambda x, axis=None, keepdims=False: op(x) if axis is None else op(x, dim=axis, keepdim=keepdims)

    return SimpleNamespace(
        sin=torch.sin, cos=torch.cos, exp=torch.exp, log=torch.log, tanh=torch.tanh,
        sum=reduce(torch.sum), mean=reduce(torch.mean), max=reduce(torch.amax),
        maximum=lambda x, y: torch.clamp_min(x, y) if isinstance(y, (int, float)) else torch.maximum(x, y),
        logaddexp=lambda x, y: torch.logaddexp(tensor(x), tensor(y)),
        zeros=lambda shape: torch.zeros(shape, dtype=f64),
        linalg=SimpleNamespace(norm=torch.linalg.norm),
    )


def make_torch(workload, args):
    torch = _import("torch")
    torch.set_num_threads(1)
    fn = with_numpy(workload.fn, torch_numpy(torch))
    targs = [torch.tensor(a, dtype=torch.float64) if isinstance(a, float) else torch.from_numpy(a) for a in args]
    leaves = []
    for i in workload.wrt:
        targs[i] = targs[i].detach().clone().requires_grad_(True)
        leaves.append(targs[i])

    def run():
        value = fn(*targs)
        return value, torch.autograd.grad(value, leaves)

    return run


def as_numpy(x):
    """A result of any system as a NumPy array, for comparison."""
    if hasattr(x, "detach"):
        x = x.detach().numpy()
    return np.asarray(x, dtype=float)


def disagreement(output, reference, workload) -> str | None:
    """Why `output` = (value, gradients or None) differs from the hand-written
    `reference` = (value, gradients), or None when they agree."""
    value, grads = output
    if not _close(as_numpy(value), reference[0]):
        return f"value {float(as_numpy(value))!r}, expected {float(reference[0])!r}"
    if grads is None:
        return None
    names = [list(inspect.signature(workload.fn).parameters)[i] for i in workload.wrt]
    if len(grads) != len(names):
        return f"{len(grads)} gradients, expected {len(names)}"
    for name, got, expected in zip(names, grads, reference[1]):
        got, expected = as_numpy(got), as_numpy(expected)
        if got.shape != expected.shape:
            return f"gradient of {name} has shape {got.shape}, expected {expected.shape}"
        if not _close(got, expected):
            error = float(abs(got - expected).max())
            return f"gradient of {name} differs from the hand-written one by up to {error:.3g}"
    return None


def _close(got, expected) -> bool:
    expected = np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.allclose(got, expected, rtol=1e-6, atol=1e-9 * scale))


def systems_for(workload) -> dict:
    """Name -> maker, in the order of the table's columns."""
    labels = list(workload.by_hand)  # the first is the reference, "hand"; others "hand_<label>"
    hand = {"hand" if i == 0 else f"hand_{label}": make_by_hand(label) for i, label in enumerate(labels)}
    return {"adcompiler": make_adcompiler, "ad_direct": make_adcompiler_direct, **hand, "forward": make_forward,
            "autograd": make_autograd, "jax_eager": make_jax_eager, "jax_jit": make_jax_jit, "torch": make_torch}
