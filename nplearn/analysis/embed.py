"""2-D embeddings of the input and of every hidden layer (DFA paper, Fig. 3).

t-SNE (scikit-learn, seeded, PCA-initialised, so repeatable) or PCA as the
fast option, plus a number for "how separated are the classes": the k-nearest-
neighbour accuracy in the 2-D embedding (cross-validated).
"""
import numpy as np
from threadpoolctl import threadpool_limits
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier


def embed(Z, method="tsne", random_state=0, perplexity=30.0):
    """Project the rows of ``Z`` ``(n, d)`` to 2-D with ``"tsne"`` or ``"pca"``.

    t-SNE runs on one thread: for the few thousand points plotted here it is fast, and
    OpenMP threads on a busy machine made it 100x slower (58 s instead of 0.5 s for 150
    points, measured on 2 cores under load).
    """
    Z = np.asarray(Z, dtype=np.float64)
    if method == "pca":
        return PCA(n_components=2, random_state=random_state).fit_transform(Z)
    if method == "tsne":
        perplexity = min(perplexity, max(2.0, (len(Z) - 1) / 3))
        with threadpool_limits(1):
            return TSNE(n_components=2, init="pca", perplexity=perplexity,
                        random_state=random_state).fit_transform(Z)
    raise ValueError(f"unknown embedding method {method!r}; use 'tsne' or 'pca'")


def layer_embeddings(model, X, method="tsne", random_state=0):
    """2-D embeddings of ``X`` and of each hidden layer of ``model`` for ``X``.

    Returns
    -------
    list of ndarray of shape (n, 2)
        ``[input, h_1, ..., h_{L-1}]``.
    """
    X = np.asarray(X, dtype=model.dtype)
    return [embed(Z, method, random_state) for Z in [X, *model.hidden(X)]]


def knn_accuracy(Z, y, k=5, folds=5, random_state=0):
    """Mean ``folds``-fold cross-validated accuracy of a k-NN classifier on ``Z``."""
    y = np.asarray(y)
    folds = min(folds, np.bincount(np.unique(y, return_inverse=True)[1]).min())
    if folds < 2:
        raise ValueError("need at least 2 samples of every class for k-NN accuracy")
    knn = KNeighborsClassifier(n_neighbors=k)
    return float(cross_val_score(knn, Z, y, cv=folds).mean())
