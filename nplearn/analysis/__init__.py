"""Measurements on arrays, trained models and recorded histories: angles, embeddings, weights."""
from .angles import (angle, feedback_angles, product, product_angle, row_angles,
                     update_angles)
from .embed import embed, knn_accuracy, layer_embeddings
from .record import AlignmentRecorder
from .relaxation import HopfieldRecorder, loop_angles, relaxation_curves
from .weights import weight_histograms, weight_norms

__all__ = ["angle", "feedback_angles", "product", "product_angle", "row_angles",
           "update_angles", "embed", "knn_accuracy", "layer_embeddings", "AlignmentRecorder",
           "HopfieldRecorder", "loop_angles", "relaxation_curves",
           "weight_histograms", "weight_norms"]
