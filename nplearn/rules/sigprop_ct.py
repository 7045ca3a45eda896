"""Continuous-time signal propagation: the Target-Loop generator on a continuous Hopfield network.

Kohan, A., Rietman, E. A. & Siegelmann, H. T. (2023). Signal Propagation: A Framework for
Learning and Inference In a Forward Pass. IEEE TNNLS. Sec. V, Eq. (11)-(14), Fig. 2c, Fig. 4:

    target       t_1 = f(S_1 (h_L - eta e_L) + d_1)                                   (12)
    dynamics     ds_j/dt = rho'(s_j) (sum_{i->j} w_ij rho(s_i) + sum_{i in O -> j in I}
                 w_ij rho(s_i) + b_j) - s_j - beta sum_{j in O} (s_j - d_j)           (13)
    update       Delta W_ij ~ (1/beta) rho(s_i^0) (rho(s_j^beta) - rho(s_j^0))        (14)

The network is the one of Error Forward-Propagation (:mod:`nplearn.rules.efp`, the same
authors): feedforward layers closed by one loop from the output to the input-receiving layer.
Sigprop reads that loop as the Target-Loop generator: ``S_1`` is the loop matrix ``W_loop``
``(n_1, n_L)``; the nudged output state, ``s_L - h beta (s_L - d)`` after an Euler step, is
``h_L - eta e_L`` with ``eta = h beta``; its projection drives the first layer as the target,
and the free and nudged fixed points give Eq. (14), which is EFP Eq. (6). The engine, the
Euler loops and the Hebbian update are those of :mod:`nplearn.hopfield` (Numba kernels with
NumPy twins), so this rule only changes what the papers change:

* **the loop is trained** ("All weights and biases are trained", Sec. V-A; Fig. 4 "Learned"),
  ``train_loop=True`` by default; ``train_loop=False`` is Fig. 4's fixed loop-back layer;
* **one free / clamped / update cycle per batch** (``num_loops=1``): Sec. V describes EP's
  three steps, without EFP's repeated loop of Sec. 3.2.2 (settable);
* **the leak** of Eq. (13) is ``-s_j`` (``r_j = 1``), as in the engine (EFP Eq. 1);
* **defaults**: EFP's per-layer rates with the loop at the output layer's rate (one hidden
  layer: 0.2, 0.05 and 0.05), SGD at ``learning_rate=4``, chosen on validation splits for
  20 epochs of minibatches of 64 (docs page "Defaults"); sigprop prints no rates.

``g`` is NOT a gradient. Loop alignment (Fig. 4: each loop matrix against the product of the
others) is recorded by :class:`nplearn.analysis.AlignmentRecorder` through
:meth:`EFP.feedback_pairs` and plotted by :func:`nplearn.plot.plot_loop_angles`.
"""
from .efp import EFP


class SigpropCT(EFP):
    """Continuous sigprop (Sec. V): EFP's loop network with the loop trained as the target generator.

    Parameters
    ----------
    n_free, n_clamped : int
        Euler steps of the free and the clamped phase.
    num_loops : int
        Free / clamped / update cycles per batch (1; EFP's Sec. 3.2.2 uses 2).
    beta : float > 0
        Clamping factor of Eq. (13).
    h : float
        Euler step size of EFP Eq. (7) (0.5); not a hidden rate, which ``h`` is in the
        feedforward rules.
    lr_layers : tuple of float, optional
        Rate per weight matrix ``W_1..W_L`` then ``W_loop`` (= ``S_1``) if trained.
        ``None``: EFP's :meth:`~nplearn.rules.EFP.default_lr_layers`, the loop at the output
        layer's rate (our choice; sigprop gives no rates): for two hidden layers
        0.2, 0.05, 0.01 and 0.01.
    train_loop : bool
        Train the loop (``S_1`` of Eq. 12) with Eq. (14) too (default True).
    """

    name = "sigprop_ct"
    paper = "Kohan, Rietman & Siegelmann (2023), IEEE TNNLS, Sec. V, Eq. (11)-(14)"
    # the free phase, then the output nudged toward d, which W_loop carries to layer 1 (12)
    equations = {**EFP._equations, "x": "SP Eq. (13)", "y": "SP Eq. (12)-(13)",
                 "free": "SP Eq. (13), beta = 0", "nudged": "SP Eq. (12)-(13)",
                 "e": "SP Eq. (12)-(13)", "update": "SP Eq. (14)", "feedback": "SP Eq. (12)",
                 "loop": "SP Sec. V (EFP Sec. 3.2.2)"}
    defaults = {**EFP.defaults, "learning_rate": 4.0}

    def __init__(self, n_free=16, n_clamped=8, num_loops=1, beta=1.0, h=0.5, lr_layers=None,
                 train_loop=True):
        super().__init__(n_free=n_free, n_clamped=n_clamped, num_loops=num_loops, beta=beta,
                         h=h, lr_layers=lr_layers, train_loop=train_loop)

