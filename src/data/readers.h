#pragma once
// Readers for the paper-scale 32x32 sources: SVHN (MATLAB 5 .mat through
// matio) and CIFAR-10 (binary batches). Both return ImageSet (dataset.h
// layout: uint8 N x 3 x 32 x 32, labels 0..9) and throw std::runtime_error
// naming the file and what is wrong: missing, empty, truncated, not the
// expected format, inconsistent shapes, labels out of range.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace latentebm::data {

// ---- CIFAR-10 binary version (cifar-10-batches-bin/)
// Each record: 1 label byte (0..9), then 3072 pixel bytes, channel-major
// R(1024) G(1024) B(1024), each plane row-major 32x32. A batch file holds
// 10,000 records = 30,730,000 bytes; any positive whole number of records
// is accepted.
constexpr int64_t kCifarSide = 32;
constexpr int64_t kCifarImageBytes = 3 * kCifarSide * kCifarSide;  // 3072
constexpr int64_t kCifarRecordBytes = 1 + kCifarImageBytes;        // 3073

// Parse one batch held in memory; `name` (the file path) appears in errors.
ImageSet parse_cifar10_batch(const uint8_t* data, size_t size, const std::string& name);
ImageSet read_cifar10_batch(const std::string& path);
// data_batch_1.bin .. data_batch_5.bin -> train (in that order), test_batch.bin -> test.
TrainTest read_cifar10(const std::string& dir);

// ---- SVHN cropped digits (train_32x32.mat, test_32x32.mat)
// MATLAB 5 files with X: uint8 [32, 32, 3, N] in MATLAB (column-major)
// order [row, col, channel, n], and y: N x 1 numeric, 1..10 where 10 means
// digit 0. Labels are stored as the digit (10 -> 0). The reader accepts any
// H x W x 3 x N uint8 X (H x W x 3 for a single image, as MATLAB saves it)
// and checks y has N integral entries in 1..10.
ImageSet read_svhn_mat(const std::string& path);

// Read a whole file into memory; throws naming the path when it is missing,
// a directory or unreadable.
std::string read_file(const std::string& path, const std::string& what);

}  // namespace latentebm::data
