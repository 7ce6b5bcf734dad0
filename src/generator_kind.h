#pragma once
// The generator architectures (model.generator), as one table: each kind's
// name, what it is, the image it makes, the preset that trains it, and its
// layers, from which model/generator.cpp builds the network and
// generator_parameter_count() counts its parameters. Adding a generator is
// one row of generator_specs() (generator_kind.cpp) and one enum value here.
//
// Every generator is a stack of transposed convolutions from z [nz, 1, 1]
// (paper Table 5: DCGAN-like, LeakyReLU 0.2 between layers, Tanh at the end,
// Xavier-normal weights and zero biases).
#include <cstdint>
#include <vector>

#include "method.h"  // enum_table, enum_name, parse_enum, enum_choices

namespace latentebm {

enum class GeneratorKind { kMnist28, kSvhn32, kCifar32, kCeleba64, kCelebahq128 };

// One ConvTranspose2d: its output channels are `width` x model.ngf (the last
// layer's: the image channels, width ignored), with this kernel, stride and
// padding.
struct UpLayer {
  int64_t width;
  int64_t kernel, stride, padding;
};

struct GeneratorSpec {
  GeneratorKind kind;
  const char* name;         // model.generator's value
  const char* description;  // where it comes from
  int64_t image_size;       // side of the square image it makes
  int64_t channels;         // image channels of the data its preset trains on (a model may use 1 or 3)
  const char* preset;       // the configs/ preset that trains it
  std::vector<UpLayer> layers;
};

// Every generator, in enum order.
const std::vector<GeneratorSpec>& generator_specs();
const GeneratorSpec& generator_spec(GeneratorKind kind);

// Parameters (weights and biases) of the network model/generator.h builds.
int64_t generator_parameter_count(GeneratorKind kind, int64_t nz, int64_t ngf, int64_t channels);

}  // namespace latentebm
