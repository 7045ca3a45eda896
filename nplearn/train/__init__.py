"""Training: build a network with its rule, the loop, checkpoints and input checks."""
from .build import build
from .checkpoint import atomic_write, load_checkpoint, save_checkpoint
from .divergence import PARAM_BOUND, DivergenceError
from .loop import HISTORY_KEYS, TrainState, evaluate, one_hot, train, train_step
from .threads import blas_threads
from .validation import check_count, check_features, check_hidden_sizes, check_labels

__all__ = ["build", "atomic_write", "load_checkpoint", "save_checkpoint", "HISTORY_KEYS",
           "DivergenceError", "PARAM_BOUND", "TrainState", "blas_threads", "evaluate",
           "one_hot", "train", "train_step", "check_count", "check_features",
           "check_hidden_sizes", "check_labels"]
