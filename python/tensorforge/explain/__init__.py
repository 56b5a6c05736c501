"""Explanations from autograd (``tensorforge.explain``): which input features a prediction
depends on.

- ``saliency(model, x, target)``: |d score / d input|, max over channels.
- ``smoothgrad(model, x, target)``: saliency averaged over noisy copies of the input.
- ``integrated_gradients(model, x, target, baseline, steps)``: path-integrated gradients whose
  attributions sum to ``f(x) - f(baseline)``.
- ``save_overlay(image, attribution, path)``: a PNG heat map over the image.

Each works on any differentiable model, in eval mode, without touching the parameters' ``.grad``.
"""
from .attribution import integrated_gradients, saliency, smoothgrad
from .overlay import save_overlay

__all__ = ["saliency", "smoothgrad", "integrated_gradients", "save_overlay"]
