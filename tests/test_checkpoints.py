"""Checkpoints: replaced all at once or not at all, one per name, every label type, checked
field by field at load, and exact: a resumed run is the uninterrupted run, bit for bit."""
import json
import os

import numpy as np
import pytest

from nplearn import Classifier, load_dataset
from nplearn.rules import DFA, RULES
from nplearn.train import load_checkpoint, save_checkpoint
from nplearn.train.checkpoint import HASH_KEY, META_KEY, checkpoint_paths

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 5))
y = np.arange(60) % 3


def fitted(seed=0, **kw):
    return Classifier(rule="bp", hidden_sizes=(6,), epochs=1, random_state=seed,
                      **kw).fit(X, y)


def same_model(a, b):
    assert a.get_params() == b.get_params()
    for k in a.model_.params:
        np.testing.assert_array_equal(a.model_.params[k], b.model_.params[k])
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def no_temp_files(folder):
    return not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------- 1. all at once or not at all
class _Writes:
    """Wraps a file object so that its writes go through ``hook`` (counted, maybe failing)."""

    def __init__(self, fh, hook):
        self._fh, self._hook = fh, hook

    def write(self, data):
        self._hook()
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        self._fh.__enter__()
        return self

    def __exit__(self, *exc):
        return self._fh.__exit__(*exc)


def _patch(m, op, hook):
    """Route every ``op`` of a save through ``hook``: os.fsync, os.replace, or each write
    to a file the save opened."""
    if op == "write":
        real_fdopen = os.fdopen

        def fdopen(*args, **kw):
            return _Writes(real_fdopen(*args, **kw), hook)
        m.setattr(os, "fdopen", fdopen)
        return
    real = getattr(os, op)

    def wrapped(*args, **kw):
        hook()
        return real(*args, **kw)
    m.setattr(os, op, wrapped)


@pytest.mark.parametrize("op", ["fsync", "replace", "write"])
def test_a_save_that_fails_at_any_write_leaves_the_old_or_the_new_checkpoint(
        op, tmp_path, monkeypatch):
    """Fail the k-th disk operation of a save, for every k: the name then loads as the old
    checkpoint or as the new one, never a mix, and no temporary file is left."""
    old, new = fitted(seed=0), fitted(seed=1)
    path = tmp_path / "ckpt"
    count = [0]
    with monkeypatch.context() as m:       # how many such operations one save makes
        _patch(m, op, lambda: count.__setitem__(0, count[0] + 1))
        new.save(tmp_path / "probe")
    assert count[0] >= 2
    outcomes = set()
    for k in range(1, count[0] + 1):
        old.save(path)                      # start from the old checkpoint each time
        calls = [0]

        def failing():
            calls[0] += 1
            if calls[0] == k:
                raise OSError(f"simulated failure of {op} number {k}")
        with monkeypatch.context() as m:
            _patch(m, op, failing)
            try:
                new.save(path)
                raised = False
            except OSError:
                raised = True
        back = Classifier.load(path)       # must load: never a refused half-new pair
        is_new = np.array_equal(back.model_.params["W1"], new.model_.params["W1"])
        same_model(back, new if is_new else old)
        assert is_new or raised, "a save that did not raise must leave the new checkpoint"
        outcomes.add("new" if is_new else "old")
        assert no_temp_files(tmp_path)
        js = checkpoint_paths(path)[1]
        if js.exists():                     # the readable copy never describes the other one
            copy = json.loads(js.read_text())
            arrays, meta = load_checkpoint(path)
            assert copy["params"] == meta["params"] and copy["rng_state"] == meta["rng_state"]
            np.testing.assert_array_equal(copy["history"]["train_loss"],
                                          meta["history"]["train_loss"])
    assert "old" in outcomes


def test_interrupt_during_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    old, new = fitted(seed=0), fitted(seed=1)
    old.save(tmp_path / "m")
    real = os.replace

    def interrupted(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        new.save(tmp_path / "m")
    monkeypatch.setattr(os, "replace", real)
    same_model(Classifier.load(tmp_path / "m"), old)
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("make, match", [
    (lambda: fitted(schedule=lambda e: 1.0), "named schedule"),
    (lambda: Classifier(hidden_sizes=(6,), epochs=1,
                        random_state=np.random.default_rng(0)).fit(X, y), "random_state"),
])
def test_an_unsavable_estimator_fails_before_anything_is_written(make, match, tmp_path):
    good = fitted()
    npz, js = good.save(tmp_path / "m")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ValueError, match=match):
        make().save(tmp_path / "m")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_rule_instance_saves_and_loads(tmp_path):
    """``Classifier(rule=DFA())`` is a documented form: it saves, loads and trains on."""
    clf = Classifier(rule=DFA(shared_feedback=False), hidden_sizes=(6, 6), epochs=1,
                     random_state=0).fit(X, y)
    clf.save(tmp_path / "dfa")
    back = Classifier.load(tmp_path / "dfa")
    assert isinstance(back.rule, DFA) and back.rule.get_params() == clf.rule.get_params()
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    clf.partial_fit(X, y)
    back.partial_fit(X, y)
    np.testing.assert_array_equal(back.model_.params["W1"], clf.model_.params["W1"])


def test_a_rule_instance_with_an_unstorable_setting_fails_before_writing(tmp_path):
    fitted().save(tmp_path / "m")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    rule = DFA()
    rule.extra = object()                   # a hyperparameter JSON cannot hold
    clf = Classifier(rule=rule, hidden_sizes=(6,), epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="rule.extra"):
        clf.save(tmp_path / "m")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# ---------------------------------------------------------------- 2. dotted names
def test_dotted_names_are_distinct_checkpoints(tmp_path):
    a, b = fitted(seed=0), fitted(seed=1)
    a.save(tmp_path / "clf_lr0.001")
    b.save(tmp_path / "clf_lr0.003")
    same_model(Classifier.load(tmp_path / "clf_lr0.001"), a)
    same_model(Classifier.load(tmp_path / "clf_lr0.003"), b)
    assert (tmp_path / "clf_lr0.001.npz").is_file() and (tmp_path / "clf_lr0.003.json").is_file()
    # a path given with its suffix names the same checkpoint
    same_model(Classifier.load(tmp_path / "clf_lr0.001.npz"), a)
    same_model(Classifier.load(tmp_path / "clf_lr0.001.json"), a)


# ---------------------------------------------------------------- 3. every label type
LABELS = {
    "int": np.array([3, 7, 11]),
    "negative int": np.array([-2, 0, 5]),
    "uint8": np.array([1, 2, 3], np.uint8),
    "integral float": np.array([0.0, 1.0, 2.0]),
    "bool": np.array([False, True, True]),
    "str": np.array(["cat", "dog", "eel"]),
    "object str (pandas)": np.array(["cat", "dog", "eel"], dtype=object),
}


@pytest.mark.parametrize("kind", list(LABELS))
def test_every_label_type_round_trips(kind, tmp_path):
    names = LABELS[kind]
    labels = names[y % len(names)]
    clf = Classifier(rule="dfa", hidden_sizes=(6,), epochs=1, random_state=0).fit(X, labels)
    clf.save(tmp_path / "m")
    back = Classifier.load(tmp_path / "m")
    assert back.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(back.classes_, clf.classes_)
    pred = back.predict(X)
    assert pred.dtype == clf.predict(X).dtype
    np.testing.assert_array_equal(pred, clf.predict(X))
    back.partial_fit(X, labels)              # and it trains on with the same labels
    assert back.n_iter_ == 2


def test_mixed_type_labels_are_refused_at_fit():
    with pytest.raises(ValueError, match="mixes label types"):
        Classifier(epochs=1).fit(X, np.array(["a", 1, "b"] * 20, dtype=object))


# ---------------------------------------------------------------- 10. checked at load
def _rewrite(path, edit):
    """Load the raw checkpoint, apply ``edit(arrays, meta)``, save it with a VALID hash: a
    file an editor or another program wrote consistently, which load must still check."""
    arrays, meta = load_checkpoint(path)
    meta.pop("format_version")
    edit(arrays, meta)
    save_checkpoint(path, arrays, meta)


def _set(d, dotted, value):
    *head, last = dotted.split(".")
    for k in head:
        d = d[k]
    d[last] = value


EDITS = [
    ("format_version", lambda a, m: m.update(format_version=99), "format_version"),
    ("params.epochs", lambda a, m: _set(m, "params.epochs", 0), "epochs"),
    ("params.unknown", lambda a, m: _set(m, "params.colour", "red"), "params.colour"),
    ("params.rule", lambda a, m: _set(m, "params.rule", "magic"), "unknown rule"),
    ("model.sizes", lambda a, m: _set(m, "model.sizes", [5, 7, 3]), "model.sizes"),
    ("model.sizes type", lambda a, m: _set(m, "model.sizes", "5-6-3"), "model.sizes"),
    ("W1 shape", lambda a, m: a.update({"model/W1": np.zeros((6, 4))}), "model/W1"),
    ("W1 dtype", lambda a, m: a.update({"model/W1": a["model/W1"].astype(np.float32)}),
     "model/W1.*dtype"),
    ("b2 missing", lambda a, m: a.pop("model/b2"), "model/b2 is missing"),
    ("extra W9", lambda a, m: a.update({"model/W9": np.zeros(3)}), "model/W9"),
    ("classes count", lambda a, m: a.update(classes=np.arange(4)), "classes"),
    ("classes unsorted", lambda a, m: a.update(classes=np.array([2, 0, 1])), "classes"),
    ("classes missing", lambda a, m: a.pop("classes"), "classes"),
    ("optimizer name", lambda a, m: _set(m, "optimizer.name", "lbfgs"), "optimizer.name"),
    ("optimizer t", lambda a, m: _set(m, "optimizer.t", -3), "optimizer.t"),
    ("optimizer lr", lambda a, m: _set(m, "optimizer.lr", 0.0), "optimizer"),
    ("optimizer state", lambda a, m: a.update({"optim/r/W1": np.zeros((2, 2))}), "optim/r/W1"),
    ("optimizer state of nothing", lambda a, m: a.update({"optim/r/W7": np.zeros(2)}),
     "optim/r/W7"),
    ("history", lambda a, m: m["history"]["train_loss"].append(0.1), "history.train_loss"),
    ("history missing", lambda a, m: m.pop("history"), "history is missing"),
    ("rng_state", lambda a, m: _set(m, "rng_state", {"bit_generator": "Nope"}), "rng_state"),
]


@pytest.mark.parametrize("name, edit, match", EDITS, ids=[e[0] for e in EDITS])
def test_an_edited_checkpoint_fails_at_load_naming_the_field(name, edit, match, tmp_path):
    clf = fitted(optimizer="rmsprop")
    clf.save(tmp_path / "m")
    _rewrite(tmp_path / "m", edit)
    with pytest.raises(ValueError, match=match):
        Classifier.load(tmp_path / "m")


@pytest.mark.parametrize("where", ["array", "metadata"])
def test_a_changed_byte_anywhere_is_caught_by_the_hash(where, tmp_path):
    clf = fitted()
    npz, _ = clf.save(tmp_path / "m")
    arrays, meta = load_checkpoint(tmp_path / "m")
    raw = dict(np.load(npz))
    if where == "array":
        raw["model/W1"] = raw["model/W1"] + 1e-12
    else:                                   # the JSON is covered by the hash too
        text = raw[META_KEY].tobytes().replace(b'"epochs": 1', b'"epochs": 2')
        raw[META_KEY] = np.frombuffer(text, np.uint8)
    np.savez(npz, **raw)
    with pytest.raises(ValueError, match="sha256"):
        Classifier.load(tmp_path / "m")


def test_foreign_and_corrupt_files_fail_with_a_plain_message(tmp_path):
    npz = tmp_path / "m.npz"
    fitted().save(tmp_path / "m")
    good = npz.read_bytes()
    npz.write_bytes(good[: len(good) // 2])                 # truncated
    with pytest.raises(ValueError, match="corrupt or truncated"):
        Classifier.load(tmp_path / "m")
    npz.write_bytes(b"this is not a checkpoint")            # another kind of file
    with pytest.raises(ValueError, match="not an .npz"):
        Classifier.load(tmp_path / "m")
    np.savez(npz, W1=np.zeros(3))                           # someone else's npz
    (tmp_path / "m.json").unlink()
    with pytest.raises(ValueError, match="not an nplearn checkpoint"):
        Classifier.load(tmp_path / "m")
    np.savez(npz, W1=np.array([{"a": 1}], dtype=object))    # pickled objects
    with pytest.raises(ValueError, match="pickled") as err:
        Classifier.load(tmp_path / "m")
    assert "allow_pickle" not in str(err.value)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        Classifier.load(tmp_path / "absent")


def test_format_1_checkpoints_still_load(tmp_path):
    """A checkpoint of the previous format (.npz + .json with the npz's sha256) loads."""
    import hashlib
    clf = fitted()
    clf.save(tmp_path / "new")
    arrays, meta = load_checkpoint(tmp_path / "new")
    np.savez(tmp_path / "old.npz", **arrays)
    meta.update(format_version=1,
                npz_sha256=hashlib.sha256((tmp_path / "old.npz").read_bytes()).hexdigest())
    for k in ("classes_dtype",):
        meta.pop(k)
    for k in ("train_error_from",):
        meta["history"].pop(k)
    (tmp_path / "old.json").write_text(json.dumps(meta))
    back = Classifier.load(tmp_path / "old")
    same_model(back, clf)
    back.partial_fit(X, y)                  # its history gains the new key on the way
    assert back.history_["train_error_from"] == [None, "minibatches"]


def test_a_saved_checkpoint_is_never_a_pickle(tmp_path):
    npz, js = fitted().save(tmp_path / "m")
    with np.load(npz, allow_pickle=False) as f:
        assert {META_KEY, HASH_KEY, "classes", "model/W1"} <= set(f.files)
        assert all(f[k].dtype != object for k in f.files)
    assert json.loads(js.read_text())["format_version"] == 2


# ---------------------------------------------------------------- exact resume, every rule
DIGITS = load_dataset("digits")
XD, YD = DIGITS.x_train[:160], DIGITS.y_train[:160]


def rule_kwargs(rule):
    kw = {"hidden_sizes": (12,), "batch_size": 32}
    if rule in ("ep", "efp", "sigprop_ct"):
        kw["hidden_sizes"] = (12, 12) if rule != "ep" else (12,)
    if rule.startswith("snn_"):
        kw["hidden_sizes"] = (16,)
    return kw


def _rule_cases():
    cases = []
    for rule in sorted(RULES):
        for dtype in ("float64", "float32"):
            cases.append(pytest.param(rule, dtype, id=f"{rule}-{dtype}"))
    return cases


def _weights(clf):
    return {**clf.model_.params, **{f"rule/{k}": v for k, v in clf.rule_.state().items()}}


@pytest.mark.parametrize("rule, dtype", _rule_cases())
def test_resume_is_bit_identical_and_seeds_reproduce(rule, dtype, tmp_path):
    kw = dict(rule=rule, dtype=dtype, random_state=3, **rule_kwargs(rule))
    full = Classifier(epochs=2, **kw).fit(XD, YD)
    again = Classifier(epochs=2, **kw).fit(XD, YD)          # same seed, same weights
    first = Classifier(epochs=1, **kw).fit(XD, YD)
    first.save(tmp_path / "one")
    resumed = Classifier.load(tmp_path / "one").partial_fit(XD, YD)
    w_full, w_again, w_resumed = _weights(full), _weights(again), _weights(resumed)
    assert w_full.keys() == w_resumed.keys()
    for k in w_full:
        np.testing.assert_array_equal(w_again[k], w_full[k], err_msg=f"seed, {k}")
        np.testing.assert_array_equal(w_resumed[k], w_full[k], err_msg=f"resume, {k}")
    assert resumed.history_["train_loss"] == full.history_["train_loss"]


def test_an_edited_readable_copy_is_refused_naming_the_field(tmp_path):
    """The .json has no effect on what loads; an edit there must not pass silently."""
    clf = fitted()
    _, js = clf.save(tmp_path / "m")
    meta = json.loads(js.read_text())
    meta["model"]["sizes"] = [5, 7, 3]
    js.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"field model.sizes\[1\] differs.*was edited"):
        Classifier.load(tmp_path / "m")
    js.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        Classifier.load(tmp_path / "m")
    js.unlink()                              # without the copy the checkpoint loads
    same_model(Classifier.load(tmp_path / "m"), clf)
