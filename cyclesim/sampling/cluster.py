"""Phase clustering of basic-block vectors, as SimPoint makes it (NumPy only).

Sherwood, Perelman, Hamerly and Calder, "Automatically Characterizing Large Scale Program
Behavior", ASPLOS 2002, and Hamerly, Perelman, Lau and Calder, "SimPoint 3.0: Faster and
More Flexible Program Phase Analysis", JILP 7, 2005:

1. each interval's basic-block vector is normalised to sum 1 (so intervals of different
   lengths compare by where their instructions went, not how many there were);
2. random linear projection to a few dimensions (SimPoint: 15), by a matrix of
   independent uniform values in [-1, 1]: k-means on thousands of dimensions is slow
   and noisy, and random projection keeps distances approximately (Johnson-Lindenstrauss);
3. k-means for k = 1 .. max_k, each from several seeded k-means++ starts, the one of
   least distortion kept;
4. for each k the Bayesian information criterion of the clustering (below); the chosen k
   is the smallest whose BIC reaches `threshold` (SimPoint: 0.9) of the way from the
   lowest to the highest BIC tried;
5. per cluster, the simulation point: the interval closest to the cluster's centroid;
   its weight, the cluster's share of the instructions.

BIC (Pelleg and Moore, "X-means", ICML 2000, the score SimPoint uses), for R points in d
dimensions clustered in K spherical Gaussians of one shared variance:
    σ² = Σ ||x_i − μ_c(i)||² / (d (R − K))            (unbiased, per dimension)
    log L = Σ_n R_n log(R_n / R) − (R d / 2) log(2π σ²) − d (R − K) / 2
    BIC = log L − (p / 2) log R,   p = (K − 1) + K d + 1 free parameters
(the last term of log L is Σ ||x_i − μ||² / (2σ²) with the σ² above). Higher is better.
"""
from __future__ import annotations

import math

import numpy as np

# σ² below this (relative to the data's spread) counts as this: identical points would
# otherwise give log 0 and an infinite score.
_VARIANCE_FLOOR = 1e-12


def normalised(triples: np.ndarray, intervals: int, blocks: int) -> np.ndarray:
    """Dense (intervals x blocks) matrix of each interval's BBV divided by its sum."""
    x = np.zeros((intervals, blocks))
    if len(triples):
        np.add.at(x, (triples[:, 0].astype(np.int64), triples[:, 1].astype(np.int64)),
                  triples[:, 2].astype(np.float64))
    sums = x.sum(axis=1, keepdims=True)
    return np.divide(x, sums, out=np.zeros_like(x), where=sums > 0)


def project(x: np.ndarray, dims: int, rng: np.random.Generator) -> np.ndarray:
    """x @ M, M (blocks x dims) uniform in [-1, 1]; x as it is when it has no more
    columns than dims (a projection would only add noise)."""
    if x.shape[1] <= dims:
        return x.copy()
    m = rng.uniform(-1.0, 1.0, size=(x.shape[1], dims))
    return x @ m


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, restarts: int = 5,
           iterations: int = 100):
    """(labels, centroids, distortion) of the best of `restarts` Lloyd runs from
    k-means++ seeds; distortion is Σ ||x_i − μ_c(i)||²."""
    best = None
    for _ in range(max(1, restarts)):
        centres = _plus_plus(x, k, rng)
        labels = None
        for _ in range(iterations):
            d2 = _sq_dist(x, centres)
            new = d2.argmin(axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            for c in range(k):
                members = x[labels == c]
                if len(members):
                    centres[c] = members.mean(axis=0)
                else:  # an empty cluster takes the point farthest from its centre
                    far = d2[np.arange(len(x)), labels].argmax()
                    centres[c] = x[far]
                    labels[far] = c
        d2 = _sq_dist(x, centres)
        labels = d2.argmin(axis=1)
        distortion = float(d2[np.arange(len(x)), labels].sum())
        if best is None or distortion < best[2] - 1e-12 * max(1.0, abs(best[2])):
            best = (labels, centres.copy(), distortion)
    return best


def _plus_plus(x, k, rng):
    """k-means++ seeding (Arthur and Vassilvitskii 2007): each next centre drawn with
    probability proportional to its squared distance to the nearest centre so far."""
    centres = np.empty((k, x.shape[1]))
    centres[0] = x[rng.integers(len(x))]
    d2 = ((x - centres[0]) ** 2).sum(axis=1)
    for c in range(1, k):
        total = d2.sum()
        i = rng.choice(len(x), p=d2 / total) if total > 0 else rng.integers(len(x))
        centres[c] = x[i]
        d2 = np.minimum(d2, ((x - centres[c]) ** 2).sum(axis=1))
    return centres


def _sq_dist(x, centres):
    return ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)


def bic(x: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> float:
    """The BIC of the module docstring for this clustering of x."""
    r, d = x.shape
    k = len(centres)
    if r <= k:
        return float("nan")
    sizes = np.bincount(labels, minlength=k)
    sse = float(((x - centres[labels]) ** 2).sum())
    spread = float(((x - x.mean(axis=0)) ** 2).sum()) / (d * r) or 1.0
    var = max(sse / (d * (r - k)), _VARIANCE_FLOOR * spread)
    nonempty = sizes[sizes > 0]
    loglik = (float((nonempty * np.log(nonempty / r)).sum())
              - r * d / 2 * math.log(2 * math.pi * var) - d * (r - k) / 2)
    params = (k - 1) + k * d + 1
    return loglik - params / 2 * math.log(r)


def choose_k(scores: dict[int, float], threshold: float = 0.9) -> int:
    """The smallest k whose score reaches `threshold` of the way from the lowest to the
    highest score (SimPoint 3.0's rule); NaN scores are left out."""
    good = {k: s for k, s in scores.items() if math.isfinite(s)}
    if not good:
        return min(scores)
    low, high = min(good.values()), max(good.values())
    bar = low + threshold * (high - low)
    return min(k for k, s in good.items() if s >= bar - 1e-9 * max(1.0, abs(bar)))


def cluster(x: np.ndarray, max_k: int, seed: int = 0, dims: int = 15, restarts: int = 5,
            threshold: float = 0.9) -> dict:
    """The whole procedure on normalised BBVs x (intervals x blocks): returns k, labels,
    the BIC per k tried, the projected data and centroids, and each cluster's
    simulation point (the interval nearest its centroid)."""
    rng = np.random.default_rng(seed)
    y = project(x, dims, rng)
    tried = {}
    runs = {}
    for k in range(1, min(max_k, len(y)) + 1):
        labels, centres, _ = kmeans(y, k, rng, restarts)
        runs[k] = (labels, centres)
        tried[k] = bic(y, labels, centres)
    k = choose_k(tried, threshold)
    labels, centres = runs[k]
    points = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if not len(members):
            continue
        d2 = ((y[members] - centres[c]) ** 2).sum(axis=1)
        points.append((c, int(members[d2.argmin()])))
    return {"k": k, "labels": labels, "bic": tried, "projected": y, "centroids": centres,
            "points": points}
