// Run under `mpirun -np 2`. Fault tolerance inside the trainer (issue 5):
// resume on a different rank count with every memory-matrix row preserved,
// the divergence guard deciding alike on every rank, a stop signal on one
// rank stopping both at the same iteration with a checkpoint, and damaged or
// incompatible checkpoints refused. Process kills are in tests/cli/faults.sh.
#include <signal.h>

#include <algorithm>
#include <fstream>

#include "io/h5.h"
#include "model/prior.h"
#include "support/mpi_run_fixture.h"
#include "train/checkpoint.h"
#include "train/faults.h"
#include "train/trainer.h"

using namespace latentebm;
using namespace latentebm::testing;

namespace {

using FaultTest = MpiRunTest;

// All memory rows of a checkpoint, read straight from its shard files, in
// example order (shards are contiguous ranges, written in rank order).
// The whole memory matrix of a checkpoint (memory.h5 holds every rank's rows).
torch::Tensor checkpoint_rows(const std::string& ckpt, const char* dataset) {
  h5::File f((fs::path(ckpt) / "memory.h5").string(), h5::Mode::Read);
  const auto shape = f.shape(dataset);
  auto values = f.read_f32(dataset);
  return torch::from_blob(values.data(), {shape[0], shape[1]}, torch::kFloat32).clone();
}

int64_t all_min(int64_t v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
  return v;
}
int64_t all_max(int64_t v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  return v;
}

// Trains to the end or until the divergence guard gives up: the iteration
// its error names (and the message in *what), or -1 when it never did.
int64_t train_until_the_guard_gives_up(Trainer& t, std::string* what = nullptr) {
  try {
    t.train();
  } catch (const DivergenceError& e) {
    if (what) *what = e.what();
    return e.iteration;
  }
  return -1;
}

}  // namespace

TEST_F(FaultTest, OneRankCheckpointResumesOnTwoRanksWithEveryRowAndFinishes) {
  const Config cfg = tiny_config(data_path_);
  const std::string dir = run_dir("one-to-two");
  if (world_rank() == 0) {  // W = 1: rank 0 alone
    auto single = make_single_communicator();
    Trainer alone(cfg, *single, dir);
    alone.train(3);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto ckpt = latest_checkpoint(dir);
  ASSERT_TRUE(ckpt.has_value());
  ASSERT_EQ(read_checkpoint_meta(*ckpt).world_size, 1);
  const auto saved = checkpoint_rows(*ckpt, "/memory"), saved_snapshot = checkpoint_rows(*ckpt, "/snapshot");
  ASSERT_EQ(saved.size(0), 64);

  Trainer two(cfg, *comm_, dir, ckpt);  // W' = 2
  EXPECT_EQ(two.iteration(), 3);
  EXPECT_EQ(two.stage(), 1);
  const auto& shard = two.bank().shard();
  EXPECT_EQ(shard.size(), 32);
  EXPECT_TRUE(torch::equal(two.bank().rows(), saved.narrow(0, shard.begin, shard.size())));
  EXPECT_TRUE(torch::equal(two.bank().snapshot_rows(), saved_snapshot.narrow(0, shard.begin, shard.size())));
  EXPECT_TRUE(torch::equal(allgather_rows(two.bank().rows()), saved)) << "a row was lost or moved in re-sharding";
  two.train();
  EXPECT_EQ(two.iteration(), cfg.train.iterations);
  const auto final_ckpt = latest_checkpoint(dir);
  ASSERT_TRUE(final_ckpt.has_value());
  EXPECT_EQ(read_checkpoint_meta(*final_ckpt).world_size, 2);
  EXPECT_NO_THROW(verify_checkpoint(*final_ckpt));
}

TEST_F(FaultTest, TwoRankCheckpointResumesOnOneRankWithEveryRowAndFinishes) {
  const Config cfg = tiny_config(data_path_);
  const std::string dir = run_dir("two-to-one");
  torch::Tensor rows_at_stop;
  {
    Trainer two(cfg, *comm_, dir);
    two.train(5);
    rows_at_stop = allgather_rows(two.bank().rows());
  }
  const auto ckpt = latest_checkpoint(dir);
  ASSERT_TRUE(ckpt.has_value());
  ASSERT_EQ(read_checkpoint_meta(*ckpt).world_size, 2);
  if (world_rank() == 0) {
    auto single = make_single_communicator();
    Trainer one(cfg, *single, dir, ckpt);
    EXPECT_EQ(one.iteration(), 5);
    EXPECT_TRUE(torch::equal(one.bank().rows(), rows_at_stop)) << "a row was lost or moved in re-sharding";
    one.train();
    EXPECT_EQ(one.iteration(), cfg.train.iterations);
    EXPECT_EQ(read_checkpoint_meta(*latest_checkpoint(dir)).world_size, 1);
  }
}

TEST_F(FaultTest, DivergingSamplerStopsEveryRankAtTheSameIterationWithADump) {
  Config cfg = tiny_config(data_path_);
  cfg.train.langevin_delta = 1e4;  // z explodes within the first Langevin steps
  cfg.train.on_divergence = DivergencePolicy::kStop;
  const std::string dir = run_dir("diverge-stop");
  Trainer t(cfg, *comm_, dir);
  std::string what;
  const int64_t at = train_until_the_guard_gives_up(t, &what);
  EXPECT_NE(what.find("train.divergence_z_limit"), std::string::npos) << what;
  ASSERT_GE(at, 0) << "the guard did not fire on rank " << world_rank();
  EXPECT_EQ(all_min(at), all_max(at)) << "ranks stopped at different iterations";
  EXPECT_EQ(at, 0);
  char dump[64];
  std::snprintf(dump, sizeof(dump), "divergence-it00000000-rank%05d.h5", world_rank());
  ASSERT_TRUE(fs::exists(fs::path(dir) / "debug" / dump));
  h5::File f((fs::path(dir) / "debug" / dump).string(), h5::Mode::Read);
  EXPECT_EQ(f.attr_i64("/", "iteration"), 0);
  EXPECT_EQ(f.shape("/z_posterior"), (std::vector<int64_t>{4, cfg.model.nz}));
  // Parameters were not touched by the rejected step, and nothing was replaced.
  Trainer fresh(tiny_config(data_path_), *comm_, run_dir("diverge-fresh"));
  EXPECT_TRUE(torch::equal(parameter_list(*t.generator())[0], parameter_list(*fresh.generator())[0]));
  EXPECT_TRUE(torch::equal(t.bank().rows(), fresh.bank().rows()));
}

TEST_F(FaultTest, RunawayPriorLossWithFiniteLatentsStopsEveryRankAtTheSameIteration) {
  // An energy that runs away keeps every latent finite (docs/RELIABILITY.md):
  // the loss limit is what catches it. A limit below any real NCE loss stands
  // in for the runaway; the latents stay well inside divergence_z_limit.
  Config cfg = tiny_config(data_path_);
  ASSERT_GT(cfg.train.stages, 0) << "needs a prior with a loss";
  cfg.train.divergence_loss_limit = 1e-6;
  cfg.train.on_divergence = DivergencePolicy::kStop;
  const std::string dir = run_dir("diverge-loss");
  Trainer t(cfg, *comm_, dir);
  std::string what;
  const int64_t at = train_until_the_guard_gives_up(t, &what);
  EXPECT_NE(what.find("train.divergence_loss_limit"), std::string::npos) << what;
  EXPECT_EQ(what.find("train.divergence_z_limit"), std::string::npos) << "blamed the latents: " << what;
  EXPECT_NE(what.find("Lower the prior's learning rate (e.g. `train.e_lr="), std::string::npos) << what;
  ASSERT_GE(at, 0) << "the guard did not fire on rank " << world_rank();
  EXPECT_EQ(all_min(at), all_max(at)) << "ranks stopped at different iterations";
  EXPECT_EQ(at, 0);
  // The rejected step changed nothing.
  Trainer fresh(tiny_config(data_path_), *comm_, run_dir("diverge-loss-fresh"));
  EXPECT_TRUE(torch::equal(parameter_list(*t.generator())[0], parameter_list(*fresh.generator())[0]));
  EXPECT_TRUE(torch::equal(parameter_list(*t.prior())[0], parameter_list(*fresh.prior())[0]));
}

TEST_F(FaultTest, SkipPolicyDropsStepsThenStopsAfterMaxSkips) {
  Config cfg = tiny_config(data_path_);
  cfg.train.langevin_delta = 1e4;
  cfg.train.on_divergence = DivergencePolicy::kSkip;
  cfg.train.max_skips = 2;
  Trainer t(cfg, *comm_, run_dir("diverge-skip"));
  const int64_t at = train_until_the_guard_gives_up(t);
  EXPECT_EQ(t.skipped_steps(), 2);
  EXPECT_EQ(at, 2);  // iterations 0 and 1 skipped, the third divergence in a row stops
  EXPECT_EQ(all_min(at), all_max(at));
}

TEST_F(FaultTest, RollbackPolicyReloadsTheCheckpointWithASmallerStepOrPriorLearningRate) {
  Config good = tiny_config(data_path_);
  const std::string dir = run_dir("diverge-rollback");
  {
    Trainer t(good, *comm_, dir);
    t.train(2);  // checkpoint at iteration 2
  }
  Config bad = good;
  bad.train.langevin_delta = 1e5;  // still diverges after two halvings
  bad.train.on_divergence = DivergencePolicy::kRollback;
  bad.train.max_rollbacks = 2;
  Trainer t(bad, *comm_, dir, latest_checkpoint(dir));
  const int64_t at = train_until_the_guard_gives_up(t);
  EXPECT_EQ(t.rollbacks(), 2);
  EXPECT_DOUBLE_EQ(t.langevin_delta(), 1e5 * 0.25);
  EXPECT_DOUBLE_EQ(t.e_lr(), good.train.e_lr);
  EXPECT_EQ(t.iteration(), 2) << "rolled back to the checkpoint's iteration";
  EXPECT_EQ(at, 2);
  EXPECT_EQ(all_min(at), all_max(at));

  // A runaway energy: the rollbacks shrink the prior's learning rate instead,
  // since a smaller posterior step only worsens the generator.
  Config runaway = good;
  runaway.train.divergence_loss_limit = 1e-6;  // trips on every step, before and after each rollback
  runaway.train.on_divergence = DivergencePolicy::kRollback;
  runaway.train.max_rollbacks = 2;
  Trainer r(runaway, *comm_, dir, latest_checkpoint(dir));
  const int64_t r_at = train_until_the_guard_gives_up(r);
  EXPECT_EQ(r.rollbacks(), 2);
  EXPECT_DOUBLE_EQ(r.e_lr(), good.train.e_lr * 0.25);
  EXPECT_DOUBLE_EQ(r.langevin_delta(), good.train.langevin_delta);
  EXPECT_EQ(r_at, 2);
  EXPECT_EQ(all_min(r_at), all_max(r_at));

  // A rollback that cures the divergence: the run goes on with the smaller step.
  Config curable = good;
  curable.train.langevin_delta = 1e4;
  curable.train.rollback_delta_factor = 1e-5;  // 1e4 -> 0.1
  Trainer cured(curable, *comm_, dir, latest_checkpoint(dir));
  cured.train();
  EXPECT_EQ(cured.rollbacks(), 1);
  EXPECT_EQ(cured.iteration(), curable.train.iterations);
  EXPECT_NEAR(cured.langevin_delta(), 0.1, 1e-12);

  // The lowered step is the guard's state, never the config: the checkpoint
  // written after the rollback holds the run's config (what config.yaml
  // holds: to_yaml of the config the run was started with) and the step in
  // effect as guard state, which a resume takes up again.
  EXPECT_EQ(cured.config().train.langevin_delta, 1e4);
  const auto after = read_checkpoint_meta(*latest_checkpoint(dir));
  EXPECT_EQ(after.iteration, curable.train.iterations);
  EXPECT_EQ(after.config_yaml, to_yaml(curable)) << "the checkpoint's config differs from config.yaml";
  EXPECT_NEAR(settings_in_effect(after.guard_json, curable).langevin_delta, 0.1, 1e-12) << after.guard_json;
  Trainer again(curable, *comm_, dir, latest_checkpoint(dir));
  EXPECT_NEAR(again.langevin_delta(), 0.1, 1e-12) << "a resume forgot the lowered step";
  EXPECT_EQ(again.config().train.langevin_delta, 1e4);
  // A step given on the command line wins over the lowered one.
  Config chosen = curable;
  chosen.train.langevin_delta = 1e4;
  chosen.origins.cmdline.insert("train.langevin_delta");
  Trainer overridden(chosen, *comm_, dir, latest_checkpoint(dir));
  EXPECT_EQ(overridden.langevin_delta(), 1e4);
}

TEST_F(FaultTest, StopSignalOnOneRankStopsBothAtTheSameIterationWithACheckpoint) {
  const Config cfg = tiny_config(data_path_);
  const std::string dir = run_dir("stop");
  install_stop_signals();
  Trainer t(cfg, *comm_, dir);
  t.train(2);
  if (world_rank() == 1) ::raise(SIGTERM);  // only rank 1 is signalled
  t.train();
  reset_stop_request();
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGUSR1, SIG_DFL);
  EXPECT_TRUE(t.stopped());
  EXPECT_EQ(t.iteration(), 3) << "both ranks stop after the first iteration following the signal";
  EXPECT_EQ(all_min(t.iteration()), all_max(t.iteration()));
  const auto ckpt = latest_checkpoint(dir);
  ASSERT_TRUE(ckpt.has_value());
  EXPECT_EQ(fs::path(*ckpt).filename().string(), "ckpt-00000003");
  EXPECT_NO_THROW(verify_checkpoint(*ckpt));
}

TEST_F(FaultTest, DamagedOrIncompatibleCheckpointsAreRefused) {
  const Config cfg = tiny_config(data_path_);
  const std::string dir = run_dir("damaged");
  {
    Trainer t(cfg, *comm_, dir);
    t.train(2);
  }
  const auto ckpt = *latest_checkpoint(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_NO_THROW(verify_checkpoint(ckpt));
  const auto info = data::inspect_dataset(data_path_);
  EXPECT_NO_THROW(check_resume_compatible(ckpt, cfg, data::dataset_fingerprint(info, 0)));
  Config wider = cfg;
  wider.model.ngf = 8;
  wider.train.seed = 16;
  try {
    check_resume_compatible(ckpt, wider, data::dataset_fingerprint(info, 0));
    ADD_FAILURE() << "a structural change was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("model.ngf was 4, now 8"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("train.seed was 5, now 16"), std::string::npos) << e.what();
  }
  Config tuned = cfg;  // learning rates, step size, logging, the batch may change on resume
  tuned.train.batch_size = 16;
  tuned.train.g_lr = 3e-4;
  tuned.train.langevin_delta = 0.05;
  tuned.log.log_every = 1;
  EXPECT_NO_THROW(check_resume_compatible(ckpt, tuned, data::dataset_fingerprint(info, 0)));
  EXPECT_THROW(check_resume_compatible(ckpt, cfg, data::dataset_fingerprint(info, 32)), std::runtime_error);

  if (world_rank() == 0) {  // damage a copy
    const auto copy = fs::path(run_dir("damaged-copy"));
    fs::copy(ckpt, copy, fs::copy_options::recursive);
    const auto shard = copy / "memory.h5";
    {
      std::fstream f(shard, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(fs::file_size(shard) / 2));
      char c = 0;
      f.get(c);
      f.seekp(static_cast<std::streamoff>(fs::file_size(shard) / 2));
      f.put(static_cast<char>(c ^ 0x01));  // one flipped bit
    }
    try {
      verify_checkpoint(copy.string());
      ADD_FAILURE() << "a flipped bit was not detected";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("memory.h5' fails its checksum"), std::string::npos) << e.what();
    }
    // A truncated model.h5 alone, on an undamaged copy: refused by its size.
    const auto cut = fs::path(run_dir("truncated-copy"));
    fs::copy(ckpt, cut, fs::copy_options::recursive);
    const auto model_bytes = fs::file_size(cut / "model.h5");
    fs::resize_file(cut / "model.h5", model_bytes - 1);
    try {
      verify_checkpoint(cut.string());
      ADD_FAILURE() << "a truncated model.h5 was not detected";
    } catch (const std::runtime_error& e) {
      const std::string want = "model.h5' has " + std::to_string(model_bytes - 1) + " bytes, the manifest says " +
                               std::to_string(model_bytes) + " (truncated or overwritten)";
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
    fs::remove(copy / "manifest.json");
    try {
      read_checkpoint_meta(copy.string());
      ADD_FAILURE() << "a checkpoint without manifest was read";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("has no manifest.json"), std::string::npos) << e.what();
    }
    // Leftovers of an interrupted save are cleaned, complete checkpoints kept.
    fs::create_directories(fs::path(dir) / "checkpoints" / "ckpt-00000009.tmp");
    std::ofstream(fs::path(dir) / "checkpoints" / "latest.tmp") << "ckpt-00000009\n";
    EXPECT_EQ(clean_interrupted_saves(dir).size(), 2u);
    EXPECT_FALSE(fs::exists(fs::path(dir) / "checkpoints" / "ckpt-00000009.tmp"));
    EXPECT_FALSE(fs::exists(fs::path(dir) / "checkpoints" / "latest.tmp"));
    EXPECT_TRUE(fs::exists(ckpt));
    EXPECT_EQ(*latest_checkpoint(dir), ckpt);
  }
}

TEST_F(FaultTest, CheckpointRefusesRanksWhoseReplicatedParametersDiffer) {
  const Config cfg = tiny_config(data_path_);
  const std::string dir = run_dir("replicas");
  Trainer t(cfg, *comm_, dir);
  t.train(1);  // ckpt-00000001: the check passed with identical replicas
  if (world_rank() == 1) {  // one bit of rank 1's generator goes astray
    torch::NoGradGuard no_grad;
    t.generator()->parameters()[0].view(-1)[0].add_(1e-3);
  }
  std::string error;
  try {
    t.save();
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("the ranks hold different generator or prior parameters"), std::string::npos) << error;
  EXPECT_EQ(all_min(error.empty() ? 0 : 1), 1) << "every rank refuses, not only the odd one";
  EXPECT_EQ(fs::path(*latest_checkpoint(dir)).filename().string(), "ckpt-00000001") << "nothing was written";
}

// The frozen-network checksum (enter_stage): one rank's copy of f_0 is
// corrupted right after the stage-transition broadcast (fault injection);
// every rank must refuse to go on, at the same iteration.
TEST_F(FaultTest, FrozenNetworkCorruptedOnOneRankStopsEveryRankAtTheTransition) {
  const Config cfg = tiny_config(data_path_);  // 8 iterations, 4 stages: first transition at iteration 2
  ::setenv("LATENTEBM_INJECT", "corrupt:train.stage-broadcast:1:1", 1);
  rearm_fault_injection();
  Trainer t(cfg, *comm_, run_dir("frozen-corrupt"));
  std::string error;
  try {
    t.train();
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  ::unsetenv("LATENTEBM_INJECT");
  rearm_fault_injection();
  EXPECT_NE(error.find("stage transition 1: ranks hold different frozen ratio networks"), std::string::npos)
      << "rank " << world_rank() << ": " << error;
  EXPECT_EQ(t.iteration(), 2);
  EXPECT_EQ(t.stage(), 0) << "the transition must not complete";
  EXPECT_EQ(all_min(t.iteration()), all_max(t.iteration())) << "ranks stopped at different iterations";
}

// keep_checkpoints with more saves than it keeps: only the newest survive;
// leftovers of an interrupted save are removed by the next save.
TEST_F(FaultTest, SavesPruneOlderCheckpointsAndRemoveLeftovers) {
  Config cfg = tiny_config(data_path_);
  cfg.log.checkpoint_every = 1;
  cfg.log.keep_checkpoints = 2;
  const std::string dir = run_dir("prune");
  const auto root = fs::path(dir) / "checkpoints";
  if (world_rank() == 0) {  // leftovers of an interrupted save: the first save removes them
    fs::create_directories(root / "ckpt-00000099.tmp");
    std::ofstream(root / "latest.tmp") << "ckpt-00000099\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  Trainer t(cfg, *comm_, dir);
  t.train(5);  // saves 1..5
  MPI_Barrier(MPI_COMM_WORLD);
  std::vector<std::string> kept;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) kept.push_back(e.path().filename().string());
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(kept, (std::vector<std::string>{"ckpt-00000004", "ckpt-00000005"}));
  EXPECT_FALSE(fs::exists(root / "latest.tmp"));
  EXPECT_EQ(fs::path(*latest_checkpoint(dir)).filename().string(), "ckpt-00000005");
  EXPECT_NO_THROW(verify_checkpoint(*latest_checkpoint(dir)));
}
