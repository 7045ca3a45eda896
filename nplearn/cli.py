"""The ``nplearn`` command: train one rule, compare several, redraw a comparison's figures,
draw what a BFA model generates, run a resumable sweep.

    nplearn train --rule dfa --hidden 100 100 --epochs 20 --out runs/dfa
    nplearn train --dataset wine.npz                    # your own data (docs/data.md)
    nplearn compare --rules bp fa dfa ifa --seeds 0 1 2 --out results
    nplearn plot results --figure angles tsne
    nplearn generate runs/bfa --dataset digits
    nplearn sweep examples/sweep_digits.json --n-jobs 4
    nplearn trace --rule dfa --out runs/trace-dfa
    python -m nplearn train --help

``train`` trains exactly what ``nplearn.Classifier(rule=RULE, ...)`` trains: a flag left
unset takes ``Classifier``'s default, and where that is ``None``, the rule's paper default.
``compare`` is an experiment with its own documented settings: a flag left unset takes the
rule's preset (:data:`nplearn.experiments.PRESETS`). Exit codes: 0 done, 1 the run failed
(missing data file, an ``--out`` that cannot be written, diverged training), 2 bad command
line, 130 interrupted.
"""
import argparse
import functools
import sys
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import __version__
from .analysis.generation import class_means, generation_errors
from .data import DATASET_NAMES, load_dataset
from .estimator import Classifier
from .experiments import DEFAULT_RULES, compare, format_table, settings, write_json
from .experiments.compare import (EMBED_METHODS, conv_image_shape, format_dataset,
                                  format_overhead, format_threads)
from .experiments.folders import check_folder_path, leftovers, staged_folder
from .experiments.figures import FIGURES, available, load_run, save_figures
from .experiments.report import write_report
from .nn import ACTIVATIONS, LOSSES
from .optim import OPTIMIZERS
from .plot import plot_generated, plot_learning_curves, savefig
from .rules import RULES
from .rules.bfa import generate
from .experiments.sweep import DESCRIPTION as SWEEP_DESCRIPTION, add_arguments as add_sweep_arguments
from .experiments.reproduce import DESCRIPTION as REPRODUCE_DESCRIPTION, add_arguments as add_reproduce_arguments
from .experiments.sweep_config import SETTING_RULES, run_settings
from .experiments.trace import DESCRIPTION as TRACE_DESCRIPTION, add_arguments as add_trace_arguments
from .train import DivergenceError, atomic_write

# CLI flag -> Classifier argument, for the flags shared by `train` and `compare`
MODEL_FLAGS = {"hidden": "hidden_sizes", "activation": "activation", "loss": "loss",
               "optimizer": "optimizer", "lr": "learning_rate", "epochs": "epochs",
               "batch_size": "batch_size", "dropout": "dropout",
               "input_dropout": "input_dropout", "dtype": "dtype",
               "conv": "conv", "pool": "pool", "schedule": "schedule"}


def main(argv=None):
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error (code 2)
        return stop.code
    try:
        return args.run(args)
    except (DivergenceError, OSError, ImportError, ValueError) as err:
        return _fail(err)  # a missing data file names its download script; a full disk, itself
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def build_parser():
    """The ``argparse`` parser of ``nplearn`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="nplearn", description="Train networks with learning rules beyond backprop "
        f"({', '.join(RULES)}) on built-in image datasets or on your own data (an .npz "
        "file: --dataset PATH.npz).")
    parser.add_argument("--version", action="version", version=f"nplearn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser("train", help="train one rule and save model, history and plot",
                           description="Train one learning rule; print per-epoch errors; write "
                           "history.json, model.npz/.json and learning_curve.png/.svg into --out, "
                           "which then holds the whole new run or, if this stops, the whole "
                           "previous one. Trains exactly what nplearn.Classifier(rule=RULE) "
                           "trains: unset flags take Classifier's defaults, and where those are "
                           "None, the rule's paper defaults (not compare's presets).")
    train.add_argument("--rule", default="dfa", choices=list(RULES),
                       help="learning rule (default: dfa)")
    _add_data_flags(train)
    _add_model_flags(train, {r: run_settings(r, presets=False) for r in RULES})
    train.add_argument("--seed", type=_nonnegative_int, default=0,
                       help="seed of weights, feedback, shuffling, dropout (default: 0)")
    train.add_argument("--out", metavar="DIR",
                       help="output folder: new, empty, or a previous run's, which is replaced "
                       "(default: runs/RULE-DATASET-seedSEED)")
    train.set_defaults(run=_run_train)

    comp = sub.add_parser("compare", help="train several rules over seeds and tabulate",
                          description="Train every rule once per seed with its preset "
                          "(nplearn.experiments.PRESETS: this experiment's own documented "
                          "settings, chosen on the digits validation split, not Classifier's "
                          "defaults; a flag given applies to every rule), recording alignment "
                          "angles and weight norms on the way; print a "
                          "table of errors (mean ± std over seeds) and write results.csv, "
                          "runs.json, embeddings.npz, every figure as PNG and SVG, and "
                          "report.html, one self-contained page with all of them.")
    comp.add_argument("--rules", nargs="+", choices=list(RULES), default=None, metavar="RULE",
                      help=f"rules to compare, from {{{', '.join(RULES)}}} "
                      "(default: all but the spiking snn_*)")
    _add_data_flags(comp)
    comp.add_argument("--seeds", nargs="+", type=_nonnegative_int, default=[0, 1, 2],
                      metavar="SEED", help="one run per seed and rule (default: 0 1 2)")
    _add_model_flags(comp, {r: settings(r) for r in RULES})
    comp.add_argument("--record-every", type=_positive_int, metavar="N",
                      help="optimiser steps between two records of alignment angles and "
                      "weight norms (default: one epoch, ceil(n_train / batch size))")
    comp.add_argument("--no-record", dest="record", action="store_false",
                      help="do not record alignment angles and weight norms (default: record, "
                      "on 128 fixed training samples)")
    comp.add_argument("--embed", choices=EMBED_METHODS, default="tsne",
                      help="2-D map of the input and every hidden layer of each rule's first "
                      "seed, on test samples: t-SNE, PCA (fast) or none (default: tsne)")
    comp.add_argument("--embed-samples", type=_positive_int, default=500, metavar="N",
                      help="at most N test samples, stratified, in the 2-D maps (default: 500)")
    comp.add_argument("--out", default="results", metavar="DIR",
                      help="output folder (default: results)")
    comp.set_defaults(run=_run_compare)

    keys = list(FIGURES)
    plot = sub.add_parser("plot", help="redraw the figures and report of a saved comparison",
                          description="Redraw figures of a comparison from RUN_DIR/runs.json "
                          "(and embeddings.npz), without retraining. Figures: "
                          + "; ".join(f"{k}: {FIGURES[k].file}.png/.svg" for k in keys)
                          + "; report: report.html.")
    plot.add_argument("run_dir", metavar="RUN_DIR",
                      help="folder written by `nplearn compare --out RUN_DIR` (no default)")
    plot.add_argument("--figure", nargs="+", choices=[*keys, "report", "all"], default=["all"],
                      metavar="NAME", help=f"one or more of {{{', '.join(keys)}, report, all}}; "
                      "all: every figure the run has data for, and the report (default: all)")
    plot.add_argument("--out", metavar="DIR",
                      help="folder for the redrawn files (default: RUN_DIR)")
    plot.set_defaults(run=_run_plot)

    gen = sub.add_parser("generate", help="draw the images a BFA model generates from labels",
                         description="Run the backward network of a model saved by `nplearn "
                         "train --rule bfa` on the one-hot label of every class (Luo, Fu & Glass "
                         "2017, Eq. 23-25, Fig. 6); write generated.png/.svg and generated.npz. "
                         "With --dataset, also draw each class's mean training image and print "
                         "the mean squared error of every generated image to it, next to that of "
                         "a uniform random image over the same value range.")
    gen.add_argument("model", metavar="MODEL",
                     help="run folder of `nplearn train --rule bfa --out DIR`, or its "
                     "model.npz / model.json (no default)")
    gen.add_argument("--dataset", type=_dataset, metavar="NAME|PATH.npz",
                     help="the dataset the model was trained on, to compare each image with "
                     f"its class's mean training image: one of {', '.join(DATASET_NAMES)}, or "
                     "an .npz file of your own (default: none, no comparison)")
    gen.add_argument("--data-dir", metavar="DIR", help="folder of downloaded <dataset>.npz "
                     "files (default: $NPLEARN_DATA, else ~/.cache/nplearn)")
    gen.add_argument("--image-shape", nargs=3, type=_positive_int, metavar=("C", "H", "W"),
                     help="shape of one image (default: the dataset's; without --dataset, a "
                     "square, or 3 squares, guessed from the number of inputs)")
    gen.add_argument("--out", metavar="DIR", help="output folder (default: the model's folder)")
    gen.set_defaults(run=_run_generate)
    swp = sub.add_parser("sweep", help="run a grid of settings x seeds, locally or on Dask; "
                         "resumable", description=SWEEP_DESCRIPTION)
    add_sweep_arguments(swp)          # sets run=nplearn.experiments.sweep.run_args
    add_reproduce_arguments(sub.add_parser("reproduce", help="reproduce a table of one of the "
                                           "five papers, ours beside the paper's",
                                           description=REPRODUCE_DESCRIPTION))
    add_trace_arguments(sub.add_parser("trace", help="draw every matrix of one update of a rule "
                                       "(PNG, SVG, HTML)", description=TRACE_DESCRIPTION))
    return parser


def _add_data_flags(p):
    p.add_argument("--dataset", default="digits", type=_dataset, metavar="NAME|PATH.npz",
                   help=f"a built-in dataset, one of {', '.join(DATASET_NAMES)} (all but "
                   "digits and mnist5k need data_scripts/download.py), or the path of an .npz "
                   "file of your own: keys x_train, y_train, optionally x_test, y_test, "
                   "label_names, image_shape; used as stored, and without x_test a "
                   "stratified 20%% is held out for testing, seed 0 (docs/data.md) "
                   "(default: digits)")
    p.add_argument("--data-dir", metavar="DIR", help="folder of downloaded <dataset>.npz files "
                   "(default: $NPLEARN_DATA, else ~/.cache/nplearn)")
    p.add_argument("--image-shape", nargs=3, type=_positive_int, metavar=("C", "H", "W"),
                   help="channels, height and width of the flat rows of your own .npz, for "
                   "--conv (default: the image_shape stored in it, or the shape of its "
                   "images; none for tabular data)")


def _add_model_flags(p, defaults):
    """The Classifier flags; ``defaults`` (rule -> settings) names each flag's default."""
    d = functools.partial(_default, table=defaults)
    p.add_argument("--hidden", nargs="*", type=_positive_int, metavar="N",
                   help=f"hidden layer widths; none for no hidden layer ({d('hidden_sizes')})")
    p.add_argument("--activation", choices=list(ACTIVATIONS),
                   help=f"hidden non-linearity ({d('activation')})")
    p.add_argument("--loss", choices=list(LOSSES), help=f"output loss ({d('loss')})")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), help=f"optimizer ({d('optimizer')})")
    p.add_argument("--lr", type=_setting("learning_rate", float), metavar="LR",
                   help=f"learning rate, a finite number > 0 ({d('learning_rate')})")
    p.add_argument("--epochs", type=_setting("epochs", int), metavar="N",
                   help=f"epochs, a positive integer ({d('epochs')})")
    p.add_argument("--batch-size", type=_setting("batch_size", int), metavar="N",
                   help=f"minibatch size ({d('batch_size')})")
    p.add_argument("--dropout", type=_setting("dropout", float), metavar="P",
                   help=f"drop probability of hidden units, in [0, 1) ({d('dropout')})")
    p.add_argument("--input-dropout", type=_setting("input_dropout", float), metavar="P",
                   help="drop probability of the inputs, in [0, 1); dense networks of the "
                   "feedforward rules (default: 0)")
    p.add_argument("--dtype", choices=["float64", "float32"],
                   help=f"float precision ({d('dtype')})")
    p.add_argument("--conv", nargs="+", type=_conv_layer, metavar="C,K,S[,P]",
                   help="convolutional layers before the hidden ones, each CHANNELS,KERNEL,"
                   "STRIDE[,PADDING] (e.g. 32,5,1 as PEPITA Table 2); rules bp, fa, dfa, pepita, "
                   "sigprop (default: none)")
    p.add_argument("--schedule", metavar="SPEC",
                   help="learning-rate schedule: constant, cosine or multistep:E1,E2,... "
                   f"(x0.1 at each epoch listed) ({d('schedule')})")
    p.add_argument("--pool", type=_setting("pool", int), metavar="N",
                   help="max-pooling size after each conv layer (default: 2; 1: none)")


def _run_train(args):
    overrides = _model_overrides(args)
    kwargs = run_settings(args.rule, presets=False, **overrides)   # what Classifier resolves
    out = Path(args.out or f"runs/{args.rule}-{_stem(args.dataset)}-seed{args.seed}")
    for p in leftovers(out):
        print(f"nplearn: note: {p} was left by a train run into {out} that was killed (or "
              "still runs); delete it once no run uses it (a '.old-' folder holds a complete "
              "earlier run)", file=sys.stderr)
    replaced = out.is_dir() and any(out.iterdir())
    with staged_folder(out) as stage:        # refuses an --out that cannot be written, at once
        data = _load(args, kwargs["dtype"])
        if overrides.get("conv"):
            overrides["image_shape"] = conv_image_shape(data)
        print(format_dataset(data.info()))
        print(f"{args.rule} on {data.name}: hidden {tuple(kwargs['hidden_sizes'])}, "
              f"{kwargs['activation']}, {kwargs['loss']}, {kwargs['optimizer']} "
              f"lr {kwargs['learning_rate']:g}, epochs {kwargs['epochs']}, batch "
              f"{kwargs['batch_size']}, seed {args.seed}")
        clf = Classifier(rule=args.rule, **overrides, random_state=args.seed, verbose=False)
        eval_sets = {"val": (data.x_val, data.y_val), "test": (data.x_test, data.y_test)}
        with tqdm(total=clf.epochs, desc=args.rule, unit="epoch", leave=False,
                  disable=None) as bar:
            for _ in range(clf.epochs):  # fit() one epoch at a time, to print each
                clf.partial_fit(data.x_train, data.y_train, eval_sets=eval_sets)
                bar.update()
                tqdm.write(_epoch_line(clf.history_, clf.epochs))
        h = clf.history_
        print("final error: " + "  ".join(f"{k} {_pct(h[f'{k}_error'][-1])}"
                                          for k in ("train", "val", "test")))
        write_json(stage / "history.json", h)
        clf.save(stage / "model")
        savefig(plot_learning_curves({args.rule: [h]}, title=f"{args.rule.upper()} on "
                                     f"{data.name}, seed {args.seed}"), stage / "learning_curve")
    print(f"wrote {out}/: history.json, model.npz, model.json, learning_curve.png, "
          "learning_curve.svg" + (" (the previous run there was replaced)" if replaced else ""))
    return 0


def _run_compare(args):
    check_folder_path(args.out)             # before the training, not after
    overrides = _model_overrides(args)
    first = (args.rules or DEFAULT_RULES)[0]       # compare loads the data in its dtype
    data = _load(args, settings(first, **overrides)["dtype"])
    print(format_dataset(data.info()))             # before the training, above the table
    result = compare(data, rules=args.rules, seeds=args.seeds, out_dir=args.out,
                     record=args.record, record_every=args.record_every, embed=args.embed,
                     embed_samples=args.embed_samples, **overrides)
    print(f"seeds {' '.join(map(str, result['seeds']))}\n")
    print(format_table(result["summary"], result["runs"]))
    for run in result["runs"]:
        if run["status"] != "ok":
            print(f"{run['rule']} seed {run['seed']} diverged: {run['message']}")
    print(format_threads(result))
    if format_overhead(result):
        print(format_overhead(result))
    print(f"\nwrote {', '.join(result['files'])}")
    return 0


def _run_plot(args):
    result = load_run(args.run_dir)
    out = Path(args.out or args.run_dir)
    wanted = args.figure
    if "all" in wanted:
        keys, report = available(result), True
    else:
        keys, report = [k for k in FIGURES if k in wanted], "report" in wanted
    files, pngs = save_figures(result, out, keys)     # ValueError says what is missing
    if report:
        files.append(write_report(out, result, pngs))
    skipped = [k for k in FIGURES if "all" in wanted and k not in keys]
    if skipped:
        print(f"skipped (no data in {args.run_dir}): {', '.join(skipped)}")
    print(f"wrote {', '.join(map(str, files))}")
    return 0


def _run_generate(args):
    path = Path(args.model)
    path = path / "model" if path.is_dir() else path.with_suffix("") if path.suffix in (
        ".npz", ".json") else path
    clf = Classifier.load(path)
    if clf.rule_.name != "bfa":
        raise ValueError(f"{path}: only a BFA model has a backward network to generate with; "
                         f"this one was trained with --rule {clf.rule_.name}")
    classes = np.arange(len(clf.classes_))
    images = generate(clf.model_, clf.rule_, classes)        # one per class, Eq. (23)-(25)
    shape, means, errors, names = args.image_shape, None, None, [str(c) for c in clf.classes_]
    if args.dataset:
        data = load_dataset(args.dataset, data_dir=args.data_dir)
        if data.n_features != images.shape[1] or not np.issubdtype(clf.classes_.dtype, np.integer):
            raise ValueError(f"{path} was not trained on {args.dataset} ({images.shape[1]} inputs, "
                             f"classes {names})")
        shape = shape or data.image_shape
        err = generation_errors(images, clf.classes_, data.x_train, data.y_train)
        means = class_means(data.x_train, data.y_train, data.n_classes)[clf.classes_]
        errors = err["own"]
        names = [str(data.label_names[c]) for c in clf.classes_]
        print(f"mean squared error of each generated image to its class's mean {args.dataset} "
              "training image")
        print(f"{'class':>8}  {'generated':>10}  {'nearest other':>13}  {'random image':>12}")
        for name, own, other, rnd in zip(names, err["own"], err["nearest_other"], err["random"]):
            print(f"{name:>8}  {own:10.5f}  {other:13.5f}  {rnd:12.5f}")
        print(f"{'mean':>8}  {err['own'].mean():10.5f}  {err['nearest_other'].mean():13.5f}  "
              f"{err['random'].mean():12.5f}")
        print(f"the closest class mean is the label's own for "
              f"{int(np.sum(err['nearest_class'] == clf.classes_))}/{len(names)} labels")
    out = Path(args.out) if args.out else path.parent
    fig = plot_generated(images, shape, labels=names, class_means=means, errors=errors)
    files = savefig(fig, out / "generated")
    npz = out / "generated.npz"
    atomic_write(npz, lambda fh: np.savez(fh, images=images, classes=clf.classes_))
    print(f"wrote {', '.join(map(str, [*files, npz]))}")
    return 0


def _load(args, dtype):
    """The dataset of ``--dataset``, ``--data-dir`` and ``--image-shape``."""
    return load_dataset(args.dataset, data_dir=args.data_dir, dtype=dtype,
                        image_shape=args.image_shape)


def _dataset(text):
    """argparse type of ``--dataset``: a built-in name, or a path ending in ``.npz``."""
    if text in DATASET_NAMES or text.lower().endswith(".npz"):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither a built-in dataset ({', '.join(DATASET_NAMES)}) nor the path of "
        "an .npz file of your own (a path ending in .npz)")


def _stem(dataset):
    return Path(dataset).stem if dataset.lower().endswith(".npz") else dataset


def _model_overrides(args):
    values = {arg: getattr(args, flag) for flag, arg in MODEL_FLAGS.items()}
    for k in ("hidden_sizes", "conv"):
        if values[k] is not None:
            values[k] = tuple(values[k])
    return {k: v for k, v in values.items() if v is not None}


def _default(arg, table):
    """Help text naming the default of a Classifier argument in ``table`` (rule -> settings).

    The most common value first, then the rules that differ: "default: tanh; ep, efp: ..."
    """
    shown = {None: {"dropout": "0", "schedule": "constant"}.get(arg, "none")}
    by_value = {}
    for rule, s in table.items():
        v = s[arg]
        text = " ".join(map(str, v)) if isinstance(v, (tuple, list)) else shown.get(v, str(v))
        by_value.setdefault(text, []).append(rule)
    groups = sorted(by_value.items(), key=lambda kv: -len(kv[1]))
    return f"default: {groups[0][0]}" + "".join(f"; {', '.join(rules)}: {v}"
                                                for v, rules in groups[1:])


def _epoch_line(h, epochs):
    n = len(str(epochs))
    return (f"epoch {h['epoch'][-1]:>{n}}/{epochs}  loss {h['train_loss'][-1]:.4f}  error: "
            + "  ".join(f"{k} {_pct(h[f'{k}_error'][-1])}" for k in ("train", "val", "test"))
            + f"  ({h['time'][-1]:.3f} s)")


def _pct(v):
    return "-" if v is None else f"{100 * v:5.2f} %"


def _fail(message, code=1):
    print(f"nplearn: error: {message}", file=sys.stderr)
    return code


def _positive_int(text):
    return _number(text, int, lambda v: v >= 1, "a positive integer")


def _nonnegative_int(text):
    return _number(text, int, lambda v: v >= 0, "an integer >= 0")


def _setting(name, kind):
    """argparse type of the ``Classifier`` setting ``name``: the sweep config's test and words."""
    test, what = SETTING_RULES[name]

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = text
        if not test(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not valid: {name} must be {what}")
        return value
    parse.__name__ = name                   # argparse names the type in its messages
    return parse


def _conv_layer(text):
    parts = text.split(",")
    if len(parts) not in (3, 4) or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected CHANNELS,KERNEL,STRIDE[,PADDING] as integers, e.g. 32,5,1; got {text!r}")
    return tuple(int(p) for p in parts)


def _number(text, kind, ok, what):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value
