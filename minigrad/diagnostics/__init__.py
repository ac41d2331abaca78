"""Instruments for watching training, each attached in one line and each with a ``history``
and a ``plot(ax=None)`` (matplotlib, optional): ``GradientNorms`` (per parameter and layer,
before and after clipping), ``ActivationStats`` (forward hooks: mean, spread, saturation,
dead units), ``LearningRates`` (per optimizer step), ``schedule_preview`` and
``plot_schedule`` (any scheduler's curve without a model), and ``sweep`` (a grid of runs as
a table). Nothing here costs anything until it is attached."""

from minigrad.diagnostics.activations import ActivationStats
from minigrad.diagnostics.gradients import GradientNorms
from minigrad.diagnostics.schedules import LearningRates, plot_schedule, schedule_preview
from minigrad.diagnostics.sweep import sweep

__all__ = ["ActivationStats", "GradientNorms", "LearningRates", "plot_schedule",
           "schedule_preview", "sweep"]
