#!/usr/bin/env bash
# fashion-reduced-budget (journal A.3-A.6, A.10's 2,400-iteration part): the
# paper's Tables 1 and 3 on the full Fashion-MNIST training split at 600 and
# 2,400 iterations of batch 64 (0.64 and 2.56 epochs), seeds 1-3, the quick
# preset's generator and method settings at its constant rate; the
# 2,400-iteration runs' FD under two more test-time samplers (1,000 prior
# Langevin steps of 0.1, and 60 of 0.4). README.md beside this file gives the
# design, what differs from the journal's runs and the measured run time.
#
#   bash studies/fashion-reduced-budget/run.sh     (resumable: run it again after a stop)
# Environment: studies/lib/study.sh (LATENTEBM_BIN, RUNS, SEEDS, RANKS).
STUDY=fashion-reduced-budget
source "$(dirname "$0")/../lib/study.sh"
SHORT=${SHORT:-600} ITERS=${ITERS:-2400}   # the study's budgets (smaller ones only for a smoke test of this script)

reproduce "$RUNS/$SHORT" $SHORT PARTS="methods noise ablation" METHODS="adaptive-ce gaussian single-stage non-adaptive lebm" \
  NOISES="persistent persistent-langevin langevin schedule-adaptive"
reproduce "$RUNS/$ITERS" $ITERS PARTS="methods noise ablation" \
  METHODS="adaptive-ce single-stage non-adaptive lebm lebm-our-elr" \
  NOISES="persistent persistent-langevin langevin schedule-adaptive schedule-adaptive-langevin"
# FD of the 2,400-iteration runs under 1,000 steps of 0.1 (bench/fd_sampler.sh's default jobs), then under
# LEBM's chains, 60 steps of 0.4, with the pair's stage ablation down to 0 stages
env RUNS="$RUNS/$ITERS" OUT="$RUNS/$ITERS/sampler-check" BIN="$BIN" bash bench/fd_sampler.sh
JOBS=$(for s in $SEEDS; do
  for k in 0 1 2 4; do echo "adaptive-ce $s $k"; echo "non-adaptive $s $k"; done
  for m in lebm lebm-our-elr noise-persistent noise-persistent-langevin single-stage schedule-adaptive \
    schedule-adaptive-langevin; do echo "$m $s"; done
done)
env RUNS="$RUNS/$ITERS" OUT="$RUNS/$ITERS/sampler-check" BIN="$BIN" SAMPLER="langevin 60 0.4" JOBS="$JOBS" bash bench/fd_sampler.sh
summarize
