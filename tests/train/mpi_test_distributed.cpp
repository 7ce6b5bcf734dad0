// Run under `mpirun -np 2`. What the data-parallel trainer promises:
//   1. the all-reduced gradient is the single-process gradient of the union
//      batch (accumulate_gradients + pack + allreduce_sum, and one whole
//      Trainer::update on 2 ranks against the same step on a world of one);
//   2. after a stage transition every rank holds bit-identical frozen ratio
//      networks, namely rank 0's bytes, even if another rank drifted;
//   3. every memory-matrix row is owned by exactly one rank and survives an
//      HDF5 round trip bit for bit, on the same and on a different rank count;
//   4. stage k >= 1 draws its noise samples only from the bank as it stood
//      when the stage began; stage 0 draws N(0, I).
#include <gtest/gtest.h>
#include <mpi.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "config.h"
#include "data/dataset.h"
#include "distributed/communicator.h"
#include "distributed/tensor_comm.h"
#include "io/h5.h"
#include "model/generator.h"
#include "model/prior.h"
#include "train/memory_bank.h"
#include "train/trainer.h"

#include "support/mpi_run_fixture.h"

namespace fs = std::filesystem;
using namespace latentebm;
using namespace latentebm::testing;

namespace {

// Every rank's value, in rank order.
std::vector<uint64_t> allgather_u64(uint64_t mine) {
  std::vector<uint64_t> all(static_cast<size_t>(world_size()));
  MPI_Allgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
  return all;
}

std::vector<int64_t> allgather_i64(const std::vector<int64_t>& mine) {
  const int n = static_cast<int>(mine.size());
  std::vector<int64_t> all(mine.size() * static_cast<size_t>(world_size()));
  MPI_Allgather(mine.data(), n, MPI_INT64_T, all.data(), n, MPI_INT64_T, MPI_COMM_WORLD);
  return all;
}

// The shared tiny setup (K = 4 stages over 8 iterations, a stage every 2)
// with 2 Langevin steps and its own seed.
Config dist_config(const std::string& data_path) {
  Config c = tiny_config(data_path);
  c.train.langevin_steps = 2;
  c.train.seed = 7;
  c.log.keep_checkpoints = 2;
  validate(c);
  return c;
}

// One directory for all ranks, with the shared tiny dataset (seeds 11, 12).
class DistributedTest : public MpiRunTest {
 protected:
  DistributedTest() : MpiRunTest(11, 12) {}
};

std::vector<torch::Tensor> grads_of(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> g;
  for (const auto& p : params) {
    EXPECT_TRUE(p.grad().defined());
    g.push_back(p.grad().detach().clone());
  }
  return g;
}

// max |a - b| / max(|b|_inf, tiny) over a list of tensors, and a per-tensor check.
void expect_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, double rtol, double atol,
                  const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].sizes(), b[i].sizes()) << what << " #" << i;
    const double diff = (a[i] - b[i]).abs().max().item<double>();
    const double scale = b[i].abs().max().item<double>();
    EXPECT_LE(diff, atol + rtol * scale) << what << " tensor #" << i << ": max |diff| " << diff << " vs scale " << scale;
  }
}

}  // namespace

// --- 1. gradient all-reduce == single-process gradient of the union batch

TEST_F(DistributedTest, AllReducedGradientEqualsUnionBatchGradient) {
  const int rank = world_rank(), world = world_size();
  const int64_t B = 8, nz = 8, half = B / world;
  const double sigma = 0.3;

  // A fixed global batch every rank knows: images in [-1, 1], posterior and noise latents.
  auto gen = at::detail::createCPUGenerator(1234);
  auto x = torch::rand({B, 1, 28, 28}, gen) * 2 - 1;
  auto z_post = torch::randn({B, nz}, gen);
  auto z_noise = torch::randn({B, nz}, gen) * 1.5;

  auto build = [&](Generator& g, RatioNet& f) {
    torch::manual_seed(99);
    g = Generator(GeneratorKind::kMnist28, nz, 4, 1);
    f = RatioNet(nz, 16);
  };
  Generator g_dist{nullptr}, g_ref{nullptr};
  RatioNet f_dist{nullptr}, f_ref{nullptr};
  build(g_dist, f_dist);
  build(g_ref, f_ref);
  auto params_dist = parameter_list(*g_dist);
  for (auto& p : parameter_list(*f_dist)) params_dist.push_back(p);
  auto params_ref = parameter_list(*g_ref);
  for (auto& p : parameter_list(*f_ref)) params_ref.push_back(p);
  ASSERT_EQ(checksum(params_dist), checksum(params_ref));
  // The two ranks really start from the same model.
  const auto sums = allgather_u64(checksum(params_dist));
  ASSERT_EQ(sums[0], sums[1]);

  // This rank's half of the batch; the loss is normalised by the GLOBAL batch.
  auto local = accumulate_gradients(g_dist, &f_dist, x.narrow(0, rank * half, half), z_post.narrow(0, rank * half, half),
                                    z_noise.narrow(0, rank * half, half), sigma, B);
  auto parts = grads_of(params_dist);
  std::vector<torch::Tensor> grads_local;
  for (auto& t : parts) grads_local.push_back(t.clone());
  // The loss terms ride behind the gradients, as in the trainer's all-reduce.
  auto losses = [](const StepTermsOf<torch::Tensor>& t) { return torch::stack({t.gen_loss, t.nce_loss, t.nce_acc}); };
  parts.push_back(losses(local));
  auto flat = pack(parts);
  allreduce_sum(*comm_, flat, "test: gradients");
  unpack(flat, parts);
  const auto summed_terms = parts.back();
  parts.pop_back();

  // The same gradient, one process, whole batch.
  auto whole = accumulate_gradients(g_ref, &f_ref, x, z_post, z_noise, sigma, B);
  const auto grads_ref = grads_of(params_ref);

  expect_close(parts, grads_ref, 1e-5, 1e-7, "all-reduced vs union-batch gradient");
  expect_close({summed_terms}, {losses(whole)}, 1e-5, 1e-7, "all-reduced vs union-batch [gen, nce, acc]");

  // The check has teeth: one rank's share alone is not the full gradient.
  double worst = 0;
  for (size_t i = 0; i < grads_local.size(); ++i)
    worst = std::max(worst, (grads_local[i] - grads_ref[i]).abs().max().item<double>());
  EXPECT_GT(worst, 1e-4) << "a half batch gave the full-batch gradient: the test data is degenerate";

  // Every rank ends with the same summed gradient, bit for bit.
  const auto grad_sums = allgather_u64(checksum(parts));
  EXPECT_EQ(grad_sums[0], grad_sums[1]);
}

TEST_F(DistributedTest, UpdateOnTwoRanksMatchesSingleProcessUpdate) {
  const Config cfg = dist_config(data_path_);
  Trainer dist(cfg, *comm_, (dir_ / "run-dist").string());
  auto single_comm = make_single_communicator();
  Trainer single(cfg, *single_comm, (dir_ / ("run-single-" + std::to_string(world_rank()))).string());
  ASSERT_EQ(checksum(parameter_list(*dist.generator())), checksum(parameter_list(*single.generator())));
  ASSERT_EQ(checksum(parameter_list(*dist.prior())), checksum(parameter_list(*single.prior())));

  // Two-rank batch: this rank's half of the global batch of iteration 0.
  const Batch mine = dist.load_batch(0);
  ASSERT_EQ(static_cast<int64_t>(mine.indices.size()), cfg.train.batch_size / 2);
  for (int64_t i : mine.indices) ASSERT_TRUE(dist.data().shard().contains(i));
  // The union batch, in rank order, for the single-process trainer.
  Batch all;
  all.indices = allgather_i64(mine.indices);
  all.x = allgather_rows(mine.x);
  std::vector<int64_t> sorted = all.indices;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_TRUE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) << "ranks drew overlapping batches";

  // Latents both sides agree on (the same tensors, split by rank).
  const int64_t B = cfg.train.batch_size, half = B / 2, nz = cfg.model.nz;
  auto gen = at::detail::createCPUGenerator(4321);
  auto z_post = torch::randn({B, nz}, gen);
  auto z_noise = torch::randn({B, nz}, gen);
  const int r = world_rank();

  const StepStats s2 = dist.update(mine, z_post.narrow(0, r * half, half), z_noise.narrow(0, r * half, half));
  const StepStats s1 = single.update(all, z_post, z_noise);
  EXPECT_NEAR(s2.gen_loss, s1.gen_loss, 1e-5 * std::abs(s1.gen_loss));
  EXPECT_NEAR(s2.nce_loss, s1.nce_loss, 1e-5 * std::abs(s1.nce_loss));
  EXPECT_DOUBLE_EQ(s2.nce_acc, s1.nce_acc);

  // After update() the .grad buffers hold the gradient the Adam step used.
  auto g2 = parameter_list(*dist.generator()), g1 = parameter_list(*single.generator());
  auto f2 = parameter_list(*dist.prior()->ratio(0)), f1 = parameter_list(*single.prior()->ratio(0));
  std::vector<torch::Tensor> p2 = g2, p1 = g1;
  p2.insert(p2.end(), f2.begin(), f2.end());
  p1.insert(p1.end(), f1.begin(), f1.end());
  expect_close(grads_of(p2), grads_of(p1), 1e-5, 1e-7, "Trainer::update gradient, 2 ranks vs 1");
  // The first Adam step moves each weight by about lr * sign(grad); float
  // summation order only matters where a gradient is ~eps, so the parameters
  // agree far below the step size.
  std::vector<torch::Tensor> v2, v1;
  for (auto& p : p2) v2.push_back(p.detach());
  for (auto& p : p1) v1.push_back(p.detach());
  expect_close(v2, v1, 0, 1e-2 * cfg.train.e_lr, "parameters after one update, 2 ranks vs 1");
  EXPECT_EQ(dist.generator_optimizer().steps(), 1);
  EXPECT_EQ(single.generator_optimizer().steps(), 1);
  // Both ranks of the distributed trainer hold bit-identical parameters.
  const auto sums = allgather_u64(checksum(v2));
  EXPECT_EQ(sums[0], sums[1]);
}

// train() reads each iteration's summed terms one iteration late and masks
// the optimizer step on the device; the algorithm must be the one a plain
// step-by-step loop runs (sample, update, read, write the memory rows, stage
// transitions every T/K), bit for bit, on every rank.
TEST_F(DistributedTest, PipelinedTrainingEqualsStepByStepLoop) {
  Config cfg = dist_config(data_path_);
  cfg.train.prior_samples = NoiseSource::kPersistentLangevin;  // the bank matters from stage 1 on
  cfg.log.log_every = 3;                                         // diagnostics on some iterations
  Trainer piped(cfg, *comm_, (dir_ / "run-piped").string());
  piped.train();
  ASSERT_EQ(piped.iteration(), cfg.train.iterations);

  Trainer plain(cfg, *comm_, (dir_ / "run-plain").string());
  const int64_t T = cfg.train.iterations, S = T / cfg.train.stages;
  for (int64_t t = 0; t < T; ++t) {
    while (plain.stage() < std::min(t / S, cfg.train.stages - 1)) plain.enter_stage(plain.stage() + 1);
    torch::manual_seed(iteration_seed(cfg.train.seed, world_rank(), t));
    const Batch batch = plain.load_batch(t);
    torch::Tensor grad_norm;
    const auto z_post = plain.sample_posterior(batch.x, &grad_norm);
    const auto z_noise = plain.sample_noise(static_cast<int64_t>(batch.indices.size()));
    const StepStats s = plain.update(batch, z_post, z_noise, grad_norm, (t + 1) % cfg.log.log_every == 0 || t + 1 == T);
    ASSERT_FALSE(s.diverged) << "iteration " << t;
    plain.bank().write(batch.indices, z_post, t);
  }
  ASSERT_EQ(plain.stage(), piped.stage());
  auto params = [](Trainer& tr) {
    auto all = parameter_list(*tr.generator());
    for (auto& p : parameter_list(*tr.prior())) all.push_back(p);
    return all;
  };
  EXPECT_EQ(checksum(params(piped)), checksum(params(plain))) << "generator / prior parameters differ";
  EXPECT_TRUE(torch::equal(piped.bank().rows(), plain.bank().rows())) << "memory rows differ";
  EXPECT_EQ(piped.generator_optimizer().steps(), plain.generator_optimizer().steps());
}

// --- 2. stage transitions: bit-identical frozen networks

TEST_F(DistributedTest, StageTransitionLeavesRankZerosFrozenNetworkOnEveryRank) {
  const Config cfg = dist_config(data_path_);
  Trainer trainer(cfg, *comm_, (dir_ / "run").string());
  trainer.train(2);  // the whole of stage 0 (stage length 2)
  ASSERT_EQ(trainer.iteration(), 2);
  ASSERT_EQ(trainer.stage(), 0);

  auto f0 = parameter_list(*trainer.prior()->ratio(0));
  // Rank 1 drifts away from rank 0 (a bug, a flipped bit...).
  if (world_rank() == 1) {
    torch::NoGradGuard no_grad;
    for (auto& p : f0) p.add_(0.125);
  }
  const auto before = allgather_u64(checksum(f0));
  ASSERT_NE(before[0], before[1]) << "the perturbation did not change rank 1's network";
  // Rank 0's bytes before the transition.
  std::vector<torch::Tensor> root_bytes;
  for (auto& p : f0) root_bytes.push_back(p.detach().clone());
  broadcast_tensors(*comm_, root_bytes, 0, "test: rank 0's f_0");

  trainer.enter_stage(1);
  EXPECT_EQ(trainer.stage(), 1);

  const auto after = allgather_u64(checksum(f0));
  EXPECT_EQ(after[0], after[1]) << "frozen f_0 differs between ranks after the transition";
  EXPECT_EQ(after[0], before[0]) << "frozen f_0 is not rank 0's pre-transition network";
  for (size_t i = 0; i < f0.size(); ++i) EXPECT_TRUE(torch::equal(f0[i].detach(), root_bytes[i])) << "parameter " << i;
  // The bank now read is M as the stage began.
  EXPECT_TRUE(torch::equal(trainer.bank().snapshot_rows(), trainer.bank().rows()));

  // Training on through stage 1 never touches f_0, and keeps all ranks in step.
  trainer.train(2);
  ASSERT_EQ(trainer.iteration(), 4);
  EXPECT_EQ(allgather_u64(checksum(f0))[1], before[0]);
  EXPECT_EQ(checksum(f0), before[0]);
  for (int64_t k = 0; k < cfg.train.stages; ++k) {
    const auto s = allgather_u64(checksum(parameter_list(*trainer.prior()->ratio(k))));
    EXPECT_EQ(s[0], s[1]) << "ratio network " << k;
  }
  const auto sg = allgather_u64(checksum(parameter_list(*trainer.generator())));
  EXPECT_EQ(sg[0], sg[1]) << "generator";

  // The next transition, taken by train() itself at iteration 4, freezes f_1 the same way.
  auto f1 = parameter_list(*trainer.prior()->ratio(1));
  const uint64_t f1_before = checksum(f1);
  trainer.train(1);
  EXPECT_EQ(trainer.stage(), 2);
  const auto f1_after = allgather_u64(checksum(f1));
  EXPECT_EQ(f1_after[0], f1_after[1]);
  EXPECT_EQ(f1_after[0], f1_before);
}

// --- 3. memory bank: ownership and HDF5 round trips

namespace {
// The value written into row i, column j, in the first and second pass.
float first_value(int64_t i, int64_t j) { return static_cast<float>(i) * 16.0f + static_cast<float>(j) + 0.25f; }
float second_value(int64_t i, int64_t j) { return -static_cast<float>(i) * 16.0f - static_cast<float>(j) - 0.5f; }

torch::Tensor rows_for(int64_t begin, int64_t end, int64_t nz, float (*value)(int64_t, int64_t)) {
  auto t = torch::empty({end - begin, nz});
  auto a = t.accessor<float, 2>();
  for (int64_t i = begin; i < end; ++i)
    for (int64_t j = 0; j < nz; ++j) a[i - begin][j] = value(i, j);
  return t;
}

std::vector<int64_t> range(int64_t begin, int64_t end) {
  std::vector<int64_t> v;
  for (int64_t i = begin; i < end; ++i) v.push_back(i);
  return v;
}
}  // namespace

TEST_F(DistributedTest, BankRowsArePartitionedAndRoundTripThroughHdf5) {
  const int rank = world_rank(), world = world_size();
  const int64_t N = 101, nz = 5;  // odd N: uneven shards
  MemoryBank bank(data::shard_range(N, rank, world), N, nz, /*seed=*/3, torch::kCPU);
  const auto& shard = bank.shard();
  ASSERT_EQ(bank.rows().size(0), shard.size());
  ASSERT_EQ(bank.rows().size(1), nz);

  // Ownership: the ranks' ranges partition [0, N).
  const auto ranges = allgather_i64({shard.begin, shard.end});
  std::vector<std::pair<int64_t, int64_t>> rs;
  for (int r = 0; r < world; ++r) rs.emplace_back(ranges[2 * r], ranges[2 * r + 1]);
  std::sort(rs.begin(), rs.end());
  EXPECT_EQ(rs.front().first, 0);
  EXPECT_EQ(rs.back().second, N);
  for (size_t r = 0; r < rs.size(); ++r) {
    EXPECT_LT(rs[r].first, rs[r].second) << "rank range " << r << " is empty";
    if (r + 1 < rs.size()) {
      EXPECT_EQ(rs[r].second, rs[r + 1].first) << "gap or overlap after range " << r;
    }
  }
  std::vector<int> owners(static_cast<size_t>(N), 0);
  for (const auto& [b, e] : rs)
    for (int64_t i = b; i < e; ++i) ++owners[static_cast<size_t>(i)];
  for (int64_t i = 0; i < N; ++i) EXPECT_EQ(owners[static_cast<size_t>(i)], 1) << "row " << i;
  // A rank cannot write a row it does not own.
  const int64_t foreign = shard.begin == 0 ? shard.end : 0;
  EXPECT_THROW(bank.write({foreign}, torch::zeros({1, nz})), std::logic_error);

  // Values: the snapshot holds the first pass, M the second (written in a shuffled order).
  bank.write(range(shard.begin, shard.end), rows_for(shard.begin, shard.end, nz, first_value));
  bank.snapshot();
  auto order = range(shard.begin, shard.end);
  std::reverse(order.begin(), order.end());
  auto second = torch::empty({shard.size(), nz});
  for (size_t k = 0; k < order.size(); ++k) second[static_cast<int64_t>(k)].copy_(rows_for(order[k], order[k] + 1, nz, second_value)[0]);
  bank.write(order, second);
  ASSERT_TRUE(torch::equal(bank.rows(), rows_for(shard.begin, shard.end, nz, second_value)));
  ASSERT_TRUE(torch::equal(bank.snapshot_rows(), rows_for(shard.begin, shard.end, nz, first_value)));

  // One HDF5 shard file per rank.
  char name[32];
  std::snprintf(name, sizeof(name), "shard-%05d.h5", rank);
  {
    h5::File f((dir_ / name).string(), h5::Mode::Truncate);
    bank.save(f);
    f.flush();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  std::vector<std::string> files;
  for (int r = 0; r < world; ++r) {
    std::snprintf(name, sizeof(name), "shard-%05d.h5", r);
    files.push_back((dir_ / name).string());
  }

  // (a) the same layout, a fresh bank (different initial values).
  {
    MemoryBank fresh(shard, N, nz, /*seed=*/99, torch::kCPU);
    ASSERT_FALSE(torch::equal(fresh.rows(), bank.rows()));
    fresh.load(files);
    EXPECT_TRUE(torch::equal(fresh.rows(), rows_for(shard.begin, shard.end, nz, second_value)));
    EXPECT_TRUE(torch::equal(fresh.snapshot_rows(), rows_for(shard.begin, shard.end, nz, first_value)));
  }
  // (b) one rank reading both files: the whole matrix.
  {
    MemoryBank whole(data::shard_range(N, 0, 1), N, nz, /*seed=*/5, torch::kCPU);
    whole.load(files);
    EXPECT_TRUE(torch::equal(whole.rows(), rows_for(0, N, nz, second_value)));
    EXPECT_TRUE(torch::equal(whole.snapshot_rows(), rows_for(0, N, nz, first_value)));
    // Loading only one rank's file leaves rows uncovered: refused, not zero-filled.
    MemoryBank partial(data::shard_range(N, 0, 1), N, nz, 5, torch::kCPU);
    EXPECT_THROW(partial.load({files[1]}), std::runtime_error);
  }
  // (c) three ranks' shards cut across the two files' boundary.
  for (int r = 0; r < 3; ++r) {
    const auto s3 = data::shard_range(N, r, 3);
    MemoryBank third(s3, N, nz, 5, torch::kCPU);
    third.load(files);
    EXPECT_TRUE(torch::equal(third.rows(), rows_for(s3.begin, s3.end, nz, second_value))) << "3-rank shard " << r;
    EXPECT_TRUE(torch::equal(third.snapshot_rows(), rows_for(s3.begin, s3.end, nz, first_value))) << "3-rank shard " << r;
  }
  // A bank for another dataset size refuses these files.
  {
    MemoryBank other(data::shard_range(N + 1, 0, 1), N + 1, nz, 5, torch::kCPU);
    EXPECT_THROW(other.load(files), std::runtime_error);
  }
}

// --- 4. which samples serve as noise

namespace {
// Index of the row of `table` equal to `row` bit for bit, or -1.
int64_t find_row(const torch::Tensor& table, const torch::Tensor& row) {
  auto eq = (table == row.unsqueeze(0)).all(1);
  auto hits = eq.nonzero();
  return hits.size(0) == 0 ? -1 : hits[0][0].item<int64_t>();
}
}  // namespace

TEST_F(DistributedTest, NoiseComesFromTheBankAsItStoodWhenTheStageBegan) {
  const Config cfg = dist_config(data_path_);
  Trainer trainer(cfg, *comm_, (dir_ / "run").string());
  auto& bank = trainer.bank();
  const auto& shard = bank.shard();
  const int64_t nz = cfg.model.nz;

  // Stage 0: the noise is N(0, I), not bank rows (even rows planted in M).
  bank.write(range(shard.begin, shard.end), rows_for(shard.begin, shard.end, nz, first_value));
  auto z0 = trainer.sample_noise(4000);
  ASSERT_EQ(z0.size(0), 4000);
  ASSERT_EQ(z0.size(1), nz);
  for (int64_t i = 0; i < 50; ++i) {
    EXPECT_EQ(find_row(bank.rows(), z0[i]), -1) << "stage-0 noise row " << i << " is a bank row";
    EXPECT_EQ(find_row(bank.snapshot_rows(), z0[i]), -1) << "stage-0 noise row " << i << " is a snapshot row";
  }
  EXPECT_NEAR(z0.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(z0.std().item<double>(), 1.0, 0.05);

  trainer.train(2);  // stage 0 ends; training wrote posterior samples into M
  ASSERT_EQ(trainer.stage(), 0);

  // Plant distinct values A in M, begin stage 1, then overwrite M with B.
  const auto A = rows_for(shard.begin, shard.end, nz, first_value);
  const auto Bv = rows_for(shard.begin, shard.end, nz, second_value);
  bank.write(range(shard.begin, shard.end), A);
  trainer.enter_stage(1);
  ASSERT_EQ(trainer.stage(), 1);
  bank.write(range(shard.begin, shard.end), Bv);
  ASSERT_TRUE(torch::equal(bank.rows(), Bv));

  auto check_from_A = [&](const torch::Tensor& z, const char* when) {
    std::vector<int> seen(static_cast<size_t>(shard.size()), 0);
    for (int64_t i = 0; i < z.size(0); ++i) {
      const int64_t a = find_row(A, z[i]);
      EXPECT_GE(a, 0) << when << ": noise row " << i << " is not a row of the bank at the start of the stage";
      EXPECT_EQ(find_row(Bv, z[i]), -1) << when << ": noise row " << i << " was written during the stage";
      if (a >= 0) seen[static_cast<size_t>(a)] = 1;
    }
    // Uniform draws with replacement reach many distinct rows.
    const int distinct = std::count(seen.begin(), seen.end(), 1);
    EXPECT_GT(distinct, shard.size() / 2) << when;
  };
  check_from_A(trainer.sample_noise(400), "after overwriting M");

  // Two iterations of stage 1 write posterior samples into M; the bank read stays A.
  const auto rows_before = bank.rows().clone();
  trainer.train(2);
  ASSERT_EQ(trainer.stage(), 1);
  ASSERT_EQ(trainer.iteration(), 4);
  EXPECT_FALSE(torch::equal(bank.rows(), rows_before)) << "training did not write posterior samples to M";
  EXPECT_TRUE(torch::equal(bank.snapshot_rows(), A));
  check_from_A(trainer.sample_noise(400), "after two stage-1 iterations");

  // Stage 2 snapshots the M of that moment: the new draws are not A rows.
  const auto m_at_transition = bank.rows().clone();
  trainer.enter_stage(2);
  EXPECT_TRUE(torch::equal(bank.snapshot_rows(), m_at_transition));
  auto z2 = trainer.sample_noise(100);
  for (int64_t i = 0; i < z2.size(0); ++i) {
    EXPECT_GE(find_row(m_at_transition, z2[i]), 0) << "stage-2 noise row " << i;
    EXPECT_EQ(find_row(A, z2[i]), -1) << "stage-2 noise row " << i << " comes from stage 1's bank";
  }
}

TEST(DistributedRanks, RunsOnTwoRanks) { EXPECT_EQ(world_size(), 2); }
