"""What a saved estimator must look like: encoding its arguments and labels for a checkpoint,
and checking a loaded checkpoint against the model it describes, field by field.

Every check raises a ValueError that names the checkpoint and the field
(``params.epochs``, ``model.sizes``, ``model/W2``, ``classes``...), so an edited or
foreign file fails at ``Classifier.load``, never later inside ``predict``.
"""
import numpy as np

RULE_TAG = "__rule__"     # a rule instance in params: {"__rule__": name, "params": {...}}


class CheckpointError(ValueError):
    """A checkpoint that does not describe a valid estimator (names the field)."""


def fail(path, field, problem):
    raise CheckpointError(f"{path}: checkpoint field {field} {problem}")


# ---- writing ------------------------------------------------------------------------------
def encode_params(params):
    """Estimator arguments -> JSON values; ValueError naming the argument if one cannot be."""
    from ..rules import LearningRule

    out = {}
    for k, v in params.items():
        if isinstance(v, LearningRule):
            hyper = v.get_params()
            for name, h in hyper.items():
                _check_json(f"rule.{name}", h)
            out[k] = {RULE_TAG: v.name, "params": _lists(hyper)}
            continue
        if k == "random_state" and v is not None and not isinstance(v, (int, np.integer)):
            raise ValueError("only an estimator whose random_state is an int or None can be "
                             f"saved (got a {type(v).__name__}); pass the seed instead")
        if k == "schedule" and callable(v):
            raise ValueError("only an estimator with a named schedule ('cosine', "
                             "'multistep:60,90', None) can be saved, not a callable")
        _check_json(k, v)
        out[k] = _lists(v)
    return out


def decode_params(path, params, names):
    """JSON values -> estimator arguments (rules rebuilt, lists back to tuples)."""
    from ..rules import RULES, get_rule

    if not isinstance(params, dict):
        fail(path, "params", f"must be an object, got {type(params).__name__}")
    unknown = sorted(set(params) - set(names))
    if unknown:
        fail(path, f"params.{unknown[0]}", f"is not an argument of Classifier (it takes {names})")
    out = dict(params)
    rule = out.get("rule")
    if isinstance(rule, dict):
        name = rule.get(RULE_TAG)
        if name not in RULES or not isinstance(rule.get("params"), dict):
            fail(path, "params.rule", f"names no rule of {sorted(RULES)}: {rule!r}")
        try:
            out["rule"] = get_rule(name, **rule["params"])
        except ValueError as err:
            fail(path, "params.rule", str(err))
    for k in ("hidden_sizes", "image_shape"):
        if isinstance(out.get(k), list):
            out[k] = tuple(out[k])
    if isinstance(out.get("conv"), list):
        out["conv"] = tuple(tuple(c) if isinstance(c, list) else c for c in out["conv"])
    return out


def encode_classes(classes):
    """``classes_`` -> ``(array without Python objects, kind)``; kind ``"object"`` marks
    labels that were Python objects (e.g. strings from pandas) and come back as such."""
    if classes.dtype != object:
        return classes, classes.dtype.str
    plain = np.array(classes.tolist())
    if plain.dtype.kind not in "biufUS" or plain.shape != classes.shape:
        raise ValueError(f"the labels {classes[:5].tolist()}... mix types that a checkpoint "
                         "cannot store; use str or int labels")
    return plain, "object"


def decode_classes(path, classes, kind):
    if kind == "object":
        return classes.astype(object)
    if kind != classes.dtype.str:
        fail(path, "classes", f"has dtype {classes.dtype.str}, not the recorded {kind!r} "
             "(classes_dtype)")
    return classes


# ---- reading ------------------------------------------------------------------------------
def field(path, meta, name, kind):
    """``meta[name]``, which must exist and be of type ``kind``."""
    parts = name.split(".")
    v = meta
    for i, part in enumerate(parts):
        if not isinstance(v, dict) or part not in v:
            fail(path, ".".join(parts[:i + 1]), "is missing")
        v = v[part]
    if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
        fail(path, name, f"must be {getattr(kind, '__name__', kind)}, got {v!r}")
    return v


def check_sizes(path, sizes):
    if not sizes or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1
                            for s in sizes):
        fail(path, "model.sizes", f"must be a list of integers >= 1, got {sizes!r}")
    return sizes


def check_classes(path, classes, n_classes):
    if classes.ndim != 1 or len(classes) < 2:
        fail(path, "classes", f"must be a 1-D array of at least 2 labels, got shape {classes.shape}")
    if len(classes) != n_classes:
        fail(path, "classes", f"has {len(classes)} labels but the model has {n_classes} outputs "
             "(model.sizes[-1])")
    if len(np.unique(classes)) != len(classes) or not np.all(np.unique(classes) == classes):
        fail(path, "classes", "must be sorted and distinct, as fit stores them")


def check_arrays(path, arrays, prefix, expected, extra_ok=False):
    """The ``prefix/...`` arrays of a checkpoint against ``expected`` (name -> array of the
    freshly built model): same names, shapes and dtypes. Returns them without the prefix.

    ``extra_ok`` (the rule's state): names the fresh object does not have yet are passed on
    for the rule to check, and an expected array with a zero-length axis (state that grows
    with the data seen, e.g. one row per training example) only fixes the number of axes.
    """
    got = {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + "/")}
    for k, ref in expected.items():
        if k not in got:
            fail(path, f"{prefix}/{k}", "is missing")
        a = got[k]
        grows = extra_ok and ref.size == 0 and a.ndim == ref.ndim
        if a.shape != ref.shape and not grows:
            fail(path, f"{prefix}/{k}", f"has shape {a.shape}; the model needs {ref.shape}")
        if a.dtype != ref.dtype:
            fail(path, f"{prefix}/{k}", f"has dtype {a.dtype}; the model needs {ref.dtype}")
    extra = sorted(set(got) - set(expected))
    if extra and not extra_ok:
        fail(path, f"{prefix}/{extra[0]}", f"is not a parameter of this model ({sorted(expected)})")
    return got


def check_optimizer_arrays(path, arrays, params):
    """``optim/<slot>/<param>`` state arrays: each for a known parameter, of its shape/dtype."""
    got = {k[6:]: v for k, v in arrays.items() if k.startswith("optim/")}
    for k, a in got.items():
        slot, _, name = k.partition("/")
        if name not in params:
            fail(path, f"optim/{k}", f"is the state of no parameter of this model "
                 f"({sorted(params)})")
        if a.shape != params[name].shape or a.dtype != params[name].dtype:
            fail(path, f"optim/{k}", f"has shape {a.shape} and dtype {a.dtype}; parameter "
                 f"{name} has {params[name].shape} and {params[name].dtype}")
    return got


def check_history(path, history, keys):
    if not isinstance(history, dict) or not isinstance(history.get("epoch"), list):
        fail(path, "history", "must be an object of per-epoch lists with an 'epoch' list")
    n = len(history["epoch"])
    for k, v in history.items():
        if not isinstance(v, list) or len(v) != n:
            fail(path, f"history.{k}", f"must be a list of {n} entries (one per epoch)")
    unknown = sorted(set(history) - set(keys))
    if unknown:
        fail(path, f"history.{unknown[0]}", f"is not a history key ({list(keys)})")
    return history


def _check_json(name, v):
    if v is None or isinstance(v, (bool, str)):
        return
    if isinstance(v, (int, float, np.integer, np.floating)):
        return
    if isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            _check_json(f"{name}[{i}]", x)
        return
    if isinstance(v, dict):
        for k, x in v.items():
            if not isinstance(k, str):
                raise ValueError(f"cannot save {name}: key {k!r} is not a string")
            _check_json(f"{name}.{k}", x)
        return
    raise ValueError(f"cannot save {name}={v!r}: a {type(v).__name__} cannot be stored in a "
                     "checkpoint (numbers, strings, lists and dicts can)")


def _lists(v):
    if isinstance(v, (list, tuple)):
        return [_lists(x) for x in v]
    if isinstance(v, dict):
        return {k: _lists(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        return v.item()
    return v
