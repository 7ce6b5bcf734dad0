#include "app/loaded_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "data/dataset.h"
#include "method.h"
#include "model/precision.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace latentebm::app {

std::string checkpoint_of(const ModelSource& src, const std::string& missing_hint) {
  if (src.checkpoint) return *src.checkpoint;
  if (!src.run_dir) throw std::runtime_error("give --run-dir DIR (or --checkpoint DIR)");
  auto latest = latest_checkpoint(*src.run_dir);
  if (!latest) throw std::runtime_error("run directory '" + *src.run_dir + "' has no checkpoint" + missing_hint);
  return *latest;
}

LoadedRun load_run(const ModelSource& src) {
  LoadedRun r;
  r.ckpt = checkpoint_of(src, " yet; train it first");
  const auto meta = read_checkpoint_meta(r.ckpt);
  // The run's config with the step size training ended with (a rollback of
  // the divergence guard lowers it: its state in the checkpoint).
  r.cfg = parse_config(meta.config_yaml, r.ckpt + "/model.h5");
  r.cfg = with_settings_in_effect(r.cfg, settings_in_effect(meta.guard_json, r.cfg));
  r.device = resolve_device(r.cfg.runtime.device);
  const auto info = data::inspect_dataset(r.cfg.data.path);
  r.g = Generator(r.cfg.model.generator, r.cfg.model.nz, r.cfg.model.ngf, info.c);
  r.prior = MultiStagePrior(r.cfg.model.nz, r.cfg.train.stages, r.cfg.model.ratio_hidden);
  // Its size and CRC-32 first: a damaged file fails here with advice, not
  // inside HDF5 (which can crash on one) or as silently wrong weights.
  verify_checkpoint(r.ckpt, "model.h5");
  load_model_parameters(r.ckpt, r.g, r.prior);
  r.g->to(r.device);
  r.prior->to(r.device);
  // The run's runtime.precision and runtime.cuda_graph apply to sampling,
  // reconstruction, evaluation and scoring as they did to training.
  apply_runtime(r.g, r.cfg.runtime.precision, r.cfg.runtime.cuda_graph == Switch::kOn, r.device);
  return r;
}

int64_t prior_stages(const std::optional<int64_t>& requested, const LoadedRun& r) {
  if (requested) {
    const int64_t k = *requested;
    if (k < 0 || k > r.cfg.train.stages)
      throw std::runtime_error("--stages must be in [0, " + std::to_string(r.cfg.train.stages) + "]");
    return k;
  }
  const auto meta = read_checkpoint_meta(r.ckpt);
  const auto info = data::inspect_dataset(r.cfg.data.path);
  const int64_t n = r.cfg.data.train_limit > 0 ? std::min(r.cfg.data.train_limit, info.n_train) : info.n_train;
  // A finished run has trained stages 0..stage: all K under the fixed
  // schedule, possibly fewer under train.stage_schedule=adaptive when a stage
  // never plateaued (its later ratio networks never trained and stay out).
  // T as the run resolved it (recorded since format 3; a per-rank batch
  // makes it depend on the rank count), else from the config.
  const int64_t T = meta.total_iterations > 0 ? meta.total_iterations : total_iterations(r.cfg, n);
  if (meta.iteration >= T) {
    const int64_t trained = stages_through(meta.stage, r.cfg.train.stages);
    if (trained < r.cfg.train.stages)
      spdlog::info("the adaptive schedule trained {} of {} stages: using those", trained, r.cfg.train.stages);
    return trained;
  }
  // LEBM's energy is its prior at every iteration: posterior and prior
  // Langevin use it while it learns, so there is no unfinished network to
  // leave out. (Leaving it out would score LEBM's generator under N(0, I).)
  if (traits(r.cfg.train.method).posterior == PosteriorPrior::kWithActive) {
    const int64_t k = stages_through(meta.stage, r.cfg.train.stages);
    spdlog::info("checkpoint {} is from an unfinished {} run: using its energy as learnt so far ({} stage(s))", r.ckpt,
                 enum_name(r.cfg.train.method), k);
    return k;
  }
  spdlog::warn("checkpoint {} is from an unfinished run (stage {} active): using the {} finished stage(s) of the prior",
               r.ckpt, meta.stage, meta.stage);
  return std::min(meta.stage, r.cfg.train.stages);
}

SampleConfig sampler_config(const SampleConfig& run, const SamplerChoice& choice) {
  SampleConfig sc = run;
  if (choice.method) {
    const auto m = parse_enum<SampleMethod>(*choice.method);
    if (!m) throw std::runtime_error("the sampler must be " + enum_choices<SampleMethod>() + " (got '" + *choice.method + "')");
    sc.method = *m;
  }
  if (choice.steps && *choice.steps < 0) throw std::runtime_error("prior Langevin steps must be >= 0");
  if (choice.sir_proposals && *choice.sir_proposals < 1) throw std::runtime_error("SIR proposals must be >= 1");
  if (choice.delta && !(*choice.delta > 0)) throw std::runtime_error("the prior Langevin step size must be > 0");
  sc.steps = choice.steps.value_or(sc.steps);
  sc.sir_proposals = choice.sir_proposals.value_or(sc.sir_proposals);
  sc.delta = choice.delta.value_or(sc.delta);
  return sc;
}

}  // namespace latentebm::app
