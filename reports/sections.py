"""The order of the report's sections (the papers' order) and the claim each one opens with.

The IgNet paper first (its data, the Keras baseline of section 4, then IgNet's section 5:
classification, regression and depth, activation, freezeconnect, the Fig. 4 diagnostic
and timing), then the face paper, then what the suite adds of its own (the leak curve,
the digits). An experiment not listed here follows, in its name's order.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CLAIMS", "ORDER", "in_paper_order"]

ORDER = (
    "table1",
    "ignet_classification",
    "ignet_depth",
    "activation",
    "freezeconnect",
    "fig4",
    "time_ratio",
    "faces_table3",
    "leak_curve",
    "digits",
)

#: Per experiment: a short name for the claims table, where in which paper, and the
#: paper's claim in its own words (the extracted text, shortened with an ellipsis where it
#: runs on).
CLAIMS = {
    "table1": (
        "Keras CNN, Table 1",
        "IgNet paper, section 4 and Table 1",
        "Keras-TensorFlow solution: classification accuracy … 'age', 'who drew', 'who is "
        "drawn', 'age category' 85.58%; … Age as a numeric value was predicted with MAPE "
        "(mean absolute percentage error) 12.95%.",
    ),
    "ignet_classification": (
        "IgNet, 5.5.1 classes",
        "IgNet paper, section 5.5.1",
        "'age', 'age'+'who drew', 'age'+'who drew'+'who is drawn', 'age category', 'age in "
        "months' — were learned by all the presented network configurations … with testing "
        "and validation accuracy (percentage of right guesses about categories) 100%!",
    ),
    "ignet_depth": (
        "IgNet, 5.5.1 age, depth",
        "IgNet paper, section 5.5.1",
        "All the networks have predicted 'age' as a numeric value with testing and "
        "validation MAPE not exceeding 0.4% (with MAE as a loss function).",
    ),
    "activation": (
        "IgNet, 5.5.2 activation",
        "IgNet paper, section 5.5.2",
        "The best result here was performance of a network as in Fig. 6 but with bipolar "
        "sigmoid activation of the second layer neurons. It learned much slower …, though "
        "was able to give 100% classification accuracy. The regression MAPE, however, was "
        "about 4%, i. e., 10 times as high compared to the best results of IgNet.",
    ),
    "freezeconnect": (
        "IgNet, freezeconnect",
        "IgNet paper, section 5.5.1",
        "Deepest IgNet structures with 6 and 7 layers required initially some more time. … "
        "A practice like this [freezeconnect] has made the deepest networks almost as quick "
        "to teach as the shallower ones.",
    ),
    "fig4": (
        "IgNet, Fig. 4",
        "IgNet paper, section 5.4.2 and Fig. 4",
        "Bigger weights for the second layer specified. This resulted in rise of the first "
        "layer weights derivatives MAV by an order. Fast learning followed that with "
        "testing and validation MAPE about 0.4%.",
    ),
    "time_ratio": (
        "IgNet vs Keras, time",
        "IgNet paper, section 5.5.1",
        "The calculations duration was, as a rule, 10 times and 30 times as small as the "
        "Keras network learning time extent for regression and classification, "
        "respectively.",
    ),
    "faces_table3": (
        "Faces, Table 3",
        "Face paper, section 3 and Table 3",
        "Performance was 66.8%, with 88% and 54% precision and recall, respectively. … "
        "After removing the third convolutional layer and the first fully connected layer "
        "… the performance decreased around 4 and 2 percentage points, respectively.",
    ),
    "leak_curve": (
        "Leak curve (ours)",
        "Not a paper item",
        "Both papers augmented before splitting: how strong must the augmentation be, and "
        "which leak (near-copies of test drawings, or other drawings of the same child) "
        "must be in training, for the papers' numbers to appear?",
    ),
    "digits": (
        "Digits (ours)",
        "Not a paper item",
        "The engines on real images no one here made: scikit-learn's 1,797 handwritten "
        "digits, plain stratified 5-fold cross-validation, nothing augmented.",
    ),
}


def in_paper_order(names: Iterable[str]) -> list[str]:
    """``names`` in the papers' order, those not in :data:`ORDER` last by name."""
    names = list(dict.fromkeys(names))
    known = [n for n in ORDER if n in names]
    return known + sorted(n for n in names if n not in ORDER)
