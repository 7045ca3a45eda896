"""Optimisers (SGD with momentum, RMSprop, Adam) and learning-rate schedules."""
from .optimizers import OPTIMIZERS, SGD, Adam, Optimizer, RMSprop, get_optimizer
from .schedules import Constant, Cosine, MultiStep, get_schedule

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Optimizer", "RMSprop", "get_optimizer",
           "Constant", "Cosine", "MultiStep", "get_schedule"]
