"""DFA paper, Fig. 2 (left): pre-train with the first hidden layer frozen, then unfreeze it.

Nøkland 2016, Sec. 4: "A 3x50 tanh network was trained on MNIST. The first hidden layer was
fixed to random weights, but the 2 hidden layers above were trained with BP for 50 epochs.
At this point, the training error was about 5%. Then, the first hidden layer was unfreezed and
training continued with BP. The training error decreased to 0% in about 50 epochs. The last
step was repeated, but this time the unfreezed layer was trained with DFA. As expected because
of different update directions, the error first increased, then decreased to 0% after about 50
epochs."

>>> from nplearn.experiments.frozen_layer import frozen_layer, plot_frozen_layer
>>> result = frozen_layer(scale="cpu")                  # doctest: +SKIP
>>> plot_frozen_layer(result)                           # doctest: +SKIP

One pre-training (BP, ``frozen=(1,)`` of :func:`nplearn.train.train`), then three
continuations of that same state (weights and optimiser state copied), every layer trainable:

``bp``
    BP everywhere (the paper's first continuation);
``dfa_layer1``
    the unfrozen layer with DFA, ``delta_1 = (B_1 e) ⊙ f'(a_1)`` (Eq. 8), the layers above
    with BP, ``delta_l = (W_{l+1}^T delta_{l+1}) ⊙ f'(a_l)`` (Eq. 6): our reading of "the
    unfreezed layer was trained with DFA";
``dfa``
    DFA in every hidden layer (Eq. 8), the other reading.

The paper prints no learning rate, loss or optimiser for this figure; both scales use Sec. 4's
binary cross-entropy, RMSprop and minibatches of 64, and BP's default initialisation
``U(+-1/sqrt(fan_in))`` as the "random weights". ``cpu``: the bundled digits (1293 training
images), the paper's 50 + 50 epochs, learning rate 1e-3 (the frozen phase then ends at a few
% training error, as the paper's "about 5%"; at 3e-3 it ends near 0 % and the continuations
are noisy); ``full``: MNIST at 1e-4 (paper_settings' DFA rate; not measured).
``nplearn reproduce dfa-fig2-left`` runs it and writes the figure (:func:`run`).
"""
import copy

import numpy as np

from ..data import load_dataset
from ..optim import get_optimizer
from ..rules import BP, DFA
from ..train import build, train
from .figure_runs import write_figure_run

SCALES = {"cpu": {"dataset": "digits", "learning_rate": 1e-3},
          "full": {"dataset": "mnist", "learning_rate": 1e-4}}
CONTINUATIONS = ("bp", "dfa_layer1", "dfa")
LABELS = {"bp": "BP", "dfa_layer1": "DFA in layer 1, BP above", "dfa": "DFA in every layer"}


class DFAFirstLayer(DFA):
    """DFA's Eq. (8) in the first hidden layer, BP's Eq. (6) in the layers above it."""

    name = "dfa_layer1"

    def deltas(self, model, fwd, e):
        delta = BP().deltas(model, fwd, e)                        # DFA Eq. (6) (BP) above
        delta[1] = model.through_f(1, e @ self.B_["B1"].T, fwd)   # DFA Eq. (8): (B_1 e) ⊙ f'(a_1)
        return delta


def frozen_layer(scale="cpu", seed=0, epochs=(50, 50), hidden_sizes=(50, 50, 50),
                 learning_rate=None, data_dir=None, progress=False):
    """Run the experiment of Fig. 2 (left); return the training-error curves.

    Parameters
    ----------
    scale : {"cpu", "full"}
        ``cpu``: digits; ``full``: MNIST (``data_scripts/download.py``).
    seed : int
        Seeds the weights, the feedback matrices, shuffling (the same for every continuation).
    epochs : (int, int)
        Epochs frozen, then epochs of each continuation (the paper: 50 and 50).
    hidden_sizes : tuple of int
        The paper's 3x50.
    learning_rate : float, optional
        RMSprop's; ``None``: the scale's (module doc).
    data_dir : str or path-like, optional
    progress : bool

    Returns
    -------
    dict
        ``scale, dataset, seed, hidden_sizes, learning_rate, epochs``; ``frozen`` (the
        pre-training's history) and ``continued`` (continuation -> its history), histories as
        :func:`nplearn.train.train` returns them (``train_error`` from a full pass after
        every epoch); ``W1_unchanged`` (whether the frozen layer's weights and bias ended the
        pre-training exactly as initialised).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    s = SCALES[scale]
    lr = s["learning_rate"] if learning_rate is None else learning_rate
    d = load_dataset(s["dataset"], data_dir=data_dir)
    rng = np.random.default_rng(seed)
    model, rule = build("bp", d.x_train.shape[1], d.n_classes, hidden_sizes, "tanh",
                        "logistic_bce", "uniform_fan_in", rng=rng)
    start = {k: model.params[k].copy() for k in ("W1", "b1")}
    opt = get_optimizer("rmsprop", lr)
    common = {"batch_size": 64, "eval_sets": {"test": (d.x_test, d.y_test)}, "eval_train": True,
              "progress": progress}
    frozen = train(model, rule, opt, d.x_train, d.y_train, epochs=epochs[0], rng=rng,
                   frozen=(1,), **common)
    unchanged = all(np.array_equal(model.params[k], v) for k, v in start.items())
    continued = {}
    for name in CONTINUATIONS:
        m, o = copy.deepcopy(model), copy.deepcopy(opt)
        cont = {"bp": BP, "dfa_layer1": DFAFirstLayer, "dfa": DFA}[name]()
        cont.setup(m, np.random.default_rng(seed + 1))            # B_l of DFA Eq. (8)
        continued[name] = train(m, cont, o, d.x_train, d.y_train, epochs=epochs[1],
                                rng=np.random.default_rng(seed + 2), **common)  # same order
    return {"scale": scale, "dataset": d.name, "seed": seed, "hidden_sizes": tuple(hidden_sizes),
            "learning_rate": lr, "epochs": tuple(epochs), "frozen": frozen,
            "continued": continued, "W1_unchanged": unchanged}


def plot_frozen_layer(result):
    """Training error (%) against epoch: the frozen phase, then each continuation after it
    (a dotted line where the first layer is unfrozen); a :class:`~matplotlib.figure.Figure`."""
    from ..plot import style

    n0 = len(result["frozen"]["epoch"])
    with style.context():
        fig, ax = style.new_figure(panel_size=(5.0, 3.2))
        ax = np.atleast_1d(ax)[0]
        ax.plot(result["frozen"]["epoch"], 100 * np.array(result["frozen"]["train_error"]),
                color=style.PALETTE["black"], ls="--", label="BP, layer 1 frozen")
        colors = {"bp": "black", "dfa_layer1": "blue", "dfa": "vermillion"}
        for name, h in result["continued"].items():
            x = [n0] + [n0 + e for e in h["epoch"]]
            y = [result["frozen"]["train_error"][-1]] + list(h["train_error"])
            ax.plot(x, 100 * np.array(y), color=style.PALETTE[colors[name]], label=LABELS[name])
        ax.axvline(n0, color="0.6", ls=":", lw=1)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training error (%)")
        ax.set_title(f"DFA Fig. 2 (left) at {result['scale']} scale: {_net(result)} tanh on "
                     f"{result['dataset']}, seed {result['seed']}")
        ax.legend(frameon=False)
    return fig


def summary(result):
    """Training error (%) at the end of the frozen phase and, per continuation, after its
    first epoch, its peak, the epoch it first reaches 0 (``None`` if never) and its last."""
    out = {"frozen_end": 100 * result["frozen"]["train_error"][-1]}
    for name, h in result["continued"].items():
        err = 100 * np.array(h["train_error"])
        zero = np.flatnonzero(err == 0)
        out[name] = {"first": float(err[0]), "peak": float(err.max()), "first_zero_epoch":
                     int(h["epoch"][zero[0]]) if zero.size else None, "last": float(err[-1])}
    return out


def run(out_dir, scale="cpu", seed=0, epochs=None, data_dir=None, progress=False):
    """Run :func:`frozen_layer` and write ``out_dir/frozen_layer.{png,svg}``, ``result.json``
    (the histories) and ``summary.md``; return ``(result, markdown, files)``. ``epochs``:
    ``None`` for the paper's 50 + 50, ``n`` for ``n`` frozen then ``n`` more, or a pair."""
    epochs = (50, 50) if epochs is None else (epochs, epochs) if np.isscalar(epochs) else epochs
    result = frozen_layer(scale, seed=seed, epochs=epochs, data_dir=data_dir, progress=progress)
    markdown = format_markdown(result)
    files = write_figure_run(out_dir, "frozen_layer", result, plot_frozen_layer(result), markdown)
    return result, markdown, files


def format_markdown(result):
    """A Markdown table of :func:`summary`, beside what the paper says."""
    s = summary(result)
    paper = {"bp": "decreases to 0 % in about 50 epochs",
             "dfa_layer1": "first increases, then decreases to 0 % after about 50 epochs",
             "dfa": "(the same sentence, read as DFA in every layer)"}
    zero = lambda e: "never" if e is None else f"epoch {e}"     # noqa: E731
    lines = [f"DFA Fig. 2 (left), {result['scale']} scale ({result['dataset']}, "
             f"{_net(result)} tanh, RMSprop {result['learning_rate']:g}, seed {result['seed']}): "
             f"training error after {result['epochs'][0]} epochs with layer 1 frozen "
             f"{s['frozen_end']:.2f} % "
             "(paper: about 5 %).", "",
             "| continuation | paper | 1st epoch (%) | peak (%) | reaches 0 % | last (%) |",
             "|---|---|---|---|---|---|"]
    for name in result["continued"]:
        c = s[name]
        lines.append(f"| {LABELS[name]} | {paper[name]} | {c['first']:.2f} | {c['peak']:.2f} | "
                     f"{zero(c['first_zero_epoch'])} | {c['last']:.2f} |")
    return "\n".join(lines) + "\n"


def _net(result):
    """``"3x50"`` for hidden sizes ``(50, 50, 50)``; ``"64-32"`` if the widths differ."""
    h = result["hidden_sizes"]
    return f"{len(h)}x{h[0]}" if len(set(h)) == 1 else "-".join(map(str, h))
