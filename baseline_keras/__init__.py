"""The Keras 3 baseline: model builders, augmentation and scikit-learn estimators.

The builders are the IgNet paper's drawings CNN (:func:`drawings_cnn`, as section 4
describes it, and the three-dense-layer variant :func:`drawings_cnn_dense3`) and the face
paper's multi-label attribute CNN (:func:`faces_cnn`, with its ablations in ``BUILDERS``).
:func:`enlarge` augments with Keras's ``ImageDataGenerator``, as section 4.2 did.

The networks use Keras layers and ``keras.ops`` only, and ``ImageDataGenerator`` numpy and
scipy, so the package runs on any Keras back end (TensorFlow by default;
``KERAS_BACKEND=jax`` or ``torch`` where installed). It receives numpy arrays and returns
numpy arrays; it never reads files.
"""

from baseline_keras.augmentation import enlarge, image_data_generator
from baseline_keras.models import (
    BUILDERS,
    TASKS,
    TargetScaling,
    compile_for_task,
    drawings_cnn,
    drawings_cnn_dense3,
    faces_cnn,
)
from baseline_keras.training import KerasCNNClassifier, KerasCNNRegressor, set_determinism

__all__ = [
    "BUILDERS",
    "TASKS",
    "KerasCNNClassifier",
    "KerasCNNRegressor",
    "TargetScaling",
    "compile_for_task",
    "drawings_cnn",
    "drawings_cnn_dense3",
    "enlarge",
    "faces_cnn",
    "image_data_generator",
    "set_determinism",
]
