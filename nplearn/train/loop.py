"""One training loop for every rule: epochs of shuffled minibatches.

Each step asks the rule for update directions and hands them to the
optimiser (``p -= lr * g`` for SGD). The loop keeps a per-epoch history,
stops with :class:`DivergenceError` when the loss or a parameter leaves the finite
range (:mod:`nplearn.train.divergence`) and restores the last finished epoch, picks
the number of BLAS threads from the problem size (:mod:`nplearn.train.threads`),
shows a tqdm bar on a terminal and calls callbacks (``on_train_begin``,
``on_batch_end``, ``on_epoch_end``, ``on_train_end``) so analysis code can record
without touching rule internals.

The training error of an epoch is, by default, counted on the minibatch passes the
rule already made (``stats["n_errors"]``, with the weights of the moment and with
dropout), like ``train_loss``; ``eval_train=True`` adds a full forward pass over the
training set after the epoch instead. ``history["train_error_from"]`` says which.
"""
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from .divergence import PARAM_BOUND, DivergenceError, Snapshot, lower_lr_hint
from .memory import retain_freed_memory
from .threads import blas_threads as choose_threads, limited
from .validation import check_count, check_eval_sets, check_features, check_labels

HISTORY_KEYS = ("epoch", "lr", "train_loss", "train_error", "train_error_from", "val_loss",
                "val_error", "test_loss", "test_error", "time")
FROM_BATCHES, FROM_FULL_PASS = "minibatches", "full pass"


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


def train_step(model, rule, optimizer, x, Y, rng=None, trace=False, idx=None,
               bound=PARAM_BOUND, frozen=()):
    """One minibatch update; returns the rule's ``stats`` (``"loss"``, usually
    ``"n_errors"``), or the record of the step if ``trace``.

    A rule with ``steps_per_batch = k > 1`` (EFP's loop) is asked for updates ``k`` times
    on the batch, each applied before the next; the loss is the first's, and
    ``stats["last_call"]`` holds the last call's own stats (for EFP: at the free state of
    the loop's last iteration).

    With ``trace=True`` the same update is made and returned whole, as a
    :class:`~nplearn.rules.step_record.StepRecord`: the inputs, the trained arrays before, every
    intermediate under the paper's names with its equation, the rule's update directions,
    the change the optimiser applied and the arrays after
    (:func:`nplearn.train.traced.traced_step`).

    ``idx`` (the rows' indices in the training set) and the call number ``loop`` are passed
    to the rule, so a rule keeps no state it must recognise the batch by.

    ``frozen`` lists layers ``l`` whose ``W_l`` and ``b_l`` are not updated (their update
    directions are dropped before the optimiser, which then keeps no state for them): the
    first hidden layer "fixed to random weights" of DFA Sec. 4, Fig. 2 (left).

    Raises :class:`DivergenceError` if the loss is NaN or inf (before the update) or if the
    update leaves a parameter entry NaN, inf or beyond ``+-bound`` (after it: the
    parameters then hold the diverged values; :func:`train` restores them).

    The first call keeps freed heap memory in the process
    (:func:`~nplearn.train.memory.retain_freed_memory`): the large arrays of a step are then
    re-used instead of page-faulted in again at every step.
    """
    retain_freed_memory()
    frozen = {f"{p}{l}" for l in check_frozen(frozen, model) for p in "Wb"} if frozen else ()
    if trace:
        if frozen:
            raise ValueError("trace=True does not take frozen layers; trace without them")
        from .traced import traced_step             # the trace path, apart from training's
        return traced_step(model, rule, optimizer, x, Y, rng=rng, idx=idx, bound=bound)
    stats = {}
    x, Y = x.astype(model.dtype, copy=False), Y.astype(model.dtype, copy=False)  # no upcasting
    n_calls = getattr(rule, "steps_per_batch", 1)
    for k in range(n_calls):                        # > 1: EFP's loop, Sec. 3.2.2
        st = stats if k == 0 else {}                # the loss before this batch's first step
        if k and k == n_calls - 1:
            stats["last_call"] = st
        g = rule.updates(model, x, Y, rng=rng, trace=None, stats=st, idx=idx, loop=k)
        for key in frozen:
            g.pop(key, None)
        if not np.isfinite(st["loss"]):
            raise loss_diverged(st["loss"], optimizer)
        extra = rule.learned_params()               # e.g. trainable feedback weights
        bad = optimizer.step({**model.params, **extra} if extra else model.params, g,
                             bound=bound)
        if bad:
            raise params_diverged(bad, bound, st["loss"], optimizer)
    return stats


def check_frozen(frozen, model):
    """``frozen`` as a tuple of layer numbers ``1 .. L`` of ``model``; ValueError otherwise."""
    try:
        layers = tuple(frozen)
    except TypeError:
        layers = None
    L = model.n_layers
    if layers is None or not all(isinstance(l, (int, np.integer)) and not isinstance(l, bool)
                                 and 1 <= l <= L for l in layers):
        raise ValueError(f"frozen must be layer numbers in 1..{L} (1: the first hidden "
                         f"layer), e.g. (1,); got {frozen!r}")
    return layers


def loss_diverged(loss, optimizer):
    """The :class:`DivergenceError` of a NaN or infinite batch loss ``loss``."""
    return DivergenceError(f"the loss became {loss} at optimizer step {optimizer.t + 1}: "
                           f"training diverged. " + lower_lr_hint(optimizer))


def params_diverged(bad, bound, loss, optimizer):
    """The :class:`DivergenceError` of an update that left the parameters ``bad`` out of range."""
    return DivergenceError(f"optimizer step {optimizer.t} left {', '.join(bad)} with "
                           f"entries that are NaN, inf or beyond +-{bound:g} (the loss "
                           f"was {loss:.4g}): training diverged. " + lower_lr_hint(optimizer))


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
          eval_sets=None, callbacks=(), rng=None, eval_train=False, progress=None,
          history=None, blas_threads=None, bound=PARAM_BOUND, frozen=()):
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
        Both at least 1.
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
        ``False`` (default): the epoch's training error is counted on the minibatch passes
        already made (the weights of the moment, with dropout), at no cost. ``True``: a
        full forward pass over the training set after the epoch (one more forward pass per
        example). ``history["train_error_from"]`` records which.
    progress : bool, optional
        Show a progress bar; ``None``: only on a terminal.
    history : dict, optional
        Continue this history (``partial_fit``).
    blas_threads : int, optional
        BLAS threads during the run; ``None``: chosen from the problem size
        (:func:`nplearn.train.threads.blas_threads`). For a rule with ``row_halves`` (the spiking
        rules) they are the threads of its batch halves instead, BLAS at one
        (:func:`nplearn.train.threads.limited`).
    bound : float
        Divergence bound on the magnitude of every parameter entry
        (:data:`nplearn.train.divergence.PARAM_BOUND`).
    frozen : sequence of int
        Layers ``l`` whose ``W_l``, ``b_l`` stay as they are (:func:`train_step`); ``(1,)``
        freezes the first hidden layer (DFA Fig. 2, left).

    Returns
    -------
    dict
        Lists keyed by :data:`HISTORY_KEYS`; one entry per epoch.

    Raises
    ------
    DivergenceError
        The loss or a parameter left the finite range (:mod:`nplearn.train.divergence`).
        ``model``, ``rule``, ``optimizer`` and ``rng`` are first restored to the end of the
        last finished epoch; the error carries ``history`` (those epochs) and ``epoch``.
    """
    epochs = check_count(epochs, "epochs")
    batch_size = check_count(batch_size, "batch_size")
    X = check_features(X, model.sizes[0])
    y = check_labels(y, model.sizes[-1], X.shape[0])
    eval_sets = {k: (check_features(Xe, model.sizes[0], f"X_{k}"),
                     check_labels(ye, model.sizes[-1], len(Xe), f"y_{k}"))
                 for k, (Xe, ye) in check_eval_sets(eval_sets).items() if len(Xe)}
    X = X.astype(model.dtype, copy=False)
    Y = one_hot(y, model.sizes[-1], model.dtype)
    rng = np.random.default_rng(rng)
    frozen = check_frozen(frozen, model) if frozen else ()
    history = history if history is not None else {k: [] for k in HISTORY_KEYS}
    for k in HISTORY_KEYS:          # a history saved before a key existed
        history.setdefault(k, [None] * len(history["epoch"]))
    state = TrainState(model, rule, optimizer, history, epoch=len(history["epoch"]),
                       step=optimizer.t, n_batches=-(-X.shape[0] // batch_size))
    if blas_threads is None:
        blas_threads = choose_threads(model, batch_size)
    with limited(blas_threads, getattr(rule, "row_halves", False)), \
            np.errstate(over="ignore", invalid="ignore"):
        _call(callbacks, "on_train_begin", state)
        bar = tqdm(range(epochs), desc=f"{rule.name}", unit="epoch", disable=_quiet(progress),
                   leave=False)
        for _ in bar:
            good = Snapshot(model, rule, optimizer, rng)   # the end of the last finished epoch
            try:
                train_loss, n_wrong, seconds = _epoch(model, rule, optimizer, X, Y, batch_size,
                                                      schedule, rng, callbacks, state, bound,
                                                      frozen)
            except BaseException as err:   # diverged, interrupted (Ctrl-C) or failed
                good.restore(model, rule, optimizer, rng)
                state.step = optimizer.t
                if isinstance(err, DivergenceError):
                    err.history, err.epoch, err.restored = history, state.epoch, True
                    err.args = (f"{err.args[0]} nplearn restored the parameters, the rule's "
                                f"and the optimizer's state to the end of epoch {state.epoch}"
                                + (" (before training)." if state.epoch == 0 else "."),)
                raise
            if eval_train or n_wrong is None:
                train_error, source = evaluate(model, X, y)[1], FROM_FULL_PASS
            else:
                train_error, source = n_wrong / X.shape[0], FROM_BATCHES
            _record(history, state, optimizer.lr, train_loss, train_error, source, seconds,
                    eval_sets)
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.4f}",
                            val=_fmt(history["val_error"][-1]))
            state.epoch += 1
            _call(callbacks, "on_epoch_end", state)
        _call(callbacks, "on_train_end", state)
    return history


def _epoch(model, rule, optimizer, X, Y, batch_size, schedule, rng, callbacks, state, bound,
           frozen=()):
    """One pass over the shuffled training set: ``(mean loss, errors or None, seconds)``."""
    optimizer.lr = optimizer.base_lr * (schedule(state.epoch) if schedule else 1.0)
    t0, loss_sum, n_wrong = time.perf_counter(), 0.0, 0
    order = rng.permutation(X.shape[0])
    for i in range(0, X.shape[0], batch_size):
        idx = order[i:i + batch_size]
        state.batch = (X[idx], Y[idx])
        stats = train_step(model, rule, optimizer, *state.batch, rng=rng, idx=idx, bound=bound,
                           frozen=frozen)
        loss_sum += stats["loss"] * idx.shape[0]
        n_wrong = None if n_wrong is None or "n_errors" not in stats else n_wrong + stats["n_errors"]
        state.step += 1
        _call(callbacks, "on_batch_end", state)
    return loss_sum / X.shape[0], n_wrong, time.perf_counter() - t0


def _record(history, state, lr, train_loss, train_error, source, seconds, eval_sets):
    history["epoch"].append(state.epoch + 1)
    history["lr"].append(lr)
    history["train_loss"].append(train_loss)
    history["time"].append(seconds)
    history["train_error"].append(train_error)
    history["train_error_from"].append(source)
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
