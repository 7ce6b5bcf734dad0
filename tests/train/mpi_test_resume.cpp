// Run under `mpirun -np 2`. Resuming from a sharded checkpoint must continue
// the run exactly: training N iterations in one go and training N/2, stopping,
// and resuming to N give bit-identical generator and ratio networks, Adam
// states and memory matrices, across stage transitions. A checkpoint written
// by two ranks loads back with its iteration and stage, on two ranks and on one.
#include <gtest/gtest.h>
#include <mpi.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config.h"
#include "data/dataset.h"
#include "distributed/communicator.h"
#include "distributed/tensor_comm.h"
#include "io/h5.h"
#include "model/prior.h"
#include "train/checkpoint.h"
#include "train/schedule.h"
#include "train/trainer.h"

#include "support/mpi_run_fixture.h"

namespace fs = std::filesystem;
using namespace latentebm;
using namespace latentebm::testing;

namespace {

using ResumeTest = MpiRunTest;

// Bitwise equality of two lists of tensors, naming the first difference.
void expect_identical(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].sizes(), b[i].sizes()) << what << " #" << i;
    EXPECT_TRUE(torch::equal(a[i].detach(), b[i].detach()))
        << what << " #" << i << " differs, max |diff| " << (a[i] - b[i]).abs().max().item<double>();
  }
}

// Every piece of state the trainer exposes, bit for bit.
void expect_same_state(Trainer& a, Trainer& b, const std::string& what) {
  EXPECT_EQ(a.iteration(), b.iteration()) << what;
  EXPECT_EQ(a.stage(), b.stage()) << what;
  expect_identical(parameter_list(*a.generator()), parameter_list(*b.generator()), what + ": generator");
  for (int64_t k = 0; k < a.prior()->num_stages(); ++k)
    expect_identical(parameter_list(*a.prior()->ratio(k)), parameter_list(*b.prior()->ratio(k)),
                     what + ": ratio network " + std::to_string(k));
  EXPECT_EQ(a.generator_optimizer().steps(), b.generator_optimizer().steps()) << what;
  expect_identical(a.generator_optimizer().exp_avg(), b.generator_optimizer().exp_avg(), what + ": generator Adam m");
  expect_identical(a.generator_optimizer().exp_avg_sq(), b.generator_optimizer().exp_avg_sq(), what + ": generator Adam v");
  EXPECT_TRUE(torch::equal(a.bank().rows(), b.bank().rows())) << what << ": memory matrix";
  EXPECT_TRUE(torch::equal(a.bank().snapshot_rows(), b.bank().snapshot_rows())) << what << ": bank snapshot";
}

// Trains cfg for `split` iterations in dir, then, in a new Trainer, from that
// run's latest checkpoint to the end, and expects the state of `straight`
// (cfg trained in one go). Returns the checkpoint the resume started from
// ("" when there was none, a failure already reported).
std::string expect_split_run_matches(const Config& cfg, Communicator& comm, const std::string& dir, int64_t split,
                                     Trainer& straight, const std::string& what) {
  {
    Trainer first(cfg, comm, dir);
    first.train(split);
  }  // the first process's trainer is gone: only the checkpoint carries state
  const auto ckpt = latest_checkpoint(dir);
  EXPECT_TRUE(ckpt.has_value()) << what << ": no checkpoint";
  if (!ckpt) return "";
  Trainer resumed(cfg, comm, dir, ckpt);
  resumed.train();
  expect_same_state(straight, resumed, what);
  return *ckpt;
}

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// The replicated state of two checkpoints (model.h5), bit for bit: parameters
// and both Adam states, including the active ratio network's, which the
// trainer does not expose.
void expect_same_checkpoint(const std::string& ckpt_a, const std::string& ckpt_b, Trainer& t, const std::string& what) {
  h5::File a((fs::path(ckpt_a) / "model.h5").string(), h5::Mode::Read);
  h5::File b((fs::path(ckpt_b) / "model.h5").string(), h5::Mode::Read);
  std::vector<std::string> names;
  for (const auto& p : t.generator()->named_parameters(true)) {
    names.push_back("/generator/" + p.key());
    names.push_back("/optimizer/generator/" + p.key() + "/exp_avg");
    names.push_back("/optimizer/generator/" + p.key() + "/exp_avg_sq");
  }
  for (const auto& p : t.prior()->named_parameters(true)) names.push_back("/prior/" + p.key());
  for (const auto& p : t.prior()->ratio(t.stage())->named_parameters(true)) {
    names.push_back("/optimizer/ratio/" + p.key() + "/exp_avg");
    names.push_back("/optimizer/ratio/" + p.key() + "/exp_avg_sq");
  }
  for (const auto& n : names) {
    ASSERT_TRUE(a.has(n)) << what << ": " << ckpt_a << " lacks " << n;
    ASSERT_TRUE(b.has(n)) << what << ": " << ckpt_b << " lacks " << n;
    EXPECT_TRUE(same_bytes(a.read_f32(n), b.read_f32(n))) << what << ": " << n << " differs";
  }
  EXPECT_EQ(a.attr_i64("/optimizer/generator", "steps"), b.attr_i64("/optimizer/generator", "steps")) << what;
  EXPECT_EQ(a.attr_i64("/optimizer/ratio", "steps"), b.attr_i64("/optimizer/ratio", "steps")) << what;
  EXPECT_EQ(a.attr_i64("/optimizer/ratio", "stage"), b.attr_i64("/optimizer/ratio", "stage")) << what;
  EXPECT_EQ(a.attr_i64("/", "iteration"), b.attr_i64("/", "iteration")) << what;
  EXPECT_EQ(a.attr_i64("/", "stage"), b.attr_i64("/", "stage")) << what;
}

}  // namespace

TEST_F(ResumeTest, StopAndResumeIsBitwiseIdenticalToAnUninterruptedRun) {
  const Config cfg = tiny_config(data_path_);
  const int64_t N = cfg.train.iterations;

  Trainer straight(cfg, *comm_, run_dir("straight"));
  ASSERT_EQ(straight.total_iterations(), N);
  ASSERT_EQ(straight.stage_length(), 2);
  straight.train();
  ASSERT_EQ(straight.iteration(), N);
  ASSERT_EQ(straight.stage(), 3);
  const auto straight_ckpt = latest_checkpoint(run_dir("straight"));
  ASSERT_TRUE(straight_ckpt.has_value());

  // N/2 lands on a stage boundary (the resumed run enters stage 2 first);
  // 3 stops in the middle of stage 1.
  for (const int64_t split : {N / 2, int64_t{3}}) {
    SCOPED_TRACE("stopped after " + std::to_string(split) + " iterations");
    const std::string dir = run_dir("split-" + std::to_string(split));
    {
      Trainer first(cfg, *comm_, dir);
      first.train(split);
      ASSERT_EQ(first.iteration(), split);
    }  // the first process's trainer is gone: only the checkpoint carries state
    const auto ckpt = latest_checkpoint(dir);
    ASSERT_TRUE(ckpt.has_value());
    const auto meta = read_checkpoint_meta(*ckpt);
    EXPECT_EQ(meta.iteration, split);
    EXPECT_EQ(meta.stage, (split - 1) / 2);
    EXPECT_EQ(meta.world_size, 2);

    Trainer resumed(cfg, *comm_, dir, ckpt);
    EXPECT_EQ(resumed.iteration(), split);
    EXPECT_EQ(resumed.stage(), meta.stage);
    resumed.train();
    ASSERT_EQ(resumed.iteration(), N);

    expect_same_state(straight, resumed, "split " + std::to_string(split));
    const auto final_ckpt = latest_checkpoint(dir);
    ASSERT_TRUE(final_ckpt.has_value());
    EXPECT_NE(*final_ckpt, *ckpt);
    expect_same_checkpoint(*straight_ckpt, *final_ckpt, resumed, "split " + std::to_string(split));
  }

  // The comparison can fail: a run with another seed differs from the straight one.
  Config other = cfg;
  other.train.seed = cfg.train.seed + 1;
  Trainer different(other, *comm_, run_dir("other-seed"));
  different.train();
  EXPECT_FALSE(torch::equal(parameter_list(*different.generator())[0], parameter_list(*straight.generator())[0]));
  EXPECT_FALSE(torch::equal(different.bank().rows(), straight.bank().rows()));
}

// importance noise draws its proposals from the iteration's seeded stream:
// stopped in stage 1 (the first stage that resamples) and resumed, the run
// equals an uninterrupted one; a resume with another P is refused, since the
// noise would change.
TEST_F(ResumeTest, ImportanceNoiseResumesBitwiseAndKeepsItsProposals) {
  Config cfg = tiny_config(data_path_);
  cfg.train.prior_samples = NoiseSource::kImportance;
  cfg.train.noise_proposals = 7;
  validate(cfg);
  Trainer straight(cfg, *comm_, run_dir("importance-straight"));
  straight.train();
  const std::string ckpt = expect_split_run_matches(cfg, *comm_, run_dir("importance-split"), 3, straight, "importance, split 3");
  ASSERT_FALSE(ckpt.empty());

  Config more = cfg;
  more.train.noise_proposals = 8;
  const auto info = data::inspect_dataset(data_path_);
  try {
    check_resume_compatible(ckpt, more, data::dataset_fingerprint(info, 0));
    ADD_FAILURE() << "a resume with another train.noise_proposals was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("train.noise_proposals was 7, now 8"), std::string::npos) << e.what();
  }
}

// train.g_lr_schedule=cosine: the generator's learning rate is a function of
// the iteration alone, so a resumed run continues the same decay; it does
// change the run (against the constant rate), and metrics.jsonl logs the rate
// of the latest step.
TEST_F(ResumeTest, CosineGeneratorRateResumesBitwiseAndIsTheOneApplied) {
  Config cfg = tiny_config(data_path_);
  cfg.train.g_lr_schedule = LrSchedule::kCosine;
  cfg.train.g_lr = 1e-2;  // large enough that the decay shows in 8 iterations
  cfg.log.log_every = 4;
  validate(cfg);
  const int64_t N = cfg.train.iterations;
  const std::string straight_dir = run_dir("cosine-straight");
  fs::create_directories(straight_dir);  // the CLI's job; metrics.jsonl goes there
  Trainer straight(cfg, *comm_, straight_dir);
  straight.train();
  EXPECT_DOUBLE_EQ(straight.generator_optimizer().lr(), generator_lr(LrSchedule::kCosine, cfg.train.g_lr, N - 1, N));
  expect_split_run_matches(cfg, *comm_, run_dir("cosine-split"), 3, straight, "cosine, split 3");

  Config constant = cfg;
  constant.train.g_lr_schedule = LrSchedule::kConstant;
  Trainer flat(constant, *comm_, run_dir("cosine-constant"));
  flat.train();
  EXPECT_FALSE(torch::equal(parameter_list(*flat.generator())[0], parameter_list(*straight.generator())[0]));

  if (world_rank() != 0) return;
  std::ifstream in(fs::path(straight_dir) / "metrics.jsonl");
  std::vector<std::pair<int64_t, double>> rates;
  for (std::string line; std::getline(in, line);) {
    const auto r = nlohmann::json::parse(line);
    if (r.contains("g_lr")) rates.emplace_back(r["iteration"].get<int64_t>(), r["g_lr"].get<double>());
  }
  ASSERT_EQ(rates.size(), 2u);
  for (const auto& [it, lr] : rates)  // the row at iteration it follows step it - 1
    EXPECT_DOUBLE_EQ(lr, generator_lr(LrSchedule::kCosine, cfg.train.g_lr, it - 1, N)) << "iteration " << it;
}

TEST_F(ResumeTest, TwoRankCheckpointLoadsWithItsIterationAndStage) {
  const Config cfg = tiny_config(data_path_);
  Trainer original(cfg, *comm_, run_dir("original"));
  original.train(3);  // two stage-0 iterations, one of stage 1

  const auto ckpt = latest_checkpoint(run_dir("original"));
  ASSERT_TRUE(ckpt.has_value());
  EXPECT_EQ(fs::path(*ckpt).filename().string(), "ckpt-00000003");
  EXPECT_TRUE(fs::exists(fs::path(*ckpt) / "model.h5"));
  EXPECT_TRUE(fs::exists(fs::path(*ckpt) / "memory.h5"));  // one file, whatever the rank count
  EXPECT_FALSE(fs::exists(fs::path(*ckpt) / "shard-00000.h5"));
  EXPECT_FALSE(fs::exists(fs::path(*ckpt).string() + ".tmp"));
  const auto meta = read_checkpoint_meta(*ckpt);
  EXPECT_EQ(meta.iteration, 3);
  EXPECT_EQ(meta.stage, 1);
  EXPECT_EQ(meta.world_size, 2);
  {
    // The one memory file holds every rank's rows, all 64 of them.
    h5::File memory((fs::path(*ckpt) / "memory.h5").string(), h5::Mode::Read);
    EXPECT_EQ(memory.attr_i64("/", "world_size"), 2);
    EXPECT_EQ(memory.attr_i64("/", "iteration"), 3);
    EXPECT_EQ(memory.attr_i64("/memory", "begin"), 0);
    EXPECT_EQ(memory.attr_i64("/memory", "end"), 64);
    EXPECT_EQ(memory.shape("/memory"), (std::vector<int64_t>{64, cfg.model.nz}));
  }

  // The same two ranks.
  Trainer reloaded(cfg, *comm_, run_dir("reloaded"), ckpt);
  EXPECT_EQ(reloaded.iteration(), 3);
  EXPECT_EQ(reloaded.stage(), 1);
  expect_same_state(original, reloaded, "reloaded on 2 ranks");
  // ... and they go on identically (this includes the active ratio network's Adam state).
  original.train(2);
  reloaded.train(2);
  expect_same_state(original, reloaded, "2 more iterations after reloading");

  // One rank (world of one on each process) reads both shards: the whole matrix.
  auto single = make_single_communicator();
  Trainer alone(cfg, *single, run_dir("alone-" + std::to_string(world_rank())), ckpt);
  EXPECT_EQ(alone.iteration(), 3);
  EXPECT_EQ(alone.stage(), 1);
  EXPECT_EQ(alone.bank().shard().begin, 0);
  EXPECT_EQ(alone.bank().shard().end, 64);
  Trainer at_three(cfg, *comm_, run_dir("at-three"), ckpt);
  EXPECT_TRUE(torch::equal(alone.bank().rows(), allgather_rows(at_three.bank().rows())));
  EXPECT_TRUE(torch::equal(alone.bank().snapshot_rows(), allgather_rows(at_three.bank().snapshot_rows())));
  expect_identical(parameter_list(*alone.generator()), parameter_list(*at_three.generator()), "1-rank load: generator");
  expect_identical(parameter_list(*alone.prior()), parameter_list(*at_three.prior()), "1-rank load: prior");
  // The memory rows were trained, not the initial N(0, I) draws.
  Trainer fresh(cfg, *comm_, run_dir("fresh"));
  EXPECT_FALSE(torch::equal(fresh.bank().rows(), at_three.bank().rows()));
}

TEST(ResumeRanks, RunsOnTwoRanks) { EXPECT_EQ(world_size(), 2); }

namespace {
// Whether every rank holds the same values (element-wise min == max over ranks).
bool same_on_every_rank(const std::vector<int64_t>& mine) {
  std::vector<int64_t> lo(mine.size()), hi(mine.size());
  MPI_Allreduce(mine.data(), lo.data(), static_cast<int>(mine.size()), MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(mine.data(), hi.data(), static_cast<int>(mine.size()), MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  return lo == hi;
}

// Adaptive schedule whose switches are known in advance: windows of 2, any
// window after the first counts as "no improvement" (tolerance 100), patience
// 1, at least 3 iterations. Stage k's rule fires after its 4th iteration,
// rank 0's vote travels in the next all-reduce, and the stage after begins one
// iteration later: stages begin at 0, 5, 10, 15.
Config scripted_adaptive(const std::string& data_path) {
  Config c = tiny_config(data_path);
  c.train.iterations = 18;
  c.train.stage_schedule = StageSchedule::kAdaptive;
  c.train.plateau_window = 2;
  c.train.plateau_patience = 1;
  c.train.plateau_tolerance = 100;
  c.train.min_stage_iterations = 3;
  c.train.prior_samples = NoiseSource::kPersistentLangevin;
  c.train.bank_langevin_steps = 3;
  validate(c);
  return c;
}
}  // namespace

TEST_F(ResumeTest, AdaptiveScheduleSwitchesTogetherAndResumesTheSameSchedule) {
  const Config cfg = scripted_adaptive(data_path_);
  Trainer straight(cfg, *comm_, run_dir("adaptive-straight"));
  straight.train();
  ASSERT_EQ(straight.iteration(), 18);
  EXPECT_EQ(straight.stage_starts(), (std::vector<int64_t>{0, 5, 10, 15}));
  EXPECT_TRUE(same_on_every_rank(straight.stage_starts())) << "ranks began stages at different iterations";
  // The schedule is in the checkpoint.
  const auto meta = read_checkpoint_meta(*latest_checkpoint(run_dir("adaptive-straight")));
  EXPECT_NE(meta.schedule_json.find("\"stage_starts\":[0,5,10,15]"), std::string::npos) << meta.schedule_json;

  // Stopped with rank 0's vote not yet sent (4), with the switch decided but
  // not yet made (5), and in the middle of a stage's plateau windows (7).
  for (const int64_t split : {int64_t{4}, int64_t{5}, int64_t{7}}) {
    SCOPED_TRACE("stopped after " + std::to_string(split) + " iterations");
    const std::string dir = run_dir("adaptive-split-" + std::to_string(split));
    {
      Trainer first(cfg, *comm_, dir);
      first.train(split);
    }
    Trainer resumed(cfg, *comm_, dir, latest_checkpoint(dir));
    resumed.train();
    EXPECT_EQ(resumed.stage_starts(), straight.stage_starts());
    expect_same_state(straight, resumed, "adaptive split " + std::to_string(split));
  }
}

TEST_F(ResumeTest, AdaptiveScheduleOnRealLossesIsTheSameOnEveryRank) {
  Config cfg = tiny_config(data_path_);
  cfg.train.iterations = 40;
  cfg.train.stage_schedule = StageSchedule::kAdaptive;
  cfg.train.plateau_window = 3;
  cfg.train.plateau_patience = 1;
  cfg.train.plateau_tolerance = 0;
  cfg.train.min_stage_iterations = 3;
  cfg.train.max_stage_iterations = 12;
  validate(cfg);
  Trainer t(cfg, *comm_, run_dir("adaptive-real"));
  t.train();
  const auto& starts = t.stage_starts();
  ASSERT_EQ(starts.size(), 4u) << "all K stages should begin within 40 iterations (max 12 + 2 per stage)";
  for (size_t k = 1; k < starts.size(); ++k) {
    EXPECT_GE(starts[k] - starts[k - 1], 3 + 2) << "stage " << k - 1 << " shorter than min_stage_iterations";
    EXPECT_LE(starts[k] - starts[k - 1], 12 + 2) << "stage " << k - 1 << " longer than max_stage_iterations";
  }
  EXPECT_TRUE(same_on_every_rank(starts)) << "ranks began stages at different iterations";
}

// Continuing a run (train/run_schedule.h): a finished run of N iterations,
// resumed with train.iterations = M > N, starts from its final checkpoint's
// exact state, stage and iteration, runs iterations N..M-1 once each, and
// under the adaptive schedule with a constant rate (nothing there depends on
// T) ends bit for bit where a run of M iterations in one go ends.
TEST_F(ResumeTest, AFinishedRunContinuedToALargerTEqualsARunOfThatLength) {
  Config cfg = tiny_config(data_path_);
  cfg.train.stage_schedule = StageSchedule::kAdaptive;
  cfg.train.plateau_window = 1;
  cfg.train.plateau_patience = 1;
  cfg.train.plateau_tolerance = 10;  // every window after the first is stale: a stage every few iterations
  cfg.train.min_stage_iterations = 2;
  cfg.train.iterations = 12;
  validate(cfg);
  Config shorter = cfg;
  shorter.train.iterations = 6;

  Trainer straight(cfg, *comm_, run_dir("continue-straight"));
  straight.train();
  ASSERT_EQ(straight.iteration(), 12);
  ASSERT_GE(straight.stage_starts().size(), 3u) << "the test wants stage switches on both sides of iteration 6";

  const std::string dir = run_dir("continue-adaptive");
  int64_t stage_at_6 = -1;
  {
    Trainer first(shorter, *comm_, dir);
    first.train();
    ASSERT_TRUE(first.finished());
    stage_at_6 = first.stage();
  }
  const auto ckpt = latest_checkpoint(dir);
  ASSERT_TRUE(ckpt.has_value());
  Trainer reloaded(shorter, *comm_, dir, ckpt);  // the old run's final state, not continued
  Trainer continued(cfg, *comm_, dir, ckpt);
  EXPECT_EQ(continued.iteration(), 6);
  EXPECT_EQ(continued.stage(), stage_at_6);
  EXPECT_EQ(continued.total_iterations(), 12);
  EXPECT_FALSE(continued.finished());
  expect_same_state(reloaded, continued, "continued run at its start vs the old final checkpoint");
  std::vector<int64_t> done;
  continued.add_iteration_callback([&done](Trainer& t) { done.push_back(t.iteration()); });
  continued.train();
  EXPECT_EQ(done, (std::vector<int64_t>{7, 8, 9, 10, 11, 12})) << "an iteration was repeated or skipped";
  EXPECT_TRUE(continued.finished());
  EXPECT_EQ(continued.stage_starts(), straight.stage_starts());
  expect_same_state(straight, continued, "6 iterations continued to 12 vs 12 in one go");
  expect_same_checkpoint(*latest_checkpoint(run_dir("continue-straight")), *latest_checkpoint(dir), continued,
                         "final checkpoints");
  const auto meta = read_checkpoint_meta(*latest_checkpoint(dir));
  EXPECT_EQ(meta.total_iterations, 12);
  EXPECT_EQ(meta.config_yaml, to_yaml(cfg)) << "the checkpoint's config is the continued run's";
}

// The fixed schedule keeps its stage length S = T/K of the first T: the
// added iterations extend the last stage. A cosine rate starts a new cycle
// over them (g_lr at N, decaying to 0 at M), and a run continued before it
// finished equals one finished first and then continued.
TEST_F(ResumeTest, ContinuingExtendsTheLastStageAndRestartsTheCosineCycle) {
  Config cfg = tiny_config(data_path_);  // T = 8, K = 4: S = 2
  cfg.train.g_lr_schedule = LrSchedule::kCosine;
  Config longer = cfg;
  longer.train.iterations = 12;
  const std::string dir = run_dir("continue-cosine");
  {
    Trainer first(cfg, *comm_, dir);
    first.train();
    ASSERT_EQ(first.stage_starts(), (std::vector<int64_t>{0, 2, 4, 6}));
  }
  Trainer continued(longer, *comm_, dir, latest_checkpoint(dir));
  ASSERT_EQ(continued.iteration(), 8);
  EXPECT_EQ(continued.stage(), 3);
  EXPECT_EQ(continued.stage_length(), 2);
  std::vector<double> rates;  // the rate of each continued iteration's step
  continued.add_iteration_callback([&rates](Trainer& t) { rates.push_back(t.generator_optimizer().lr()); });
  continued.train();
  EXPECT_EQ(continued.iteration(), 12);
  EXPECT_EQ(continued.stage(), 3);
  EXPECT_EQ(continued.stage_starts(), (std::vector<int64_t>{0, 2, 4, 6})) << "the last stage runs on to 12";
  const double pi = std::acos(-1.0);
  ASSERT_EQ(rates.size(), 4u);
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_DOUBLE_EQ(rates[static_cast<size_t>(i)], cfg.train.g_lr * 0.5 * (1.0 + std::cos(pi * (static_cast<double>(i) / 4.0))))
        << "iteration " << 8 + i;

  // Continued at iteration 5, before the run of 8 finished: the same run.
  const std::string early = run_dir("continue-early");
  {
    Trainer first(cfg, *comm_, early);
    first.train(5);
  }
  Trainer resumed(longer, *comm_, early, latest_checkpoint(early));
  EXPECT_EQ(resumed.iteration(), 5);
  resumed.train();
  expect_same_state(continued, resumed, "continued at 5 vs finished at 8, then continued");
  expect_same_checkpoint(*latest_checkpoint(dir), *latest_checkpoint(early), resumed, "continued at 5 vs at 8");
}

// T never shrinks: below the iterations done, or below the run's T, the
// resume is refused with what to do instead.
TEST_F(ResumeTest, LoweringTheIterationsOfAResumedRunIsRefused) {
  const Config cfg = tiny_config(data_path_);  // T = 8
  const std::string dir = run_dir("continue-lower");
  {
    Trainer first(cfg, *comm_, dir);
    first.train(6);
  }
  const auto ckpt = latest_checkpoint(dir);
  ASSERT_TRUE(ckpt.has_value());
  auto refusal = [&](int64_t iterations) {
    Config lower = cfg;
    lower.train.iterations = iterations;
    try {
      Trainer t(lower, *comm_, dir, ckpt);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  const std::string below_done = refusal(4);
  EXPECT_NE(below_done.find("train.iterations 8 -> 4"), std::string::npos) << below_done;
  EXPECT_NE(below_done.find("already done 6"), std::string::npos) << below_done;
  const std::string below_T = refusal(7);
  EXPECT_NE(below_T.find("fewer than the run's T = 8"), std::string::npos) << below_T;
  EXPECT_NE(below_T.find("--max-iterations"), std::string::npos) << below_T;
  Trainer same(cfg, *comm_, dir, ckpt);  // unchanged: resumes as before
  EXPECT_EQ(same.total_iterations(), 8);
  EXPECT_EQ(same.iteration(), 6);
}
