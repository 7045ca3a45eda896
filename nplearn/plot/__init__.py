"""Figures from recorded histories and arrays (never from rule internals).

>>> from nplearn.plot import plot_learning_curves, savefig
>>> fig = plot_learning_curves({"dfa": [clf.history_]})  # doctest: +SKIP
>>> savefig(fig, "runs/dfa/learning_curve")              # .png and .svg  # doctest: +SKIP

==========================  =====================================================
function                    draws
==========================  =====================================================
``plot_learning_curves``    error per epoch on train / validation / test
``plot_setting_curves``     a panel per setting of a paper's table, its number marked
``plot_update_angles``      angle of each rule's ``delta_l`` to BP's, per layer
``plot_feedback_angles``    angle of each feedback matrix to the forward path
``plot_embedding_grid``     t-SNE / PCA maps: rules x (input, h_1, ...) (DFA Fig. 3)
``plot_weight_histograms``  distribution of the trained weights (PEPITA Fig. 5)
``plot_weight_norms``       ``||W_l||_F`` over training
``plot_generated``          images a BFA network generates from labels (its Fig. 6)
``plot_relaxation``         output error / energy per Euler step (EFP Fig. 4; EP)
``plot_loop_angles``        each loop matrix vs the rest of the loop (EFP Fig. 5)
``plot_early_exits``        sigprop: each layer's own prediction error (Eq. 8)
``plot_step``               every matrix of one traced update, as heatmaps
==========================  =====================================================
"""
from .angles import plot_feedback_angles, plot_update_angles
from .curves import plot_learning_curves, plot_setting_curves
from .early_exit import plot_early_exits
from .embeddings import plot_embedding_grid
from .generation import plot_generated
from .hopfield import plot_loop_angles, plot_relaxation
from .style import OKABE_ITO, rule_color, savefig
from .trace import plot_step
from .weights import plot_weight_histograms, plot_weight_norms

__all__ = ["plot_learning_curves", "plot_update_angles", "plot_feedback_angles",
           "plot_embedding_grid", "plot_weight_histograms", "plot_weight_norms", "plot_generated",
           "plot_relaxation", "plot_loop_angles", "plot_setting_curves", "plot_early_exits",
           "plot_step",
           "savefig", "rule_color", "OKABE_ITO"]
