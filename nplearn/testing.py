"""Helpers for tests: central-difference gradients of a network's loss, a loop convolution."""
import numpy as np


def loss_of(model, x, Y):
    """Mean loss ``J`` of ``model`` on a batch, no dropout (DFA Eq. 4 for BCE)."""
    return model.loss.loss(model.logits(x), Y)


def numerical_gradient(model, x, Y, eps=1e-6):
    """Central differences ``(J(p + eps) - J(p - eps)) / (2 eps)`` for every parameter entry.

    Parameters
    ----------
    model : MLP
        Float64 network (perturbed in place, restored afterwards).
    x : ndarray of shape (n, n_0)
    Y : ndarray of shape (n, n_L)

    Returns
    -------
    dict
        Keyed like ``model.params``.
    """
    return central_differences(lambda: loss_of(model, x, Y), model.params, eps)


def central_differences(f, arrays, eps=1e-6):
    """``(f() - f())/(2 eps)`` with each entry of each array moved by ``+-eps`` in place.

    Parameters
    ----------
    f : callable
        ``f() -> float``, reading the arrays (e.g. a rule's feedback loss).
    arrays : dict
        Name -> float64 ndarray; perturbed in place, restored afterwards.
    eps : float

    Returns
    -------
    dict
        Name -> ndarray of the array's shape, ``df/d array``.
    """
    grads = {}
    for k, p in arrays.items():
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            plus = f()
            p[i] = old - eps
            minus = f()
            p[i] = old
            g[i] = (plus - minus) / (2 * eps)
        grads[k] = g
    return grads


def random_batch(rng, n, n_in, n_out, dtype=np.float64):
    """A random ``(n, n_in)`` input batch and ``(n, n_out)`` one-hot targets."""
    x = rng.normal(size=(n, n_in)).astype(dtype)
    Y = np.eye(n_out, dtype=dtype)[rng.integers(0, n_out, n)]
    return x, Y


def direct_conv2d(x, K, b, stride=1, padding=0):
    """Reference convolution by loops: ``a[i, o, r, c] = sum(patch * K[o]) + b[o]``.

    The naive twin of :func:`nplearn.nn.conv2d` (no im2col), for tests only.

    Parameters
    ----------
    x : ndarray of shape (n, C_in, H, W)
    K : ndarray of shape (C_out, C_in, k, k)
    b : ndarray of shape (C_out,)
    stride, padding : int

    Returns
    -------
    ndarray of shape (n, C_out, Ho, Wo)
    """
    n, _, H, W = x.shape
    C_out, _, k, _ = K.shape
    p, s = padding, stride
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    a = np.empty((n, C_out, Ho, Wo), np.result_type(x, K, b))
    for i in range(n):
        for o in range(C_out):
            for r in range(Ho):
                for c in range(Wo):
                    patch = xp[i, :, r * s:r * s + k, c * s:c * s + k]     # (C_in, k, k)
                    a[i, o, r, c] = np.sum(patch * K[o]) + b[o]
    return a
