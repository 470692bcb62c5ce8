"""Train the small deepG-style Keras model that tutorial 04 imports.

NOT run by CI or by the tutorial: it needs TensorFlow, which the package does not. It stands
for what a deepG user has: a CNN trained in Keras (deepG is an R front end to Keras) and
saved whole as HDF5. Run it in a separate environment, from the repository root::

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu && /tmp/tfenv/bin/pip install -e .
    /tmp/tfenv/bin/python tutorials/data/make_deepg_model.py

It writes, next to this script:

- ``deepg_planted_motif.h5``: Conv1D(16, 9, relu, same) -> MaxPooling1D(3) ->
  BatchNormalization -> Conv1D(32, 9, relu, same) -> BatchNormalization ->
  GlobalMaxPooling1D -> Dense(2, softmax), input (None, 4) in Keras's (N, L, 4) layout,
  trained with Adam for 5 epochs on 4,000 planted-motif sequences of 600 bp
  (:func:`captum_genomics.planted_motif_dataset`, the deepG study's base motif, seed 1);
- ``deepg_planted_motif_reference.npz``: ``inputs`` (8, 600, 4) float32 held-out sequences
  and Keras's own ``probabilities`` (8, 2) on them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).resolve().parent
SEED = 1


def main() -> None:
    import keras
    import tensorflow as tf

    from captum_genomics import MOTIFS, planted_motif_dataset

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    data = planted_motif_dataset(4400, 600, MOTIFS["base"], seed=SEED, layout="NLC")
    x, y = data.inputs.numpy(), data.labels.numpy()
    model = keras.Sequential([
        keras.Input((None, 4)),
        keras.layers.Conv1D(16, 9, activation="relu", padding="same"),
        keras.layers.MaxPooling1D(3),
        keras.layers.BatchNormalization(),
        keras.layers.Conv1D(32, 9, activation="relu", padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:4000], y[:4000], epochs=5, batch_size=64, verbose=2,
              validation_data=(x[4000:], y[4000:]))
    model.save(HERE / "deepg_planted_motif.h5")
    held_out = x[4000:4008]
    np.savez_compressed(HERE / "deepg_planted_motif_reference.npz", inputs=held_out,
                        probabilities=model.predict(held_out, verbose=0))


if __name__ == "__main__":
    main()
