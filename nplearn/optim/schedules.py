"""Learning-rate schedules: callables ``epoch -> factor`` on the base learning rate.

The training loop sets ``optimizer.lr = base_lr * schedule(epoch)`` at the start
of each epoch (epochs counted from 0).
"""
import math


class Constant:
    """Factor 1 at every epoch."""

    def __call__(self, epoch):
        return 1.0

    def __repr__(self):
        return "Constant()"


class MultiStep:
    """Multiply by ``gamma`` at each milestone epoch (PEPITA Table 2: x0.1 at 60 and 90)."""

    def __init__(self, milestones, gamma=0.1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = float(gamma)

    def __call__(self, epoch):
        return self.gamma ** sum(epoch >= m for m in self.milestones)

    def __repr__(self):
        return f"MultiStep(milestones={self.milestones}, gamma={self.gamma})"


class Cosine:
    """Cosine annealing from 1 to ``min_factor`` over ``total_epochs`` (Loshchilov & Hutter)."""

    def __init__(self, total_epochs, min_factor=0.0):
        if total_epochs < 1:
            raise ValueError(f"total_epochs must be >= 1, got {total_epochs}")
        self.total_epochs, self.min_factor = int(total_epochs), float(min_factor)

    def __call__(self, epoch):
        t = min(epoch, self.total_epochs) / self.total_epochs
        return self.min_factor + (1 - self.min_factor) * 0.5 * (1 + math.cos(math.pi * t))

    def __repr__(self):
        return f"Cosine(total_epochs={self.total_epochs}, min_factor={self.min_factor})"


def get_schedule(spec, epochs=None):
    """Build a schedule from ``None``/``"constant"``, ``"cosine"``, ``"multistep:60,90"``
    or a callable."""
    if spec is None or spec == "constant":
        return Constant()
    if callable(spec):
        return spec
    if spec == "cosine":
        return Cosine(epochs or 1)
    if isinstance(spec, str) and spec.startswith("multistep:"):
        milestones = [m.strip() for m in spec.split(":", 1)[1].split(",") if m.strip()]
        if not milestones or not all(m.isdigit() and int(m) >= 1 for m in milestones):
            raise ValueError(f"schedule={spec!r}: the milestones after 'multistep:' must be "
                             "epochs >= 1 separated by commas, e.g. 'multistep:60,90'")
        return MultiStep([int(m) for m in milestones])
    raise ValueError(f"unknown schedule {spec!r}; use None, 'constant', 'cosine', "
                     "'multistep:E1,E2' (x0.1 at each epoch listed) or a callable epoch -> factor")
