#pragma once
// Langevin transition strip (paper Fig. 3): chains start at z ~ N(0, I) =
// p_0 and run prior Langevin on the learned log p_K(z); every `every` steps
// the current z is decoded. Row i of the grid is chain i, column j the image
// after j * every steps (column 0 = the initial N(0, I) draw; the last column
// is always the final step).
#include <torch/torch.h>

#include <string>

#include "model/generator.h"
#include "model/prior.h"

namespace latentebm {

struct StripOptions {
  int64_t chains = 8;
  int64_t steps = 200;
  int64_t every = 20;
  double delta = 0.1;
};

// Images in [-1, 1], [chains * columns, C, H, W], row-major (chain, column);
// *columns receives the number of columns.
torch::Tensor langevin_strip(Generator& g, MultiStagePrior& prior, int64_t stages, const StripOptions& opt,
                             torch::Device device, int64_t* columns);

// langevin_strip written as a PNG grid; returns the number of columns.
int64_t save_langevin_strip(const std::string& png_path, Generator& g, MultiStagePrior& prior, int64_t stages,
                            const StripOptions& opt, torch::Device device);

}  // namespace latentebm
