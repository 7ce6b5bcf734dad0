// metrics.jsonl readers: MetricsFollower (what the TensorBoard log tails).
#include <gtest/gtest.h>

#include <fstream>

#include "io/metrics_log.h"
#include "support/scratch_dir.h"

using namespace latentebm;

TEST(MetricsFollower, ReturnsOnlyRowsAppendedSinceAndWholeLines) {
  const latentebm::testing::ScratchDir dir;
  const std::string path = dir.file("metrics.jsonl");
  MetricsWriter w(path);
  w.append({{"iteration", 10}, {"gen_loss", 1.0}});
  MetricsFollower follow(path);  // starts at the end: the row above is not new
  EXPECT_TRUE(follow.poll().empty());
  w.append({{"iteration", 20}, {"gen_loss", 0.5}});
  w.append({{"iteration", 20}, {"restart", "resume"}});
  auto rows = follow.poll();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["iteration"], 20);
  EXPECT_EQ(rows[1]["restart"], "resume");
  EXPECT_TRUE(follow.poll().empty());
  {
    std::ofstream out(path, std::ios::app);
    out << "{\"iteration\": 30, \"gen_lo";  // a row still being written
  }
  EXPECT_TRUE(follow.poll().empty());
  {
    std::ofstream out(path, std::ios::app);
    out << "ss\": 0.25}\nnot json\n";
  }
  rows = follow.poll();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["gen_loss"], 0.25);
}

TEST(MetricsFollower, MissingFileGivesNothingUntilItAppears) {
  const latentebm::testing::ScratchDir dir;
  const std::string path = dir.file("metrics.jsonl");
  MetricsFollower follow(path);
  EXPECT_TRUE(follow.poll().empty());
  MetricsWriter(path).append({{"iteration", 1}});
  EXPECT_EQ(follow.poll().size(), 1u);
}

// A row cut by a full disk or a crash has no newline; the next append starts a
// fresh line, so only the cut row is lost, not the next one glued to it.
TEST(MetricsWriter, ARowCutShortLosesOnlyItself) {
  const latentebm::testing::ScratchDir dir;
  const std::string path = dir.file("metrics.jsonl");
  MetricsWriter w(path);
  w.append({{"iteration", 2}, {"gen_loss", 1.0}});
  {
    std::ofstream out(path, std::ios::app);
    out << "{\"iteration\":4,\"gen_lo";  // what ENOSPC left of the next row
  }
  w.append({{"iteration", 2}, {"restart", "resume"}});
  w.append({{"iteration", 4}, {"gen_loss", 0.5}});
  const auto rows = read_metrics(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1]["restart"], "resume");
  EXPECT_EQ(rows[2]["gen_loss"], 0.5);
}
