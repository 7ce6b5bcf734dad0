#pragma once
// A thin RAII layer over the HDF5 C API: one file, datasets addressed by
// slash paths ("/train/images"), a few attribute types. Everything latentebm
// stores on disk (prepared datasets, memory-matrix shards, checkpoints) goes
// through this header, so HDF5 details live in exactly one place.
//
// Files are opened with HDF5 file locking disabled (shared cluster file
// systems reject the lock) and every HDF5 error becomes a std::runtime_error
// that names the file and the object.
#include <cstdint>
#include <string>
#include <vector>

namespace latentebm::h5 {

enum class Mode {
  Read,       // existing file, read only
  ReadWrite,  // existing file
  Truncate,   // create, replacing any existing file
};

class File {
 public:
  File(const std::string& path, Mode mode);
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::string& path() const { return path_; }

  // True when a dataset or group exists at `name` (every path component checked).
  bool has(const std::string& name) const;
  // Dataset dimensions.
  std::vector<int64_t> shape(const std::string& name) const;
  // Names of the direct children of a group ("/" for the root), sorted.
  std::vector<std::string> list(const std::string& group) const;

  // Whole-dataset writes. Missing intermediate groups are created. An existing
  // dataset of the same name is an error. chunk_rows > 0 stores the dataset
  // chunked by that many rows of the leading dimension (for hyperslab reads).
  void write_f32(const std::string& name, const float* data, const std::vector<int64_t>& shape, int64_t chunk_rows = 0);
  void write_u8(const std::string& name, const uint8_t* data, const std::vector<int64_t>& shape, int64_t chunk_rows = 0);
  void write_i64(const std::string& name, const int64_t* data, const std::vector<int64_t>& shape, int64_t chunk_rows = 0);

  // Create a preallocated chunked dataset (chunk_rows > 0) and fill it
  // row-block by row-block (for converters that stream data that does not
  // fit in memory). Its leading dimension is extendible: set_rows grows or
  // shrinks it afterwards (e.g. to drop the rows of skipped inputs).
  void create_u8(const std::string& name, const std::vector<int64_t>& shape, int64_t chunk_rows);
  void create_i64(const std::string& name, const std::vector<int64_t>& shape, int64_t chunk_rows);
  void write_u8_rows(const std::string& name, int64_t row_begin, const uint8_t* data, int64_t rows);
  void write_i64_rows(const std::string& name, int64_t row_begin, const int64_t* data, int64_t rows);
  void set_rows(const std::string& name, int64_t rows);

  // Whole-dataset reads; the element type must match what was written.
  std::vector<float> read_f32(const std::string& name) const;
  std::vector<uint8_t> read_u8(const std::string& name) const;
  std::vector<int64_t> read_i64(const std::string& name) const;

  // Rows [begin, end) of the leading dimension, read by hyperslab: only those
  // bytes are read from disk.
  std::vector<uint8_t> read_u8_rows(const std::string& name, int64_t begin, int64_t end) const;
  std::vector<float> read_f32_rows(const std::string& name, int64_t begin, int64_t end) const;
  std::vector<int64_t> read_i64_rows(const std::string& name, int64_t begin, int64_t end) const;

  // Attributes on a group or dataset ("/" is the root group).
  void set_attr(const std::string& object, const std::string& key, const std::string& value);
  void set_attr(const std::string& object, const std::string& key, int64_t value);
  void set_attr(const std::string& object, const std::string& key, double value);
  bool has_attr(const std::string& object, const std::string& key) const;
  std::string attr_str(const std::string& object, const std::string& key) const;
  int64_t attr_i64(const std::string& object, const std::string& key) const;
  double attr_f64(const std::string& object, const std::string& key) const;

  // Flush buffers to the OS and fsync the file descriptor.
  void flush();
  void close();

 private:
  std::string path_;
  int64_t id_ = -1;  // hid_t
};

}  // namespace latentebm::h5
