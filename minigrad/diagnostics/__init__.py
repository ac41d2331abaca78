"""Instruments for watching training, each attached in one line and each with a ``history``
and a ``plot(ax=None)`` (matplotlib, optional): ``GradientNorms`` (per parameter and layer,
before and after clipping), ``ActivationStats`` (forward hooks: mean, spread, saturation,
dead units), ``LearningRates`` (per optimizer step), ``schedule_preview`` and
``plot_schedule`` (any scheduler's curve without a model), and ``sweep`` (a grid of runs as
a table), and ``environment`` (versions, backend, BLAS kernel and threads, to print
first). Nothing here costs anything until it is attached."""

from minigrad.diagnostics.activations import ActivationStats
from minigrad.diagnostics.environment import environment
from minigrad.diagnostics.gradients import GradientNorms
from minigrad.diagnostics.schedules import LearningRates, plot_schedule, schedule_preview
from minigrad.diagnostics.sweep import sweep

__all__ = ["ActivationStats", "GradientNorms", "environment", "LearningRates", "plot_schedule",
           "schedule_preview", "sweep"]
