"""The two papers' own numbers, checked against each other.

Numbers in, findings out: each check takes numbers as a paper prints them, works out what
they imply, and returns a :class:`Finding` that quotes the claim, shows the arithmetic and
says whether the two agree. :data:`FACES_PAPER` and :data:`IGNET_PAPER` transcribe what
the checks read from the face-attribute paper (Gómez and Valderrama) and the IgNet paper
(Mackarov); :func:`check_papers` runs every check on them.

A number printed to three decimals stands for anything within half a unit of its last
digit; a check fails only when no values within those bounds make the paper agree with
itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from reports.tables import f_measure

__all__ = [
    "FACES_PAPER",
    "IGNET_PAPER",
    "Finding",
    "check_ablations",
    "check_claimed_ratio",
    "check_coverage",
    "check_enlargement",
    "check_fold_ratio",
    "check_papers",
    "check_table1",
    "check_table3",
    "table3_averages",
]

FACES = "faces paper"
IGNET = "IgNet paper"
# Half a unit of the last printed digit of a three-decimal score.
_HALF = 0.0005

FACES_PAPER: dict[str, Any] = {
    # Table 3: attribute -> [TP, positives, precision, recall, F-measure].
    "table3": {
        "Eyeglasses": [1153, 1289, 0.991, 0.894, 0.940],
        "Bangs": [1812, 3109, 0.972, 0.583, 0.729],
        "Black_Hair": [2327, 5422, 0.825, 0.429, 0.564],
        "Blond_Hair": [504, 2660, 0.980, 0.189, 0.317],
        "Brown_Hair": [327, 3587, 0.707, 0.091, 0.161],
        "Gray_Hair": [115, 636, 0.975, 0.182, 0.307],
        "Male": [7073, 7715, 0.932, 0.917, 0.924],
        "Pale_Skin": [204, 840, 0.933, 0.243, 0.386],
        "Smiling": [8804, 9987, 0.893, 0.882, 0.887],
        "Young": [14843, 15114, 0.571, 0.982, 0.722],
    },
    # Table 3's AVG row: "Accuracy (TP)" in percent, precision, recall, F-measure.
    "avg": [53.9, 0.878, 0.539, 0.668],
    # The ablation table: model -> [precision, recall, F-measure]; the first is the model.
    "ablations": {
        "original": [0.878, 0.539, 0.668],
        "no convolutional layer 3": [0.823, 0.502, 0.624],
        "no convolutional layer 3 nor fully connected": [0.830, 0.523, 0.642],
    },
    # "the performance decreased around 4 and 2 percentage points, respectively".
    "drops_in_points": [4, 2],
    # Section 4: "the classes that represent the greatest difficulty for the model".
    "difficult": ["Blond_Hair", "Brown_Hair", "Gray_Hair", "Pale_Skin"],
    # Section 4: "the coverage barely exceeds half of the instances to be evaluated",
    # read as a share of instances between these bounds.
    "coverage_bounds": [0.5, 0.6],
    # Not the paper's: the size of CelebA's test partition (list_eval_partition.txt, code
    # 2), the "test set" Table 3's positives are taken to be counted on.
    "test_images": 19_962,
}
"""The face-attribute paper's numbers the checks read, as printed."""

IGNET_PAPER: dict[str, Any] = {
    # Section 3.3: "The data collection has only 338 drawings".
    "drawings": 338,
    # Section 4.2: "enlarged up to 17500 items for learning and testing. 3500 more samples
    # were produced for validation".
    "learn_test": 17_500,
    "validation": 3_500,
    # Section 5.1: "the dataset was augmented by nearly thirty times".
    "claimed_enlargement": 30,
    # Section 4.4.1: "split in 10:1 ratio ... repeated ten times ... each sample could be
    # used for testing once and only once".
    "claimed_split": [10, 1],
    "folds": 10,
    # Table 1: factors joined by "+" -> accuracy.
    "table1": {
        "age+who_drew+who_is_drawn+age_category": 0.8558,
        "who_drew+who_is_drawn+age_category": 0.7780,
        "who_is_drawn+age_category": 0.8372,
        "age_category": 0.8854,
    },
    # Section 2.1: the four label groups.
    "factors": ["age", "who_drew", "who_is_drawn", "age_category"],
    # Section 5.5.1: the targets learned "with testing and validation accuracy ... 100%".
    "targets_at_100": ["age", "age+who_drew", "age+who_drew+who_is_drawn", "age_category"],
    # Section 5.1 also names "age in months" (learned at 100% too, section 5.5.1).
    "extra_targets": ["age_months"],
    # Fig. 8, given as the evidence ("Look at Fig. 8"): its target.
    "figure8_target": "who_drew+who_is_drawn+age_category",
    # Section 5.5.2: MAPE "about 4%, i. e., 10 times as high compared to the best results"
    # (0.4%, section 5.5.1).
    "mape_best": 0.4,
    "mape_bipolar": 4.0,
    "claimed_mape_ratio": 10,
}
"""The IgNet paper's numbers the checks read, as printed."""


@dataclass(frozen=True)
class Finding:
    """One check of a paper against its own numbers.

    Attributes
    ----------
    paper : which paper.
    where : the table, row or section the claim is in.
    claim : what the paper says, with its numbers.
    arithmetic : what its own numbers give, worked out.
    consistent : whether the claim and the arithmetic agree (within the printed rounding).
    """

    paper: str
    where: str
    claim: str
    arithmetic: str
    consistent: bool


def check_papers(
    faces: Mapping[str, Any] = FACES_PAPER, ignet: Mapping[str, Any] = IGNET_PAPER
) -> list[Finding]:
    """Every check, on both papers' numbers (shaped as :data:`FACES_PAPER` and
    :data:`IGNET_PAPER`); the face paper's first."""
    return [
        *check_table3(faces["table3"], faces["avg"], faces["test_images"]),
        *check_ablations(
            faces["table3"],
            faces["ablations"],
            faces["drops_in_points"],
            faces["difficult"],
            faces["coverage_bounds"],
        ),
        check_enlargement(
            ignet["drawings"],
            ignet["learn_test"],
            ignet["validation"],
            ignet["claimed_enlargement"],
        ),
        check_fold_ratio(ignet["claimed_split"], ignet["folds"]),
        *check_table1(ignet["table1"], ignet["drawings"]),
        *check_coverage(
            ignet["factors"],
            ignet["targets_at_100"],
            ignet["extra_targets"],
            ignet["figure8_target"],
            ignet["table1"],
        ),
        check_claimed_ratio(
            IGNET,
            "Section 5.5.2",
            f"the bipolar sigmoid's regression MAPE, about {ignet['mape_bipolar']:g}%, is "
            f"{ignet['claimed_mape_ratio']} times as high as the best, "
            f"{ignet['mape_best']:g}%",
            ignet["mape_bipolar"],
            ignet["mape_best"],
            ignet["claimed_mape_ratio"],
        ),
    ]


def table3_averages(rows: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Averages of Table 3's rows ([TP, positives, precision, recall, F] per attribute).

    Returns ``precision``, ``recall`` (means over the rows), ``f1`` (the F-measure of
    those two means: the paper's AVG row), ``tp_mean`` (the mean of TP / positives: its
    "Accuracy (TP)" average), ``f1_macro`` (the mean of the rows' F) and ``tp_pooled``
    (all TP over all positives).
    """
    tp, positives, precision, recall, f1 = np.array(list(rows.values()), dtype=float).T
    return {
        "precision": float(precision.mean()),
        "recall": float(recall.mean()),
        "f1": float(f_measure(precision.mean(), recall.mean())),
        "tp_mean": float(np.mean(tp / positives)),
        "f1_macro": float(f1.mean()),
        "tp_pooled": float(tp.sum() / positives.sum()),
    }


def check_table3(
    rows: Mapping[str, Sequence[float]], avg: Sequence[float], test_images: int
) -> list[Finding]:
    """Each row's F against its precision and recall, its TP / positives against its
    recall, the false positives its precision needs against the images without the
    attribute, and the AVG row against the rows.

    Parameters
    ----------
    rows : attribute -> [TP, positives, precision, recall, F].
    avg : the AVG row: "Accuracy (TP)" in percent, precision, recall, F.
    test_images : the images the rows were counted on.
    """
    findings = []
    for name, (tp, positives, precision, recall, f1) in rows.items():
        where = f"Table 3, {name}"
        low, high = _f_bounds(precision, recall)
        findings.append(
            Finding(
                FACES,
                where,
                f"F-measure {f1:.3f} from precision {precision:.3f} and recall {recall:.3f}",
                f"2PR / (P + R) = 2 x {precision:.3f} x {recall:.3f} / "
                f"({precision:.3f} + {recall:.3f}) = {float(f_measure(precision, recall)):.4f}"
                f" (with the printed rounding, {low:.4f} to {high:.4f})",
                low - _HALF <= f1 <= high + _HALF,
            )
        )
        share = tp / positives
        findings.append(
            Finding(
                FACES,
                where,
                f"recall {recall:.3f} with {tp:,.0f} true positives of {positives:,.0f}",
                f"TP / positives = {tp:,.0f} / {positives:,.0f} = {share:.4f}, which prints "
                f"as {share:.3f}",
                abs(share - recall) <= _HALF,
            )
        )
        negatives = test_images - positives
        # Precision P = TP / (TP + FP), so FP = TP (1 - P) / P; the fewest FP any precision
        # that prints as ``precision`` allows.
        needed = tp * (1 - (precision + _HALF)) / (precision + _HALF)
        floor = tp / (tp + negatives)
        findings.append(
            Finding(
                FACES,
                where,
                f"precision {precision:.3f} with {tp:,.0f} true positives of {positives:,.0f} "
                f"(CelebA's test partition: {test_images:,} images)",
                f"FP = TP (1 - P) / P = {tp:,.0f} x {1 - precision:.3f} / {precision:.3f} = "
                f"{tp * (1 - precision) / precision:,.0f} false positives, but only "
                f"{test_images:,} - {positives:,.0f} = {negatives:,.0f} images lack the "
                f"attribute; so precision is at least {tp:,.0f} / ({tp:,.0f} + "
                f"{negatives:,.0f}) = {floor:.3f}",
                needed <= negatives,
            )
        )
    averages = table3_averages(rows)
    tp_share, precision, recall, f1 = avg
    n = len(rows)
    findings.append(
        Finding(
            FACES,
            "Table 3, AVG",
            f"precision {precision:.3f}, recall {recall:.3f}, F-measure {f1:.3f}",
            f"mean of the {n} precisions = {averages['precision']:.4f}; mean of the {n} "
            f"recalls = {averages['recall']:.4f}; F-measure of those two means = "
            f"{averages['f1']:.4f}. The mean of the {n} F-measures would be "
            f"{averages['f1_macro']:.4f}: the AVG F is the F of the means",
            all(
                abs(ours - printed) <= 2 * _HALF
                for ours, printed in zip(
                    (averages["precision"], averages["recall"], averages["f1"]),
                    (precision, recall, f1),
                    strict=True,
                )
            ),
        )
    )
    tp = sum(row[0] for row in rows.values())
    positives = sum(row[1] for row in rows.values())
    findings.append(
        Finding(
            FACES,
            "Table 3, AVG",
            f'"Accuracy (TP)" {tp_share:.1f}%',
            f"mean of the {n} TP / positives = {100 * averages['tp_mean']:.2f}%, the mean "
            f"recall; all true positives over all positives would be {tp:,.0f} / "
            f"{positives:,.0f} = {100 * averages['tp_pooled']:.2f}%",
            abs(100 * averages["tp_mean"] - tp_share) <= 0.05,
        )
    )
    return findings


def check_ablations(
    rows: Mapping[str, Sequence[float]],
    ablations: Mapping[str, Sequence[float]],
    drops_in_points: Sequence[float],
    difficult: Sequence[str],
    coverage_bounds: Sequence[float],
) -> list[Finding]:
    """The ablation table and the face paper's discussion, against its tables.

    Parameters
    ----------
    rows : Table 3, attribute -> [TP, positives, precision, recall, F].
    ablations : model -> [precision, recall, F]; the first is the full model.
    drops_in_points : the F drops the text gives for the other models, in points.
    difficult : the attributes the discussion calls the hardest.
    coverage_bounds : the share of instances found that "barely exceeds half" allows.
    """
    findings = []
    for model, (precision, recall, f1) in ablations.items():
        low, high = _f_bounds(precision, recall)
        findings.append(
            Finding(
                FACES,
                f"Ablation table, {model}",
                f"F-measure {f1:.3f} from precision {precision:.3f} and recall {recall:.3f}",
                f"2PR / (P + R) = {float(f_measure(precision, recall)):.4f}",
                low - _HALF <= f1 <= high + _HALF,
            )
        )
    (full, full_scores), *others = ablations.items()
    for (model, scores), claimed in zip(others, drops_in_points, strict=True):
        drop = 100 * (full_scores[2] - scores[2])
        findings.append(
            Finding(
                FACES,
                f"Results, {model}",
                f"performance decreased around {claimed:g} percentage points",
                f"F {full_scores[2]:.3f} ({full}) - {scores[2]:.3f} = {drop:.1f} points, "
                f"which rounds to {round(drop)}",
                round(drop) == claimed,
            )
        )
    (_, first), (_, second) = others[:2]
    findings.append(
        Finding(
            FACES,
            "Discussion",
            "removing the first fully connected layer as well, the performance increased again",
            f"F {second[2]:.3f} against {first[2]:.3f} without convolutional layer 3 alone",
            second[2] > first[2],
        )
    )
    by_f = sorted(rows, key=lambda name: rows[name][4])
    hardest = by_f[: len(difficult)]
    findings.append(
        Finding(
            FACES,
            "Discussion",
            f"the classes of greatest difficulty are {', '.join(difficult)}",
            f"the {len(difficult)} lowest F-measures in Table 3: "
            + ", ".join(f"{name} {rows[name][4]:.3f}" for name in hardest)
            + f"; next, {by_f[len(difficult)]} {rows[by_f[len(difficult)]][4]:.3f}",
            set(hardest) == set(difficult),
        )
    )
    tp = sum(row[0] for row in rows.values())
    positives = sum(row[1] for row in rows.values())
    averages = table3_averages(rows)
    low, high = coverage_bounds
    findings.append(
        Finding(
            FACES,
            "Discussion",
            "the coverage barely exceeds half of the instances to be evaluated",
            f"Table 3's positive instances: {tp:,.0f} of {positives:,.0f} found = "
            f"{100 * averages['tp_pooled']:.1f}%; the {100 * averages['recall']:.1f}% is "
            f"the mean of the {len(rows)} recalls, which weighs "
            f"{min(rows, key=lambda n: rows[n][1])}'s "
            f"{min(row[1] for row in rows.values()):,.0f} instances as much as "
            f"{max(rows, key=lambda n: rows[n][1])}'s "
            f"{max(row[1] for row in rows.values()):,.0f}",
            low < averages["tp_pooled"] <= high,
        )
    )
    return findings


def check_enlargement(drawings: int, learn_test: int, validation: int, claimed: float) -> Finding:
    """The enlargement factor the text gives against the sample counts it gives.

    "Nearly" ``claimed`` holds for a factor within 15% of it.
    """
    factor = learn_test / drawings
    whole = (learn_test + validation) / drawings
    return Finding(
        IGNET,
        "Section 5.1 against section 4.2",
        f"the Keras solution augmented the dataset by nearly {claimed:g} times",
        f"{learn_test:,} learn/test samples / {drawings} drawings = {factor:.1f} times; with "
        f"the {validation:,} validation samples, {learn_test + validation:,} / {drawings} = "
        f"{whole:.1f} times",
        abs(factor / claimed - 1) <= 0.15,
    )


def check_fold_ratio(claimed: Sequence[int], folds: int) -> Finding:
    """A learn:test ratio against the number of folds that test each sample once."""
    learn, test = claimed
    return Finding(
        IGNET,
        "Section 4.4.1",
        f"the learn/test part split in {learn}:{test} ratio, {folds} times, each sample "
        "tested once and only once",
        f"{folds} folds test 1/{folds} of the samples each and learn on the other "
        f"{folds - 1}/{folds}: a {folds - 1}:1 split; {learn}:{test} would need "
        f"{(learn + test) // test} folds",
        learn == (folds - 1) * test,
    )


def check_table1(accuracies: Mapping[str, float], independent: int) -> list[Finding]:
    """Table 1 against itself: nested targets and "comparable accuracies".

    A target whose factors include another's refines it: mapping each prediction to the
    coarser label scores at least as well on the coarser target. So a finer target's
    accuracy above a coarser one's means the coarser net did worse than the finer net's
    own predictions would.

    Parameters
    ----------
    accuracies : target (factors joined by "+") -> accuracy as a fraction.
    independent : the independent samples behind each accuracy (the originals the
        validation samples were augmented from), for the standard error of a difference.
    """
    findings = []
    factors = {target: set(target.split("+")) for target in accuracies}
    for fine, coarse in combinations(accuracies, 2):
        if factors[fine] < factors[coarse]:
            fine, coarse = coarse, fine
        if not factors[coarse] < factors[fine]:
            continue
        findings.append(
            Finding(
                IGNET,
                "Table 1",
                f"{fine}: {100 * accuracies[fine]:.2f}%; {coarse}: {100 * accuracies[coarse]:.2f}%",
                f"every {fine} label fixes the {coarse} label, so the first net's predictions, "
                f"mapped to {coarse}, would score at least {100 * accuracies[fine]:.2f}% on "
                f"it; Table 1 gives {100 * accuracies[coarse]:.2f}%",
                accuracies[fine] <= accuracies[coarse],
            )
        )
    best = max(accuracies, key=accuracies.__getitem__)
    worst = min(accuracies, key=accuracies.__getitem__)
    p, q = accuracies[best], accuracies[worst]
    error = math.sqrt((p * (1 - p) + q * (1 - q)) / independent)
    gap = p - q
    findings.append(
        Finding(
            IGNET,
            "Section 4.3",
            "all the variants gave comparable accuracies; each factor or combination is "
            "equally significant (vide Table 1)",
            f"{best} {100 * p:.2f}% - {worst} {100 * q:.2f}% = {100 * gap:.2f} points; the "
            f"standard error of that difference on {independent} independent drawings is "
            f"sqrt(({p:.4f} x {1 - p:.4f} + {q:.4f} x {1 - q:.4f}) / {independent}) = "
            f"{100 * error:.2f} points, so the gap is {gap / error:.1f} standard errors",
            gap <= 2 * error,
        )
    )
    return findings


def check_coverage(
    factors: Sequence[str],
    reported: Sequence[str],
    extra: Sequence[str],
    figure_target: str,
    table1: Mapping[str, float],
) -> list[Finding]:
    """The targets the IgNet paper says it tried against those it reports.

    Parameters
    ----------
    factors : the label groups; every non-empty combination is a target.
    reported : the combinations section 5.5.1 lists at 100%.
    extra : targets beyond the combinations (age in months), reported as well.
    figure_target : the target of the figure given as the evidence.
    table1 : Table 1's targets, which section 4.3 calls all equally significant.
    """
    combos = 2 ** len(factors) - 1
    considered = combos + len(extra)
    shown = len(reported) + len(extra)
    singles = [target for target in table1 if "+" not in target]
    return [
        Finding(
            IGNET,
            "Abstract, sections 1 and 5.1 against 5.5.1",
            "100% in all the classification configurations tried; every combination of "
            f"the {len(factors)} label groups and age in months considered",
            f"2^{len(factors)} - 1 = {combos} combinations + {len(extra)} = {considered} "
            f"targets considered; section 5.5.1 lists {shown} at 100%",
            shown == considered,
        ),
        Finding(
            IGNET,
            "Section 5.5.1, Fig. 8",
            "the targets learned at 100%, then: Look at Fig. 8",
            f"Fig. 8's target, {figure_target}, is not among the {len(reported)} "
            "combinations listed "
            f"({'; '.join(reported)})"
            if figure_target not in reported
            else f"Fig. 8's target, {figure_target}, is among those listed",
            figure_target in reported,
        ),
        Finding(
            IGNET,
            "Section 4.3 against Table 1",
            f"each of the {len(factors)} factors or their combinations are equally "
            "significant (vide Table 1)",
            f"Table 1 shows {len(table1)} of the {combos} combinations, {len(singles)} of "
            f"the {len(factors)} single factors ({', '.join(singles)})",
            len(table1) == combos,
        ),
    ]


def check_claimed_ratio(
    paper: str, where: str, claim: str, numerator: float, denominator: float, claimed: float
) -> Finding:
    """A ratio the text states against the two numbers it states it from (within 10%)."""
    ratio = numerator / denominator
    return Finding(
        paper,
        where,
        claim,
        f"{numerator:g} / {denominator:g} = {ratio:.1f}",
        abs(ratio / claimed - 1) <= 0.10,
    )


def _f_bounds(precision: float, recall: float) -> tuple[float, float]:
    """The F-measures of every precision and recall that print as these; F grows with
    both, so the corners bound it."""
    low = float(f_measure(precision - _HALF, recall - _HALF))
    high = float(f_measure(precision + _HALF, recall + _HALF))
    return low, high
