"""Plans: the samples a protocol makes of N original images, and its folds over them.

A plan is a table of samples (which original, augmented with which seed, or unchanged)
and folds of train / test / validation indices into that table; :meth:`Plan.materialize`
makes the images of any subset. The protocols (:mod:`bench.protocols`) build plans with
the fold makers here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.augment import Augmentation
from bench.errors import BenchError

__all__ = [
    "ORIGINAL",
    "Fold",
    "Plan",
    "Protocol",
    "group_kfold",
    "kfold",
    "originals_plan",
    "pool_folds",
    "random_seeds",
    "with_copies",
]

ORIGINAL = -1  # the seed of a sample that is the original image, unaugmented
_EPOCH_STRIDE = 0x9E3779B97F4A7C15  # odd constant: epochs map seeds to distinct seeds


@dataclass(frozen=True)
class Fold:
    """Indices into a plan's samples for one fold."""

    index: int
    train: np.ndarray
    test: np.ndarray
    validation: np.ndarray


@dataclass(frozen=True)
class Plan:
    """Samples and folds of one protocol applied to one dataset.

    Attributes
    ----------
    protocol : str
    source : ndarray of int64
        For every sample, the index of its original image.
    seed : ndarray of int64
        For every sample, its augmentation seed, or -1 for the unchanged original.
    folds : list of Fold
    augmentation : Augmentation
    on_the_fly : bool
        Whether augmented training samples are redrawn every epoch (IgNet's way).
    """

    protocol: str
    source: np.ndarray
    seed: np.ndarray
    folds: list[Fold]
    augmentation: Augmentation
    on_the_fly: bool = False
    settings: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.source)

    def __iter__(self) -> Iterator[Fold]:
        return iter(self.folds)

    def materialize(self, images: np.ndarray, which: np.ndarray, epoch: int = 0) -> np.ndarray:
        """The images of samples ``which``: originals as they are, the rest augmented.

        Each sample's image depends only on its original and its seed, so asking for any
        subset gives the rows of the whole set that the plan fixes: a fold's images are
        those of the set made before splitting. With ``on_the_fly`` and ``epoch > 0``
        every augmented sample gets a fresh seed derived from its own and the epoch, so
        each epoch sees new variants.
        """
        which = np.asarray(which, dtype=np.int64)
        out = np.asarray(images, dtype=np.float32)[self.source[which]]
        seeds = self.seed[which]
        augmented = seeds != ORIGINAL
        if augmented.any():
            if self.on_the_fly and epoch:
                shift = np.uint64(epoch * _EPOCH_STRIDE % 2**64)
                seeds = seeds.astype(np.uint64) + shift  # wraps modulo 2**64, by design
            out[augmented] = self.augmentation(out[augmented], seeds[augmented])
        return out


class Protocol:
    """What every protocol has: a name, its fold count, its augmentation and seed, and
    :meth:`plan`."""

    name: str
    n_folds: int
    augmentation: Augmentation
    seed: int

    def plan(self, y: np.ndarray, groups: np.ndarray) -> Plan:
        """Samples and folds for originals with stratification labels ``y`` and ``groups``."""
        raise NotImplementedError

    def _check(self, y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y, groups = np.asarray(y).reshape(-1), np.asarray(groups).reshape(-1)
        if len(y) != len(groups):
            raise BenchError(f"{self.name}: {len(y)} labels but {len(groups)} groups")
        if self.n_folds < 2:
            raise BenchError(f"{self.name}: n_folds must be at least 2, not {self.n_folds}")
        if len(np.unique(groups)) < self.n_folds + 1:
            raise BenchError(
                f"{self.name}: {len(np.unique(groups))} children are too few for "
                f"{self.n_folds} folds and a validation part"
            )
        return y, groups


def random_seeds(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**62, size=n, dtype=np.int64)


def with_copies(
    originals: np.ndarray, copies: int, rng: np.random.Generator, keep_original: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``copies`` samples of each original, the first one unchanged if ``keep_original``."""
    source = np.repeat(originals, copies)
    seed = random_seeds(rng, len(source))
    if keep_original:
        seed[::copies] = ORIGINAL
    return source, seed


def originals_plan(protocol: Protocol, n: int, folds: list[Fold], settings: dict[str, Any]) -> Plan:
    """A plan whose samples are the ``n`` originals themselves, nothing augmented."""
    return Plan(
        protocol.name,
        np.arange(n),
        np.full(n, ORIGINAL),
        folds,
        protocol.augmentation,
        settings=settings,
    )


def pool_folds(
    pool: np.ndarray, validation: np.ndarray, y: np.ndarray, n_folds: int, seed: int
) -> list[Fold]:
    """k folds over the samples ``pool`` (strata ``y``), all with the same validation part."""
    return [
        Fold(i, pool[train], pool[test], validation)
        for i, (train, test) in enumerate(kfold(y, n_folds, seed))
    ]


def kfold(y: np.ndarray, n_folds: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds where every class has enough members, plain shuffled folds otherwise."""
    # scikit-learn is imported where folds are made: the protocol names alone (a command
    # line's choices) should not wait for it.
    from sklearn.model_selection import KFold, StratifiedKFold

    if np.bincount(np.unique(y, return_inverse=True)[1]).min() >= n_folds:
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_folds, shuffle=True, random_state=seed)
    return splitter.split(np.zeros(len(y)), y)


def group_kfold(
    y: np.ndarray, groups: np.ndarray, n_folds: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Folds by group, stratified when every class spans enough groups."""
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    if len(np.unique(groups)) < n_folds:
        raise BenchError(f"{len(np.unique(groups))} children are too few for {n_folds} folds")
    classes_per_group = {(c, g) for c, g in zip(y.tolist(), groups.tolist(), strict=True)}
    groups_per_class = np.bincount(
        np.unique([c for c, _ in classes_per_group], return_inverse=True)[1]
    )
    if groups_per_class.min() >= n_folds:
        splitter = StratifiedGroupKFold(n_folds, shuffle=True, random_state=seed)
    else:
        splitter = GroupKFold(n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return iter(list(splitter.split(np.zeros(len(y)), y, groups)))
