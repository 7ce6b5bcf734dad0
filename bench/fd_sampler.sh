#!/usr/bin/env bash
# FD of finished bench/reproduce.sh runs under another test-time sampler than
# the reference one they were evaluated with (100 prior Langevin steps at
# delta 0.1 from N(0, I)): `latentebm eval --sample-method/--sample-steps/
# --sample-delta/--sir-proposals` on each run's final checkpoint, same seeds and sample count
# as reproduce.sh, one rank each. Results whose JSON exists are not redone;
# the table goes to $OUT/tables.md (studies/lib/fd_sampler_tables.py).
#
#   usage: bash bench/fd_sampler.sh      (from the repository root)
# Environment:
#   RUNS     the reproduce.sh OUT to read (default runs/reproduce, its default)
#   OUT      where the JSONs and the table go (default runs/sampler-check)
#   SAMPLER  "langevin N", "langevin N DELTA" (step size; default the run's
#            sample.delta) or "sir N" (default "langevin 1000")
#   JOBS     "NAME SEED STAGES" lines (STAGES empty: the run's trained stages);
#            default: adaptive-ce and non-adaptive with 1/2/4 stages, lebm
#            (both e_lr), the other noise sources, single-stage and both
#            adaptive schedules, seeds 1-3
#            (0 stages, chains on N(0, I), is left out: they barely move
#            their start, FD 134.2 vs 135.5 under 60 steps of 0.4, A.10)
#   BIN      the latentebm binary (default build/latentebm, as reproduce.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/reproduce}
OUT=${OUT:-runs/sampler-check}
read -r METH N DELTA <<<"${SAMPLER:-langevin 1000}"
BIN=${BIN:-build/latentebm}
[[ -x $BIN ]] || { echo "fd_sampler: build first (bash scripts/setup.sh)" >&2; exit 1; }
if [[ -z ${JOBS:-} ]]; then
  JOBS=$(for s in 1 2 3; do
    for k in 1 2 4; do echo "adaptive-ce $s $k"; echo "non-adaptive $s $k"; done
    for m in lebm lebm-our-elr noise-persistent noise-persistent-langevin noise-importance single-stage schedule-adaptive \
      schedule-adaptive-langevin; do echo "$m $s"; done
  done)
fi
case $METH in
  langevin) S=(--sample-method langevin --sample-steps "$N" ${DELTA:+--sample-delta "$DELTA"}) ;;
  sir) S=(--sample-method sir --sir-proposals "$N") ;;
  *) echo "fd_sampler: SAMPLER must be 'langevin N', 'langevin N DELTA' or 'sir N'" >&2; exit 1 ;;
esac
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
mkdir -p "$OUT"
while read -r name s k; do
  [[ -n $name ]] || continue
  out=$OUT/$name-s$s-$METH-$N${DELTA:+-d$DELTA}-k${k:-all}.json
  [[ -f $out ]] && continue
  [[ -f $RUNS/$name-s$s/eval.json ]] || { echo "not finished yet: $RUNS/$name-s$s"; continue; }
  "$BIN" eval --run-dir "$RUNS/$name-s$s" ${k:+--stages "$k"} --samples 1000 --test-limit 100 --seed "$s" "${S[@]}" \
    --out "$out" >"${out%.json}.log" 2>&1 || { echo "FAILED: $out (see ${out%.json}.log)"; continue; }
  echo "$name seed $s stages ${k:-all}: FD $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['fd_classifier']['value'])" "$out")"
done <<<"$JOBS"
python3 studies/lib/fd_sampler_tables.py "$RUNS" "$OUT" > "$OUT/tables.md"
echo "table: $OUT/tables.md"
