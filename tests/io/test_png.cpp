// PNG grids through libpng: what is written reads back pixel for pixel.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "io/png.h"
#include "support/scratch_dir.h"

using namespace latentebm;

TEST(Png, GridRoundTripsPixels) {
  const latentebm::testing::ScratchDir dir;
  const std::filesystem::path path = dir.file("grid.png");
  // 3 RGB images of 2x3, planar; pixel value encodes (image, channel, y, x).
  const int64_t n = 3, c = 3, h = 2, w = 3, pad = 1, cols = 2;
  std::vector<uint8_t> img(n * c * h * w);
  for (size_t i = 0; i < img.size(); ++i) img[i] = static_cast<uint8_t>(i * 3 % 251);
  png::write_grid(path.string(), img, n, c, h, w, cols, pad);
  auto back = png::read(path.string());
  EXPECT_EQ(back.width, cols * (w + pad) + pad);
  EXPECT_EQ(back.height, 2 * (h + pad) + pad);
  EXPECT_EQ(back.channels, 3);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const int64_t X = pad + (i % cols) * (w + pad) + x, Y = pad + (i / cols) * (h + pad) + y;
          ASSERT_EQ(back.pixels[static_cast<size_t>((Y * back.width + X) * c + ch)], img[static_cast<size_t>(((i * c + ch) * h + y) * w + x)]);
        }
  // Padding (and the empty 4th cell) is white.
  EXPECT_EQ(back.pixels[0], 255);
  std::filesystem::remove(path);
  EXPECT_THROW(png::read(path.string()), std::runtime_error);
}
