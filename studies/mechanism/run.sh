#!/usr/bin/env bash
# mechanism (journal A.2, A.14): the generator-free study. KL(q || p) of each
# method's prior fitted to a fixed 8-D mixture of four Gaussians standing in
# for the aggregate posterior, every method with the same number of network
# updates (4 stages x 300, or 1,200 for one network), seeds 1-3
# (bench/bench_mechanism; README.md beside this file).
#
#   bash studies/mechanism/run.sh      -> studies/mechanism/mechanism.md (and its log under RUNS)
# Environment: studies/lib/study.sh (LATENTEBM_BIN: bench_mechanism is its build's bench/bench_mechanism).
STUDY=mechanism
source "$(dirname "$0")/../lib/study.sh"
MECH=$(dirname "$BIN")/bench/bench_mechanism
[[ -x $MECH ]] || { echo "mechanism: no $MECH: build the benches (cmake --build build)" >&2; exit 1; }
log "bench_mechanism, seeds 1-3, 300 iterations a stage, every method, importance noise with 100 proposals"
"$MECH" --seeds 3 --stage-iters 300 --proposals 100 --out "$RUNS/mechanism.md" >"$RUNS/mechanism.log" 2>&1 ||
  { log "FAILED: bench_mechanism (see $RUNS/mechanism.log)"; exit 1; }
cp "$RUNS/mechanism.md" studies/mechanism/mechanism.md
log "done in $(((SECONDS - START) / 60)) min: studies/mechanism/mechanism.md"
