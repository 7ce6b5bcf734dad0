// libFuzzer harness: JPEG/PNG decode (stb_image, compiled into this binary
// with instrumentation by stb_impl.c) plus our crop and resize on arbitrary
// bytes. The first byte picks grey or RGB output and the crop.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "data/images.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int channels = (data[0] & 1) ? 1 : 3;
  const int crop = (data[0] >> 1) & 31;  // 0: centred square
  try {
    const auto img = latentebm::data::decode_image(data + 1, size - 1, channels, "fuzz-input");
    if (img.pixels.size() != static_cast<size_t>(img.width) * img.height * channels) __builtin_trap();
    std::vector<uint8_t> out(static_cast<size_t>(channels) * 16 * 16);
    latentebm::data::crop_resize_chw(img, crop, 16, out.data(), "fuzz-input");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
