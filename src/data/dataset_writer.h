#pragma once
// Streaming writer for the prepared-dataset layout of dataset.h.
//
// Both splits are preallocated ([N, C, H, W] uint8 chunked by rows, [N] int64
// labels) when the writer is created, then filled block by block with HDF5
// hyperslab writes, so a converter holds only one block of images in memory
// whatever N is. The file is built as PATH.tmp and renamed onto PATH by
// commit() (atomic within a directory); a writer destroyed without commit()
// removes the temp file, so readers never see a half-written dataset.
//
// A converter that drops inputs (unreadable files) writes the rows it keeps
// contiguously and calls finish_split() with the count actually written; the
// split is then shrunk to that count.
#include <cstdint>
#include <memory>
#include <string>

namespace latentebm::h5 {
class File;
}

namespace latentebm::data {

// Rows per HDF5 chunk for images of `image_bytes` bytes (about 1 MiB chunks).
int64_t chunk_rows_for(int64_t image_bytes);

class DatasetWriter {
 public:
  DatasetWriter(const std::string& path, const std::string& name, const std::string& source, int64_t n_train,
                int64_t n_test, int64_t c, int64_t h, int64_t w);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Rows [row_begin, row_begin + rows) of `split` ("train" or "test"):
  // rows x C x H x W pixels and `rows` labels.
  void write(const std::string& split, int64_t row_begin, const uint8_t* pixels, const int64_t* labels,
             int64_t rows);
  // Shrink `split` to its first `rows` rows (no-op when nothing was dropped).
  void finish_split(const std::string& split, int64_t rows);
  // An integer attribute on the file's root (e.g. anomaly_label).
  void set_attr(const std::string& key, int64_t value);
  // Validate what the file records against what it declares, then flush,
  // close and rename the temp file onto the target path. Checked: every
  // label is -1 (none) or a class index >= 0; with an anomaly_label, no
  // training record carries it and the test split has at least one that
  // does. A failure names the file and the first bad record, and leaves no
  // file behind.
  void commit();

  int64_t image_bytes() const { return c_ * h_ * w_; }
  int64_t chunk_rows() const { return chunk_rows_; }  // rows per image chunk (a smaller split is one chunk)
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_;
  int64_t c_, h_, w_, chunk_rows_;
  int64_t rows_[2];
  std::unique_ptr<h5::File> file_;
  int64_t anomaly_label_ = -1;
  bool committed_ = false;
};

}  // namespace latentebm::data
