"""EFP paper, Sec. 5.2: how long a free phase FP and EP need, against the network's depth.

Kohan, Rietman & Siegelmann 2018, Sec. 5.2: "We explore how holding the network parameters
fixed during the free and clamped phases effects the length of the relaxation period ... we
proposed updating the network parameters in sequence with the forward and backward phases as
part of a larger phase. ... Our experiments show that the lengthy relaxation to a fixed point
during the free phase previously found in [EP] can be considerably shortened to a small
multiple of the network's length. The growth of the relation period in the free phase is
linear as compared to the seemingly polynomial growth in the EP learning algorithm. For a
network with three hidden layers on MNIST, a free phase of twenty iterations and a loop of two
iterations takes about a fifth of the time per epoch, converges faster, and achieves the same
or better performance than with the EP learning algorithm."

>>> from nplearn.experiments.relaxation import relaxation, plot_relaxation
>>> result = relaxation(scale="cpu")                    # doctest: +SKIP
>>> plot_relaxation(result)                             # doctest: +SKIP

For every depth (1, 2 and 3 hidden layers) and every free-phase length ``n_free`` of its
grid, one net is trained from the same seed (the same initial weights per depth, the same
minibatch order) by

``fp``
    rule ``efp`` (the loop network, EFP's own update Eq. 6) with ``num_loops=2``: Sec. 3.2.2's
    loop, the weights updated after each of its two {free, clamped} iterations;
``ep``
    rule ``ep`` (free and nudged phases, Eq. 5, the weights held fixed through both).

and the validation error after the last epoch and the seconds per epoch are recorded.
:func:`shortest_within` then gives, per depth and algorithm, the shortest ``n_free`` whose
validation error is within ``margin`` of the best of that algorithm's grid at that depth.

Decisions
---------
* **Only n_free varies.** Everything else is each rule's default for the depth: EP its
  :data:`nplearn.rules.ep.DEPTH_DEFAULTS` ``n_clamped`` (4 / 6 / 8), ``beta`` (1 / 2 / 2, a
  random sign each batch), per-layer rates and persistent particles, SGD at the rule's
  ``learning_rate=2``; FP ``n_clamped=8``, ``beta=1``, EFP Table 1's
  rates (the first two for one hidden layer), the loop fixed, SGD ``learning_rate=3``. EP's
  own free-phase defaults (20 / 150 / 500 steps) are not used: they are what is measured.
* **Prediction** follows the free phase, as each rule predicts: EP after ``5 n_free`` free
  steps from zero, FP after ``2 n_free`` (its two free phases run on end). So the validation
  error measures the algorithm at that free-phase length, training and prediction together.
* **Grids**: FP ``n_free`` in 2, 4, ..., 64 (up to 128 Euler steps of free phase per
  minibatch in the loop's two iterations); EP the same grid extended to 512 (past its
  three-hidden-layer default of 500). Lengths are counted as the paper does, per free phase:
  FP's loop runs two of them per minibatch.
* **The error compared** is the mean validation error of the last ``last=2`` epochs (144
  digits validation images are 0.69 % each, and one epoch's error is noisy); a diverged run
  (:class:`nplearn.train.DivergenceError`) counts as never within the margin.
* **The margin** is ``margin=0.02`` (2 percentage points) above the best run of the same
  algorithm and depth; "shortest" is then the smallest grid length within it. The paper
  states no margin; it compares lengths at equal performance.
* **Seconds per epoch** are the training time of an epoch (:func:`nplearn.train.train`'s
  ``history["time"]``, evaluation excluded), the median over the epochs, at 1 BLAS thread.
  They depend on the load of the machine, which is recorded with the result only as the
  numbers themselves. The paper's "a fifth of the time per epoch" (three hidden layers, FP
  with 20 free steps and a loop of two against EP's 500) is compared as FP at ``n_free=16``
  against EP at 512, the nearest grid points.
* **Epochs**: 20 (minibatches of 20, the EP reference code's and Fig. 4's), so that at
  ``cpu`` scale the whole grid, 3 depths x (6 + 9) runs, takes about 4 minutes at 1 BLAS
  thread (3 min 49 s measured, on a 2-core machine at load 8; one seed only). The three-hidden-layer nets are
  still learning after 20 epochs (the EP reference code trains its three-hidden-layer net
  for 500), so the best error is the best after 20 epochs, not at convergence: a length
  that learns faster counts as better, which is part of the paper's "converges faster".

``cpu``: the bundled digits (1293 training, 144 validation images), hidden layers of 100
units; ``full``: MNIST, 10,000 training images held out for validation, hidden layers of 500
(the EP reference code's width), not measured here.
``nplearn reproduce efp-relaxation`` runs it and writes the figure (:func:`run`).
"""
import numpy as np

from ..data import load_dataset
from ..optim import get_optimizer
from ..train import DivergenceError, build, train
from .figure_runs import write_figure_run

SCALES = {"cpu": {"dataset": "digits", "width": 100, "validation_size": 0.1, "epochs": 20},
          "full": {"dataset": "mnist", "width": 500, "validation_size": 10000, "epochs": 20}}
DEPTHS = (1, 2, 3)
#: Free-phase lengths per algorithm (module doc).
GRIDS = {"fp": (2, 4, 8, 16, 32, 64), "ep": (2, 4, 8, 16, 32, 64, 128, 256, 512)}
#: The two algorithms: rule and the parameters besides ``n_free``.
ALGORITHMS = {"fp": ("efp", {"num_loops": 2}), "ep": ("ep", {})}
LABELS = {"fp": "FP (efp, loop of 2)", "ep": "EP"}
MARGIN = 0.02
LAST = 2
BATCH_SIZE = 20


def relaxation(scale="cpu", seed=0, epochs=None, depths=DEPTHS, grids=None, width=None,
               data_dir=None, progress=False):
    """Train FP and EP at every free-phase length of their grids, for every depth.

    Parameters
    ----------
    scale : {"cpu", "full"}
        ``cpu``: digits, hidden layers of 100; ``full``: MNIST, of 500 (module doc).
    seed : int
        Seeds the weights (the same draw for every run of a depth), the minibatch order and
        EP's sign of beta (the same for every run).
    epochs : int, optional
        ``None``: the scale's (20).
    depths : sequence of int
        Numbers of hidden layers.
    grids : dict, optional
        Algorithm -> ``n_free`` values; ``None``: :data:`GRIDS`. An algorithm left out is
        not run.
    width : int, optional
        Units per hidden layer; ``None``: the scale's.
    data_dir : str or path-like, optional
    progress : bool

    Returns
    -------
    dict
        ``scale, dataset, seed, epochs, width, depths, batch_size, n_train, n_val, grids``,
        ``settings`` (algorithm -> depth -> the rule, its parameters without ``n_free`` and
        its learning rate) and ``runs``: algorithm -> depth (a string, for JSON) -> one entry
        per grid length, in grid order: ``n_free``, ``val_error`` and ``train_error`` (per
        epoch), ``seconds`` (training time per epoch), ``diverged``.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    s = SCALES[scale]
    epochs = s["epochs"] if epochs is None else int(epochs)
    width = s["width"] if width is None else int(width)
    grids = {k: tuple(int(n) for n in v) for k, v in (GRIDS if grids is None else grids).items()}
    unknown = set(grids) - set(ALGORITHMS)
    if unknown:
        raise ValueError(f"grids has unknown algorithms {sorted(unknown)}; "
                         f"known: {', '.join(ALGORITHMS)}")
    d = load_dataset(s["dataset"], data_dir=data_dir, validation_size=s["validation_size"])
    runs, settings = {}, {}
    for name, grid in grids.items():
        rule_name, params = ALGORITHMS[name]
        runs[name], settings[name] = {}, {}
        for depth in depths:
            hidden = (width,) * int(depth)
            runs[name][str(depth)] = []
            for n_free in grid:
                model, rule = build(rule_name, d.x_train.shape[1], d.n_classes, hidden,
                                    rng=np.random.default_rng(seed),
                                    rule_params={**params, "n_free": n_free})
                rule.prepare(model, d.x_train)
                lr = rule.defaults["learning_rate"]
                dyn = rule.dynamics()
                settings[name][str(depth)] = {
                    "rule": rule_name, "rule_params": dict(params), "learning_rate": lr,
                    "optimizer": "sgd", "lr_layers": rule.rates_,
                    **{k: v for k, v in dyn.items() if k != "n_free"}}
                try:
                    h = train(model, rule, get_optimizer("sgd", lr), d.x_train, d.y_train,
                              epochs=epochs, batch_size=BATCH_SIZE,
                              eval_sets={"val": (d.x_val, d.y_val)},
                              rng=np.random.default_rng([seed, 1]), blas_threads=1,
                              progress=progress)
                    diverged = False
                except DivergenceError as err:
                    h, diverged = err.history, True
                runs[name][str(depth)].append(
                    {"n_free": n_free, "val_error": list(h["val_error"]),
                     "train_error": list(h["train_error"]), "seconds": list(h["time"]),
                     "diverged": diverged})
    return {"scale": scale, "dataset": d.name, "seed": seed, "epochs": epochs, "width": width,
            "depths": tuple(int(k) for k in depths), "batch_size": BATCH_SIZE,
            "n_train": int(d.x_train.shape[0]), "n_val": int(d.x_val.shape[0]),
            "grids": grids, "settings": settings, "runs": runs}


def final_error(entry, last=LAST):
    """The mean validation error of the run's last ``last`` epochs; ``inf`` if it diverged
    or recorded fewer epochs."""
    v = entry["val_error"]
    if entry["diverged"] or len(v) < last or any(e is None for e in v[-last:]):
        return float("inf")
    return float(np.mean(v[-last:]))


def shortest_within(n_free, errors, margin=MARGIN):
    """The smallest ``n_free`` whose error is at most ``min(errors) + margin``.

    Parameters
    ----------
    n_free : sequence of int
        Free-phase lengths (any order).
    errors : sequence of float
        One per length; ``inf`` or ``nan`` never counts as within the margin.
    margin : float >= 0

    Returns
    -------
    int or None
        ``None`` when no error is finite.
    """
    n, e = np.asarray(n_free), np.asarray(errors, dtype=float)
    if n.shape != e.shape or n.ndim != 1:
        raise ValueError(f"n_free and errors must be 1-d of one length, got {n.shape}, {e.shape}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    ok = np.isfinite(e)
    if not ok.any():
        return None
    within = ok & (e <= e[ok].min() + margin + 1e-12)
    return int(n[within].min())


def summary(result, margin=MARGIN, last=LAST):
    """Per algorithm and depth (a string): ``n_free`` and ``error`` (per grid length, the
    :func:`final_error`), ``best`` (the lowest), ``shortest`` (:func:`shortest_within`),
    ``error_at_shortest`` and ``seconds_at_shortest`` (median seconds per epoch there);
    ``seconds`` (median per grid length)."""
    out = {}
    for name, by_depth in result["runs"].items():
        out[name] = {}
        for depth, entries in by_depth.items():
            n = [e["n_free"] for e in entries]
            err = [final_error(e, last) for e in entries]
            sec = [float(np.median(e["seconds"])) if e["seconds"] else float("nan")
                   for e in entries]
            k = shortest_within(n, err, margin)
            i = n.index(k) if k is not None else None
            out[name][depth] = {"n_free": n, "error": err, "seconds": sec,
                                "best": float(min(err)), "shortest": k,
                                "error_at_shortest": None if i is None else err[i],
                                "seconds_at_shortest": None if i is None else sec[i]}
    return out


def plot_relaxation(result, margin=MARGIN, last=LAST):
    """Left: the shortest free phase within ``margin`` against depth, FP and EP; then one
    panel per depth of the validation error against ``n_free``; a
    :class:`~matplotlib.figure.Figure`."""
    from ..plot import style

    s = summary(result, margin, last)
    depths = [str(k) for k in result["depths"]]
    colors = {"fp": style.PALETTE["vermillion"], "ep": style.PALETTE["blue"]}
    with style.context():
        fig, axes = style.new_figure(ncols=1 + len(depths), panel_size=(3.0, 2.9))
        axes = np.atleast_1d(axes)
        ax = axes[0]
        for name in s:
            x = [int(k) for k in depths if s[name][k]["shortest"] is not None]
            y = [s[name][str(k)]["shortest"] for k in x]
            ax.plot(x, y, "o-", color=colors[name], label=LABELS[name])
        ax.set_yscale("log", base=2)
        top = max([s[n][k]["shortest"] or 1 for n in s for k in depths] + [2])
        ax.set_ylim(top=4 * top)                  # room for the legend above the lines
        ax.set_xticks([int(k) for k in depths])
        ax.set_xlabel("hidden layers")
        ax.set_ylabel(f"shortest n_free within {100 * margin:g} pt of best")
        ax.legend(frameon=False, fontsize="small", loc="upper left")
        for ax, k in zip(axes[1:], depths):
            for name in s:
                err = 100 * np.array(s[name][k]["error"])
                ax.plot(s[name][k]["n_free"], np.where(np.isfinite(err), err, np.nan), "o-",
                        color=colors[name], ms=3, label=LABELS[name])
                if s[name][k]["shortest"] is not None:
                    ax.axvline(s[name][k]["shortest"], color=colors[name], ls=":", lw=1)
            ax.set_xscale("log", base=2)
            ax.set_xlabel("n_free")
            ax.set_title(f"{k} hidden layer{'s' if k != '1' else ''}", fontsize="medium")
        axes[1].set_ylabel(f"validation error (%), last {last} epochs")
        fig.suptitle(f"EFP Sec. 5.2 at {result['scale']} scale: {result['dataset']}, hidden "
                     f"layers of {result['width']}, {result['epochs']} epochs, seed "
                     f"{result['seed']}\npaper: FP's free phase grows linearly with depth, EP's "
                     "faster\n(n_free: Euler steps per free phase; dotted: the shortest "
                     "within the margin)",
                     fontsize="medium")
    return fig


def run(out_dir, scale="cpu", seed=0, epochs=None, data_dir=None, progress=False):
    """Run :func:`relaxation` and write ``out_dir/relaxation.{png,svg}``, ``result.json``
    (every run's curves) and ``summary.md``; return ``(result, markdown, files)``."""
    result = relaxation(scale, seed=seed, epochs=epochs, data_dir=data_dir, progress=progress)
    markdown = format_markdown(result)
    files = write_figure_run(out_dir, "relaxation", result, plot_relaxation(result), markdown)
    return result, markdown, files


def format_markdown(result, margin=MARGIN, last=LAST):
    """Markdown: per depth and algorithm the shortest length within the margin, its error and
    time, beside the paper's claims; then every run's error and seconds per epoch."""
    s = summary(result, margin, last)
    lines = [f"EFP Sec. 5.2, {result['scale']} scale ({result['dataset']}, hidden layers of "
             f"{result['width']}, {result['epochs']} epochs of minibatches of "
             f"{result['batch_size']}, seed {result['seed']}). Error: validation error (%), "
             f"mean of the last {last} epochs; shortest: the smallest n_free within "
             f"{100 * margin:g} points of the algorithm's best at that depth.", "",
             "| hidden layers | algorithm | best error | shortest n_free | error there | "
             "s / epoch there |", "|---|---|---|---|---|---|"]
    for k in map(str, result["depths"]):
        for name in s:
            c = s[name][k]
            fmt = lambda v, f: "-" if v is None else format(v, f)   # noqa: E731
            lines.append(f"| {k} | {LABELS[name]} | {100 * c['best']:.2f} | "
                         f"{fmt(c['shortest'], 'd')} | "
                         f"{fmt(None if c['error_at_shortest'] is None else 100 * c['error_at_shortest'], '.2f')} | "
                         f"{fmt(c['seconds_at_shortest'], '.3f')} |")
    lines += ["", "Every run: validation error (%) / seconds per epoch.", "",
              "| hidden layers | algorithm | " + " | ".join(
                  f"n_free {n}" for n in sorted({n for g in result["grids"].values()
                                                 for n in g})) + " |"]
    all_n = sorted({n for g in result["grids"].values() for n in g})
    lines.append("|---|---|" + "---|" * len(all_n))
    for k in map(str, result["depths"]):
        for name in s:
            c = s[name][k]
            cell = {n: f"{100 * e:.1f} / {t:.3f}" for n, e, t in
                    zip(c["n_free"], c["error"], c["seconds"])}
            lines.append(f"| {k} | {LABELS[name]} | " + " | ".join(
                cell.get(n, "") for n in all_n) + " |")
    if "fp" in s and "ep" in s and "3" in s["fp"]:
        fp, ep = s["fp"]["3"], s["ep"]["3"]
        if 16 in fp["n_free"] and 512 in ep["n_free"]:
            r = fp["seconds"][fp["n_free"].index(16)] / ep["seconds"][ep["n_free"].index(512)]
            lines += ["", f"Three hidden layers: FP at n_free=16 (loop of 2) takes {r:.2f} of "
                      "EP's time per epoch at n_free=512 (paper: FP at 20 with a loop of two "
                      "takes \"about a fifth\" of EP's, at its 500)."]
        if fp["shortest"] is not None and ep["shortest"] is not None:
            lines[-1] += (f" At their shortest lengths within the margin ({fp['shortest']} "
                          f"and {ep['shortest']}) FP takes "
                          f"{fp['seconds_at_shortest'] / ep['seconds_at_shortest']:.2f} of "
                          "EP's time per epoch.")
    return "\n".join(lines) + "\n"
