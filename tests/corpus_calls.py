"""A corpus of small NumPy programs that call functions, for `test_calls.py`.

Helper functions (from this module and from `corpus_calls_helpers`), nested `def`s,
closures, lambdas, functions passed as arguments, defaults, keywords and `*args`; array
methods and attributes; builtins and `math`; tuples, lists and dicts; `stop_gradient`
and `no_grad`; non-differentiable functions; user rules registered with
`@adcompiler.adjoint`. Each program is a plain module-level function whose docstring
says what it exercises, and returns a scalar. The argument sets are in
`test_calls.CASES`.
"""
import math

import numpy as np

import adcompiler

from . import corpus_calls_helpers as h
from .corpus_calls_helpers import dense, relu, sigmoid

OFFSET = 1.0  # rebound by a test: the gradient must follow
SCALE = 100.0  # NOT the `SCALE` that `h.scale_by_global` reads: that one is in its own module


def local_square(t):
    """A helper in the same module as its callers."""
    return t * t


def nonlinearity(t):
    """Rebound by a test to another function: the gradient must follow."""
    return np.sin(t)


# ============================================================ helpers from another module


def two_layer_loss(W1, b1, W2, x, y):
    """The golden program (tests/golden/helper_call_grad.py names its lines: keep it near
    the top): a dense layer, a linear layer and a loss, two of them helpers."""
    hidden = h.dense(x, W1, b1)
    prediction = hidden @ W2
    return h.mse(prediction, y)


def call_dense(x, W, b):
    """A helper imported by name from another module."""
    return np.sum(dense(x, W, b))


def call_module_attribute(x, W, b):
    """A helper called through its module (`h.dense`)."""
    return np.sum(h.dense(x, W, b) ** 2)


def call_mlp(x, W1, b1, W2):
    """A helper that calls helpers (`relu`, `sigmoid`) of its own module."""
    return np.sum(h.mlp(x, W1, b1, W2))


def helper_in_loop(x, W):
    """The same helper applied three times in a loop, with the loop's carried value."""
    for _ in range(3):
        x = sigmoid(x @ W)
    return np.sum(x)


def helper_accumulated_in_loop(X, w, y):
    """A loss helper called per row and accumulated."""
    total = 0.0
    for i in range(X.shape[0]):
        total = total + h.mse(X[i] @ w, y[i])
    return total


def helper_called_twice(x):
    """The same helper called twice on the same value."""
    return np.sum(local_square(x) + local_square(x))


def nested_helper_calls(x):
    """A helper's result passed straight into another helper: `relu(sigmoid(softplus(x)))`."""
    return np.sum(relu(sigmoid(h.softplus(x)) - 0.6))


def helper_default_used(x):
    """A helper whose default argument is used (`factor=2.0`)."""
    return np.sum(h.scale(x) * x)


def helper_default_overridden(x, k):
    """A helper whose default is overridden by a differentiated positional argument."""
    return np.sum(h.scale(x, k) ** 2)


def helper_keyword(x, k):
    """A helper called with a keyword argument."""
    return np.sum(h.scale(x, factor=k * k))


def helper_keywords_reordered(x, W, b):
    """Every argument passed by keyword, in another order than the parameters."""
    return np.sum(h.dense(b=b, W=W, x=x))


def helper_default_none(x, W):
    """A helper with `b=None` and `if b is not None:` inside."""
    return np.sum(h.affine(x, W) ** 2)


def helper_default_none_given(x, W, b):
    """The same helper with the optional bias given."""
    return np.sum(h.affine(x, W, b) ** 2)


def helper_varargs(x, y, z):
    """`*args` of fixed length (three arrays)."""
    return h.sum_all(x * x, np.sin(y), z)


def helper_varargs_keyword_only(x, y):
    """`*args` followed by a keyword-only parameter passed by keyword."""
    return h.weighted_sum(x, y * y, weight=0.5)


def helper_varargs_len(x):
    """`len(args)` inside a helper taking `*args`: a constant."""
    return np.sum(x) * h.count_args(x, x, x)


def helper_returns_tuple(x):
    """A helper returning a tuple, unpacked by the caller."""
    m, v = h.moments(x)
    return m * m + v


def helper_tuple_indexed(x):
    """A helper returning a tuple, indexed with a constant."""
    return h.moments(x)[1] * 3.0


def helper_with_early_return(x):
    """A helper with an `if` that returns early."""
    return np.sum(h.safe_log(x))


def helper_with_loop(x):
    """A helper containing a `for` loop over `range(n)`, `n` a constant."""
    return np.sum(h.power_loop(x, 3))


def helper_with_math(a):
    """A helper using `math.exp`, `math.sqrt`, `math.pi` on a Python float."""
    return h.gaussian(a, 0.3) + h.gaussian(a)


def helper_reads_global(x):
    """A helper that reads a constant of its own module (`SCALE`)."""
    return np.sum(h.scale_by_global(x) * x)


def uses_module_constant_attribute(x):
    """A constant of another module read as an attribute (`h.SCALE`), rebound by a test."""
    return np.sum(x * x * h.SCALE)


def helper_array_default(x):
    """A helper whose default argument is an array."""
    return np.sum(h.shift(x) ** 2)


def helper_rebinds_parameter(x):
    """A helper that reassigns its parameter (`x = x - mean(x)`) twice."""
    return np.sum(h.normalise(x) * x)


def helper_argument_names_swapped(x, W):
    """The caller's `W` passed as the callee's `x`, the caller's `x` as its `factor`."""
    return np.sum(h.scale(W, x) ** 2)


def helper_function_as_keyword(x):
    """A function passed by keyword (`apply(f=np.sin, x=x)`)."""
    return np.sum(h.apply(x=x, f=np.sin) * x)


def method_on_helper_result(x, W, b):
    """An array method called on a helper's result: `dense(...).sum(axis=0).max()`."""
    return dense(x, W, b).sum(axis=0).max()


def uses_global_offset(x):
    """A module constant of this module (`OFFSET`) read in the function."""
    return np.sum((x + OFFSET) ** 2)


def uses_global_helper(x):
    """A module-level helper of this module, rebound by a test."""
    return np.sum(nonlinearity(x) * x)


def uses_helper_activation(x):
    """A helper of the helper module called by attribute, rebound by a test."""
    return np.sum(h.activation(x) * x)


# ============================================================ nested functions and closures


def nested_def(x):
    """A nested `def` without free variables."""

    def cube(t):
        return t * t * t

    return np.sum(cube(x))


def nested_def_captures_parameter(x, w):
    """A nested `def` reading a differentiated parameter of the enclosing function."""

    def scaled(t):
        return t * w

    return np.sum(scaled(x) ** 2)


def nested_def_default_from_local(x):
    """A nested `def` whose default argument is a local of the enclosing function."""
    m = np.sum(x)

    def shifted(t, s=m):
        return t * s

    return np.sum(shifted(x))


def nested_def_shadows_global(x):
    """A nested `def` named like a module-level helper (`local_square`) shadows it."""

    def local_square(t):
        return t * t * t

    return np.sum(local_square(x))


def closure_reads_variable_rebound_in_loop(x):
    """Late binding in a loop: each call reads the value `s` has at that iteration."""
    s = 1.0

    def scaled(v):
        return v * s

    out = 0.0
    for k in range(3):
        s = s * x + float(k)
        out = out + np.sum(scaled(x))
    return out


def lambda_reads_variable_rebound_in_loop(x):
    """The same with a lambda, and the rebinding inside an `if`."""
    s = x
    twice = lambda v: v * s  # noqa: E731
    out = 0.0
    for k in range(3):
        if k > 0:
            s = s * 2.0
        out = out + np.sum(twice(x))
    return out


def closure_called_through_a_helper_after_rebinding(x, y):
    """A closure called by a helper (and by another closure) in a loop where the name it
    reads was rebound: it reads the value it has at that call."""
    a = x

    def times_a(t):
        return t * a

    def twice(t):
        return 2.0 * times_a(t)

    r = 0.0
    for i in range(2):
        a = a * y
        r = r + np.sum(h.apply(times_a, 1.0)) + np.sum(twice(0.5))
    return r


def closure_factory_called_twice(x, a, b):
    """One closure factory called twice with different captured values."""
    f = h.make_scaler(a)
    g = h.make_scaler(b)
    return np.sum(f(x) * g(x))


def nested_def_captures_local(x):
    """A nested `def` reading a local computed before it is defined."""
    m = np.mean(x)

    def centred(t):
        return t - m

    return np.sum(centred(x) ** 2)


def closure_late_binding(x):
    """Late binding: the closure reads `k` as it is when called, not when defined."""
    k = x * 2.0

    def times_k(t):
        return t * k

    k = np.sin(x)
    return np.sum(times_k(x))


def closure_model(W, x):
    """A model written as a closure (`make_model(W)`), built and called in the function."""
    model = h.make_model(W)
    return np.sum(model(x) ** 2)


def closure_model_local(W, b, x):
    """The model factory as a nested `def` returning a nested `def`."""

    def make(W, b):
        def model(x):
            return np.tanh(x @ W + b)

        return model

    model = make(W, b)
    return np.sum(model(x))


def closure_made_at_import(x):
    """A closure created at import time, whose cell holds a constant array."""
    return np.sum(h.fixed_model(x))


def closure_two_levels(x, a):
    """A closure inside a closure, both capturing differentiated values."""

    def outer(t):
        def inner(s):
            return s * a + t

        return inner(t * t)

    return np.sum(outer(x))


def closure_in_loop(x, W):
    """A nested function called in a loop, reading a captured array."""

    def step(h):
        return np.tanh(h @ W)

    for _ in range(3):
        x = step(x)
    return np.sum(x)


def closure_compose(x):
    """Composition of two functions through a helper returning a closure."""
    f = h.compose(np.sin, local_square)
    return np.sum(f(x))


def closure_lambda_factory(x, k):
    """A factory returning a lambda that closes over a differentiated value."""
    scaler = h.make_scaler(k)
    return np.sum(scaler(x) ** 2)


# ============================================================ lambdas and higher-order functions


def lambda_assigned(x):
    """A lambda bound to a name and called twice."""
    sq = lambda t: t**2  # noqa: E731
    return np.sum(sq(x) + sq(x + 1.0))


def lambda_captures_parameter(x, w):
    """A lambda reading a differentiated parameter."""
    f = lambda t: np.exp(t * w)  # noqa: E731
    return np.sum(f(x))


def lambda_default_capture(x, w):
    """A lambda whose default argument is a differentiated value."""
    f = lambda t, k=w: t * k  # noqa: E731
    return np.sum(f(x) ** 2)


def lambda_called_immediately(x):
    """`(lambda t: ...)(x)`."""
    return np.sum((lambda t: np.cos(t) * t)(x))


def lambda_passed_to_helper(x):
    """A lambda passed to a helper that calls it."""
    return np.sum(h.apply(lambda t: np.sin(t) * t, x))


def apply_module_function(x):
    """A module-level function passed to a helper that calls it."""
    return np.sum(h.apply(h.softplus, x))


def apply_numpy_function(x):
    """A NumPy function passed to a helper that calls it."""
    return np.sum(h.apply(np.tanh, x))


def apply_twice(x):
    """A function passed to a helper that calls it twice."""
    return np.sum(h.apply_twice(sigmoid, x))


def loop_over_functions(x):
    """A loop over a tuple of functions."""
    total = 0.0
    for f in (np.sin, np.cos, local_square):
        total = total + np.sum(f(x))
    return total


# ============================================================ array methods and attributes


def method_chain(x, W):
    """`(x @ W).sum(axis=1).mean()`."""
    return (x @ W).sum(axis=1).mean()


def method_transpose_attribute(W, x):
    """`W.T @ x`."""
    return np.sum((W.T @ x) ** 2)


def method_reshape(x):
    """`x.reshape(-1)` and `x.reshape(3, 2)`."""
    v = x.reshape(-1)
    m = x.reshape(3, 2)
    return np.sum(v * v) + np.sum(m[0] * m[2])


def method_dot(a, b):
    """`a.dot(b)` for two vectors."""
    return a.dot(b) * a.dot(a)


def method_max_min(x):
    """`x.max()` and `x.min(axis=0)`."""
    return x.max() - np.sum(x.min(axis=0))


def method_prod(x):
    """`x.prod()` and `x.prod(axis=1)`."""
    return x.prod() + np.sum(x.prod(axis=1))


def method_std_var(x):
    """`x.std()` and `x.var(axis=0)`."""
    return x.std() + np.sum(x.var(axis=0))


def method_transpose(x):
    """`x.transpose()` and `x.transpose(1, 0)`."""
    return np.sum(x.transpose() * x.transpose(1, 0) * x.T)


def method_flatten_ravel(x):
    """`x.flatten()` and `x.ravel()`."""
    return np.sum(x.flatten() * np.arange(6.0)) + np.sum(x.ravel() ** 2)


def method_astype_copy(x):
    """`x.astype(float)` and `x.copy()`, the copy then updated in place."""
    y = x.astype(float)
    z = y.copy()
    z[0] = 0.0
    return np.sum(z * y)


def method_clip(x):
    """`x.clip(-0.5, 0.5)`."""
    return np.sum(x.clip(-0.5, 0.5) * x)


def method_squeeze(x):
    """`x[None, :].squeeze()` and `x.squeeze(0)`."""
    return np.sum(x[None, :].squeeze() ** 2) + np.sum(x[None].squeeze(0))


def attribute_queries(x):
    """`.shape`, `.ndim`, `.size`, `.dtype` used in arithmetic: no gradient, no error."""
    n = x.shape[0] * x.ndim + x.size
    z = np.zeros(x.shape, dtype=x.dtype)
    return np.sum(x * n + z)


# ============================================================ builtins


def builtin_abs(a, b):
    """`abs` of Python floats."""
    return abs(a - b) * a


def builtin_float_abs_of_arrays(x):
    """`float` of a differentiated sum (the gradient flows), `abs` of an array, `int` (none flows)."""
    return float(np.sum(x * x)) * 2.0 + np.sum(abs(x) * x) + int(np.sum(x) + 5.0)


def builtin_max_min(a, b):
    """Builtin `max` and `min` of two floats."""
    return max(a, b) * 2.0 + min(a, b * b)


def builtin_max_min_of_several(a, b, c):
    """Builtin `max` and `min` of three or more numbers, a constant among them."""
    return max(a, b * c, 0.25) * 2.0 - min(a * a, b, c)


def builtin_max_min_of_array_items(x):
    """Builtin `max` and `min` of items of an array (NumPy scalars)."""
    return max(x[0], x[1] * 2.0, x[2]) + min(x[2], x[0], x[1]) ** 2


def builtin_list_tuple_copy(a, b):
    """`list(xs)` is a new list: appending to it leaves `xs` as it was; `tuple` of a list."""
    xs = [a, b * 2.0]
    ys = list(xs)
    ys.append(a * b)
    t = tuple(ys)
    return sum(ys) * len(xs) + t[2] * t[0]


def like_with_shape_and_dtype(x):
    """`np.zeros_like(x, shape=...)` is shaped by `shape` (`x` broadcasts over it), and
    `dtype=` types it."""
    z = np.zeros_like(x, shape=(2, 3))
    acc = np.ones_like(x, dtype=np.float32, shape=(4, 3))
    for t in range(3):
        acc = acc + x * t
    return np.sum((z + x) ** 2) + np.sum(acc ** 2) + np.sum(np.zeros_like(x, int) + x)


def split_pieces_in_a_loop(A):
    """The pieces of a split read in a loop: their cotangents are known only at run time."""
    loss = 0.0
    for piece in np.array_split(A, 3):
        loss = loss + np.sum(piece ** 2) * 0.5
    for k, piece in enumerate(np.hsplit(A, 3)):
        loss = loss + np.sum(np.sin(piece)) * k
    return loss


def builtin_sum_list(x, y):
    """Builtin `sum` of a list of arrays."""
    return np.sum(sum([x, y * y, np.sin(x)]))


def builtin_len_range(x):
    """`len(x)` and `range(len(x))`."""
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * (i + 1)
    return total / len(x)


def builtin_float_int(x):
    """`float(...)` of a constant, `int(...)` of a shape: constants."""
    n = int(x.shape[0])
    return np.sum(x) * float(n) + float(2)


def builtin_zip_enumerate(x, y):
    """`zip` and `enumerate` over two arrays."""
    total = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        total = total + a * b * i
    return total


def builtin_isinstance(a):
    """`isinstance(a, float)` choosing a branch."""
    if isinstance(a, float):
        return a * a * a
    return np.sum(a)


# ============================================================ tuples, lists and dicts


def tuple_indexed(x, y):
    """A tuple literal indexed by constants."""
    t = (x, y, x * y)
    return np.sum(t[0] * t[2]) + np.sum(t[1])


def list_indexed(x, y):
    """A list literal indexed by constants (also negative)."""
    xs = [x, y, np.sin(x)]
    return np.sum(xs[0] * xs[-1] + xs[1])


def tuple_carried_negative_index(x):
    """A tuple carried through a loop, read at index -1 after it."""
    t = (x, x * 2.0)
    for _ in range(2):
        t = (t[1], t[0] * 3.0)
    return np.sum(t[-1] * x)


def nested_unpacking(x, y):
    """Nested tuple unpacking: `a, (b, c) = x, (y, x * y)`."""
    a, (b, c) = x, (y, x * y)
    return np.sum(a * b + c)


def unpack_pair_from_tuple(x):
    """A tuple built, then unpacked into two names, then swapped."""
    pair = (x * 2.0, np.exp(x))
    a, b = pair
    a, b = b, a
    return np.sum(a * a + b)


def item_of_tuple_display(x, y):
    """An item of a tuple written in place, `(y, x * y)[1]`: the item is the expression."""
    c = (y, x * y)[1]
    a = (x * 2.0, 1.0)[0]
    return np.sum(a * c)


def tuple_indexed_by_argument(x, i):
    """A tuple of expressions read twice, at an index known only at run time."""
    pair = (x * 2.0, np.exp(x))
    return np.sum(pair[i] * pair[1 - i])


def starred_unpacking(x, y, z):
    """Starred unpacking `first, *rest = ...` (refused by the fence)."""
    first, *rest = x, y, z
    return np.sum(first * rest[0] * rest[1])


def list_of_weights(x, W1, W2):
    """A loop over a list of weight matrices."""
    for W in [W1, W2]:
        x = np.tanh(x @ W)
    return np.sum(x)


def list_passed_to_helper(x, y):
    """A list literal passed to a helper taking `*args`-like sequences."""
    return sum_list([x, y * 2.0])


def sum_list(items):
    """The sum of the elements of a list (a helper of this module)."""
    return np.sum(items[0]) + np.sum(items[1])


def tuple_to_stack(x, y):
    """A tuple of arrays given to `np.stack`."""
    return np.sum(np.stack((x, y * y)) ** 2)


def dict_literal(W, b, x):
    """A dict with string keys built inside the function: `p["W"] @ x`."""
    p = {"W": W, "b": b}
    return np.sum((p["W"] @ x + p["b"]) ** 2)


def dict_argument_read(params, x):
    """A dict ARGUMENT read with string keys; differentiated with respect to `x`."""
    return np.sum((x @ params["W"] + params["b"]) ** 2)


def dict_argument_wrt(params, x):
    """A dict argument differentiated with `wrt="params"`: gradient as a dict."""
    return np.sum((x @ params["W"] + params["b"]) ** 2)


def tuple_argument_wrt(params, x):
    """A tuple argument `(W, b)` differentiated as a whole: gradient as a tuple."""
    W, b = params
    return np.sum(np.tanh(x @ W + b))


def list_argument_unpacked_wrt(weights, x):
    """A list argument `[W1, W2]`, unpacked, differentiated as a whole: gradient as a list."""
    W1, W2 = weights
    return np.sum(np.tanh(np.tanh(x @ W1) @ W2))


def list_argument_wrt(weights, x):
    """A list argument `[W1, W2]` iterated over, differentiated as a whole: gradient as a list."""
    for W in weights:
        x = np.tanh(x @ W)
    return np.sum(x)


# ============================================================ comprehensions


def listcomp_to_sum(x):
    """A list comprehension fed to `np.sum`."""
    return np.sum([x[i] * x[i] for i in range(3)])


def genexp_to_builtin_sum(x):
    """A generator expression fed to builtin `sum`."""
    return sum(np.sin(x[i]) for i in range(3))


def listcomp_to_stack(x, W):
    """A list comprehension of arrays fed to `np.stack`."""
    return np.sum(np.stack([np.tanh(W @ x) * k for k in (1.0, 2.0)]))


def listcomp_to_array(a, b):
    """A list comprehension of floats fed to `np.array`."""
    return np.sum(np.array([a * k + b for k in (1.0, 2.0, 3.0)]) ** 2)


def dictcomp_params(W, b, x):
    """A dict comprehension building parameters (refused by the fence)."""
    p = {k: v for k, v in (("W", W), ("b", b))}
    return np.sum((p["W"] @ x + p["b"]) ** 2)


def array_of_list(a, b):
    """`np.array` of a list display of differentiated floats."""
    v = np.array([a * b, a - b])
    return np.sum(v * v)


# ============================================================ math on floats


def math_functions(a):
    """`math.exp`, `math.log`, `math.sin`, `math.cos`, `math.tanh`, `math.sqrt`."""
    return math.exp(a) + math.log(a) * math.sin(a) - math.cos(a) * math.tanh(a) + math.sqrt(a)


def math_pow_hypot(a, b):
    """`math.pow` and `math.hypot`."""
    return math.pow(a, 3.0) + math.hypot(a, b)


def math_constants(a):
    """`math.pi` and `math.e` as constants."""
    return math.sin(math.pi * a) * math.e


def math_mixed_with_arrays(a, x):
    """A `math` function of a float scaling an array."""
    return np.sum(x * math.exp(-a)) + math.atan(a)


# ============================================================ stop_gradient and no_grad


def stop_gradient_factor(x):
    """`stop_gradient` on a factor: its derivative does not flow."""
    return np.sum(x * adcompiler.stop_gradient(np.exp(x)))


def stop_gradient_in_helper(x):
    """`stop_gradient` inside a helper."""
    return np.sum(h.detached_norm(x) * x)


def no_grad_block(x):
    """A `with adcompiler.no_grad():` block computing a normaliser."""
    with adcompiler.no_grad():
        scale = np.max(np.abs(x))
        shift = np.mean(x)
    return np.sum(((x - shift) / scale) ** 2)


def no_grad_in_helper(x):
    """A `no_grad` block inside a helper."""
    return np.sum(h.no_grad_center(x) * x)


# ============================================================ non-differentiable functions


def nondiff_floor_sign(x):
    """`np.floor` and `np.sign` as factors: zero gradient through them."""
    return np.sum(np.floor(x * 3.0) * x + np.sign(x) * x * x)


def nondiff_argmax(x):
    """`np.argmax` used as an index."""
    return x[np.argmax(x)] * 2.0 + np.sum(x)


def nondiff_round(x):
    """`np.round` and `.round()` as factors."""
    return np.sum(np.round(x * 2.0) * x + x.round(1))


def nondiff_comparison(x):
    """A comparison converted to a mask."""
    mask = (x > 0.0) * 1.0
    return np.sum(mask * x * x)


def nondiff_only(x):
    """Only non-differentiable functions of `x`: the gradient is zero everywhere."""
    return np.sum(np.floor(x)) + np.sign(np.sum(x)) + x.shape[0]


# ============================================================ user rules (@adcompiler.adjoint)


# Each rule has its forward-mode partner (`jvp=`): `tangents` holds None where there is none.


def log1pexp_jvp(tangents, ans, x):
    return tangents[0] * np.exp(x - ans)


@adcompiler.adjoint(h.log1pexp, jvp=log1pexp_jvp)
def log1pexp_vjp(g, ans, x):
    return g * np.exp(x - ans)  # the logistic function, written as e^(x - log(1 + e^x))


def scaled_product_jvp(tangents, ans, a, b):
    ta, tb = tangents
    return 3.0 * ((0.0 if ta is None else ta * b) + (0.0 if tb is None else a * tb))


@adcompiler.adjoint(h.scaled_product, jvp=scaled_product_jvp)
def scaled_product_vjp(g, ans, a, b):
    return g * b * 3.0, g * a * 3.0


def clipped_identity_jvp(tangents, ans, x):
    return tangents[0]


@adcompiler.adjoint(h.clipped_identity, jvp=clipped_identity_jvp)
def clipped_identity_vjp(g, ans, x):
    return np.clip(g, -0.25, 0.25)


def user_rule_one_argument(x):
    """A function with a user VJP rule of one argument."""
    return np.sum(h.log1pexp(x) * x)


def user_rule_two_arguments(a, b):
    """A function with a user VJP rule of two arguments."""
    return np.sum(h.scaled_product(a, b) ** 2)


def user_rule_overrides_source(x):
    """A rule that is NOT the derivative of the function (a straight-through estimator):
    the rule, not the inlined body, must be used."""
    return np.sum(h.clipped_identity(x) * 2.0)


# ============================================================ names that could collide with generated ones


def names_like_adjoints(x):
    """User variables named `x_bar` and `out_bar`."""
    x_bar = x * 2.0
    out_bar = np.sum(x_bar * x)
    return out_bar


def names_like_tapes(x):
    """User variables named `_tape` and `_n` in a loop."""
    _tape = x
    _n = 0.0
    for _ in range(2):
        _tape = np.sin(_tape) * x
        _n = _n + 1.0
    return np.sum(_tape) * _n


def names_like_runtime(x, y):
    """User variables named `unbroadcast`, `zeros_like_input` and `rename`, with broadcasting."""
    unbroadcast = x * y
    zeros_like_input = unbroadcast + 1.0
    rename = np.sum(zeros_like_input**2)
    return rename


def local_named_np(x):
    """A helper with a local named `np` inlined into a function that uses `np`."""
    return h.weighted_with_local_np(x) + np.sum(x * x)


def default_read_at_definition(x):
    """A nested function's default is the value where `def` runs, not the later one."""
    c = x * 2.0
    def scaled(z, c=c):
        return np.sum(z * c)
    c = x * 5.0
    return scaled(x) + np.sum(np.sin(c))


def lambda_default_read_at_definition(x):
    """The same for a lambda's default."""
    c = np.sin(x)
    f = lambda z, c=c: np.sum(z * c)
    c = x * 3.0
    return f(x) * np.sum(c)
