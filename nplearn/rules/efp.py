"""Error Forward-Propagation (EFP): a feedforward Hopfield network closed by one loop.

Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2018). Error Forward-Propagation:
Reusing Feedforward Connections to Propagate Errors in Deep Learning. arXiv:1808.03357.
Eq. (1), (3), (6), (7), (8); Sec. 3.2.2; Table 1; Fig. 4-5.

The network is feedforward ``x -> s_1 -> ... -> s_L`` plus a loop ``W_loop`` from the output
``s_L`` back to the input-receiving layer ``s_1`` (Eq. 1, Fig. 1a); the output error
``-beta (s_L - d)`` enters the output units and travels FORWARD through the loop. Per
example (or minibatch), Sec. 3.2.2 and Sec. 4 steps 1-5:

    for i in range(num_loops):
        free phase      n_free Euler steps, beta = 0, -> s^0                        (1), (7)
        clamped phase   n_clamped steps from s^0 with the nudge -beta (s_L - d) -> s^beta   (1), (7)
        update          Delta W_ij = (1/beta) rho(s_i^0) (rho(s_j^beta) - rho(s_j^0))   (6)
    prediction          argmax of s_L after the free phase                              (8)

Legend (paper -> code -> shape): ``x`` -> ``x`` ``(n, n_0)``; ``s^0``, ``s^beta`` -> ``s0``,
``sb`` (lists ``[s_1..s_L]``, ``(n, n_l)``); ``d`` -> ``Y``; ``W_{i->j}`` -> ``W[l]``
``(n_l, n_{l-1})``; loop ``O -> I`` -> ``W_loop`` ``(n_1, n_L)``; ``alpha_l`` -> ``lr_layers``.
Eq. (6) and the Euler loop are Numba kernels in :mod:`nplearn.hopfield`.

``g`` is NOT a gradient: Eq. (6) holds the presynaptic rate at the free fixed point.

Decisions
---------
* **The loop of Sec. 3.2.2** changes the weights between its iterations. The rule sets
  ``steps_per_batch = num_loops``; the trainer (:func:`nplearn.train.train_step`) then asks
  for updates ``num_loops`` times on the same batch and applies each with the optimiser
  before the next, so every update is the optimiser's own step (momentum, schedules and
  checkpoints stay exact). The free phase of iteration ``i > 1`` continues from the free
  state ``s^0`` of iteration ``i - 1`` ("allow the network to start settling and be
  moving toward the fixed point when the network parameters are updated"); the first
  starts from zero. The trainer passes the call number ``loop`` (0 .. ``num_loops - 1``):
  ``loop = 0`` starts from zero, ``loop = k > 0`` continues from the free state of the
  previous call (``loop = k - 1`` on the same batch), which the rule keeps until the
  batch's last call.
* **Prediction** (Eq. 8): ``s_L`` after ``num_loops * n_free`` free steps from zero, i.e. the
  free phases of the loop run on end without the updates in between.
* **Per-layer rates** ``alpha_l`` of Table 1 multiply ``g`` (:mod:`.hopfield_base`);
  ``learning_rate`` is a global factor on them (1 in the paper). Table 1's last rate is 0.0
  (``alpha_4`` for two hidden layers, ``alpha_5`` for three): we read it as the loop matrix,
  which then stays fixed, so the default is ``train_loop=False`` ("The weights in the
  feedback loop connections may be fixed or trained", Sec. 2; Fig. 5 shows both).
* **Defaults** (chosen on validation splits for minibatches of 64 and one hidden layer; the
  numbers are on the docs page "Defaults"): Table 1's dynamics (16 / 8 / 2, h 0.5, beta 1.0);
  ``lr_layers=None`` gives Table 1's rates for two hidden layers (0.2, 0.05, 0.01) and for
  three (0.064, 0.026, 0.004, 0.001), and for one hidden layer (not in the paper) the first
  two, 0.2 and 0.05 (deeper: 0.01 for every further layer; a trained loop gets the output
  layer's rate); SGD with ``learning_rate=3``: Table 1's rates are for one example per
  update, a minibatch update is a mean. The paper's exact settings (``batch_size=1``,
  factor 1) are ``nplearn.paper_settings("efp", "efp-table1-2x1500")``
  and ``"efp-table1-3x1500"``; :data:`PAPER_LR_LAYERS` holds Table 1's rates.
"""
from ..hopfield import two_phase_update
from .base import check_choice, check_flag, check_number
from .hopfield_base import HopfieldRule

#: EFP Table 1's per-layer rates ``alpha_l`` by number of hidden layers (784-1500-1500-10 and
#: 784-1500-1500-1500-10); the last rate, 0.0 in the table, is the fixed loop's.
PAPER_LR_LAYERS = {2: (0.2, 0.05, 0.01), 3: (0.064, 0.026, 0.004, 0.001)}


class EFP(HopfieldRule):
    """Error forward-propagation: the loop {free, clamped, Eq. (6)} x ``num_loops`` (Sec. 3.2.2).

    Parameters
    ----------
    n_free, n_clamped, num_loops : int
        Euler steps of the free and clamped phases, and iterations of the loop (16, 8, 2).
    beta : float > 0
        Clamping factor (1.0).
    h : float
        Euler step size of EFP Eq. (7) (0.5); not a hidden rate, which ``h`` is in the
        feedforward rules.
    lr_layers : tuple of float, optional
        ``alpha_l`` per weight matrix ``W_1..W_L`` (then ``W_loop`` if trained).
        ``None``: :meth:`default_lr_layers` (Table 1's rates for 2 or 3 hidden layers).
    train_loop : bool
        Train the loop matrix ``W_loop`` (default False: Table 1's rate 0).
    update : {"efp", "chl"}
        The Hebbian update after the two phases: ``"efp"``, EFP's unidirectional Eq. (6)
        (the rule); ``"chl"``, EP's contrastive Hebbian Eq. (5) on the same loop network,
        as in Sec. 5.2 and Fig. 4, where "both networks use the EP update rule, so the
        learning algorithms can be comparable" (``nplearn reproduce efp-fig4``).
    """

    name = "efp"
    paper = "Kohan, Rietman & Siegelmann (2018), arXiv:1808.03357, Eq. (1), (6)-(8)"
    connectivity = "loop"
    # tags of the traced step: the free and clamped phases, the cost, the update, the loop
    _equations = {"x": "EFP Eq. (1)", "y": "EFP Eq. (1), (3)", "free": "EFP Eq. (1), (7)",
                 "nudged": "EFP Eq. (1), (7)", "loss": "EFP Eq. (3)", "e": "EFP Eq. (1), (3)",
                 "update": "EFP Eq. (6)", "feedback": "EFP Eq. (1)", "loop": "EFP Sec. 3.2.2",
                 "start": "EFP Sec. 3.2.2", "beta": "EFP Eq. (1)", "rates": "EFP Table 1"}
    defaults = {**HopfieldRule.defaults, "learning_rate": 3.0}

    def __init__(self, n_free=16, n_clamped=8, num_loops=2, beta=1.0, h=0.5, lr_layers=None,
                 train_loop=False, update="efp"):
        self.n_free = n_free
        self.n_clamped = n_clamped
        self.beta = beta
        self.h = h
        self.lr_layers = lr_layers
        self.num_loops = check_number(self.name, "num_loops", num_loops, low=1, integer=True)
        self.train_loop = check_flag(self.name, "train_loop", train_loop)
        self.update = check_choice(self.name, "update", update, ("efp", "chl"))
        self.check_dynamics()

    @property
    def update_formula(self):
        """``Delta W_l`` in words for the trace: Eq. (6), or Eq. (5) with ``update="chl"``."""
        if self.update == "chl":
            return HopfieldRule.update_formula
        return "(1/beta) (rho(s^beta_{l}) - rho(s^0_{l}))^T rho(s^0_{pre}) / n"

    @property
    def equations(self):
        """Tags of a traced step; the update's is Eq. (5) with ``update="chl"``."""
        eq = dict(self._equations)
        if self.update == "chl":
            eq["update"] = "EFP Eq. (5)"
        return eq

    @property
    def steps_per_batch(self):
        return int(self.num_loops)

    def predict_steps(self):
        return int(self.num_loops) * self.n_free

    def default_lr_layers(self, n_rates):
        """Table 1's rates for its depths, else ``(0.2, 0.05, 0.01, 0.01, ...)`` (module
        docstring); a trained loop (the last of the ``n_rates``) gets the output layer's rate."""
        L = n_rates - 1 if self.train_loop else n_rates          # weight matrices W_1..W_L
        rates = PAPER_LR_LAYERS.get(L - 1, ((0.2, 0.05) + (0.01,) * (L - 2))[:L])
        return rates + (rates[-1],) if self.train_loop else rates

    def make_model(self, sizes, activation, loss, init, dropout, dtype, rng, **conv):
        net = super().make_model(sizes, activation, loss, init, dropout, dtype, rng, **conv)
        self.W_loop_ = net.W_loop        # the model's own array: fixed loops go in checkpoints
        self.carry_ = None
        return net

    def updates(self, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
        """Iteration ``loop`` of the loop of Sec. 3.2.2: ``g = -alpha_l Delta W_l`` (EFP Eq. 6).

        ``loop = 0`` starts the free phase from zero; ``loop = k > 0`` continues from the free
        state of the call ``loop = k - 1`` (on the same batch: the trainer's order).
        """
        loop = int(loop)
        if not 0 <= loop < self.num_loops:
            raise ValueError(f"loop must be in 0..{self.num_loops - 1} (num_loops="
                             f"{self.num_loops}); got {loop}")
        start = None
        if loop > 0:
            carry = getattr(self, "carry_", None)
            if carry is None or carry[0] != loop - 1 or carry[1][0].shape[0] != x.shape[0]:
                raise ValueError(f"loop={loop} continues the free state of the call with "
                                 f"loop={loop - 1} on the same batch, which did not come "
                                 f"just before; start a batch with loop=0")
            start = carry[1]
        x = self.inputs(model, x)
        # free phase from `start`, clamped phase from s0, then the update:
        # SP Eq. (13), (14); EFP Eq. (1), (6), (7)
        # (update="chl": EFP Eq. (5) in place of Eq. (6), Sec. 5.2 / Fig. 4)
        s0, sb, g = two_phase_update(model, self.update, x, Y, self.beta, start, self.n_free,
                                     self.n_clamped, self.h)
        # Sec. 3.2.2: the next call on this batch continues from s0; none after the last
        self.carry_ = (loop, s0) if loop + 1 < self.num_loops else None
        self.fill(model, x, Y, s0, sb, g, trace, stats, beta=self.beta,
                  start=None if trace is None else start or model.zero_state(x.shape[0]))
        return self.scale(model, g)

    def feedback_pairs(self, model):
        """EFP Fig. 5: each matrix of the loop ``W_2, ..., W_L, W_loop`` (transposed) against
        the product of all the others, in loop order from its postsynaptic layer round to
        its presynaptic one (for two hidden layers, ``W_3^T`` vs ``W_2 W_loop``)."""
        loop = [(f"W{l}", model.W[l]) for l in range(2, model.n_layers + 1)]
        loop.append(("W_loop", model.W_loop))
        pairs = []
        for z, (name, M) in enumerate(loop):
            rest = [W for _, W in loop[z + 1:] + loop[:z]]         # forward order after z
            P = rest[0]
            for W in rest[1:]:
                P = W @ P                                           # (n_pre(z), n_post(z))
            pairs.append((name, P, M.T))
        return pairs

    def state(self):
        """The input map and the fixed loop matrix (not in ``model.params``), for checkpoints."""
        out = super().state()
        if not self.train_loop:
            out["W_loop"] = self.W_loop_
        return out

    def load_state(self, state):
        super().load_state(state)
        if state and "W_loop" in state and not self.train_loop:
            self.W_loop_[...] = state["W_loop"]
