"""A small, seeded trainer for sequence classifiers such as :class:`DeepGCNN`.

:func:`train_model` (named after deepG's R function; ``fit`` is its deprecated alias):
Adam on cross-entropy (binary cross-entropy for single-output models), shuffled
mini-batches, a tqdm progress bar, and balanced accuracy per epoch, as in the deepG study
(Adam, lr 5e-4, batch 64).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from captum_genomics._deprecation import renamed, renamed_arguments
from captum_genomics._validate import check_int

__all__ = ["TrainingHistory", "balanced_accuracy", "predict", "train_model"]


@dataclass
class TrainingHistory:
    """Per-epoch record returned by :func:`train_model`.

    Attributes
    ----------
    loss : list of float
        Mean training loss of each epoch.
    balanced_accuracy : list of float
        Balanced accuracy of each epoch's training predictions (made in training mode
        while the weights moved, as Keras reports it).
    val_loss, val_balanced_accuracy : list of float
        The same on the validation set after each epoch, in eval mode; empty without
        validation data.
    seconds : list of float
        Wall-clock time of each epoch, validation included.
    """

    loss: list[float] = field(default_factory=list)
    balanced_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_balanced_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def _as_tensor(x, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x)
    raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}")


def _predicted_classes(predictions: torch.Tensor) -> torch.Tensor:
    if predictions.ndim == 1 and not predictions.is_floating_point():
        return predictions.long()
    if predictions.ndim == 2 and predictions.shape[1] >= 2:
        return predictions.argmax(dim=1)
    raise ValueError(
        f"predictions must be class indices (N,) of an integer dtype or scores (N, C) with "
        f"C >= 2, got shape {tuple(predictions.shape)} and dtype {predictions.dtype}; "
        "threshold single-output scores yourself, e.g. (logits > 0).long()"
    )


def balanced_accuracy(labels, predictions) -> float:
    """Mean recall over the classes present in ``labels``.

    Parameters
    ----------
    labels : torch.Tensor or numpy.ndarray, shape (N,)
        True class indices (integers >= 0).
    predictions : torch.Tensor or numpy.ndarray, shape (N,) or (N, C)
        Predicted class indices (integer dtype), or scores (logits or probabilities) whose
        argmax over C >= 2 columns is the prediction.

    Returns
    -------
    float
        In [0, 1]; 0.5 is chance level for two balanced or unbalanced classes alike.

    Raises
    ------
    ValueError
        If shapes disagree, ``labels`` is empty or not integer, or ``predictions`` has a
        shape that does not define a class (e.g. single-column scores).
    """
    labels = _as_tensor(labels, "labels")
    predictions = _as_tensor(predictions, "predictions")
    if labels.ndim != 1 or labels.numel() == 0 or labels.is_floating_point():
        raise ValueError(
            f"labels must be a non-empty 1-D integer array, got shape {tuple(labels.shape)} "
            f"and dtype {labels.dtype}"
        )
    predicted = _predicted_classes(predictions).to(labels.device)
    if predicted.shape[0] != labels.shape[0]:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but predictions has {predicted.shape[0]}"
        )
    labels = labels.long()
    n_classes = int(max(labels.max(), predicted.max())) + 1
    total = torch.bincount(labels, minlength=n_classes)
    correct = torch.bincount(labels[predicted == labels], minlength=n_classes)
    present = total > 0
    return float((correct[present].double() / total[present]).mean())


def _model_device(model: nn.Module) -> torch.device:
    for tensor in model.parameters():
        return tensor.device
    return torch.device("cpu")


@torch.no_grad()
def predict(model: nn.Module, inputs, batch_size: int = 256) -> torch.Tensor:
    """Run a model in eval mode over ``inputs`` in batches.

    Parameters
    ----------
    model : torch.nn.Module
        Any model; it is put in eval mode for the call and restored after.
    inputs : torch.Tensor or numpy.ndarray, shape (N, ...)
        Model inputs (e.g. (N, 4, L) one-hot), on any device; batches are moved to the
        model's device.
    batch_size : int, default 256
        Sequences per forward call.

    Returns
    -------
    torch.Tensor, shape (N, ...)
        The model's outputs (logits or probabilities, as the model returns), on the device
        of ``inputs``.
    """
    inputs = _as_tensor(inputs, "inputs")
    batch_size = check_int(batch_size, "batch_size")
    device = _model_device(model)
    was_training = model.training
    model.eval()
    try:
        outputs = [
            model(inputs[i : i + batch_size].to(device)).to(inputs.device)
            for i in range(0, inputs.shape[0], batch_size)
        ]
    finally:
        model.train(was_training)
    return torch.cat(outputs)


def _loss_and_classes(outputs: torch.Tensor, labels: torch.Tensor):
    """Loss and predicted classes for (N, C) logits or single-output (N,) / (N, 1) logits."""
    if outputs.ndim == 2 and outputs.shape[1] >= 2:
        return F.cross_entropy(outputs, labels), outputs.argmax(dim=1)
    if outputs.ndim == 1 or (outputs.ndim == 2 and outputs.shape[1] == 1):
        logits = outputs.reshape(-1)
        return (
            F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype)),
            (logits > 0).long(),
        )
    raise ValueError(
        f"the model returned shape {tuple(outputs.shape)}; train_model needs logits of shape "
        "(N, C) or single-output logits (N,) / (N, 1)"
    )


def _seed_int(seed: int | np.random.Generator | None) -> int:
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if seed is None:
        return int(np.random.default_rng().integers(0, 2**63 - 1))
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    raise TypeError(f"seed must be an int, numpy.random.Generator or None, got {seed!r}")


def _check_data(inputs, labels, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    inputs = _as_tensor(inputs, f"{name} inputs")
    labels = _as_tensor(labels, f"{name} labels")
    if not inputs.is_floating_point():
        raise TypeError(f"{name} inputs must be floating point, got {inputs.dtype}")
    if labels.ndim != 1 or labels.is_floating_point() or labels.shape[0] != inputs.shape[0]:
        raise ValueError(
            f"{name} labels must be 1-D integer class indices, one per input; got shape "
            f"{tuple(labels.shape)} and dtype {labels.dtype} for {inputs.shape[0]} inputs"
        )
    if inputs.shape[0] == 0:
        raise ValueError(f"{name} inputs are empty")
    if bool((labels < 0).any()):
        raise ValueError(f"{name} labels must be >= 0")
    return inputs, labels.long()


@renamed_arguments(progress="show_progress")
def train_model(
    model: nn.Module,
    inputs,
    labels,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 5e-4,
    seed: int | np.random.Generator | None = 0,
    validation: tuple | None = None,
    show_progress: bool = True,
) -> TrainingHistory:
    """Train a classifier with Adam on shuffled mini-batches.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits (N, C) for C >= 2 classes (cross-entropy) or a single logit (N,) /
        (N, 1) (binary cross-entropy). A :class:`DeepGCNN` must have ``output="logits"``.
        Trained in place on its own device; left in eval mode.
    inputs : torch.Tensor or numpy.ndarray, shape (N, ...)
        Training inputs, e.g. one-hot (N, 4, L); moved to the model's device per batch.
    labels : torch.Tensor or numpy.ndarray, shape (N,)
        Integer class indices.
    epochs : int, default 10
        Passes over the data.
    batch_size : int, default 64
        Mini-batch size (the last batch may be smaller).
    lr : float, default 5e-4
        Adam learning rate.
    seed : int, numpy.random.Generator or None, default 0
        Seeds batch order and every torch random draw of the model (dropout) inside
        ``train_model``; the global torch random state is restored afterwards. Same seed, same
        initial weights, same device: same result.
    validation : tuple (inputs, labels), optional
        Evaluated after every epoch (eval mode).
    show_progress : bool, default True
        Show a tqdm bar over all batches with the last epoch's loss and balanced accuracy.

    Returns
    -------
    TrainingHistory
        Loss, balanced accuracy (and validation counterparts), seconds per epoch.

    Raises
    ------
    ValueError
        On mismatched or empty data, non-integer labels, bad sizes or rates, a model that
        returns probabilities, or outputs that are not classification logits.
    TypeError
        On inputs, seed, epochs or batch_size of the wrong type.

    Notes
    -----
    With Keras-style batch norm (PyTorch momentum 0.01) the moving statistics need a few
    hundred batches to settle, so on very small data sets eval-mode (validation) accuracy
    can lag training accuracy for the first epochs.
    """
    inputs, labels = _check_data(inputs, labels, "training")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise ValueError("validation must be a tuple (inputs, labels)")
        val_inputs, val_labels = _check_data(*validation, "validation")
    epochs, batch_size = check_int(epochs, "epochs"), check_int(batch_size, "batch_size")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if getattr(model, "output", "logits") == "probabilities":
        raise ValueError(
            "the model returns probabilities; train on logits (model.output = 'logits') and "
            "switch back afterwards if needed"
        )

    device = _model_device(model)
    _check_outputs(model, inputs[:1].to(device), int(labels.max()))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = inputs.shape[0]
    n_batches = -(-n // batch_size)
    history = TrainingHistory()
    fork_devices = list(range(torch.cuda.device_count())) if device.type == "cuda" else []
    with torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(_seed_int(seed))
        with tqdm(total=epochs * n_batches, disable=not show_progress, unit="batch") as bar:
            for epoch in range(epochs):
                start = time.perf_counter()
                bar.set_description(f"epoch {epoch + 1}/{epochs}")
                loss, accuracy = _train_epoch(model, optimizer, inputs, labels, batch_size, bar)
                history.loss.append(loss)
                history.balanced_accuracy.append(accuracy)
                postfix = {"loss": loss, "bal_acc": accuracy}
                if validation is not None:
                    outputs = predict(model, val_inputs, batch_size=max(batch_size, 256))
                    val_loss, val_classes = _loss_and_classes(
                        outputs, val_labels.to(outputs.device)
                    )
                    history.val_loss.append(float(val_loss))
                    history.val_balanced_accuracy.append(balanced_accuracy(val_labels, val_classes))
                    postfix["val_bal_acc"] = history.val_balanced_accuracy[-1]
                history.seconds.append(time.perf_counter() - start)
                bar.set_postfix({k: f"{v:.4f}" for k, v in postfix.items()})
    model.eval()
    return history


#: Deprecated alias of :func:`train_model` (removed in 0.3.0).
fit = renamed(train_model, "fit")


def _train_epoch(model, optimizer, inputs, labels, batch_size: int, bar) -> tuple[float, float]:
    """One shuffled pass in training mode; returns mean loss and balanced accuracy."""
    device = _model_device(model)
    model.train()
    n = inputs.shape[0]
    order = torch.randperm(n)
    loss_sum = torch.zeros((), device=device)
    predicted = []
    for i in range(0, n, batch_size):
        index = order[i : i + batch_size]
        loss, classes = _loss_and_classes(model(inputs[index].to(device)), labels[index].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * index.shape[0]
        predicted.append(classes)
        bar.update()
    accuracy = balanced_accuracy(labels[order], torch.cat(predicted).to(labels.device))
    return float(loss_sum) / n, accuracy


def _check_outputs(model: nn.Module, sample: torch.Tensor, max_label: int) -> None:
    """Probe one input in eval mode: outputs must be classification logits covering the labels."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outputs = model(sample)
    finally:
        model.train(was_training)
    if outputs.ndim == 2 and outputs.shape[1] >= 2:
        n_classes = outputs.shape[1]
    elif outputs.ndim == 1 or (outputs.ndim == 2 and outputs.shape[1] == 1):
        n_classes = 2
    else:
        raise ValueError(
            f"the model returned shape {tuple(outputs.shape)} for one input; train_model needs "
            "logits of shape (N, C) or single-output logits (N,) / (N, 1)"
        )
    if max_label >= n_classes:
        raise ValueError(f"labels go up to {max_label} but the model scores {n_classes} classes")
