"""Small, runnable reproductions of Pascanu, Mikolov and Bengio (2013), "On the difficulty
of training recurrent neural networks", scaled down to run in a minute or two on a laptop
CPU with nothing but minigrad.

``exploding`` shows why recurrent gradients vanish or explode: the gradient with respect to
the first hidden state of a tanh RNN shrinks or grows geometrically with the sequence
length, as the recurrent matrix's spectral radius is below or above 1; and on the "cliff"
of a one-unit RNN, a plain gradient step is thrown far away where clipping the gradient
norm keeps descending::

    python -m minigrad.experiments.exploding [--output DIR] [--seed N]

``temporal_order`` trains a 50-unit tanh RNN with plain SGD on the temporal-order task,
where the class depends on two symbols far apart in a noisy sequence, with and without
gradient-norm clipping, and reports which runs solve it and how the gradient norm behaved::

    python -m minigrad.experiments.temporal_order [--output DIR] [--lengths 20 50]
        [--seeds 0 1] [--steps N] [--workers N]

Each prints its tables and writes its plots (PNG) to ``--output`` (default: the current
folder). ``common`` holds what both use. Each module's functions return the table data, so
tests can run them on tiny configurations.
"""
