"""nplearn.Classifier as a scikit-learn estimator."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from nplearn import Classifier, load_dataset
from nplearn.rules import RULES

HOPFIELD = ("ep", "efp")      # train a HopfieldNet (tests/test_hopfield_rules.py)


@parametrize_with_checks([Classifier(rule=r, epochs=5, random_state=0) for r in ("bp", "dfa")])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_clone_cross_val_and_grid_search(digits):
    clf = Classifier(rule="dfa", epochs=5, learning_rate=1e-2, random_state=0)
    assert clone(clf).get_params() == clf.get_params()
    scores = cross_val_score(clf, digits.x_train, digits.y_train, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.5
    gs = GridSearchCV(clf, {"learning_rate": [1e-3, 1e-2]}, cv=2).fit(digits.x_train, digits.y_train)
    assert gs.best_params_["learning_rate"] in (1e-3, 1e-2)


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_any_number_of_features_and_classes(loader, rule):
    X, y = loader(return_X_y=True)
    kw = {"hidden_sizes": (16, 16), "learning_rate": 1e-2}
    if rule.startswith("snn_"):
        pytest.skip("the spiking rules train conv nets on square images (tests/test_spiking.py)")
    if rule == "sigprop_ct":    # EFP's network with a trained loop; rates 0.2, 0.05, 0.01, 0.01
        X = MinMaxScaler().fit_transform(X)
        kw["learning_rate"] = 3.0
    elif rule in HOPFIELD:        # rates in [0, 1] (rho clips the input); lr: a factor on the rates
        if loader is load_iris:
            pytest.xfail("iris (4 inputs) stalls below 80 %: in EP every output unit saturates "
                         "at 1, where the nudge (beta = 1) cannot pull it down, so no update "
                         "follows; EFP reaches about 66 %")
        X = MinMaxScaler().fit_transform(X)
        kw = {"hidden_sizes": (16,) if rule == "ep" else (16, 16), "learning_rate": 0.3}
    else:
        X = StandardScaler().fit_transform(X)
    # sigprop's Output-Target on 16 units: on iris with seed 0 two class targets start close
    # and stay merged (66.7 %) for the first ~100 epochs; 97 % after 200 (measured)
    epochs = 200 if rule == "sigprop" else 50
    clf = Classifier(rule=rule, **kw, epochs=epochs, batch_size=16, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (len(X), len(np.unique(y)))
    assert clf.score(X, y) > 0.8


def test_string_labels_and_partial_fit(digits):
    names = np.array(list("abcdefghij"))
    y = names[digits.y_train]
    clf = Classifier(rule="fa", random_state=0)
    clf.partial_fit(digits.x_train[:100], y[:100], classes=names)
    clf.partial_fit(digits.x_train[100:], y[100:])
    assert clf.n_iter_ == 2 and set(clf.predict(digits.x_test)) <= set(names)
    with pytest.raises(ValueError, match="not seen"):
        clf.partial_fit(digits.x_train[:5], np.array(["z"] * 5))


def test_same_seed_same_result(digits):
    a = Classifier(epochs=2, random_state=3).fit(digits.x_train, digits.y_train)
    b = Classifier(epochs=2, random_state=3).fit(digits.x_train, digits.y_train)
    np.testing.assert_array_equal(a.model_.params["W1"], b.model_.params["W1"])


def test_float32_stays_float32(digits):
    kw = dict(rule="dfa", epochs=10, learning_rate=1e-2, random_state=0)
    clf = Classifier(dtype="float32", **kw).fit(digits.x_train, digits.y_train)
    assert all(p.dtype == np.float32 for p in clf.model_.params.values())
    assert clf.rule_.B_["B1"].dtype == np.float32
    ref = Classifier(dtype="float64", **kw).fit(digits.x_train, digits.y_train)
    assert abs(clf.score(digits.x_test, digits.y_test) - ref.score(digits.x_test, digits.y_test)) < 0.03


def test_history_and_eval_sets(digits):
    clf = Classifier(epochs=3, random_state=0).fit(
        digits.x_train, digits.y_train,
        eval_sets={"val": (digits.x_val, digits.y_val), "test": (digits.x_test, digits.y_test)})
    h = clf.history_
    assert h["epoch"] == [1, 2, 3]
    assert all(len(h[k]) == 3 for k in ("train_loss", "train_error", "val_error", "test_error"))
    assert h["test_error"][-1] == pytest.approx(1 - clf.score(digits.x_test, digits.y_test))


@pytest.mark.parametrize("rule", sorted(RULES))
def test_checkpoint_round_trip_is_exact(rule, digits, tmp_path):
    X, y = digits.x_train, digits.y_train
    clf = Classifier(rule=rule, hidden_sizes=(20, 20), epochs=2, random_state=0,
                     optimizer="adam").fit(X, y)
    clf.save(tmp_path / "ckpt")
    back = Classifier.load(tmp_path / "ckpt")
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.get_params() == clf.get_params() and back.history_ == clf.history_
    # training on from the checkpoint is identical to training on without it
    clf.partial_fit(X, y)
    back.partial_fit(X, y)
    for k in clf.model_.params:
        np.testing.assert_array_equal(back.model_.params[k], clf.model_.params[k])


@pytest.mark.parametrize("rule", ["bp", "dfa"])
def test_input_dropout_zeroes_and_scales_inputs_in_training_only(rule, digits, tmp_path):
    """DFA paper, Sec. 4: the dropout rows drop 0.1 of the inputs. In training each input is
    kept with probability 1 - p and scaled by 1 / (1 - p) (inverted dropout, as the hidden
    units); prediction uses every input, unscaled, so it is deterministic."""
    p, X, y = 0.25, digits.x_train[:200], digits.y_train[:200]
    clf = Classifier(rule=rule, hidden_sizes=(8,), input_dropout=p, random_state=0)
    rec = clf.trace_step(X, y, classes=np.arange(10))     # the step fit makes
    mask = rec["mask_0"]
    assert set(np.unique(mask)) == {0.0, 1 / (1 - p)}
    assert abs(np.mean(mask == 0) - p) < 0.02
    np.testing.assert_array_equal(rec["h_0"], X * mask)
    np.testing.assert_allclose(rec["a_1"], rec["h_0"] @ rec["W1_before"].T + rec["b1_before"])
    assert "mask_0" not in Classifier(rule=rule, hidden_sizes=(8,), random_state=0).trace_step(
        X, y, classes=np.arange(10))                     # input_dropout=0: no mask
    clf.partial_fit(X, y)
    W, b = clf.model_.params["W1"], clf.model_.params["b1"]
    a = clf.decision_function(X)
    np.testing.assert_array_equal(a, clf.decision_function(X))
    h1 = clf.model_.f.f(X @ W.T + b)                      # no mask, no scaling at predict
    np.testing.assert_allclose(a, h1 @ clf.model_.params["W2"].T + clf.model_.params["b2"])
    clf.save(tmp_path / "ckpt")                           # save / load keeps it
    back = Classifier.load(tmp_path / "ckpt")
    assert back.input_dropout == p and back.model_.input_dropout == p
    clf.partial_fit(X, y)
    back.partial_fit(X, y)
    np.testing.assert_array_equal(back.model_.params["W1"], clf.model_.params["W1"])


def test_input_dropout_is_refused_where_the_network_has_none(digits):
    X, y = digits.x_train[:50], digits.y_train[:50]
    for kw in ({"rule": "sigprop"}, {"rule": "ep"}, {"rule": "snn_bp"},
               {"rule": "bp", "conv": [(4, 3, 1)]}):
        with pytest.raises(ValueError, match="input dropout|input_dropout needs"):
            Classifier(**kw, input_dropout=0.1, epochs=1).fit(X, y)


def test_checkpoint_corruption_detected_and_old_file_kept(digits, tmp_path):
    clf = Classifier(epochs=1, random_state=0).fit(digits.x_train, digits.y_train)
    npz, js = clf.save(tmp_path / "ckpt")
    good = npz.read_bytes()
    npz.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="corrupt"):
        Classifier.load(tmp_path / "ckpt")
    npz.write_bytes(good)
    assert Classifier.load(tmp_path / "ckpt").n_features_in_ == 64
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_trace_step_names(digits):
    clf = Classifier(rule="dfa", hidden_sizes=(7, 5), random_state=0)
    tr = clf.trace_step(digits.x_train[:4], digits.y_train[:4], classes=np.arange(10))
    for name in ("x", "a_1", "h_1", "a_2", "h_2", "a_3", "y_hat", "e", "delta_1", "delta_2",
                 "dW_1", "dW_2", "dW_3", "db_1", "B1", "B2", "loss"):
        assert name in tr, name
    assert tr["delta_1"].shape == (4, 7) and tr["dW_1"].shape == (7, 64)


def test_train_error_comes_from_the_minibatch_passes_unless_a_full_pass_is_asked(digits):
    from nplearn.train import build, evaluate, train
    X, y = digits.x_train[:200], digits.y_train[:200]
    model, rule = build("bp", 64, 10, (16,), rng=0)
    before = evaluate(model, X, y)[1]                 # one batch = the whole set: the batch
    from nplearn.optim import SGD                     # pass sees the initial weights
    h = train(model, rule, SGD(0.5), X, y, epochs=1, batch_size=len(X), rng=0, progress=False)
    assert h["train_error"] == [before] and h["train_error_from"] == ["minibatches"]
    clf = Classifier(epochs=2, random_state=0).fit(X, y, eval_train=True)
    assert clf.history_["train_error_from"] == ["full pass"] * 2
    assert clf.history_["train_error"][-1] == pytest.approx(1 - clf.score(X, y))
    fast = Classifier(epochs=2, random_state=0).fit(X, y)     # the same weights either way
    np.testing.assert_array_equal(fast.model_.params["W1"], clf.model_.params["W1"])
    assert fast.history_["train_error_from"] == ["minibatches"] * 2


def test_blas_threads_follow_the_problem_size():
    from nplearn.train import blas_threads, build
    small, _ = build("dfa", 784, 10, (800, 800), rng=0)
    assert blas_threads(small, 64, available=2) == 1          # a 784-800-800-10 step
    assert blas_threads(small, 4096, available=2) == 2        # 5 GFLOP products
    assert blas_threads(small, 4096, available=1) == 1        # never above the limit


def test_spiking_products_count_every_time_step():
    # the spiking net's layers above the first see new spikes at every step: T n rows
    from nplearn.train import blas_threads, build
    from nplearn.train.threads import largest_product_flop
    net, _ = build("snn_bp", 784, 10, (100,), rng=0)
    T, n = net.time_steps, 128
    C2, C1, k, _ = net.params["W2"].shape                     # conv 2: 32 x 16 x 3 x 3
    _, Ho, Wo = net.conv_shapes[2]                            # 14 x 14 on a 28 x 28 image
    assert largest_product_flop(net, n) == 2.0 * T * n * C2 * C1 * k * k * Ho * Wo
    assert blas_threads(net, n, available=2) == 2             # 0.92 GFLOP per product
    net.time_steps = 1
    assert blas_threads(net, n, available=2) == 1             # the same shapes once: 0.23


def test_limited_gives_blas_the_threads_and_numba_one():
    # both pools at 2 threads spin against each other (limited's docstring: 570 ms a step
    # against 67 ms with Numba at 1)
    import numba
    from threadpoolctl import threadpool_info
    from nplearn.train.threads import limited
    before = numba.get_num_threads()
    with limited(2):
        assert numba.get_num_threads() == 1
        blas = [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]
        assert blas and max(blas) <= 2
    assert numba.get_num_threads() == before
