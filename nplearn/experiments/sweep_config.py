"""Sweep configs: read, check (errors that name the key and the fix), expand into runs.

See :mod:`nplearn.experiments.sweep` for what a config holds; ``docs/sweeps.md`` for the schema.
"""
import difflib
import hashlib
import itertools
import json
from pathlib import Path

from ..data import DATASET_NAMES
from ..estimator import Classifier
from ..nn import ACTIVATIONS, LOSSES
from ..optim import OPTIMIZERS
from ..rules import RULES
from .presets import settings as preset_settings

CONFIG_KEYS = ("dataset", "seeds", "base", "grid", "presets", "out", "data_dir")
SETTINGS = tuple(k for k in Classifier().get_params() if k not in ("random_state", "verbose"))
_IS_INT = lambda v: isinstance(v, int) and not isinstance(v, bool)       # noqa: E731
_IS_NUM = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
_POSITIVE_INT = (lambda v: _IS_INT(v) and v >= 1, "a positive integer")
# setting -> (test of a value, what it must be); null (None) passes but for rule
_CHECKS = {k: (lambda v, names=names: v in names, f"one of {', '.join(names)}") for k, names in
           {"rule": RULES, "activation": ACTIVATIONS, "loss": LOSSES, "optimizer": OPTIMIZERS,
            "dtype": ("float64", "float32")}.items()}
_CHECKS.update(epochs=_POSITIVE_INT, batch_size=_POSITIVE_INT, pool=_POSITIVE_INT, **{
    "hidden_sizes": (lambda v: isinstance(v, list) and all(_IS_INT(n) and n >= 1 for n in v),
                     "a list of positive integers, e.g. [100, 100]"),
    "learning_rate": (lambda v: _IS_NUM(v) and v > 0, "a number > 0, e.g. 0.001"),
    "dropout": (lambda v: _IS_NUM(v) and 0 <= v < 1, "a number in [0, 1)"),
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
    c = {"dataset": "digits", "seeds": [0, 1, 2], "base": {}, "grid": None, "presets": True,
         "out": None, "data_dir": None, **config}
    if c["dataset"] not in DATASET_NAMES:
        raise ValueError(f'"dataset": {c["dataset"]!r} is unknown; use one of '
                         f"{', '.join(DATASET_NAMES)}")
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
        ``seed``, ``dataset``.
    """
    c = check_config(config)
    keys = list(c["grid"])
    runs = []
    for values in itertools.product(*c["grid"].values()):
        point = dict(zip(keys, values))
        s = _resolve({**c["base"], **point}, c["presets"])
        for seed in c["seeds"]:
            text = json.dumps({"dataset": c["dataset"], "settings": s, "seed": seed},
                              sort_keys=True)
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            runs.append({"run_id": f"{s['rule']}-seed{seed}-{digest}", "point": point,
                         "settings": s, "seed": seed, "dataset": c["dataset"]})
    same = {}
    for r in runs:
        other = same.setdefault(r["run_id"], r["point"])
        if other is not r["point"]:
            raise ValueError(f"grid points {json.dumps(other)} and {json.dumps(r['point'])} give "
                             "the same settings; drop one of them")
    return runs


def _resolve(kwargs, presets):
    """Every ``Classifier`` setting of one run, JSON-plain (lists, not tuples)."""
    kwargs = dict(kwargs)
    rule = kwargs.pop("rule", "dfa")
    if presets:
        s = preset_settings(rule, **kwargs)
    else:
        s = Classifier(rule=rule, **kwargs).get_params()
        s = {k: RULES[rule].defaults.get(k) if v is None else v for k, v in s.items()
             if k in SETTINGS}
    return json.loads(json.dumps(s))


def _check_setting(key, value, where):
    _known(key, SETTINGS, "Classifier setting", where)
    test, what = _CHECKS.get(key, (lambda v: True, ""))
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
