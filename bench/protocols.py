"""The papers' evaluation protocols, and the leak-free protocol that mirrors them.

A protocol turns N original images into a *plan*: a table of samples (which original,
augmented with which seed, or unchanged) and folds of train / test / validation indices
into that table. Engines never see the plan, only the arrays it materialises.

- ``paper-keras`` (section 4): augment the originals to 17,500 learn/test and 3,500
  validation samples with Keras's ``ImageDataGenerator``, then stratified 10-fold CV on
  the learn/test part.
- ``paper-ignet`` (section 5): ten samples per original (the original and nine
  augmented copies, redrawn every epoch), 5-fold CV, a sixth of the pool for validation
  as in the Keras case.
- ``leak-free``: the same sizes, folds and augmentation, but every split is by child:
  validation children, then test children per fold, are held out before anything is
  augmented, and only training images are augmented. No augmented copy, and no other
  drawing of a test child, is ever in training.
- ``image-split``: as ``leak-free``, but every split is by drawing: no augmented copy of a
  test drawing is in training, while the other drawings of its child may be. Paper minus
  image-split is the copy leak, image-split minus leak-free the same-child leak.

Two protocols are no paper's evaluation of the drawings: ``partition`` is a data set's own
train / validation / test partition (CelebA's, as the face paper used it), and
``stratified-cv`` plain stratified k-fold CV with nothing augmented (the digits' check).

Both paper protocols augment before splitting, so near-copies of a test image sit in
training; :func:`leakage` measures how much.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bench.augment import IGNET_PAPER_AUGMENTATION, KERAS_PAPER_AUGMENTATION, Augmentation
from bench.errors import BenchError
from bench.plans import (
    ORIGINAL,
    Fold,
    Plan,
    Protocol,
    group_kfold,
    kfold,
    originals_plan,
    pool_folds,
    random_seeds,
    with_copies,
)

__all__ = [
    "ORIGINAL",
    "PROTOCOLS",
    "Fold",
    "ImageSplit",
    "LeakFree",
    "PaperIgnet",
    "PaperKeras",
    "Partition",
    "Plan",
    "StratifiedCV",
    "get_protocol",
    "leakage",
]


class PaperKeras(Protocol):
    """Section 4: a fixed enlarged set, stratified k-fold CV on its learn/test part.

    The enlarged set is made once per seed and then split, as the paper did: every sample
    (original, augmentation seed) is drawn before the folds, and a sample's image depends
    on nothing else, so it is the same image in every fold. Every engine run under this
    protocol sees the same samples.

    Parameters
    ----------
    learn_test, validation : int
        Sizes of the augmented learn/test and validation parts (paper: 17,500 and 3,500).
    n_folds : int
        Folds of the learn/test part (paper: 10).
    augmentation : Augmentation
        Ranges and tool; by default Keras's ``ImageDataGenerator``, the tool of section
        4.2, with ranges of our choice (the paper gives none).
    seed : int
    tool : {"image_data_generator", "opencv"}, optional
        Replaces the augmentation's tool; ``"opencv"`` applies the same ranges with the
        suite's own warp. Experiment files name it so that every result records it.
    strength : float
        Factor on the augmentation's ranges (:meth:`Augmentation.scaled`): 0 makes exact
        copies, 1 the ranges as given, 2 twice them.
    """

    name = "paper-keras"
    keeps_original = False  # ImageDataGenerator yields transformed images only

    def __init__(
        self,
        learn_test: int = 17_500,
        validation: int = 3_500,
        n_folds: int = 10,
        augmentation: Augmentation = KERAS_PAPER_AUGMENTATION,
        seed: int = 0,
        tool: str | None = None,
        strength: float = 1.0,
    ) -> None:
        if tool is not None:
            augmentation = replace(augmentation, tool=tool)
        self.learn_test, self.validation = learn_test, validation
        self.n_folds, self.augmentation, self.seed = n_folds, augmentation.scaled(strength), seed
        self.strength = strength

    @property
    def validation_fraction(self) -> float:
        return self.validation / (self.learn_test + self.validation)

    def copies_per_original(self, n: int) -> int:
        return max(1, -(-self.learn_test // n))

    def plan(self, y: np.ndarray, groups: np.ndarray) -> Plan:
        y, groups = self._check(y, groups)
        if self.learn_test < self.n_folds or self.validation < 1:
            raise BenchError(
                f"{self.name}: learn_test ({self.learn_test}) must be at least n_folds and "
                f"validation ({self.validation}) at least 1"
            )
        rng = np.random.default_rng(self.seed)
        total = self.learn_test + self.validation
        source = rng.permutation(np.resize(np.arange(len(y)), total))
        seed = random_seeds(rng, total)
        pool = np.arange(self.learn_test)
        validation = np.arange(self.learn_test, total)
        folds = pool_folds(pool, validation, y[source[pool]], self.n_folds, self.seed)
        return Plan(self.name, source, seed, folds, self.augmentation, settings=self._settings())

    def _settings(self) -> dict:
        return {
            "learn_test": self.learn_test,
            "validation": self.validation,
            "n_folds": self.n_folds,
            "seed": self.seed,
            "tool": self.augmentation.tool,
            "strength": self.strength,
        }


class PaperIgnet(Protocol):
    """Section 5: ``copies`` samples per original (redrawn each epoch), k-fold CV.

    Parameters
    ----------
    copies : int
        Samples per original, the original itself included (paper: x10).
    n_folds : int
        Folds (paper: 5).
    validation_fraction : float
        Part of the pool kept for validation (the paper gives none; the Keras ratio, 1/6).
    augmentation : Augmentation
    seed : int
    strength : float
        Factor on the augmentation's ranges, as for :class:`PaperKeras`.
    """

    name = "paper-ignet"
    keeps_original = True

    def __init__(
        self,
        copies: int = 10,
        n_folds: int = 5,
        validation_fraction: float = 1 / 6,
        augmentation: Augmentation = IGNET_PAPER_AUGMENTATION,
        seed: int = 0,
        strength: float = 1.0,
    ) -> None:
        self.copies, self.n_folds = copies, n_folds
        self.validation_fraction = validation_fraction
        self.augmentation, self.seed = augmentation.scaled(strength), seed
        self.strength = strength

    def copies_per_original(self, n: int) -> int:
        return self.copies

    def plan(self, y: np.ndarray, groups: np.ndarray) -> Plan:
        y, groups = self._check(y, groups)
        if self.copies < 1 or not 0 < self.validation_fraction < 1:
            raise BenchError(
                f"{self.name}: copies must be at least 1 and validation_fraction in (0, 1)"
            )
        rng = np.random.default_rng(self.seed)
        source, seed = with_copies(np.arange(len(y)), self.copies, rng, self.keeps_original)
        order = rng.permutation(len(source))
        n_validation = max(1, round(self.validation_fraction * len(source)))
        validation, pool = np.sort(order[:n_validation]), np.sort(order[n_validation:])
        folds = pool_folds(pool, validation, y[source[pool]], self.n_folds, self.seed)
        return Plan(
            self.name,
            source,
            seed,
            folds,
            self.augmentation,
            on_the_fly=True,
            settings={
                "copies": self.copies,
                "n_folds": self.n_folds,
                "seed": self.seed,
                "strength": self.strength,
            },
        )


class LeakFree(Protocol):
    """A paper protocol with every split made by child before any augmentation.

    Validation children are held out first (the base protocol's validation fraction),
    then the remaining children are split into folds, stratified where the classes
    allow. Training originals get the base protocol's number of samples each; test and
    validation images are the originals, unaugmented.

    Parameters
    ----------
    base : PaperKeras or PaperIgnet
        The protocol whose sizes, folds and augmentation are mirrored.
    """

    name = "leak-free"

    def __init__(self, base: PaperKeras | PaperIgnet) -> None:
        self.base = base
        self.n_folds, self.augmentation, self.seed = base.n_folds, base.augmentation, base.seed

    def _units(self, groups: np.ndarray) -> np.ndarray:
        """What the splits keep together: each child's drawings."""
        return groups

    def plan(self, y: np.ndarray, groups: np.ndarray) -> Plan:
        y, groups = self._check(y, groups)
        groups = self._units(groups)
        n = len(y)
        rng = np.random.default_rng(self.seed)
        n_parts = max(2, round(1 / self.base.validation_fraction))
        rest, held = next(iter(group_kfold(y, groups, n_parts, self.seed)))
        copies = self.base.copies_per_original(n)
        # Originals first (test and validation use them as they are), then the training copies.
        copy_source, copy_seed = with_copies(rest, copies, rng, self.base.keeps_original)
        source = np.concatenate([np.arange(n), copy_source])
        seed = np.concatenate([np.full(n, ORIGINAL, dtype=np.int64), copy_seed])
        copies_index = np.arange(n, len(source))
        folds = []
        for i, (train, test) in enumerate(
            group_kfold(y[rest], groups[rest], self.n_folds, self.seed)
        ):
            train_rows = copies_index[np.isin(copy_source, rest[train])]
            folds.append(Fold(i, train_rows, rest[test], np.sort(held)))
        return Plan(
            self.name,
            source,
            seed,
            folds,
            self.augmentation,
            on_the_fly=isinstance(self.base, PaperIgnet),
            settings={
                "base": self.base.name,
                "copies": copies,
                "n_folds": self.n_folds,
                "strength": self.base.strength,
            },
        )


class ImageSplit(LeakFree):
    """A paper protocol with every split made by drawing before any augmentation.

    As :class:`LeakFree` in every other respect (sizes, folds, only the training side
    augmented, test and validation images the originals), but the originals are split one
    by one, stratified by the target where the classes allow. No augmented copy of a test
    drawing is in training; the child's other drawings may be, which is the same-child
    leak alone.

    Parameters
    ----------
    base : PaperKeras or PaperIgnet
        The protocol whose sizes, folds and augmentation are mirrored.
    """

    name = "image-split"

    def _units(self, groups: np.ndarray) -> np.ndarray:
        """Every drawing on its own."""
        return np.arange(len(groups))


PROTOCOLS = ("paper-keras", "paper-ignet", "leak-free", "image-split", "partition", "stratified-cv")
# Protocols that mirror a paper protocol's sizes, folds and augmentation with their own splits.
MIRRORS = {"leak-free": LeakFree, "image-split": ImageSplit}


class Partition(Protocol):
    """The data set's own train / validation / test partition (CelebA's), one fold.

    Nothing is augmented and no image is on two sides, so there is nothing to leak
    through augmentation; CelebA's partition also keeps each person on one side.

    Parameters
    ----------
    train, validation, test : int or None
        At most this many images of each side, the first in file order (the paper
        trained on 60,000); None takes them all.
    n_folds : int
        Repeats of the one split: each "fold" trains on the same sides from its own seed,
        so a verdict rests on several trainings, as CV folds give elsewhere.
    seed : int
        Unused (the partition is fixed); kept for the common protocol signature.
    """

    name = "partition"

    def __init__(
        self,
        train: int | None = None,
        validation: int | None = None,
        test: int | None = None,
        n_folds: int = 1,
        seed: int = 0,
    ) -> None:
        self.sizes = {"train": train, "validation": validation, "test": test}
        self.n_folds = n_folds
        self.augmentation, self.seed = Augmentation(), seed

    def plan(self, y: np.ndarray, groups: np.ndarray) -> Plan:
        """``y`` holds each image's side: ``train``, ``validation`` or ``test``."""
        sides = np.asarray(y).reshape(-1)
        rows = {}
        for side, limit in self.sizes.items():
            found = np.flatnonzero(sides == side)
            if limit is not None and limit < 1:
                raise BenchError(f"partition: {side} must be at least 1, not {limit}")
            if found.size == 0:
                raise BenchError(f"partition: the data has no {side} images")
            rows[side] = found[:limit]
        if self.n_folds < 1:
            raise BenchError(f"partition: n_folds must be at least 1, not {self.n_folds}")
        folds = [
            Fold(i, rows["train"], rows["test"], rows["validation"]) for i in range(self.n_folds)
        ]
        settings = {k: v for k, v in self.sizes.items() if v is not None}
        if self.n_folds > 1:
            settings["n_folds"] = self.n_folds
        return originals_plan(self, len(sides), folds, settings)


class StratifiedCV(Protocol):
    """Plain stratified k-fold CV of the originals, nothing augmented (the digits' check).

    Each fold's training side gives a stratified ``validation_fraction`` of itself as
    validation data for the engines' early stopping; test images are never seen in
    training.
    """

    name = "stratified-cv"

    def __init__(self, n_folds: int = 5, validation_fraction: float = 0.1, seed: int = 0) -> None:
        self.n_folds, self.validation_fraction, self.seed = n_folds, validation_fraction, seed
        self.augmentation = Augmentation()

    def plan(self, y: np.ndarray, groups: np.ndarray) -> Plan:
        y, groups = self._check(y, groups)
        if self.n_folds < 2 or not 0 < self.validation_fraction < 1:
            raise BenchError(
                f"{self.name}: n_folds must be at least 2 and validation_fraction in (0, 1)"
            )
        from sklearn.model_selection import train_test_split

        folds = []
        for i, (train, test) in enumerate(kfold(y, self.n_folds, self.seed)):
            fit, validation = train_test_split(
                train,
                test_size=self.validation_fraction,
                stratify=y[train],
                random_state=self.seed + i,
            )
            folds.append(Fold(i, np.sort(fit), test, np.sort(validation)))
        return originals_plan(self, len(y), folds, {"n_folds": self.n_folds, "seed": self.seed})


def get_protocol(name: str, base: str = "paper-keras", **options) -> Protocol:
    """A protocol by name; ``leak-free`` and ``image-split`` mirror ``base`` built with
    ``options``."""
    builders: dict[str, type[PaperKeras | PaperIgnet]] = {
        "paper-keras": PaperKeras,
        "paper-ignet": PaperIgnet,
    }
    if name == "partition":
        return Partition(**options)
    if name == "stratified-cv":
        return StratifiedCV(**options)
    if name in MIRRORS:
        if base not in builders:
            raise BenchError(f"{name} base must be one of {', '.join(builders)}, not {base!r}")
        return MIRRORS[name](builders[base](**options))
    if name not in builders:
        raise BenchError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {name!r}")
    return builders[name](**options)


def leakage(plan: Plan, fold: Fold, groups: np.ndarray) -> dict[str, float]:
    """How much of the test side is already in training, through the same image or child.

    Returns the fraction of test samples whose original image has a sample in training
    (``same_image``: a copy, the leak that ``image-split`` closes) and whose child has a
    drawing in training (``same_child``: the same image or another drawing of the child,
    the leak that ``leak-free`` closes as well).
    """
    groups = np.asarray(groups)
    train_sources = plan.source[fold.train]
    test_sources = plan.source[fold.test]
    return {
        "same_image": float(np.isin(test_sources, train_sources).mean()),
        "same_child": float(np.isin(groups[test_sources], groups[train_sources]).mean()),
    }
