"""Training: build a network with its rule, the loop, checkpoints and input checks."""
from .build import build
from .checkpoint import atomic_write, load_checkpoint, save_checkpoint
from .loop import (HISTORY_KEYS, DivergenceError, TrainState, evaluate, one_hot, train,
                   train_step)
from .validation import check_features, check_hidden_sizes, check_labels

__all__ = ["build", "atomic_write", "load_checkpoint", "save_checkpoint", "HISTORY_KEYS",
           "DivergenceError", "TrainState", "evaluate", "one_hot", "train", "train_step",
           "check_features", "check_hidden_sizes", "check_labels"]
