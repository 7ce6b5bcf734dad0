#pragma once
// The one way latentebm writes a file that someone may read while it is being
// written, or after a crash: into a temporary file beside the target, flushed
// to disk (fsync), then renamed over the target (atomic within a directory),
// then the directory entry flushed. A reader sees the old file or the whole
// new one, never a torn one.
//
//   write_file_atomically(path, bytes)  for content held in memory;
//   AtomicFile                          for writers that need a path to write
//                                       to themselves (libpng, libzip, gnuplot,
//                                       HDF5): write temp_path(), then commit().
#include <string>
#include <string_view>

namespace latentebm::io {

// Flush a file's (or a directory's) data to disk. Best effort: a path that
// cannot be opened is ignored.
void fsync_path(const std::string& path);

// Write `bytes` to `path` and fsync it, without renaming (for files inside a
// directory that is itself renamed into place, as checkpoints are). `point`
// names the write for the fault injector (io/write_fault.h).
void write_file_durably(const std::string& path, std::string_view bytes, const char* point = "write.file");

// Atomically replace (or create) `path` with `bytes`. Creates missing parent
// directories. Throws std::runtime_error naming the path on failure (a full
// disk leaves the old file in place and no temporary file behind).
void write_file_atomically(const std::string& path, std::string_view bytes, const char* point = "write.file");

class AtomicFile {
 public:
  // `suffix` is appended to the temporary name (e.g. ".png" for tools that
  // pick the format from the extension). Creates missing parent directories.
  explicit AtomicFile(std::string path, const std::string& suffix = "");
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }
  // fsync the temporary file, rename it to path(), fsync the directory.
  void commit();

 private:
  std::string path_, temp_;
  bool committed_ = false;
};

}  // namespace latentebm::io
