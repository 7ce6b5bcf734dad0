#pragma once
// TFRecord framing, the container of TensorBoard event files:
//   uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes |
//   data | uint32 masked CRC32C of the data
// with CRC32C the Castagnoli CRC and mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace latentebm::tfrecord {

// CRC32C (Castagnoli, reflected, init and final xor 0xffffffff) of `data`;
// crc32c("123456789") = 0xe3069283.
uint32_t crc32c(std::string_view data);
uint32_t masked_crc32c(std::string_view data);

// One framed record.
std::string frame(std::string_view data);

// Every complete record of a file, checking both CRCs (throws on a corrupt
// one). A record cut short at the end (a writer killed mid-write) ends the
// list, as TensorBoard's reader treats it.
std::vector<std::string> read_all(const std::string& path);

}  // namespace latentebm::tfrecord
