"""The Keras 3 baseline: model builders and a training wrapper (TensorFlow back end)."""
