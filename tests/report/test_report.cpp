// report/: image grids, Langevin strips, plots and the end-of-training
// summaries.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>

#include "config.h"
#include "io/metrics_log.h"
#include "io/png.h"
#include "io/run_dir.h"
#include "model/generator.h"
#include "model/prior.h"
#include "report/grid.h"
#include "report/plot.h"
#include "report/strip.h"
#include "report/training_report.h"
#include "support/bytes.h"
#include "support/errors.h"
#include "support/scratch_dir.h"

using namespace latentebm;
using namespace latentebm::testing;

TEST(Grid, ReconstructionRowsAlternateImagesAndReconstructions) {
  // 5 images, 2 columns: rows x0 x1 | r0 r1 | x2 x3 | r2 r3 | x4 | r4.
  auto x = torch::arange(5).to(torch::kFloat32).reshape({5, 1, 1, 1});
  auto r = x + 100;
  auto grid = interleave_rows(x, r, 2).flatten();
  EXPECT_EQ(std::vector<float>(grid.data_ptr<float>(), grid.data_ptr<float>() + grid.numel()),
            (std::vector<float>{0, 1, 100, 101, 2, 3, 102, 103, 4, 104}));
  EXPECT_THROW(interleave_rows(x, r.narrow(0, 0, 4), 2), std::invalid_argument);
  ScratchDir dir;
  auto img = torch::zeros({3, 1, 2, 2}).uniform_(-1, 1);
  save_reconstruction_grid(dir.file("r.png"), img, img, 3);
  const auto png = png::read(dir.file("r.png"));
  EXPECT_EQ(png.channels, 1);
  EXPECT_GT(png.width, png.height);  // two rows (images, reconstructions) of three tiles
}

TEST(AnomalySummary, UsesOnlyRowsOfTheRunAsItStands) {
  ScratchDir dir;
  const RunDir run(dir.file("run"));
  run.create();
  const MetricsWriter m(run.metrics());
  m.append({{"iteration", 10}, {"stage", 0}, {"auprc", 0.2}, {"auroc", 0.6}});
  m.append({{"iteration", 20}, {"stage", 0}, {"auprc", 0.9}, {"auroc", 0.9}});  // undone by the rollback below
  m.append({{"iteration", 10}, {"restart", "rollback"}});
  m.append({{"iteration", 20}, {"stage", 0}, {"auprc", 0.4}, {"auroc", 0.8}});
  Config cfg;
  cfg.eval.anomaly_window = 10;
  write_anomaly_summary(run, cfg, 1);
  const auto s = nlohmann::json::parse(read_text(run.file("anomaly.json")));
  EXPECT_EQ(s["evaluations"], 2);
  EXPECT_NEAR(s["auprc_mean"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(s["auroc_mean"].get<double>(), 0.7, 1e-12);
  EXPECT_EQ(s["iterations"], (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(s["anomaly_label"], 1);
  // Not an anomaly split: nothing written.
  const RunDir other(dir.file("other"));
  other.create();
  write_anomaly_summary(other, cfg, -1);
  EXPECT_FALSE(std::filesystem::exists(other.file("anomaly.json")));
}

TEST(LangevinStrip, RowsAreChainsColumnsAreSteps) {
  torch::manual_seed(4);
  Generator g(GeneratorKind::kMnist28, 4, 2, 1);
  MultiStagePrior prior(4, 1, 8);
  StripOptions opt;
  opt.chains = 3;
  opt.steps = 10;
  opt.every = 4;
  int64_t cols = 0;
  torch::manual_seed(9);
  auto strip = langevin_strip(g, prior, 1, opt, torch::kCPU, &cols);
  EXPECT_EQ(cols, 4);  // steps 0, 4, 8, 10
  EXPECT_EQ(strip.sizes(), (std::vector<int64_t>{12, 1, 28, 28}));
  // Column 0 of each row is g(z0) for the chain's initial N(0, I) draw.
  torch::manual_seed(9);
  auto z0 = torch::randn({3, 4});
  torch::NoGradGuard no_grad;
  auto first = g->forward(z0);
  for (int64_t c = 0; c < 3; ++c) EXPECT_TRUE(torch::allclose(strip[c * 4], first[c]));
  EXPECT_FALSE(torch::allclose(strip[3], first[0]));  // the chain moved
  ScratchDir dir;
  opt.steps = 0;
  EXPECT_EQ(save_langevin_strip(dir.file("s.png"), g, prior, 1, opt, torch::kCPU), 1);
  EXPECT_EQ(png::read(dir.file("s.png")).channels, 1);
}

TEST(Plot, LinesThroughGnuplot) {
  ScratchDir dir;
  const std::vector<PlotSeries> series = {{"stage 0", {1, 2, 3, 4}, {0.7, 0.5, 0.45, 0.44}},
                                          {"stage \"1\"", {4, 5, 6}, {1.2, 1.3, NAN}}};
  // Without gnuplot on PATH: a clear message.
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", dir.file("nothing-here").c_str(), 1);
  try {
    plot_lines(dir.file("x.png"), "t", "x", "y", series);
    ::setenv("PATH", saved.c_str(), 1);
    FAIL() << "no error without gnuplot";
  } catch (const std::runtime_error& e) {
    ::setenv("PATH", saved.c_str(), 1);
    EXPECT_NE(std::string(e.what()).find("apt-get install gnuplot-nox"), std::string::npos) << e.what();
  }
  EXPECT_THROW(plot_lines(dir.file("x.png"), "t", "x", "y", {{"bad", {1, 2}, {1}}}), std::invalid_argument);
  if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
  PlotOptions opt;
  opt.width = 640;
  opt.height = 400;
  plot_lines(dir.file("nce.png"), "NCE loss per stage", "iteration", "loss", series, opt);
  const auto img = png::read(dir.file("nce.png"));
  EXPECT_EQ(img.width, 640);
  EXPECT_EQ(img.height, 400);
}
