#include "data/images.h"

#include <stb_image.h>
#include <stb_image_resize.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "data/readers.h"  // read_file

namespace latentebm::data {
namespace {

bool is_png(const uint8_t* d, size_t n) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return n >= 8 && std::memcmp(d, sig, 8) == 0;
}

bool is_jpeg(const uint8_t* d, size_t n) { return n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff; }

// Position of the last occurrence of marker 0xFF `code`, or npos.
size_t last_marker(const uint8_t* d, size_t n, uint8_t code) {
  for (size_t i = n; i >= 2; --i) {
    if (d[i - 2] == 0xff && d[i - 1] == code) return i - 2;
  }
  return std::string::npos;
}

// stb_image decodes a cut-off JPEG without complaint (it pads the missing
// scan data), so truncation is detected here: inside entropy-coded data a
// 0xFF byte is always followed by 0x00 or a restart code, so a complete file
// has an end-of-image marker (FF D9) after the start of its last scan (FF DA).
bool jpeg_complete(const uint8_t* d, size_t n) {
  const size_t eoi = last_marker(d, n, 0xd9), sos = last_marker(d, n, 0xda);
  return eoi != std::string::npos && sos != std::string::npos && eoi > sos;
}

bool png_complete(const uint8_t* d, size_t n) {
  static const char iend[4] = {'I', 'E', 'N', 'D'};
  if (n < 12) return false;
  for (size_t i = n - 4 + 1; i-- > 8;) {
    if (std::memcmp(d + i, iend, 4) == 0) return true;
  }
  return false;
}

struct StbFree {
  void operator()(unsigned char* p) const { stbi_image_free(p); }
};

}  // namespace

DecodedImage decode_image(const uint8_t* data, size_t size, int channels, const std::string& name) {
  if (channels != 1 && channels != 3) {
    throw std::invalid_argument("image '" + name + "': channels must be 1 or 3, got " + std::to_string(channels));
  }
  if (size == 0) throw std::runtime_error("image '" + name + "' is empty (0 bytes)");
  const bool png = is_png(data, size), jpeg = is_jpeg(data, size);
  if (!png && !jpeg) {
    throw std::runtime_error("image '" + name + "' is neither JPEG nor PNG (its first bytes are not a JPEG or PNG " +
                             "signature)");
  }
  if (jpeg && !jpeg_complete(data, size)) {
    throw std::runtime_error("JPEG image '" + name + "' is truncated (no end-of-image marker after its last scan)");
  }
  if (png && !png_complete(data, size)) {
    throw std::runtime_error("PNG image '" + name + "' is truncated (no IEND chunk)");
  }
  if (size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw std::runtime_error("image '" + name + "' is larger than 2 GiB; not supported");
  }
  const int len = static_cast<int>(size);
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &comp)) {
    const char* why = stbi_failure_reason();
    throw std::runtime_error(std::string(png ? "PNG" : "JPEG") + " image '" + name + "' has an unreadable header (" +
                             (why ? why : "unknown") + ")");
  }
  if (w <= 0 || h <= 0 || int64_t{w} * h > kMaxImagePixels) {
    throw std::runtime_error("image '" + name + "' is " + std::to_string(w) + "x" + std::to_string(h) +
                             "; supported are 1 .. " + std::to_string(kMaxImagePixels) + " pixels");
  }
  int dw = 0, dh = 0, dc = 0;
  std::unique_ptr<unsigned char, StbFree> pixels(stbi_load_from_memory(data, len, &dw, &dh, &dc, channels));
  if (!pixels) {
    const char* why = stbi_failure_reason();
    throw std::runtime_error(std::string("cannot decode ") + (png ? "PNG" : "JPEG") + " image '" + name + "' (" +
                             (why ? why : "unknown error") + "; corrupt file?)");
  }
  if (dw != w || dh != h) {
    throw std::runtime_error("image '" + name + "' decoded to " + std::to_string(dw) + "x" + std::to_string(dh) +
                             " but its header says " + std::to_string(w) + "x" + std::to_string(h) + " (corrupt)");
  }
  DecodedImage img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.assign(pixels.get(), pixels.get() + static_cast<size_t>(w) * h * channels);
  return img;
}

DecodedImage read_image(const std::string& path, int channels) {
  const std::string bytes = read_file(path, "image");
  return decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), channels, path);
}

void crop_resize_chw(const DecodedImage& image, int crop_side, int size, uint8_t* out, const std::string& name) {
  const int w = image.width, h = image.height, c = image.channels;
  if (size <= 0) throw std::invalid_argument("image '" + name + "': output size must be positive");
  if (w <= 0 || h <= 0 || static_cast<size_t>(w) * h * c != image.pixels.size()) {
    throw std::invalid_argument("image '" + name + "': inconsistent decoded image");
  }
  int cw = std::min(w, h), ch = cw;
  if (crop_side > 0) {
    cw = std::min(crop_side, w);
    ch = std::min(crop_side, h);
  }
  const int x0 = (w - cw) / 2, y0 = (h - ch) / 2;
  const uint8_t* origin = image.pixels.data() + (static_cast<size_t>(y0) * w + x0) * c;
  const int in_stride = w * c;

  std::vector<uint8_t> hwc;
  const uint8_t* src = nullptr;
  int src_stride = 0;
  if (cw == size && ch == size) {
    src = origin;
    src_stride = in_stride;
  } else {
    hwc.resize(static_cast<size_t>(size) * size * c);
    if (!stbir_resize_uint8(origin, cw, ch, in_stride, hwc.data(), size, size, size * c, c)) {
      throw std::runtime_error("image '" + name + "': resizing " + std::to_string(cw) + "x" + std::to_string(ch) +
                               " to " + std::to_string(size) + "x" + std::to_string(size) + " failed (out of memory?)");
    }
    src = hwc.data();
    src_stride = size * c;
  }
  const size_t plane = static_cast<size_t>(size) * size;
  for (int y = 0; y < size; ++y) {
    const uint8_t* row = src + static_cast<size_t>(y) * src_stride;
    for (int x = 0; x < size; ++x) {
      for (int k = 0; k < c; ++k) out[k * plane + static_cast<size_t>(y) * size + x] = row[x * c + k];
    }
  }
}

std::vector<std::string> list_image_files(const std::string& dir, bool recursive) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error("image folder '" + dir + "' not found or not a directory");
  std::vector<std::string> rel;
  const auto consider = [&](const fs::directory_entry& e) {
    std::error_code ec2;
    if (!e.is_regular_file(ec2)) return;
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") rel.push_back(e.path().lexically_relative(dir).string());
  };
  try {
    if (recursive) {
      for (const auto& e : fs::recursive_directory_iterator(dir)) consider(e);
    } else {
      for (const auto& e : fs::directory_iterator(dir)) consider(e);
    }
  } catch (const fs::filesystem_error& e) {
    throw std::runtime_error("cannot list image folder '" + dir + "': " + e.what());
  }
  // std::string compares as unsigned bytes: a stable, locale-free order.
  std::sort(rel.begin(), rel.end());
  std::vector<std::string> out;
  out.reserve(rel.size());
  for (const auto& r : rel) out.push_back((fs::path(dir) / r).string());
  return out;
}

}  // namespace latentebm::data
