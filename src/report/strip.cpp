#include "report/strip.h"

#include <stdexcept>

#include "model/sampler.h"
#include "report/grid.h"

namespace latentebm {

torch::Tensor langevin_strip(Generator& g, MultiStagePrior& prior, int64_t stages, const StripOptions& opt,
                             torch::Device device, int64_t* columns) {
  if (opt.chains < 1 || opt.steps < 0 || opt.every < 1)
    throw std::invalid_argument("Langevin strip: needs chains >= 1, steps >= 0 and every >= 1");
  auto z = torch::randn({opt.chains, prior->nz}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  auto decode = [&](const torch::Tensor& zz) {
    torch::NoGradGuard no_grad;
    return g->forward(zz);
  };
  std::vector<torch::Tensor> cols = {decode(z)};
  for (int64_t done = 0; done < opt.steps;) {
    const int64_t k = std::min(opt.every, opt.steps - done);
    z = prior_langevin(prior, stages, z, {k, opt.delta});
    done += k;
    cols.push_back(decode(z));
  }
  if (columns) *columns = static_cast<int64_t>(cols.size());
  // [columns, chains, C, H, W] -> [chains, columns, C, H, W] -> rows of the grid
  auto stacked = torch::stack(cols).transpose(0, 1).contiguous();
  return stacked.flatten(0, 1);
}

int64_t save_langevin_strip(const std::string& png_path, Generator& g, MultiStagePrior& prior, int64_t stages,
                            const StripOptions& opt, torch::Device device) {
  int64_t columns = 0;
  auto images = langevin_strip(g, prior, stages, opt, device, &columns);
  save_grid(png_path, images, columns);
  return columns;
}

}  // namespace latentebm
