#include "io/atomic_file.h"

#include "io/write_fault.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace latentebm::io {

namespace {
std::string parent_dir(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

void create_parent(const std::string& path) {
  const fs::path p(path);
  if (!p.has_parent_path()) return;
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec) throw std::runtime_error("cannot create the directory '" + p.parent_path().string() + "' for '" + path + "': " + ec.message());
}
}  // namespace

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void write_file_durably(const std::string& path, std::string_view bytes, const char* point) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(write_error(path, errno));
  // An injected storage fault: half the bytes reach the disk, then the write fails.
  const int injected = write_fault(point);
  const size_t stop = injected != 0 ? bytes.size() / 2 : bytes.size();
  size_t done = 0;
  while (done < stop) {
    const ssize_t n = ::write(fd, bytes.data() + done, stop - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error(write_error(path, err));
    }
    done += static_cast<size_t>(n);
  }
  if (injected != 0) {
    ::close(fd);
    throw std::runtime_error(write_error(path, injected));
  }
  // A full disk may only show at fsync or close (delayed allocation, NFS).
  int err = ::fsync(fd) == 0 ? 0 : errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) throw std::runtime_error(write_error(path, err));
}

void write_file_atomically(const std::string& path, std::string_view bytes, const char* point) {
  AtomicFile f(path);
  write_file_durably(f.temp_path(), bytes, point);
  f.commit();
}

AtomicFile::AtomicFile(std::string path, const std::string& suffix) : path_(std::move(path)) {
  create_parent(path_);
  temp_ = path_ + ".tmp." + std::to_string(::getpid()) + suffix;
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::commit() {
  fsync_path(temp_);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + temp_ + "' to '" + path_ + "': " + std::strerror(errno));
  committed_ = true;
  fsync_path(parent_dir(path_));
}

}  // namespace latentebm::io
