// io/run_dir.h and io/metrics_log.h: the run directory's layout, the one
// metrics writer and reader, and which rows summaries see after restarts.
#include <gtest/gtest.h>

#include "io/metrics_log.h"
#include "io/run_dir.h"
#include "support/bytes.h"
#include "support/errors.h"
#include "support/scratch_dir.h"

using namespace latentebm;
using namespace latentebm::testing;
using nlohmann::json;

TEST(RunDir, OwnsTheLayout) {
  const RunDir run("runs/x");
  EXPECT_EQ(run.config_yaml(), "runs/x/config.yaml");
  EXPECT_EQ(run.metrics(), "runs/x/metrics.jsonl");
  EXPECT_EQ(run.checkpoints(), "runs/x/checkpoints");
  EXPECT_EQ(run.logs(), "runs/x/logs");
  EXPECT_EQ(run.rank_log(3), "runs/x/logs/rank-00003.log");
  EXPECT_EQ(run.debug(), "runs/x/debug");
  EXPECT_EQ(run.divergence_dump(12, 1), "runs/x/debug/divergence-it00000012-rank00001.h5");
  EXPECT_EQ(run.file("samples.png"), "runs/x/samples.png");
}

TEST(RunDir, WritesTheConfigWithItsHeader) {
  ScratchDir dir;
  const RunDir run(dir.file("run"));
  run.create().write_config("train:\n  stages: 4\n");
  EXPECT_EQ(read_text(run.config_yaml()), "# resolved latentebm config (all keys)\ntrain:\n  stages: 4\n");
}

TEST(Metrics, WriterAppendsRowsTheReaderReturnsInOrder) {
  ScratchDir dir;
  const MetricsWriter w(dir.file("metrics.jsonl"));
  EXPECT_TRUE(read_metrics(w.path()).empty());  // no file yet
  w.append({{"iteration", 2}, {"nce_loss", 1.5}});
  w.append({{"iteration", 4}, {"auprc", 0.25}});
  EXPECT_EQ(read_text(w.path()), "{\"iteration\":2,\"nce_loss\":1.5}\n{\"auprc\":0.25,\"iteration\":4}\n");
  // A line cut short by a crash, and a stray non-object line, are skipped.
  write_text(w.path(), read_text(w.path()) + "[1,2]\n{\"iteration\":6,\"nce_lo");
  const auto rows = read_metrics(w.path());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["iteration"], 2);
  EXPECT_EQ(rows[1]["auprc"], 0.25);
}

TEST(Metrics, RowsOfUndoneIterationsAreDropped) {
  // Progress every 2 iterations; a rollback at 7 to the checkpoint at 4, and
  // later a resume from the checkpoint at 8 after a crash at 11.
  const std::vector<json> rows = {
      {{"iteration", 2}, {"nce_loss", 1.0}},  {{"iteration", 4}, {"nce_loss", 2.0}}, {{"iteration", 4}, {"auprc", 0.5}},
      {{"iteration", 6}, {"nce_loss", 9.0}},  {{"iteration", 6}, {"auprc", 0.9}},    {{"iteration", 4}, {"restart", "rollback"}},
      {{"iteration", 6}, {"nce_loss", 3.0}},  {{"iteration", 8}, {"nce_loss", 4.0}}, {{"iteration", 10}, {"nce_loss", 8.0}},
      {{"iteration", 8}, {"restart", "resume"}}, {{"iteration", 10}, {"nce_loss", 5.0}},
  };
  std::vector<double> losses, auprc;
  for (const auto& r : current_metrics(rows)) {
    ASSERT_FALSE(r.contains("restart"));
    if (r.contains("nce_loss")) losses.push_back(r["nce_loss"].get<double>());
    if (r.contains("auprc")) auprc.push_back(r["auprc"].get<double>());
  }
  EXPECT_EQ(losses, (std::vector<double>{1.0, 2.0, 3.0, 4.0, 5.0}));
  EXPECT_EQ(auprc, (std::vector<double>{0.5}));  // the one at 6 was undone
}

TEST(Metrics, RestartRowOnlyWhenRowsWereUndone) {
  ScratchDir dir;
  const MetricsWriter w(dir.file("metrics.jsonl"));
  EXPECT_FALSE(mark_restart(w, 0, "fresh"));  // no file
  w.append({{"iteration", 2}, {"nce_loss", 1.0}});
  w.append({{"iteration", 4}, {"nce_loss", 2.0}});
  EXPECT_FALSE(mark_restart(w, 4, "resume"));  // resuming where the rows end
  EXPECT_EQ(read_metrics(w.path()).size(), 2u);
  EXPECT_TRUE(mark_restart(w, 2, "rollback"));
  const auto rows = read_metrics(w.path());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2], (json{{"iteration", 2}, {"restart", "rollback"}}));
  EXPECT_FALSE(mark_restart(w, 2, "rollback"));  // already marked
  EXPECT_EQ(current_metrics(read_metrics(w.path())).size(), 1u);
}
