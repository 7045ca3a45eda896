"""The small convolutional spiking network of SP Sec. VI-A, simulated for ``T`` steps.

Kohan, Rietman & Siegelmann, Signal Propagation (arXiv:2204.01723), Sec. VI-A: "The SNN
has 4 layers. The first two are convolutional layers, each followed by batch
normalization, an IF node, and a 2x2 maxpooling. The last two layers are fully connected,
with one being the classification layer. The output of the classification layer is
averaged across all four time steps and used as the network output."

Layers, indexed from 1 (``C`` conv layers, ``L`` weight layers; the static image is the
input current of every step, "directly using the subthreshold dynamics")::

    l = 1..C:     a_l^t = conv(h_{l-1}^t, K_l) + b_l       (T, n, C_l, Ho, Wo)
                  v_l^t, s_l^t = IF(a_l^1..t)               SP Eq. (15), neurons.py
                  h_l^t = flatten(maxpool(s_l^t))           (T, n, n_l)
    l = C+1..L-1: a_l^t = h_{l-1}^t @ W_l.T + b_l; IF        (T, n, n_l)
    l = L:        o^t = h_{L-1}^t @ W_L.T + b_L              (T, n, n_L)
                  y = mean_t o^t                             the logits

``h_0^t = x`` for every ``t``. The default at digits scale (``1x8x8``): conv 16 3x3 pad 1
(``16x8x8``, pooled ``16x4x4``), conv 32 3x3 pad 1 (``32x4x4``, pooled ``32x2x2``), dense
100, classifier 10; ``sizes = (64, 256, 128, 100, 10)``.

Batch normalisation is left out. The paper's own warning (Sec. III-D) is that with the
Target-Only generator the batch statistics mix inputs and targets; leaving it out keeps
sigprop's layer-local losses free of any batch coupling, and every layer's current is a
plain ``W h + b``. The weights are drawn so that the IF neurons fire from the first step
(He init.); Adam's per-weight scaling does the rest.

A layer's ``cache`` (:meth:`SpikingConvNet.layer`) keeps what its backward pass needs:
``a, v, s`` (unit shape), ``h`` (flat, pooled), ``x`` (its input), ``cols`` (conv patch
matrix), ``idx`` (pooling argmax), ``static`` (the input is the same at every step).

Memory layout, for speed (the numbers do not depend on it): a conv layer's ``a, v, s`` and
``dJ/da`` are ``(T, n, C, Ho, Wo)`` views of channels-last ``(T, n, Ho, Wo, C)`` memory,
the layout the im2col product ``cols @ K2.T`` writes; the kernels of the IF neurons walk
that memory in order, and the weight update reads ``dJ/da`` as its row matrix without a
copy. ``h`` (pooled) is channels-first, flat ``(C, Hp, Wp)`` per example, as the next
layer's weights expect. See ``benchmarks/README.md`` (spiking network).
"""
import numpy as np

from ..nn.init import get_init
from ..nn.conv_geometry import as_rows, conv_geometry, init_params
from ..nn.layered import Layered, float_dtype
from ..nn.losses import get_loss
from .neurons import (BACKENDS, heaviside, if_backward, if_backward_pooled, if_forward,
                      if_forward_pool)

#: The conv layers of the default network at digits scale: (channels, kernel, stride, padding).
DIGITS_CONV = ((16, 3, 1, 1), (32, 3, 1, 1))



class LayerCache(dict):
    """A layer's cache (module docstring). ``"s"``, the spikes, may be left out when only
    ``v`` is needed (a pooled conv layer with :func:`heaviside` spikes): reading it computes
    ``spike(v - theta)``, the numbers :func:`if_forward` would have stored."""

    def __missing__(self, key):
        if key != "s" or "v" not in self:
            raise KeyError(key)
        self["s"] = s = self["spike"](self["v"] - self["theta"])
        return s


class SpikingConvNet(Layered):
    """Conv IF blocks, dense IF layers and a dense classifier, run for ``time_steps`` steps.

    Parameters
    ----------
    image_shape : tuple (C, H, W), default (1, 8, 8)
    conv : sequence of (channels, kernel, stride, padding)
    hidden_sizes : sequence of int
        Dense IF layers after the conv blocks.
    n_classes : int
    threshold : float, default 1.0
        IF firing threshold ``theta`` (SP Sec. VI-A: 0.5 for sigprop, 1.0 for BP, Shallow).
    time_steps : int, default 4
    pool : int, default 2
    init : str or callable, default "he"
    dtype : {"float64", "float32"}
    rng : numpy.random.Generator or int
    spike : callable, default :func:`~nplearn.snn.neurons.heaviside`
        Firing function; tests pass the smooth surrogate to check gradients.
    backend : {"numba", "numpy"}
        The Numba kernels of the IF neurons, im2col, col2im and pooling, or their NumPy
        twins (the same numbers, bit for bit; slower).

    Attributes
    ----------
    sizes : tuple of int
        ``(n_0, ..., n_L)``, conv layers counted after pooling, flattened.
    params : dict
        ``"W1", "b1", ...``: kernels ``(C_l, C_{l-1}, k, k)`` for conv layers.
    """

    #: What :meth:`describe` (checkpoints) names the hidden units: integrate-and-fire neurons,
    #: which have no rate function ``f`` (their backward pass is :func:`~nplearn.snn.if_backward`).
    activation_name = "if"

    def __init__(self, image_shape=(1, 8, 8), conv=DIGITS_CONV, hidden_sizes=(100,),
                 n_classes=10, threshold=1.0, time_steps=4, pool=2, init="he",
                 dtype="float64", rng=None, spike=heaviside, backend="numba"):
        self.conv, self.conv_shapes, self.image_shapes = conv_geometry(image_shape, conv, pool)
        self.image_shape, self.n_conv, self.pool = self.image_shapes[0], len(self.conv), int(pool)
        self.threshold, self.time_steps, self.spike = float(threshold), int(time_steps), spike
        if self.time_steps < 1 or self.threshold <= 0:
            raise ValueError(f"need time_steps >= 1 and threshold > 0, got {time_steps}, {threshold}")
        sizes = [int(np.prod(s)) for s in self.image_shapes]
        self.sizes = tuple(sizes + [int(h) for h in hidden_sizes] + [int(n_classes)])
        self.loss = get_loss("softmax_ce")
        self.dtype = float_dtype(dtype)
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
        self.backend = backend
        rng, init = np.random.default_rng(rng), get_init(init)
        self.params = init_params(self.sizes, self.conv, self.image_shapes, init, rng, self.dtype)

    # ------------------------------------------------------------------ forward
    def layer(self, l, x, threshold=None):
        """Run hidden layer ``l`` (current, IF neurons, pooling) for ``T`` steps.

        Parameters
        ----------
        l : int
            1..L-1.
        x : ndarray of shape (n, n_{l-1}) or (T, n, n_{l-1})
            The input, flat; 2-D means the same input at every step (the image).
        threshold : float, optional
            ``theta``; default ``self.threshold``.

        Returns
        -------
        dict
            The layer's cache (module docstring); ``cache["h"]`` is ``(T, n, n_l)``.
        """
        T, theta = self.time_steps, self.threshold if threshold is None else threshold
        static = x.ndim == 2
        xs = x[None] if static else x                                 # (T', n, n_{l-1}), T' in {1, T}
        Tx, n = xs.shape[:2]
        W, b = self.params[f"W{l}"], self.params[f"b{l}"]
        cache = LayerCache(x=x, static=static, theta=theta, cols=None, idx=None, spike=self.spike)
        if self.is_conv(l):
            a, cache["cols"] = self.conv_block(l).current(xs.reshape(Tx * n, -1), W, b, self.backend)
            a = a.reshape(Tx, n, *self.conv_shapes[l])                # (T', n, C_l, Ho, Wo), channels last
        else:
            a = xs @ W.T + b                                          # (T', n, n_l): a = W h + b
        a = np.broadcast_to(a, (T, *a.shape[1:]))                     # the same current each step if static
        if self.is_conv(l) and self.pool > 1 and self.spike is heaviside:
            # pool the spikes H(v - theta) straight from v; s is computed if ever read
            v, h, cache["idx"] = if_forward_pool(a, theta, self.pool, self.backend)   # SP Eq. (15)
            cache.update(a=a, v=v)
            cache["h"] = h.reshape(T, n, -1)
            return cache
        v, s = if_forward(a, theta, self.spike, self.backend)         # SP Eq. (15)
        cache.update(a=a, v=v, s=s)
        cache["h"], cache["idx"] = self.pool_flat(l, s)
        return cache

    def classify(self, h):
        """The classifier's output at every step, ``o^t = W_L h^t + b_L``, ``(T, n, n_L)``."""
        return h @ self.params[f"W{self.n_layers}"].T + self.params[f"b{self.n_layers}"]

    def run(self, x):
        """Simulate the network on ``x``; return ``(caches, o)``.

        ``caches[l]`` is layer ``l``'s cache (``caches[0] = None``); ``o`` is ``(T, n, n_L)``
        and the logits are ``o.mean(axis=0)`` (SP Sec. VI-A: averaged over the steps).
        """
        h, caches = self._flat(x), [None]
        for l in range(1, self.n_layers):
            caches.append(self.layer(l, h))
            h = caches[-1]["h"]
        return caches, self.classify(h)

    def logits(self, x):
        """Time-averaged classifier output, ``(n, n_L)``: the network's output."""
        return self.run(x)[1].mean(axis=0)

    def hidden(self, x):
        """``[h_1, ..., h_{L-1}]``, each the spike rate (mean over steps) ``(n, n_l)``."""
        return [c["h"].mean(axis=0) for c in self.run(x)[0][1:]]

    # --------------------------------------------------------------- backward
    def pool_flat(self, l, maps):
        """Max-pool per step a conv layer's ``(T, n, C, Ho, Wo)`` maps to flat ``(T, n, n_l)``.

        Returns the pooled values and the pooling argmax (``None`` for a dense layer)."""
        T, n = maps.shape[:2]
        if not self.is_conv(l):
            return maps.reshape(T, n, -1), None
        out, idx = self.conv_block(l).pool_flat(maps.reshape(T * n, *maps.shape[2:]), self.backend)
        return out.reshape(T, n, -1), idx

    def unpool(self, l, dh, idx):
        """Adjoint of :meth:`pool_flat`: flat ``(T, n, n_l)`` -> the unit shape of ``a_l``
        (a conv layer's maps stored channels last, like ``a``, ``v`` and ``s``)."""
        T, n = dh.shape[:2]
        if not self.is_conv(l):
            return dh
        d = self.conv_block(l).unpool(dh.reshape(T * n, -1), idx, self.backend)   # channels last, as v
        return d.reshape(T, n, *self.conv_shapes[l])                 # (T, n, C, Ho, Wo), a view

    def layer_backward(self, l, cache, dh=None, dv=None, surrogate=True, dv_pooled=None):
        """``dJ/da_l`` from ``dJ/dh_l`` (flat) and a direct ``dJ/dv_l``.

        ``dh`` goes back through the pooling to the spikes, then both through the IF
        neurons (:func:`~nplearn.snn.neurons.if_backward`). Returns every step's
        ``(T, n, ...)``, or for a layer whose input is the same at every step (``static``,
        the image) the sum over the steps ``(1, n, ...)``, all its update needs.
        ``dv_pooled=(dout, idx)``, instead of ``dv``: ``dJ/dv_l`` as the gradient of max-pooled
        voltages (:meth:`pool_flat` of ``v``), un-pooled inside the backward pass."""
        theta = cache.get("theta", self.threshold)
        if dv_pooled is not None:
            if dh is not None or dv is not None:
                raise ValueError("give dv_pooled alone, without dh or dv")
            dout, idx = dv_pooled
            if idx is None or cache.get("s") is not None:            # not pooled, or spikes stored
                return self.layer_backward(l, cache, dv=self.unpool(l, dout, idx),
                                           surrogate=surrogate)
            return if_backward_pooled(cache["v"], theta, dout, idx, surrogate=surrogate,
                                      sum_steps=cache["static"], backend=self.backend, into="dv")
        if (dh is not None and dv is None and cache.get("s") is None and self.is_conv(l)
                and cache["idx"] is not None):                       # pooled spikes from v:
            return if_backward_pooled(cache["v"], theta, dh, cache["idx"], surrogate=surrogate,
                                      sum_steps=cache["static"], backend=self.backend)
        ds = None if dh is None else self.unpool(l, dh, cache["idx"])
        return if_backward(cache["v"], cache.get("s"), theta, ds=ds, dv=dv, surrogate=surrogate,
                           sum_steps=cache["static"], backend=self.backend)

    def layer_grads(self, l, cache, da):
        """``(g_W, g_b)`` of layer ``l``: ``sum_t da_t^T x_t`` and ``sum_t da_t`` over rows.

        ``da`` is ``dJ/da_l`` of the batch's mean loss (it already carries ``1/n``), so the
        rows and steps are SUMMED: the gradient of ``J`` itself. For a static layer (the
        same input every step) ``da`` may already be summed over the steps.
        """
        T, n = da.shape[:2]
        if cache["static"] and T > 1:
            da, T = da.sum(axis=0, keepdims=True), 1                 # same input every step: sum first
        if self.is_conv(l):
            d = da.reshape(T * n, *da.shape[2:])
            return self.conv_block(l).grads(d, cache["cols"], self.backend)   # summed over the rows
        x = cache["x"].reshape(T * n, -1)
        d = da.reshape(T * n, -1)
        return d.T @ x, d.sum(axis=0)                                 # dW = delta h^T, summed

    def layer_back_input(self, l, cache, da):
        """``dJ/dx`` of layer ``l``'s input at every step, flat ``(T, n, n_{l-1})``."""
        T, n = da.shape[:2]
        W = self.params[f"W{l}"]
        if not self.is_conv(l):
            return da @ W                                             # W^T delta
        dx = self.conv_block(l).back_input(da.reshape(T * n, *da.shape[2:]), W, self.backend)
        return dx.reshape(T, n, -1)

    def _flat(self, x):
        return as_rows(x, self.image_shape, self.sizes[0])

    def __repr__(self):
        return (f"SpikingConvNet(image_shape={self.image_shape}, conv={self.conv}, "
                f"sizes={self.sizes}, threshold={self.threshold}, "
                f"time_steps={self.time_steps}, dtype={self.dtype.name!r})")
