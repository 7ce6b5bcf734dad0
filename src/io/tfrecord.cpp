#include "io/tfrecord.h"

#include <array>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace latentebm::tfrecord {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78;  // Castagnoli, reflected

std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    t[i] = c;
  }
  return t;
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(const std::string& in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in[at + static_cast<size_t>(i)])) << (8 * i);
  return v;
}

}  // namespace

uint32_t crc32c(std::string_view data) {
  static const auto table = make_table();
  uint32_t c = 0xffffffffu;
  for (unsigned char b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t masked_crc32c(std::string_view data) {
  const uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string frame(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le(out, data.size(), 8);
  put_le(out, masked_crc32c(out), 4);
  out.append(data);
  put_le(out, masked_crc32c(data), 4);
  return out;
}

std::vector<std::string> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open TFRecord file '" + path + "'");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> records;
  size_t at = 0;
  while (at + 12 <= bytes.size()) {
    const std::string_view header(bytes.data() + at, 8);
    if (masked_crc32c(header) != get_le(bytes, at + 8, 4))
      throw std::runtime_error("'" + path + "': bad length CRC at byte " + std::to_string(at));
    const uint64_t n = get_le(bytes, at, 8);
    if (at + 12 + n + 4 > bytes.size()) break;  // cut short
    const std::string_view data(bytes.data() + at + 12, n);
    if (masked_crc32c(data) != get_le(bytes, at + 12 + n, 4))
      throw std::runtime_error("'" + path + "': bad data CRC in the record at byte " + std::to_string(at));
    records.emplace_back(data);
    at += 12 + n + 4;
  }
  return records;
}

}  // namespace latentebm::tfrecord
