#!/usr/bin/env bash
# Storage faults (issue 48): a full disk (ENOSPC) or a failing device (EIO) at
# each write the program makes, through the real CLI on 2 MPI ranks:
#   - injected (LATENTEBM_INJECT=enospc|eio:write.<what>:<rank>:<n>, see
#     io/write_fault.h) at the checkpoint's memory.h5, model.h5,
#     manifest.json and latest, a metrics.jsonl row, a TensorBoard record,
#     config.yaml, `prepare`'s dataset and `export`'s files;
#   - for real: the run directory on a small tmpfs that fills up during the run.
# Each: the job fails with an error naming the path and the errno's text;
# `latest` still names a checkpoint that verifies; no half-written file is
# left where a complete one is expected (a checkpoint folder without .tmp, a
# dataset, an export); the same command, rerun with room, resumes and finishes.
# usage: bash storage_faults.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"

step "tiny dataset"
DATA="$WORK/tiny.h5"
make_tiny_data "$WORK/idx" "$DATA" 64 16

TRAIN=(train --config "$CONFIG" "data.path=$DATA" data.train_limit=0 train.iterations=12 train.batch_size=8 model.ngf=4
  model.nz=8 train.langevin_steps=2 log.log_every=2 log.checkpoint_every=4 log.keep_checkpoints=5 sample.count=8
  sample.steps=5 runtime.collective_timeout_s=60)
latest_of() { cat "$1/checkpoints/latest"; }
text_of() { [[ $1 == enospc ]] && echo "No space left on device" || echo "Input/output error"; }

# After a failed run: latest is ckpt-00000004 and verifies; no ckpt-00000008
# folder passes for complete (the failed save's leftovers end in .tmp); the
# same command then resumes from ckpt-00000004, finishes at 12 and verifies.
expect_intact_then_resume() {
  local name=$1 run=$2
  [[ "$(latest_of "$run")" == ckpt-00000004 ]] || fail "$name: latest is '$(latest_of "$run")', not ckpt-00000004"
  ok "verify-$name" "$BIN" verify --run-dir "$run"
  grep -qF "ok $run/checkpoints/ckpt-00000004 iteration 4" "$WORK/verify-$name.out" || fail "$name: verify did not accept ckpt-00000004"
  # A failed write of latest comes after the rename: ckpt-00000008 is then complete
  # (it verifies) but unpublished, as after a kill at that point; before it, there is none.
  if [[ $name == *write.latest ]]; then
    ok "verify-8-$name" "$BIN" verify --checkpoint "$run/checkpoints/ckpt-00000008"
  else
    [[ ! -e "$run/checkpoints/ckpt-00000008" ]] || fail "$name: a ckpt-00000008 folder was published after a failed save"
  fi
  ok "resume-$name" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$run" --no-pictures
  grep -qF "resumed from $run/checkpoints/ckpt-00000004 at iteration 4" "$run/logs/rank-00000.log" ||
    fail "$name: the rerun did not resume from ckpt-00000004"
  [[ "$(latest_of "$run")" == ckpt-00000012 ]] || fail "$name: the rerun ended with latest '$(latest_of "$run")'"
  ok "verify-final-$name" "$BIN" verify --run-dir "$run"
  [[ -z "$(find "$run/checkpoints" -name '*.tmp*')" ]] || fail "$name: leftovers of the failed save remain: $(ls "$run/checkpoints")"
}

# ------------------------------------------------------------ checkpoint writes
# The second save (iteration 8) fails at each of its files; the path each error names.
# (Each file once, each of ENOSPC and EIO twice: the code path does not depend on the errno.)
for spec in enospc:write.memory:ckpt-00000008.tmp/memory.h5 eio:write.model:ckpt-00000008.tmp/model.h5 \
  eio:write.manifest:ckpt-00000008.tmp/manifest.json enospc:write.latest:latest.tmp; do
  IFS=: read -r action point file <<<"$spec"
  name="$action-$point"
  step "$action at $point of the second save"
  RUN="$WORK/$name"
  fails_with "$name" "cannot write '$RUN/checkpoints/$file': $(text_of "$action")" \
    env LATENTEBM_INJECT="$action:$point:0:2" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" --run-dir "$RUN"
  grep -qF "(the previous checkpoint is intact)" "$WORK/$name.out" || fail "$name: the error does not say the previous checkpoint is intact"
  expect_intact_then_resume "$name" "$RUN"
done

# ------------------------------------------------------------ metrics.jsonl
step "enospc at the 6th metrics.jsonl row: the row is cut, the rerun's rows are whole"
RUN="$WORK/metrics"
fails_with metrics "cannot write '$RUN/metrics.jsonl': No space left on device" \
  env LATENTEBM_INJECT="enospc:write.metrics:0:6" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" --run-dir "$RUN"
before=$(latest_of "$RUN")
ok verify-metrics "$BIN" verify --run-dir "$RUN"
ok resume-metrics "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" --no-pictures
grep -qF "resumed from $RUN/checkpoints/$before" "$RUN/logs/rank-00000.log" || fail "metrics: the rerun did not resume from $before"
[[ "$(latest_of "$RUN")" == ckpt-00000012 ]] || fail "metrics: the rerun ended with latest '$(latest_of "$RUN")'"
# Exactly one line (the cut row) does not parse; the rows after it, the rerun's, are all there.
python3 - "$RUN/metrics.jsonl" <<'EOF' || fail "metrics.jsonl after a cut row: see above"
import json, sys
bad, its = 0, []
for line in open(sys.argv[1]):
    try:
        its.append(json.loads(line).get("iteration"))
    except ValueError:
        bad += 1
if bad != 1:
    sys.exit(f"expected exactly 1 cut line, found {bad}")
print("   metrics.jsonl: 1 cut line; iterations of the whole rows:", its)
EOF
grep -c '"iteration":12' "$RUN/metrics.jsonl" >/dev/null || fail "metrics: the rerun's row of iteration 12 is missing"

# ------------------------------------------------------------ TensorBoard, config.yaml
if grep -qaF "brain.Event:2" "$BIN"; then  # a build with TensorBoard support
  step "eio at the 4th TensorBoard record"
  RUN="$WORK/tensorboard"
  fails_with tensorboard "Input/output error" \
    env LATENTEBM_INJECT="eio:write.tensorboard:0:4" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" --run-dir "$RUN" \
    log.tensorboard=on
  grep -qF "TensorBoard events: cannot write '$RUN/tensorboard/events.out.tfevents." "$WORK/tensorboard.out" ||
    fail "tensorboard: the error does not name the events file"
fi

step "enospc writing config.yaml at start-up: nothing trained, the rerun starts"
RUN="$WORK/config"
fails_with config "cannot write '$RUN/config.yaml.tmp." \
  env LATENTEBM_INJECT="enospc:write.file:0:1" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" --run-dir "$RUN"
grep -qF "No space left on device" "$WORK/config.out" || fail "config: no ENOSPC text"
[[ -z "$(find "$RUN" -name 'config.yaml*')" ]] || fail "config: a config.yaml (or its temporary) was left: $(ls "$RUN")"
ok config-rerun "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" --no-pictures --max-iterations 4
[[ "$(latest_of "$RUN")" == ckpt-00000004 ]] || fail "config: the rerun did not train"

# ------------------------------------------------------------ prepare, export
for action in enospc eio; do
  step "$action writing prepare's dataset: no file left, the rerun writes it"
  OUT="$WORK/prepared-$action.h5"
  fails_with "prepare-$action" "cannot write '$OUT.tmp': $(text_of "$action")" \
    env LATENTEBM_INJECT="$action:write.dataset:0:1" "$BIN" prepare idx --dir "$WORK/idx" --out "$OUT"
  [[ ! -e $OUT && ! -e $OUT.tmp ]] || fail "prepare-$action: a dataset file was left behind"
  ok "prepare-rerun-$action" "$BIN" prepare idx --dir "$WORK/idx" --out "$OUT"
  h5diff "$OUT" "$DATA" >/dev/null || fail "prepare-$action: the rerun's dataset differs from the first one's"
done

step "eio writing export's generator.pt: no file passes for complete"
RUN="$WORK/enospc-write.memory"  # finished at 12 above
fails_with export "cannot write '$WORK/export/generator.pt.tmp." \
  env LATENTEBM_INJECT="eio:write.export:0:1" "$BIN" export --run-dir "$RUN" --out "$WORK/export"
[[ ! -e "$WORK/export/generator.pt" && -z "$(find "$WORK/export" -name '*.tmp*' 2>/dev/null)" ]] ||
  fail "export: a partial file is left: $(ls "$WORK/export")"
ok export-rerun "$BIN" export --run-dir "$RUN" --out "$WORK/export"
need_file "$WORK/export/generator.pt"

# ------------------------------------------------------------ a real full disk
# The run directory on a tmpfs with room for the first checkpoint only: the
# disk fills during the second save (or a metrics row before it). Needs root
# and mount(8); skipped (with a line saying so) where the machine forbids it.
FS="$WORK/smallfs"
mkdir -p "$FS"
if mount -t tmpfs -o size=4m tmpfs "$FS" 2>/dev/null; then
  trap 'umount "$FS" 2>/dev/null || true; rm -rf "$WORK"' EXIT
  step "a real full disk (tmpfs) during the second save"
  RUN="$FS/run"
  ok full-first "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" --no-pictures --max-iterations 4
  ckpt_kb=$(du -sk "$RUN/checkpoints/ckpt-00000004" | cut -f1)
  free_kb=$(df -k --output=avail "$FS" | tail -1)
  # Leave half a checkpoint's room plus 64 KiB (config.yaml, log lines, metrics rows).
  fill_kb=$((free_kb - ckpt_kb / 2 - 64))
  ((fill_kb > 0)) || fail "full disk: the 4 MiB tmpfs is too small for this checkpoint ($ckpt_kb KiB)"
  dd if=/dev/zero of="$FS/filler" bs=1k count="$fill_kb" status=none
  echo "   checkpoint $ckpt_kb KiB; $(df -k --output=avail "$FS" | tail -1) KiB left"
  fails_with full "No space left on device" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" --no-pictures
  grep -qE "'$RUN/[^']*'" "$WORK/full.out" || fail "full disk: the error names no path under the run directory"
  [[ "$(latest_of "$RUN")" == ckpt-00000004 ]] || fail "full disk: latest is '$(latest_of "$RUN")'"
  ok verify-full "$BIN" verify --run-dir "$RUN"
  [[ ! -e "$RUN/checkpoints/ckpt-00000008" ]] || fail "full disk: a ckpt-00000008 folder was published"
  rm -f "$FS/filler"
  expect_intact_then_resume full-rerun "$RUN"
  umount "$FS" || true
else
  echo "   (no real full disk: mount -t tmpfs is not allowed here; the injected faults above still ran)"
fi
echo "storage faults: all checks passed"
