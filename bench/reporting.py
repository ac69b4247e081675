"""From a results folder to the report: experiments, run context, data figures.

``reports`` renders whatever it is given and knows nothing of experiments or data; this
module gathers what it needs: the records of one profile, each experiment's title, notes
and the paper's numbers, the machine and versions the records were measured with, and
figures of the data (drawings per age category and the two papers' augmentations).
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bench.augment import paper_augmentations
from bench.claims import engine_comparisons, evidence_table, protocol_effects, speed_table
from bench.data import load_faces
from bench.data.digits import DIGITS_SOURCE
from bench.data.provenance import is_synthetic
from bench.engines import registered
from bench.errors import BenchError
from bench.experiment import list_experiments, load_experiment
from bench.results import ResultsStore, describe_problems
from reports.figures import augmentation_examples, prediction_examples
from reports.leak import is_sweep
from reports.parallel import fork_map
from reports.report import write_report
from reports.tables import with_variant

__all__ = ["build_report"]

_VARIANTS = 5  # augmented examples per drawing in the augmentation figure


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
    data : the drawings folder, for the data figures; None leaves them out.
    seed : the seed of the augmentation examples.
    data_label : how the report names the data (default: the folder(s) the records name).

    Returns
    -------
    Every file written, keyed by its path relative to the report folder.
    """
    out = Path(out)
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
    # Each experiment's evidence stands alone, as does decoding the test images of its
    # predictions figure: computed side by side where cores allow.
    tasks: list[Callable[[], Any]] = [
        functools.partial(_evidence, rows[e["name"]], e) for e in experiments
    ]
    tasks += [functools.partial(_prediction_figures, records, e["name"]) for e in experiments]
    found = fork_map(tasks)
    for index, experiment in enumerate(experiments):
        experiment.update(found[index])
        experiment["figures"] = found[len(experiments) + index]
        experiment["data_kind"] = _data_kind(rows[experiment["name"]])
    context = _context(records, profile, data_label)
    context["missing"] = [n for n in list_experiments() if n not in names]
    if store.problems:
        context["problems"] = describe_problems(store.problems)
    figures = _data_figures(Path(data), seed) if data is not None else []
    tables = _data_tables(Path(data)) if data is not None else []
    return write_report(
        records, experiments, Path(report) if report else out / "report", context, figures, tables
    )


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


def _data_kind(rows: pd.DataFrame) -> str:
    """``synthetic`` when every folder the rows were trained on is a generated stand-in
    (scikit-learn's digits are real images), else ``real``: what a verdict can test."""
    folders: list[str] = list(rows["data"].dropna().unique()) if "data" in rows else []
    if folders and all(is_synthetic(folder) for folder in folders):
        return "synthetic"
    return "real"


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


def _context(records: pd.DataFrame, profile: str, data_label: str | None) -> dict[str, Any]:
    latest = records.sort_values("finished").iloc[-1]
    columns = [str(c) for c in records.columns]
    machine = {k[8:]: latest[k] for k in columns if k.startswith("machine.")}
    versions = {k[9:]: latest[k] for k in columns if k.startswith("versions.")}
    folders = sorted(set(records["data"].dropna())) if "data" in records else []
    source = data_label or "; ".join(_describe_folder(folder) for folder in folders) or "-"
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


def _describe_folder(folder: str) -> str:
    """A data folder as the report's banner names it: what it is, its file count and a
    checksum of its files' names and contents, so a reader can tell two folders apart."""
    if folder == DIGITS_SOURCE:  # a loader, not a folder
        return folder
    path = Path(folder)
    if not path.is_dir():  # moved or deleted since, or named relative to another folder
        return f"{folder} (not found)"
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path)).encode("utf-8"))
        digest.update(file.read_bytes())
    kind = "synthetic stand-in" if is_synthetic(path) else "real data"
    return f"{folder} ({kind}, {len(files):,} files, sha256 {digest.hexdigest()[:12]})"


def _prediction_figures(records: pd.DataFrame, name: str) -> list[tuple[str, str, Figure]]:
    """Test images with predicted and true attributes, as the face paper's Fig. 2."""
    if "predictions.names" not in records:
        return []
    rows = records[(records["experiment"] == name) & records["predictions.names"].notna()]
    if rows.empty:
        return []
    first = rows.iloc[0]
    settings = first["settings.size"], bool(first.get("settings.color", False))
    try:
        dataset = load_faces(first["data"], size=tuple(settings[0]), color=settings[1])
    except BenchError:  # the data folder has moved since the run: leave the figure out
        return []
    picked = np.asarray(first["predictions.rows"])
    figure = prediction_examples(
        dataset.images[picked],
        np.asarray(first["predictions.true"]),
        np.asarray(first["predictions.predicted"]),
        list(first["predictions.names"]),
    )
    caption = f"Test images of {first['variant']}: predicted and true attributes (Fig. 2)"
    return [(f"{name}_predictions", caption, figure)]


def _data_tables(folder: Path) -> list[tuple[str, str, pd.DataFrame]]:
    """The drawings' class count per target, beside the paper's where it gives one."""
    from bench.data import class_counts

    counts = class_counts(_drawings(folder).labels)
    caption = (
        f"Classes per target of the {len(_drawings(folder))} drawings in {folder}, beside "
        "the paper's count where it gives one (section 4.3: 186 for all four factors)"
    )
    return [("drawings_class_counts", caption, counts)]


@functools.lru_cache(maxsize=2)
def _drawings(folder: Path) -> Any:
    from bench.data import load_drawings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bad files are the inspect command's business
        return load_drawings(folder, on_error="skip")


def _data_figures(folder: Path, seed: int) -> list[tuple[str, str, Figure]]:
    dataset = _drawings(folder)
    labels = dataset.labels
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
        figures.append(
            (
                f"augmentation_{name}",
                f"Augmented examples of the {name} paper's protocol (as IgNet's Fig. 3): "
                "each drawing, then its variants",
                augmentation_examples(
                    originals, variants, row_labels=list(labels["file"].iloc[rows])
                ),
            )
        )
    return figures
