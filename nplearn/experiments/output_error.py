"""EFP paper, Fig. 4: the output error of FP and EP over a training run, both with EP's update.

Kohan, Rietman & Siegelmann 2018, Sec. 5.2: "the error of the output neurons over an epoch of
the FP learning algorithm (red) and EP learning algorithms (blue) is graphed to show how well
the two algorithms meet the target firing rate during training. The FP learning algorithm
spends more steps closer to the target firing rate than the EP algorithm. The FP learning
algorithm also maintains a lower variance and mean throughout the epoch, on average. ... For a
network with two hidden layers, the FP learning algorithm has a training error of about 8.7%
and validation error of 5.5% compared to the 22.9% and 9.3% respectively of the EP learning
algorithm." Fig. 4's caption: "The lines are the mean output error, the mean for the state of
the ten output neurons deducted from their target firing rates ... Both networks use the EP
update rule ... The total run was over 2,500 mini-batches divided in 100 chunks over time. The
neurons are averaged over 20 samples per mini-batch. The neurons were simulated for twenty
eight steps per batch using the Euler method."

>>> from nplearn.experiments.output_error import output_error, plot_output_error
>>> result = output_error(scale="cpu")                  # doctest: +SKIP
>>> plot_output_error(result)                           # doctest: +SKIP

Both algorithms train the same two-hidden-layer network size from the same seed, on the same
minibatches in the same order (a shuffling generator of their own, seeded alike):

``fp``
    rule ``efp`` with ``update="chl"``: the loop network of Sec. 3.2.2 (the error enters the
    output and travels forward through the fixed loop ``W_loop``), updated by EP's Eq. (5);
``ep``
    rule ``ep``: the symmetric network, free and nudged phases, Eq. (5).

Decisions
---------
* **28 Euler steps per minibatch, 20 free and 8 clamped for both.** EP: ``n_free=20,
  n_clamped=8``; FP: ``num_loops=2`` iterations of ``n_free=10, n_clamped=4`` (Sec. 3.2.2's
  loop, an update after each). The paper prints only the total.
* **Rates, nudge and the rest are each rule's defaults** for two hidden layers: EP
  ``beta=2`` with a random sign, persistent particles, per-layer rates ``(0.4, 0.1, 0.01)``
  at SGD ``learning_rate=2`` (the EP reference code's net2 step,
  :data:`nplearn.rules.ep.DEPTH_DEFAULTS`), prediction after 100 free steps from zero; FP
  ``beta=1``, EFP Table 1's rates ``(0.2, 0.05, 0.01)`` at SGD ``learning_rate=3`` (the
  rule's minibatch default), the loop fixed, prediction after ``2 x 10`` free steps from
  zero. The paper prints no rates for this figure.
* **The recorded error** is ``stats["output_error"]`` (:meth:`HopfieldRule.fill
  <nplearn.rules.hopfield_base.HopfieldRule.fill>`): ``mean(s^0_L - d)`` over the 20 rows and
  the 10 outputs, at the free state the minibatch's last update used: for EP its free phase
  (20 steps from the example's particle), for FP the free phase of the loop's second
  iteration (20 free steps from zero in all, the weights updated once on this batch in
  between). FP's first free state (10 steps from zero, before any update on the batch) is
  recorded too (``output_error_first``). The caption's "state ... deducted from their target firing
  rates" may mean ``d - s^0_L``: that flips the sign only; means' sizes and spreads stay.
* **2,500 minibatches of 20** drawn as epochs of a fresh permutation of the training set; the
  remainder of each epoch (fewer than 20 examples) is skipped, so every minibatch averages
  20 samples. **100 chunks** of 25 consecutive minibatches: per chunk the mean and the
  standard deviation of the 25 recorded errors.
* **Training and validation error** at the end: a full pass over each (each rule's
  prediction, EFP Eq. 8), and the training error counted on the minibatches of the last
  epoch's worth of steps (``train_error_running``, the free states of the first call, as
  :func:`nplearn.train.train` counts it): the paper's training error (above its validation
  error) reads like a running count.

``cpu``: the bundled digits (1293 training, 144 validation images), 64-100-100-10 (the ``efp``
table's cpu net), about 39 epochs' worth of minibatches; ``full``: MNIST (or
``dataset="fashion_mnist"``), 784-1500-1500-10 (EFP Table 1's), 10,000 training images held
out for validation as in Sec. 5, so that the 2,500 minibatches of 20 are exactly one epoch of
the other 50,000 (the paper's "over an epoch"; not measured here).
``nplearn reproduce efp-fig4`` runs it and writes the figure (:func:`run`).
"""
import numpy as np

from ..data import load_dataset
from ..optim import get_optimizer
from ..train import build, train_step
from ..train.loop import evaluate, one_hot
from ..train.threads import limited
from .figure_runs import write_figure_run

#: The paper's run: 2,500 minibatches (``run``'s default).
N_BATCHES = 2500
SCALES = {"cpu": {"dataset": "digits", "hidden_sizes": (100, 100), "validation_size": 0.1},
          "full": {"dataset": "mnist", "hidden_sizes": (1500, 1500), "validation_size": 10000}}
#: The two algorithms: rule and its parameters (28 Euler steps per minibatch each).
ALGORITHMS = {"fp": ("efp", {"update": "chl", "num_loops": 2, "n_free": 10, "n_clamped": 4}),
              "ep": ("ep", {"n_free": 20, "n_clamped": 8})}
LABELS = {"fp": "FP (loop network, EP's update)", "ep": "EP"}
PAPER = {"fp": {"train_error": 8.7, "val_error": 5.5}, "ep": {"train_error": 22.9,
                                                            "val_error": 9.3}}


def output_error(scale="cpu", seed=0, n_batches=2500, n_chunks=100, batch_size=20,
                 hidden_sizes=None, dataset=None, data_dir=None):
    """Train FP and EP on the same minibatches; return the per-minibatch output errors.

    Parameters
    ----------
    scale : {"cpu", "full"}
        ``cpu``: digits, 64-100-100-10; ``full``: MNIST, 784-1500-1500-10 (module doc).
    seed : int
        Seeds the weights (the same draw for both), the minibatch order (the same for both)
        and EP's sign of beta.
    n_batches, n_chunks, batch_size : int
        The paper's 2,500 minibatches of 20 in 100 chunks; ``n_chunks`` must divide
        ``n_batches``.
    hidden_sizes : tuple of int, optional
        ``None``: the scale's.
    dataset : str, optional
        ``None``: the scale's (``full``: ``"fashion_mnist"`` is the other choice).
    data_dir : str or path-like, optional

    Returns
    -------
    dict
        ``scale, dataset, seed, hidden_sizes, batch_size, n_batches, n_chunks, n_train,
        n_val``, ``settings`` (algorithm -> rule, its parameters and learning rate) and
        ``runs``: algorithm -> ``output_error`` (one per minibatch, at the free state of the
        batch's last update), ``n_errors`` (per minibatch), ``train_error``, ``val_error``,
        ``test_error`` (full passes at the end), ``train_error_running``,
        ``classes_predicted`` (how many classes the net predicts for some training image at
        the end: an output unit stuck at rate 0 costs its class) and for ``fp``
        ``output_error_first`` (its first call's free state).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    n_batches, n_chunks = int(n_batches), int(n_chunks)
    if n_chunks < 1 or n_batches < n_chunks or n_batches % n_chunks:
        raise ValueError(f"n_chunks ({n_chunks}) must divide n_batches ({n_batches})")
    s = SCALES[scale]
    hidden = tuple(s["hidden_sizes"] if hidden_sizes is None else hidden_sizes)
    d = load_dataset(s["dataset"] if dataset is None else dataset, data_dir=data_dir,
                     validation_size=s["validation_size"])
    if d.x_train.shape[0] < batch_size:
        raise ValueError(f"the training set ({d.x_train.shape[0]}) is smaller than one "
                         f"minibatch ({batch_size})")
    runs, settings = {}, {}
    for name, (rule_name, params) in ALGORITHMS.items():
        model, rule = build(rule_name, d.x_train.shape[1], d.n_classes, hidden,
                            rng=np.random.default_rng(seed), rule_params=dict(params))
        rule.prepare(model, d.x_train)                       # identity for pixels in [0, 1]
        lr = rule.defaults["learning_rate"]
        settings[name] = {"rule": rule_name, "rule_params": dict(params), "learning_rate": lr,
                          "optimizer": "sgd", "lr_layers": rule.rates_, **rule.dynamics()}
        runs[name] = _run(model, rule, get_optimizer("sgd", lr), d, n_batches, batch_size,
                          seed)
    return {"scale": scale, "dataset": d.name, "seed": seed, "hidden_sizes": hidden,
            "batch_size": batch_size, "n_batches": n_batches, "n_chunks": n_chunks,
            "n_train": int(d.x_train.shape[0]), "n_val": int(d.x_val.shape[0]),
            "settings": settings, "runs": runs}


def _run(model, rule, opt, d, n_batches, batch_size, seed):
    """``n_batches`` steps of ``train_step`` on full minibatches; the records of the module doc."""
    X = d.x_train.astype(model.dtype, copy=False)
    Y = one_hot(d.y_train, d.n_classes, model.dtype)
    order_rng = np.random.default_rng([seed, 1])        # the same minibatches for both
    rule_rng = np.random.default_rng([seed, 2])         # EP's sign of beta
    per_epoch = X.shape[0] // batch_size
    err, first, wrong = [], [], []
    with limited(1), np.errstate(over="ignore", invalid="ignore"):
        while len(err) < n_batches:
            order = order_rng.permutation(X.shape[0])
            for i in range(min(per_epoch, n_batches - len(err))):
                idx = order[i * batch_size:(i + 1) * batch_size]
                st = train_step(model, rule, opt, X[idx], Y[idx], rng=rule_rng, idx=idx)
                err.append(st.get("last_call", st)["output_error"])
                first.append(st["output_error"])
                wrong.append(st["n_errors"])
        out = {"output_error": err, "n_errors": wrong,
               "train_error_running": sum(wrong[-per_epoch:]) / (batch_size * min(
                   per_epoch, len(wrong))),
               **{f"{k}_error": evaluate(model, getattr(d, f"x_{k}"), getattr(d, f"y_{k}"))[1]
                  for k in ("train", "val", "test")},
               "classes_predicted": int(np.unique(model.logits(X).argmax(1)).size)}
    if getattr(rule, "steps_per_batch", 1) > 1:
        out["output_error_first"] = first
    return out


def chunk(values, n_chunks):
    """Split ``values`` (one per minibatch) into ``n_chunks`` consecutive equal chunks;
    ``(mean, std)`` arrays, one entry per chunk (``std`` with ``ddof=0``)."""
    v = np.asarray(values, dtype=float)
    if n_chunks < 1 or v.size < n_chunks or v.size % n_chunks:
        raise ValueError(f"{v.size} values do not split into {n_chunks} equal chunks")
    c = v.reshape(n_chunks, -1)
    return c.mean(axis=1), c.std(axis=1)


def summary(result):
    """Per algorithm: the chunks' mean signed error averaged over the chunks (``mean``), the
    mean of their absolute means (``abs_mean``), their standard deviation averaged
    (``std``), the last chunk's mean, the errors in % and ``classes_predicted``; plus
    ``fp_closer``: the fraction of minibatches where FP's ``|output_error|`` is below EP's,
    and ``fp_lower_std``: the fraction of chunks where FP's standard deviation is below EP's."""
    out = {}
    for name, r in result["runs"].items():
        m, sd = chunk(r["output_error"], result["n_chunks"])
        out[name] = {"mean": float(m.mean()), "abs_mean": float(np.abs(m).mean()),
                     "std": float(sd.mean()), "last_mean": float(m[-1]),
                     "classes_predicted": r["classes_predicted"],
                     **{k: 100 * r[k] for k in ("train_error", "train_error_running",
                                                "val_error", "test_error")}}
    if {"fp", "ep"} <= set(result["runs"]):
        fp, ep = (np.abs(result["runs"][k]["output_error"]) for k in ("fp", "ep"))
        out["fp_closer"] = float(np.mean(fp < ep))
        sd_fp, sd_ep = (chunk(result["runs"][k]["output_error"], result["n_chunks"])[1]
                        for k in ("fp", "ep"))
        out["fp_lower_std"] = float(np.mean(sd_fp < sd_ep))
    return out


def plot_output_error(result):
    """Mean output error per chunk (line) and its standard deviation (band) against the
    minibatch, FP in red and EP in blue as in the paper; a :class:`~matplotlib.figure.Figure`."""
    from ..plot import style

    n, k = result["n_batches"], result["n_chunks"]
    x = (np.arange(k) + 0.5) * (n // k)                  # the chunks' centres, in minibatches
    with style.context():
        fig, ax = style.new_figure(panel_size=(6.0, 3.6))
        ax = np.atleast_1d(ax)[0]
        for name, color in (("ep", "blue"), ("fp", "vermillion")):
            m, sd = chunk(result["runs"][name]["output_error"], k)
            c = style.PALETTE[color]
            ax.fill_between(x, m - sd, m + sd, color=c, alpha=0.25, lw=0)
            ax.plot(x, m, color=c, label=LABELS[name])
        ax.axhline(0, color="0.5", ls=":", lw=1)
        ax.set_xlabel(f"minibatch ({k} chunks of {n // k}, {result['batch_size']} samples each)")
        ax.set_ylabel("mean output error, s_L - d")
        h = "-".join(map(str, result["hidden_sizes"]))
        ax.set_title(f"EFP Fig. 4 at {result['scale']} scale: {result['dataset']}, hidden {h}, "
                     f"seed {result['seed']}\npaper: FP spends more steps nearer the target, "
                     f"with a lower mean and variance\n(line: mean per chunk, band: +-1 std)",
                     fontsize="medium")
        ax.legend(frameon=False)
    return fig


def run(out_dir, scale="cpu", seed=0, n_batches=None, data_dir=None, epochs=None):
    """Run :func:`output_error` and write ``out_dir/output_error.{png,svg}``, ``result.json``
    (every minibatch's error) and ``summary.md``; return ``(result, markdown, files)``.
    ``n_batches=None``: :data:`N_BATCHES`. ``epochs`` must be None: the run is counted in
    minibatches (the argument is there for ``nplearn reproduce --epochs``, refused)."""
    if epochs is not None:
        raise ValueError("efp-fig4 runs the paper's 2,500 minibatches; it takes no --epochs")
    n_batches = N_BATCHES if n_batches is None else n_batches
    result = output_error(scale, seed=seed, n_batches=n_batches, data_dir=data_dir)
    markdown = format_markdown(result)
    files = write_figure_run(out_dir, "output_error", result, plot_output_error(result), markdown)
    return result, markdown, files


def format_markdown(result):
    """A Markdown table of :func:`summary` beside the paper's numbers."""
    s = summary(result)
    h = "-".join(map(str, result["hidden_sizes"]))
    lines = [f"EFP Fig. 4, {result['scale']} scale ({result['dataset']}, {h}, "
             f"{result['n_batches']} minibatches of {result['batch_size']} in "
             f"{result['n_chunks']} chunks, 28 Euler steps per minibatch, seed "
             f"{result['seed']}). Output error = mean(s_L - d) at the free state, per "
             "minibatch; errors in %.", "",
             "| algorithm | train error, paper | train error (full pass) | train error "
             "(last epoch's minibatches) | val. error, paper | val. error | test error | "
             "mean error over chunks | mean abs. chunk mean | mean chunk std | last chunk mean | "
             "classes predicted |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in ("fp", "ep"):
        c, p = s[name], PAPER[name]
        lines.append(f"| {LABELS[name]} | {p['train_error']} | {c['train_error']:.2f} | "
                     f"{c['train_error_running']:.2f} | {p['val_error']} | "
                     f"{c['val_error']:.2f} | {c['test_error']:.2f} | {c['mean']:+.4f} | "
                     f"{c['abs_mean']:.4f} | {c['std']:.4f} | {c['last_mean']:+.4f} | "
                     f"{c['classes_predicted']} |")
    lines += ["", f"FP's |output error| is below EP's on {100 * s['fp_closer']:.1f} % of the "
              f"minibatches, its chunk std below EP's in {100 * s['fp_lower_std']:.0f} % of "
              "the chunks (paper: FP \"spends more steps closer to the target firing rate\" "
              "and keeps \"a lower variance and mean throughout the epoch, on average\")."]
    return "\n".join(lines) + "\n"
