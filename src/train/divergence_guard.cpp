#include "train/divergence_guard.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "io/h5.h"
#include "train/checkpoint.h"

namespace latentebm {
namespace {

// One lowered setting in the checkpoint: {"configured": x, "in_effect": y}.
nlohmann::json setting(double configured, double in_effect) {
  return {{"configured", configured}, {"in_effect", in_effect}};
}
double restored(const nlohmann::json& j, const char* name, double now, bool on_command_line) {
  if (on_command_line || !j.contains(name)) return now;
  const auto& s = j.at(name);
  return s.at("configured").get<double>() == now ? s.at("in_effect").get<double>() : now;
}

}  // namespace

GuardedSettings settings_in_effect(const std::string& guard_json, const Config& cfg) {
  const auto j = nlohmann::json::parse(guard_json.empty() ? "{}" : guard_json);
  const auto& cmd = cfg.origins.cmdline;
  return {restored(j, "langevin_delta", cfg.train.langevin_delta, cmd.count("train.langevin_delta") > 0),
          restored(j, "e_lr", cfg.train.e_lr, cmd.count("train.e_lr") > 0)};
}

Config with_settings_in_effect(Config cfg, const GuardedSettings& in_effect) {
  cfg.train.langevin_delta = in_effect.langevin_delta;
  cfg.train.e_lr = in_effect.e_lr;
  return cfg;
}

DivergenceGuard::DivergenceGuard(const TrainConfig& c)
    : policy_(c.on_divergence),
      max_skips_(c.max_skips),
      max_rollbacks_(c.max_rollbacks),
      factor_(c.rollback_delta_factor),
      z_limit_(c.divergence_z_limit),
      loss_limit_(c.divergence_loss_limit),
      configured_{c.langevin_delta, c.e_lr},
      in_effect_(configured_) {}

GuardVerdictOf<torch::Tensor> DivergenceGuard::judge(const torch::Tensor& reduced,
                                                      const StepTermsOf<torch::Tensor>& sum) const {
  // No step where some rank's samples or the reduced buffer are not finite,
  // or the prior loss runs beyond its limit.
  GuardVerdictOf<torch::Tensor> v;
  v.finite = torch::isfinite(reduced).all();
  v.applied = v.finite.logical_and(sum.bad_posterior == 0)
                  .logical_and(sum.bad_noise == 0)
                  .logical_and(sum.nce_loss.abs() <= loss_limit_);
  return v;
}

DivergenceGuard::Finding DivergenceGuard::diagnose(const StepTerms& s, const GuardVerdict& verdict) const {
  // Every rank sees the same summed values, so every rank decides alike.
  Finding f;
  if (s.bad_posterior > 0 || s.bad_noise > 0) {
    f.diverged = true;
    f.what = (s.bad_posterior > 0 ? "posterior Langevin state (z) on " + std::to_string(static_cast<int>(s.bad_posterior))
                                  : "prior (noise) samples on " + std::to_string(static_cast<int>(s.bad_noise))) +
             " rank(s), non-finite or beyond |z| = " + fmt::format("{:g}", z_limit_) + " (train.divergence_z_limit)";
  } else if (verdict.finite < 0.5) {
    f.diverged = true;
    f.what = "non-finite loss or gradient";
  } else if (verdict.applied < 0.5) {
    f.diverged = f.energy_runaway = true;
    f.what = fmt::format("prior loss {:g}, beyond +-{:g} (train.divergence_loss_limit): the prior's energy is "
                         "running away with finite latents",
                         s.nce_loss, loss_limit_);
  }
  return f;
}

StepStats DivergenceGuard::read(const torch::Tensor& host) const {
  const auto values = host.to(torch::kDouble).contiguous();
  int64_t at = 0;
  StepStats s;
  static_cast<StepTerms&>(s) = read_fields<StepTermsOf>(values.data_ptr<double>(), at);
  const GuardVerdict verdict = read_fields<GuardVerdictOf>(values.data_ptr<double>(), at);
  s.diag_count = s.diagnosed > 0.5 ? 1 : 0;  // diagnostics were computed (on every rank alike)
  s.stop_requested = s.stop > 0;
  s.advance_stage = s.vote > 0;
  const Finding f = diagnose(s, verdict);
  s.diverged = f.diverged, s.energy_runaway = f.energy_runaway, s.divergence = f.what;
  return s;
}

DivergenceGuard::Action DivergenceGuard::decide(int64_t t) {
  if (policy_ == DivergencePolicy::kSkip && consecutive_skips_ < max_skips_) {
    ++consecutive_skips_, ++skipped_;  // the step is dropped; the memory matrix keeps its old rows
    spdlog::warn("divergence guard: iteration {} skipped ({} in a row, at most train.max_skips = {})", t, consecutive_skips_,
                 max_skips_);
    return Action::kSkip;
  }
  if (policy_ == DivergencePolicy::kRollback && rollbacks_ < max_rollbacks_) return Action::kRollback;
  return Action::kGiveUp;
}

void DivergenceGuard::rolled_back(bool energy_runaway, int64_t from, int64_t to, const std::string& ckpt_dir) {
  double& knob = energy_runaway ? in_effect_.e_lr : in_effect_.langevin_delta;
  const double old_value = knob;
  knob *= factor_;
  ++rollbacks_;
  spdlog::warn("divergence guard: rolled back from iteration {} to checkpoint {} (iteration {}); {} {} -> {} "
               "(rollback {} of at most {})",
               from, ckpt_dir, to, energy_runaway ? "e_lr" : "langevin_delta", old_value, knob, rollbacks_, max_rollbacks_);
}

DivergenceError DivergenceGuard::give_up(int64_t t, const Finding& f, const std::string& debug_dir) const {
  const std::string why = policy_ == DivergencePolicy::kStop ? "train.on_divergence = stop"
                          : policy_ == DivergencePolicy::kSkip
                              ? std::to_string(consecutive_skips_) + " skipped steps in a row (train.max_skips)"
                              : std::to_string(rollbacks_) + " rollbacks (train.max_rollbacks) or no checkpoint";
  // A runaway energy comes from the prior's updates, an exploding chain from its step size.
  const std::string example = f.energy_runaway ? fmt::format("train.e_lr={:g}", in_effect_.e_lr * factor_)
                                               : fmt::format("train.langevin_delta={:g}", in_effect_.langevin_delta * factor_);
  return DivergenceError(t, "training diverged at iteration " + std::to_string(t) + ": " + f.what + "; stopped after " +
                                why + ". Debug dumps are in " + debug_dir +
                                (f.energy_runaway ? ". Lower the prior's learning rate (e.g. `"
                                                  : ". Lower train.langevin_delta or the learning rates (e.g. `") +
                                example + "`) and run the same command to resume from the last checkpoint");
}

std::string DivergenceGuard::to_json() const {
  nlohmann::json j = {{"langevin_delta", setting(configured_.langevin_delta, in_effect_.langevin_delta)},
                      {"e_lr", setting(configured_.e_lr, in_effect_.e_lr)}};
  return j.dump();
}

void write_divergence_dump(const RunDir& run, int rank, int64_t t, int64_t stage, double langevin_delta,
                           const std::string& config_yaml, const std::vector<int64_t>& indices, const torch::Tensor& x,
                           const torch::Tensor& z_post, const torch::Tensor& z_noise) {
  try {
    const auto path = run.divergence_dump(static_cast<long long>(t), rank);
    std::filesystem::create_directories(run.debug());
    h5::File f(path, h5::Mode::Truncate);
    write_tensor(f, "/x", x);
    write_tensor(f, "/z_posterior", z_post);
    if (z_noise.numel() > 0) write_tensor(f, "/z_noise", z_noise);  // none with K = 0
    f.write_i64("/indices", indices.data(), {static_cast<int64_t>(indices.size())});
    f.set_attr("/", "iteration", t);
    f.set_attr("/", "stage", stage);
    f.set_attr("/", "rank", static_cast<int64_t>(rank));
    f.set_attr("/", "langevin_delta", langevin_delta);
    f.set_attr("/", "config", config_yaml);
    spdlog::warn("divergence guard: debug dump {}", path);
  } catch (const std::exception& e) {
    spdlog::error("divergence guard: could not write the debug dump: {}", e.what());
  }
}

void DivergenceGuard::restore(const std::string& json, const Config& cfg) { in_effect_ = settings_in_effect(json, cfg); }

}  // namespace latentebm
