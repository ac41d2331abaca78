"""Learning-rate schedules with PyTorch's names, arguments and sequences."""

# NOTE: PyTorch's module has the warning's text too, outside its __all__
from minigrad.optim.lr_scheduler.base import (
    EPOCH_DEPRECATION_WARNING as EPOCH_DEPRECATION_WARNING,
)
from minigrad.optim.lr_scheduler.base import LRScheduler
from minigrad.optim.lr_scheduler.cyclic import (
    CosineAnnealingWarmRestarts,
    CyclicLR,
    OneCycleLR,
)
from minigrad.optim.lr_scheduler.plateau import ReduceLROnPlateau
from minigrad.optim.lr_scheduler.sequential import ChainedScheduler, SequentialLR
from minigrad.optim.lr_scheduler.simple import (
                                                ConstantLR,
                                                CosineAnnealingLR,
                                                ExponentialLR,
                                                LambdaLR,
                                                LinearLR,
                                                MultiplicativeLR,
                                                MultiStepLR,
                                                PolynomialLR,
                                                StepLR,
)

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR",
           "PolynomialLR", "CosineAnnealingLR", "LambdaLR", "MultiplicativeLR", "CyclicLR",
           "OneCycleLR", "CosineAnnealingWarmRestarts", "ReduceLROnPlateau", "SequentialLR",
           "ChainedScheduler"]
