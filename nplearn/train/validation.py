"""Checks that run before any training starts, with errors that name the fix."""
import numpy as np


def check_features(X, n_features=None, name="X"):
    """``X`` must be a non-empty, finite, 2-D float array (``n_features`` columns if given)."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}; "
                         "flatten images with X.reshape(len(X), -1)")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X):
        raise ValueError(f"{name} must be real numbers, got dtype {X.dtype}")
    # a NaN or inf anywhere makes the sum non-finite; only then count (the sum can also
    # overflow on finite data, so the count decides)
    with np.errstate(over="ignore", invalid="ignore"):
        total = X.sum()
    if not np.isfinite(total) and not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or inf ({np.sum(~np.isfinite(X))} entries); "
                         "clean or impute the data first")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features but the network expects "
                         f"{n_features}")
    return X


def check_labels(y, n_classes, n_samples=None, name="y"):
    """``y`` must be integer class indices in ``[0, n_classes)``, one per sample."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D class indices, got shape {y.shape}")
    if n_samples is not None and y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} labels for {n_samples} samples")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{name} must hold integer class indices, got non-integer values")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer class indices, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} has labels outside [0, {n_classes}): min {y.min()}, "
                         f"max {y.max()}; map labels to 0..n_classes-1 first")
    return y


def check_count(value, name, minimum=1):
    """An integer ``>= minimum`` (``epochs``, ``batch_size``); bools and floats are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r} "
                         f"({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_hidden_sizes(hidden_sizes):
    """A tuple of positive ints (may be empty: a single-layer network); one int is one layer."""
    if isinstance(hidden_sizes, (int, np.integer)) and not isinstance(hidden_sizes, bool):
        hidden_sizes = (hidden_sizes,)
    if isinstance(hidden_sizes, (str, bytes)) or not hasattr(hidden_sizes, "__iter__"):
        raise ValueError(f"hidden_sizes must be a tuple of positive integers, e.g. (100,) or "
                         f"(800, 800), or () for no hidden layer; got {hidden_sizes!r}")
    sizes = tuple(hidden_sizes)
    for s in sizes:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer, float, np.floating)) \
                or not float(s).is_integer() or int(s) < 1:
            raise ValueError(f"hidden_sizes must be positive integers (hidden layer sizes), "
                             f"got {sizes}")
    return tuple(int(s) for s in sizes)


EVAL_SET_KEYS = ("val", "test")


def check_eval_sets(eval_sets):
    """``None`` or a dict ``{"val": (X, y), "test": (X, y)}`` (either key may be left out)."""
    if eval_sets is None:
        return {}
    if not isinstance(eval_sets, dict):
        raise ValueError(f"eval_sets must be a dict like {{'val': (X_val, y_val), 'test': "
                         f"(X_test, y_test)}}, got {type(eval_sets).__name__}")
    unknown = [k for k in eval_sets if k not in EVAL_SET_KEYS]
    if unknown:
        raise ValueError(f"eval_sets keys must be among {list(EVAL_SET_KEYS)}, got {unknown}")
    for k, pair in eval_sets.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"eval_sets[{k!r}] must be a pair (X_{k}, y_{k})")
    return eval_sets


def check_classifier_params(params):
    """Check every argument of :class:`nplearn.Classifier` before anything is built.

    The one place where the estimator's arguments are validated: each error names the
    argument, what it got and what it accepts. The values of a rule's own
    hyperparameters (``rule_params``) are checked by the rule.
    """
    from ..nn import ACTIVATIONS, LOSSES
    from ..nn.layered import float_dtype
    from ..optim import OPTIMIZERS, get_schedule
    from ..rules import RULES, LearningRule

    p = params
    rule = p["rule"]
    if not isinstance(rule, LearningRule) and not (isinstance(rule, str) and rule in RULES):
        raise ValueError(f"unknown rule {rule!r}; choose one of {sorted(RULES)} or pass a "
                         "LearningRule instance")
    if p["rule_params"] is not None:
        if not isinstance(p["rule_params"], dict) or \
                not all(isinstance(k, str) for k in p["rule_params"]):
            raise ValueError(f"rule_params must be a dict of the rule's hyperparameters by "
                             f"name, or None; got {p['rule_params']!r}")
        if isinstance(rule, LearningRule) and p["rule_params"]:
            raise ValueError("rule_params apply to a rule given by name; a rule instance "
                             f"carries its own ({rule!r}): drop rule_params")
    check_hidden_sizes(p["hidden_sizes"])
    rule_cls = RULES[rule] if isinstance(rule, str) else type(rule)
    own = getattr(rule_cls, "defaults", {}).get("activation")
    # a rule whose units are not a rate function (the spiking rules' "if") names its own
    _check_name("activation", p["activation"],
                ACTIVATIONS if own in ACTIVATIONS or own is None else {*ACTIVATIONS, own})
    _check_name("optimizer", p["optimizer"], OPTIMIZERS)
    _check_name("loss", p["loss"], LOSSES)
    lr = p["learning_rate"]
    if lr is not None and (not _is_real(lr) or not (np.isfinite(lr) and lr > 0)):
        raise ValueError(f"learning_rate must be a finite number > 0, or None for the rule's "
                         f"default; got {lr!r}")
    if p["optimizer_params"] is not None:
        if not isinstance(p["optimizer_params"], dict):
            raise ValueError(f"optimizer_params must be a dict (e.g. {{'momentum': 0.9}}) or "
                             f"None, got {type(p['optimizer_params']).__name__}")
        if "lr" in p["optimizer_params"]:
            raise ValueError("optimizer_params must not hold 'lr': give learning_rate")
    check_count(p["epochs"], "epochs")
    check_count(p["batch_size"], "batch_size")
    float_dtype(p["dtype"])
    rs = p["random_state"]
    if not (rs is None or isinstance(rs, (np.random.Generator, np.random.RandomState))
            or (isinstance(rs, (int, np.integer)) and not isinstance(rs, bool) and rs >= 0)):
        raise ValueError(f"random_state must be None, an integer >= 0 or a numpy Generator / "
                         f"RandomState, got {rs!r}")
    d = p["dropout"]
    if d is not None and (not _is_real(d) or not 0.0 <= d < 1.0):
        raise ValueError(f"dropout must be a drop probability in [0, 1), or None for the "
                         f"rule's default; got {d!r}")
    d = p["input_dropout"]
    if not _is_real(d) or not 0.0 <= d < 1.0:
        raise ValueError(f"input_dropout must be a drop probability in [0, 1) (0: none); "
                         f"got {d!r}")
    if p["schedule"] is not None and not callable(p["schedule"]):
        if not isinstance(p["schedule"], str):
            raise ValueError(f"schedule must be None, a string or a callable epoch -> factor, "
                             f"got {p['schedule']!r}")
        get_schedule(p["schedule"], 1)
    if p["verbose"] is not None and not isinstance(p["verbose"], (bool, np.bool_)):
        raise ValueError(f"verbose must be True, False or None, got {p['verbose']!r}")
    conv = p["conv"]
    if conv is not None and (isinstance(conv, (str, bytes)) or not hasattr(conv, "__iter__")
                             or not all(hasattr(c, "__len__") for c in conv)):
        raise ValueError(f"conv must be a list of (channels, kernel, stride[, padding]) "
                         f"tuples, e.g. [(32, 5, 1)], or None; got {conv!r}")
    shape = p["image_shape"]
    if shape is not None and (not hasattr(shape, "__len__") or len(shape) != 3 or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in shape)):
        raise ValueError(f"image_shape must be (channels, height, width), three integers "
                         f">= 1, or None; got {shape!r}")
    check_count(p["pool"], "pool")


def _check_name(arg, value, names):
    if value is not None and not (isinstance(value, str) and value in names):
        raise ValueError(f"unknown {arg} {value!r}; choose one of {sorted(names)}, or None "
                         "for the rule's default")


def _is_real(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
