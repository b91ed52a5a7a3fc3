#!/bin/bash
# Everything chainrule checks on a GPU, in one run (about 4 minutes on an H200): versions,
# the CuPy tests, the gpu-* benchmarks, and the whole suite on that machine's NumPy.
# Logs go to $OUT (default: gpu-results/).  Needs CuPy, and PyTorch/JAX for their rows.
export PYTHONUNBUFFERED=1 PYTHONPATH=src:.
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
{ nvidia-smi -L; python3 -c "import sys, numpy, cupy, torch, jax, scipy; print(sys.version); print('numpy', numpy.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__, 'jax', jax.__version__, 'scipy', scipy.__version__)"; python3 -c "import pytest, hypothesis; print('pytest', pytest.__version__, 'hypothesis', hypothesis.__version__)"; python3 -c "import xdist; print('xdist ok')"; } 2>&1 | tee "$OUT"/info.log
echo "=== cupy tests"
timeout 150 python3 -m pytest -q -p no:cacheprovider -rs tests/test_scale_backends.py tests/test_benchmarks_smoke.py -k "cupy or gpu" 2>&1 | tee "$OUT"/cupy_tests.log | tail -40
echo "=== gpu benchmarks"
timeout 170 python3 -m benchmarks --workloads gpu-overhead gpu-mlp --repeats 10 --rounds 2 --no-progress --json "$OUT"/gpu.json 2>&1 | tee "$OUT"/gpu_bench.log
echo "=== full suite on the device's numpy (JAX on CPU)"
JAX_PLATFORMS=cpu timeout ${FULL_T:-130} python3 -m pytest -q -p no:cacheprovider -n 16 --maxfail=40 tests 2>&1 | tee "$OUT"/full.log | tail -30
