#include "io/png.h"

#include <png.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "io/atomic_file.h"

namespace latentebm::png {

namespace {
// The encoding itself, into whatever output `png` was set up with.
void encode_to(png_structp png, png_infop info, const uint8_t* pixels, int64_t width, int64_t height, int64_t channels) {
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int64_t y = 0; y < height; ++y)
    png_write_row(png, const_cast<png_bytep>(pixels + y * width * channels));
  png_write_end(png, nullptr);
}

void append_to_string(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}
void flush_nothing(png_structp) {}

// The grid write_grid draws: W x H x c interleaved.
std::vector<uint8_t> grid_canvas(const std::vector<uint8_t>& images, int64_t n, int64_t c, int64_t h, int64_t w,
                                 int64_t columns, int64_t pad, int64_t* width, int64_t* height) {
  if (n < 1 || columns < 1) throw std::invalid_argument("png::write_grid: need at least one image and column");
  if (static_cast<int64_t>(images.size()) != n * c * h * w) throw std::invalid_argument("png::write_grid: size mismatch");
  const int64_t cols = std::min(columns, n), rows = (n + cols - 1) / cols;
  const int64_t W = cols * (w + pad) + pad, H = rows * (h + pad) + pad;
  std::vector<uint8_t> canvas(static_cast<size_t>(W * H * c), 255);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t x0 = pad + (i % cols) * (w + pad), y0 = pad + (i / cols) * (h + pad);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          canvas[static_cast<size_t>(((y0 + y) * W + x0 + x) * c + ch)] = images[static_cast<size_t>(((i * c + ch) * h + y) * w + x)];
  }
  *width = W, *height = H;
  return canvas;
}
}  // namespace

void write(const std::string& path, const uint8_t* pixels, int64_t width, int64_t height, int64_t channels) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("png::write: channels must be 1 or 3");
  io::AtomicFile file(path);
  const std::string& tmp = file.temp_path();
  FILE* fp = std::fopen(tmp.c_str(), "wb");
  if (!fp) throw std::runtime_error("cannot write '" + tmp + "' (does the directory exist and is it writable?)");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(fp);
    throw std::runtime_error("libpng failed while writing '" + path + "'");
  }
  png_init_io(png, fp);
  encode_to(png, info, pixels, width, height, channels);
  png_destroy_write_struct(&png, &info);
  const bool ok = std::fflush(fp) == 0;
  std::fclose(fp);
  if (!ok) throw std::runtime_error("cannot finish writing '" + path + "' (disk full?)");
  file.commit();
}

std::string encode(const uint8_t* pixels, int64_t width, int64_t height, int64_t channels) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("png::encode: channels must be 1 or 3");
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("libpng failed while encoding a PNG in memory");
  }
  png_set_write_fn(png, &out, append_to_string, flush_nothing);
  encode_to(png, info, pixels, width, height, channels);
  png_destroy_write_struct(&png, &info);
  return out;
}

void write_grid(const std::string& path, const std::vector<uint8_t>& images, int64_t n, int64_t c, int64_t h, int64_t w,
                int64_t columns, int64_t pad) {
  int64_t W = 0, H = 0;
  const auto canvas = grid_canvas(images, n, c, h, w, columns, pad, &W, &H);
  write(path, canvas.data(), W, H, c);
}

std::string encode_grid(const std::vector<uint8_t>& images, int64_t n, int64_t c, int64_t h, int64_t w, int64_t columns,
                        int64_t pad, int64_t* width, int64_t* height) {
  const auto canvas = grid_canvas(images, n, c, h, w, columns, pad, width, height);
  return encode(canvas.data(), *width, *height, c);
}

Image read(const std::string& path) {
  FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) throw std::runtime_error("cannot open PNG '" + path + "'");
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  Image img;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(fp);
    throw std::runtime_error("'" + path + "' is not a readable PNG file");
  }
  png_init_io(png, fp);
  png_read_info(png, info);
  png_set_strip_16(png);
  png_set_palette_to_rgb(png);
  png_set_expand_gray_1_2_4_to_8(png);
  png_read_update_info(png, info);
  img.width = png_get_image_width(png, info);
  img.height = png_get_image_height(png, info);
  img.channels = png_get_channels(png, info);
  img.pixels.resize(static_cast<size_t>(img.width * img.height * img.channels));
  for (int64_t y = 0; y < img.height; ++y) png_read_row(png, img.pixels.data() + y * img.width * img.channels, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(fp);
  return img;
}

}  // namespace latentebm::png
