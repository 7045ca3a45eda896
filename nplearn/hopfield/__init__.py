"""Layered continuous Hopfield network (EFP Sec. 2-4; Equilibrium Propagation): the engine.

``HopfieldNet`` holds parameters and the energy (EFP Eq. 2-4); ``relax``, ``free_phase`` and
``clamped_phase`` integrate EFP Eq. (1) by Euler, Eq. (7); ``hebbian_update`` computes EP's
Eq. (5) or EFP's Eq. (6); ``two_phase_update`` runs free phase, clamped phase and update in
one call (what EP and EFP do per update). Each hot loop has a Numba kernel and a readable
NumPy twin with the same signature and math.
"""
from .dynamics import drho
from .hebbian import hebbian_update, two_phase_update
from .network import CONNECTIVITIES, HopfieldNet, rho
from .phases import BACKENDS, clamped_phase, free_phase, relax

__all__ = ["HopfieldNet", "CONNECTIVITIES", "BACKENDS", "rho", "drho", "relax", "free_phase",
           "clamped_phase", "hebbian_update", "two_phase_update"]
