#include "train/run_schedule.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace latentebm {

RunSchedule::RunSchedule(const TrainConfig& cfg, int64_t T)
    : kind_(cfg.stage_schedule),
      K_(cfg.stages),
      T_(T),
      S_(cfg.stages <= 1 ? T : T / cfg.stages),
      cycle_ends_{T},
      plateau_({cfg.plateau_window, cfg.plateau_patience, cfg.plateau_tolerance, cfg.min_stage_iterations,
                cfg.max_stage_iterations}) {}

bool RunSchedule::stage_ends_before(int64_t t) const {
  if (stage_ + 1 >= K_) return false;  // K is the cap: the last stage runs to T
  if (adaptive()) return advance_;
  return stage_ < std::min(t / S_, K_ - 1);
}

void RunSchedule::begin_stage(int64_t k, int64_t t) {
  stage_ = k;
  stage_starts_.push_back(t);
  plateau_.reset();
  advance_ = vote_pending_ = false;
}

void RunSchedule::observe(bool vote_came_back, double prior_loss, bool root) {
  // Rank 0's vote came back in this all-reduce; the plateau rule sees this
  // iteration's all-reduced loss, and rank 0's vote goes out with the next.
  if (vote_came_back) advance_ = true;
  if (adaptive() && stage_ + 1 < K_ && !advance_ && !vote_pending_ && plateau_.observe(prior_loss)) vote_pending_ = root;
}

bool RunSchedule::take_vote() {
  const bool vote = vote_pending_;
  vote_pending_ = false;
  return vote;
}

double RunSchedule::generator_lr(LrSchedule schedule, double base, int64_t t) const {
  // The cycle holding t: [previous end, end); the last runs on past T.
  int64_t begin = 0, end = T_;
  for (size_t i = 0; i < cycle_ends_.size(); ++i) {
    end = cycle_ends_[i];
    if (t < end || i + 1 == cycle_ends_.size()) break;
    begin = end;
  }
  return latentebm::generator_lr(schedule, base, t - begin, end - begin);
}

bool RunSchedule::continue_to(int64_t T_new, int64_t done, const std::optional<TrainConfig>& cfg) {
  if (T_new < T_ || T_new < done)
    throw std::invalid_argument("RunSchedule::continue_to: T " + std::to_string(T_) + " -> " + std::to_string(T_new) +
                                " after " + std::to_string(done) + " iterations");
  if (T_new == T_) return false;
  if (cfg)
    spdlog::info("continuing the run: T {} -> {}; the last stage runs on to {}{}", T_, T_new, T_new,
                 cfg->g_lr_schedule == LrSchedule::kCosine
                     ? fmt::format(" and a new cosine cycle of g_lr decays from {:g} to 0 over iterations {}..{}", cfg->g_lr,
                                   T_, T_new)
                     : "");
  T_ = T_new;
  cycle_ends_.push_back(T_new);
  return true;
}

std::string RunSchedule::to_json() const {
  nlohmann::json j = {{"stage_starts", stage_starts_},
                      {"plateau", nlohmann::json::parse(plateau_.to_json())},
                      {"vote_pending", vote_pending_},
                      {"advance", advance_},
                      {"stage_length", S_},
                      {"cycle_ends", cycle_ends_}};
  return j.dump();
}

void RunSchedule::restore(const std::string& text, int64_t stage, int64_t T) {
  // The schedule comes from a checkpoint's manifest, which may be damaged:
  // a field of the wrong type is an error that says so, not a JSON library's.
  try {
    restore_unchecked(text, stage, T);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("checkpoint schedule is malformed (") + e.what() +
                             "); the checkpoint is damaged: resume from an earlier one (--checkpoint)");
  }
}

void RunSchedule::restore_unchecked(const std::string& text, int64_t stage, int64_t T) {
  const auto j = nlohmann::json::parse(text);
  stage_ = stage;
  T_ = T;
  // Checkpoints from before a run could be continued: S = T/K, one cycle.
  S_ = j.value("stage_length", K_ <= 1 ? T : T / K_);
  cycle_ends_ = j.contains("cycle_ends") ? j.at("cycle_ends").get<std::vector<int64_t>>() : std::vector<int64_t>{T};
  if (cycle_ends_.empty() || cycle_ends_.back() != T)
    throw std::runtime_error("checkpoint schedule ends its learning-rate cycles at " +
                             (cycle_ends_.empty() ? std::string("none") : std::to_string(cycle_ends_.back())) +
                             ", not at its T = " + std::to_string(T) + "; the checkpoint is inconsistent (resume from an "
                             "earlier one)");
  // Checkpoints from before the schedule was recorded: stages began every S.
  stage_starts_.clear();
  if (j.contains("stage_starts")) {
    stage_starts_ = j.at("stage_starts").get<std::vector<int64_t>>();
  } else {
    for (int64_t k = 0; k <= stage_; ++k) stage_starts_.push_back(k * S_);
  }
  if (static_cast<int64_t>(stage_starts_.size()) != stage_ + 1)
    throw std::runtime_error("checkpoint schedule lists " + std::to_string(stage_starts_.size()) + " stage starts for stage " +
                             std::to_string(stage_) + "; the checkpoint is inconsistent (resume from an earlier one)");
  plateau_.reset();
  if (j.contains("plateau")) plateau_.from_json(j.at("plateau").dump());
  vote_pending_ = j.value("vote_pending", false);
  advance_ = j.value("advance", false);
}

int64_t resumed_total_iterations(int64_t meta_T, const Config& ckpt_cfg, const Config& cfg, int64_t done, int64_t n_train) {
  const int64_t recorded = meta_T > 0 ? meta_T : total_iterations(cfg, n_train);
  const auto& a = ckpt_cfg.train;
  const auto& b = cfg.train;
  std::string changed;
  if (a.iterations != b.iterations) changed += ", train.iterations " + std::to_string(a.iterations) + " -> " + std::to_string(b.iterations);
  if (a.epochs != b.epochs) changed += fmt::format(", train.epochs {:g} -> {:g}", a.epochs, b.epochs);
  if (a.min_iterations != b.min_iterations)
    changed += ", train.min_iterations " + std::to_string(a.min_iterations) + " -> " + std::to_string(b.min_iterations);
  if (changed.empty()) return recorded;
  const int64_t T = total_iterations(cfg, n_train);
  changed = changed.substr(2);
  if (T < done)
    throw std::runtime_error("cannot resume with " + changed + ": that makes T = " + std::to_string(T) + " iterations, but " +
                             "this run has already done " + std::to_string(done) + "; a run can be continued to a larger T, "
                             "never cut below what it has done. Drop the override (the run's T is " +
                             std::to_string(recorded) + "), or start a new run directory");
  if (T < recorded)
    throw std::runtime_error("cannot resume with " + changed + ": that makes T = " + std::to_string(T) +
                             " iterations, fewer than the run's T = " + std::to_string(recorded) +
                             "; a run's T can only grow (its stages and learning-rate schedule were laid out for T). To stop "
                             "early, drop the override and give --max-iterations N instead");
  return T;
}

}  // namespace latentebm
