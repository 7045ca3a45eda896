"""The same DFA training step written in PyTorch (CPU), as a peer for ``bench_step.py``.

Optional: nplearn never imports torch. ``available()`` is False when torch is not
installed, and the benchmark then skips the peer. ``pip install torch`` (the CPU wheel)
enables it.

The peer does the work of ``nplearn.train.train_step(model, DFA(), SGD(lr), x, Y)`` on a
784-800-800-10 tanh network with a logistic output and binary cross-entropy (DFA paper,
Sec. 3), in the same order and with the same products, no more:

* forward, DFA Eq. (1)-(3): ``a_l = h_{l-1} W_l^T + b_l``, ``h_l = tanh(a_l)``,
  ``y_hat = sigmoid(a_L)``;
* the batch loss ``J`` (Eq. 4, mean over the batch) and the number of errors, the two
  numbers nplearn's step returns;
* the error ``e = y_hat - y`` (Eq. 5) and the hidden directions
  ``delta_l = (e B_l^T) * (1 - h_l^2)`` (Eq. 8);
* plain SGD in place, ``W_l -= lr/n delta_l^T h_{l-1}`` and ``b_l -= lr mean(delta_l)``
  (Eq. 10), fused into one ``addmm_`` per weight, as a PyTorch user would write it.

It runs under ``torch.no_grad()``. This is the strict peer: the same work, done by
another library.

:func:`make_autograd_step` is the same DFA step as a PyTorch user would usually write it:
``nn.Linear`` layers, a hook on each hidden ``h_l`` that replaces its gradient by
``e B_l^T / n`` (so autograd yields Eq. (8) and (10)), ``loss.backward()`` and
``torch.optim.SGD``. Autograd still forms BP's ``delta_{l+1} W_{l+1}`` before the hook
replaces it (one 64x800x800 product per hidden layer more), and it keeps the graph.
"""
import numpy as np


def available():
    """Whether torch can be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_version():
    import torch
    return torch.__version__


def make_step(model, rule, lr, threads):
    """A ``step(x, Y) -> (loss, n_errors)`` closure on torch copies of the nplearn model's
    weights and the DFA rule's feedback matrices ``B_l`` (same initial values)."""
    import torch
    torch.set_num_threads(int(threads))
    L = model.n_layers
    W = [None] + [torch.from_numpy(model.params[f"W{l}"].copy()) for l in range(1, L + 1)]
    b = [None] + [torch.from_numpy(model.params[f"b{l}"].copy()) for l in range(1, L + 1)]
    B = [None] + [torch.from_numpy(rule.B_[f"B{l}"].copy()) for l in range(1, L)]

    @torch.no_grad()
    def step(x, Y):
        n = x.shape[0]
        h = [x]
        for l in range(1, L):
            h.append(torch.tanh(torch.addmm(b[l], h[l - 1], W[l].T)))    # DFA Eq. (1)-(2)
        a_L = torch.addmm(b[L], h[L - 1], W[L].T)
        y_hat = torch.sigmoid(a_L)                                      # DFA Eq. (3)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(    # DFA Eq. (4)
            a_L, Y, reduction="sum") / n
        n_errors = (a_L.argmax(1) != Y.argmax(1)).sum()
        e = y_hat - Y                                                   # DFA Eq. (5)
        delta = [None] + [(e @ B[l].T) * (1 - h[l] * h[l]) for l in range(1, L)] + [e]  # Eq. (8)
        for l in range(1, L + 1):                                       # DFA Eq. (10), SGD
            W[l].addmm_(delta[l].T, h[l - 1], alpha=-lr / n)
            b[l].sub_(delta[l].mean(0), alpha=lr)
        return loss.item(), int(n_errors)

    def to_torch(x, Y):
        return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(Y)

    return step, to_torch, W


def make_autograd_step(model, rule, lr, threads):
    """The same step through autograd and ``torch.optim.SGD`` (module docstring)."""
    import torch
    torch.set_num_threads(int(threads))
    L = model.n_layers
    layers = []
    for l in range(1, L + 1):
        W = model.params[f"W{l}"]
        lin = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(model.params[f"b{l}"]))
        layers.append(lin)
    B = [None] + [torch.from_numpy(rule.B_[f"B{l}"].copy()) for l in range(1, L)]
    opt = torch.optim.SGD([p for lin in layers for p in lin.parameters()], lr=lr)

    def step(x, Y):
        n = x.shape[0]
        opt.zero_grad(set_to_none=True)
        h, hidden = x, []
        for lin in layers[:-1]:
            h = torch.tanh(lin(h))                                      # DFA Eq. (1)-(2)
            hidden.append(h)
        a_L = layers[-1](h)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(    # DFA Eq. (4)
            a_L, Y, reduction="sum") / n
        with torch.no_grad():
            e = torch.sigmoid(a_L) - Y                                  # DFA Eq. (5)
            n_errors = (a_L.argmax(1) != Y.argmax(1)).sum()
        for l, h_l in enumerate(hidden, 1):                             # DFA Eq. (8)
            h_l.register_hook(lambda g, l=l: (e @ B[l].T) / n)
        loss.backward()
        opt.step()                                                      # DFA Eq. (10), SGD
        return loss.item(), int(n_errors)

    def to_torch(x, Y):
        return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(Y)

    return step, to_torch, [None] + [lin.weight.detach() for lin in layers]


def check_agreement(model, rule, lr, x, Y, train_step, optimizer, make=make_step):
    """One peer step and one nplearn step from the same weights give the same weights
    (float32, rtol 1e-4: the two BLAS libraries sum in different orders)."""
    step, to_torch, W = make(model, rule, lr, threads=1)
    loss_t, err_t = step(*to_torch(x, Y))
    stats = train_step(model, rule, optimizer, x, Y)
    assert err_t == stats["n_errors"], (err_t, stats["n_errors"])
    np.testing.assert_allclose(loss_t, stats["loss"], rtol=1e-4)
    for l in range(1, model.n_layers + 1):
        np.testing.assert_allclose(W[l].numpy(), model.params[f"W{l}"], rtol=1e-4, atol=1e-6,
                                   err_msg=f"W{l}")
