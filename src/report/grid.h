#pragma once
// Image grids as PNG files: prior samples, reconstructions, Langevin strips.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace latentebm {

// Write images in [-1, 1] ([N, C, H, W]) as a PNG grid, `columns` wide.
void save_grid(const std::string& path, const torch::Tensor& images, int64_t columns);

// The same grid as the bytes of a PNG file (TensorBoard pictures); *width
// and *height receive the picture's size.
std::string grid_png(const torch::Tensor& images, int64_t columns, int64_t* width, int64_t* height);

// The reconstruction picture: rows alternate `columns` images of x and their
// reconstructions (x and recon: [N, C, H, W], same shape). Returns the
// interleaved images for save_grid with the same `columns`.
torch::Tensor interleave_rows(const torch::Tensor& x, const torch::Tensor& recon, int64_t columns);

// save_grid(path, interleave_rows(x, recon, columns), columns).
void save_reconstruction_grid(const std::string& path, const torch::Tensor& x, const torch::Tensor& recon,
                              int64_t columns = 8);

}  // namespace latentebm
