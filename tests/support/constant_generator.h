#pragma once
// A generator whose output does not depend on z, for tests with known answers.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

#include "model/generator.h"

namespace latentebm::testing {

// A 28x28 generator with every weight 0 and the last bias atanh(level): g(z) =
// tanh(atanh(level)) = level for every z, so Langevin cannot change g(z) and
// the likelihood's gradient in z is 0.
inline Generator constant_generator(double level, int64_t nz = 4) {
  Generator g(GeneratorKind::kMnist28, nz, 2, 1);
  torch::NoGradGuard no_grad;
  torch::Tensor last_bias;
  for (auto& p : g->named_parameters(true)) {
    p.value().zero_();
    if (p.key().size() > 5 && p.key().substr(p.key().size() - 5) == ".bias") last_bias = p.value();
  }
  last_bias.fill_(std::atanh(level));
  return g;
}

}  // namespace latentebm::testing
