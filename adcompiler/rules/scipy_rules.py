"""Derivative rules of SciPy: `scipy.special`, and the common `scipy.stats` distributions.

SciPy is optional: without it this module registers nothing. Most of these functions
work entry by entry, so one rule serves both modes (see `elementwise.diagonal`): it
scales the incoming derivative by one partial derivative. The distributions' methods
(`scipy.stats.norm.logpdf`) are bound methods, a new object on each access, but equal
to each other and hashing alike, so the table is keyed by one of them and finds them all.
A parameter without a closed-form derivative (the `cdf` of `t` in `df`) has no rule, so
a gradient through it is refused.
"""
from __future__ import annotations

import math

import numpy as np

from .. import runtime
from ..tracing import recordable
from .elementwise import diagonal
from .registry import REQUIRED, defjvp, defvjp

try:
    from scipy import special, stats
except ImportError:  # SciPy is optional: no SciPy, no rules
    special = stats = None

unbroadcast = recordable(runtime.unbroadcast)

SQRT_2PI = math.sqrt(2 * math.pi)
LOG_SQRT_2PI = math.log(SQRT_2PI)
SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2
TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _x_over_y(x, y):
    """`x / y`, and 0 where x is 0 (where `x * log(y)` is 0 whatever y is)."""
    return x / np.where(x == 0, 1.0, y)


def _polygamma_slope(n, x):
    """d/dx polygamma(n, x) = polygamma(n + 1, x) = (-1)^n (n + 1)! zeta(n + 2, x)."""
    if isinstance(n, int):  # written in the source: the factor is a literal
        return (-1) ** n * math.factorial(n + 1) * special.zeta(n + 2, x)
    return (1 - 2 * np.mod(n, 2)) * special.gamma(n + 2.0) * special.zeta(n + 2.0, x)


def _reduced_like_input(g, axis, keepdims):
    """`g`, the derivative of a reduction along `axis`, with the reduced axes put back (size 1)."""
    return np.expand_dims(g, axis) if axis is not None and not keepdims else g


# ---------------------------------------------------------------- logsumexp, softmax

# logsumexp(a, axis, b) = log(sum(b * exp(a))): its slope in `a` is the weights b * exp(a - ans).
def _logsumexp_a(g, ans, a, axis=None, b=None, keepdims=False):
    weights = np.exp(a - _reduced_like_input(ans, axis, keepdims))
    if b is None:
        return _reduced_like_input(g, axis, keepdims) * weights
    return unbroadcast(_reduced_like_input(g, axis, keepdims) * weights * b, a)


def _logsumexp_b(g, ans, a, axis, b, keepdims=False):
    return unbroadcast(_reduced_like_input(g, axis, keepdims) * np.exp(a - _reduced_like_input(ans, axis, keepdims)), b)


def _logsumexp_a_jvp(t, ans, a, axis=None, b=None, keepdims=False):
    weights = np.exp(a - _reduced_like_input(ans, axis, keepdims))
    return np.sum(weights * t if b is None else weights * b * t, axis=axis, keepdims=keepdims)


def _logsumexp_b_jvp(t, ans, a, axis, b, keepdims=False):
    return np.sum(np.exp(a - _reduced_like_input(ans, axis, keepdims)) * t, axis=axis, keepdims=keepdims)


# softmax(x) = s has the symmetric Jacobian diag(s) - s s^T; log_softmax has I - 1 s^T.
def _softmax(g, ans, x, axis=None):
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


def _log_softmax(g, ans, x, axis=None):
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


def _log_softmax_jvp(t, ans, x, axis=None):
    return t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True)


def register_special_rules():
    defvjp(special.logsumexp, _logsumexp_a, None, _logsumexp_b, params=("keepdims",))
    defjvp(special.logsumexp, _logsumexp_a_jvp, None, _logsumexp_b_jvp)
    defvjp(special.softmax, _softmax, params=("axis",))
    defjvp(special.softmax, _softmax)
    defvjp(special.log_softmax, _log_softmax, params=("axis",))
    defjvp(special.log_softmax, _log_softmax_jvp)

    # ------------------------------------------------------------ logistic, error functions
    diagonal(special.expit, lambda g, ans, x: g * ans * (1 - ans))
    diagonal(special.log_expit, lambda g, ans, x: g * special.expit(-x))
    diagonal(special.logit, lambda g, ans, x: g / (x * (1 - x)))
    diagonal(special.erf, lambda g, ans, x: g * TWO_OVER_SQRT_PI * np.exp(-x**2))
    diagonal(special.erfc, lambda g, ans, x: -g * TWO_OVER_SQRT_PI * np.exp(-x**2))
    diagonal(special.erfcx, lambda g, ans, x: g * (2 * x * ans - TWO_OVER_SQRT_PI))
    diagonal(special.erfinv, lambda g, ans, x: g * SQRT_PI_OVER_2 * np.exp(ans**2))
    diagonal(special.erfcinv, lambda g, ans, x: -g * SQRT_PI_OVER_2 * np.exp(ans**2))
    diagonal(special.ndtr, lambda g, ans, x: g * np.exp(-0.5 * x**2) / SQRT_2PI)
    diagonal(special.log_ndtr, lambda g, ans, x: g * np.exp(-0.5 * x**2 - ans) / SQRT_2PI)
    diagonal(special.ndtri, lambda g, ans, x: g * SQRT_2PI * np.exp(0.5 * ans**2))

    # ------------------------------------------------------------ gamma and relatives
    diagonal(special.gamma, lambda g, ans, x: g * ans * special.digamma(x))
    for log_gamma in (special.gammaln, special.loggamma):
        diagonal(log_gamma, lambda g, ans, x: g * special.digamma(x))
    diagonal(special.digamma, lambda g, ans, x: g * special.zeta(2, x))  # also special.psi
    diagonal(special.polygamma, None, lambda g, ans, n, x: g * _polygamma_slope(n, x), unbroadcast=True)
    diagonal(special.betaln, lambda g, ans, a, b: g * (special.digamma(a) - special.digamma(a + b)),
             lambda g, ans, a, b: g * (special.digamma(b) - special.digamma(a + b)), unbroadcast=True)
    diagonal(special.xlogy, lambda g, ans, x, y: g * np.log(y), lambda g, ans, x, y: g * _x_over_y(x, y),
             unbroadcast=True)
    diagonal(special.xlog1py, lambda g, ans, x, y: g * np.log1p(y), lambda g, ans, x, y: g * _x_over_y(x, 1 + y),
             unbroadcast=True)

    # ------------------------------------------------------------ modified Bessel functions
    # I0' = I1 and I1' = (I0 + I2) / 2; the scaled ones are exp(-|x|) I(x).
    diagonal(special.i0, lambda g, ans, x: g * special.i1(x))
    diagonal(special.i1, lambda g, ans, x: g * 0.5 * (special.i0(x) + special.iv(2, x)))
    diagonal(special.i0e, lambda g, ans, x: g * (special.i1e(x) - np.sign(x) * ans))
    diagonal(special.i1e, lambda g, ans, x: g * (0.5 * (special.i0e(x) + special.ive(2, x)) - np.sign(x) * ans))


# ---------------------------------------------------------------- distributions
# A location-scale family's methods take the data x, the shape parameters, then loc and
# scale, positionally or by name. With the standardised z = (x - loc) / scale and the
# standard log density h(z, *shapes): logpdf = h - log(scale), pdf = exp(logpdf), and
# cdf = F(z, *shapes) with F' = exp(h). Each method's rules come from its slope in z, its
# slopes in the shape parameters, and, for densities, the weight of the -log(scale) term.

def _norm_log_density(z):
    return -0.5 * z**2 - LOG_SQRT_2PI


def _t_log_density(z, df):
    return (special.gammaln(0.5 * (df + 1)) - special.gammaln(0.5 * df) - 0.5 * np.log(df * np.pi)
            - 0.5 * (df + 1) * np.log1p(z**2 / df))


def _t_log_density_df(z, df):
    """d/d(df) of the standard t log density."""
    return 0.5 * (special.digamma(0.5 * (df + 1)) - special.digamma(0.5 * df) - 1 / df
                  - np.log1p(z**2 / df) + (df + 1) * z**2 / (df * (df + z**2)))


def _gamma_log_density(z, a):
    return special.xlogy(a - 1, z) - z - special.gammaln(a)


def _beta_log_density(z, a, b):
    return special.xlogy(a - 1, z) + special.xlog1py(b - 1, -z) - special.betaln(a, b)


def _beta_log_density_a(z, a, b):
    return np.log(z) - special.digamma(a) + special.digamma(a + b)


def _beta_log_density_b(z, a, b):
    return np.log1p(-z) - special.digamma(b) + special.digamma(a + b)


FAMILIES = [
    # name in scipy.stats, h(z, *shapes), dh/dz, dh/d(each shape parameter), the support in z (None: all z)
    ("norm", _norm_log_density, lambda z: -z, [], None),
    ("t", _t_log_density, lambda z, df: -(df + 1) * z / (df + z**2), [_t_log_density_df], None),
    ("gamma", _gamma_log_density, lambda z, a: (a - 1) / z - 1, [lambda z, a: np.log(z) - special.digamma(a)],
     lambda z: z > 0),
    ("beta", _beta_log_density, lambda z, a, b: (a - 1) / z - (b - 1) / (1 - z),
     [_beta_log_density_a, _beta_log_density_b], lambda z: (z > 0) & (z < 1)),
]


class _LocationScale:
    """The rules of one method of a location-scale family.

    `in_z(ans, z, shapes)` is the method's slope in z. A density has `weight(ans)`, its
    slope in the log density (1 for logpdf, the density itself for pdf), which scales
    the slope of the -log(scale) term and `shape_slopes`, the slopes of h in the shape
    parameters. A cdf has no weight: its slopes in the shape parameters have no closed
    form, so those get no rules.
    """

    def __init__(self, names, in_z, shape_slopes=(), weight=None):
        self.names, self.in_z, self.weight = names, in_z, weight
        shapes = [self.shape(d) if weight is not None else None for d in shape_slopes]
        self.vjps = [self.x, *shapes, self.loc, self.scale]

    def read(self, args, params):
        """z, the shape parameters and the scale, however the arguments were passed."""
        v = {"loc": 0.0, "scale": 1.0, **dict(zip(self.names, args)), **params}
        return (v["x"] - v["loc"]) / v["scale"], [v[name] for name in self.names[1:-2]], v["scale"]

    def x(self, g, ans, *args, **params):
        z, shapes, scale = self.read(args, params)
        return g * self.in_z(ans, z, shapes) / scale

    def loc(self, g, ans, *args, **params):
        return -self.x(g, ans, *args, **params)

    def scale(self, g, ans, *args, **params):
        z, shapes, scale = self.read(args, params)
        through_z = -g * self.in_z(ans, z, shapes) * z / scale
        return through_z if self.weight is None else through_z - g * self.weight(ans) / scale

    def shape(self, slope):
        def rule(g, ans, *args, **params):
            z, shapes, scale = self.read(args, params)
            return g * self.weight(ans) * slope(z, *shapes)
        return rule


def _location_scale_rules(distribution, log_density, slope, shape_slopes, support):
    """The rules of logpdf, pdf, cdf and logcdf of `distribution`, by method name. A cdf's
    slope is the density, zero outside the support (where h is no log density)."""
    names = ("x", *_shape_names(distribution), "loc", "scale")
    none = [None] * len(shape_slopes)

    def inside(z, slope_there):
        return slope_there if support is None else np.where(support(z), slope_there, 0.0)

    return {
        "logpdf": _LocationScale(names, lambda ans, z, s: slope(z, *s), shape_slopes, lambda ans: 1.0),
        "pdf": _LocationScale(names, lambda ans, z, s: ans * slope(z, *s), shape_slopes, lambda ans: ans),
        "cdf": _LocationScale(names, lambda ans, z, s: inside(z, np.exp(log_density(z, *s))), none),
        "logcdf": _LocationScale(names, lambda ans, z, s: inside(z, np.exp(log_density(z, *s) - ans)), none),
    }


# poisson(k, mu, loc): differentiable in the mean mu only (k and loc are integers).
def _poisson_log_pmf(k, mu):
    return special.xlogy(k, mu) - mu - special.gammaln(k + 1)


def _poisson_rules():
    def read(args, params):
        v = {"loc": 0, **dict(zip(("k", "mu", "loc"), args)), **params}
        return v["k"] - v["loc"], v["mu"]

    def logpmf(g, ans, *args, **params):
        k, mu = read(args, params)
        return g * (_x_over_y(k, mu) - 1)

    def pmf(g, ans, *args, **params):
        return ans * logpmf(g, ans, *args, **params)

    def cdf(g, ans, *args, **params):  # d/dmu P(K <= k) = -pmf(floor(k))
        k, mu = read(args, params)
        return -g * np.exp(_poisson_log_pmf(np.floor(k), mu))

    def logcdf(g, ans, *args, **params):
        k, mu = read(args, params)
        return -g * np.exp(_poisson_log_pmf(np.floor(k), mu) - ans)

    return {"logpmf": logpmf, "pmf": pmf, "cdf": cdf, "logcdf": logcdf}


def register_stats_rules():
    for name, log_density, slope, shape_slopes, support in FAMILIES:
        distribution = getattr(stats, name)
        for kind, rules in _location_scale_rules(distribution, log_density, slope, shape_slopes, support).items():
            positional = [(name, REQUIRED) for name in rules.names[:-2]] + [("loc", 0.0), ("scale", 1.0)]
            diagonal(getattr(distribution, kind), *rules.vjps, params=rules.names[1:], unbroadcast=True,
                     positional=positional)
    for kind, rule in _poisson_rules().items():
        diagonal(getattr(stats.poisson, kind), None, rule, None, params=("mu", "loc"), unbroadcast=True,
                 positional=[("k", REQUIRED), ("mu", REQUIRED), ("loc", 0)])


def _shape_names(distribution):
    return [name.strip() for name in (distribution.shapes or "").split(",") if name.strip()]


if special is not None:
    register_special_rules()
    register_stats_rules()
