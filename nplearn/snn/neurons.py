"""Integrate-and-fire neurons and the arc-tangent surrogate of their spike (SP Sec. VI-A).

Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2023). Signal Propagation: A Framework
for Learning and Inference In a Forward Pass. IEEE TNNLS. arXiv:2204.01723. Sec. VI,
Eq. (15)-(17).

One IF neuron per unit, simulated for ``T`` steps; the neuron is an "activation function"
applied at every step. With ``u_0 = 0``, for ``t = 1..T``::

    v_t = u_{t-1} + a_t              charge, the subthreshold dynamics (Eq. 15)
    s_t = H(v_t - theta)             fire: 1 if v_t >= theta, else 0
    u_t = v_t (1 - s_t)              hard reset to 0 after a spike

The spike ``H`` has derivative zero almost everywhere. Surrogate learning keeps ``H`` in
the forward pass and puts the derivative of the arc tangent ``g`` (Eq. 16) in its place
in the backward pass: ``ds_t/dv_t := g'(v_t - theta)`` (Eq. 17).

Legend (symbol -> code -> shape; ``...`` is the unit shape, ``(n_l,)`` or ``(C, H, W)``):

=========================  ===========  =====================
input current ``h_i^t``    ``a``        ``(T, n, ...)``
voltage before firing      ``v``        ``(T, n, ...)``
spikes                     ``s``        ``(T, n, ...)``
threshold                  ``theta``    scalar
=========================  ===========  =====================

The paper's ``h_i^t`` of Eq. (15), "the layer's activations", is the current ``a_t`` that
the layer's weights deliver at step ``t``.

Reset: the paper does not print it. We reset to zero (a "hard" reset, the convention of
the SpikingJelly IF node the paper's setting matches); the backward pass differentiates the
reset too, ``du_t/dv_t = (1 - s_t) - v_t ds_t/dv_t``.
"""
import numpy as np


def heaviside(x):
    """The spike: ``1`` where ``x >= 0``, else ``0`` (dtype of ``x``)."""
    return (x >= 0).astype(x.dtype)


def arctan_surrogate(x):
    """``g(x) = arctan(pi x) / pi + 1/2``, a smooth step from 0 to 1 (SP Eq. 16)."""
    return np.arctan(np.pi * x) / np.pi + 0.5                     # SP Eq. (16)


def arctan_surrogate_grad(x):
    """``g'(x) = 1 / (1 + (pi x)^2)``, the surrogate derivative of the spike (SP Eq. 17)."""
    return 1.0 / (1.0 + (np.pi * x) ** 2)                          # SP Eq. (17)


def if_forward(a, theta, spike=heaviside):
    """Simulate IF neurons driven by the currents ``a`` for ``T = len(a)`` steps.

    Parameters
    ----------
    a : ndarray of shape (T, n, ...)
        Input current at every step.
    theta : float
        Firing threshold (0.5 for sigprop, 1.0 for BP and Shallow, SP Sec. VI-A).
    spike : callable, default :func:`heaviside`
        The firing function of ``v - theta``. Tests pass :func:`arctan_surrogate` to make
        the whole network smooth, so that the surrogate backward pass is its exact gradient.

    Returns
    -------
    v : ndarray of shape (T, n, ...)
        Voltage after charging, before the reset.
    s : ndarray of shape (T, n, ...)
        Spikes.
    """
    v, s = np.empty_like(a), np.empty_like(a)
    u = np.zeros_like(a[0])                                        # u_0 = 0
    for t in range(a.shape[0]):
        v[t] = u + a[t]                                            # SP Eq. (15): v_t = v_{t-1} + h_t
        s[t] = spike(v[t] - theta)                                 # fire at theta
        u = v[t] * (1.0 - s[t])                                    # hard reset to 0
    return v, s


def if_backward(v, s, theta, ds=None, dv=None, surrogate=True):
    """Back-propagation through time of :func:`if_forward`: ``dJ/da`` from ``dJ/ds``, ``dJ/dv``.

    Runs backward over the steps of the voltage recurrence (and its reset)::

        dv_t~ = dv_t + (ds_t - v_t du_t) g'(v_t - theta) + (1 - s_t) du_t
        da_t = du_{t-1} = dv_t~                       (du_T = 0)

    where ``dv_t~`` is the total derivative at ``v_t`` and ``dv_t`` its direct part.

    Parameters
    ----------
    v, s : ndarray of shape (T, n, ...)
        From :func:`if_forward`.
    theta : float
    ds : ndarray of shape (T, n, ...), optional
        ``dJ/ds_t`` from the layers the spikes feed (``None``: zero).
    dv : ndarray of shape (T, n, ...), optional
        ``dJ/dv_t`` where a loss reads the voltage directly (sigprop "voltage"; ``None``: zero).
    surrogate : bool, default True
        ``ds_t/dv_t = g'(v_t - theta)`` (SP Eq. 17). ``False``: the spike's true derivative,
        zero almost everywhere, so nothing flows through a spike (only ``dv`` and the
        ``(1 - s_t)`` of the reset carry the signal).

    Returns
    -------
    da : ndarray of shape (T, n, ...)
        ``dJ/da_t``.
    """
    da = np.empty_like(v)
    du = np.zeros_like(v[0])                                       # nothing after the last step
    for t in range(v.shape[0] - 1, -1, -1):
        d = du * (1.0 - s[t])                                      # through u_t = v_t (1 - s_t)
        if dv is not None:
            d = d + dv[t]
        if surrogate:
            dst = -v[t] * du if ds is None else ds[t] - v[t] * du  # total dJ/ds_t, reset included
            d = d + dst * arctan_surrogate_grad(v[t] - theta)      # SP Eq. (17): ds_t/dv_t := g'
        da[t] = d                                                  # dv_t/da_t = 1 (Eq. 15)
        du = d                                                     # dv_t/du_{t-1} = 1 (Eq. 15)
    return da
