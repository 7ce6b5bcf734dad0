// libFuzzer harness: a checkpoint's manifest.json, read as resume and
// `latentebm verify` read it: parse_manifest, then verify_checkpoint on a
// checkpoint directory holding the input as its manifest beside two fixed
// files (model.h5 and memory.h5, a few bytes each), then memory_files for a
// fixed row count. A manifest that parses must keep train/checkpoint_files.h's
// promises (ranges, plain distinct file names, the model and memory files
// listed); verify may pass only when every file it lists is one of the two
// there with its size and CRC-32, and no path it returns leaves the
// directory. Anything but that or a std::runtime_error is a finding.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "input_file.h"
#include "train/checkpoint_files.h"

namespace fs = std::filesystem;
using namespace latentebm;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool plain(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = [] {
    const fs::path d = fs::path(fuzz_io::temp_path("manifest", "")) / "ckpt-00000004";
    fs::create_directories(d);
    fuzz_io::write_file(d / "model.h5", "model", 5);
    fuzz_io::write_file(d / "memory.h5", "memory", 6);
    return d;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  Manifest m;
  try {
    m = parse_manifest(text, "manifest.json");
  } catch (const std::runtime_error&) {
    return 0;
  }
  const CheckpointMeta& meta = m.meta;
  check(m.version >= kOldestReadableCheckpoint && m.version <= kCheckpointVersion);
  check(meta.iteration >= 0 && meta.stage >= 0 && meta.world_size >= 1 && meta.world_size <= kMaxCheckpointWorldSize);
  check(meta.total_iterations >= 0 && meta.global_batch >= 0);
  check(meta.total_iterations == 0 || meta.iteration <= meta.total_iterations);
  check(nlohmann::json::parse(meta.schedule_json).is_object() && nlohmann::json::parse(meta.guard_json).is_object());
  bool model_listed = false, memory_listed = false;
  for (size_t i = 0; i < m.files.size(); ++i) {
    const auto& f = m.files[i];
    check(plain(f.name) && f.bytes >= 0 && f.crc32.size() == 8);
    for (size_t j = 0; j < i; ++j) check(m.files[j].name != f.name);
    model_listed |= f.name == "model.h5";
    memory_listed |= f.name == m.memory_file;
  }
  check(model_listed);
  if (m.version >= 3) check(plain(m.memory_file) && memory_listed && m.memory_rows >= 0);

  fs::remove(dir / "manifest.json");
  fuzz_io::write_file(dir / "manifest.json", data, size);
  try {
    verify_checkpoint(dir.string());
    // It passed: every listed file is one of the two there, with their sizes.
    for (const auto& f : m.files) check((f.name == "model.h5" && f.bytes == 5) || (f.name == "memory.h5" && f.bytes == 6));
  } catch (const std::runtime_error&) {
  }
  try {
    for (const auto& p : memory_files(dir.string(), m, data::Shard{0, 10}, 10)) check(fs::path(p).parent_path() == dir);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
