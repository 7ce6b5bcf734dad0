#include "io/run_dir.h"

#include <cstdio>
#include <filesystem>

#include "io/atomic_file.h"

namespace latentebm {

std::string RunDir::file(const std::string& name) const { return (std::filesystem::path(root_) / name).string(); }

std::string RunDir::rank_log(int rank) const {
  char name[32];
  std::snprintf(name, sizeof(name), "rank-%05d.log", rank);
  return (std::filesystem::path(logs()) / name).string();
}

std::string RunDir::divergence_dump(long long iteration, int rank) const {
  char name[64];
  std::snprintf(name, sizeof(name), "divergence-it%08lld-rank%05d.h5", iteration, rank);
  return (std::filesystem::path(debug()) / name).string();
}

const RunDir& RunDir::create() const {
  std::filesystem::create_directories(root_);
  return *this;
}

void RunDir::write_config(const std::string& yaml) const {
  io::write_file_atomically(config_yaml(), "# resolved latentebm config (all keys)\n" + yaml);
}

}  // namespace latentebm
