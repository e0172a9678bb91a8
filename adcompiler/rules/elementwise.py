"""Derivative rules of the elementwise NumPy functions beyond the core, and of `math`.

An elementwise function has a diagonal Jacobian, so one rule serves both modes: it
scales the incoming derivative (the cotangent `g` in reverse mode, the tangent in
forward mode) by one partial derivative, `diagonal(np.tan, lambda g, ans, x: g * (1 +
ans**2))`. Binary NumPy functions broadcast, and the reverse pass undoes it. The
`math` functions take Python floats; their rules are the same NumPy expressions, which
are correct on floats too (a rule runs on symbols, where `math.cos` cannot be recorded).
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import runtime
from ..tracing import recordable
from .registry import defjvp, defvjp, nondiff

LN2 = math.log(2.0)
LN10 = math.log(10.0)
DEGREE = math.pi / 180.0
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

zeros_like_input = recordable(runtime.zeros_like_input)


def diagonal(fn, *rules, params=(), unbroadcast=False, positional=()):
    """Register `fn`, elementwise: each rule scales `g` by the partial derivative of one argument."""
    defvjp(fn, *rules, params=params, unbroadcast=unbroadcast, positional=positional)
    defjvp(fn, *rules)


def _log_or_zero(x):
    """`log(x)`, with 0 where x is 0: the exponent's derivative of `0 ** y` is 0 there."""
    return np.log(np.where(x == 0, 1.0, x))


def _ln(base):
    """`log(base)`: a literal when the base is a number written in the source."""
    return math.log(base) if isinstance(base, (int, float)) else np.log(base)


def digamma_of_float(x):
    """The digamma function psi(x), the slope of `math.lgamma`, for one Python float."""
    x = float(x)
    if not math.isfinite(x):
        return x if x > 0 else math.nan
    if x <= 0 and x.is_integer():  # the poles
        return math.nan
    if x < 0.5:  # reflection: psi(1 - x) - psi(x) = pi / tan(pi x)
        return digamma_of_float(1.0 - x) - math.pi / math.tan(math.pi * x)
    shift = 0.0
    while x < 10.0:  # psi(x) = psi(x + 1) - 1 / x
        shift -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)  # the asymptotic series, to 1e-14 for x >= 10
    tail = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))))
    return shift + math.log(x) - 0.5 / x - tail


digamma = recordable(digamma_of_float)

# ---------------------------------------------------------------- powers, exponentials, logarithms

diagonal(np.reciprocal, lambda g, ans, x: -g * ans**2)
diagonal(np.cbrt, lambda g, ans, x: g / (3 * ans**2))
diagonal(np.exp2, lambda g, ans, x: g * ans * LN2)
diagonal(math.exp, lambda g, ans, x: g * ans)
diagonal(math.sqrt, lambda g, ans, x: g * 0.5 / ans)
for expm1 in (np.expm1, math.expm1):
    diagonal(expm1, lambda g, ans, x: g * (ans + 1))
diagonal(np.log2, lambda g, ans, x: g / (x * LN2))
diagonal(np.log10, lambda g, ans, x: g / (x * LN10))
for log1p in (np.log1p, math.log1p):
    diagonal(log1p, lambda g, ans, x: g / (1 + x))
# d/dx log(e^x + e^y) is the logistic sigmoid of x - y, written 0.5 + 0.5 tanh((x - y) / 2):
# it needs no `ans` (a gradient that does not need the loss's value does not compute it),
# and it neither overflows nor warns for large arguments.
diagonal(np.logaddexp, lambda g, ans, x, y: g * (0.5 + 0.5 * np.tanh((x - y) * 0.5)),
         lambda g, ans, x, y: g * (0.5 + 0.5 * np.tanh((y - x) * 0.5)), unbroadcast=True)
diagonal(np.logaddexp2, lambda g, ans, x, y: g * np.exp2(x - ans), lambda g, ans, x, y: g * np.exp2(y - ans),
         unbroadcast=True)
diagonal(np.float_power, lambda g, ans, x, y: g * y * np.float_power(x, y - 1),
         lambda g, ans, x, y: g * ans * _log_or_zero(x), unbroadcast=True)
diagonal(math.pow, lambda g, ans, x, y: g * y * x ** (y - 1), lambda g, ans, x, y: g * ans * _log_or_zero(x))


# math.log(x) is the natural logarithm, math.log(x, base) is log(x) / log(base).
def _log_x(g, ans, x, base=None):
    return g / x if base is None else g / (x * _ln(base))


diagonal(math.log, _log_x, lambda g, ans, x, base: -g * ans / (base * _ln(base)))

# ---------------------------------------------------------------- trigonometric and hyperbolic

diagonal(math.sin, lambda g, ans, x: g * np.cos(x))
diagonal(math.cos, lambda g, ans, x: -g * np.sin(x))
diagonal(math.tanh, lambda g, ans, x: g * (1 - ans**2))
for tan in (np.tan, math.tan):
    diagonal(tan, lambda g, ans, x: g * (1 + ans**2))
for arcsin in (np.arcsin, math.asin):
    diagonal(arcsin, lambda g, ans, x: g / np.sqrt(1 - x**2))
for arccos in (np.arccos, math.acos):
    diagonal(arccos, lambda g, ans, x: -g / np.sqrt(1 - x**2))
for arctan in (np.arctan, math.atan):
    diagonal(arctan, lambda g, ans, x: g / (1 + x**2))
for sinh in (np.sinh, math.sinh):
    diagonal(sinh, lambda g, ans, x: g * np.cosh(x))
for cosh in (np.cosh, math.cosh):
    diagonal(cosh, lambda g, ans, x: g * np.sinh(x))
diagonal(np.arcsinh, lambda g, ans, x: g / np.sqrt(x**2 + 1))
diagonal(np.arccosh, lambda g, ans, x: g / np.sqrt(x**2 - 1))
diagonal(np.arctanh, lambda g, ans, x: g / (1 - x**2))

# arctan2(y, x) is the angle of the point (x, y); hypot(x, y) its distance from 0.
diagonal(np.arctan2, lambda g, ans, y, x: g * x / (x**2 + y**2), lambda g, ans, y, x: -g * y / (x**2 + y**2),
         unbroadcast=True)
diagonal(math.atan2, lambda g, ans, y, x: g * x / (x**2 + y**2), lambda g, ans, y, x: -g * y / (x**2 + y**2))
diagonal(np.hypot, lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans, unbroadcast=True)
# math.hypot(x) is |x|; three or more arguments are refused (the rules cover two).
diagonal(math.hypot, lambda g, ans, x, *rest: g * x / ans, lambda g, ans, x, y, *rest: g * y / ans)

for deg2rad in (np.deg2rad, np.radians):
    diagonal(deg2rad, lambda g, ans, x: g * DEGREE)
for rad2deg in (np.rad2deg, np.degrees):
    diagonal(rad2deg, lambda g, ans, x: g / DEGREE)


def _sinc_slope(ans, x):
    """d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    return np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x))


diagonal(np.sinc, lambda g, ans, x: g * _sinc_slope(ans, x))

# ---------------------------------------------------------------- special functions of math

diagonal(math.erf, lambda g, ans, x: g * TWO_OVER_SQRT_PI * np.exp(-x**2))
diagonal(math.erfc, lambda g, ans, x: -g * TWO_OVER_SQRT_PI * np.exp(-x**2))
diagonal(math.lgamma, lambda g, ans, x: g * digamma(x))

# ---------------------------------------------------------------- signs, extrema, copies

for fabs in (np.fabs, math.fabs):
    diagonal(fabs, lambda g, ans, x: g * np.sign(x))


# Where the two arguments tie, each gets half of the gradient (as for np.maximum); a NaN
# argument is ignored by fmax and fmin, so the other one gets all of it.
def _fmax_share(x, y):
    return np.where(np.isnan(y), 1.0, (x > y) + 0.5 * (x == y))


def _fmin_share(x, y):
    return np.where(np.isnan(y), 1.0, (x < y) + 0.5 * (x == y))


diagonal(np.fmax, lambda g, ans, x, y: g * _fmax_share(x, y), lambda g, ans, x, y: g * _fmax_share(y, x),
         unbroadcast=True)
diagonal(np.fmin, lambda g, ans, x, y: g * _fmin_share(x, y), lambda g, ans, x, y: g * _fmin_share(y, x),
         unbroadcast=True)


# copysign(x, y) is |x| with the sign of y: slope +-1 in x, zero in y (away from 0).
def _copysign_x(g, ans, x, y):
    return g * np.copysign(1.0, x) * np.copysign(1.0, y)


def _no_slope_in_y(g, ans, x, y):
    return np.zeros_like(g)  # the cotangent of the (broadcast) result's shape, as unbroadcast=True expects


diagonal(np.copysign, _copysign_x, _no_slope_in_y, unbroadcast=True)
diagonal(math.copysign, _copysign_x, _no_slope_in_y)

# np.nan_to_num(x) replaces NaN and infinities by constants: the gradient passes where x is finite.
defvjp(np.nan_to_num, lambda g, ans, x, **fills: g * np.isfinite(x), params=("copy", "nan", "posinf", "neginf"))
defjvp(np.nan_to_num, lambda t, ans, x, **fills: t * np.isfinite(x))

# The compiler differentiates real numbers only: there, these are the identity.
for identity in (np.conjugate, np.real):
    diagonal(identity, lambda g, ans, x: g)

# ---------------------------------------------------------------- remainders

# mod(x, y) = x - floor(x / y) * y and fmod(x, y) = x - trunc(x / y) * y: between the jumps
# the quotient is constant, so the slopes are 1 in x and minus the quotient in y.
for mod in (np.remainder, operator.mod):
    diagonal(mod, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.floor_divide(x, y), unbroadcast=True)
diagonal(np.fmod, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.trunc(x / y), unbroadcast=True)
diagonal(math.fmod, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.trunc(x / y))

# heaviside(x, h) is 0, h or 1 as x is negative, zero or positive: h's slope is 1 where x is 0
diagonal(np.heaviside, lambda g, ans, x, h: 0.0 * g, lambda g, ans, x, h: g * (x == 0), unbroadcast=True)

# ---------------------------------------------------------------- no derivative

# Also without derivative, declared in numpy_rules: np.sign, floor, ceil, round, rint,
# trunc, math.floor, math.ceil.
nondiff(
    np.around, np.fix, np.isclose, np.signbit, np.floor_divide, operator.floordiv,
    math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose,
)
