"""The public API: forms of `grad`, `wrt` and `retain`, caching, `source`, `graph`, `dump`."""
from __future__ import annotations

import gc
import linecache
import traceback
import weakref

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import api, pipeline

from .helpers import function_from_source


def loss(w, x, y):
    pred = x @ w
    return np.mean((pred - y) ** 2)


def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5)


def expected_loss_gradients(w, x, y):
    r = x @ w - y
    return 2 * x.T @ r / len(y), -2 * r / len(y)


def test_decorator_defaults_to_first_parameter():
    g = ad.grad(loss)
    w, x, y = data()
    np.testing.assert_allclose(g(w, x, y), expected_loss_gradients(w, x, y)[0])


def test_decorator_with_arguments():
    @ad.grad(wrt="y")
    def f(w, x, y):
        return np.sum(w * y ** 2)

    np.testing.assert_allclose(f(np.ones(2), None, np.array([1.0, 2.0])), [2.0, 4.0])


@pytest.mark.parametrize("wrt", [(0, 2), ("w", "y"), (0, "y"), (-3, -1)])
def test_wrt_tuples_give_tuples(wrt):
    w, x, y = data()
    gw, gy = ad.grad(loss, wrt=wrt)(w, x, y)
    ew, ey = expected_loss_gradients(w, x, y)
    np.testing.assert_allclose(gw, ew)
    np.testing.assert_allclose(gy, ey)


def test_single_wrt_in_a_tuple_gives_a_tuple():
    w, x, y = data()
    (gw,) = ad.grad(loss, wrt=("w",))(w, x, y)
    np.testing.assert_allclose(gw, expected_loss_gradients(w, x, y)[0])


def test_keyword_and_default_arguments_at_call():
    def f(x, scale=2.0):
        return np.sum(x * scale)

    g = ad.grad(f, wrt=("x", "scale"))
    gx, gs = g(x=np.ones(3))
    np.testing.assert_allclose(gx, [2.0, 2.0, 2.0])
    assert gs == 3.0


def test_value_and_grad():
    w, x, y = data()
    value, gw = ad.value_and_grad(loss)(w, x, y)
    assert np.isclose(value, loss(w, x, y))
    np.testing.assert_allclose(gw, expected_loss_gradients(w, x, y)[0])


def test_value_and_grad_with_retain():
    def f(x):
        y = x * 3.0
        return np.sum(y * y)

    value, gx, retained = ad.value_and_grad(f, retain="y")(np.ones(2))
    assert value == 18.0
    np.testing.assert_allclose(gx, [18.0, 18.0])
    np.testing.assert_allclose(retained["y"], [6.0, 6.0])


def test_vjp_of_a_matrix_output():
    def f(a, b):
        return np.tanh(a @ b)

    a, b = np.random.default_rng(1).standard_normal((2, 3, 4))[0], np.random.default_rng(2).standard_normal((4, 2))
    value, pullback = ad.vjp(f, wrt=(0, 1))(a, b)
    np.testing.assert_allclose(value, f(a, b))
    seed = np.arange(6.0).reshape(3, 2)
    da, db = pullback(seed)
    inner = seed * (1 - value**2)
    np.testing.assert_allclose(da, inner @ b.T)
    np.testing.assert_allclose(db, a.T @ inner)


def test_pullback_can_be_called_many_times():
    value, pullback = ad.vjp(_sin)(np.array([0.0, 1.0]))
    np.testing.assert_allclose(pullback(np.ones(2)), np.cos([0.0, 1.0]))
    np.testing.assert_allclose(pullback(2 * np.ones(2)), 2 * np.cos([0.0, 1.0]))


def _sin(x):
    return np.sin(x)


def test_gradient_of_an_unused_parameter_is_zeros_of_its_type():
    def f(x, y):
        return np.sum(x)

    gx, gy = ad.grad(f, wrt=(0, 1))(np.ones(2), np.ones((2, 2)))
    np.testing.assert_array_equal(gy, np.zeros((2, 2)))
    gx, gy = ad.grad(f, wrt=(0, 1))(np.ones(2), 1.5)
    assert gy == 0.0 and type(gy) is float


def test_stop_gradient_blocks_the_gradient():
    def f(x):
        return np.sum(ad.stop_gradient(x) * x)

    np.testing.assert_allclose(ad.grad(f)(np.array([1.0, 2.0])), [1.0, 2.0])


def test_second_call_does_no_compilation_work(monkeypatch):
    def f(x):
        return np.sum(np.sin(x))

    g = ad.grad(f)
    g(np.ones(2))  # the first call compiles the variant for 1-d float64 arrays
    calls = []
    for stage in ("compile_gradient", "front_end"):
        real = getattr(pipeline, stage)
        monkeypatch.setattr(pipeline, stage, lambda *a, _real=real, **k: calls.append(a) or _real(*a, **k))
    g(np.ones(2))
    g(np.ones(3))  # another size: same signature
    ad.grad(f)(np.ones(2))  # a new grad of the same function and wrt hits the cache too
    assert calls == []


def test_rebinding_a_global_recompiles():
    fn = function_from_source("def f(x):\n    return np.sum(x * scale)\n", namespace={"scale": 2.0})
    g = ad.grad(fn)
    np.testing.assert_allclose(g(np.ones(2)), [2.0, 2.0])
    fn.__globals__["scale"] = 5.0
    np.testing.assert_allclose(g(np.ones(2)), [5.0, 5.0])


def _scaled_by_a_cell():
    scale = 2.0

    def f(x):
        return np.sum(x * scale)

    def rebind(value):
        nonlocal scale
        scale = value

    return f, rebind


def test_rebinding_a_closure_variable_recompiles():
    f, rebind = _scaled_by_a_cell()
    g = ad.grad(f)
    np.testing.assert_allclose(g(np.ones(2)), [2.0, 2.0])
    rebind(5.0)
    np.testing.assert_allclose(g(np.ones(2)), [5.0, 5.0])


def test_global_array_is_read_by_name():
    weights = np.array([1.0, 2.0])
    fn = function_from_source("def f(x):\n    return np.sum(x * weights)\n", namespace={"weights": weights})
    g = ad.grad(fn)
    assert "x * weights" in g.source
    weights[:] = [3.0, 4.0]  # mutated in place: the generated code sees the new values
    np.testing.assert_allclose(g(np.ones(2)), [3.0, 4.0])


def test_name_defined_after_grad_is_applied_compiles_on_first_call():
    scope = {}
    fn = function_from_source("def f(x):\n    return np.sum(x * later)\n", namespace=scope)
    g = ad.grad(fn)
    fn.__globals__["later"] = 3.0
    np.testing.assert_allclose(g(np.ones(2)), [3.0, 3.0])


def test_source_and_graph():
    g = ad.grad(loss)
    assert g.source.startswith("def loss_grad(w, x, y):")
    assert "# forward pass" in g.source and "# backward pass" in g.source
    assert "w_bar" in g.source
    assert str(g.graph) == str(g.graph)
    assert str(g.graph).startswith("def loss(%w, %x, %y):")


def test_generated_code_shows_in_tracebacks():
    def f(x):
        y = np.log(x)
        return np.sum(y)

    g = ad.grad(f)
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError) as info:
            g(np.zeros(2))
    frames = traceback.extract_tb(info.tb)
    generated = [fr for fr in frames if fr.filename.startswith("<adcompiler f_grad")]
    assert generated and generated[-1].line.strip() == linecache.getline(generated[-1].filename, generated[-1].lineno).strip()
    assert generated[-1].line.strip() in g.source.splitlines()[generated[-1].lineno - 1]
    assert "/ x" in generated[-1].line  # log's derivative, 1 / x, divides by zero


def test_dump_prints_named_stages(capsys):
    def f(x):
        return np.sum(x * x)

    ad.grad(f, dump="lower,emit")(np.ones(2))  # the front end runs at grad(), emission at the first call
    err = capsys.readouterr().err
    assert "after lower" in err and "after emit" in err and "after reverse" not in err
    assert "def f(%x):" in err and "def f_grad(x):" in err


def test_dump_from_environment(monkeypatch, capsys):
    def f2(x):
        return np.sum(x + x)

    monkeypatch.setenv("ADCOMPILER_DUMP", "all")
    ad.grad(f2)(np.ones(2))
    err = capsys.readouterr().err
    for stage in api.STAGES:
        assert f"after {stage}" in err


def test_gradient_does_not_modify_arguments():
    w, x, y = data()
    copies = [a.copy() for a in (w, x, y)]
    ad.grad(loss, wrt=(0, 1, 2))(w, x, y)
    for a, c in zip((w, x, y), copies):
        np.testing.assert_array_equal(a, c)


def test_check_grads_catches_a_wrong_rule(monkeypatch):
    from adcompiler.rules import registry

    def f3(x):
        return np.sum(np.sin(x))

    ad.check_grads(f3, np.ones(3))
    original = registry._RULES[np.sin]
    monkeypatch.setitem(registry._RULES, np.sin, registry.Rule(np.sin, (lambda g, ans, x: g * np.sin(x),)))
    api.clear_caches()
    with pytest.raises(AssertionError, match="does not match finite differences"):
        ad.check_grads(f3, np.ones(3))
    monkeypatch.setitem(registry._RULES, np.sin, original)
    api.clear_caches()


def test_negative_literal_base_keeps_its_parentheses():
    def f(x, n):
        return np.sum((-1.0) ** n * x)

    g = ad.grad(f)
    np.testing.assert_allclose(g(np.ones(2), np.array([1.0, 2.0])), [-1.0, 1.0])
    assert "(-1.0) ** n" in g.source


def test_numbers_that_overflow_give_what_numpy_gives():
    """Python floats are computed with `math` functions, which raise where NumPy's give
    inf or nan (with a warning): then the variant without `math` computes the result."""
    f = function_from_source("""
    def blows_up(x):
        return np.exp(100.0 * x) + np.sqrt(x - 5.0)
    """)
    g = ad.value_and_grad(f)
    value, grad = g(6.0)
    assert np.isfinite(value) and "math.exp" in g.source
    with np.errstate(over="ignore", invalid="ignore"):
        value, grad = g(1.0)
        expected = f(1.0)
    assert np.isnan(value) and np.isnan(expected) and np.isnan(grad)  # inf + nan, as NumPy computes it
    with np.errstate(over="ignore"):
        value, grad = g(7.2)  # exp(720) overflows
    assert value == np.inf and grad == np.inf


@pytest.mark.parametrize("body, x, expected", [
    ("np.log(x)", 0.0, np.inf),
    ("x ** 0.5", 0.0, np.inf),
    ("np.power(x, 3.5)", -1.5, np.nan),
    ("np.log(x) * x", 2.0, np.log(2.0) + 1.0),
])
def test_float_gradients_at_domain_edges_are_numpys(body, x, expected):
    f = function_from_source(f"""
    def edge(x):
        return {body}
    """)
    with np.errstate(all="ignore"):
        got = ad.grad(f)(x)
        again = ad.grad(f)(np.float64(x))  # NumPy arithmetic from the start
    assert type(got) is float
    np.testing.assert_allclose(got, expected)
    np.testing.assert_allclose(got, again)


def test_gradients_of_zero_dimensional_arrays_are_zero_dimensional_arrays():
    f = function_from_source("""
    def scaled(x, y):
        return np.sum(x * y) + x
    """)
    gx, gy = ad.grad(f, wrt=(0, 1))(np.array(2.0), np.ones((2, 2)))
    assert type(gx) is np.ndarray and gx.shape == () and gx == 5.0
    np.testing.assert_array_equal(gy, np.full((2, 2), 2.0))


def test_a_pullback_on_floats_falls_back_to_numpy_too():
    f = function_from_source("""
    def root(x):
        return np.sqrt(x) * 3.0
    """)
    value, pullback = ad.vjp(f)(0.0)
    with np.errstate(divide="ignore"):
        assert pullback(1.0) == np.inf  # 1.5 / sqrt(0.0): a float division by zero in `math`
    value, pullback = ad.vjp(f)(4.0)
    assert pullback(1.0) == pytest.approx(0.75) and type(pullback(1.0)) is float


def test_a_seed_that_does_not_fit_the_output_is_refused():
    f = function_from_source("""
    def pair(x):
        return np.sum(x), x * 2.0
    """)
    value, pullback = ad.vjp(f)(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(pullback((1.0, np.ones(3))), [3.0, 3.0, 3.0])
    with pytest.raises(ad.ADError, match="tuple of as many"):
        pullback(np.array([0.5, -1.0, 2.0]))  # was read item by item: a silently wrong product
    with pytest.raises(ad.ADError, match="shape"):
        pullback((1.0, np.ones(2)))


def test_a_list_seed_stands_for_an_array():
    f = function_from_source("def double(x):\n    return x + x\n")
    _, pullback = ad.vjp(f)(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(pullback([1.0, 0.0, 0.0]), [2.0, 0.0, 0.0])  # not the list repeated


def test_a_dict_output_takes_a_dict_seed_of_its_keys():
    f = function_from_source("def parts(x):\n    return {'a': np.sum(x ** 2), 'b': x * 3.0}\n")
    _, pullback = ad.vjp(f)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(pullback({"a": 1.0, "b": [1.0, 1.0]}), [5.0, 7.0])
    for seed in ({"a": 1.0}, 1.0, {"a": 1.0, "b": np.ones(3)}, {"a": np.ones(2), "b": np.ones(2)}):
        with pytest.raises(ad.UnsupportedArgumentError):
            pullback(seed)


RNN_LIKE = function_from_source("""
def rnn_like(W, xs):
    h = np.zeros((xs.shape[1], W.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ W)
    return np.sum(h ** 2)
""")


@pytest.mark.parametrize("make", [ad.grad, ad.value_and_grad, ad.vjp])
def test_compiling_makes_no_reference_cycles(make):
    """Compile-time structures are freed as soon as they are dropped, not by the cycle
    collector (whose passes over a large compile's objects grew faster than the compile)."""
    rng = np.random.default_rng(1)
    args = rng.standard_normal((3, 3)), rng.standard_normal((4, 2, 3))
    pipeline.clear_caches()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gradient = make(RNN_LIKE)
        gradient(*args)
        dropped = weakref.ref(gradient)
        del gradient
        pipeline.clear_caches()
        assert dropped() is None
        gc.collect()
        assert [o for o in gc.garbage if _made_by_adcompiler(o)] == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def _made_by_adcompiler(o) -> bool:
    """An instance of one of adcompiler's classes, or a function of its modules or of its generated code."""
    if isinstance(o, type(_made_by_adcompiler)):
        return (o.__module__ or "").startswith("adcompiler") or o.__code__.co_filename.startswith("<adcompiler")
    return (type(o).__module__ or "").startswith("adcompiler")


CUBE = function_from_source("""
def cube(x):
    y = x
    for i in range(2):
        y = y * np.sin(y) + scale * x
    return y ** 3
""", namespace={"scale": 1.0})


def _derivative(f, x, eps=1e-5):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def test_grad_of_grad_is_the_second_derivative():
    first, second = ad.grad(CUBE), ad.grad(ad.grad(CUBE))
    assert second(0.7) == pytest.approx(_derivative(first, 0.7), rel=1e-6)
    assert ad.grad(ad.grad(ad.grad(CUBE)))(0.7) == pytest.approx(_derivative(second, 0.7), rel=1e-5)
    CUBE.__globals__["scale"] = 2.0  # the inner gradient recompiles: so must the outer
    try:
        assert second(0.7) == pytest.approx(_derivative(first, 0.7), rel=1e-6)
    finally:
        CUBE.__globals__["scale"] = 1.0


def test_vjp_of_grad_is_a_hessian_vector_product():
    f = function_from_source("def f(w, A):\n    return np.sum(np.tanh(A @ w) ** 2)\n")
    rng = np.random.default_rng(5)
    w, A, v = rng.standard_normal(3), rng.standard_normal((4, 3)), rng.standard_normal(3)
    _, pullback = ad.vjp(ad.grad(f))(w, A)
    gradient, eps = ad.grad(f), 1e-6
    np.testing.assert_allclose(pullback(v), (gradient(w + eps * v, A) - gradient(w - eps * v, A)) / (2 * eps),
                               rtol=1e-6, atol=1e-8)
    with pytest.raises(ad.NonScalarOutputError):
        ad.grad(ad.grad(f))(w, A)  # the gradient is a vector


def test_the_derivative_of_a_pullback_maker_is_refused():
    with pytest.raises(ad.ADError, match="pullback"):
        ad.grad(ad.vjp(CUBE))


class _Config:
    scale = 2.0


def _scaled_helper(x):
    return x * _scaled_helper.factor


_scaled_helper.factor = 3.0


def _reads_attributes(x):
    return _Config.scale * np.sum(x ** 2) + np.sum(_scaled_helper(x))


def test_rebinding_a_class_or_function_attribute_recompiles():
    g, x = ad.grad(_reads_attributes), np.ones(2)
    np.testing.assert_allclose(g(x), [7.0, 7.0])
    saved = _Config.scale, _scaled_helper.factor
    try:
        _Config.scale = 5.0
        np.testing.assert_allclose(g(x), [13.0, 13.0])
        _scaled_helper.factor = 0.0
        np.testing.assert_allclose(g(x), [10.0, 10.0])
    finally:
        _Config.scale, _scaled_helper.factor = saved


def test_check_grads_reads_containers():
    """Arguments and outputs that are tuples, lists or dicts: every leaf is checked."""
    nested = function_from_source("def nested(p):\n    return p[0][0] * p[0][1] + p[1]\n")
    ad.check_grads(nested, ((2.0, 3.0), 0.5))
    parts = function_from_source("def parts(p, x):\n    return {'a': np.sum(p['w'] * x), 'b': (p['w'] ** 2, 2.0 * x)}\n")
    ad.check_grads(parts, {"w": np.array([0.3, -0.4])}, np.array([1.5, 2.0]), wrt=(0, 1))


def test_a_loop_reading_a_dict_argument_differentiates_it():
    """A container's adjoint accumulated in a loop (its recorded ops were once dropped)."""
    f = function_from_source("""
    def f(p, X):
        s = 0.0
        for t in range(X.shape[0]):
            s = s + np.sum(np.sin(X[t] * p["w"]))
        return s
    """)
    p, X = {"w": np.array([0.3, 0.4])}, np.arange(6.0).reshape(3, 2) / 6
    np.testing.assert_allclose(ad.grad(f)(p, X)["w"], np.sum(X * np.cos(X * p["w"]), axis=0))
    ad.check_grads(f, p, X)


def _registered_late(x):
    return np.sin(x)


def _calls_registered_late(x):
    return np.sum(_registered_late(x))


def test_a_rule_registered_after_compiling_is_used_by_a_new_gradient():
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(ad.grad(_calls_registered_late)(x), np.cos(x))  # inlined: sin's rule
    ad.adjoint(_registered_late, jvp=lambda tangents, ans, x: 2.0 * np.cos(x) * tangents[0])(
        lambda g, ans, x: 2.0 * g * np.cos(x))  # a rule of the user's (deliberately twice the slope)
    np.testing.assert_allclose(ad.grad(_calls_registered_late)(x), 2.0 * np.cos(x))


@pytest.mark.parametrize("body", ["return max(x, 0.5) ** 2", "v = np.array([x, x])\n    return v[0] * v[1]"])
def test_grad_of_grad_where_the_output_is_known_scalar_only_at_run_time(body):
    f = function_from_source(f"def f(x):\n    {body}\n")
    first, second = ad.grad(f), ad.grad(ad.grad(f))
    assert second(0.7) == pytest.approx(_derivative(first, 0.7), rel=1e-6)
    value, slope = ad.value_and_grad(ad.grad(f))(0.7)
    assert value == pytest.approx(first(0.7)) and slope == pytest.approx(second(0.7))


def test_hessian_vector_product_through_a_loop_whose_tape_holds_tuples():
    """The gradient's backward loop reads tuples of arrays of different shapes from its
    tape: differentiated again, each tuple is a container, not an array."""
    f = function_from_source("""
    def f(W, b, xs):
        h = np.zeros((xs.shape[1], W.shape[0]))
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ W + h * b)
        return np.sum(h ** 2)
    """)
    rng = np.random.default_rng(2)
    W, b, xs = rng.standard_normal((3, 3)) / 2, rng.standard_normal(3) / 2, rng.standard_normal((4, 2, 3))
    gradient, eps = ad.grad(f, wrt=(0, 1)), 1e-6
    vW, vb = rng.standard_normal(W.shape), rng.standard_normal(b.shape)
    _, pullback = ad.vjp(gradient, wrt=(0, 1))(W, b, xs)
    hvp = pullback((vW, vb))
    plus, minus = gradient(W + eps * vW, b + eps * vb, xs), gradient(W - eps * vW, b - eps * vb, xs)
    for got, up, down in zip(hvp, plus, minus):
        np.testing.assert_allclose(got, (up - down) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_hessian_vector_product_of_a_loop_accumulating_from_a_float():
    f = function_from_source("""
    def f(x):
        s = 0.0
        for i in range(2):
            s = s + np.sum(x ** 3)
        return s
    """)
    x, v, eps = np.array([0.3, -0.4, 0.5]), np.array([1.0, 2.0, -1.0]), 1e-6
    gradient, pullback = ad.vjp(ad.grad(f))(x)
    np.testing.assert_allclose(gradient, ad.grad(f)(x))
    expected = (ad.grad(f)(x + eps * v) - ad.grad(f)(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(pullback(v), expected, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- forward mode


def test_jvp_returns_the_value_and_the_derivative_along_the_tangent():
    f = function_from_source("""
    def f(x, W):
        h = x
        for i in range(3):
            h = np.tanh(W @ h)
        return h
    """)
    W, x, v, eps = np.arange(4.0).reshape(2, 2) / 5, np.array([0.3, -0.2]), np.array([1.0, 0.5]), 1e-6
    derivative = ad.jvp(f)
    value, tangent = derivative(x, W, v)
    np.testing.assert_array_equal(value, f(x, W))
    np.testing.assert_allclose(tangent, (f(x + eps * v, W) - f(x - eps * v, W)) / (2 * eps), rtol=1e-7)
    assert "_tape" not in derivative.source and "h_dot = " in derivative.source  # one sweep, no tape


def test_jvp_with_respect_to_several_arguments_takes_a_tuple_of_tangents():
    f = function_from_source("def f(a, b):\n    return np.sin(a) * b + a ** 2\n")
    value, tangent = ad.jvp(f, wrt=(0, 1))(0.5, 2.0, (1.0, 0.5))
    assert value == f(0.5, 2.0)
    assert type(tangent) is float and tangent == pytest.approx(np.cos(0.5) * 2.0 + 1.0 + np.sin(0.5) * 0.5)


def test_jvp_refuses_tangents_of_the_wrong_shape_or_number():
    f = function_from_source("def f(x):\n    return np.sin(x)\n")
    with pytest.raises(ad.UnsupportedArgumentError, match="shape"):
        ad.jvp(f)(np.ones(3), np.ones(2))
    with pytest.raises(ad.UnsupportedArgumentError, match="tangents"):
        ad.jvp(f, wrt=(0,))(np.ones(3), (np.ones(3), np.ones(3)))
    with pytest.raises(ad.ADError, match="jvp"):
        ad.jvp(ad.grad(f))


def test_jvp_of_a_function_of_several_outputs_adds_their_tangents_item_by_item():
    """Both arguments of `np.meshgrid` carry tangents: each output's are added (the two
    tuples were joined into one of four), in `jvp` and in `grad` of a Python float."""
    f = function_from_source("""
    def f(x, y):
        X, Y = np.meshgrid(x, y)
        return X * Y ** 2
    """)
    g = function_from_source("""
    def g(s):
        X, Y = np.meshgrid(np.array([s, 1.0]), np.array([2.0, s]))
        return np.sum(X * Y ** 2)
    """)
    a, b, ta, tb, eps = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0]), np.array([1.0, 0.0, 0.5]), \
        np.array([0.3, 1.0]), 1e-6
    _, tangent = ad.jvp(f, wrt=(0, 1))(a, b, (ta, tb))
    expected = (f(a + eps * ta, b + eps * tb) - f(a - eps * ta, b - eps * tb)) / (2 * eps)
    np.testing.assert_allclose(tangent, expected, rtol=1e-7)
    assert ad.grad(g)(0.5) == pytest.approx(5.75) == ad.grad(g)(np.array(0.5))


def test_jvp_refuses_a_tangent_in_a_keyword_argument():
    f = function_from_source("def f(c):\n    return np.sum(np.pad(np.ones(2), 1, constant_values=c) ** 2)\n")
    with pytest.raises(ad.MissingRuleError, match="constant_values"):
        ad.jvp(f)(0.7, 1.0)


def test_jvp_gives_a_global_array_zero_tangents_of_its_shape():
    f = function_from_source("""
    def f(x):
        if np.sum(x) > 0:
            return x * 2.0
        return np.stack([W, x])[0] * 1.0
    """, namespace={"W": np.array([1.0, 2.0, 3.0])})
    value, tangent = ad.jvp(f)(-np.ones(3), np.ones(3))
    np.testing.assert_array_equal(tangent, np.zeros(3))


def test_jvp_tangents_take_their_values_dtype_and_lists_are_arrays():
    f = function_from_source("def f(x):\n    return np.max(x, axis=0) + x[0] * 2.0\n")
    M = (np.arange(12, dtype=np.float32).reshape(3, 4) * 0.37 - 1.0)
    value, tangent = ad.jvp(f)(M, np.ones_like(M))
    assert value.dtype == tangent.dtype == np.float32
    double = function_from_source("def double(x):\n    return x + x\n")
    np.testing.assert_array_equal(ad.jvp(double)(np.array([1.0, 2.0]), [1.0, 0.0])[1], [2.0, 0.0])


def test_jvp_of_a_python_float_where_python_would_make_it_complex_is_numpys():
    f = function_from_source("def f(x):\n    return np.power(x, 1.5) * 2.0 + x\n")
    with np.errstate(invalid="ignore"):
        value, tangent = ad.jvp(f)(-1.0, 1.0)
    assert np.isnan(value) and np.isnan(tangent) and not isinstance(tangent, complex)


def test_jvp_takes_keywords_and_defaults_as_the_function_does():
    f = function_from_source("def f(x, w=2.0, b=0.5):\n    return np.sin(x) * w + b\n")
    x, t = np.array([0.1, 0.4]), np.array([1.0, 0.5])
    np.testing.assert_allclose(ad.jvp(f)(x, t)[1], 2.0 * np.cos(x) * t)
    np.testing.assert_allclose(ad.jvp(f)(x, t, w=3.0)[1], 3.0 * np.cos(x) * t)
    np.testing.assert_allclose(ad.jvp(f, wrt="w")(x, 1.0, w=3.0)[1], np.sin(x))
