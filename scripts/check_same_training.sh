#!/usr/bin/env bash
# Do two builds train the same? Trains one small fixed-seed run with each
# binary, on 1 rank and on 2 ranks, and compares the final checkpoints bit
# for bit (h5diff without a tolerance: every dataset and attribute of
# model.h5 and memory.h5: generator, prior, both Adam states, the memory
# matrix). Used for refactors that must not change behaviour (issue 49:
# "a fixed-seed run writes bit-identical checkpoints before and after");
# both binaries must be built against the same LibTorch and BLAS.
#
#   bash scripts/check_same_training.sh OLD_BINARY NEW_BINARY [DATA.h5]
#
# DATA.h5: a prepared dataset (default data/fashion-mnist.h5, made by
# scripts/fashion-mnist.sh); the runs read its first 256 training images.
# Exit 0: identical; 1: a difference (h5diff's report is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: check_same_training.sh OLD_BINARY NEW_BINARY [DATA.h5]}
NEW=${2:?usage: check_same_training.sh OLD_BINARY NEW_BINARY [DATA.h5]}
DATA=${3:-data/fashion-mnist.h5}
[[ -f $DATA ]] || { echo "check_same_training: no dataset $DATA (bash scripts/fashion-mnist.sh build/latentebm makes it)" >&2; exit 2; }
command -v h5diff >/dev/null || { echo "check_same_training: needs h5diff (apt-get install hdf5-tools)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPI=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING)
[[ $(id -u) -eq 0 ]] && MPI+=(--allow-run-as-root)
# Every stage (4 of them), the adaptive method, persistent-bank noise, a checkpoint mid-run.
ARGS=(train --config configs/fashion-mnist-quick.yaml "data.path=$DATA" data.train_limit=256 train.method=adaptive-ce
  train.iterations=24 train.stages=4 train.batch_size=16 train.prior_samples=persistent model.ngf=8 model.nz=8
  train.langevin_steps=3 train.prior_langevin_steps=3 train.seed=11 log.log_every=4 log.checkpoint_every=12
  log.tensorboard=off sample.count=8 sample.steps=3 --no-pictures)
status=0
for np in 1 2; do
  for who in old new; do
    bin=$OLD; [[ $who == new ]] && bin=$NEW
    "${MPI[@]}" -np "$np" "$bin" "${ARGS[@]}" --run-dir "$WORK/$who-$np" >"$WORK/$who-$np.log" 2>&1 ||
      { echo "check_same_training: the $who binary failed on $np rank(s):" >&2; tail -20 "$WORK/$who-$np.log" >&2; exit 2; }
  done
  ck=$(cat "$WORK/old-$np/checkpoints/latest")
  [[ $ck == "$(cat "$WORK/new-$np/checkpoints/latest")" ]] || { echo "$np rank(s): different last checkpoints"; status=1; continue; }
  for f in model.h5 memory.h5; do
    if h5diff -c "$WORK/old-$np/checkpoints/$ck/$f" "$WORK/new-$np/checkpoints/$ck/$f" >"$WORK/diff" 2>&1; then
      echo "$np rank(s), $ck/$f: identical"
    else
      echo "$np rank(s), $ck/$f: DIFFERENT"; head -30 "$WORK/diff"; status=1
    fi
  done
done
exit $status
