#pragma once
// Shared pieces of the 2-rank training tests (tests/*/mpi_test_*.cpp): rank
// helpers, a tiny random dataset, a tiny config, and a fixture that gives
// every test a scratch directory shared by both ranks.
#include <gtest/gtest.h>
#include <mpi.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "config.h"
#include "data/dataset.h"
#include "distributed/communicator.h"

namespace latentebm::testing {

namespace fs = std::filesystem;

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int world_size() {
  int w = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &w);
  return w;
}

// Concatenation over ranks (rank order) of float tensors of equal shape.
inline torch::Tensor allgather_rows(const torch::Tensor& mine) {
  auto c = mine.detach().to(torch::kCPU).contiguous();
  std::vector<int64_t> shape(c.sizes().begin(), c.sizes().end());
  shape[0] *= world_size();
  auto all = torch::empty(shape, c.options());
  MPI_Allgather(c.data_ptr<float>(), static_cast<int>(c.numel()), MPI_FLOAT, all.data_ptr<float>(), static_cast<int>(c.numel()),
                MPI_FLOAT, MPI_COMM_WORLD);
  return all;
}

inline data::ImageSet random_images(int64_t n, uint32_t seed) {
  data::ImageSet s;
  s.n = n;
  s.c = 1;
  s.h = 28;
  s.w = 28;
  std::mt19937 gen(seed);
  s.pixels.resize(static_cast<size_t>(n * 28 * 28));
  for (auto& p : s.pixels) p = static_cast<uint8_t>(gen() & 0xff);
  for (int64_t i = 0; i < n; ++i) s.labels.push_back(i % 10);
  return s;
}

// K = 4 stages over T = 8 iterations: a stage transition every 2 iterations,
// so resuming anywhere in the run crosses at least one. Checkpoints only at
// the end of each train() call.
inline Config tiny_config(const std::string& data_path) {
  Config c;
  c.data.path = data_path;
  c.model.generator = GeneratorKind::kMnist28;
  c.model.nz = 8;
  c.model.ngf = 4;
  c.model.ratio_hidden = 16;
  c.train.stages = 4;
  c.train.iterations = 8;
  c.train.batch_size = 8;
  c.train.langevin_steps = 3;
  c.train.seed = 5;
  c.log.log_every = 1000;
  c.log.checkpoint_every = 1000;
  c.log.keep_checkpoints = 3;
  c.sample.count = 8;
  c.log.noise_reference_samples = 64;  // noise diagnostics, kept cheap
  c.log.noise_reference_steps = 50;
  validate(c);
  return c;
}

class MpiRunTest : public ::testing::Test {
 protected:
  // Seeds of the random train and test images of the shared tiny dataset.
  explicit MpiRunTest(uint32_t train_seed = 21, uint32_t test_seed = 22) : train_seed_(train_seed), test_seed_(test_seed) {}
  static void SetUpTestSuite() { spdlog::set_level(spdlog::level::warn); }

  void SetUp() override {
    ASSERT_EQ(world_size(), 2) << "run this binary with mpirun -np 2";
    char buf[4096] = {0};
    if (world_rank() == 0) {
      std::string tmpl = (fs::temp_directory_path() / "latentebm_mpi_run_XXXXXX").string();
      std::vector<char> t(tmpl.begin(), tmpl.end());
      t.push_back('\0');
      if (mkdtemp(t.data()) != nullptr) std::snprintf(buf, sizeof(buf), "%s", t.data());
    }
    MPI_Bcast(buf, sizeof(buf), MPI_CHAR, 0, MPI_COMM_WORLD);
    dir_ = buf;
    ASSERT_FALSE(dir_.empty()) << "mkdtemp failed on rank 0";
    data_path_ = (dir_ / "tiny.h5").string();
    if (world_rank() == 0) data::write_dataset(data_path_, "tiny", "mpi test", random_images(64, train_seed_), random_images(16, test_seed_));
    MPI_Barrier(MPI_COMM_WORLD);
    comm_ = make_mpi_communicator();
  }

  void TearDown() override {
    MPI_Barrier(MPI_COMM_WORLD);
    if (world_rank() == 0 && !dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  std::string run_dir(const std::string& name) const { return (dir_ / name).string(); }

  uint32_t train_seed_, test_seed_;
  fs::path dir_;
  std::string data_path_;
  std::unique_ptr<Communicator> comm_;
};

}  // namespace latentebm::testing
