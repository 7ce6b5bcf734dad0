#include "train/schedule.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace latentebm {

double generator_lr(LrSchedule schedule, double base, int64_t t, int64_t T) {
  if (schedule == LrSchedule::kConstant || T <= 0) return base;
  const double pi = std::acos(-1.0);
  const double frac = std::min(1.0, std::max(0.0, static_cast<double>(t) / static_cast<double>(T)));
  return base * 0.5 * (1.0 + std::cos(pi * frac));
}

double lr_scale(LrScaling scaling, int64_t global_batch, int64_t reference_batch, int64_t warmup, int64_t t) {
  if (scaling == LrScaling::kNone || reference_batch <= 0) return 1.0;
  const double ratio = static_cast<double>(global_batch) / static_cast<double>(reference_batch);
  const double s = scaling == LrScaling::kSqrt ? std::sqrt(ratio) : ratio;
  if (warmup <= 0 || t >= warmup) return s;
  return 1.0 + (s - 1.0) * static_cast<double>(std::max<int64_t>(0, t)) / static_cast<double>(warmup);
}

bool PlateauRule::observe(double loss) {
  State& s = state_;
  ++s.iterations;
  s.window_sum += loss;
  if (++s.in_window == settings_.window) {
    const double mean = s.window_sum / static_cast<double>(s.in_window);
    // A NaN mean never counts as an improvement.
    if (mean < s.best - settings_.tolerance) {
      s.best = mean;
      s.stale_windows = 0;
    } else {
      ++s.stale_windows;
    }
    s.in_window = 0;
    s.window_sum = 0;
  }
  if (settings_.max_iterations > 0 && s.iterations >= settings_.max_iterations) return true;
  return s.iterations >= settings_.min_iterations && s.stale_windows >= settings_.patience;
}

std::string PlateauRule::to_json() const {
  nlohmann::json j = {{"iterations", state_.iterations},
                      {"in_window", state_.in_window},
                      {"window_sum", state_.window_sum},
                      {"best", std::isfinite(state_.best) ? nlohmann::json(state_.best) : nlohmann::json(nullptr)},
                      {"stale_windows", state_.stale_windows}};
  return j.dump();
}

void PlateauRule::from_json(const std::string& text) {
  const auto j = nlohmann::json::parse(text);
  State s;
  s.iterations = j.at("iterations").get<int64_t>();
  s.in_window = j.at("in_window").get<int64_t>();
  s.window_sum = j.at("window_sum").get<double>();
  s.best = j.at("best").is_null() ? std::numeric_limits<double>::infinity() : j.at("best").get<double>();
  s.stale_windows = j.at("stale_windows").get<int64_t>();
  state_ = s;
}

}  // namespace latentebm
