#pragma once
// PNG output through libpng: single images and image grids.
#include <cstdint>
#include <string>
#include <vector>

namespace latentebm::png {

// Write an 8-bit grey (channels 1) or RGB (channels 3) image, row-major
// interleaved pixels (H x W x C). Written atomically (temp file + rename).
void write(const std::string& path, const uint8_t* pixels, int64_t width, int64_t height, int64_t channels);

// Tile n planar images (N x C x H x W, uint8) into a grid with `columns`
// columns and a `pad`-pixel border, and write it as one PNG.
void write_grid(const std::string& path, const std::vector<uint8_t>& images, int64_t n, int64_t c, int64_t h, int64_t w,
                int64_t columns, int64_t pad = 2);

// The same, encoded in memory (TensorBoard pictures): the PNG file's bytes.
std::string encode(const uint8_t* pixels, int64_t width, int64_t height, int64_t channels);
// write_grid's picture encoded in memory; *width and *height receive its size.
std::string encode_grid(const std::vector<uint8_t>& images, int64_t n, int64_t c, int64_t h, int64_t w, int64_t columns,
                        int64_t pad, int64_t* width, int64_t* height);

// Read a PNG back as (width, height, channels, interleaved pixels); used by
// tests and tools.
struct Image {
  int64_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};
Image read(const std::string& path);

}  // namespace latentebm::png
