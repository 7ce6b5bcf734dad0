#!/usr/bin/env bash
# gpu-study (journal A.7): adaptive-ce and non-adaptive with `langevin` noise,
# LEBM at its reference settings and at the ratio networks' e_lr, seeds 1-3,
# all twelve runs side by side on one GPU for as many iterations as the
# lease allows (launch/gpu_study.sh; README.md beside this file). It runs on
# the device tool's GPU machine, not here:
#
#   here:  bash scripts/gpu_deps.sh --prebuilt && bash scripts/gpu_study_data.sh
#   there: run(command="BUDGET_S=560 bash studies/gpu-study/run.sh", carry=[".gpu-data"])
#
# Output under RUNS (default runs/studies/gpu-study): gpu_study.log,
# gpu_study.md (the tables, gpu_study_tables.py) and runs.tar.gz.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${RUNS:-$PWD/runs/studies/gpu-study} exec bash launch/gpu_study.sh
