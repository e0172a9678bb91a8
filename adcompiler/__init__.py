"""adcompiler: ahead-of-time, source-to-source automatic differentiation for NumPy code.

    import adcompiler as ad

    @ad.grad
    def loss(w, x, y):
        return np.mean((x @ w - y) ** 2)

    loss(w, x, y)        # the gradient with respect to w, computed by generated NumPy code
    print(loss.source)   # ... which you can read
"""
from . import rules  # noqa: F401  (fills the rule table)
from .adjoints import adjoint
from .api import grad, jvp, value_and_grad, vjp
from .checks import check_grads
from .derived import hessian, hvp, jacobian
from .export import export
from .errors import (
    ADError,
    InternalError,
    MissingRuleError,
    NonScalarOutputError,
    RuleError,
    UnsupportedArgumentError,
    UnsupportedSyntaxError,
    WrtError,
)
from .runtime import no_grad, stop_gradient

__version__ = "0.1.0"

__all__ = [
    "ADError", "InternalError", "MissingRuleError", "NonScalarOutputError", "RuleError",
    "UnsupportedArgumentError", "UnsupportedSyntaxError", "WrtError",
    "adjoint", "check_grads", "export", "grad", "hessian", "hvp", "jacobian", "jvp", "no_grad", "stop_gradient",
    "value_and_grad", "vjp",
]
