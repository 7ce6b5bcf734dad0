// What a large job needs of training and checkpoints, on 2 ranks: one answer
// for `latest` (rank 0's), a checkpoint of three files whatever the rank
// count with every rank's memory rows gathered into one, the per-rank batch
// (any split of the global batch, a shard smaller than its batch wrapping
// around), and the I/O each rank does at start-up and resume.
#include <gtest/gtest.h>
#include <mpi.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "io/h5.h"
#include "train/checkpoint.h"
#include "train/trainer.h"
#include "../support/mpi_run_fixture.h"

namespace latentebm {
namespace {

using testing::world_rank;
namespace fs = std::filesystem;

class ClusterTest : public testing::MpiRunTest {};

std::set<std::string> files_in(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

TEST_F(ClusterTest, CheckpointIsThreeFilesWithEveryRanksMemoryRowsGathered) {
  Config cfg = testing::tiny_config(data_path_);
  const auto dir = run_dir("gathered");
  Trainer t(cfg, *comm_, dir);
  t.train(3);
  const auto ckpt = latest_checkpoint(dir);
  ASSERT_TRUE(ckpt.has_value());
  MPI_Barrier(MPI_COMM_WORLD);
  // One writer: no file per rank.
  EXPECT_EQ(files_in(*ckpt), (std::set<std::string>{"manifest.json", "memory.h5", "model.h5"}));
  // The file holds each rank's rows at their example indices, bit for bit.
  h5::File f((fs::path(*ckpt) / "memory.h5").string(), h5::Mode::Read);
  const auto& shard = t.bank().shard();
  EXPECT_EQ(f.shape("/memory"), (std::vector<int64_t>{t.bank().n_total(), t.bank().nz()}));
  for (const char* name : {"/memory", "/snapshot"}) {
    const auto rows = f.read_f32_rows(name, shard.begin, shard.end);
    const auto mine = (std::string(name) == "/memory" ? t.bank().rows() : t.bank().snapshot_rows()).to(torch::kCPU).contiguous();
    ASSERT_EQ(static_cast<int64_t>(rows.size()), mine.numel());
    EXPECT_EQ(std::memcmp(rows.data(), mine.data_ptr<float>(), rows.size() * sizeof(float)), 0) << name;
  }
  EXPECT_EQ(f.read_i64_rows("/written_at", shard.begin, shard.end), t.bank().written_at());
  // The manifest records T, the global batch and each writing rank's rows.
  const auto m = nlohmann::json::parse(std::ifstream(fs::path(*ckpt) / "manifest.json"));
  EXPECT_EQ(m.at("version").get<int>(), 3);
  EXPECT_EQ(m.at("total_iterations").get<int64_t>(), 8);
  EXPECT_EQ(m.at("global_batch").get<int64_t>(), 8);
  EXPECT_EQ(m.at("memory").at("writer_row_ranges")[world_rank()][0].get<int64_t>(), shard.begin);
  EXPECT_EQ(m.at("memory").at("writer_row_ranges")[world_rank()][1].get<int64_t>(), shard.end);
  EXPECT_NO_THROW(verify_checkpoint(*ckpt));
}

// Rewrites a format-3 checkpoint as format 2 wrote it: the memory matrix in
// one shard file per rank of `world` (rows shard_range(N, r, world)), the
// manifest at version 2 without the memory entry.
void rewrite_as_format2(const fs::path& ckpt, int world) {
  h5::File mem((ckpt / "memory.h5").string(), h5::Mode::Read);
  const auto shape = mem.shape("/memory");
  const int64_t n = shape[0], nz = shape[1];
  const auto m = mem.read_f32("/memory"), s = mem.read_f32("/snapshot");
  const auto w = mem.read_i64("/written_at");
  auto manifest = nlohmann::json::parse(std::ifstream(ckpt / "manifest.json"));
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : manifest.at("files"))
    if (f.at("name") == "model.h5") files.push_back(f);
  for (int r = 0; r < world; ++r) {
    const auto sh = data::shard_range(n, r, world);
    char name[32];
    std::snprintf(name, sizeof(name), "shard-%05d.h5", r);
    {
      h5::File f((ckpt / name).string(), h5::Mode::Truncate);
      write_memory_rows(f, sh, n, nz, m.data() + sh.begin * nz, s.data() + sh.begin * nz, w.data() + sh.begin);
    }
    std::ifstream in(ckpt / name, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    data::Crc32 crc;
    crc.update(bytes.data(), bytes.size());
    files.push_back({{"name", name}, {"bytes", static_cast<int64_t>(bytes.size())}, {"crc32", crc.hex()}});
  }
  fs::remove(ckpt / "memory.h5");
  manifest["version"] = 2;
  manifest["world_size"] = world;
  manifest.erase("memory");
  manifest["files"] = files;
  std::ofstream(ckpt / "manifest.json") << manifest.dump(2) << "\n";
}

TEST_F(ClusterTest, FormatTwoCheckpointsStillResumeReadingOnlyTheShardsThatHoldTheirRows) {
  Config cfg = testing::tiny_config(data_path_);
  const auto dir = run_dir("format2");
  Trainer t(cfg, *comm_, dir);
  t.train(3);
  const auto rows = t.bank().rows().clone(), snap = t.bank().snapshot_rows().clone();
  const auto ckpt = *latest_checkpoint(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) rewrite_as_format2(ckpt, 4);  // as if written by 4 ranks
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_NO_THROW(verify_checkpoint(ckpt));
  Trainer resumed(cfg, *comm_, dir, ckpt);
  EXPECT_EQ(resumed.iteration(), 3);
  EXPECT_TRUE(torch::equal(resumed.bank().rows(), rows));
  EXPECT_TRUE(torch::equal(resumed.bank().snapshot_rows(), snap));
  EXPECT_EQ(resumed.bank().written_at(), t.bank().written_at());
  // Each rank's 32 rows lie in 2 of the 4 shards: rank 0 opened the dataset
  // twice, the manifest, model.h5 and those 2 shards; not all 4.
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) {
    nlohmann::json last;
    std::ifstream in(fs::path(dir) / "metrics.jsonl");
    for (std::string line; std::getline(in, line);)
      if (line.find("\"io\"") != std::string::npos) last = nlohmann::json::parse(line);
    EXPECT_EQ(last.value("io", ""), "resume");
    EXPECT_EQ(last.value("opens_rank0", int64_t{-1}), 6);
  }
  resumed.train(5);  // and trains on to the end
  EXPECT_TRUE(resumed.finished());
}

TEST_F(ClusterTest, EveryRankTakesRankZerosAnswerForLatest) {
  // Rank 1 sees a stale copy of the run directory (a shared file system's
  // client cache): its `latest` names the older checkpoint. Resolving on
  // each rank would load two checkpoints; rank 0's answer is everyone's.
  Config cfg = testing::tiny_config(data_path_);
  cfg.log.keep_checkpoints = 5;
  const auto dir = run_dir("latest");
  {
    Trainer t(cfg, *comm_, dir);
    t.train(2);
    t.train(2);
  }
  const auto stale = run_dir("latest-stale");
  if (world_rank() == 0) {
    fs::copy(dir, stale, fs::copy_options::recursive);
    std::ofstream(fs::path(stale) / "checkpoints" / "latest") << "ckpt-00000002\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto mine = world_rank() == 0 ? dir : stale;
  ASSERT_EQ(fs::path(*latest_checkpoint(mine)).filename().string(), world_rank() == 0 ? "ckpt-00000004" : "ckpt-00000002");
  const auto ref = shared_checkpoint(*comm_, mine);
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->dir, (fs::path(dir) / "checkpoints" / "ckpt-00000004").string());
  EXPECT_EQ(ref->manifest.meta.iteration, 4);
  // And the Trainer, given the run directory, resumes there on both ranks.
  Trainer resumed(cfg, *comm_, mine, ref->dir);
  EXPECT_EQ(resumed.iteration(), 4);
  // A run without checkpoints: no answer, on every rank.
  EXPECT_FALSE(shared_checkpoint(*comm_, run_dir("none")).has_value());
  // A failure on rank 0 is every rank's error.
  try {
    shared_checkpoint(*comm_, mine, (fs::path(dir) / "checkpoints" / "no-such").string());
    ADD_FAILURE() << "a missing checkpoint was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has no manifest.json"), std::string::npos) << e.what();
  }
}

TEST_F(ClusterTest, AnOddGlobalBatchIsSplitAndEachRankTakesItsShare) {
  Config cfg = testing::tiny_config(data_path_);
  cfg.train.batch_size = 7;  // 4 + 3
  Trainer t(cfg, *comm_, run_dir("odd"));
  EXPECT_EQ(t.global_batch(), 7);
  EXPECT_EQ(t.local_batch(), world_rank() == 0 ? 4 : 3);
  const auto b = t.load_batch(0);
  EXPECT_EQ(static_cast<int64_t>(b.indices.size()), t.local_batch());
  t.train(2);
  EXPECT_EQ(t.iteration(), 2);
}

TEST_F(ClusterTest, AShardSmallerThanItsBatchWrapsAroundUsingEveryExampleEqually) {
  Config cfg = testing::tiny_config(data_path_);
  cfg.train.batch_per_rank = 40;  // each rank's shard holds 32 examples
  Trainer t(cfg, *comm_, run_dir("wrap"));
  EXPECT_EQ(t.global_batch(), 80);
  EXPECT_EQ(t.local_batch(), 40);
  const auto& shard = t.data().shard();
  ASSERT_EQ(shard.size(), 32);
  std::map<int64_t, int> uses;
  for (int64_t it = 0; it < 4; ++it)  // 160 draws of 32 examples: each 5 times
    for (int64_t i : t.load_batch(it).indices) {
      ASSERT_TRUE(shard.contains(i)) << i;
      ++uses[i];
    }
  EXPECT_EQ(uses.size(), 32u);
  for (const auto& [i, n] : uses) EXPECT_EQ(n, 5) << "example " << i;
  // The memory matrix keeps the last sample of an example drawn twice.
  t.train(2);
  EXPECT_EQ(t.iteration(), 2);
}

TEST_F(ClusterTest, StartUpAndResumeReportTheirIoPerRank) {
  Config cfg = testing::tiny_config(data_path_);
  const auto dir = run_dir("io");
  {
    Trainer t(cfg, *comm_, dir);
    t.train(2);
  }
  Trainer resumed(cfg, *comm_, dir, latest_checkpoint(dir));
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() != 0) return;
  std::vector<nlohmann::json> rows;
  std::ifstream in(fs::path(dir) / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("io")) rows.push_back(j);
  }
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("io"), "start-up");
  EXPECT_EQ(rows[1].at("io"), "resume");
  // Start-up: each rank opens the dataset twice (inspect, read its rows) and
  // nothing else; a resume adds the manifest and model.h5 on rank 0, and
  // memory.h5 on every rank: no file per rank of the job.
  EXPECT_EQ(rows[0].at("opens_max").get<int64_t>(), 2);
  EXPECT_EQ(rows[1].at("opens_rank0").get<int64_t>(), 5);
  EXPECT_EQ(rows[1].at("opens_max").get<int64_t>(), 5);
  // Bytes (where /proc/self/io exists): at least a rank's 32 images of 784
  // bytes; that sparse rows cost only themselves is tests/data/test_dataset's
  // ScatteredRowsReadOnlyThoseRows, and bench/cluster_io.sh's table.
  const int64_t most = rows[0].at("bytes_read_max").get<int64_t>();
  if (most >= 0) {
    EXPECT_GE(most, 32 * 784);
  }
}

}  // namespace
}  // namespace latentebm
