# The Fashion-MNIST runs of docs/RESULTS.md, defined once: the `train`
# arguments every run shares and each named run's overrides. Sourced by
# bench/reproduce.sh (CPU) and studies/gpu-study/run.sh (GPU), so a table row means
# the same settings wherever it was measured.
#
#   run_args NAME ITERS   sets the array RUN_ARGS to run NAME's `train`
#                         arguments at ITERS iterations (the caller adds the
#                         seed, the run directory and any data or device keys)
#
# Shared: the quick preset's generator and method settings
# (configs/fashion-mnist-quick.yaml explains them), the full training split,
# a checkpoint every tenth of training, all ten kept (the convergence check
# evaluates the ones at 50/80/90 %), and the reference test-time sampler of
# every table's "FD" column, 100 prior Langevin steps at delta 0.1 (the
# preset's own, 60 steps of 0.4, is the tables' other column:
# bench/fd_sampler.sh).
RUNS_PRESET=configs/fashion-mnist-quick.yaml

# config_value KEY FILE: a config file's (a preset's, a run's config.yaml)
# value of KEY, a key of its section; the first such line.
config_value() { sed -n "s/^ *$1: *//p" "$2" | head -1; }
# preset_value KEY: the preset's value of KEY
preset_value() { config_value "$1" "$RUNS_PRESET"; }

run_args() {
  local name=$1 iters=$2
  RUN_ARGS=(--config "$RUNS_PRESET" data.train_limit=0 train.iterations="$iters" log.log_every=20
            log.checkpoint_every=$((iters / 10)) log.keep_checkpoints=10 sample.steps=100 sample.delta=0.1)
  case $name in
    # methods: adaptive-ce with the main job's noise source (langevin, which
    # samples p_k for both methods: docs/journal A.3) and schedule, and the
    # baselines; LEBM brings its reference settings (method traits)
    adaptive-ce | gaussian | single-stage | non-adaptive | lebm)
      RUN_ARGS+=(train.method="$name") ;;
    # earlier tables' name for non-adaptive with langevin noise, from when the
    # main job's noise was persistent-langevin (docs/journal A.12)
    non-adaptive-langevin) run_args non-adaptive "$iters" ;;
    # non-adaptive with adaptive-ce's `importance` noise (it reads no bank,
    # so it samples p_k for both methods): the fair pair of docs/journal A.14
    non-adaptive-importance) RUN_ARGS+=(train.method=non-adaptive train.prior_samples=importance) ;;
    # non-adaptive with the persistent bank, the paper's own protocol for
    # both methods (its bank holds posteriors under N(0, I)): issue 47
    non-adaptive-persistent) RUN_ARGS+=(train.method=non-adaptive train.prior_samples=persistent) ;;
    # LEBM at our ratio learning rate: the same tuning budget as ours
    lebm-our-elr) RUN_ARGS+=(train.method=lebm train.e_lr="$(preset_value e_lr)") ;;
    # adaptive-ce with each noise source, fixed schedule (noise-langevin has
    # the main job's settings: the same run as adaptive-ce)
    noise-persistent | noise-langevin | noise-persistent-langevin | noise-importance)
      RUN_ARGS+=(train.prior_samples="${name#noise-}" train.stage_schedule=fixed) ;;
    # the GPU study's name for noise-langevin (the preset's method is adaptive-ce)
    adaptive-ce-langevin) run_args noise-langevin "$iters" ;;
    # the plateau rule with the main job's noise, stages of any length
    schedule-adaptive) RUN_ARGS+=(train.stage_schedule=adaptive) ;;
    # the plateau rule with langevin noise; a stage that does not plateau ends
    # where the fixed schedule's would, so the schedule can only move
    # iterations to later stages
    schedule-adaptive-langevin)
      RUN_ARGS+=(train.stage_schedule=adaptive train.prior_samples=langevin
                 train.max_stage_iterations=$((iters / $(preset_value stages)))) ;;
    # any run above with the generator's learning rate decayed to 0 at the
    # end by half a cosine (train.g_lr_schedule): does the generator
    # converge at the budget? (docs/journal A.16)
    *-cosine)
      run_args "${name%-cosine}" "$iters" || return 1
      RUN_ARGS+=(train.g_lr_schedule=cosine) ;;
    # the same decay from twice the preset's generator rate (its peak is
    # higher, so its mean rate is the constant run's): docs/journal A.17-A.18
    *-cosine2x)
      run_args "${name%-cosine2x}" "$iters" || return 1
      RUN_ARGS+=(train.g_lr_schedule=cosine train.g_lr="$(awk -v r="$(preset_value g_lr)" 'BEGIN { printf "%g", 2 * r }')") ;;
    # LEBM at another energy learning rate (its sweep): lebm-elr1e-4, and
    # lebm-elr1e-4-cosine2x through the suffixes above (after them, so the
    # suffix is not read as part of the rate)
    lebm-elr*)
      local rate=${name#lebm-elr}
      [[ $rate =~ ^[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$ ]] ||
        { echo "bench/runs.sh: '$name': lebm-elrRATE needs a number, e.g. lebm-elr1e-4" >&2; return 1; }
      RUN_ARGS+=(train.method=lebm train.e_lr="$rate") ;;
    *) echo "bench/runs.sh: no run named '$name'" >&2; return 1 ;;
  esac
}
