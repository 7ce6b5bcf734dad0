#include "report/grid.h"

#include <stdexcept>
#include <vector>

#include "io/png.h"
#include "model/inference.h"

namespace latentebm {

void save_grid(const std::string& path, const torch::Tensor& images, int64_t columns) {
  png::write_grid(path, to_bytes(images), images.size(0), images.size(1), images.size(2), images.size(3), columns);
}

std::string grid_png(const torch::Tensor& images, int64_t columns, int64_t* width, int64_t* height) {
  return png::encode_grid(to_bytes(images), images.size(0), images.size(1), images.size(2), images.size(3), columns, 2,
                          width, height);
}

torch::Tensor interleave_rows(const torch::Tensor& x, const torch::Tensor& recon, int64_t columns) {
  if (x.sizes() != recon.sizes()) throw std::invalid_argument("interleave_rows: images and reconstructions differ in shape");
  if (columns < 1) throw std::invalid_argument("interleave_rows: columns must be >= 1");
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < x.size(0); i += columns) {
    const int64_t m = std::min(columns, x.size(0) - i);
    rows.push_back(x.narrow(0, i, m));
    rows.push_back(recon.narrow(0, i, m));
  }
  return torch::cat(rows);
}

void save_reconstruction_grid(const std::string& path, const torch::Tensor& x, const torch::Tensor& recon, int64_t columns) {
  save_grid(path, interleave_rows(x, recon, columns), columns);
}

}  // namespace latentebm
