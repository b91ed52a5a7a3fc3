"""Linear regression from scratch (Dive into Deep Learning, section 3.2), with chainrule.

Synthetic data ``y = X w + b + noise``; a hand-written minibatch SGD on tensors that
require grad; the loss per epoch is printed (and plotted with ``--plot loss.png``).

    python examples/linear_regression_scratch.py [--epochs 3] [--plot loss.png]
"""
import argparse

import numpy as np

import chainrule as cr

TRUE_W, TRUE_B = np.array([2.0, -3.4]), 4.2


def synthetic_data(w, b, num_examples, rng):
    """``y = X w + b + noise``, as d2l's ``synthetic_data``."""
    X = rng.normal(0, 1, (num_examples, len(w)))
    y = X @ w + b + rng.normal(0, 0.01, num_examples)
    return X, y.reshape(-1, 1)


def data_iter(batch_size, features, labels, rng):
    indices = rng.permutation(len(features))
    for i in range(0, len(features), batch_size):
        j = indices[i:i + batch_size]
        yield features[j], labels[j]


def linreg(X, w, b):
    return X @ w + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent, written by hand as in d2l."""
    with cr.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad = None


def main(num_epochs=3, num_examples=1000, batch_size=10, lr=0.03, seed=0, plot=None):
    """Train; return ``(w, b, losses)`` with the mean training loss after each epoch."""
    rng = np.random.default_rng(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, num_examples, rng)
    w = cr.tensor(rng.normal(0, 0.01, (2, 1)), requires_grad=True)
    b = cr.tensor(np.zeros(1), requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels, rng):
            loss = squared_loss(linreg(X, w, b), y)
            loss.sum().backward()
            sgd([w, b], lr, batch_size)
        with cr.no_grad():
            train_l = float(squared_loss(linreg(features, w, b), labels).mean())
        losses.append(train_l)
        print(f"epoch {epoch + 1}, loss {train_l:f}")
    print(f"error in estimating w: {TRUE_W - w.numpy().ravel()}")
    print(f"error in estimating b: {TRUE_B - b.item()}")
    if plot:
        plot_losses(losses, plot, "linear regression from scratch")
    return w.numpy().ravel(), b.item(), losses


def plot_losses(losses, path, title):
    """Write the loss curve to ``path`` (a PNG) with matplotlib's Agg backend."""
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(range(1, len(losses) + 1), losses, marker="o")
    ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title=title)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--plot", help="write the loss curve to this PNG")
    args = ap.parse_args()
    main(num_epochs=args.epochs, plot=args.plot)
