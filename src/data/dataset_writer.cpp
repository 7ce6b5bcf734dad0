#include "data/dataset_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "data/dataset.h"
#include "io/h5.h"
#include "io/write_fault.h"

namespace latentebm::data {
namespace {

constexpr const char* kFormat = "latentebm-dataset";
constexpr int64_t kVersion = 1;
constexpr int64_t kChunkBytes = 1 << 20;   // target size of one image chunk
constexpr int64_t kLabelChunkRows = 1 << 16;  // 512 KiB of int64 labels

int split_index(const std::string& split, const std::string& path) {
  if (split == "train") return 0;
  if (split == "test") return 1;
  throw std::invalid_argument("dataset '" + path + "': unknown split '" + split + "' (train or test)");
}

// Make the rename itself durable; best effort (some file systems refuse).
void sync_directory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

int64_t chunk_rows_for(int64_t image_bytes) { return std::max<int64_t>(1, kChunkBytes / std::max<int64_t>(1, image_bytes)); }

DatasetWriter::DatasetWriter(const std::string& path, const std::string& name, const std::string& source,
                             int64_t n_train, int64_t n_test, int64_t c, int64_t h, int64_t w)
    : path_(path), tmp_(path + ".tmp"), c_(c), h_(h), w_(w), chunk_rows_(chunk_rows_for(c * h * w)),
      rows_{n_train, n_test} {
  if (c <= 0 || h <= 0 || w <= 0 || n_train < 0 || n_test < 0) {
    throw std::invalid_argument("cannot write dataset '" + path + "': invalid shape (" + std::to_string(n_train) +
                                " train, " + std::to_string(n_test) + " test images of " + std::to_string(c) + "x" +
                                std::to_string(h) + "x" + std::to_string(w) + ")");
  }
  std::error_code ec;
  std::filesystem::remove(tmp_, ec);
  try {
    file_ = std::make_unique<h5::File>(tmp_, h5::Mode::Truncate);
    file_->set_attr("/", "format", std::string(kFormat));
    file_->set_attr("/", "version", kVersion);
    file_->set_attr("/", "name", name);
    file_->set_attr("/", "source", source);
    for (const char* split : {"train", "test"}) {
      // Chunks never longer than the split (small files stay small); the
      // row count only ever shrinks afterwards (finish_split).
      const int64_t n = rows_[split_index(split, path_)], cap = std::max<int64_t>(1, n);
      file_->create_u8(std::string("/") + split + "/images", {n, c, h, w}, std::min(chunk_rows_, cap));
      file_->create_i64(std::string("/") + split + "/labels", {n}, std::min(kLabelChunkRows, cap));
    }
  } catch (...) {
    file_.reset();
    std::filesystem::remove(tmp_, ec);
    throw;
  }
}

DatasetWriter::~DatasetWriter() {
  if (committed_) return;
  try {
    file_.reset();
  } catch (...) {
  }
  std::error_code ec;
  std::filesystem::remove(tmp_, ec);
}

void DatasetWriter::write(const std::string& split, int64_t row_begin, const uint8_t* pixels,
                          const int64_t* labels, int64_t rows) {
  if (committed_) throw std::logic_error("dataset '" + path_ + "' was already committed");
  const std::string prefix = "/" + split;
  split_index(split, path_);
  file_->write_u8_rows(prefix + "/images", row_begin, pixels, rows);
  file_->write_i64_rows(prefix + "/labels", row_begin, labels, rows);
}

void DatasetWriter::finish_split(const std::string& split, int64_t rows) {
  int64_t& n = rows_[split_index(split, path_)];
  if (rows == n) return;
  if (rows < 0 || rows > n) {
    throw std::invalid_argument("dataset '" + path_ + "': cannot finish split '" + split + "' with " +
                                std::to_string(rows) + " rows (allocated " + std::to_string(n) + ")");
  }
  file_->set_rows("/" + split + "/images", rows);
  file_->set_rows("/" + split + "/labels", rows);
  n = rows;
}

void DatasetWriter::set_attr(const std::string& key, int64_t value) {
  if (committed_) throw std::logic_error("dataset '" + path_ + "' was already committed");
  file_->set_attr("/", key, value);
  if (key == "anomaly_label") anomaly_label_ = value;
}

void DatasetWriter::commit() {
  if (committed_) return;
  // content_crc32 (dataset.h): train pixels, train labels, test pixels, test
  // labels, read back in blocks so memory stays bounded whatever the size.
  Crc32 crc;
  const int64_t block = std::max<int64_t>(1, (int64_t(8) << 20) / std::max<int64_t>(1, image_bytes()));
  const char* splits[] = {"train", "test"};
  int64_t test_anomalies = 0;
  for (int i = 0; i < 2; ++i) {
    const std::string prefix = std::string("/") + splits[i];
    for (int64_t b = 0; b < rows_[i]; b += block) {
      const auto px = file_->read_u8_rows(prefix + "/images", b, std::min(rows_[i], b + block));
      crc.update(px.data(), px.size());
    }
    for (int64_t b = 0; b < rows_[i]; b += block) {
      const auto labels = file_->read_i64_rows(prefix + "/labels", b, std::min(rows_[i], b + block));
      for (size_t k = 0; k < labels.size(); ++k) {
        const int64_t label = labels[k], record = b + static_cast<int64_t>(k);
        const std::string where = "dataset '" + path_ + "': " + splits[i] + " record " + std::to_string(record);
        if (label < -1)
          throw std::invalid_argument(where + " has label " + std::to_string(label) +
                                      "; labels are -1 (none) or a class index >= 0");
        if (anomaly_label_ >= 0 && label == anomaly_label_) {
          if (i == 0)
            throw std::invalid_argument(where + " has the held-out anomaly label " + std::to_string(label) +
                                        "; an anomaly split trains on normal classes only");
          ++test_anomalies;
        }
      }
      crc.update(labels.data(), labels.size() * sizeof(int64_t));
    }
  }
  if (anomaly_label_ >= 0 && test_anomalies == 0)
    throw std::invalid_argument("dataset '" + path_ + "' declares anomaly label " + std::to_string(anomaly_label_) +
                                " but no test record has it");
  file_->set_attr("/", "content_crc32", crc.hex());
  file_->flush();
  file_->close();
  file_.reset();
  io::fail_written_file_if_injected("write.dataset", tmp_);  // the destructor removes the cut file
  std::error_code ec;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::filesystem::remove(tmp_, ec);
    committed_ = true;  // nothing left to clean up
    throw std::runtime_error("cannot move '" + tmp_ + "' to '" + path_ + "' (check permissions on the directory)");
  }
  committed_ = true;
  sync_directory(path_);
}

}  // namespace latentebm::data
