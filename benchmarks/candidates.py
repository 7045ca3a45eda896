"""Candidate speed-ups measured by ``bench_step.py``; nothing here is used by nplearn.

Each candidate is installed by monkeypatching ONE object (an optimiser or a rule
instance), so ``nplearn.train.train_step`` itself runs unchanged:

* fused optimiser kernels (Numba, serial or ``parallel=True``), each with a
  pure-NumPy twin of the same signature and math (docs/decisions.md);
* without Numba: RMSprop in NumPy with a preallocated scratch array (no
  temporaries; NumPy's SGD already runs in place);
* ``updates_inplace``: the forward pass, DFA Eq. (1)-(3), the deltas, Eq. (6)/(8),
  and the updates, Eq. (10), of ``LearningRule.updates`` written into buffers
  reused across calls (``out=``, in-place tanh and ``f'``, ``1/n`` folded into ``e``).

:func:`check_agreement` asserts that each candidate computes what the library does.
"""
import types

import numpy as np
from numba import njit, prange

from nplearn.rules import BP, DFA


# ---- optimisers: p -= lr g  and  RMSprop, one pass over (p, g[, r]) -------------------

def _sgd_numpy(p, g, lr):
    g *= lr
    p -= g                                     # p <- p - lr g


def _rmsprop_numpy(p, g, r, lr, rho, one_minus_rho, eps):
    r *= rho
    r += one_minus_rho * (g * g)               # r <- rho r + (1 - rho) g^2
    denom = np.sqrt(r)
    denom += eps
    g *= lr
    g /= denom
    p -= g                                     # p <- p - lr g / (sqrt(r) + eps)


# prange is plain range unless compiled with parallel=True: one source, two kernels.
def _sgd_loop(p, g, lr):
    for i in prange(p.size):
        p[i] -= lr * g[i]                      # p <- p - lr g


def _rmsprop_loop(p, g, r, lr, rho, one_minus_rho, eps):
    for i in prange(p.size):
        gi = g[i]
        ri = rho * r[i] + one_minus_rho * (gi * gi)   # r <- rho r + (1 - rho) g^2
        r[i] = ri
        p[i] -= (lr * gi) / (np.sqrt(ri) + eps)       # p <- p - lr g / (sqrt(r) + eps)


# error_model="numpy": x/0 gives inf like NumPy instead of raising. No fastmath, so the
# float32 kernels round exactly like the NumPy twins (bitwise equal, checked below).
_KERNELS = {
    "serial": {"sgd": njit(error_model="numpy")(_sgd_loop),
               "rmsprop": njit(error_model="numpy")(_rmsprop_loop)},
    "parallel": {"sgd": njit(error_model="numpy", parallel=True)(_sgd_loop),
                 "rmsprop": njit(error_model="numpy", parallel=True)(_rmsprop_loop)},
}


def _flat(a):
    if not a.flags.c_contiguous:
        raise ValueError("fused kernels need C-contiguous arrays")
    return a.reshape(-1)


def fuse_optimizer(opt, backend):
    """Replace ``opt._update`` (SGD without momentum, or RMSprop) by a one-pass version.

    ``backend``: ``"serial"`` / ``"parallel"`` (Numba), ``"numpy"`` (the twin), or
    ``"plain"`` (no Numba: RMSprop in NumPy with preallocated scratch; SGD unchanged).
    """
    name = opt.name
    if name == "sgd" and opt.momentum:
        raise ValueError("only plain SGD is fused here")
    if backend == "plain":
        if name == "rmsprop":
            opt._update = types.MethodType(_rmsprop_scratch_update, opt)
        return opt
    kernel = {"sgd": _sgd_numpy, "rmsprop": _rmsprop_numpy}[name] if backend == "numpy" \
        else _KERNELS[backend][name]

    def _update(k, p, g, bound=None):
        dt = p.dtype.type                      # scalars in p's dtype: float32 math stays float32
        if name == "sgd":
            kernel(_flat(p), _flat(g), dt(opt.lr))
        else:
            r = opt._slot("r", k, p)
            kernel(_flat(p), _flat(g), _flat(r), dt(opt.lr), dt(opt.rho), dt(1.0 - opt.rho),
                   dt(opt.eps))
        return False                           # no divergence check in the candidates
    opt._update = _update
    return opt


def _rmsprop_scratch_update(self, k, p, g, bound=None):
    """RMSprop in NumPy with one reused scratch array: 9 in-place passes, no allocation."""
    r = self._slot("r", k, p)
    scratch = self.__dict__.setdefault("scratch_", {})     # kept out of state_dict
    if k not in scratch:
        scratch[k] = np.empty_like(p)
    s = scratch[k]
    np.multiply(g, g, out=s)
    s *= 1.0 - self.rho
    r *= self.rho
    r += s                                     # r <- rho r + (1 - rho) g^2
    np.sqrt(r, out=s)
    s += self.eps
    g *= self.lr
    g /= s
    p -= g                                     # p <- p - lr g / (sqrt(r) + eps)
    return False                               # no divergence check in the candidates


# ---- the rule's step with reused buffers ----------------------------------------------

def _workspace(rule, model, n):
    ws = getattr(rule, "bench_ws_", None)
    if ws is None or ws["n"] != n:
        dt, sizes = model.dtype, model.sizes
        ws = {"n": n,
              "a": [None] + [np.empty((n, m), dt) for m in sizes[1:]],
              "h": [None] + [np.empty((n, m), dt) for m in sizes[1:]],
              "df": [None] + [np.empty((n, m), dt) for m in sizes[1:-1]],
              "delta": [None] + [np.empty((n, m), dt) for m in sizes[1:]],
              "g": {k: np.empty_like(v) for k, v in model.params.items()}}
        rule.bench_ws_ = ws
    return ws


def updates_inplace(rule, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
    """``LearningRule.updates`` for BP/DFA, tanh hidden units, logistic-BCE output,
    no dropout, writing into buffers reused across calls.

    The returned ``g`` is overwritten by the next call (the optimiser already
    treats it as scratch).
    """
    if model.f.name != "tanh" or model.loss.name != "logistic_bce" or model.dropout \
            or model.input_dropout or trace is not None:
        raise NotImplementedError("benchmark candidate: tanh + logistic_bce, no dropout/trace")
    n, L, W, b = x.shape[0], model.n_layers, model.W, model.b
    ws = _workspace(rule, model, n)
    a, h, df, delta, g = ws["a"], ws["h"], ws["df"], ws["delta"], ws["g"]
    h = [x] + h[1:]
    for l in range(1, L + 1):
        np.matmul(h[l - 1], W[l].T, out=a[l])
        a[l] += b[l]                                        # DFA Eq. (1)-(3): a = W h + b
        if l < L:
            np.tanh(a[l], out=h[l])                         # h_l = f(a_l)
            np.multiply(h[l], h[l], out=df[l])
            np.subtract(1.0, df[l], out=df[l])              # f'(a_l) = 1 - h_l^2
    np.multiply(a[L], 0.5, out=h[L])
    np.tanh(h[L], out=h[L])
    h[L] += 1.0
    h[L] *= 0.5                                             # DFA Eq. (3): y_hat = logistic(a_y)
    e = delta[L]
    np.subtract(h[L], Y, out=e)                             # DFA Eq. (5): e = y_hat - y
    e *= 1.0 / n                                            # 1/n of mean J; deltas linear in e
    if isinstance(rule, BP):
        for l in range(L - 1, 0, -1):
            np.matmul(delta[l + 1], W[l + 1], out=delta[l])
            delta[l] *= df[l]                               # DFA Eq. (6)
    elif isinstance(rule, DFA):
        for l in range(1, L):
            np.matmul(e, rule.B_[f"B{l}"].T, out=delta[l])
            delta[l] *= df[l]                               # DFA Eq. (8)
    else:
        raise NotImplementedError(type(rule).__name__)
    for l in range(1, L + 1):
        np.matmul(delta[l].T, h[l - 1], out=g[f"W{l}"])     # DFA Eq. (10), already / n
        np.sum(delta[l], axis=0, out=g[f"b{l}"])
    if stats is not None:
        stats["loss"] = model.loss.loss(a[L], Y)
        stats["n_errors"] = int(np.sum(a[L].argmax(1) != Y.argmax(1)))
    return g


def use_inplace_updates(rule):
    """Monkeypatch one rule instance so that ``rule.updates`` is :func:`updates_inplace`."""
    rule.updates = types.MethodType(updates_inplace, rule)
    return rule


# ---- agreement ------------------------------------------------------------------------

def check_agreement(model, rule, x, Y, seed=0):
    """Assert every candidate computes what the library computes.

    Optimiser kernels: rtol 1e-10 in float64, 1e-6 in float32 (the library's kernels
    write ``lr * g / d`` where these write ``(lr * g) / d``: one rounding apart), random sizes.
    ``updates_inplace``: close to ``rule.updates`` (rtol 1e-5, float32).
    """
    from nplearn.optim import RMSprop, SGD
    rng = np.random.default_rng(seed)
    for dtype, rtol in ((np.float32, 1e-6), (np.float64, 1e-10)):
        for size in rng.integers(1, 5000, 3):
            p0, g0 = rng.standard_normal((2, size)).astype(dtype)
            r0 = rng.random(size).astype(dtype)
            for make in (lambda: SGD(0.1), lambda: RMSprop(1e-3)):
                ref = make()
                ref.state["r/p"] = r0.copy()
                p_ref = p0.copy()
                ref.step({"p": p_ref}, {"p": g0.copy()})
                for backend in ("numpy", "plain", "serial", "parallel"):
                    opt = fuse_optimizer(make(), backend)
                    opt.state["r/p"] = r0.copy()
                    p = p0.copy()
                    opt.step({"p": p}, {"p": g0.copy()})
                    np.testing.assert_allclose(p, p_ref, rtol=rtol, atol=0,
                                               err_msg=f"{ref.name} {backend} {dtype.__name__}")
    ref = {k: v.copy() for k, v in rule.updates(model, x, Y).items()}
    got = updates_inplace(rule, model, x, Y)
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-5, atol=1e-7, err_msg=k)
