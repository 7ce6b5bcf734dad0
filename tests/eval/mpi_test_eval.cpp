// Run under `mpirun -np 2`: statistics and protocol results reduced over the
// ranks equal what one process computes alone.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <filesystem>

#include "data/dataset.h"
#include "distributed/communicator.h"
#include "distributed/gather.h"
#include "eval/anomaly.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"

namespace fs = std::filesystem;
using namespace latentebm;

TEST(MpiEval, GaussianStatsReducedOverRanksEqualOneProcess) {
  auto comm = make_mpi_communicator();
  ASSERT_EQ(comm->size(), 2) << "run under mpirun -np 2";
  torch::manual_seed(11);  // same matrix on every rank
  auto x = torch::randn({37, 5}, torch::kFloat64) * 2 + 1;
  GaussianStats single(5);
  single.add(x);
  // Rank r adds only its rows (uneven split: 19 + 18).
  const auto shard = data::shard_range(37, comm->rank(), comm->size());
  GaussianStats mine(5);
  mine.add(x.narrow(0, shard.begin, shard.size()));
  mine.allreduce(*comm, "test stats");
  EXPECT_DOUBLE_EQ(mine.count, 37);
  EXPECT_TRUE(torch::allclose(mine.sum, single.sum, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(mine.outer, single.outer, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(mine.covariance(), single.covariance(), 1e-12, 1e-12));
  // Frechet distance from reduced stats equals the one-process value.
  auto y = torch::randn({40, 5}, torch::kFloat64);
  EXPECT_NEAR(frechet_distance(mine, single), 0.0, 1e-9);
  EXPECT_NEAR(frechet_distance_features(x, y), frechet_distance(single.mean(), single.covariance(), y.mean(0),
                                                                torch::cov(y.t())),
              1e-9);
}

TEST(MpiEval, GatherByIndex) {
  auto comm = make_mpi_communicator();
  const auto shard = data::shard_range(7, comm->rank(), comm->size());
  std::vector<double> local;
  for (int64_t i = shard.begin; i < shard.end; ++i) local.push_back(10.0 * static_cast<double>(i));
  const auto all = gather_by_index(*comm, 7, shard.begin, local, "test gather");
  ASSERT_EQ(all.size(), 7u);
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(all[i], 10.0 * static_cast<double>(i));
  // Overlapping ranges are detected on every rank.
  EXPECT_THROW(gather_by_index(*comm, 7, 0, {1, 2, 3}, "overlap"), std::runtime_error);
}

TEST(MpiEval, ReconstructionMseDoesNotDependOnTheRankCount) {
  auto comm = make_mpi_communicator();
  long pid = ::getpid();
  MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  const auto dir = fs::temp_directory_path() / ("latentebm_mpi_eval_" + std::to_string(pid));
  const auto path = (dir / "tiny.h5").string();
  if (comm->is_root()) {
    fs::create_directories(dir);
    data::ImageSet train, test;
    for (auto* s : {&train, &test}) {
      s->n = s == &train ? 4 : 11;
      s->c = 1, s->h = 28, s->w = 28;
      for (int64_t i = 0; i < s->n * 784; ++i) s->pixels.push_back(static_cast<uint8_t>((i * 37) % 256));
      s->labels.assign(static_cast<size_t>(s->n), 0);
    }
    data::write_dataset(path, "tiny", "test", train, test);
  }
  comm->barrier("dataset written");
  torch::manual_seed(3);  // same model on every rank
  Generator g(GeneratorKind::kMnist28, 4, 2, 1);
  MultiStagePrior prior(4, 2, 8);
  // 11 images in batches of 3: rank 0 gets batches 0,1 (6 images), rank 1 batches 2,3 (5).
  const auto both = reconstruction_mse(*comm, g, prior, 2, path, "test", 0, 0.3, {3, 0.1}, 3, 5, torch::kCPU);
  auto single = make_single_communicator();
  const auto alone = reconstruction_mse(*single, g, prior, 2, path, "test", 0, 0.3, {3, 0.1}, 3, 5, torch::kCPU);
  EXPECT_EQ(both.images, 11);
  EXPECT_EQ(alone.images, 11);
  EXPECT_NEAR(both.mean(), alone.mean(), 1e-6 * alone.mean());
  // The feature statistics of reconstructions and images, summed over ranks,
  // are those of one rank doing all 11 (same seeded draws per batch).
  FeatureClassifier c;
  c.channels = 1, c.height = 28, c.width = 28, c.num_classes = 2, c.feature_dim = 6;
  torch::manual_seed(4);
  c.net = FeatureNet(1, 2, 6);
  const auto both_f = reconstruction_mse(*comm, g, prior, 2, path, "test", 0, 0.3, {3, 0.1}, 3, 5, torch::kCPU, &c);
  const auto alone_f = reconstruction_mse(*single, g, prior, 2, path, "test", 0, 0.3, {3, 0.1}, 3, 5, torch::kCPU, &c);
  EXPECT_EQ(both_f.reconstruction_features.count, 11);
  EXPECT_EQ(both_f.image_features.count, 11);
  EXPECT_NEAR(both_f.mean(), both.mean(), 1e-12);
  EXPECT_TRUE(torch::allclose(both_f.reconstruction_features.mean(), alone_f.reconstruction_features.mean(), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(both_f.reconstruction_features.covariance(), alone_f.reconstruction_features.covariance(),
                              1e-4, 1e-6));
  EXPECT_TRUE(torch::allclose(both_f.image_features.outer, alone_f.image_features.outer, 1e-9, 1e-9));
  comm->barrier("done reading");
  if (comm->is_root()) fs::remove_all(dir);
}
