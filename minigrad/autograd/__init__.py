"""Automatic differentiation: ``Function``, the backward engine, tensor hooks, grad and
inference mode, gradcheck and anomaly detection."""

from minigrad.autograd.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from minigrad.autograd.engine import backward, grad
from minigrad.autograd.function import Context, Function
from minigrad.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.autograd.gradcheck import GradcheckError, gradcheck

__all__ = ["AnomalyError", "Context", "Function", "GradcheckError", "backward",
           "detect_anomaly", "enable_grad", "grad", "gradcheck", "inference_mode",
           "is_anomaly_enabled", "is_grad_enabled", "is_inference_mode_enabled", "no_grad",
           "set_grad_enabled"]
