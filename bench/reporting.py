"""From a results folder to the report: experiments, run context, data figures.

``reports`` renders whatever it is given and knows nothing of experiments or data; this
module gathers what it needs: the records of one profile, each experiment's title, notes
and the paper's numbers, the machine and versions the records were measured with, and
figures of the data (drawings per age category and the two papers' augmentations).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.claims import engine_comparisons, evidence_table, protocol_effects, speed_table
from bench.data import load_faces
from bench.data.digits import DIGITS_SOURCE
from bench.data.provenance import is_synthetic
from bench.engines import registered
from bench.errors import BenchError
from bench.experiment import list_experiments, load_experiment
from bench.results import ResultsStore, describe_problems
from reports.cache import source_digest
from reports.figures import augmentation_examples, prediction_examples, svg_text
from reports.leak import is_sweep
from reports.parallel import fork_map
from reports.report import write_report
from reports.tables import with_variant

__all__ = ["build_report"]

_VARIANTS = 5  # augmented examples per drawing in the augmentation figure
#: The distributions whose code decodes, augments or draws the cached figures.
_DRAWING_LIBRARIES = (
    "matplotlib",
    "numpy",
    "opencv-python",
    "opencv-python-headless",
    "keras",
    "tensorflow",
    "tensorflow-cpu",
    "pillow",
)
#: Figures drawn from the data and tables of it: (stem, caption, SVG text), (stem, caption,
#: table).
Drawn = tuple[list[tuple[str, str, str]], list[tuple[str, str, pd.DataFrame]]]


def build_report(
    out: str | Path,
    report: str | Path | None = None,
    profile: str | None = None,
    data: str | Path | None = None,
    seed: int = 0,
    data_label: str | None = None,
) -> dict[str, Path]:
    """Write the HTML and PDF report of the results under ``out/results``.

    Parameters
    ----------
    out : the folder a run wrote to (its ``results/`` holds the records).
    report : the report folder (default ``out/report``).
    profile : the profile to report; None picks the one of the latest record.
    data : the drawings folder, for the data figures; None takes the one the records
        name, found as :func:`_resolve` finds it (left out when it is not found).
    seed : the seed of the augmentation examples.
    data_label : how the report names the data (default: the folder(s) the records name).

    Returns
    -------
    Every file written, keyed by its path relative to the report folder.
    """
    out = Path(out).absolute()
    store = ResultsStore(out / "results")
    records = store.frame()
    records = records[records["experiment"] != "timing"] if "experiment" in records else records
    if records.empty:
        raise BenchError(f"{out / 'results'}: no results to report; run an experiment first")
    profiles = records["profile"].dropna().unique().tolist()
    if profile is None:
        profile = str(records.sort_values("finished")["profile"].iloc[-1])
    elif profile not in profiles:
        raise BenchError(
            f"{out / 'results'} holds no {profile!r} results (profiles: {', '.join(profiles)})"
        )
    records = records[records["profile"] == profile].reset_index(drop=True)
    # What each engine is for the report (tested, a floor, a ceiling): reports/ names none.
    records["role"] = records["engine"].map({e.name: e.role for e in registered()})
    names = [n for n in list_experiments() if n in set(records["experiment"])]
    names += sorted(set(records["experiment"]) - set(names))
    experiments = [_describe(name) for name in names]
    rows = {e["name"]: records[records["experiment"] == e["name"]] for e in experiments}
    stored = records["data"].dropna().unique().tolist() if "data" in records else []
    folders = {str(folder): _resolve(str(folder), out) for folder in stored}
    drawings = Path(data) if data is not None else _drawings_folder(records, folders)
    # Read once: the banner names each folder by them, and the data figures are cached by them.
    checksums = {p: _checksum(p) for p in {*folders.values(), drawings} if p is not None}
    destination = Path(report) if report else out / "report"
    cache = destination / ".cache"
    # Each experiment's evidence stands alone, as do decoding the test images of its
    # predictions figure and the data section: computed side by side where cores allow,
    # and the data section's Keras augmentation loads TensorFlow in a worker only (a
    # process that has loaded it no longer forks: the figures would be drawn one by one).
    # The data section goes first: it is the longest task.
    tasks: list[Callable[[], Any]] = (
        [functools.partial(_data_section, drawings, checksums[drawings][1], seed, cache)]
        if drawings is not None
        else []
    )
    tasks += [functools.partial(_evidence, rows[e["name"]], e) for e in experiments]
    tasks += [
        functools.partial(_prediction_figures, records, e["name"], folders, checksums, cache)
        for e in experiments
    ]
    found = fork_map(tasks)
    figures, tables = found.pop(0) if drawings is not None else ([], [])
    for index, experiment in enumerate(experiments):
        experiment.update(found[index])
        experiment["figures"] = found[len(experiments) + index]
        experiment["data_kind"] = _data_kind(rows[experiment["name"]], folders)
    context = _context(records, profile, data_label, folders, checksums)
    context["missing"] = [n for n in list_experiments() if n not in names]
    if store.problems:
        context["problems"] = describe_problems(store.problems)
    return write_report(records, experiments, destination, context, figures, tables)


def _evidence(rows: pd.DataFrame, experiment: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The numbers a verdict rests on: intervals, protocol effects, run comparisons, speed."""
    runs = experiment.get("runs") or list(dict.fromkeys(rows["variant"].fillna(rows["network"])))
    # A sweep's points are many and drawn as curves: the fold intervals suffice for them,
    # and one point against another run's first point compares nothing.
    sweep = is_sweep(with_variant(rows))
    found = {
        "evidence": evidence_table(rows, experiment.get("paper_runs") or {}, bootstrap=not sweep),
        "effects": protocol_effects(rows),
    }
    if not sweep:
        found["comparisons"] = engine_comparisons(rows, runs)
    if experiment.get("speed_claims"):
        found["speed"] = speed_table(rows, experiment["speed_claims"])
    return found


def _resolve(folder: str, out: Path) -> Path | None:
    """The data folder a record names, found from wherever the report is written.

    A record names its folder as the run was given it, relative to the directory the run
    started in: the folder as named, else relative to ``out``'s parent (a run started
    beside its output folder), else ``out`` itself in place of the name's first part
    (``results/data/drawings`` of a run with ``--out results`` is ``out/data/drawings``).
    None when none of them is a folder (or ``folder`` names a loader, as the digits do).
    """
    if folder == DIGITS_SOURCE:
        return None
    path = Path(folder)
    candidates = [path]
    if not path.is_absolute():
        candidates.append(out.parent / path)
        if len(path.parts) > 1:
            candidates.append(out.joinpath(*path.parts[1:]))
    return next((c for c in candidates if c.is_dir()), None)


def _data_kind(rows: pd.DataFrame, folders: Mapping[str, Path | None]) -> str:
    """What a verdict on ``rows`` can test: ``synthetic`` when every folder they were
    trained on is a generated stand-in, ``unknown`` when a folder cannot be found (its
    kind cannot be told), else ``real`` (scikit-learn's digits are real images)."""
    named = [str(f) for f in rows["data"].dropna().unique()] if "data" in rows else []
    kinds = set()
    for name in named:
        path = folders.get(name)
        if name == DIGITS_SOURCE:
            kinds.add("real")
        elif path is None:
            return "unknown"
        else:
            kinds.add("synthetic" if is_synthetic(path) else "real")
    if not kinds:
        return "unknown"
    return "synthetic" if kinds == {"synthetic"} else "real"


def _drawings_folder(records: pd.DataFrame, folders: Mapping[str, Path | None]) -> Path | None:
    """The drawings folder of the latest record trained on drawings, where it is found."""
    if "dataset" not in records or "data" not in records:
        return None
    drawings = records[(records["dataset"] == "drawings") & records["data"].notna()]
    if drawings.empty:
        return None
    return folders.get(str(drawings.sort_values("finished")["data"].iloc[-1]))


def _describe(name: str) -> dict[str, Any]:
    try:
        experiment = load_experiment(name)
    except BenchError:  # records of an experiment file that is not shipped
        return {"name": name, "title": name, "notes": "", "paper": {}}
    return {
        "name": name,
        "runs": [run.name for run in experiment.runs],
        "title": experiment.title,
        "notes": experiment.notes,
        "paper": {t.name: t.paper for t in experiment.targets},
        "paper_runs": experiment.paper(),
        "report": experiment.report,
        "speed_claims": experiment.speed,
        "paper_attributes": next(
            (t.per_attribute for t in experiment.targets if t.per_attribute), {}
        ),
    }


def _context(
    records: pd.DataFrame,
    profile: str,
    data_label: str | None,
    folders: Mapping[str, Path | None],
    checksums: Mapping[Path, tuple[int, str]],
) -> dict[str, Any]:
    latest = records.sort_values("finished").iloc[-1]
    columns = [str(c) for c in records.columns]
    machine = {k[8:]: latest[k] for k in columns if k.startswith("machine.")}
    versions = {k[9:]: latest[k] for k in columns if k.startswith("versions.")}
    named = (_describe_folder(f, folders[f], checksums) for f in sorted(folders))
    source = data_label or "; ".join(named) or "-"
    diverged = int((records["status"] == "diverged").sum()) if "status" in records else 0
    summary = (
        f"{len(records)} jobs of {records['experiment'].nunique()} experiments, "
        f"profile {profile}"
        + (f" ({diverged} diverged and are counted as such)" if diverged else "")
        + ". Every table puts the paper's number beside ours under the paper's protocol "
        "(augment, then split: near-copies of test drawings are in training), under "
        "image-split where it ran (split by drawing: other drawings of the same children "
        "are in training) and under the leak-free one (split by child, augment the training "
        "side only); the leak columns "
        "give the share of test samples whose original drawing is in training; the trivial "
        "column is what predicting the training labels' most frequent class (per attribute "
        "for faces) or their mean scores, the floor a network must clear."
    )
    if profile == "standard":
        summary += (
            " The standard profile trains both CNNs until their validation score has not "
            "improved for the paper's 7 passes, with an epoch cap above the papers' 10 (the "
            "training-time tables give it) so that early stopping, not the cap, ends "
            "training, under the three protocols, on the age "
            "category and the age only, with fewer folds than the papers and (the Keras "
            "CNN) a smaller enlargement: it shows whether a trained CNN exploits each leak, "
            "not the papers' full tables."
        )
    elif profile != "paper":
        summary += (
            f" The {profile} profile trains far less than the papers did: its numbers check "
            "that everything runs and show the direction of each effect, not its size."
        )
    return {
        "machine": machine,
        "versions": versions,
        "seeds": sorted(int(s) for s in records["seed"].dropna().unique()),
        "profile": profile,
        "data": source,
        "summary": summary,
    }


def _describe_folder(
    folder: str, path: Path | None, checksums: Mapping[Path, tuple[int, str]]
) -> str:
    """A data folder as the report's banner names it (as the records do): what it is, its
    file count and a checksum of its files' names and contents, so a reader can tell two
    folders apart; ``path`` is where :func:`_resolve` found it, ``checksums`` the file
    count and checksum of each folder found (:func:`_checksum`)."""
    if folder == DIGITS_SOURCE:  # a loader, not a folder
        return folder
    if path is None:  # moved or deleted since
        return f"{folder} (not found)"
    files, digest = checksums[path]
    kind = "synthetic stand-in" if is_synthetic(path) else "real data"
    return f"{folder} ({kind}, {files:,} files, sha256 {digest[:12]})"


def _checksum(folder: Path) -> tuple[int, str]:
    """The number of files under ``folder`` and the sha256 of their names and contents."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(folder)).encode("utf-8"))
        digest.update(file.read_bytes())
    return len(files), digest.hexdigest()


def _cached(cache: Path, what: str, inputs: Sequence[object], draw: Callable[[], Drawn]) -> Drawn:
    """What ``draw`` returns, read back from ``cache`` when it was drawn before from the
    same ``inputs`` (the data folder's checksum, the options) with the same code.

    Decoding the images and augmenting them (TensorFlow, for the Keras protocol's tool) is
    most of a re-render's time, for figures that change only with the data: kept in the
    report folder, they are drawn again only when an input, the suite's code or a library
    that draws them changes. An entry that does not read back is drawn anew.
    """
    code = source_digest(("bench", "reports"), _DRAWING_LIBRARIES)
    key = hashlib.sha256(json.dumps([what, *inputs, code], default=str).encode("utf-8"))
    path = cache / f"{what}-{key.hexdigest()[:24]}.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        return (
            [(stem, caption, svg) for stem, caption, svg in kept["figures"]],
            [
                (stem, caption, pd.read_json(io.StringIO(table), orient="table"))
                for stem, caption, table in kept["tables"]
            ],
        )
    except (OSError, ValueError, KeyError, TypeError):
        pass
    figures, tables = draw()
    cache.mkdir(parents=True, exist_ok=True)
    for earlier in cache.glob(f"{what}-*.json"):  # the same figures from other inputs
        earlier.unlink()
    kept = {
        "figures": figures,
        "tables": [
            (stem, caption, frame.to_json(orient="table", index=False))
            for stem, caption, frame in tables
        ],
    }
    path.write_text(json.dumps(kept), encoding="utf-8")
    return figures, tables


def _prediction_figures(
    records: pd.DataFrame,
    name: str,
    folders: Mapping[str, Path | None],
    checksums: Mapping[Path, tuple[int, str]],
    cache: Path,
) -> list[tuple[str, str, str]]:
    """Test images with predicted and true attributes, as the face paper's Fig. 2."""
    if "predictions.names" not in records:
        return []
    rows = records[(records["experiment"] == name) & records["predictions.names"].notna()]
    if rows.empty:
        return []
    first = rows.iloc[0]
    folder = folders.get(str(first["data"]))
    if folder is None:  # the data folder has moved since the run
        return []
    predictions = ("rows", "true", "predicted", "names")
    inputs = [
        checksums[folder][1],
        list(first["settings.size"]),
        bool(first.get("settings.color", False)),
        first["variant"],
        *(np.asarray(first[f"predictions.{part}"]).tolist() for part in predictions),
    ]
    draw = functools.partial(_draw_predictions, folder, first, name)
    return _cached(cache, f"predictions-{name}", inputs, draw)[0]


def _draw_predictions(folder: Path, first: pd.Series, name: str) -> Drawn:
    size = tuple(first["settings.size"])
    try:
        dataset = load_faces(folder, size=size, color=bool(first.get("settings.color", False)))
    except BenchError:  # its files have changed since the run: leave the figure out
        return [], []
    picked = np.asarray(first["predictions.rows"])
    figure = prediction_examples(
        dataset.images[picked],
        np.asarray(first["predictions.true"]),
        np.asarray(first["predictions.predicted"]),
        list(first["predictions.names"]),
    )
    stem = f"{name}_predictions"
    caption = f"Test images of {first['variant']}: predicted and true attributes (Fig. 2)"
    return [(stem, caption, svg_text(figure, stem))], []


def _data_section(folder: Path, checksum: str, seed: int, cache: Path) -> Drawn:
    """The data section's figures (the two papers' augmentations of three drawings) and
    table (the drawings' class count per target, beside the paper's where it gives one)."""
    inputs = [str(folder), checksum, seed, _VARIANTS]
    return _cached(cache, "data", inputs, functools.partial(_draw_data, folder, seed))


def _draw_data(folder: Path, seed: int) -> Drawn:
    from bench.augment import paper_augmentations  # OpenCV, and TensorFlow for Keras's tool
    from bench.data import class_counts, load_drawings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bad files are the inspect command's business
        dataset = load_drawings(folder, on_error="skip")
    labels = dataset.labels
    caption = (
        f"Classes per target of the {len(dataset)} drawings in {folder}, beside "
        "the paper's count where it gives one (section 4.3: 186 for all four factors)"
    )
    tables = [("drawings_class_counts", caption, class_counts(labels))]
    # One drawing of the youngest, a middle and the oldest age category.
    order = labels.sort_values(["age_category", "file"]).index.to_numpy()
    rows = order[np.linspace(0, len(order) - 1, 3).round().astype(int)]
    originals = dataset.images[rows]
    figures = []
    for name, augmentation in paper_augmentations().items():
        rng = np.random.default_rng(seed)
        variants = [
            augmentation(
                np.repeat(image[None], _VARIANTS, axis=0), rng.integers(0, 2**31, _VARIANTS)
            )
            for image in originals
        ]
        figure = augmentation_examples(
            originals, variants, row_labels=list(labels["file"].iloc[rows])
        )
        stem = f"augmentation_{name}"
        caption = (
            f"Augmented examples of the {name} paper's protocol (as IgNet's Fig. 3): "
            "each drawing, then its variants"
        )
        figures.append((stem, caption, svg_text(figure, stem)))
    return figures, tables
