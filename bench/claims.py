"""From result records to evidence: every claim row with its interval, trivial floor and verdict.

``bench.evidence`` holds the statistics; this module applies them to the records of an
experiment. It groups the records into rows (engine, run, target, protocol), takes one score
per fold (each job counted once, however often a file holds it), and returns plain tables
with numeric columns that ``reports`` renders and any tool can re-read:

- :func:`evidence_table`: per row, the mean over folds with its corrected resampled
  t-interval, a bootstrap over the pooled test predictions as a second view, the trivial
  predictor's score with its interval, and the verdict against the paper's number;
- :func:`protocol_effects`: paper protocol minus leak-free, paired by fold and seed;
- :func:`engine_comparisons`: every run against the experiment's first run, paired by fold;
- :func:`speed_table`: the paper's claims about training time (one run's seconds over
  another's: Keras over IgNet, the Fig. 5 net over the 7-layer one), with the spread over
  folds as the interval.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bench import evidence
from bench.experiment import SpeedClaim
from reports import tables

__all__ = [
    "MAIN_METRIC",
    "engine_comparisons",
    "evidence_table",
    "protocol_effects",
    "speed_table",
]

#: The measure each task is judged by: the one its tables report.
MAIN_METRIC = {task: metric for task, (metric, _percent) in tables.MAIN_METRIC.items()}
_ROW = ["engine", "variant", "target", "task"]
# The columns (or their prefixes) that evidence is computed from.
_USED = (
    "engine",
    "variant",
    "network",
    "target",
    "task",
    "protocol",
    "fold",
    "seed",
    "job_id",
    "status",
    "n_train",
    "n_test",
    "train_seconds",
    "samples_per_second",
    "metrics.",
    "predictions.true",
    "predictions.predicted",
    "curve.val_loss",
    "settings.epochs",
    "leakage.same_image",
)
_BOOTSTRAP_DRAWS = 1000


def evidence_table(
    records: pd.DataFrame,
    paper_runs: Mapping[str, Mapping[str, Mapping[str, float]]],
    split: str = "test",
    seed: int = 0,
    bootstrap: bool = True,
) -> pd.DataFrame:
    """One row per engine, run, target and protocol, with the evidence a verdict rests on.

    Parameters
    ----------
    records : flat result records of one experiment (``ResultsStore.frame``).
    paper_runs : run name -> target -> {metric: the paper's number} (accuracy as a
        fraction, MAPE in percent); an empty mapping means the paper has no such claim.
    split : ``test`` or ``validation``.
    seed : seed of the bootstrap.
    bootstrap : whether to compute the bootstrap over pooled predictions (most of the time
        this takes); without it ``bootstrap_low`` and ``bootstrap_high`` are NaN.

    Returns
    -------
    DataFrame with columns engine, run, target, task, protocol, metric, paper, mean,
    ci_low, ci_high, ci_method, folds, diverged, test_samples, bootstrap_low,
    bootstrap_high, trivial, trivial_low, trivial_high, capped_folds, leak_same_image,
    verdict, reason.
    Scores are in the metric's own unit (accuracy and F as fractions, MAPE in percent);
    ``verdict`` is empty where the paper gives no number.
    """
    records = _distinct_jobs(records)
    rows = []
    for (engine, variant, target, task), group in records.groupby(_ROW, sort=False):
        metric = MAIN_METRIC[str(task)]
        paper = paper_runs.get(str(variant), {}).get(str(target), {}).get(metric)
        for protocol, runs in group.groupby("protocol", sort=False):
            rows.append(
                {
                    "engine": engine,
                    "run": variant,
                    "target": target,
                    "task": task,
                    "protocol": protocol,
                    "metric": metric,
                    "paper": paper,
                    **_evidence(runs, metric, split, paper, seed if bootstrap else None),
                }
            )
    return pd.DataFrame(rows, columns=_COLUMNS)


_COLUMNS = [
    "engine",
    "run",
    "target",
    "task",
    "protocol",
    "metric",
    "paper",
    "mean",
    "ci_low",
    "ci_high",
    "ci_method",
    "folds",
    "diverged",
    "test_samples",
    "bootstrap_low",
    "bootstrap_high",
    "trivial",
    "trivial_low",
    "trivial_high",
    "capped_folds",
    "leak_same_image",
    "verdict",
    "reason",
]


def protocol_effects(records: pd.DataFrame, split: str = "test") -> pd.DataFrame:
    """Paper protocol minus leak-free, per engine, run and target, paired by fold and seed.

    The difference is what augmenting before splitting adds to the score; it means
    something on any data, synthetic or real. Columns: engine, run, target, metric,
    protocol (the paper protocol), effect, ci_low, ci_high, folds, p_paper_higher,
    ci_method.
    """
    records = _distinct_jobs(records)
    rows = []
    for (engine, variant, target, task), group in records.groupby(_ROW, sort=False):
        metric = MAIN_METRIC[str(task)]
        protocols = [p for p in group["protocol"].unique() if p != "leak-free"]
        if "leak-free" not in set(group["protocol"]):
            continue
        for protocol in protocols:
            paired = _paired(group, "protocol", protocol, "leak-free", metric, split)
            if paired is None:
                continue
            comparison, folds = paired
            rows.append(
                {
                    "engine": engine,
                    "run": variant,
                    "target": target,
                    "metric": metric,
                    "protocol": protocol,
                    **_difference(comparison, folds, "p_paper_higher"),
                }
            )
    return pd.DataFrame(rows)


def engine_comparisons(
    records: pd.DataFrame, runs: Sequence[str], split: str = "test"
) -> pd.DataFrame:
    """Every run against the experiment's first run (``runs[0]``), paired by fold and seed.

    Columns: run, reference, target, protocol, metric, effect (run minus reference),
    ci_low, ci_high, folds, p_run_higher, ci_method. For MAPE a negative effect is the
    better one.
    """
    records = _distinct_jobs(records)
    present = [run for run in runs if run in set(records["variant"])]
    if len(present) < 2:
        return pd.DataFrame()
    reference, rows = present[0], []
    for (target, task, protocol), group in records.groupby(
        ["target", "task", "protocol"], sort=False
    ):
        metric = MAIN_METRIC[str(task)]
        for run in present[1:]:
            paired = _paired(group, "variant", run, reference, metric, split)
            if paired is None:
                continue
            comparison, folds = paired
            rows.append(
                {
                    "run": run,
                    "reference": reference,
                    "target": target,
                    "protocol": protocol,
                    "metric": metric,
                    **_difference(comparison, folds, "p_run_higher"),
                }
            )
    return pd.DataFrame(rows)


def speed_table(records: pd.DataFrame, claims: Sequence[SpeedClaim]) -> pd.DataFrame:
    """The paper's claims about training time, each judged on our timings.

    Parameters
    ----------
    records : flat result records of one experiment.
    claims : the experiment's ``[[speed]]`` entries (:attr:`Experiment.speed
        <bench.experiment.Experiment>`).

    Returns
    -------
    DataFrame with one row per claim, target and protocol: claim, slow, fast, target,
    task, protocol, slow_seconds, fast_seconds (medians over folds), ratio, ci_low,
    ci_high, folds, throughput_ratio, paper, verdict, reason, ci_method. The ratio is
    paired by fold and seed (both runs train on the very same samples of a fold); its
    interval is a bootstrap over folds of the median ratio, and
    :func:`bench.evidence.verdict` judges it.
    """
    records = _distinct_jobs(records)
    if "status" in records:
        records = records[records["status"].fillna("ok") == "ok"]
    rows = []
    for claim in claims:
        chosen = records[records["variant"].isin([claim.slow, claim.fast])]
        if claim.targets is not None:
            chosen = chosen[chosen["target"].isin(claim.targets)]
        for (target, task, protocol), group in chosen.groupby(
            ["target", "task", "protocol"], sort=False
        ):
            keys = _pairing(group)
            slow = group[group["variant"] == claim.slow].set_index(keys)
            fast = group[group["variant"] == claim.fast].set_index(keys)
            both = slow.index.intersection(fast.index)
            if len(both) == 0:
                continue
            slow_s = _column(slow.loc[both], "train_seconds")
            fast_s = _column(fast.loc[both], "train_seconds")
            ratio = evidence.speed_ratio(slow_s / fast_s)
            judged = evidence.verdict("time_ratio", claim.paper, ratio, tolerance=claim.tolerance)
            throughput = _column(fast.loc[both], "samples_per_second") / _column(
                slow.loc[both], "samples_per_second"
            )
            rows.append(
                {
                    "claim": claim.claim,
                    "slow": claim.slow,
                    "fast": claim.fast,
                    "target": target,
                    "task": task,
                    "protocol": protocol,
                    "slow_seconds": float(np.median(slow_s)),
                    "fast_seconds": float(np.median(fast_s)),
                    "ratio": ratio.estimate,
                    "ci_low": ratio.low,
                    "ci_high": ratio.high,
                    "folds": len(both),
                    "throughput_ratio": float(np.median(throughput)),
                    "paper": claim.paper,
                    "verdict": judged.word,
                    "reason": judged.reason,
                    "ci_method": ratio.method,
                }
            )
    return pd.DataFrame(rows)


def _distinct_jobs(records: pd.DataFrame) -> pd.DataFrame:
    """One record per job: a job written twice must never count as two folds. Multi-label
    averages of records written before they followed the face paper move to today's keys.
    Only the columns evidence is made of are kept: curves and predictions of other kinds
    make every grouping and indexing of a wide frame slow."""
    used = [c for c in records.columns if str(c).startswith(_USED)]
    records = tables.with_current_averages(tables.with_variant(records[used]))
    if "job_id" in records:
        records = records.drop_duplicates("job_id", keep="last")
    return records


def _evidence(
    runs: pd.DataFrame, metric: str, split: str, paper: float | None, seed: int | None
) -> dict[str, Any]:
    """The evidence of one row; ``seed`` None leaves the bootstrap out."""
    scores = _column(runs, f"metrics.{split}.{metric}")
    ok = np.isfinite(scores)
    diverged = int((runs["status"] == "diverged").sum()) if "status" in runs else 0
    n_train = float(np.nanmean(_column(runs, "n_train")))
    n_test = _column(runs, "n_test")
    ours = _bounded(
        evidence.corrected_t_interval(scores[ok], n_train, float(np.nanmean(n_test))), metric
    )
    trivial_scores = _column(runs, f"metrics.trivial.{metric}")
    trivial = None
    if np.isfinite(trivial_scores).any():
        finite = trivial_scores[np.isfinite(trivial_scores)]
        trivial = _bounded(
            evidence.corrected_t_interval(finite, n_train, float(np.nanmean(n_test))), metric
        )
    boot = _bootstrap(runs[ok], metric, seed) if seed is not None else (np.nan, np.nan)
    capped = _capped(runs[ok], metric)
    out: dict[str, Any] = {
        "mean": ours.estimate if ok.any() else np.nan,
        "ci_low": ours.low,
        "ci_high": ours.high,
        "ci_method": ours.method,
        "folds": int(ok.sum()),
        "diverged": diverged,
        "test_samples": int(np.nansum(n_test[ok])),
        "bootstrap_low": boot[0],
        "bootstrap_high": boot[1],
        "trivial": trivial.estimate if trivial else np.nan,
        "trivial_low": trivial.low if trivial else np.nan,
        "trivial_high": trivial.high if trivial else np.nan,
        "capped_folds": capped,
        # The share of test samples whose original image is in training (the copy leak).
        "leak_same_image": _mean(_column(runs, "leakage.same_image")),
        "verdict": "",
        "reason": "",
    }
    if paper is not None:
        if not ok.any():
            out.update(verdict="inconclusive", reason=f"no fold finished ({diverged} diverged)")
        else:
            judged = evidence.verdict(
                metric, paper, ours, trivial=trivial, folds=int(ok.sum()), capped_folds=capped
            )
            note = f"; {diverged} more diverged" if diverged else ""
            out.update(verdict=judged.word, reason=judged.reason + note)
    return out


def _bounded(interval: evidence.Interval, metric: str) -> evidence.Interval:
    """``interval`` cut to the values the metric can take: a t-interval around an accuracy
    near 0 or 1 can reach past them."""
    high = 1.0 if metric in ("accuracy", "f1") else np.inf
    return dataclasses.replace(
        interval,
        low=float(np.clip(interval.low, 0.0, high)),
        high=float(np.clip(interval.high, 0.0, high)),
    )


def _bootstrap(runs: pd.DataFrame, metric: str, seed: int) -> tuple[float, float]:
    """Percentile bootstrap of ``metric`` over the pooled test predictions, where kept."""
    if metric not in ("accuracy", "mape") or "predictions.true" not in runs:
        return np.nan, np.nan
    kept = runs["predictions.true"].notna()
    if not kept.any():
        return np.nan, np.nan
    y_true = np.concatenate(
        [np.asarray(v, dtype=float) for v in runs.loc[kept, "predictions.true"]]
    )
    y_pred = np.concatenate(
        [np.asarray(v, dtype=float) for v in runs.loc[kept, "predictions.predicted"]]
    )
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        return np.nan, np.nan
    interval = evidence.bootstrap_interval(
        y_true, y_pred, _SCORERS[metric], n_boot=_BOOTSTRAP_DRAWS, seed=seed
    )
    return interval.low, interval.high


# The bootstrap calls these a thousand times per row: plain numpy sums (a mean's dtype
# checks cost more than the sum), checked against scikit-learn's scores in the tests.
def _accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return np.count_nonzero(y_true == y_pred) / len(y_true)


def _mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return 100.0 * float(np.abs((y_pred - y_true) / y_true).sum()) / len(y_true)


_SCORERS = {"accuracy": _accuracy, "mape": _mape}


def _capped(runs: pd.DataFrame, metric: str) -> int:
    """Folds whose training the epoch cap cut while the validation score still improved."""
    if "curve.val_loss" not in runs or "settings.epochs" not in runs:
        return 0
    count = 0
    for curve, epochs in zip(runs["curve.val_loss"], runs["settings.epochs"], strict=True):
        if isinstance(curve, list) and len(curve) > 1:
            count += evidence.epoch_cap_hit({"val_loss": curve}, int(epochs), "val_loss", False)
    return count


def _paired(
    group: pd.DataFrame, column: str, a: str, b: str, metric: str, split: str
) -> tuple[evidence.Comparison, int] | None:
    """Scores of ``a`` and ``b`` (values of ``column``) paired by fold and seed."""
    score = f"metrics.{split}.{metric}"
    if score not in group:
        return None
    keys = _pairing(group)
    # An inner merge on fold and seed pairs the jobs (each job counted once already).
    columns = [*keys, score, "n_train", "n_test"]
    both = group.loc[group[column] == a, columns].merge(
        group.loc[group[column] == b, [*keys, score]], on=keys, suffixes=("", "_b")
    )
    if both.empty:
        return None
    a_scores = pd.to_numeric(both[score], errors="coerce").to_numpy(dtype=float)
    b_scores = pd.to_numeric(both[f"{score}_b"], errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(a_scores) & np.isfinite(b_scores)
    if not finite.any():
        return None
    n_train = float(pd.to_numeric(both["n_train"]).mean())
    n_test = float(pd.to_numeric(both["n_test"]).mean())
    comparison = evidence.paired_difference(a_scores[finite], b_scores[finite], n_train, n_test)
    return comparison, int(finite.sum())


def _difference(comparison: evidence.Comparison, folds: int, p_name: str) -> dict[str, Any]:
    return {
        "effect": comparison.difference.estimate,
        "ci_low": comparison.difference.low,
        "ci_high": comparison.difference.high,
        "folds": folds,
        p_name: comparison.p_a_better,
        "ci_method": comparison.difference.method,
    }


def _pairing(group: pd.DataFrame) -> list[str]:
    """The columns that pair two runs' jobs: the same fold of the same seed."""
    return [key for key in ("fold", "seed") if key in group]


def _mean(values: np.ndarray) -> float:
    """The mean of the finite values; NaN when there are none."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else np.nan


def _column(runs: pd.DataFrame, name: str) -> np.ndarray:
    if name not in runs:
        return np.full(len(runs), np.nan)
    return pd.to_numeric(runs[name], errors="coerce").to_numpy(dtype=float)
