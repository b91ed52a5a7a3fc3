"""chainrule's benchmarks: ``python -m benchmarks`` (see :mod:`benchmarks.run`)."""
