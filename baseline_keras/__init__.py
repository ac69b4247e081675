"""The Keras 3 baseline: model builders, augmentation and a training wrapper.

The builders are the IgNet paper's drawings CNN (:func:`drawings_cnn`) and the face
paper's multi-label attribute CNN (:func:`faces_cnn`, with its ablations in ``BUILDERS``).

Everything here uses Keras layers and ``keras.ops`` only, so the package runs on any Keras
back end (TensorFlow by default; ``KERAS_BACKEND=jax`` or ``torch`` where installed). It
receives numpy arrays and returns numpy arrays; it never reads files.
"""

from baseline_keras.augmentation import augmentation_pipeline, enlarge
from baseline_keras.models import (
    BUILDERS,
    TASKS,
    TargetScaling,
    compile_for_task,
    drawings_cnn,
    faces_cnn,
)
from baseline_keras.training import KerasCNN, set_determinism

__all__ = [
    "BUILDERS",
    "TASKS",
    "KerasCNN",
    "TargetScaling",
    "augmentation_pipeline",
    "compile_for_task",
    "drawings_cnn",
    "enlarge",
    "faces_cnn",
    "set_determinism",
]
