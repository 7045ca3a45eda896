"""Sweep configs: read, check (errors that name the key and the fix), expand into runs; the
checks of a sweep folder's config and run files against them.

See :mod:`nplearn.experiments.sweep` for what a config holds; ``docs/sweeps.md`` for the schema.
"""
import difflib
import hashlib
import itertools
import json
import math
from pathlib import Path

from ..data import DATASET_NAMES
from ..data.files import sha256_file
from ..data.user import is_path
from ..estimator import Classifier
from ..nn import ACTIVATIONS, LOSSES
from ..optim import OPTIMIZERS
from ..rules import RULES
from .presets import settings as preset_settings

STATUSES = ("ok", "diverged")     # of a run record
#: Classifier arguments newer than some saved runs, at their defaults: left out wherever a run
#: is recognised (a sweep's run_id and record check, a reproduction's run folder), so a run
#: saved before the argument existed is still found.
NEW_AT_DEFAULT = {"input_dropout": 0.0}
RUN_KEYS = ("dataset", "dataset_sha256", "seeds", "base", "grid",
            "presets")   # what makes two configs differ
_SPLITS = ("test", "val", "train")  # a record's errors, as compare.SPLITS
CONFIG_KEYS = ("dataset", "dataset_sha256", "seeds", "base", "grid", "presets", "out",
               "data_dir")
SETTINGS = tuple(k for k in Classifier().get_params() if k not in ("random_state", "verbose"))
_IS_INT = lambda v: isinstance(v, int) and not isinstance(v, bool)       # noqa: E731
_IS_NUM = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
_POSITIVE_INT = (lambda v: _IS_INT(v) and v >= 1, "a positive integer")
#: setting -> (test of a value, what it must be): the words of every refusal, in the config
#: check and on the command line (``nplearn train --epochs 0``); null (None) passes but for rule
SETTING_RULES = {k: (lambda v, names=names: v in names, f"one of {', '.join(names)}")
                 for k, names in {"rule": RULES, "activation": ACTIVATIONS, "loss": LOSSES,
                                  "optimizer": OPTIMIZERS, "dtype": ("float64", "float32")}.items()}
SETTING_RULES.update(epochs=_POSITIVE_INT, batch_size=_POSITIVE_INT, pool=_POSITIVE_INT, **{
    "hidden_sizes": (lambda v: isinstance(v, list) and all(_IS_INT(n) and n >= 1 for n in v),
                     "a list of positive integers, e.g. [100, 100]"),
    "learning_rate": (lambda v: _IS_NUM(v) and math.isfinite(v) and v > 0,
                      "a finite number > 0, e.g. 0.001"),
    "dropout": (lambda v: _IS_NUM(v) and 0 <= v < 1, "a number in [0, 1)"),
    "input_dropout": (lambda v: _IS_NUM(v) and 0 <= v < 1, "a number in [0, 1)"),
    "schedule": (lambda v: isinstance(v, str), 'a string, e.g. "cosine" or "multistep:60"'),
    "rule_params": (lambda v: isinstance(v, dict), 'an object, e.g. {"alpha": 0.25}'),
    "optimizer_params": (lambda v: isinstance(v, dict), 'an object, e.g. {"momentum": 0.9}'),
    "conv": (lambda v: isinstance(v, list) and all(isinstance(c, list) and len(c) in (3, 4)
                                                   and all(map(_IS_INT, c)) for c in v),
             "a list of [channels, kernel, stride(, padding)], e.g. [[32, 5, 1]]"),
    "image_shape": (lambda v: isinstance(v, list) and len(v) == 3 and all(map(_IS_INT, v)),
                    "[channels, height, width]")})


def load_config(path):
    """Read a sweep config from a ``.json`` or ``.toml`` file, checked by :func:`check_config`.

    ``out`` defaults to ``sweeps/<file stem>``.
    """
    path = Path(path)
    try:
        if path.suffix == ".toml":
            import tomllib      # Python >= 3.11
            config = tomllib.loads(path.read_text())
        else:
            config = json.loads(path.read_text())
    except ModuleNotFoundError:
        raise ValueError(f"{path}: TOML configs need Python >= 3.11 (tomllib); write it as JSON")
    except ValueError as err:   # JSONDecodeError and TOMLDecodeError both are
        kind = "TOML" if path.suffix == ".toml" else "JSON"
        raise ValueError(f"{path} is not valid {kind}: {err}") from None
    if isinstance(config, dict):
        config.setdefault("out", str(Path("sweeps") / path.stem))
    return check_config(config)


def check_config(config):
    """The config with every default filled in; ``ValueError`` naming the bad key and the fix."""
    if not isinstance(config, dict):
        raise ValueError('a sweep config is one object: {"grid": {...}, "seeds": [...], ...}')
    for key in config:
        _known(key, CONFIG_KEYS, "config key")
    c = {"dataset": "digits", "dataset_sha256": None, "seeds": [0, 1, 2], "base": {},
         "grid": None, "presets": True, "out": None, "data_dir": None, **config}
    if not (c["dataset"] in DATASET_NAMES or isinstance(c["dataset"], str)
            and is_path(c["dataset"])):
        raise ValueError(f'"dataset": {c["dataset"]!r} is unknown; use one of '
                         f"{', '.join(DATASET_NAMES)}, or the path of an .npz file of your own "
                         '(ending in .npz, relative to the working folder), e.g. "wine.npz"')
    sha = c["dataset_sha256"]
    if sha is not None and not (is_path(c["dataset"]) and isinstance(sha, str) and len(sha) == 64
                                and all(ch in "0123456789abcdef" for ch in sha)):
        raise ValueError(f'"dataset_sha256": {sha!r} must be null, or the 64 lowercase hex '
                         'digits of the "dataset" file\'s sha256 (as sha256sum prints it); only '
                         "for a file of your own")
    seeds = c["seeds"]
    if not (isinstance(seeds, list) and seeds and all(_IS_INT(s) and s >= 0 for s in seeds)):
        raise ValueError(f'"seeds" must be a non-empty list of integers >= 0, e.g. [0, 1, 2]; '
                         f"got {seeds!r}")
    c["seeds"] = list(dict.fromkeys(seeds))
    if not isinstance(c["base"], dict):
        raise ValueError(f'"base" must be an object of Classifier settings, got {c["base"]!r}')
    for key, value in c["base"].items():
        _check_setting(key, value, f'base["{key}"]')
    grid = c["grid"]
    if not isinstance(grid, dict) or not grid:
        raise ValueError('"grid" is missing or empty: give at least one setting to vary, e.g. '
                         '"grid": {"learning_rate": [0.001, 0.003]} (one value repeats base '
                         'over the seeds)')
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f'grid["{key}"] must be a non-empty list of values, e.g. '
                             f'"{key}": [{json.dumps(values)}]; got {json.dumps(values)}')
        for i, value in enumerate(values):
            _check_setting(key, value, f'grid["{key}"][{i}]')
        if len({json.dumps(v) for v in values}) < len(values):
            raise ValueError(f'grid["{key}"] = {json.dumps(values)} repeats a value; '
                             "list each value once")
        if key in c["base"]:
            raise ValueError(f'"{key}" is both in base and in grid; keep it in one of them')
    if not isinstance(c["presets"], bool):
        raise ValueError(f'"presets" must be true or false, got {c["presets"]!r}')
    for key in ("out", "data_dir"):
        if c[key] is not None and not isinstance(c[key], str):
            raise ValueError(f'"{key}" must be a folder name (a string), got {c[key]!r}')
    return c


def expand(config):
    """Every run of the sweep: grid points in the config's order, then seeds.

    Returns
    -------
    list of dict
        ``run_id`` (``<rule>-seed<seed>-<12 hex digits>``), ``point`` (grid key -> value),
        ``settings`` (every ``Classifier`` argument but ``random_state`` and ``verbose``),
        ``seed``, ``dataset`` and, for a file of your own, ``dataset_sha256`` (the config's,
        else the file's now), which the run id also hashes.
    """
    c = check_config(config)
    data = {"dataset": c["dataset"]}
    if is_path(c["dataset"]):
        data["dataset_sha256"] = dataset_sha256(c)
    keys = list(c["grid"])
    runs = []
    for values in itertools.product(*c["grid"].values()):
        point = dict(zip(keys, values))
        s = _resolve({**c["base"], **point}, c["presets"])
        for seed in c["seeds"]:
            text = json.dumps({**data, "settings": identity(s), "seed": seed}, sort_keys=True)
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            runs.append({"run_id": f"{s['rule']}-seed{seed}-{digest}", "point": point,
                         "settings": s, "seed": seed, **data})
    same = {}
    for r in runs:
        other = same.setdefault(r["run_id"], r["point"])
        if other is not r["point"]:
            raise ValueError(f"grid points {json.dumps(other)} and {json.dumps(r['point'])} give "
                             "the same settings; drop one of them")
    return runs


def identity(settings):
    """``settings`` without the :data:`NEW_AT_DEFAULT` entries at their defaults."""
    return {k: v for k, v in settings.items()
            if k not in NEW_AT_DEFAULT or v != NEW_AT_DEFAULT[k]}


def dataset_sha256(c):
    """The sha256 of a checked config's ``"dataset"`` file: the config's ``dataset_sha256``
    if it has one, else the file's (``FileNotFoundError`` naming it if it is missing)."""
    if c["dataset_sha256"]:
        return c["dataset_sha256"]
    path = Path(c["dataset"]).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'"dataset": {path} not found (a relative path is read from '
                                f"the working folder, {Path.cwd()})")
    return sha256_file(path)


def run_settings(rule="dfa", presets=True, **kwargs):
    """Every ``Classifier`` setting of one run, JSON-plain (lists, not tuples).

    ``presets``: the rule's preset updated by ``kwargs``, as
    :func:`nplearn.experiments.settings` (what ``nplearn compare`` trains); else
    ``Classifier``'s defaults updated by ``kwargs`` (what ``Classifier(rule=rule, **kwargs)``
    and ``nplearn train`` train). Either way a ``None`` left is the rule's paper default
    where it has one, and ``optimizer_params`` is the rule's only with the rule's optimiser,
    as ``Classifier`` does.
    """
    if presets:
        s = preset_settings(rule, **kwargs)
    else:
        s = Classifier(rule=rule, **kwargs).get_params()
        defaults = RULES[rule].defaults
        if s["optimizer_params"] is None and s["optimizer"] not in (None, defaults["optimizer"]):
            s["optimizer_params"] = {}
        s = {k: defaults.get(k) if v is None else v for k, v in s.items() if k in SETTINGS}
    return json.loads(json.dumps(s))


def _resolve(kwargs, presets):
    kwargs = dict(kwargs)
    return run_settings(kwargs.pop("rule", "dfa"), presets, **kwargs)


def saved_config(out):
    """The config in ``out/config.json``; ``ValueError`` saying how to proceed if unreadable."""
    try:
        return json.loads((out / "config.json").read_text())
    except ValueError as err:
        raise ValueError(f"{out / 'config.json'} is not valid JSON ({err}); run the sweep's "
                         "config again with --replace-config to rewrite it") from None


def check_same_sweep(out, c):
    """``ValueError`` if ``out`` holds the config of another sweep (how to proceed in it)."""
    if not (out / "config.json").exists():
        return
    saved = saved_config(out)
    mine = json.loads(json.dumps(c))
    differ = [k for k in RUN_KEYS if not isinstance(saved, dict) or saved.get(k) != mine[k]]
    if differ:
        changed = (" (the dataset file's content is not the one that sweep ran on)"
                   if differ == ["dataset_sha256"] else "")
        raise ValueError(
            f"{out} holds another sweep: its config.json differs from this config in "
            f"{', '.join(differ)}{changed}. Give this sweep its own folder (--out DIR, or "
            "\"out\" in the config); or, to change or extend the sweep in this folder on "
            "purpose, run again with --replace-config (replace_config=True): finished runs "
            "whose settings match are kept, and the table then reads this config's runs")


def read_run(path, run):
    """``("done", record)``, ``("missing", None)`` or ``("corrupt", why)`` for ``run``."""
    if not path.exists():
        return "missing", None
    try:
        record = json.loads(path.read_text())
    except (ValueError, OSError) as err:
        return "corrupt", str(err)
    why = _invalid(record, run)
    return ("corrupt", why) if why else ("done", record)


def _invalid(record, run):
    """What makes ``record`` not a complete record of ``run``; ``None`` if nothing."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for key in ("run_id", "seed", "dataset", "settings", "dataset_sha256"):
        if key not in run:
            continue
        if key not in record:
            return f'no "{key}"'
        theirs, ours = record[key], run[key]
        if key == "settings" and isinstance(theirs, dict):    # a record older than a setting
            theirs, ours = identity(theirs), identity(ours)
        if theirs != ours:
            return f'"{key}" is not this run\'s'
    if "status" not in record:
        return 'no "status"'
    status = record["status"]
    if status not in STATUSES:
        return f'"status" is {json.dumps(status)}, not one of {", ".join(STATUSES)}'
    fields = {"seconds": lambda v: _IS_NUM(v) and math.isfinite(v) and v >= 0}
    if status == "ok":
        fields.update({f"{k}_error": lambda v: v is None or _IS_NUM(v) and 0 <= v <= 1
                       for k in _SPLITS},
                      epochs=lambda v: _IS_INT(v) and v >= 1)
    else:
        fields["message"] = lambda v: isinstance(v, str)
    for key, ok in fields.items():
        if key not in record:
            return f'no "{key}"'
        if not ok(record[key]):
            return f'"{key}" is {json.dumps(record[key])[:40]}'
    return None


def _check_setting(key, value, where):
    _known(key, SETTINGS, "Classifier setting", where)
    test, what = SETTING_RULES.get(key, (lambda v: True, ""))
    if key == "rule" and value is None or value is not None and not test(value):
        raise ValueError(f"{where} = {json.dumps(value)} is not valid: {key} must be {what}")


def _known(key, allowed, kind, where=None):
    if key in allowed:
        return
    hint = {"random_state": "; seeds go in \"seeds\"",
            "verbose": "; sweeps never show per-run progress bars"}.get(key, "")
    close = difflib.get_close_matches(key, allowed, n=1)
    hint += f'; did you mean "{close[0]}"?' if close and not hint else ""
    raise ValueError(f'unknown {kind} "{key}"{f" in {where}" if where else ""}{hint} '
                     f"(allowed: {', '.join(allowed)})")
