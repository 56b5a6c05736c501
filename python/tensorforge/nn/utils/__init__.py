"""Gradient clipping and parameter/vector conversion (``tensorforge.nn.utils``)."""
from __future__ import annotations

import math
from typing import Iterable

from ...autograd.graph import no_grad
from ...autograd import ops as O
from ...tensor import Tensor, tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


@no_grad()
def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scales all gradients together so their joint norm is at most max_norm. Returns the
    norm before clipping."""
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return tensor(0.0)
    if norm_type == math.inf:
        norms = [O.amax(O.abs(g)) for g in grads]
        total = O.amax(O.stack(norms))
    else:
        norms = [O.norm(g.float() if not g.dtype.is_floating_point else g, norm_type) for g in grads]
        total = O.norm(O.stack([n.to(norms[0].dtype) for n in norms]), norm_type)
    t = float(total.item())
    if error_if_nonfinite and not math.isfinite(t):
        raise RuntimeError(f"[clip_grad_norm_] The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped.")
    coef = max_norm / (t + 1e-6)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
    return total


@no_grad()
def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamps every gradient element into [-clip_value, clip_value]."""
    v = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(-v, v)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenates the flattened parameters into one vector."""
    return O.cat([p.reshape(-1) for p in parameters])


@no_grad()
def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies slices of vec back into the parameters."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected a Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        p.copy_(vec[offset:offset + n].view_as(p))
        offset += n


from . import rnn  # noqa: E402,F401  (tensorforge.nn.utils.rnn, as torch.nn.utils.rnn)
# ---- weight and spectral normalisation (nnx) ----
__all__ += ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of v over every dim but `dim` (all dims for dim=-1), shaped to broadcast."""
    if dim == -1:
        return O.norm(v)
    d = dim % v.ndim
    others = [i for i in range(v.ndim) if i != d]
    return O.norm(v, 2, others, keepdim=True) if others else O.abs(v)


class WeightNorm:
    """Forward pre-hook recomputing ``name`` = g * v / ||v|| from the parameters name_g, name_v."""

    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return O.mul(v, O.div(g, _norm_except_dim(v, self.dim)))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim: int = 0):
    """Reparameterises ``module.<name>`` as g * v / ||v|| (norm over every dim but ``dim``; all
    dims for dim=None): parameters name_g (the norms) and name_v (the direction) replace it, and
    the weight is recomputed before every forward."""
    from ..module import Parameter

    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, WeightNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    fn = WeightNorm(name, dim)
    weight = getattr(module, name)
    del module._parameters[name]
    with no_grad():
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, fn.dim).detach().clone()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
    object.__setattr__(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Folds a weight_norm back into a plain parameter ``name``."""
    from ..module import Parameter

    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module).detach()
            object.__delattr__(module, name)
            del module._parameters[name + "_g"]
            del module._parameters[name + "_v"]
            module.register_parameter(name, Parameter(weight))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


class SpectralNorm:
    """Forward pre-hook recomputing ``name`` = name_orig / sigma, with sigma = u . W v from power
    iteration (u, v buffers updated in place in training)."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float):
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = O.permute(weight, [self.dim] + [d for d in range(weight.ndim) if d != self.dim])
        return O.reshape(weight, [weight.shape[0], -1])

    def compute_weight(self, module, do_power_iteration: bool) -> Tensor:
        from .. import functional as F

        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self.matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(O.matmul(O.t(mat), u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(O.matmul(mat, v), dim=0, eps=self.eps))
                u, v = u.clone(), v.clone()  # later in-place updates must not touch this graph
        sigma = O.dot(u, O.matmul(mat, v))
        return O.div(weight, sigma)

    def __call__(self, module, inputs) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim=None):
    """Divides ``module.<name>`` by its spectral norm, estimated by power iteration before every
    forward (training mode). Adds the parameter name_orig and the buffers name_u, name_v (random
    unit vectors from the global generator); dim defaults to 1 for transposed convolutions."""
    from ...tensor import empty
    from .. import functional as F
    from ..conv import ConvTranspose2d

    if dim is None:
        dim = 1 if isinstance(module, ConvTranspose2d) else 0
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
    with no_grad():
        h, w = fn.matrix(weight).shape
        u = F.normalize(O.normal_(empty(h, dtype=weight.dtype), 0.0, 1.0), dim=0, eps=eps)
        v = F.normalize(O.normal_(empty(w, dtype=weight.dtype), 0.0, 1.0), dim=0, eps=eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Folds a spectral_norm back into a plain parameter ``name``."""
    from ..module import Parameter

    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module, False).detach()
            object.__delattr__(module, name)
            for suffix in ("_u", "_v", "_orig"):
                delattr(module, name + suffix)
            module.register_parameter(name, Parameter(weight))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
