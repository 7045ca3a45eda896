"""``nplearn.Classifier``: every learning rule behind the scikit-learn estimator API.

What the estimator promises (atomic saves, exact resume, what a ``DivergenceError`` leaves
behind, what is validated) is written down in ``docs/guarantees.md``.
"""
import copy

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import __version__
from .nn.conv_geometry import image_shape_for
from .optim import OPTIMIZERS, get_optimizer, get_schedule
from .rules import LearningRule, get_rule
from .train import HISTORY_KEYS, build, load_checkpoint, save_checkpoint, train, train_step
from .train import spec
from .train.loop import one_hot
from .train.validation import check_classifier_params, check_eval_sets

#: What ``save`` and ``load`` leave out: the fitted state lives in the checkpoint's arrays.
_FITTED = ("classes_", "n_features_in_", "model_", "rule_", "optimizer_", "history_",
           "n_iter_", "_rng")


class Classifier(ClassifierMixin, BaseEstimator):
    """A feedforward network trained by a chosen learning rule.

    Parameters
    ----------
    rule : str or LearningRule, default="dfa"
        A name in :data:`nplearn.rules.RULES`: ``"bp"``, ``"fa"``, ``"dfa"``, ``"ifa"``,
        ``"bfa"``, ``"bdfa"``, ``"ep"``, ``"efp"``, ``"pepita"``, ``"sigprop"``,
        ``"sigprop_ct"``, ``"snn_bp"``, ``"snn_shallow"``, ``"snn_sigprop"`` (EP, EFP and
        sigprop_ct train a continuous Hopfield network, the ``snn_*`` rules a spiking conv
        net), or a rule instance.
    hidden_sizes : tuple of int, default=(100,)
        Widths of the fully connected hidden layers (after the conv layers, if any).
    activation : str, optional
        Hidden non-linearity; ``None`` takes the rule's paper default (tanh).
    optimizer : str, optional
        ``"sgd"``, ``"rmsprop"`` or ``"adam"``; ``None``: the rule's paper default (RMSprop for
        the DFA family; SGD with momentum 0.9 for PEPITA).
    learning_rate : float, optional
        A finite number > 0; ``None``: the rule's default (0 is refused, not replaced).
    optimizer_params : dict, optional
        Extra optimiser hyperparameters, e.g. ``{"momentum": 0.9}`` for SGD; ``None``: the
        rule's paper settings when ``optimizer`` is its paper optimiser (PEPITA: momentum
        0.9), else the optimiser's defaults.
    epochs : int, default=20
        At least 1.
    batch_size : int, default=64
        At least 1.
    dtype : {"float64", "float32"}, default="float64"
    random_state : int, numpy Generator or None
        Seeds weights, feedback matrices, shuffling and dropout.
    rule_params : dict, optional
        Extra hyperparameters of the rule (e.g. ``{"shared_feedback": True}`` for DFA,
        ``{"alpha": 0.25}`` for BDFA).
    loss : str, optional
        ``"logistic_bce"`` (DFA paper), ``"softmax_ce"`` or ``"mse"``; ``None``: the rule's default.
    dropout : float, optional
        Drop probability of the fully connected hidden layers; ``None``: the rule's default
        (0, or 0.1 for PEPITA as in its Table 2).
    input_dropout : float, default=0.0
        Drop probability of the input units, in [0, 1), applied in training only (inverted
        dropout, as ``dropout``); the DFA paper's dropout rows drop 0.1 of the inputs (Sec.
        4). Fully connected :class:`~nplearn.nn.MLP` networks only (no ``conv``; not the
        Hopfield, sigprop or spiking rules).
    schedule : str or callable, optional
        ``"cosine"``, ``"multistep:60,90"`` or ``epoch -> factor``; ``None``: the rule's default
        (constant, or PEPITA's Table 2 step decay ``"multistep:60"``).
    verbose : bool, optional
        Progress bar; ``None`` shows it only on a terminal.
    conv : sequence of tuple, optional
        Convolutional layers before the dense ones, each ``(channels, kernel, stride)`` or
        ``(channels, kernel, stride, padding)`` (PEPITA Table 2 writes ``(32, 5, 1)``); each is
        followed by the non-linearity and ``pool`` x ``pool`` max pooling
        (:class:`nplearn.nn.ConvNet`, ``docs/conv.md``). Rules: BP, FA, DFA, PEPITA, sigprop,
        and the ``snn_*`` rules (which default to their own two conv layers).
    image_shape : tuple of int, optional
        ``(channels, height, width)`` of the flattened rows of ``X`` (needed with ``conv``;
        ``None``: a single-channel square image). ``Dataset.image_shape`` has it.
    pool : int, default=2
        Max-pooling size after every conv layer (1: no pooling).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    model_ : the network trained
        :class:`~nplearn.nn.MLP` or :class:`~nplearn.nn.ConvNet` (BP, FA, DFA, IFA, DRTP, BFA,
        BDFA, PEPITA), :class:`~nplearn.hopfield.HopfieldNet` (EP, EFP, sigprop_ct),
        :class:`~nplearn.rules.sigprop_net.SigpropNet` (sigprop) or
        :class:`~nplearn.snn.SpikingConvNet` (``snn_*``): what ``rule.make_model`` builds.
    rule_ : nplearn.rules.LearningRule
    optimizer_ : nplearn.optim.Optimizer
    history_ : dict
        Per-epoch lists: ``train_loss``, ``train_error``, ``train_error_from``
        (``"minibatches"`` or ``"full pass"``, see :meth:`fit`), ``val_error``,
        ``test_error``, ``time``...
    n_iter_ : int
        Epochs trained so far.

    Notes
    -----
    After a :class:`~nplearn.DivergenceError` the estimator holds the state at the end of the
    last epoch that finished (weights, rule and optimiser state, random generator, history),
    as if training had stopped there; if no epoch finished since the network was created,
    it is left unfitted. See ``docs/guarantees.md``.

    Examples
    --------
    >>> from nplearn import Classifier, load_dataset
    >>> d = load_dataset("digits")
    >>> clf = Classifier(rule="dfa", epochs=5, random_state=0).fit(d.x_train, d.y_train)
    >>> clf.score(d.x_test, d.y_test) > 0.8
    True
    """

    def __init__(self, rule="dfa", hidden_sizes=(100,), activation=None, optimizer=None,
                 learning_rate=None, epochs=20, batch_size=64, dtype="float64",
                 random_state=None, rule_params=None, loss=None, dropout=None,
                 input_dropout=0.0, schedule=None, verbose=None, conv=None, image_shape=None,
                 pool=2, optimizer_params=None):
        self.rule = rule
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.dtype = dtype
        self.random_state = random_state
        self.rule_params = rule_params
        self.loss = loss
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.schedule = schedule
        self.verbose = verbose
        self.conv = conv
        self.image_shape = image_shape
        self.pool = pool
        self.optimizer_params = optimizer_params

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, eval_sets=None, callbacks=(), eval_train=False):
        """Train from scratch for ``epochs`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        eval_sets : dict, optional
            ``{"val": (X_val, y_val), "test": (X_test, y_test)}`` scored after each
            epoch into ``history_`` (monitoring only; other keys are refused).
        callbacks : sequence, optional
            Training-loop callbacks, e.g. :class:`nplearn.analysis.AlignmentRecorder`.
        eval_train : bool, default=False
            ``False``: each epoch's ``train_error`` is counted on the minibatch passes the
            rule already made (as ``train_loss`` is), at no cost. ``True``: one extra
            forward pass over ``X`` after every epoch gives the exact error of the
            epoch's final weights. ``history_["train_error_from"]`` records which.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A bad argument or bad data, before anything is trained.
        nplearn.DivergenceError
            Training diverged (class Notes: the state afterwards).
        """
        check_classifier_params(self.get_params(deep=False))
        check_eval_sets(eval_sets)
        X, y = self._check_fit_data(X, y, reset=True)
        self._init(X, _classes(y, "y"))
        return self._train(X, y, self.epochs, eval_sets, callbacks, eval_train, fresh=True)

    def partial_fit(self, X, y, classes=None, eval_sets=None, callbacks=(), eval_train=False):
        """One epoch over ``(X, y)``, continuing from the current state.

        ``classes`` (all labels that will ever appear) is needed on the first call
        unless ``y`` already contains every class. ``eval_sets`` and ``eval_train`` as in
        :meth:`fit`.
        """
        check_classifier_params(self.get_params(deep=False))
        check_eval_sets(eval_sets)
        first = not hasattr(self, "model_")
        X, y = self._check_fit_data(X, y, reset=first)
        if first:
            self._init(X, _classes(y, "y") if classes is None else _classes(classes, "classes"))
        return self._train(X, y, 1, eval_sets, callbacks, eval_train, fresh=first)

    def trace_step(self, X, y, classes=None):
        """Make ONE training update on the batch ``(X, y)`` and return it whole.

        The update is the one training makes (rule, optimiser and their state as ``fit``
        would use them; the estimator moves on by one step). The network is created first
        if needed, so this works before ``fit``. The guide: ``docs/trace.md``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like, optional
            All labels, needed on the first call unless ``y`` has every class.

        Returns
        -------
        nplearn.rules.step_record.StepRecord
            A ``dict`` in computing order (``record["delta_1"]``), each key with its
            equation (``record.equation("delta_1")`` is ``"DFA Eq. (8)"`` for DFA) and
            description; ``record.entries`` lists ``(name, value, equation, description,
            kind)``. Its sections, in order:

            * inputs ``x``, ``y``;
            * ``W1_before``, ``b1_before``, ... for every trained array (a rule's trained
              feedback too), then the rule's fixed arrays (``B1``, ``F``, ...);
            * the intermediates under the paper's names, in the order the rule computes
              them, e.g. for the DFA family ``a_1, h_1, fprime_1`` (``f'(a_1)``), ...,
              ``a_L, y_hat, loss, e, delta_1, ...``; each rule's own too (BFA's backward
              network, PEPITA's modulated pass ``x_err, h_1_err``, EP/EFP's ``s_free_l,
              s_nudged_l``, sigprop's targets ``t_l`` and losses ``L_l``, the spiking
              rules' voltages ``v_l`` and spikes ``s_l``);
            * the update directions ``dW_1, db_1, ...`` (and ``dB_1``, ``dV_1``,
              ``dS_1`` of a trained feedback): the rule's update ``-g`` in the paper's
              sign (DFA Eq. 10's ``delta W_l``), before the learning rate (EP, EFP and
              sigprop_ct: before the per-layer rate ``alpha_l`` too);
            * ``W1_applied``, ...: the change the optimiser actually made. Only plain SGD
              makes it ``lr * dW_1``: RMSprop divides each entry by the root of its running
              mean square (``-lr g / (sqrt(r) + eps)``), Adam uses bias-corrected running
              means (``-lr m_hat / (sqrt(v_hat) + eps)``), momentum adds past steps;
              ``record.equation("W1_applied")`` names the formula. Then ``W1_after``, ...:
              the arrays after the step, with ``W1_after == W1_before + W1_applied``
              exactly, bit for bit.

            ``record.params`` names the trained arrays. A rule that updates several
            times per batch (EFP's loop, ``num_loops`` calls, each applied before the
            next) returns the first call's record; ``record.calls`` holds one record
            per call, the last one's ``W1_after`` being the weights after the batch.

        Examples
        --------
        >>> import numpy as np, nplearn
        >>> d = nplearn.load_dataset("digits")
        >>> clf = nplearn.Classifier(rule="bp", hidden_sizes=(5,), random_state=0)
        >>> rec = clf.trace_step(d.x_train[:4], d.y_train[:4], classes=np.arange(10))
        >>> W2 = rec["W2_before"]                           # the weights delta_1 was made with
        >>> np.allclose(rec["delta_1"], (rec["e"] @ W2) * (1 - rec["h_1"] ** 2))
        True
        >>> bool(np.all(rec["W1_before"] + rec["W1_applied"] == rec["W1_after"]))
        True
        """
        check_classifier_params(self.get_params(deep=False))
        first = not hasattr(self, "model_")
        X, y = self._check_fit_data(X, y, reset=first)
        if first:
            self._init(X, _classes(y, "y") if classes is None else _classes(classes, "classes"))
        y_idx = self._encode(y)
        Y = one_hot(y_idx, len(self.classes_), self.model_.dtype)
        return train_step(self.model_, self.rule_, self.optimizer_,
                          X.astype(self.model_.dtype, copy=False), Y, rng=self._rng, trace=True)

    # --------------------------------------------------------------- prediction
    def decision_function(self, X):
        """Output pre-activations ``a_L``, shape (n_samples, n_classes).

        With two classes, the scikit-learn convention: ``a_L[:, 1] - a_L[:, 0]``,
        shape (n_samples,), positive for ``classes_[1]``.
        """
        a = self._logits(X)
        return a[:, 1] - a[:, 0] if a.shape[1] == 2 else a

    def _logits(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.model_.logits(X.astype(self.model_.dtype, copy=False))

    def predict_proba(self, X):
        """Class probabilities: the softmax of the output pre-activations ``a_L``.

        For the softmax output this is ``y_hat`` itself. For logistic (BCE) and
        linear (MSE) outputs, whose ``y_hat`` do not sum to one, the softmax of
        ``a_L`` is used so that rows sum to 1 and the ranking agrees with
        :meth:`decision_function` and :meth:`predict`.
        """
        a = self._logits(X)
        z = np.exp(a - a.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted class labels (argmax of the output)."""
        a = self._logits(X)
        return self.classes_[np.argmax(a, axis=1)]

    # ------------------------------------------------------------- checkpoints
    def save(self, path):
        """Save the fitted estimator as the checkpoint ``<path>.npz`` (plus a readable
        ``<path>.json``); returns both paths.

        The suffix is appended (``save("clf_lr0.001")`` writes ``clf_lr0.001.npz``). The
        checkpoint is replaced all at once or not at all, and everything is checked before
        the first byte is written: an estimator that cannot be saved (a callable
        ``schedule``, a Generator ``random_state``) raises a ValueError and leaves any
        previous checkpoint as it was. Saving and loading is exact: the loaded estimator
        predicts identically and trains on bit for bit as this one would.
        """
        check_is_fitted(self, "model_")
        params = spec.encode_params(self.get_params(deep=False))
        classes, classes_kind = spec.encode_classes(self.classes_)
        arrays = {f"model/{k}": v for k, v in self.model_.params.items()}
        arrays.update({f"rule/{k}": v for k, v in self.rule_.state().items()})
        opt = self.optimizer_.state_dict()
        arrays.update({f"optim/{k}": v for k, v in opt.items() if isinstance(v, np.ndarray)})
        arrays["classes"] = classes
        meta = {"nplearn_version": __version__, "params": params, "classes_dtype": classes_kind,
                "model": self.model_.describe(),
                "optimizer": {"name": self.optimizer_.name, "backend": self.optimizer_.backend,
                              "t": opt["t"], "lr": opt["lr"],
                              "base_lr": opt["base_lr"],
                              "hyper": {k: v for k, v in vars(self.optimizer_).items()
                                        if isinstance(v, float) and k not in ("lr", "base_lr")}},
                "history": self.history_, "rng_state": self._rng.bit_generator.state}
        return save_checkpoint(path, arrays, meta)

    @classmethod
    def load(cls, path):
        """Load an estimator saved with :meth:`save`; it predicts and trains on identically.

        ``path`` is what was given to :meth:`save` (a trailing ``.npz`` or ``.json`` is
        accepted). The checkpoint is checked against the model it describes
        (``format_version``, the hash over arrays and metadata, the arguments, every
        array's name, shape and dtype, the class count); a ValueError names the field that
        is wrong.
        """
        arrays, meta = load_checkpoint(path)
        where = str(path)
        params = spec.decode_params(where, spec.field(where, meta, "params", dict),
                                    cls._get_param_names())
        self = cls(**params)
        try:
            check_classifier_params(self.get_params(deep=False))
        except ValueError as err:
            spec.fail(where, "params", f"is invalid: {err}")
        m = spec.field(where, meta, "model", dict)
        sizes = spec.check_sizes(where, spec.field(where, meta, "model.sizes", list))
        if "classes" not in arrays:
            spec.fail(where, "classes", "is missing")
        kind = meta.get("classes_dtype", arrays["classes"].dtype.str)
        self.classes_ = spec.decode_classes(where, arrays["classes"], kind)
        spec.check_classes(where, self.classes_, sizes[-1])
        try:                        # the network the arguments build, as fit built it
            rule = copy.deepcopy(self.rule)
            self.model_, self.rule_ = build(
                rule, sizes[0], len(self.classes_), self.hidden_sizes, self.activation,
                self.loss, "zero", self.dropout, self.dtype, 0, self.rule_params,
                input_dropout=self.input_dropout, **self._conv_args(sizes[0]))
        except (ValueError, TypeError) as err:
            spec.fail(where, "params", f"do not build a network: {err}")
        built = self.model_.describe()
        for k, v in built.items():
            if k in m and m[k] != v:
                spec.fail(where, f"model.{k}", f"holds {m[k]!r}, but the saved arguments "
                          f"(params) build {v!r}")
        got = spec.check_arrays(where, arrays, "model", self.model_.params)
        for k in self.model_.params:
            self.model_.params[k] = got[k]
        state = spec.check_arrays(where, arrays, "rule", self.rule_.state(), extra_ok=True)
        try:
            self.rule_.load_state(state)
        except (ValueError, KeyError, TypeError) as err:
            spec.fail(where, "rule", f"is refused by the rule: {err}")
        self.optimizer_ = self._load_optimizer(where, meta, arrays)
        self.n_features_in_ = sizes[0]
        self.history_ = spec.check_history(where, spec.field(where, meta, "history", dict),
                                           HISTORY_KEYS)
        self.n_iter_ = len(self.history_["epoch"])
        self._rng = np.random.default_rng()
        try:
            self._rng.bit_generator.state = spec.field(where, meta, "rng_state", dict)
        except (ValueError, TypeError, KeyError) as err:
            spec.fail(where, "rng_state", f"is not a {type(self._rng.bit_generator).__name__} "
                      f"state ({err})")
        return self

    def _load_optimizer(self, where, meta, arrays):
        o = spec.field(where, meta, "optimizer", dict)
        name = spec.field(where, meta, "optimizer.name", str)
        if name not in OPTIMIZERS:
            spec.fail(where, "optimizer.name", f"{name!r} is not one of {sorted(OPTIMIZERS)}")
        t = spec.field(where, meta, "optimizer.t", int)
        if t < 0:
            spec.fail(where, "optimizer.t", f"must be >= 0, got {t}")
        for k in ("lr", "base_lr"):
            spec.field(where, meta, f"optimizer.{k}", (int, float))
        try:
            opt = get_optimizer(name, o["lr"], backend=o.get("backend", "numba"),
                                **spec.field(where, meta, "optimizer.hyper", dict))
            opt.base_lr = float(o["base_lr"])
            if not (np.isfinite(opt.base_lr) and opt.base_lr > 0):
                raise ValueError(f"base_lr must be a finite number > 0, got {o['base_lr']!r}")
        except (ValueError, TypeError) as err:
            spec.fail(where, "optimizer", f"is invalid: {err}")
        params = {**self.model_.params, **self.rule_.learned_params()}
        state = spec.check_optimizer_arrays(where, arrays, params)
        opt.load_state_dict({"t": t, "lr": o["lr"], "base_lr": o["base_lr"], **state})
        return opt

    # ----------------------------------------------------------------- helpers
    def _check_fit_data(self, X, y, reset):
        X, y = validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32])
        try:
            check_classification_targets(y)
        except TypeError as err:            # labels that do not sort, bytes labels
            if "not supported between" in str(err):
                _classes(y, "y")
            raise ValueError(f"y: {err}") from None
        return X, y

    def _init(self, X, classes):
        """Create the network, the rule and the optimiser; the attributes are set only once
        all three exist, so a failure leaves the estimator as it was."""
        if len(classes) < 2:
            raise ValueError(f"Classifier needs samples of at least 2 classes in the data; "
                             f"got 1 class ({classes[0]!r})")
        rule = copy.deepcopy(self.rule) if isinstance(self.rule, LearningRule) else \
            get_rule(self.rule, **(self.rule_params or {}))
        optimizer = _optimizer(rule, self.optimizer, self.learning_rate, self.optimizer_params)
        rng = _as_generator(self.random_state)
        model, rule = build(rule, X.shape[1], len(classes), self.hidden_sizes, self.activation,
                            self.loss, None, self.dropout, self.dtype, rng, None,
                            input_dropout=self.input_dropout, **self._conv_args(X.shape[1]))
        rule.prepare(model, X)                          # e.g. the Hopfield rules' input map
        self.classes_, self._rng, self.model_, self.rule_ = classes, rng, model, rule
        self.optimizer_ = optimizer
        self.history_ = {k: [] for k in HISTORY_KEYS}
        self.n_iter_ = 0

    def _unfit(self):
        for k in _FITTED:
            if hasattr(self, k):
                delattr(self, k)

    def _conv_args(self, n_features):
        """``conv``, ``image_shape``, ``pool`` for :func:`nplearn.train.build` (none if dense;
        ``image_shape`` and ``pool`` alone for the spiking rules' own conv blocks)."""
        if not self.conv:
            if self.image_shape is None:
                return {}
            return {"image_shape": image_shape_for(n_features, self.image_shape),
                    "pool": self.pool}
        shape = image_shape_for(n_features, self.image_shape)
        return {"conv": tuple(tuple(c) for c in self.conv), "image_shape": shape,
                "pool": self.pool}

    def _schedule(self):
        if self.schedule is not None:
            return self.schedule
        return self.rule_.defaults.get("schedule")

    def _encode(self, y, name="y"):
        y = np.asarray(y)
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        bad = self.classes_[idx] != y
        if np.any(bad):
            raise ValueError(f"{name} contains labels not seen at the first fit: "
                             f"{np.unique(y[bad])[:5]}; known classes: {self.classes_}")
        return idx

    def _train(self, X, y, epochs, eval_sets, callbacks, eval_train, fresh):
        """Train; on any failure keep the last finished epoch, or unfit if there is none."""
        try:
            sets = {k: (Xe, self._encode(ye, f"eval_sets[{k!r}] labels"))
                    for k, (Xe, ye) in check_eval_sets(eval_sets).items()}
            train(self.model_, self.rule_, self.optimizer_, X, self._encode(y),
                  epochs=epochs, batch_size=self.batch_size,
                  schedule=get_schedule(self._schedule(), self.epochs),
                  eval_sets=sets, callbacks=callbacks, rng=self._rng, eval_train=eval_train,
                  progress=self.verbose, history=self.history_)
        except BaseException as err:
            self.n_iter_ = len(self.history_["epoch"])
            if fresh and self.n_iter_ == 0:   # nothing learned since the network was made
                self._unfit()
                note = "The Classifier is left unfitted (no epoch finished)."
            else:
                note = f"The Classifier holds its state after epoch {self.n_iter_}."
            if err.args and isinstance(err.args[0], str) and hasattr(err, "restored"):
                err.args = (f"{err.args[0]} {note}",) + err.args[1:]
            raise
        self.n_iter_ = len(self.history_["epoch"])
        return self


def _optimizer(rule, name, learning_rate, hyper):
    """The optimiser of ``Classifier(optimizer=name, learning_rate=..., optimizer_params=hyper)``
    for ``rule``; ``None`` takes the rule's defaults (its paper optimiser's settings only
    with that optimiser)."""
    defaults = rule.defaults
    name = name or defaults["optimizer"]
    if hyper is None:
        hyper = defaults.get("optimizer_params", {}) if name == defaults["optimizer"] else {}
    lr = defaults["learning_rate"] if learning_rate is None else learning_rate
    try:
        return get_optimizer(name, lr, **hyper)
    except (TypeError, ValueError) as err:
        raise ValueError(f"optimizer_params for {name!r}: {err}") from None


def _classes(labels, name):
    """The sorted distinct labels; a ValueError if they mix types that do not compare."""
    try:
        return np.unique(np.asarray(labels))
    except TypeError:
        raise ValueError(f"{name} mixes label types that cannot be sorted together (e.g. str "
                         "and int); use labels of one type") from None


def _as_generator(random_state):
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    return np.random.default_rng(random_state)
