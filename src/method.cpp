#include "method.h"

#include <algorithm>

namespace latentebm {

template <> const std::vector<std::pair<Method, const char*>>& enum_table<Method>() {
  static const std::vector<std::pair<Method, const char*>> t = {{Method::kAdaptiveCe, "adaptive-ce"},
                                                                {Method::kGaussian, "gaussian"},
                                                                {Method::kSingleStage, "single-stage"},
                                                                {Method::kNonAdaptive, "non-adaptive"},
                                                                {Method::kLebm, "lebm"}};
  return t;
}
template <> const std::vector<std::pair<NoiseSource, const char*>>& enum_table<NoiseSource>() {
  static const std::vector<std::pair<NoiseSource, const char*>> t = {{NoiseSource::kPersistent, "persistent"},
                                                                     {NoiseSource::kLangevin, "langevin"},
                                                                     {NoiseSource::kPersistentLangevin, "persistent-langevin"},
                                                                     {NoiseSource::kImportance, "importance"}};
  return t;
}
template <> const std::vector<std::pair<StageSchedule, const char*>>& enum_table<StageSchedule>() {
  static const std::vector<std::pair<StageSchedule, const char*>> t = {{StageSchedule::kFixed, "fixed"},
                                                                       {StageSchedule::kAdaptive, "adaptive"}};
  return t;
}
template <> const std::vector<std::pair<LrSchedule, const char*>>& enum_table<LrSchedule>() {
  static const std::vector<std::pair<LrSchedule, const char*>> t = {{LrSchedule::kConstant, "constant"},
                                                                    {LrSchedule::kCosine, "cosine"}};
  return t;
}
template <> const std::vector<std::pair<LrScaling, const char*>>& enum_table<LrScaling>() {
  static const std::vector<std::pair<LrScaling, const char*>> t = {
      {LrScaling::kNone, "none"}, {LrScaling::kSqrt, "sqrt"}, {LrScaling::kLinear, "linear"}};
  return t;
}
template <> const std::vector<std::pair<DivergencePolicy, const char*>>& enum_table<DivergencePolicy>() {
  static const std::vector<std::pair<DivergencePolicy, const char*>> t = {
      {DivergencePolicy::kRollback, "rollback"}, {DivergencePolicy::kSkip, "skip"}, {DivergencePolicy::kStop, "stop"}};
  return t;
}
template <> const std::vector<std::pair<SampleMethod, const char*>>& enum_table<SampleMethod>() {
  static const std::vector<std::pair<SampleMethod, const char*>> t = {{SampleMethod::kLangevin, "langevin"},
                                                                      {SampleMethod::kSir, "sir"}};
  return t;
}

template <> const std::vector<std::pair<DeviceChoice, const char*>>& enum_table<DeviceChoice>() {
  static const std::vector<std::pair<DeviceChoice, const char*>> t = {
      {DeviceChoice::kAuto, "auto"}, {DeviceChoice::kCpu, "cpu"}, {DeviceChoice::kCuda, "cuda"}};
  return t;
}
template <> const std::vector<std::pair<Precision, const char*>>& enum_table<Precision>() {
  static const std::vector<std::pair<Precision, const char*>> t = {
      {Precision::kFp32, "fp32"}, {Precision::kTf32, "tf32"}, {Precision::kBf16, "bf16"}};
  return t;
}
template <> const std::vector<std::pair<Switch, const char*>>& enum_table<Switch>() {
  static const std::vector<std::pair<Switch, const char*>> t = {{Switch::kOff, "off"}, {Switch::kOn, "on"}};
  return t;
}

int64_t MethodTraits::posterior_stages(int64_t stage) const {
  switch (posterior) {
    case PosteriorPrior::kFrozenStages: return stage;
    case PosteriorPrior::kBase: return 0;
    case PosteriorPrior::kWithActive: return stage + 1;
  }
  return 0;
}

int64_t MethodTraits::test_posterior_stages(int64_t K) const { return posterior == PosteriorPrior::kBase ? 0 : K; }

const MethodTraits& traits(Method m) {
  static const std::vector<MethodTraits> all = {
      {Method::kAdaptiveCe, "adaptive-ce", -1, PosteriorPrior::kFrozenStages, PriorObjective::kNce, std::nullopt, {}},
      {Method::kGaussian, "gaussian", 0, PosteriorPrior::kBase, PriorObjective::kNce, std::nullopt, {}},
      {Method::kSingleStage, "single-stage", 1, PosteriorPrior::kFrozenStages, PriorObjective::kNce, std::nullopt, {}},
      {Method::kNonAdaptive, "non-adaptive", -1, PosteriorPrior::kBase, PriorObjective::kNce, std::nullopt, {}},
      // Pang et al. (2020), the LEBM reference code's settings.
      {Method::kLebm,
       "lebm",
       1,
       PosteriorPrior::kWithActive,
       PriorObjective::kMaximumLikelihood,
       NoiseSource::kLangevin,
       {{"train.e_lr", "2e-05"},
        {"train.langevin_steps", "20"},
        {"train.langevin_delta", "0.1"},
        {"train.prior_langevin_steps", "60"},
        {"train.prior_langevin_delta", "0.4"}}},
  };
  auto it = std::find_if(all.begin(), all.end(), [m](const MethodTraits& t) { return t.method == m; });
  return *it;
}

}  // namespace latentebm
