// Config: YAML presets, overrides, the resolved dump, and validation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "config.h"

using namespace latentebm;

namespace {
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, DefaultsAreThePapersSettings) {
  Config c;
  EXPECT_EQ(c.train.stages, 4);
  EXPECT_DOUBLE_EQ(c.train.langevin_delta, 0.1);
  EXPECT_EQ(c.train.langevin_steps, 30);
  EXPECT_DOUBLE_EQ(c.train.g_lr, 1e-4);
  EXPECT_DOUBLE_EQ(c.train.e_lr, 5e-5);
  EXPECT_EQ(c.model.ratio_hidden, 200);
  EXPECT_EQ(c.train.prior_samples, NoiseSource::kPersistent);
  EXPECT_EQ(c.train.stage_schedule, StageSchedule::kFixed);
  EXPECT_NO_THROW(validate(c));
}

TEST(Config, YamlOverridesAndDumpRoundTrip) {
  Config c = parse_config("train:\n  stages: 2\n  langevin_delta: 0.05\nmodel:\n  generator: svhn32\n");
  EXPECT_EQ(c.train.stages, 2);
  EXPECT_DOUBLE_EQ(c.train.langevin_delta, 0.05);
  EXPECT_EQ(c.model.generator, GeneratorKind::kSvhn32);
  EXPECT_EQ(c.train.batch_size, 100);  // untouched keys keep defaults
  apply_overrides(c, {"train.batch_size=64", "data.path=/x/y.h5", "train.seed=7", "train.g_lr=2e-4"});
  EXPECT_EQ(c.train.batch_size, 64);
  EXPECT_EQ(c.data.path, "/x/y.h5");
  EXPECT_EQ(c.train.seed, 7u);
  EXPECT_DOUBLE_EQ(c.train.g_lr, 2e-4);
  Config back = parse_config(to_yaml(c));
  EXPECT_EQ(to_yaml(back), to_yaml(c));
  EXPECT_DOUBLE_EQ(back.train.g_lr, 2e-4);
}

TEST(Config, RejectsUnknownKeysAndMalformedValues) {
  EXPECT_NE(message_of([] { parse_config("train:\n  stagez: 2\n"); }).find("unknown config key 'train.stagez'"), std::string::npos);
  EXPECT_NE(message_of([] { parse_config("train:\n  stages: two\n"); }).find("train.stages"), std::string::npos);
  EXPECT_NE(message_of([] { parse_config("train:\n  stages: 2.5\n"); }).find("integer"), std::string::npos);
  EXPECT_NE(message_of([] { parse_config("train: [1, 2"); }).find("invalid YAML"), std::string::npos);
  // An integer beyond int64 was an undefined cast (fuzz/corpus/config/finding-int64-overflow).
  EXPECT_NE(message_of([] { parse_config("train:\n  iterations: 2.1e24\n"); }).find("train.iterations = '2.1e24' is not an integer in the 64-bit range"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_config("train:\n  iterations: -1e19\n"); }).find("64-bit range"), std::string::npos);
  EXPECT_NE(message_of([] { parse_config("train:\n  iterations: inf\n"); }).find("train.iterations"), std::string::npos);
  EXPECT_EQ(parse_config("train:\n  iterations: 1e4\n").train.iterations, 10000);
  Config c;
  EXPECT_NE(message_of([&] { apply_overrides(c, {"train.nope=1"}); }).find("unknown config key"), std::string::npos);
  EXPECT_NE(message_of([&] { apply_overrides(c, {"train.batch_size"}); }).find("section.key=value"), std::string::npos);
  EXPECT_NE(message_of([&] { apply_overrides(c, {"train.seed=-3"}); }).find("non-negative"), std::string::npos);
  EXPECT_NE(message_of([] { load_config("/nonexistent/cfg.yaml"); }).find("/nonexistent/cfg.yaml"), std::string::npos);
}

TEST(Config, ValidationListsEveryProblem) {
  Config c;
  c.train.langevin_delta = -1;
  c.model.sigma = 0;
  c.train.plateau_window = 0;
  c.train.noise_proposals = 0;
  const std::string msg = message_of([&] { validate(c); });
  EXPECT_NE(msg.find("train.langevin_delta"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.sigma"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.plateau_window"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.noise_proposals must be >= 1"), std::string::npos) << msg;
}

TEST(Config, EnumKeysAreParsedOnceAndListTheirChoices) {
  Config c;
  const std::string msg = message_of([&] { apply_overrides(c, {"train.prior_samples=sometimes"}); });
  EXPECT_NE(msg.find("train.prior_samples = 'sometimes' is not one of persistent | langevin | persistent-langevin | importance"),
            std::string::npos)
      << msg;
  EXPECT_NE(message_of([] { parse_config("train:\n  method: lebn\n"); }).find("adaptive-ce | gaussian"), std::string::npos);
  EXPECT_NE(message_of([&] { apply_overrides(c, {"train.g_lr_schedule=linear"}); }).find("one of constant | cosine"),
            std::string::npos);
  EXPECT_EQ(c.train.g_lr_schedule, LrSchedule::kConstant);
  apply_overrides(c, {"train.prior_samples=persistent-langevin", "train.stage_schedule=adaptive", "sample.method=sir",
                      "train.g_lr_schedule=cosine"});
  EXPECT_EQ(c.train.prior_samples, NoiseSource::kPersistentLangevin);
  EXPECT_EQ(c.train.stage_schedule, StageSchedule::kAdaptive);
  EXPECT_EQ(c.train.g_lr_schedule, LrSchedule::kCosine);
  EXPECT_EQ(c.sample.method, SampleMethod::kSir);
  // The dump names them and reads back.
  const std::string yaml = to_yaml(c);
  EXPECT_NE(yaml.find("prior_samples: \"persistent-langevin\""), std::string::npos) << yaml;
  EXPECT_EQ(to_yaml(parse_config(yaml)), yaml);
}

TEST(Config, LebmBringsItsReferenceSettingsUnlessTheUserPinsAKey) {
  // A preset written for adaptive-ce, switched to lebm on the command line:
  // every reference setting of LEBM applies, and config.yaml shows them.
  const std::string preset = "train:\n  method: adaptive-ce\n  e_lr: 5.0e-5\n  langevin_steps: 30\n  prior_langevin_steps: 10\n";
  Config c = parse_config(preset);
  apply_overrides(c, {"train.method=lebm"});
  const auto notes = resolve_method(c);
  EXPECT_DOUBLE_EQ(c.train.e_lr, 2e-5);
  EXPECT_EQ(c.train.langevin_steps, 20);
  EXPECT_DOUBLE_EQ(c.train.langevin_delta, 0.1);
  EXPECT_EQ(c.train.prior_langevin_steps, 60);
  EXPECT_DOUBLE_EQ(c.train.prior_langevin_delta, 0.4);
  EXPECT_EQ(c.train.stages, 1);
  EXPECT_EQ(c.train.prior_samples, NoiseSource::kLangevin);
  EXPECT_NO_THROW(validate(c));
  EXPECT_NE(to_yaml(c).find("e_lr: 2.0000000000000002e-05"), std::string::npos) << to_yaml(c);
  EXPECT_GE(notes.size(), 4u);
  // An override on the command line wins over the reference setting.
  Config o = parse_config(preset);
  apply_overrides(o, {"train.method=lebm", "train.e_lr=5e-5"});
  resolve_method(o);
  EXPECT_DOUBLE_EQ(o.train.e_lr, 5e-5);
  EXPECT_EQ(o.train.prior_langevin_steps, 60);
  // So does a key of a file written for lebm itself.
  Config f = parse_config("train:\n  method: lebm\n  prior_langevin_steps: 40\n");
  resolve_method(f);
  EXPECT_EQ(f.train.prior_langevin_steps, 40);
  EXPECT_DOUBLE_EQ(f.train.e_lr, 2e-5);
  // The NCE methods have no reference settings of their own: non-adaptive
  // differs from adaptive-ce only in its posterior prior.
  Config n = parse_config(preset);
  apply_overrides(n, {"train.method=non-adaptive"});
  resolve_method(n);
  EXPECT_DOUBLE_EQ(n.train.e_lr, 5e-5);
  EXPECT_EQ(n.train.prior_samples, NoiseSource::kPersistent);
  EXPECT_EQ(n.train.langevin_steps, 30);
}

TEST(Config, FaultToleranceSettingsAreValidated) {
  Config c;
  EXPECT_EQ(c.train.on_divergence, DivergencePolicy::kRollback);
  EXPECT_GT(c.runtime.collective_timeout_s, 0);
  EXPECT_NE(message_of([&] { apply_overrides(c, {"train.on_divergence=ignore"}); }).find("rollback | skip | stop"),
            std::string::npos);
  c.train.rollback_delta_factor = 1.5;
  c.train.max_rollbacks = -1;
  c.train.max_skips = -2;
  c.train.divergence_z_limit = 0;
  c.train.divergence_loss_limit = -1;
  c.runtime.collective_timeout_s = -5;
  const std::string msg = message_of([&] { validate(c); });
  for (const char* key : {"train.rollback_delta_factor",
                          "train.max_rollbacks", "train.max_skips", "train.divergence_z_limit", "train.divergence_loss_limit",
                          "runtime.collective_timeout_s"})
    EXPECT_NE(msg.find(key), std::string::npos) << key << " not in: " << msg;
  Config ok;
  apply_overrides(ok, {"train.on_divergence=skip", "runtime.collective_timeout_s=0"});
  EXPECT_NO_THROW(validate(ok));
}

TEST(Config, ValidationAgainstDataAndRanks) {
  Config c;
  c.model.generator = GeneratorKind::kMnist28;
  c.train.batch_size = 10;
  c.train.iterations = 100;
  EXPECT_NO_THROW(validate_against(c, 2, 1000, 1, 28, 28));
  EXPECT_NO_THROW(validate_against(c, 3, 1000, 1, 28, 28));  // any rank count splits the global batch
  EXPECT_NO_THROW(validate_against(c, 2, 8, 1, 28, 28));     // a shard smaller than its batch wraps around
  EXPECT_NE(message_of([&] { validate_against(c, 2, 1000, 3, 32, 32); }).find("32x32"), std::string::npos);
  EXPECT_NE(message_of([&] { validate_against(c, 11, 1000, 1, 28, 28); }).find("smaller than the 11 ranks"), std::string::npos);
  c.train.iterations = 3;  // K = 4 stages need at least 4 iterations
  EXPECT_NE(message_of([&] { validate_against(c, 2, 1000, 1, 28, 28); }).find("train.stages"), std::string::npos);
}

TEST(Config, ScheduleFromEpochs) {
  Config c;
  c.train.iterations = 0;
  c.train.epochs = 100;
  c.train.batch_size = 100;
  c.train.stages = 4;
  // SVHN: 73,257 images at batch 100 = 732 iterations per epoch.
  EXPECT_EQ(total_iterations(c, 73257), 73200);
  EXPECT_EQ(stage_length(c, 73257), 18300);  // 25 epochs
  c.train.iterations = 480;
  EXPECT_EQ(total_iterations(c, 73257), 480);
  EXPECT_EQ(stage_length(c, 73257), 120);
}

TEST(Config, PerRankBatchSetsTheGlobalBatchAndSplitsAnyGlobalBatch) {
  Config c;
  c.train.batch_size = 64;
  EXPECT_FALSE(resolve_batch(c, 8).has_value());  // global mode: untouched
  EXPECT_EQ(c.train.batch_size, 64);
  // 64 over 24 ranks: 16 ranks take 3, 8 take 2, 64 in all.
  int64_t sum = 0;
  for (int r = 0; r < 24; ++r) {
    const int64_t b = local_batch(c, 24, r);
    EXPECT_EQ(b, r < 16 ? 3 : 2) << r;
    sum += b;
  }
  EXPECT_EQ(sum, 64);
  c.train.batch_per_rank = 64;
  const auto note = resolve_batch(c, 512);
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(c.train.batch_size, 64 * 512);
  EXPECT_NE(note->find("64 -> 32768"), std::string::npos) << *note;
  for (int r : {0, 511}) EXPECT_EQ(local_batch(c, 512, r), 64);
  EXPECT_FALSE(resolve_batch(c, 512).has_value());  // idempotent
  EXPECT_TRUE(resolve_batch(c, 7).has_value());     // a resume on 7 ranks keeps 64 per rank
  EXPECT_EQ(c.train.batch_size, 64 * 7);
  // The command line beats the file: a global batch given there drops the
  // preset's per-rank batch; both given there is refused.
  Config preset;
  preset.train.batch_per_rank = 100;
  apply_overrides(preset, {"train.batch_size=8"});
  const auto dropped = resolve_batch(preset, 4);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_NE(dropped->find("train.batch_per_rank = 100 is dropped"), std::string::npos) << *dropped;
  EXPECT_EQ(preset.train.batch_size, 8);
  EXPECT_EQ(preset.train.batch_per_rank, 0);
  apply_overrides(preset, {"train.batch_per_rank=2"});
  EXPECT_NE(message_of([&] { resolve_batch(preset, 4); }).find("both given on the command line"), std::string::npos);
}

TEST(Config, ScheduleCountsImagesSeenAndHasAFloor) {
  // CelebA-HQ 128: 27,000 training images, 100 epochs, 64 per GPU.
  Config c;
  c.train.iterations = 0;
  c.train.epochs = 100;
  c.train.stages = 4;
  c.train.batch_per_rank = 64;
  resolve_batch(c, 1);
  EXPECT_EQ(total_iterations(c, 27000), 100 * (27000 / 64));  // whole batches per epoch, as before
  resolve_batch(c, 512);  // B = 32,768 > N: T counts images seen, not max(1, N / B) per epoch
  EXPECT_EQ(total_iterations(c, 27000), std::llround(100.0 * 27000.0 / 32768.0));  // 82
  c.train.min_iterations = 2000;
  EXPECT_EQ(total_iterations(c, 27000), 2000);
  EXPECT_EQ(stage_length(c, 27000), 500);
  resolve_batch(c, 1);
  EXPECT_EQ(total_iterations(c, 27000), 42100);  // the floor only lifts
  // The schedule in words: B, per rank, T and why; a checkpoint interval
  // longer than a stage is warned about.
  resolve_batch(c, 512);
  c.log.checkpoint_every = 1000;
  const auto lines = describe_schedule(c, 27000, 512);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines[0].find("global batch 32768 (64 per rank x 512 rank(s))"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("T = 2000 iterations"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("raised to train.min_iterations"), std::string::npos) << lines[0];
  EXPECT_NE(lines.back().find("log.checkpoint_every = 1000 is longer than a stage (500 iterations)"), std::string::npos)
      << lines.back();
}

TEST(Config, LearningRateScalingNeedsAReferenceBatch) {
  Config c;
  apply_overrides(c, {"train.lr_scaling=sqrt"});
  EXPECT_NE(message_of([&] { validate(c); }).find("needs train.lr_reference_batch"), std::string::npos);
  apply_overrides(c, {"train.lr_reference_batch=64", "train.lr_warmup_iterations=100"});
  EXPECT_NO_THROW(validate(c));
  EXPECT_NE(message_of([&] { apply_overrides(c, {"train.lr_scaling=cubic"}); }).find("none | sqrt | linear"),
            std::string::npos);
}

TEST(Config, GpuPresetsUseTheGpuAndAPerGpuBatch) {
  // What `mpirun -np W latentebm train --config configs/<preset>.yaml` gets
  // on GPU nodes without any override.
  for (const char* preset : {"svhn", "cifar10", "celeba64", "celebahq128"}) {
    const auto path = std::filesystem::path(LATENTEBM_SOURCE_DIR) / "configs" / (std::string(preset) + ".yaml");
    Config c = load_config(path.string());
    EXPECT_EQ(c.runtime.device, DeviceChoice::kAuto) << preset;
    EXPECT_GT(c.train.batch_per_rank, 0) << preset;
    EXPECT_EQ(c.train.lr_scaling, LrScaling::kSqrt) << preset;
    EXPECT_EQ(c.train.lr_reference_batch, c.train.batch_per_rank) << preset << ": one GPU trains as the paper did";
    EXPECT_GT(c.train.min_iterations, 0) << preset;
    EXPECT_LE(c.log.checkpoint_every, c.train.min_iterations / std::max<int64_t>(1, c.train.stages)) << preset;
  }
}

TEST(Config, EveryPresetParsesAndValidates) {
  const auto dir = std::filesystem::path(LATENTEBM_SOURCE_DIR) / "configs";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    Config c = load_config(e.path().string());
    EXPECT_NO_THROW(validate(c)) << e.path();
    ++n;
  }
  EXPECT_GE(n, 7);
}

// Whether a key is structural (a resume must refuse a change) is declared
// with the key in the registry; structural_config lists those keys in
// registry order, with the values as checkpoints have always written them.
TEST(Config, StructuralKeysAreDeclaredWithTheirKeysAndDependOnTheConfig) {
  auto keys = [](const Config& c) {
    std::vector<std::string> out;
    std::istringstream in(structural_config(c));
    for (std::string line; std::getline(in, line);) out.push_back(line.substr(0, line.find(':')));
    return out;
  };
  Config c;  // fixed schedule, persistent noise
  const std::vector<std::string> always = {"data.train_limit", "model.generator", "model.nz",      "model.ngf",
                                           "model.sigma",      "model.ratio_hidden", "train.method", "train.stages",
                                           "train.prior_samples", "train.seed"};
  EXPECT_EQ(keys(c), always);
  EXPECT_NE(structural_config(c).find("model.sigma: 0.29999999999999999\n"), std::string::npos) << structural_config(c);
  EXPECT_NE(structural_config(c).find("train.method: adaptive-ce\n"), std::string::npos) << structural_config(c);
  // The run's length and the tunable settings are not structural.
  for (const char* k : {"train.iterations", "train.epochs", "train.min_iterations", "train.batch_size", "train.g_lr",
                        "train.langevin_delta", "log.log_every"})
    EXPECT_EQ(structural_config(c).find(std::string(k) + ":"), std::string::npos) << k;

  c.train.stage_schedule = StageSchedule::kAdaptive;  // the plateau rule decides the stages
  c.train.prior_samples = NoiseSource::kImportance;   // its proposal count shapes the noise
  auto expected = always;
  expected.insert(expected.begin() + 9, {"train.noise_proposals", "train.stage_schedule", "train.plateau_window",
                                         "train.plateau_patience", "train.plateau_tolerance", "train.min_stage_iterations",
                                         "train.max_stage_iterations"});
  EXPECT_EQ(keys(c), expected);
  c.train.prior_samples = NoiseSource::kPersistentLangevin;
  EXPECT_NE(structural_config(c).find("train.bank_langevin_steps: 20\n"), std::string::npos) << structural_config(c);
  EXPECT_EQ(structural_config(c).find("train.noise_proposals"), std::string::npos);
}
