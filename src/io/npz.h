#pragma once
// NumPy .npz archives (a zip of .npy files, as numpy.savez writes), through
// libzip. numpy.load(path) reads what write() produces: one member
// "<name>.npy" per array, .npy format version 1.0, little-endian, C order.
#include <cstdint>
#include <string>
#include <vector>

namespace latentebm::npz {

struct Array {
  std::string name;            // member name without ".npy"
  std::string dtype;           // numpy descr: "|u1", "<f4", "<f8", "<i8"
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;   // C-order bytes, little-endian
  int64_t numel() const;
};

// Arrays from typed data (shape's product must match the element count).
Array uint8_array(const std::string& name, std::vector<uint8_t> bytes, const std::vector<int64_t>& shape);
Array float32_array(const std::string& name, const float* values, const std::vector<int64_t>& shape);

// Bytes per element of a supported descr; throws for others.
int64_t dtype_size(const std::string& dtype);
// A complete .npy file image: magic, version 1.0, header (padded so the data
// starts on a 64-byte boundary), data.
std::vector<uint8_t> to_npy(const Array& a);
// Parse a .npy file image (versions 1.0 and 2.0; C order only).
Array from_npy(const std::string& name, const std::vector<uint8_t>& bytes);

// Write arrays as one .npz file (atomically: temp file, then rename).
void write(const std::string& path, const std::vector<Array>& arrays);
// Read every member of an .npz file.
std::vector<Array> read(const std::string& path);

}  // namespace latentebm::npz
