#!/usr/bin/env bash
# One prepared GPU check: SASRec vs CausalRec seconds per epoch on LastFM, CUDA + bf16.
# Usage (on a machine with a CUDA GPU and the data in $CAUSALREC_DATA):
#   bash scripts/gpu_bench.sh [OUT_DIR]
# Writes OUT_DIR/bench-lastfm-cuda.json and a copy of what it printed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-results/bench}"
mkdir -p "$out"
python -m pip install --quiet --no-deps -e . >/dev/null
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
causalrec bench --dataset lastfm --preset paper --epochs 3 --device cuda --amp on \
  --no-progress --out "$out/bench-lastfm-cuda.json" 2>&1 | tee "$out/bench-lastfm-cuda.txt"
