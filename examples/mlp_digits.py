"""A multilayer perceptron on scikit-learn's bundled digits (8x8 images, no download),
trained with ``cr.optim.Adam`` on minibatches; prints (or plots) the loss curve and the
test accuracy.  Needs scikit-learn (``pip install 'chainrule[examples]'``).

    python examples/mlp_digits.py [--epochs 20] [--plot loss.png]
"""
import argparse

import numpy as np

import chainrule as cr


def load(seed=0, n=None):
    """Digits scaled to [0, 1], split 75/25 into train and test (optionally the first n)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    X, y = load_digits(return_X_y=True)
    if n is not None:
        X, y = X[:n], y[:n]
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=seed, stratify=None)


def init_mlp(sizes, rng):
    """He-initialised weights and zero biases, one (W, b) pair of tensors per layer."""
    return [(cr.tensor(rng.normal(0, np.sqrt(2 / m), (m, n)), requires_grad=True),
             cr.tensor(np.zeros(n), requires_grad=True)) for m, n in zip(sizes, sizes[1:])]


def forward(params, X):
    for W, b in params[:-1]:
        X = np.maximum(X @ W + b, 0)            # ReLU
    W, b = params[-1]
    return X @ W + b


def cross_entropy(logits, y):
    """Mean softmax cross-entropy, with the max subtracted for stability."""
    z = logits - np.max(logits, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(y)), y])


def main(num_epochs=20, hidden=64, batch_size=32, lr=1e-2, seed=0, n=None, plot=None):
    """Train; return ``(test_accuracy, losses)`` with the mean loss of each epoch."""
    rng = np.random.default_rng(seed)
    X_train, X_test, y_train, y_test = load(seed, n)
    params = init_mlp([64, hidden, 10], rng)
    opt = cr.optim.Adam([p for layer in params for p in layer], lr=lr)
    losses = []
    for epoch in range(num_epochs):
        order = rng.permutation(len(X_train))
        total = 0.0
        for i in range(0, len(order), batch_size):
            j = order[i:i + batch_size]
            loss = cross_entropy(forward(params, X_train[j]), y_train[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(j)
        losses.append(total / len(order))
        print(f"epoch {epoch + 1:3d}  loss {losses[-1]:.4f}")
    with cr.no_grad():
        pred = np.argmax(forward(params, X_test).numpy(), axis=1)
    accuracy = float(np.mean(pred == y_test))
    print(f"test accuracy {accuracy:.3f}")
    if plot:
        from linear_regression_scratch import plot_losses
        plot_losses(losses, plot, "MLP on digits (cr.optim.Adam)")
    return accuracy, losses


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--plot", help="write the loss curve to this PNG")
    args = ap.parse_args()
    main(num_epochs=args.epochs, plot=args.plot)
