// Evaluation protocols on models whose answers are known: reconstruction MSE
// and anomaly scores of a generator with a constant output, the TorchScript
// FID plumbing, the self-trained feature classifier and its cache, the
// Langevin strip, and gnuplot plots.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "config.h"
#include "data/dataset.h"
#include "distributed/communicator.h"
#include "eval/anomaly.h"
#include "eval/evaluate.h"
#include "eval/feature_net.h"
#include "eval/fid.h"
#include "eval/metrics.h"
#include "io/h5.h"
#include "model/inference.h"
#include "support/constant_generator.h"
#include "support/scratch_dir.h"

namespace fs = std::filesystem;
using namespace latentebm;
using latentebm::testing::ScratchDir;
using latentebm::testing::constant_generator;

namespace {

// Images whose every pixel of image i is values[i].
data::ImageSet constant_images(const std::vector<uint8_t>& values, int64_t c, int64_t h, int64_t w) {
  data::ImageSet s;
  s.n = static_cast<int64_t>(values.size());
  s.c = c, s.h = h, s.w = w;
  for (size_t i = 0; i < values.size(); ++i) {
    s.pixels.insert(s.pixels.end(), static_cast<size_t>(c * h * w), values[i]);
    s.labels.push_back(static_cast<int64_t>(i % 3));
  }
  return s;
}


}  // namespace

TEST(ReconstructionMse, ConstantGeneratorHasTheHandComputedError) {
  // g(z) = 0.5 everywhere. Test images of constant byte values 255, 0, 191 are
  // x = 1, -1, 191/127.5 - 1 on [-1, 1]; per-image MSEs (0.5 - x)^2 are
  // 0.25, 2.25 and (0.5 - 0.4980392)^2; the protocol averages them over images.
  ScratchDir dir("latentebm_eval");
  const auto train = constant_images({10, 20}, 1, 28, 28), test = constant_images({255, 0, 191}, 1, 28, 28);
  const auto path = dir.file("tiny.h5");
  data::write_dataset(path, "tiny", "test", train, test);
  auto g = constant_generator(0.5);
  MultiStagePrior prior(4, 2, 8);
  const double x3 = 191.0 / 127.5 - 1.0;
  const double expected = (0.25 + 2.25 + (0.5 - x3) * (0.5 - x3)) / 3.0;
  auto comm = make_single_communicator();
  for (int64_t batch : {1, 2, 8}) {
    const auto r = reconstruction_mse(*comm, g, prior, 2, path, "test", 0, 0.3, {3, 0.1}, batch, 7, torch::kCPU);
    EXPECT_EQ(r.images, 3);
    EXPECT_NEAR(r.mean(), expected, 1e-6) << "batch " << batch;
  }
  // limit = 2: the two test images data::test_subset keeps.
  const double per_image[3] = {0.25, 2.25, (0.5 - x3) * (0.5 - x3)};
  const auto rows = data::test_subset(3, 2);
  ASSERT_EQ(rows.size(), 2u);
  const auto r2 = reconstruction_mse(*comm, g, prior, 2, path, "test", 2, 0.3, {3, 0.1}, 2, 7, torch::kCPU);
  EXPECT_EQ(r2.images, 2);
  EXPECT_NEAR(r2.mean(), (per_image[rows[0]] + per_image[rows[1]]) / 2.0, 1e-6);
}

TEST(ReconstructionMse, FeatureStatisticsAreThoseOfTheReconstructionsAndOfTheImages) {
  // g(z) = 0.5 everywhere, so every reconstruction is the constant-0.5 image:
  // its feature statistics are n copies of one row (mean = that row,
  // covariance 0), while the images' are those of the test images, computed
  // here directly. The MSE does not change when features are taken.
  ScratchDir dir("latentebm_eval");
  const auto train = constant_images({10, 20}, 1, 28, 28), test = constant_images({255, 0, 191, 64}, 1, 28, 28);
  const auto path = dir.file("tiny.h5");
  data::write_dataset(path, "tiny", "test", train, test);
  auto g = constant_generator(0.5);
  MultiStagePrior prior(4, 2, 8);
  FeatureClassifier c;
  c.channels = 1, c.height = 28, c.width = 28, c.num_classes = 3, c.feature_dim = 8;
  torch::manual_seed(3);
  c.net = FeatureNet(1, 3, 8);
  auto comm = make_single_communicator();
  const auto plain = reconstruction_mse(*comm, g, prior, 2, path, "test", 0, 0.3, {3, 0.1}, 3, 7, torch::kCPU);
  const auto r = reconstruction_mse(*comm, g, prior, 2, path, "test", 0, 0.3, {3, 0.1}, 3, 7, torch::kCPU, &c);
  EXPECT_DOUBLE_EQ(r.sum, plain.sum);
  EXPECT_EQ(plain.reconstruction_features.dim, 0);
  ASSERT_EQ(r.reconstruction_features.dim, 8);
  EXPECT_EQ(r.reconstruction_features.count, 4);
  EXPECT_EQ(r.image_features.count, 4);
  const auto row = classifier_features(c, torch::full({1, 1, 28, 28}, 0.5)).to(torch::kFloat64)[0];
  EXPECT_TRUE(torch::allclose(r.reconstruction_features.mean(), row, 1e-5, 1e-6));
  EXPECT_LT(r.reconstruction_features.covariance().abs().max().item<double>(), 1e-8);
  const auto x = torch::stack({torch::full({1, 28, 28}, 1.0), torch::full({1, 28, 28}, -1.0),
                               torch::full({1, 28, 28}, 191.0 / 127.5 - 1.0), torch::full({1, 28, 28}, 64.0 / 127.5 - 1.0)});
  const auto fx = classifier_features(c, x).to(torch::kFloat64);
  EXPECT_TRUE(torch::allclose(r.image_features.mean(), fx.mean(0), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(r.image_features.covariance(), torch::cov(fx.t()), 1e-5, 1e-6));
}

TEST(BatchRange, WholeBatchesCoverEverythingOnce) {
  for (int world : {1, 2, 3, 7}) {
    int64_t next = 0, next_batch = 0;
    for (int r = 0; r < world; ++r) {
      const auto br = batch_range(23, 5, r, world);  // 5 batches: 5 5 5 5 3
      EXPECT_EQ(br.begin, next);
      if (br.size() > 0) {
        EXPECT_EQ(br.first_batch * 5, br.begin);  // starts on a batch boundary
      }
      EXPECT_EQ(br.first_batch, next_batch);
      next = br.end;
      next_batch = br.first_batch + (br.size() + 4) / 5;
    }
    EXPECT_EQ(next, 23) << "world " << world;
  }
  EXPECT_NE(batch_seed(1, 1, 0), batch_seed(1, 1, 1));
  EXPECT_NE(batch_seed(1, 1, 0), batch_seed(1, 2, 0));
}

TEST(Anomaly, ScoreIsTheJointEnergyWithTheStatedConstantDropped) {
  // g(z) = 0.5; one stage whose ratio network outputs the constant c = 0.75
  // (weights 0, last bias c), so log p~(z) = c - ||z||^2 / 2 and
  // score = ||x - 0.5||^2 / (2 sigma^2) - c + ||z||^2 / 2.
  auto g = constant_generator(0.5, 3);
  MultiStagePrior prior(3, 1, 5);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : prior->parameters(true)) p.zero_();
    prior->ratio(0)->net[4]->as<torch::nn::Linear>()->bias.fill_(0.75);
  }
  const double sigma = 0.5;
  auto x = torch::full({2, 1, 28, 28}, 0.25);
  x[1].fill_(-0.5);
  auto z = torch::tensor({{1.0f, 2.0f, 0.0f}, {0.0f, 0.0f, 0.0f}});
  const auto e = joint_energy(g, prior, 1, x, z, sigma);
  const double d = 28 * 28;
  EXPECT_NEAR(e[0].item<double>(), d * 0.0625 / (2 * 0.25) - 0.75 + 2.5, 1e-3);
  EXPECT_NEAR(e[1].item<double>(), d * 1.0 / (2 * 0.25) - 0.75, 1e-3);
  // With 0 stages the ratio is not used.
  EXPECT_NEAR(joint_energy(g, prior, 0, x, z, sigma)[1].item<double>(), d * 1.0 / (2 * 0.25), 1e-3);
  // The two terms: reconstruction ||x - g(z)||^2 / (2 sigma^2), prior energy -c + ||z||^2 / 2.
  const auto t = joint_energy_terms(g, prior, 1, x, z, sigma);
  EXPECT_NEAR(t.reconstruction[0].item<double>(), d * 0.0625 / (2 * 0.25), 1e-3);
  EXPECT_NEAR(t.prior[0].item<double>(), -0.75 + 2.5, 1e-5);
  EXPECT_NEAR(t.prior[1].item<double>(), -0.75, 1e-5);
  // Batched scoring of uint8 images: bright (far from 0.5) images score higher.
  const auto imgs = constant_images({191, 0, 191, 0, 255}, 1, 28, 28);
  torch::manual_seed(1);
  const auto s = score_images(g, prior, 1, imgs, sigma, {3, 0.1}, 2, torch::kCPU);
  ASSERT_EQ(s.size(), 5u);
  // The same draws give the same scores, split into terms that add up to them.
  torch::manual_seed(1);
  const auto terms = score_image_terms(g, prior, 1, imgs, sigma, {3, 0.1}, 2, torch::kCPU);
  ASSERT_EQ(terms.reconstruction.size(), 5u);
  ASSERT_EQ(terms.prior.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(terms.score[i], s[i]);
    EXPECT_NEAR(terms.reconstruction[i] + terms.prior[i], s[i], 1e-6 * (std::abs(s[i]) + 1));  // float32 sums
  }
  const auto m = anomaly_metrics(s, {false, true, false, true, false});
  EXPECT_EQ(m.n, 5);
  EXPECT_EQ(m.n_anomalous, 2);
  EXPECT_DOUBLE_EQ(m.auprc, 1.0);  // the 0-valued images are the farthest from g(z) = 0.5
  EXPECT_DOUBLE_EQ(m.auroc, 1.0);
}

namespace {
// TorchScript feature extractors built here: features = per-channel mean * w.
std::string save_module(const std::string& path, const std::string& body) {
  torch::jit::Module m("feat");
  m.register_parameter("w", torch::tensor({1.0f, 2.0f, 3.0f}), false);
  m.define("def forward(self, x):\n" + body + "\n");
  m.save(path);
  return path;
}
}  // namespace

TEST(Fid, TorchScriptPlumbing) {
  ScratchDir dir("latentebm_eval");
  const auto flat = save_module(dir.file("flat.pt"), "    return x.mean([2, 3]) * self.w");
  const auto nchw = save_module(dir.file("nchw.pt"), "    return (x.mean([2, 3]) * self.w).view([-1, 3, 1, 1])");
  const auto tuple = save_module(dir.file("tuple.pt"), "    return (x.mean([2, 3]) * self.w, x)");
  const auto bad = save_module(dir.file("bad.pt"), "    return x");
  // Grey images with values -1, 0, 1 -> [0, 1] values 0, 0.5, 1, repeated to 3 channels.
  auto images = torch::stack({torch::full({1, 5, 6}, -1.0), torch::zeros({1, 5, 6}), torch::ones({1, 5, 6})});
  const auto expected = torch::tensor({{0.0f, 0.0f, 0.0f}, {0.5f, 1.0f, 1.5f}, {1.0f, 2.0f, 3.0f}});
  for (const auto& p : {flat, nchw, tuple}) {
    FidExtractor f(p, torch::kCPU);
    EXPECT_TRUE(torch::allclose(f.features(images, 2), expected)) << p;
  }
  FidExtractor rgb(flat, torch::kCPU);
  EXPECT_EQ(rgb.features(torch::zeros({4, 3, 8, 8})).sizes(), (std::vector<int64_t>{4, 3}));
  FidExtractor wrong(bad, torch::kCPU);
  try {
    wrong.features(images);
    FAIL() << "a module returning images was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("expected [B, D]"), std::string::npos) << e.what();
  }
  try {
    FidExtractor missing(dir.file("none.pt"), torch::kCPU);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("pytorch_fid"), std::string::npos) << e.what();
  }
  std::ofstream(dir.file("junk.pt")) << "not a zip";
  EXPECT_THROW(FidExtractor(dir.file("junk.pt"), torch::kCPU), std::runtime_error);
}

TEST(Fid, EvaluateModelReportsFidWithCounts) {
  ScratchDir dir("latentebm_eval");
  const auto path = dir.file("tiny.h5");
  data::write_dataset(path, "tiny", "test", constant_images({0, 60, 120, 180, 240, 30, 90}, 1, 28, 28),
                      constant_images({10, 200, 100}, 1, 28, 28));
  Config cfg;
  cfg.data.path = path;
  cfg.train.langevin_steps = 2;
  cfg.sample.steps = 3;
  torch::manual_seed(2);
  Generator g(GeneratorKind::kMnist28, 4, 2, 1);
  MultiStagePrior prior(4, 2, 8);
  EvalOptions opt;
  opt.samples = 10;
  opt.batch_size = 4;
  opt.fd_classifier = false;
  opt.fid_model = save_module(dir.file("flat.pt"), "    return x.mean([2, 3]) * self.w");
  auto comm = make_single_communicator();
  const auto j = evaluate_model(*comm, cfg, g, prior, torch::kCPU, opt);
  ASSERT_TRUE(j["fid"].contains("value")) << j.dump(2);
  EXPECT_EQ(j["fid"]["samples"], 10);
  EXPECT_EQ(j["fid"]["reference_images"], 7);
  EXPECT_EQ(j["fid"]["feature_dim"], 3);
  EXPECT_TRUE(std::isfinite(j["fid"]["value"].get<double>()));
  EXPECT_EQ(j["reconstruction_mse"]["images"], 3);
  EXPECT_TRUE(j["fd_classifier"].contains("skipped"));
  const auto pc = count_parameters(g, prior);
  EXPECT_EQ(j["parameters"]["generator"], pc.generator);
  // Ratio MLP 4-8-8-1: (4*8 + 8) + (8*8 + 8) + (8 + 1) = 121 per stage.
  EXPECT_EQ(j["parameters"]["prior"], 2 * 121);
  // Same seed, same numbers.
  const auto again = evaluate_model(*comm, cfg, g, prior, torch::kCPU, opt);
  EXPECT_DOUBLE_EQ(again["fid"]["value"].get<double>(), j["fid"]["value"].get<double>());
  EXPECT_DOUBLE_EQ(again["reconstruction_mse"]["value"].get<double>(), j["reconstruction_mse"]["value"].get<double>());
}

namespace {
// Two separable classes of 12x12 grey images: dark noise (label 0), bright noise (label 1).
data::ImageSet two_classes(int64_t n, uint64_t seed) {
  data::ImageSet s;
  s.n = n, s.c = 1, s.h = 12, s.w = 12;
  uint64_t x = seed;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = i % 2;
    for (int k = 0; k < 144; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      s.pixels.push_back(static_cast<uint8_t>((label ? 140 : 0) + (x >> 33) % 110));
    }
    s.labels.push_back(label);
  }
  return s;
}
}  // namespace

TEST(FeatureClassifier, TrainsCachesAndRetrainsWhenTheDataChanges) {
  ScratchDir dir("latentebm_eval");
  const auto path = dir.file("two.h5");
  data::write_dataset(path, "two", "test", two_classes(200, 1), two_classes(50, 2));
  FeatureNetOptions opt;
  opt.epochs = 2;
  opt.feature_dim = 16;
  auto comm = make_single_communicator();
  const auto cache = default_classifier_path(path);
  auto first = ensure_feature_classifier(*comm, path, cache, opt);
  EXPECT_TRUE(first.trained_now);
  EXPECT_TRUE(fs::exists(cache));
  EXPECT_GT(first.test_accuracy, 0.9);
  EXPECT_EQ(first.test_images, 50);
  EXPECT_EQ(first.train_images, 200);
  EXPECT_EQ(first.train_mean.numel(), 16);

  auto second = ensure_feature_classifier(*comm, path, cache, opt);
  EXPECT_FALSE(second.trained_now);
  EXPECT_DOUBLE_EQ(second.test_accuracy, first.test_accuracy);
  // The CRC names the classifier: the same after the float32 cache round trip.
  EXPECT_EQ(first.crc32.size(), 8u);
  EXPECT_EQ(second.crc32, first.crc32);
  auto x = torch::rand({5, 1, 12, 12}) * 2 - 1;
  EXPECT_TRUE(torch::allclose(classifier_features(first, x), classifier_features(second, x), 1e-5, 1e-6));
  // Reference statistics survive the (float32) cache: FD of the training
  // images' own features against them is ~0.
  data::ShardData train(path, "train", 0, 1);
  const auto& tr = train.images();
  auto imgs = model_images(tr);
  const auto f = classifier_features(second, imgs).to(torch::kFloat64);
  GaussianStats st(16);
  st.add(f);
  EXPECT_NEAR(frechet_distance(st.mean(), st.covariance(), second.train_mean, second.train_covariance), 0.0, 1e-3);

  // Deterministic: training again gives the same parameters.
  auto again = train_feature_classifier(path, opt);
  EXPECT_TRUE(torch::equal(classifier_features(first, x), classifier_features(again, x)));

  // The data enter the key by content: the same images written again (new
  // mtime), or under another name with the cache copied beside them (another
  // machine), reuse the classifier; other training images retrain it.
  ::usleep(20000);
  data::write_dataset(path, "two", "elsewhere", two_classes(200, 1), two_classes(50, 2));
  EXPECT_FALSE(ensure_feature_classifier(*comm, path, cache, opt).trained_now);
  const auto moved = dir.file("moved.h5");
  data::write_dataset(moved, "two", "moved", two_classes(200, 1), two_classes(50, 2));
  fs::copy_file(cache, default_classifier_path(moved));
  auto copied = ensure_feature_classifier(*comm, moved, default_classifier_path(moved), opt);
  EXPECT_FALSE(copied.trained_now);
  EXPECT_TRUE(torch::equal(classifier_features(first, x), classifier_features(copied, x)));
  // A file without a content CRC (older files) is known by name, size and
  // mtime: rewritten -> retrained.
  {
    h5::File f(moved, h5::Mode::ReadWrite);
    f.set_attr("/", "content_crc32", std::string());
  }
  EXPECT_TRUE(ensure_feature_classifier(*comm, moved, default_classifier_path(moved), opt).trained_now);
  EXPECT_FALSE(ensure_feature_classifier(*comm, moved, default_classifier_path(moved), opt).trained_now);
  ::usleep(20000);
  {
    h5::File f(moved, h5::Mode::ReadWrite);
    f.set_attr("/", "source", std::string("touched"));
  }
  EXPECT_TRUE(ensure_feature_classifier(*comm, moved, default_classifier_path(moved), opt).trained_now);

  // Other options -> other key -> retrained (another classifier, another
  // CRC); other training images -> retrained.
  opt.epochs = 1;
  auto shorter = ensure_feature_classifier(*comm, path, cache, opt);
  EXPECT_TRUE(shorter.trained_now);
  EXPECT_NE(shorter.crc32, first.crc32);
  EXPECT_FALSE(ensure_feature_classifier(*comm, path, cache, opt).trained_now);
  data::write_dataset(path, "two", "test", two_classes(200, 3), two_classes(50, 2));
  EXPECT_TRUE(ensure_feature_classifier(*comm, path, cache, opt).trained_now);

  // Unlabelled data: a clear error.
  auto unlabelled = two_classes(10, 4);
  for (auto& l : unlabelled.labels) l = -1;
  data::write_dataset(dir.file("nolabels.h5"), "nl", "test", unlabelled, two_classes(4, 5));
  try {
    ensure_feature_classifier(*comm, dir.file("nolabels.h5"), dir.file("nl.cls.h5"), opt);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("labelled training split"), std::string::npos) << e.what();
  }
}
