"""Instruments for watching training, each attached in one line and each with a ``history``
and a ``plot(ax=None)`` (matplotlib, optional): ``GradientNorms`` (per parameter and layer,
before and after clipping), ``ActivationStats`` (forward hooks: mean, spread, saturation,
dead units), ``LayerHistograms`` (per-layer histograms of activations and their
gradients), ``GradientDataRatios`` and ``UpdateRatios`` (gradient and update against the
data, per parameter), ``initial_loss_check`` (the first loss against -ln(1/C)),
``LearningRates`` (per optimizer step), ``schedule_preview`` and
``plot_schedule`` (any scheduler's curve without a model), and ``sweep`` (a grid of runs as
a table), ``lr_find`` (Smith's learning-rate range test), and ``environment``
(versions, backend, BLAS kernel and threads, to print first). Nothing here costs anything
until it is attached."""

from minigrad.diagnostics.activations import ActivationStats
from minigrad.diagnostics.environment import environment
from minigrad.diagnostics.gradients import GradientNorms
from minigrad.diagnostics.histograms import LayerHistograms
from minigrad.diagnostics.initial_loss import initial_loss_check
from minigrad.diagnostics.lr_finder import lr_find
from minigrad.diagnostics.ratios import GradientDataRatios, UpdateRatios
from minigrad.diagnostics.schedules import LearningRates, plot_schedule, schedule_preview
from minigrad.diagnostics.sweep import sweep

__all__ = ["ActivationStats", "GradientNorms", "environment", "LearningRates", "plot_schedule",
           "schedule_preview", "sweep", "lr_find",
           "LayerHistograms", "GradientDataRatios", "UpdateRatios", "initial_loss_check"]
