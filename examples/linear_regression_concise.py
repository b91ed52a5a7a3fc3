"""Concise linear regression (Dive into Deep Learning, section 3.3): a linear layer, the
mean squared error and ``cr.optim.SGD`` doing the update.

    python examples/linear_regression_concise.py [--epochs 3] [--plot loss.png]
"""
import argparse

import numpy as np

import chainrule as cr
from linear_regression_scratch import TRUE_B, TRUE_W, data_iter, plot_losses, synthetic_data


class Linear:
    """``X @ weight + bias``, parameters initialised as d2l's ``LazyLinear`` example."""

    def __init__(self, in_features, out_features, rng):
        self.weight = cr.tensor(rng.normal(0, 0.01, (in_features, out_features)),
                                requires_grad=True)
        self.bias = cr.tensor(np.zeros(out_features), requires_grad=True)

    def __call__(self, X):
        return X @ self.weight + self.bias

    def parameters(self):
        return [self.weight, self.bias]


def mse(y_hat, y):
    return np.mean((y_hat - y) ** 2)


def main(num_epochs=3, num_examples=1000, batch_size=10, lr=0.03, seed=0, plot=None):
    """Train; return ``(w, b, losses)`` with the mean training loss after each epoch."""
    rng = np.random.default_rng(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, num_examples, rng)
    net = Linear(2, 1, rng)
    trainer = cr.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels, rng):
            loss = mse(net(X), y)
            trainer.zero_grad()
            loss.backward()
            trainer.step()
        with cr.no_grad():
            losses.append(float(mse(net(features), labels)))
        print(f"epoch {epoch + 1}, loss {losses[-1]:f}")
    w, b = net.weight.numpy().ravel(), net.bias.item()
    print(f"error in estimating w: {TRUE_W - w}")
    print(f"error in estimating b: {TRUE_B - b}")
    if plot:
        plot_losses(losses, plot, "concise linear regression (cr.optim.SGD)")
    return w, b, losses


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--plot", help="write the loss curve to this PNG")
    args = ap.parse_args()
    main(num_epochs=args.epochs, plot=args.plot)
