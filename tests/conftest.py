import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
# the same draws on every run, so a plain `pytest` is reproducible; "thorough" explores
settings.register_profile("default", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=_QUIET)
settings.register_profile("ci", max_examples=20, deadline=None, derandomize=True,
                          suppress_health_check=_QUIET)
# a few examples, for the version matrix in .ci/run (several Pythons and NumPys in CI's time)
settings.register_profile("matrix", max_examples=5, deadline=None, derandomize=True,
                          suppress_health_check=_QUIET)
# many more random examples, to shake out flaky table cases before they reach CI:
# HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_rules_*.py
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else
                                     "default"))
