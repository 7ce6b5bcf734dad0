// Writes the checkpoint harnesses' seed corpus (committed in fuzz/corpus/):
// manifest/{v3.json,v2.json}, model_file/model.h5 in the layout of
// checkpoint_layout.h, memory_file/{memory.h5,shard.h5} (format 3's whole
// matrix, format 2's shard of rows [kShardBegin, kShardEnd)). Each loads
// through the reader it seeds, so fuzzing starts from the valid path.
// fuzz/run.sh builds it beside the harnesses; to regenerate the committed seeds:
//   fuzz/out/bin/make_checkpoint_seeds fuzz/corpus
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "checkpoint_layout.h"

namespace fs = std::filesystem;
using namespace latentebm;
using namespace fuzz_layout;

namespace {
void write_memory(const fs::path& p, int64_t begin, int64_t end) {
  h5::File f(p.string(), h5::Mode::Truncate);
  std::vector<float> m, s;
  std::vector<int64_t> w;
  for (int64_t r = begin; r < end; ++r) {
    for (int64_t j = 0; j < kMemoryNz; ++j) {
      m.push_back(0.25f * static_cast<float>(r) - static_cast<float>(j));
      s.push_back(-0.5f * static_cast<float>(r) + static_cast<float>(j));
    }
    w.push_back(r % 3 == 0 ? -1 : r);
  }
  write_memory_rows(f, data::Shard{begin, end}, kMemoryRows, kMemoryNz, m.data(), s.data(), w.data());
}

nlohmann::json manifest(int64_t version) {
  nlohmann::json files = nlohmann::json::array();
  files.push_back({{"name", "model.h5"}, {"bytes", 5}, {"crc32", "0a1b2c3d"}});
  nlohmann::json m = {{"format", kCheckpointFormat},
                      {"version", version},
                      {"iteration", 4},
                      {"stage", 1},
                      {"world_size", 2},
                      {"total_iterations", 12},
                      {"global_batch", 32},
                      {"structure", "model.nz: 8\ntrain.stages: 4\n"},
                      {"config_fingerprint", "12345678"},
                      {"dataset_fingerprint", "tiny 96x1x28x28 crc 00000000"},
                      {"config", "model:\n  nz: 8\n"},
                      {"schedule", {{"stage_starts", {0, 3}}}},
                      {"guard", nlohmann::json::object()}};
  if (version >= 3) {
    files.push_back({{"name", "memory.h5"}, {"bytes", 6}, {"crc32", "deadbeef"}});
    m["memory"] = {{"file", "memory.h5"}, {"rows", 10}, {"nz", 8}, {"writer_row_ranges", {{0, 5}, {5, 10}}}};
  } else {
    files.push_back({{"name", "shard-00000.h5"}, {"bytes", 6}, {"crc32", "00000001"}});
    files.push_back({{"name", "shard-00001.h5"}, {"bytes", 6}, {"crc32", "00000002"}});
  }
  m["files"] = files;
  return m;
}
}  // namespace

int main(int argc, char** argv) {
  const fs::path out = argc > 1 ? argv[1] : "fuzz/corpus";
  for (const char* d : {"manifest", "model_file", "memory_file"}) fs::create_directories(out / d);
  std::ofstream(out / "manifest" / "v3.json") << manifest(3).dump(2) << "\n";
  std::ofstream(out / "manifest" / "v2.json") << manifest(2).dump(2) << "\n";
  {
    h5::File f((out / "model_file" / "model.h5").string(), h5::Mode::Truncate);
    f.set_attr("/", "num_stages", kNumStages);
    for (const auto& spec : model_tensors()) {
      size_t n = 1;
      for (int64_t d : spec.shape) n *= static_cast<size_t>(d);
      std::vector<float> v(n);
      for (size_t i = 0; i < n; ++i) v[i] = 0.1f * static_cast<float>(i) - 0.3f;
      f.write_f32(spec.name, v.data(), spec.shape);
    }
    f.set_attr(kOptimizerGroup, "steps", int64_t{7});
  }
  write_memory(out / "memory_file" / "memory.h5", 0, kMemoryRows);
  write_memory(out / "memory_file" / "shard.h5", kShardBegin, kShardEnd);
  return 0;
}
