#!/usr/bin/env bash
# The CPU path of studies/fashion-7200-methods/train_on_gpu.sh: its dry run on this machine's CPU
# (CONVERGED_LOCAL=1, device=auto finds no GPU), on a tiny dataset, and what
# it brings back from the GPU machine. No GPU is used: the GPU run itself is
# studies/fashion-7200-methods/train_on_gpu.sh's job on the device machine.
#   1. a stripped checkpoint (scripts/strip_checkpoint_for_eval.py) evaluates exactly as
#      the whole one; `verify` and a resume refuse it as evaluation-only, and
#      eval still checks its model.h5 against the rewritten CRC;
#   2. a run that finishes before the deadline comes back as evaluation-only
#      checkpoints (no memory matrix), which studies/fashion-7200-methods/unpack_gpu_runs.sh unpacks
#      and `eval` reads;
#   3. a run still going at the deadline gets SIGUSR1, writes a checkpoint at
#      that iteration and exits 0; it comes back with its memory.h5, the
#      unpacked checkpoint verifies, and training resumes from it on 2 ranks:
#      4 iterations straight, and 2 + 2 with a stop between, each ending in a
#      checkpoint that verifies; the two are identical (model, Adam, every
#      memory row: tests/support/checkpoints.py), and after 2 iterations at
#      most the 2 x 8 rows of their batches differ from the 1-rank checkpoint,
#      at least one does (a step was taken, the rows went to the right ranks).
#      Checked by breaking: memory rows scattered wrongly on load (each
#      rank's rows reversed: 64 of 64 moved) and a memory write that does
#      nothing (0 moved) each fail here.
# usage: bash gpu_converged_cpu_path.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"
# Debian's Python, which python3-h5py installs into (a pyenv or venv python3
# first on PATH would not see it).
PY=/usr/bin/python3
"$PY" -c 'import h5py' 2>/dev/null || fail "$PY cannot import h5py: apt-get install python3-h5py (bash scripts/setup.sh installs it)"

# JSON number at a key path like reconstruction_mse.value
json_value() { "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$1" "$2"; }

step "prepare a tiny dataset"
DATA="$WORK/data/tiny.h5"
make_tiny_data "$WORK/idx" "$DATA" 64 20
TINY="data.path=$DATA train.batch_size=8 model.ngf=4 train.langevin_steps=2 sample.count=4 sample.steps=5 --no-pictures"
EVAL=(--samples 24 --batch-size 8 --test-limit 20 --classifier-epochs 1 --seed 3)

step "1. a stripped checkpoint evaluates as the whole one"
RUN="$WORK/run"
read -r -a tiny <<<"$TINY"
ok train "${MPIRUN[@]}" "$BIN" train --config "$CONFIG" --run-dir "$RUN" train.iterations=4 log.checkpoint_every=4 "${tiny[@]}"
# (the first eval trains and caches the FD classifier; a classifier loaded from
# the cache rounds its features differently from the one just trained, so
# both compared evals load it)
ok eval_cache "$BIN" eval --run-dir "$RUN" "${EVAL[@]}" --out "$WORK/cache.json"
ok eval_whole "$BIN" eval --run-dir "$RUN" "${EVAL[@]}" --out "$WORK/whole.json"
cp -r "$RUN" "$WORK/stripped"
ok strip "$PY" "$SRC/scripts/strip_checkpoint_for_eval.py" "$WORK/stripped/checkpoints/ckpt-00000004"
[[ ! -e $WORK/stripped/checkpoints/ckpt-00000004/memory.h5 ]] || fail "strip left the memory matrix"
small=$(stat -c %s "$WORK/stripped/checkpoints/ckpt-00000004/model.h5")
big=$(stat -c %s "$RUN/checkpoints/ckpt-00000004/model.h5")
((small < big)) || fail "stripped model.h5 is not smaller ($small vs $big bytes)"
ok eval_stripped "$BIN" eval --run-dir "$WORK/stripped" "${EVAL[@]}" --out "$WORK/stripped.json"
for key in reconstruction_mse.value fd_classifier.value; do
  a=$(json_value "$WORK/whole.json" $key) b=$(json_value "$WORK/stripped.json" $key)
  [[ $a == "$b" ]] || fail "$key: $a from the whole checkpoint, $b from the stripped one"
  echo "   $key $a from both"
done
fails_with verify_stripped "checkpoint '$WORK/stripped/checkpoints/ckpt-00000004' is evaluation-only" "$BIN" verify --run-dir "$WORK/stripped"
fails_with resume_stripped "is evaluation-only" "${MPIRUN[@]}" "$BIN" train --run-dir "$WORK/stripped" train.iterations=6
# a stripped model.h5 changed after the strip is still caught by its CRC
printf 'X' | dd of="$WORK/stripped/checkpoints/ckpt-00000004/model.h5" bs=1 seek=200 conv=notrunc status=none
fails_with eval_stripped_damaged "fails its checksum" "$BIN" eval --run-dir "$WORK/stripped" "${EVAL[@]}" --out "$WORK/damaged.json"

CONVERGED=(env CONVERGED_LOCAL=1 BIN="$BIN" PYTHON="$PY" SEEDS=1 NAMES=noise-langevin TRAIN_EXTRA="$TINY")

step "2. a run that finishes: evaluation-only checkpoints"
ok finished "${CONVERGED[@]}" ITERS=20 RUNS_DIR="$WORK/runs1" OUT="$WORK/out1" bash "$SRC/studies/fashion-7200-methods/train_on_gpu.sh"
need_file "$WORK/out1/noise-langevin-s1.tar.gz"
[[ ! -e $WORK/out1/noise-langevin-s1.memory.tar.gz ]] || fail "a finished run brought its memory matrix back"
ok unpack1 bash "$SRC/studies/fashion-7200-methods/unpack_gpu_runs.sh" "$WORK/out1" "$WORK/back1"
grep -qF "newest checkpoint ckpt-00000020 (evaluation only)" "$WORK/unpack1.out" || { cat "$WORK/unpack1.out" >&2; fail "unpack did not report the finished run"; }
n=$(ls -d "$WORK"/back1/noise-langevin-s1/checkpoints/ckpt-* | wc -l)
[[ $n == 10 ]] || fail "expected every tenth's checkpoint back, got $n"
ok eval_back "$BIN" eval --run-dir "$WORK/back1/noise-langevin-s1" --checkpoint "$WORK/back1/noise-langevin-s1/checkpoints/ckpt-00000010" \
  "${EVAL[@]}" --samples 0 --out "$WORK/back.json"
need_file "$WORK/back.json"

step "3. a run still going at the deadline: checkpoint at the signal, memory matrix back, resume"
ok stopped "${CONVERGED[@]}" ITERS=100000 BUDGET_S=30 PACK_RESERVE_S=20 RUNS_DIR="$WORK/runs2" OUT="$WORK/out2" \
  bash "$SRC/studies/fashion-7200-methods/train_on_gpu.sh"
grep -qF "deadline: SIGUSR1" "$WORK/stopped.out" || { cat "$WORK/stopped.out" >&2; fail "no deadline reached"; }
grep -qF "stop signal: checkpoint" "$WORK/runs2/noise-langevin-s1.log" || { cat "$WORK/runs2/noise-langevin-s1.log" >&2; fail "the rank did not checkpoint at the signal"; }
need_file "$WORK/out2/noise-langevin-s1.memory.tar.gz"
ok unpack2 bash "$SRC/studies/fashion-7200-methods/unpack_gpu_runs.sh" "$WORK/out2" "$WORK/back2"
grep -qF "(resumable)" "$WORK/unpack2.out" || { cat "$WORK/unpack2.out" >&2; fail "unpack did not find the stopped run resumable"; }
R2="$WORK/back2/noise-langevin-s1"
ok verify "$BIN" verify --run-dir "$R2"
stopped_at=$(sed -n 's/.* iteration \([0-9]*\) .*/\1/p' "$WORK/verify.out")
((stopped_at > 0 && stopped_at < 100000)) || fail "stopped at iteration '$stopped_at'"
echo "   stopped at iteration $stopped_at"
ckpt() { printf '%s/checkpoints/ckpt-%08d' "$1" "$2"; }
STOPPED="$WORK/stopped-ckpt"
cp -r "$(ckpt "$R2" "$stopped_at")" "$STOPPED"
CKPTS=("$PY" "$SRC/tests/support/checkpoints.py")
SPLIT="$WORK/resumed-split"
cp -r "$R2" "$SPLIT"
# (the saved config is used, with its 100,000 iterations: --max-iterations
# stops each invocation with a checkpoint)
RESUME=("${MPIRUN[@]}" "$BIN" train --config "$CONFIG" log.checkpoint_every=1000 "${tiny[@]}")
ok resume "${RESUME[@]}" --run-dir "$R2" --max-iterations 4
grep -q "resumed from .* at iteration $stopped_at (stage [0-9]*, written by 1 rank(s))" "$R2/logs/rank-00000.log" ||
  fail "no resume from iteration $stopped_at in $R2/logs/rank-00000.log"
ok resume-a "${RESUME[@]}" --run-dir "$SPLIT" --max-iterations 2
cp -r "$(ckpt "$SPLIT" $((stopped_at + 2)))" "$WORK/after-two"
ok resume-b "${RESUME[@]}" --run-dir "$SPLIT" --max-iterations 2
end=$((stopped_at + 4))
for run in "$R2" "$SPLIT"; do
  [[ "$(cat "$run/checkpoints/latest")" == "$(basename "$(ckpt "$run" $end)")" ]] || fail "$run does not end at iteration $end"
  ok "verify-$(basename "$run")" "$BIN" verify --run-dir "$run"
done
ok rows "${CKPTS[@]}" rows-changed "$STOPPED" "$WORK/after-two"
read -r changed total <"$WORK/rows.out"
((total == 64 && changed >= 1 && changed <= 16)) ||
  fail "2 iterations on 2 ranks changed $changed of $total memory rows (want 1 to 16, the rows of 2 batches of 8)"
ok same "${CKPTS[@]}" same "$(ckpt "$R2" $end)" "$(ckpt "$SPLIT" $end)"
echo "   resumed on 2 ranks from iteration $stopped_at: 4 straight = 2 + 2, bit for bit; $changed of $total rows moved in 2"
echo "PASS"
