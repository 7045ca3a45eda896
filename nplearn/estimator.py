"""``nplearn.Classifier``: every learning rule behind the scikit-learn estimator API."""
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import __version__
from .optim import get_optimizer, get_schedule
from .train import (DivergenceError, build, load_checkpoint, save_checkpoint, train,
                    train_step)
from .nn.conv_geometry import image_shape_for
from .train.loop import one_hot


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
        ``None``: the rule's default.
    optimizer_params : dict, optional
        Extra optimiser hyperparameters, e.g. ``{"momentum": 0.9}`` for SGD; ``None``: the
        rule's paper settings when ``optimizer`` is its paper optimiser (PEPITA: momentum
        0.9), else the optimiser's defaults.
    epochs : int, default=20
    batch_size : int, default=64
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
    model_ : nplearn.nn.MLP or nplearn.hopfield.HopfieldNet
    rule_ : nplearn.rules.LearningRule
    optimizer_ : nplearn.optim.Optimizer
    history_ : dict
        Per-epoch lists: ``train_loss``, ``train_error``, ``val_error``, ``test_error``, ``time``...

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
                 random_state=None, rule_params=None, loss=None, dropout=None, schedule=None,
                 verbose=None, conv=None, image_shape=None, pool=2, optimizer_params=None):
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
        self.schedule = schedule
        self.verbose = verbose
        self.conv = conv
        self.image_shape = image_shape
        self.pool = pool
        self.optimizer_params = optimizer_params

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, eval_sets=None, callbacks=()):
        """Train from scratch for ``epochs`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        eval_sets : dict, optional
            ``{"val": (X_val, y_val), "test": (X_test, y_test)}`` scored after each
            epoch into ``history_`` (monitoring only).
        callbacks : sequence, optional
            Training-loop callbacks, e.g. :class:`nplearn.analysis.AlignmentRecorder`.

        Returns
        -------
        self
        """
        X, y = self._check_fit_data(X, y, reset=True)
        self._init(X, np.unique(y))
        return self._train(X, y, self.epochs, eval_sets, callbacks)

    def partial_fit(self, X, y, classes=None, eval_sets=None, callbacks=()):
        """One epoch over ``(X, y)``, continuing from the current state.

        ``classes`` (all labels that will ever appear) is needed on the first call
        unless ``y`` already contains every class.
        """
        first = not hasattr(self, "model_")
        X, y = self._check_fit_data(X, y, reset=first)
        if first:
            self._init(X, np.unique(y) if classes is None else np.unique(classes))
        return self._train(X, y, 1, eval_sets, callbacks)

    def trace_step(self, X, y, classes=None):
        """Run ONE update on the batch ``(X, y)`` and return every intermediate.

        The dict uses the paper's names: ``x, a_1, h_1, ..., y_hat, e, delta_1, ...,
        dW_1, db_1, ...`` (``dW_l`` is the paper's ``delta W_l`` of DFA Eq. 10,
        before the learning rate) and ``loss``. The network is created first if
        needed, so this works before ``fit``.
        """
        first = not hasattr(self, "model_")
        X, y = self._check_fit_data(X, y, reset=first)
        if first:
            self._init(X, np.unique(y) if classes is None else np.unique(classes))
        y_idx = self._encode(y)
        Y = one_hot(y_idx, len(self.classes_), self.model_.dtype)
        tr = train_step(self.model_, self.rule_, self.optimizer_,
                        X.astype(self.model_.dtype, copy=False), Y, rng=self._rng, trace=True)
        tr.update(self.rule_.state())
        return tr

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
        """Save the fitted estimator to ``<path>.npz`` + ``<path>.json`` (atomic, exact)."""
        check_is_fitted(self, "model_")
        arrays = {f"model/{k}": v for k, v in self.model_.params.items()}
        arrays.update({f"rule/{k}": v for k, v in self.rule_.state().items()})
        opt = self.optimizer_.state_dict()
        arrays.update({f"optim/{k}": v for k, v in opt.items() if isinstance(v, np.ndarray)})
        arrays["classes"] = self.classes_
        params = {k: (v if not isinstance(v, tuple) else list(v))
                  for k, v in self.get_params().items()}
        if not isinstance(self.random_state, (int, type(None))) or callable(self.schedule):
            raise ValueError("only estimators with an int/None random_state and a named "
                             "schedule can be saved")
        meta = {"nplearn_version": __version__, "params": params,
                "model": {"sizes": self.model_.sizes, "activation": self.model_.f.name,
                          "conv": [list(c) for c in getattr(self.model_, "conv", None) or ()],
                          "loss": self.model_.loss.name, "dtype": self.model_.dtype.name},
                "optimizer": {"name": self.optimizer_.name, "backend": self.optimizer_.backend,
                              "t": opt["t"], "lr": opt["lr"],
                              "base_lr": opt["base_lr"],
                              "hyper": {k: v for k, v in vars(self.optimizer_).items()
                                        if isinstance(v, float) and k not in ("lr", "base_lr")}},
                "history": self.history_, "rng_state": self._rng.bit_generator.state}
        return save_checkpoint(path, arrays, meta)

    @classmethod
    def load(cls, path):
        """Load an estimator saved with :meth:`save`; it predicts and trains on identically."""
        arrays, meta = load_checkpoint(path)
        params = meta["params"]
        if isinstance(params.get("hidden_sizes"), list):
            params["hidden_sizes"] = tuple(params["hidden_sizes"])
        self = cls(**params)
        self.classes_ = arrays["classes"]
        m = meta["model"]
        n_conv = len(m.get("conv") or ())               # sizes: (n_0, conv..., dense..., n_L)
        self.model_, self.rule_ = build(self.rule, m["sizes"][0], m["sizes"][-1],
                                        tuple(m["sizes"][1 + n_conv:-1]), m["activation"],
                                        m["loss"], "zero", self.dropout, m["dtype"], 0,
                                        self.rule_params, **self._conv_args(m["sizes"][0]))
        for k in self.model_.params:
            self.model_.params[k] = arrays[f"model/{k}"]
        self.rule_.load_state({k[5:]: v for k, v in arrays.items() if k.startswith("rule/")})
        o = meta["optimizer"]
        self.optimizer_ = get_optimizer(o["name"], o["lr"], backend=o["backend"], **o["hyper"])
        self.optimizer_.load_state_dict(
            {"t": o["t"], "lr": o["lr"], "base_lr": o["base_lr"],
             **{k[6:]: v for k, v in arrays.items() if k.startswith("optim/")}})
        self.n_features_in_ = m["sizes"][0]
        self.history_ = meta["history"]
        self._rng = np.random.default_rng()
        self._rng.bit_generator.state = meta["rng_state"]
        return self

    # ----------------------------------------------------------------- helpers
    def _check_fit_data(self, X, y, reset):
        X, y = validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        return X, y

    def _init(self, X, classes):
        if len(classes) < 2:
            raise ValueError(f"Classifier needs samples of at least 2 classes in the data; "
                             f"got 1 class ({classes[0]!r})")
        self.classes_ = classes
        self._rng = _as_generator(self.random_state)
        self.model_, self.rule_ = build(self.rule, X.shape[1], len(classes), self.hidden_sizes,
                                        self.activation, self.loss, None, self.dropout,
                                        self.dtype, self._rng, self.rule_params,
                                        **self._conv_args(X.shape[1]))
        self.rule_.prepare(self.model_, X)              # e.g. the Hopfield rules' input map
        defaults = self.rule_.defaults
        name = self.optimizer or defaults["optimizer"]
        hyper = self.optimizer_params
        if hyper is None:
            hyper = defaults.get("optimizer_params", {}) if name == defaults["optimizer"] else {}
        try:
            self.optimizer_ = get_optimizer(name, self.learning_rate or defaults["learning_rate"],
                                            **hyper)
        except TypeError as err:
            raise ValueError(f"bad optimizer_params for {name!r}: {err}") from None
        self.history_ = None

    def _conv_args(self, n_features):
        """``conv``, ``image_shape``, ``pool`` for :func:`nplearn.train.build` (none if dense)."""
        if not self.conv:
            return {}
        shape = image_shape_for(n_features, self.image_shape)
        return {"conv": tuple(tuple(c) for c in self.conv), "image_shape": shape,
                "pool": self.pool}

    def _schedule(self):
        if self.schedule is not None:
            return self.schedule
        return self.rule_.defaults.get("schedule")

    def _encode(self, y):
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        bad = self.classes_[idx] != y
        if np.any(bad):
            raise ValueError(f"y contains labels not seen at the first fit: "
                             f"{np.unique(np.asarray(y)[bad])[:5]}; known classes: {self.classes_}")
        return idx

    def _train(self, X, y, epochs, eval_sets, callbacks):
        sets = {k: (Xe, self._encode(np.asarray(ye))) for k, (Xe, ye) in (eval_sets or {}).items()}
        try:
            self.history_ = train(self.model_, self.rule_, self.optimizer_, X, self._encode(y),
                                  epochs=epochs, batch_size=self.batch_size,
                                  schedule=get_schedule(self._schedule(), self.epochs),
                                  eval_sets=sets, callbacks=callbacks, rng=self._rng,
                                  progress=self.verbose, history=self.history_)
        except DivergenceError as err:
            self.history_ = getattr(err, "history", self.history_)   # keep the curve so far
            raise
        self.n_iter_ = len(self.history_["epoch"])
        return self


def _as_generator(random_state):
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    return np.random.default_rng(random_state)
