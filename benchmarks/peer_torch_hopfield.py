"""A PyTorch CPU peer of ``nplearn.hopfield``: the same equations, for the speed comparison.

Optional: ``bench_hopfield.py`` uses it only when ``import torch`` works (torch is no
dependency of nplearn). It is written the way one would write the engine in PyTorch, from
the same equations (EFP Eq. 1, 5, 6, 7), and does the same work as the library's cycle:

* the same Euler steps (synchronous, the state clipped to [0, 1], ``rho' = 1`` on [0, 1]),
  the same batch, the same dtype;
* the input drive ``rho(x) W_1^T + b_1`` once per phase (the input is clamped);
* the Hebbian update of EFP Eq. (6) (loop net) or EP's Eq. (5) (symmetric net) per loop;
* ``torch.set_num_threads`` set to the library's BLAS threads by the caller.

Fused bias adds (``torch.addmm``) and in-place element-wise operations keep it close to the
best plain PyTorch. ``check`` compares one cycle with ``nplearn.hopfield`` in float64.
"""
import numpy as np
import torch


class TorchHopfield:
    """The parameters of a ``HopfieldNet`` as tensors, and the engine's equations on them.

    Parameters
    ----------
    net : nplearn.hopfield.HopfieldNet
        Its ``W``, ``b`` (and ``W_loop``) are copied; ``net.dtype`` sets the tensors' dtype.
    """

    def __init__(self, net):
        t = lambda a: torch.from_numpy(np.array(a, dtype=net.dtype))
        self.symmetric, self.L = net.symmetric, net.n_layers
        self.W = [t(net.W[l]) for l in range(1, self.L + 1)]           # (n_l, n_{l-1})
        self.b = [t(net.b[l]) for l in range(1, self.L + 1)]
        self.W_loop = None if net.symmetric else t(net.W_loop)         # (n_1, n_L)
        self.train_loop = "W_loop" in net.params                        # Table 1: fixed
        self.sizes = net.sizes

    def zeros(self, n):
        return [torch.zeros(n, m, dtype=self.W[0].dtype) for m in self.sizes[1:]]

    def relax(self, x, s, n_steps, h, beta=0.0, d=None):
        """``n_steps`` synchronous Euler steps (EFP Eq. 1, 7) from ``s``; returns new states."""
        L, W, b = self.L, self.W, self.b
        drive = torch.addmm(b[0], x.clamp(0, 1), W[0].t())             # rho(x) W_1^T + b_1, once
        s = [s_k.clone() for s_k in s]
        for _ in range(n_steps):
            r = [s_k.clamp(0, 1) for s_k in s]                          # rho(s) of the last step
            new = []
            for k in range(L):
                a = drive.clone() if k == 0 else torch.addmm(b[k], r[k - 1], W[k].t())
                if self.symmetric and k < L - 1:
                    a.addmm_(r[k + 1], W[k + 1])                        # EP: from above
                if not self.symmetric and k == 0:
                    a.addmm_(r[L - 1], self.W_loop.t())                 # EFP Eq. (1): loop
                s_k = s[k]
                ds = a.mul_((s_k >= 0) & (s_k <= 1)).sub_(s_k)          # rho'(s) a - s
                if k == L - 1 and beta != 0:
                    ds.sub_(s_k - d, alpha=beta)                        # nudge -beta (s_L - d)
                new.append(ds.mul_(h).add_(s_k).clamp_(0, 1))           # EFP Eq. (7)
            s = new
        return s

    def hebbian(self, x, s0, sb, beta, rule):
        """``g = -Delta W`` (batch mean): ``rule`` "efp" is Eq. (6), "chl" Eq. (5)."""
        n, L = x.shape[0], self.L
        r0 = [x.clamp(0, 1)] + [s.clamp(0, 1) for s in s0]
        rb = [r0[0]] + [s.clamp(0, 1) for s in sb]
        c = -1.0 / (beta * n)
        g = {}
        for l in range(1, L + 1):
            if rule == "efp":
                dr = rb[l] - r0[l]
                g[f"W{l}"] = torch.mm(dr.t(), r0[l - 1]).mul_(c)        # EFP Eq. (6)
            else:
                dr = rb[l] - r0[l]
                g[f"W{l}"] = torch.mm(rb[l].t(), rb[l - 1]).sub_(
                    torch.mm(r0[l].t(), r0[l - 1])).mul_(c)            # EFP Eq. (5)
            g[f"b{l}"] = dr.sum(0).mul_(c)
        if self.train_loop:
            if rule == "efp":
                g["W_loop"] = torch.mm((rb[1] - r0[1]).t(), r0[L]).mul_(c)
            else:
                g["W_loop"] = torch.mm(rb[1].t(), rb[L]).sub_(torch.mm(r0[1].t(), r0[L])).mul_(c)
        return g

    def cycle(self, x, d, n_loops, n_free, n_clamped, h, beta, rule, start=None, apply=None):
        """``n_loops`` x {free phase, clamped phase from its fixed point, Hebbian update}.

        The free phase of loop ``i > 1`` continues from the free fixed point of loop ``i - 1``
        (EFP Sec. 3.2.2). ``apply``: ``{name: rate}``; ``p -= rate * g`` after each update
        (plain SGD with per-layer rates, EFP Table 1); None leaves the weights unchanged.
        Returns the last free states and update directions.
        """
        s = self.zeros(x.shape[0]) if start is None else start
        for _ in range(n_loops):
            s = self.relax(x, s, n_free, h)                             # free phase
            sb = self.relax(x, s, n_clamped, h, beta, d)                # clamped phase
            g = self.hebbian(x, s, sb, beta, rule)
            if apply:
                for key, rate in apply.items():
                    self.param(key).sub_(g[key], alpha=rate)
        return s, g

    def param(self, key):
        if key == "W_loop":
            return self.W_loop
        return (self.W if key[0] == "W" else self.b)[int(key[1:]) - 1]


def check(rtol=1e-10):
    """One float64 cycle of the peer against ``nplearn.hopfield``; raises if they differ."""
    from nplearn.hopfield import HopfieldNet, clamped_phase, free_phase, hebbian_update
    for conn, rule in (("loop", "efp"), ("symmetric", "chl")):
        net = HopfieldNet((7, 6, 5, 4), conn, dtype="float64", rng=1)
        rng = np.random.default_rng(2)
        x, d = rng.uniform(-0.2, 1.2, (3, 7)), np.eye(4)[[0, 2, 3]]
        s = free_phase(net, x, None, 5, 0.5)
        s = free_phase(net, x, s, 5, 0.5)
        sb = clamped_phase(net, x, s, d, 0.7, 3, 0.5)
        g = hebbian_update(net, rule, x, s, sb, 0.7)
        peer = TorchHopfield(net)
        tx, td = torch.from_numpy(x), torch.from_numpy(d)
        ts = peer.relax(tx, peer.relax(tx, peer.zeros(3), 5, 0.5), 5, 0.5)
        tg = peer.hebbian(tx, ts, peer.relax(tx, ts, 3, 0.5, 0.7, td), 0.7, rule)
        for a, b in zip(ts, s):
            np.testing.assert_allclose(a.numpy(), b, rtol=rtol, atol=1e-14)
        for k in g:
            np.testing.assert_allclose(tg[k].numpy(), g[k], rtol=rtol, atol=1e-14)
