"""Measurements on arrays, trained models and recorded histories: angles, embeddings, weights."""
from .angles import (angle, angles_from_updates, feedback_angles, product, product_angle,
                     row_angles, update_angles)
from .early_exit import EarlyExitRecorder
from .ep_angles import EPAngleRecorder, ep_bp_angles, free_phase_gradient
from .embed import embed, knn_accuracy, layer_embeddings
from .alignment import AlignmentRecorder
from .relaxation import HopfieldRecorder, loop_angles, relaxation_curves
from .snapshots import HiddenSnapshots
from .weights import weight_histograms, weight_norms

__all__ = ["angle", "angles_from_updates", "feedback_angles", "product", "product_angle", "row_angles",
           "update_angles", "EarlyExitRecorder", "EPAngleRecorder", "ep_bp_angles",
           "free_phase_gradient", "embed", "knn_accuracy", "layer_embeddings", "AlignmentRecorder",
           "HiddenSnapshots", "HopfieldRecorder", "loop_angles", "relaxation_curves",
           "weight_histograms", "weight_norms"]
