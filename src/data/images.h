#pragma once
// Image decoding, cropping/resizing and folder listing for the image-folder
// sources (CelebA, CelebA-HQ, any folder of JPEG/PNG files). Decoding and
// resampling are Debian's stb (stb_image, stb_image_resize); this file only
// checks what it is given and arranges pixels.
//
// Every function throws std::runtime_error naming the file and what is wrong.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace latentebm::data {

// A decoded image: height x width x channels, interleaved (HWC), uint8.
struct DecodedImage {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Largest image we agree to decode (width x height); bounds the memory a
// corrupt or hostile header can make a decoder allocate.
constexpr int64_t kMaxImagePixels = int64_t{1} << 26;  // e.g. 8192 x 8192

// Decode a JPEG or PNG held in memory into `channels` (1: grey, luma as
// stb_image computes it; 3: RGB, grey expanded, alpha dropped). `name` (the
// file path) appears in errors. Rejected: empty input, anything that is not
// JPEG/PNG by its magic bytes, a JPEG with no end-of-image marker after its
// last scan or a PNG with no IEND chunk (truncated), sizes above
// kMaxImagePixels, and whatever stb_image fails to decode.
DecodedImage decode_image(const uint8_t* data, size_t size, int channels, const std::string& name);
DecodedImage read_image(const std::string& path, int channels);

// Centre crop then resize to size x size, written as C x size x size
// (channel-major) into `out`. crop_side > 0 crops a centred crop_side x
// crop_side window (clamped to the image), crop_side == 0 the largest
// centred square. The crop offset is floor((W - cw) / 2), floor((H - ch) / 2).
// Resampling: stb_image_resize's default filters on the stored 8-bit values
// (no gamma conversion), skipped when the crop already has the target size.
void crop_resize_chw(const DecodedImage& image, int crop_side, int size, uint8_t* out, const std::string& name);

// Image files (.jpg, .jpeg, .png in any letter case) under `dir`, recursive
// or not, as paths `dir`/relative, sorted by the bytes of the relative path.
// Directory symlinks are not followed.
std::vector<std::string> list_image_files(const std::string& dir, bool recursive);

}  // namespace latentebm::data
