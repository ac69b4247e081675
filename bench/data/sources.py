"""Where each dataset a run names comes from and how it is read.

An experiment names its dataset (``drawings``, ``faces`` or ``digits``); this module is
the one place that turns the name into data: :func:`load` reads a folder with the
dataset's loader, :func:`default_folder` is the folder a command uses when none is given
(a synthetic stand-in, generated on first use), :func:`native_size` says when a
dataset comes at one size only and :func:`check_target` which targets it has. Adding a
dataset is a loader and one entry in :data:`SOURCES`.

The loaders and generators are imported when a dataset is read or generated: they bring
pandas and OpenCV, which checking an experiment file does not need.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench import console
from bench.data.provenance import MARKER, is_synthetic
from bench.errors import BenchError, DataError

if TYPE_CHECKING:
    from bench.data.dataset import Dataset

__all__ = [
    "DEFAULT_FACES",
    "SOURCES",
    "Source",
    "check_target",
    "data_folders",
    "default_folder",
    "load",
    "native_size",
]

#: Synthetic faces generated when none are given: enough for the quick profile's sides.
DEFAULT_FACES = 2400


# The digits' loader and their only size, (width, height), here rather than in
# bench.data.digits, which imports pandas: checking an experiment file does not need it.
DIGITS_SOURCE = "sklearn.datasets.load_digits"
DIGITS_SIZE = (8, 8)


@dataclass(frozen=True)
class Source:
    """What the suite knows of one dataset.

    Attributes
    ----------
    read : callable
        ``read(folder, size, color, crop_faces)``: the dataset's loader.
    targets : callable
        ``targets(task)``: the names a run may learn for ``task`` (``()``: the dataset
        has no such task; None: any name, as a multi-label target learns every label).
    generate : callable or None
        ``generate(folder, seed, progress)`` writes a synthetic stand-in into ``folder``.
    shipped : str or None
        For data a library ships: its name, and how a report describes it (then there
        is no folder to find or generate).
    native_size : (width, height) or None
        The only size the data comes in: it is read at it whatever size a run asks.
    crops_faces : bool
        Whether the ``crop_faces`` run option applies.
    """

    read: Callable[[str, tuple[int, int], bool, bool], Dataset]
    targets: Callable[[str], tuple[str, ...] | None]
    generate: Callable[[Path, int, bool], object] | None = None
    shipped: tuple[str, str] | None = None
    native_size: tuple[int, int] | None = None
    crops_faces: bool = False


def _read_drawings(folder: str, size: tuple[int, int], color: bool, _: bool) -> Dataset:
    from bench.data.drawings import load_drawings

    return load_drawings(folder, size=size, color=color)


def _drawing_targets(task: str) -> tuple[str, ...]:
    from bench.data.targets import CLASS_TARGETS

    # The age in months is the drawings' one numeric label.
    return {"classification": CLASS_TARGETS, "regression": ("age_months",)}.get(task, ())


def _generate_drawings(folder: Path, seed: int, progress: bool) -> object:
    from bench.data.synthetic import generate_drawings

    return generate_drawings(folder, seed=seed, progress=progress)


def _read_faces(folder: str, size: tuple[int, int], color: bool, crop_faces: bool) -> Dataset:
    from bench.data.faces import load_faces

    # The Haar face crop in front of the net, as the face paper's discussion proposes.
    return load_faces(folder, size=size, color=color, crop_faces=crop_faces)


def _generate_faces(folder: Path, seed: int, progress: bool) -> object:
    from bench.data.synthetic import generate_faces

    return generate_faces(folder, seed=seed, n_images=DEFAULT_FACES, progress=progress)


def _read_digits(folder: str, size: tuple[int, int], color: bool, _: bool) -> Dataset:
    from bench.data.digits import load_digits

    return load_digits()


SOURCES: dict[str, Source] = {
    "drawings": Source(read=_read_drawings, targets=_drawing_targets, generate=_generate_drawings),
    "faces": Source(
        read=_read_faces,
        # A face target learns every attribute at once, whatever its name.
        targets=lambda task: None if task == "multilabel" else (),
        generate=_generate_faces,
        crops_faces=True,
    ),
    "digits": Source(
        read=_read_digits,
        targets=lambda task: ("digit",) if task == "classification" else (),
        shipped=(DIGITS_SOURCE, "scikit-learn's 1,797 handwritten digits (real images)"),
        native_size=DIGITS_SIZE,
    ),
}


def _source(dataset: str) -> Source:
    if dataset not in SOURCES:
        raise BenchError(f"dataset must be {_choices()}, not {dataset!r}")
    return SOURCES[dataset]


def _choices() -> str:
    *first, last = SOURCES
    return f"{', '.join(first)} or {last}"


# A worker runs many jobs on one dataset: each reads and decodes it once.
@functools.lru_cache(maxsize=4)
def load(
    dataset: str, folder: str, size: tuple[int, int], color: bool, crop_faces: bool = False
) -> Dataset:
    """Read ``dataset`` from ``folder`` as a run asks; the last four datasets read are kept.

    Parameters
    ----------
    dataset : str
        A name in :data:`SOURCES`.
    folder : str
        Its folder (ignored for data a library ships).
    size : (width, height)
        The size every image is reduced to (ignored where the data has a native size).
    color : bool
        Keep three RGB channels.
    crop_faces : bool
        Crop each face image to its face (faces only).

    Raises
    ------
    BenchError
        For an unknown dataset, ``crop_faces`` on a dataset without faces, or whatever
        the dataset's loader raises.
    """
    source = _source(dataset)
    if crop_faces and not source.crops_faces:
        raise BenchError(f"crop_faces (a run option) applies to faces only, not to {dataset}")
    return source.read(folder, size, color, crop_faces)


def native_size(dataset: str) -> tuple[int, int] | None:
    """The only (width, height) ``dataset`` comes in, or None when any size can be asked."""
    return _source(dataset).native_size


def check_target(dataset: str, name: str, task: str) -> None:
    """Check that a run of ``dataset`` can learn target ``name`` as a ``task``; a class
    target's factors may come in any order (``age_category+who_is_drawn``).

    Raises
    ------
    BenchError
        Naming the target and the ones allowed.
    """
    allowed = _source(dataset).targets(task)
    if allowed is None:
        return
    if not allowed:
        raise BenchError(f"{dataset} has no {task} target")
    parts = set(name.split("+"))
    if not any(parts == set(known.split("+")) for known in allowed):
        raise BenchError(f"unknown target {name!r} (allowed: {', '.join(allowed)})")


def default_folder(out: str | Path, seed: int = 0, dataset: str = "drawings") -> Path:
    """The data a command uses when no folder is given: ``OUT/data/<dataset>``, generated on
    first use from ``seed``, or the name of data a library ships.

    Raises
    ------
    DataError
        When ``OUT/data/<dataset>`` holds files but not the generators' marker
        (:data:`bench.data.provenance.MARKER`): not a whole generated folder.
    """
    source = _source(dataset)
    if source.shipped is not None:  # nothing to find or generate
        return Path(source.shipped[0])
    folder = Path(out) / "data" / dataset
    if folder.is_dir() and any(folder.iterdir()):
        # Generation writes the marker last and moves a whole folder into place, so a
        # folder without it was not written by a finished generation.
        if not is_synthetic(folder):
            raise DataError(
                f"{folder}: holds files but no {MARKER}, so it is not a whole generated "
                f"{dataset} folder (or one made before the marker was written); delete it "
                "to generate it again, or give it with --data to use it as it is"
            )
        return folder
    if source.generate is None:
        raise BenchError(f"no {dataset} folder given, and {dataset} has no synthetic stand-in")
    console.say(f"no data folder given: generating synthetic {dataset} in {folder}")
    # Written beside its place and moved in whole: a generation stopped part-way (Ctrl-C,
    # kill -9) leaves only this folder, which the next one starts again.
    partial = folder.with_name(f"{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    source.generate(partial, seed, console.progress())
    os.replace(partial, folder)
    return folder


def data_folders(
    datasets: Iterable[str], out: str | Path, seed: int, given: Mapping[str, str | None]
) -> tuple[dict[str, Path], list[str]]:
    """Each dataset's folder (given, or the default) and how a report names it.

    Parameters
    ----------
    datasets : iterable of str
        The datasets the runs need.
    out : str or Path
        The run's output folder, where default data is generated.
    seed : int
        The seed of generated data.
    given : mapping
        Dataset -> the folder the user gave, or None.

    Returns
    -------
    folders : dict
        Dataset -> folder, in the order of :data:`SOURCES`.
    labels : list of str
        One line per dataset for the report: the folder given, the data a library
        ships, or the synthetic folder with its seed and the page that describes it.
    """
    wanted = set(datasets)
    folders: dict[str, Path] = {}
    labels: list[str] = []
    for dataset, source in SOURCES.items():
        if dataset not in wanted:
            continue
        folder = given.get(dataset)
        folders[dataset] = Path(folder) if folder else default_folder(out, seed, dataset)
        if folder:
            labels.append(f"{dataset}: {folder}")
        elif source.shipped is not None:
            labels.append(f"{dataset}: {source.shipped[1]}")
        else:
            labels.append(
                f"{dataset}: {folders[dataset]} (synthetic, seed {seed}; "
                f"docs/synthetic-{dataset}.md)"
            )
    return folders, labels
