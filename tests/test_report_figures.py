"""The example figures: augmented images, confusion matrices, layer diagnostics, predictions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from reports.figures import (
    augmentation_examples,
    confusion_matrix,
    diagnostic_table,
    prediction_examples,
    save_figure,
)

REPO = Path(__file__).resolve().parents[1]


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def _cell_texts(fig: Figure) -> list[str]:
    """Texts inside the matrix axes that are numbers: the cell annotations."""
    found = []
    for text in fig.axes[0].texts:
        try:
            float(text.get_text())
        except ValueError:
            continue
        found.append(text.get_text())
    return found


@pytest.mark.parametrize("shape", [(20, 12), (20, 12, 3)], ids=["gray", "rgb"])
def test_augmentation_examples_draws_each_original_then_its_variants(shape):
    rng = np.random.default_rng(0)
    originals = rng.random((3, *shape))
    augmented = [rng.random((k, *shape)) for k in (4, 4, 2)]
    fig = augmentation_examples(
        originals, augmented, titles=["a", "b", "c", "d"], row_labels=["x", "y", "z"]
    )
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3 * 5
    drawn = [ax for ax in fig.axes if ax.images]
    # The third row has two variants: its last two cells stay blank.
    assert len(drawn) == 5 + 5 + 3
    first = fig.axes[0]
    assert first.get_title() == "original"
    assert [ax.get_title() for ax in fig.axes[1:5]] == ["a", "b", "c", "d"]
    assert first.get_ylabel() == "x"
    assert not first.get_xticks().size and not first.get_yticks().size
    image = first.images[0]
    if len(shape) == 2:
        assert image.get_cmap().name == "gray"
        assert image.get_clim() == (0.0, 1.0)
    else:
        assert image.get_array().shape == shape


def test_augmentation_examples_checks_titles_and_rows():
    originals = np.zeros((2, 8, 8))
    with pytest.raises(ValueError, match="variants"):
        augmentation_examples(originals, [np.zeros((1, 8, 8))])
    with pytest.raises(ValueError, match="titles"):
        augmentation_examples(originals, [np.zeros((2, 8, 8))] * 2, titles=["only one"])


def test_confusion_matrix_normalises_rows_and_keeps_empty_rows_at_zero():
    matrix = np.array([[3, 1, 0], [0, 0, 0], [2, 2, 4]])
    fig = confusion_matrix(matrix, ["a", "b", "c"], title="t")
    assert len(fig.axes) == 2  # the matrix and its colorbar
    data = np.asarray(fig.axes[0].images[0].get_array())
    np.testing.assert_allclose(data.sum(axis=1), [1.0, 0.0, 1.0])
    np.testing.assert_allclose(data[0], [0.75, 0.25, 0.0])
    assert fig.axes[0].get_title() == "t"
    assert fig.axes[0].get_ylabel() == "true" and fig.axes[0].get_xlabel() == "predicted"
    assert len(_cell_texts(fig)) == 9
    # A share as a whole percent: it fits a cell at 9 pt.
    assert "75" in _cell_texts(fig) and "25" in _cell_texts(fig)


def test_confusion_matrix_counts_are_annotated_as_whole_numbers():
    matrix = np.array([[5, 1], [2, 7]])
    fig = confusion_matrix(matrix, ["a", "b"], normalize=False)
    np.testing.assert_array_equal(np.asarray(fig.axes[0].images[0].get_array()), matrix)
    assert sorted(_cell_texts(fig)) == ["1", "2", "5", "7"]


def test_large_confusion_matrix_has_no_annotations_and_thinned_ticks():
    n = 300
    rng = np.random.default_rng(1)
    matrix = rng.poisson(0.2, (n, n)) + np.diag(rng.integers(1, 9, n))
    fig = confusion_matrix(matrix, [f"class {i}" for i in range(n)])
    ax = fig.axes[0]
    assert not _cell_texts(fig)
    assert 10 <= len(ax.get_xticks()) <= 60
    assert len(ax.get_yticks()) == len(ax.get_xticks())


def test_confusion_matrix_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels"):
        confusion_matrix(np.eye(3), ["a", "b"])
    with pytest.raises(ValueError, match="square"):
        confusion_matrix(np.ones((2, 3)), ["a", "b"])


def _stage(layers: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"layer": [f"conv{i}" for i in range(layers)]})
    for column in ("weights", "inputs", "outputs", "weight_grads", "output_grads"):
        frame[column] = 10 ** rng.uniform(-6, 3, layers)
    return frame


def test_diagnostic_table_has_one_axes_per_stage_and_one_legend():
    tables = {"before": _stage(2, 0), "after 10x layer 2": _stage(5, 1), "calibrated": _stage(7, 2)}
    fig = diagnostic_table(tables)
    assert [ax.get_title() for ax in fig.axes] == list(tables)
    assert len(fig.legends) == 1
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(tables["before"].columns[1:])
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    # One bar per layer and quantity.
    assert len(fig.axes[1].patches) == 5 * 5
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["conv0", "conv1"]
    assert not fig.get_supxlabel()


def test_diagnostic_table_survives_zeros_and_nan():
    stage = _stage(3, 0)
    stage.loc[0, "weight_grads"] = 0.0
    stage.loc[1, "output_grads"] = -1.0
    stage.loc[2, "inputs"] = np.nan
    stage["note"] = "text columns are ignored"
    fig = diagnostic_table({"before": stage, "all zero": stage.assign(weights=0.0)})
    fig.canvas.draw()
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylim()[0] > 0
    note = fig.get_supxlabel()
    assert "<= 0" in note and "NaN" in note
    assert len(fig.axes[0].patches) == 3 * 5 - 3


def test_diagnostic_table_without_data_says_so():
    fig = diagnostic_table({})
    assert len(fig.axes) == 1
    assert "no results" in _texts(fig)


@pytest.mark.parametrize("shape", [(16, 16), (16, 16, 3)], ids=["gray", "rgb"])
def test_prediction_examples_write_both_vectors_and_mark_mistakes(shape):
    rng = np.random.default_rng(0)
    images = rng.random((6, *shape))
    y_true = np.array([[0, 1, 0, 0, 1]] * 6)
    y_pred = y_true.copy()
    y_pred[2, 3] = 1
    names = ["smiling", "male", "young", "eyeglasses", "bald"]
    fig = prediction_examples(images, y_true, y_pred, names, columns=4)
    assert len(fig.axes) == 8
    assert sum(bool(ax.images) for ax in fig.axes) == 6
    texts = [t.get_text() for t in fig.axes[2].texts]
    assert texts[:2] == ["pred 01011", "true 01001"]
    assert texts[2] == "        ^ "
    assert fig.axes[2].texts[0].get_color() == "tab:red"
    assert [t.get_text() for t in fig.axes[0].texts] == ["pred 01001", "true 01001"]
    caption = fig.get_supxlabel().replace("\u00a0", " ").replace("\n", " ")
    assert "1 smiling" in caption and "5 bald" in caption
    assert caption.index("smiling") < caption.index("bald")


def test_prediction_examples_threshold_probabilities_and_check_shapes():
    images = np.zeros((2, 8, 8))
    fig = prediction_examples(images, np.array([1, 0]), np.array([0.9, 0.2]), ["smiling"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["pred 1", "true 1"]
    with pytest.raises(ValueError, match="names"):
        prediction_examples(images, np.zeros((2, 3)), np.zeros((2, 3)), ["a"])


def test_each_example_figure_saves_as_svg_with_its_text(tmp_path):
    rng = np.random.default_rng(0)
    figures = {
        "augmentation": augmentation_examples(rng.random((2, 10, 6)), [rng.random((2, 10, 6))] * 2),
        "confusion": confusion_matrix(np.eye(3), ["a", "b", "c"]),
        "diagnostic": diagnostic_table({"before": _stage(2, 0)}),
        "predictions": prediction_examples(
            rng.random((2, 8, 8, 3)), np.eye(2), np.ones((2, 2)), ["a", "b"]
        ),
    }
    for stem, fig in figures.items():
        svg = save_figure(fig, tmp_path, stem)
        assert svg == tmp_path / f"{stem}.svg"
        assert b"<svg" in svg.read_bytes()[:2000]
    # Text stays text (searchable in the PDF and the page), not glyph outlines.
    assert "<text" in (tmp_path / "confusion.svg").read_text(encoding="utf-8")


def test_reports_does_not_import_the_engines():
    check = (
        "import sys, reports.figures, reports.tables, reports.report; "
        "bad = sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'bench', 'ignet', 'baseline_keras'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
