#pragma once
// Storage faults on demand, for the test suite: LATENTEBM_INJECT's `enospc`
// and `eio` actions (src/train/faults.h) make one named write fail as a full
// disk or a failing device would. Every writer of a file that matters calls
// write_fault(point) at the moment its bytes go to disk; the injector answers
// with the errno to fail with (0 almost always). A writer that gets one
// leaves what a real failure leaves (a partial file) and throws
// write_error(path, err), the same message a real failure of that write gives.
//
// The write points (docs/RELIABILITY.md):
//   write.memory, write.model, write.manifest, write.latest   a checkpoint
//   write.metrics       a metrics.jsonl row
//   write.tensorboard   a TensorBoard event record
//   write.file          any file replaced atomically (config.yaml, eval JSON, reports)
//   write.dataset       `prepare`'s dataset
//   write.export        `export`'s files
#include <string>

namespace latentebm::io {

// The injector's answer for `point`: an errno, or 0. Set once by src/train/faults.cpp.
using WriteFaultHook = int (*)(const char* point);
void set_write_fault_hook(WriteFaultHook hook);

// The errno the write at `point` must fail with, 0 for none.
int write_fault(const char* point);

// "cannot write '<path>': <strerror(err)>" plus what to do about it.
std::string write_error(const std::string& path, int err);

// For writers that hand the bytes to a library (HDF5): after the library
// wrote `path`, fail as the write would have had `point` an injected error:
// the file is cut to half its size and write_error is thrown.
void fail_written_file_if_injected(const char* point, const std::string& path);

}  // namespace latentebm::io
