// Generator architectures: output shapes and range, batch independence, and
// the Xavier-normal initialisation of generator and ratio networks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "config.h"
#include "model/generator.h"
#include "model/prior.h"

namespace {

using latentebm::Generator;
using latentebm::GeneratorKind;

struct ArchCase {
  GeneratorKind kind;
  int64_t channels, size;
};

TEST(Generator, EveryArchitectureProducesImagesOfItsSizeInRange) {
  torch::manual_seed(1);
  const int64_t nz = 16, ngf = 4, B = 3;
  const ArchCase cases[] = {{GeneratorKind::kMnist28, 1, 28},  {GeneratorKind::kMnist28, 3, 28},
                            {GeneratorKind::kSvhn32, 3, 32},   {GeneratorKind::kCifar32, 3, 32},
                            {GeneratorKind::kCeleba64, 3, 64}, {GeneratorKind::kCelebahq128, 3, 128}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(latentebm::enum_name(c.kind)) + " C=" + std::to_string(c.channels));
    EXPECT_EQ(latentebm::generator_spec(c.kind).image_size, c.size);
    Generator g(c.kind, nz, ngf, c.channels);
    EXPECT_EQ(g->image_size, c.size);
    torch::NoGradGuard no_grad;
    auto z = torch::randn({B, nz});
    auto x = g->forward(z);
    ASSERT_EQ(x.sizes(), (std::vector<int64_t>{B, c.channels, c.size, c.size}));
    EXPECT_LE(x.max().item<float>(), 1.0f);
    EXPECT_GE(x.min().item<float>(), -1.0f);
    EXPECT_TRUE(torch::isfinite(x).all().item<bool>());
    // Not a degenerate (constant or saturated) output: Xavier init gives
    // pre-activations of order 1, so values vary and stay off +-1.
    EXPECT_GT(x.std().item<float>(), 1e-3f);
    EXPECT_LT(x.abs().max().item<float>(), 0.9999f);
    // Examples do not interact (no batch statistics): the Langevin samplers
    // sum per-example log densities and rely on this. Tolerance: float32
    // convolution results may differ in the last bits between batch sizes.
    auto x1 = g->forward(z.slice(0, 1, 2));
    EXPECT_TRUE(torch::allclose(x1, x.slice(0, 1, 2), 1e-5, 1e-6));
    // Different latents give different images.
    EXPECT_GT((x[0] - x[2]).abs().max().item<float>(), 1e-4f);
  }
}

// The table of generator_kind.h: every name parses back to its kind, an
// unknown name is refused (by the config too, listing the names), and each
// kind's preset trains that kind.
TEST(GeneratorTable, NamesRoundTripAndPresetsUseTheirGenerator) {
  using namespace latentebm;
  ASSERT_EQ(generator_specs().size(), 5u);
  for (const auto& spec : generator_specs()) {
    SCOPED_TRACE(spec.name);
    EXPECT_EQ(parse_enum<GeneratorKind>(spec.name), spec.kind);
    EXPECT_STREQ(enum_name(spec.kind), spec.name);
    EXPECT_EQ(&generator_spec(spec.kind), &spec);
    const Config preset = load_config(std::string(LATENTEBM_SOURCE_DIR) + "/" + spec.preset);
    EXPECT_EQ(preset.model.generator, spec.kind);
    const Config parsed = parse_config(std::string("model:\n  generator: ") + spec.name + "\n");
    EXPECT_EQ(parsed.model.generator, spec.kind);
  }
  EXPECT_FALSE(parse_enum<GeneratorKind>("dcgan").has_value());
  try {
    parse_config("model:\n  generator: dcgan\n");
    ADD_FAILURE() << "model.generator = dcgan was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("mnist28 | svhn32 | cifar32 | celeba64 | celebahq128"), std::string::npos)
        << e.what();
  }
}

// generator_parameter_count, from the table's layers, against the network the
// factory builds from them, and against counts worked out by hand
// (bench/test_scaling_model.py's): svhn32 at nz 100, ngf 64, 3 channels:
// 100*512*16+512 + 512*256*16+256 + 256*128*16+128 + 128*3*16+3.
TEST(GeneratorTable, ParameterCountMatchesTheBuiltNetwork) {
  using namespace latentebm;
  EXPECT_EQ(generator_parameter_count(GeneratorKind::kSvhn32, 100, 64, 3), 3447683);
  EXPECT_EQ(generator_parameter_count(GeneratorKind::kMnist28, 32, 16, 1), 100416 + 32800 + 513);
  for (const auto& spec : generator_specs())
    for (int64_t channels : {1, 3}) {
      SCOPED_TRACE(std::string(spec.name) + " C=" + std::to_string(channels));
      Generator g(spec.kind, 7, 3, channels);
      int64_t built = 0;
      for (const auto& p : g->parameters()) built += p.numel();
      EXPECT_EQ(generator_parameter_count(spec.kind, 7, 3, channels), built);
    }
}

// Empirical std of a Xavier-normal tensor vs sqrt(2 / (fan_in + fan_out)).
// With n iid normal entries the sample std has relative standard error
// 1/sqrt(2n); for n >= 40000 that is <= 0.36%, so a 3% tolerance is > 8 standard
// errors, yet excludes the common mistakes (Kaiming: std * sqrt(2) or more,
// uniform Xavier with the normal's bound: std * sqrt(3), default PyTorch init:
// std ~ 1/sqrt(3 fan_in)).
void expect_xavier(const torch::Tensor& w, double fan_in, double fan_out) {
  const double expected = std::sqrt(2.0 / (fan_in + fan_out));
  const double n = static_cast<double>(w.numel());
  const double sd = w.std().item<double>();
  const double mean = w.mean().item<double>();
  EXPECT_NEAR(sd / expected, 1.0, 0.03) << "numel " << w.numel();
  EXPECT_LT(std::abs(mean), 5.0 * expected / std::sqrt(n));  // mean zero, 5 standard errors
}

TEST(Generator, XavierNormalInitialisation) {
  torch::manual_seed(7);
  // Ratio network with the paper's width: Linear(200, 200) has 40000 weights.
  latentebm::RatioNet f(100, 200);
  int linear = 0;
  for (auto& p : f->named_parameters(true)) {
    const auto& t = p.value();
    if (p.key().find("bias") != std::string::npos) {
      EXPECT_EQ(t.abs().max().item<float>(), 0.0f) << p.key();
    } else if (t.size(0) == 200 && t.size(1) == 200) {
      expect_xavier(t, 200, 200);
      ++linear;
    } else if (t.size(0) == 200 && t.size(1) == 100) {
      expect_xavier(t, 100, 200);
      ++linear;
    }
  }
  EXPECT_EQ(linear, 2);

  // Generator: the first two ConvTranspose2d of celeba64 with ngf = 16
  // (100 -> 128 -> 64 channels, 4x4 kernels) have 204800 and 131072 weights.
  // For a conv the fans include the receptive field: (in + out) * k * k.
  Generator g(GeneratorKind::kCeleba64, 100, 16, 3);
  int checked = 0;
  for (auto& p : g->named_parameters(true)) {
    const auto& t = p.value();
    if (p.key().find("bias") != std::string::npos) {
      EXPECT_EQ(t.abs().max().item<float>(), 0.0f) << p.key();
      continue;
    }
    ASSERT_EQ(t.dim(), 4) << p.key();
    if (t.numel() < 40000) continue;  // too few entries for a 3% std check
    const double k2 = static_cast<double>(t.size(2) * t.size(3));
    expect_xavier(t, t.size(1) * k2, t.size(0) * k2);
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST(Generator, InitialisationIsDeterministicGivenTheSeed) {
  torch::manual_seed(3);
  Generator a(GeneratorKind::kSvhn32, 8, 4, 3);
  torch::manual_seed(3);
  Generator b(GeneratorKind::kSvhn32, 8, 4, 3);
  torch::manual_seed(4);
  Generator c(GeneratorKind::kSvhn32, 8, 4, 3);
  auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  bool any_diff = false;
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(torch::equal(pa[i], pb[i]));
    if (pa[i].abs().sum().item<float>() > 0 && !torch::equal(pa[i], pc[i])) any_diff = true;
  }
  EXPECT_TRUE(any_diff);
}

}  // namespace
