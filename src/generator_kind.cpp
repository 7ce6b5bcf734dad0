#include "generator_kind.h"

#include <algorithm>

namespace latentebm {

const std::vector<GeneratorSpec>& generator_specs() {
  // layers: {width (x ngf), kernel, stride, padding}; the comment gives each output side.
  static const std::vector<GeneratorSpec> all = {
      {GeneratorKind::kMnist28, "mnist28", "paper Table 5 variant for 28x28 images", 28, 1, "configs/fashion-mnist.yaml",
       {{4, 7, 1, 0}, {2, 4, 2, 1}, {0, 4, 2, 1}}},  // 7, 14, 28
      {GeneratorKind::kSvhn32, "svhn32", "paper Table 5 (top)", 32, 3, "configs/svhn.yaml",
       {{8, 4, 1, 0}, {4, 4, 2, 1}, {2, 4, 2, 1}, {0, 4, 2, 1}}},  // 4, 8, 16, 32
      {GeneratorKind::kCifar32, "cifar32", "paper Table 5 (bottom): 8x8 first layer, 3x3 stride-1 output", 32, 3,
       "configs/cifar10.yaml",
       {{8, 8, 1, 0}, {4, 4, 2, 1}, {2, 4, 2, 1}, {0, 3, 1, 1}}},  // 8, 16, 32, 32
      {GeneratorKind::kCeleba64, "celeba64", "paper Table 5 (middle)", 64, 3, "configs/celeba64.yaml",
       {{8, 4, 1, 0}, {4, 4, 2, 1}, {2, 4, 2, 1}, {1, 4, 2, 1}, {0, 4, 2, 1}}},  // 4, 8, 16, 32, 64
      {GeneratorKind::kCelebahq128, "celebahq128", "celeba64 with one more doubling", 128, 3, "configs/celebahq128.yaml",
       {{16, 4, 1, 0}, {8, 4, 2, 1}, {4, 4, 2, 1}, {2, 4, 2, 1}, {1, 4, 2, 1}, {0, 4, 2, 1}}},  // 4 .. 128
  };
  return all;
}

const GeneratorSpec& generator_spec(GeneratorKind kind) {
  const auto& all = generator_specs();
  return *std::find_if(all.begin(), all.end(), [kind](const GeneratorSpec& s) { return s.kind == kind; });
}

int64_t generator_parameter_count(GeneratorKind kind, int64_t nz, int64_t ngf, int64_t channels) {
  const auto& layers = generator_spec(kind).layers;
  int64_t in = nz, count = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const int64_t out = i + 1 == layers.size() ? channels : layers[i].width * ngf;
    count += in * out * layers[i].kernel * layers[i].kernel + out;  // ConvTranspose2d weight [in, out, k, k], bias [out]
    in = out;
  }
  return count;
}

template <> const std::vector<std::pair<GeneratorKind, const char*>>& enum_table<GeneratorKind>() {
  static const std::vector<std::pair<GeneratorKind, const char*>> t = [] {
    std::vector<std::pair<GeneratorKind, const char*>> names;
    for (const auto& s : generator_specs()) names.emplace_back(s.kind, s.name);
    return names;
  }();
  return t;
}

}  // namespace latentebm
