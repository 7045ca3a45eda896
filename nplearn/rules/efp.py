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
  starts from zero. The rule recognises the continuation by the batch array itself (the
  same object, at most ``num_loops`` calls in a row).
* **Prediction** (Eq. 8): ``s_L`` after ``num_loops * n_free`` free steps from zero, i.e. the
  free phases of the loop run on end without the updates in between.
* **Per-layer rates** ``alpha_l`` of Table 1 multiply ``g`` (:mod:`.hopfield_base`); use SGD
  with ``learning_rate = 1``. Table 1's last rate is 0.0 (``alpha_4`` for two hidden layers,
  ``alpha_5`` for three): we read it as the loop matrix, which then stays fixed, so the
  default is ``train_loop=False`` ("The weights in the feedback loop connections may be fixed
  or trained", Sec. 2; Fig. 5 shows both). ``train_loop=True`` needs ``L + 1`` rates.
* **Defaults**: Table 1, 784-1500-1500-10 (16 / 8 / 2, h 0.5, beta 1.0, rates 0.2, 0.05,
  0.01; :data:`PAPER_LR_LAYERS` has both rows' rates, ``nplearn.paper_settings("efp",
  "efp-table1-2x1500")`` both rows as ``Classifier`` settings). The paper trains one
  example at a time (``batch_size=1``).
"""
from ..hopfield import clamped_phase, free_phase, hebbian_update
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
        Euler step size (0.5).
    lr_layers : tuple of float, optional
        ``alpha_l`` per weight matrix ``W_1..W_L`` (then ``W_loop`` if trained).
        ``None``: Table 1's rates for 2 or 3 hidden layers, else ones.
    train_loop : bool
        Train the loop matrix ``W_loop`` (default False: Table 1's rate 0).
    """

    name = "efp"
    paper = "Kohan, Rietman & Siegelmann (2018), arXiv:1808.03357, Eq. (1), (6)-(8)"
    connectivity = "loop"

    def __init__(self, n_free=16, n_clamped=8, num_loops=2, beta=1.0, h=0.5, lr_layers=None,
                 train_loop=False):
        self.n_free = n_free
        self.n_clamped = n_clamped
        self.num_loops = num_loops
        self.beta = beta
        self.h = h
        self.lr_layers = lr_layers
        self.train_loop = train_loop

    @property
    def steps_per_batch(self):
        return int(self.num_loops)

    def predict_steps(self):
        return int(self.num_loops) * self.n_free

    def default_lr_layers(self, n_rates):
        if not self.train_loop and n_rates - 1 in PAPER_LR_LAYERS:   # n_rates - 1 hidden layers
            return PAPER_LR_LAYERS[n_rates - 1]
        return (1.0,) * n_rates

    def make_model(self, sizes, activation, loss, init, dropout, dtype, rng, **conv):
        if int(self.num_loops) != self.num_loops or self.num_loops < 1:
            raise ValueError(f"num_loops must be an integer >= 1, got {self.num_loops}")
        net = super().make_model(sizes, activation, loss, init, dropout, dtype, rng, **conv)
        self.W_loop_ = net.W_loop        # the model's own array: fixed loops go in checkpoints
        self.carry_ = None
        return net

    def updates(self, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
        """One iteration of the loop of Sec. 3.2.2: ``g = -alpha_l Delta W_l`` (EFP Eq. 6)."""
        carry = getattr(self, "carry_", None)
        again = carry is not None and carry[0] is x and carry[2] < self.num_loops
        start, k = (carry[1], carry[2]) if again else (None, 0)
        s0 = free_phase(model, x, start, self.n_free, self.h)             # EFP Eq. (1), (7)
        sb = clamped_phase(model, x, s0, Y, self.beta, self.n_clamped, self.h)   # EFP Eq. (1), (7)
        g = hebbian_update(model, "efp", x, s0, sb, self.beta)            # EFP Eq. (6)
        self.carry_ = (x, s0, k + 1) if self.num_loops > 1 else None       # Sec. 3.2.2 loop
        self.fill(model, x, Y, s0, sb, g, trace, stats)
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
        """The fixed loop matrix (it is not in ``model.params``), for checkpoints."""
        return {} if self.train_loop else {"W_loop": self.W_loop_}

    def load_state(self, state):
        if state and "W_loop" in state:
            self.W_loop_[...] = state["W_loop"]
