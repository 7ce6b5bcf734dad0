#include "io/write_fault.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace latentebm::io {
namespace {
WriteFaultHook g_hook = nullptr;
}  // namespace

void set_write_fault_hook(WriteFaultHook hook) { g_hook = hook; }

int write_fault(const char* point) { return g_hook == nullptr ? 0 : g_hook(point); }

std::string write_error(const std::string& path, int err) {
  std::string advice;
  if (err == ENOSPC || err == EDQUOT) advice = " (the disk or quota is full: free space, then rerun the same command)";
  else if (err == EIO) advice = " (an I/O error of the storage device: check the disk, then rerun the same command)";
  else if (err == EACCES || err == EPERM || err == EROFS) advice = " (no permission, or a read-only file system)";
  return "cannot write '" + path + "': " + std::strerror(err) + advice;
}

void fail_written_file_if_injected(const char* point, const std::string& path) {
  const int err = write_fault(point);
  if (err == 0) return;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) std::filesystem::resize_file(path, size / 2, ec);
  throw std::runtime_error(write_error(path, err));
}

}  // namespace latentebm::io
