"""One training loop for every rule: epochs of shuffled minibatches.

Each step asks the rule for update directions and hands them to the
optimiser (``p -= lr * g`` for SGD). The loop keeps a per-epoch history,
stops with :class:`DivergenceError` on a non-finite loss, shows a tqdm bar on
a terminal and calls callbacks (``on_train_begin``, ``on_batch_end``,
``on_epoch_end``, ``on_train_end``) so analysis code can record without touching rule internals.
"""
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from .validation import check_features, check_labels

HISTORY_KEYS = ("epoch", "lr", "train_loss", "train_error", "val_loss", "val_error",
                "test_loss", "test_error", "time")


class DivergenceError(FloatingPointError):
    """The loss became NaN or inf: training diverged."""


def one_hot(y, n_classes, dtype=np.float64):
    """``(n,)`` class indices -> ``(n, n_classes)`` one-hot targets."""
    Y = np.zeros((y.shape[0], n_classes), dtype)
    Y[np.arange(y.shape[0]), y] = 1
    return Y


def evaluate(model, X, y, chunk=4096):
    """Mean loss ``J`` and error rate of ``model`` on ``(X, y)``, without dropout."""
    Y = one_hot(y, model.sizes[-1], model.dtype)
    loss, wrong = 0.0, 0
    for i in range(0, X.shape[0], chunk):
        a = model.logits(X[i:i + chunk])
        loss += model.loss.loss(a, Y[i:i + chunk]) * a.shape[0]
        wrong += int(np.sum(a.argmax(1) != y[i:i + chunk]))
    return loss / X.shape[0], wrong / X.shape[0]


def train_step(model, rule, optimizer, x, Y, rng=None, trace=False, idx=None):
    """One minibatch update; returns the batch loss, or the full trace if ``trace``.

    A rule with ``steps_per_batch = k > 1`` (EFP's loop) is asked for updates ``k`` times
    on the batch, each applied before the next; the loss and the trace are the first's.

    With ``trace=True`` the returned dict holds every intermediate under the
    paper's names (``a_1, h_1, e, delta_1, dW_1, ...``, see
    :func:`nplearn.rules.base.fill_trace`) plus ``"loss"``.

    ``idx`` (the rows' indices in the training set) and the call number ``loop`` are passed
    to the rule, so a rule keeps no state it must recognise the batch by.
    """
    stats, tr = {}, ({} if trace else None)
    x, Y = x.astype(model.dtype, copy=False), Y.astype(model.dtype, copy=False)  # no upcasting
    for k in range(getattr(rule, "steps_per_batch", 1)):   # > 1: EFP's loop, Sec. 3.2.2
        st = stats if k == 0 else {}                # the loss before this batch's first step
        g = rule.updates(model, x, Y, rng=rng, trace=tr if k == 0 else None, stats=st,
                         idx=idx, loop=k)
        if not np.isfinite(st["loss"]):
            raise DivergenceError(
                f"the loss became {st['loss']} at optimizer step {optimizer.t + 1}: training "
                f"diverged. Lower the learning rate (now {optimizer.lr:g}), e.g. to "
                f"{optimizer.lr / 10:g}.")
        extra = rule.learned_params()               # e.g. trainable feedback weights
        optimizer.step({**model.params, **extra} if extra else model.params, g)
    if trace:
        tr["loss"] = stats["loss"]
        return tr
    return stats


@dataclass
class TrainState:
    """What callbacks see: the live objects and the running counters."""

    model: object
    rule: object
    optimizer: object
    history: dict
    epoch: int = 0
    step: int = 0
    n_batches: int = 1
    batch: tuple = field(default=None, repr=False)


def train(model, rule, optimizer, X, y, *, epochs=20, batch_size=64, schedule=None,
          eval_sets=None, callbacks=(), rng=None, eval_train=True, progress=None,
          history=None):
    """Train ``model`` with ``rule`` and ``optimizer``; return the history dict.

    Parameters
    ----------
    model : MLP
    rule : LearningRule
        Already ``setup`` for ``model``.
    optimizer : Optimizer
    X : ndarray of shape (n, n_0)
    y : ndarray of shape (n,)
        Class indices in ``[0, n_L)``.
    epochs, batch_size : int
    schedule : callable, optional
        ``epoch -> factor``; the lr of epoch ``k`` is ``base_lr * schedule(k)``.
    eval_sets : dict, optional
        ``{"val": (X, y), "test": (X, y)}`` evaluated after every epoch (never
        used for any decision here).
    callbacks : sequence
        Objects with any of ``on_train_begin(state)``, ``on_batch_end(state)``,
        ``on_epoch_end(state)``, ``on_train_end(state)`` (``state`` is a :class:`TrainState`).
    rng : numpy.random.Generator
        Shuffling and dropout.
    eval_train : bool
        Also evaluate the error on the whole training set each epoch.
    progress : bool, optional
        Show a progress bar; ``None``: only on a terminal.
    history : dict, optional
        Continue this history (``partial_fit``).

    Returns
    -------
    dict
        Lists keyed by :data:`HISTORY_KEYS`; one entry per epoch.
    """
    X = check_features(X, model.sizes[0])
    y = check_labels(y, model.sizes[-1], X.shape[0])
    if int(batch_size) < 1 or int(epochs) < 0:
        raise ValueError(f"batch_size must be >= 1 and epochs >= 0, got {batch_size}, {epochs}")
    eval_sets = {k: (check_features(Xe, model.sizes[0], f"X_{k}"),
                     check_labels(ye, model.sizes[-1], len(Xe), f"y_{k}"))
                 for k, (Xe, ye) in (eval_sets or {}).items() if len(Xe)}
    X = X.astype(model.dtype, copy=False)
    Y = one_hot(y, model.sizes[-1], model.dtype)
    rng = np.random.default_rng(rng)
    history = history if history is not None else {k: [] for k in HISTORY_KEYS}
    state = TrainState(model, rule, optimizer, history, epoch=len(history["epoch"]),
                       step=optimizer.t, n_batches=-(-X.shape[0] // int(batch_size)))
    _call(callbacks, "on_train_begin", state)
    bar = tqdm(range(epochs), desc=f"{rule.name}", unit="epoch", disable=_quiet(progress),
               leave=False)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in bar:
            optimizer.lr = optimizer.base_lr * (schedule(state.epoch) if schedule else 1.0)
            t0, loss_sum = time.perf_counter(), 0.0
            order = rng.permutation(X.shape[0])
            for i in range(0, X.shape[0], batch_size):
                idx = order[i:i + batch_size]
                state.batch = (X[idx], Y[idx])
                try:
                    stats = train_step(model, rule, optimizer, *state.batch, rng=rng, idx=idx)
                except DivergenceError as err:
                    err.history = history    # the epochs finished before the blow-up
                    raise
                loss_sum += stats["loss"] * idx.shape[0]
                state.step += 1
                _call(callbacks, "on_batch_end", state)
            _record(history, state, optimizer.lr, loss_sum / X.shape[0],
                    time.perf_counter() - t0, (X, y) if eval_train else None, eval_sets)
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.4f}",
                            val=_fmt(history["val_error"][-1]))
            state.epoch += 1
            _call(callbacks, "on_epoch_end", state)
    _call(callbacks, "on_train_end", state)
    return history


def _record(history, state, lr, train_loss, seconds, train_set, eval_sets):
    history["epoch"].append(state.epoch + 1)
    history["lr"].append(lr)
    history["train_loss"].append(train_loss)
    history["time"].append(seconds)
    history["train_error"].append(evaluate(state.model, *train_set)[1] if train_set else None)
    for k in ("val", "test"):
        loss, err = evaluate(state.model, *eval_sets[k]) if k in eval_sets else (None, None)
        history[f"{k}_loss"].append(loss)
        history[f"{k}_error"].append(err)


def _call(callbacks, hook, state):
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None:
            fn(state)


def _quiet(progress):
    return None if progress is None else not progress


def _fmt(v):
    return "-" if v is None else f"{v:.3f}"
