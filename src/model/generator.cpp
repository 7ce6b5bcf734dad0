#include "model/generator.h"

#include <stdexcept>

namespace latentebm {
namespace {

using torch::nn::ConvTranspose2d;
using torch::nn::ConvTranspose2dOptions;

ConvTranspose2d convT(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  return ConvTranspose2d(ConvTranspose2dOptions(in, out, k).stride(stride).padding(pad));
}
torch::nn::LeakyReLU lrelu() { return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)); }

}  // namespace

int64_t generator_image_size(const std::string& arch) {
  if (arch == "mnist28") return 28;
  if (arch == "svhn32" || arch == "cifar32") return 32;
  if (arch == "celeba64") return 64;
  if (arch == "celebahq128") return 128;
  throw std::runtime_error("unknown generator '" + arch + "' (mnist28, svhn32, cifar32, celeba64, celebahq128)");
}

GeneratorImpl::GeneratorImpl(const std::string& arch_, int64_t nz_, int64_t ngf, int64_t channels_)
    : arch(arch_), nz(nz_), channels(channels_), image_size(generator_image_size(arch_)) {
  torch::nn::Sequential s;
  if (arch == "mnist28") {
    s->push_back(convT(nz, ngf * 4, 7, 1, 0)), s->push_back(lrelu());        // 7x7
    s->push_back(convT(ngf * 4, ngf * 2, 4, 2, 1)), s->push_back(lrelu());   // 14x14
    s->push_back(convT(ngf * 2, channels, 4, 2, 1));                         // 28x28
  } else if (arch == "svhn32") {
    s->push_back(convT(nz, ngf * 8, 4, 1, 0)), s->push_back(lrelu());        // 4x4
    s->push_back(convT(ngf * 8, ngf * 4, 4, 2, 1)), s->push_back(lrelu());   // 8x8
    s->push_back(convT(ngf * 4, ngf * 2, 4, 2, 1)), s->push_back(lrelu());   // 16x16
    s->push_back(convT(ngf * 2, channels, 4, 2, 1));                         // 32x32
  } else if (arch == "cifar32") {
    s->push_back(convT(nz, ngf * 8, 8, 1, 0)), s->push_back(lrelu());        // 8x8
    s->push_back(convT(ngf * 8, ngf * 4, 4, 2, 1)), s->push_back(lrelu());   // 16x16
    s->push_back(convT(ngf * 4, ngf * 2, 4, 2, 1)), s->push_back(lrelu());   // 32x32
    s->push_back(convT(ngf * 2, channels, 3, 1, 1));                         // 32x32
  } else if (arch == "celeba64") {
    s->push_back(convT(nz, ngf * 8, 4, 1, 0)), s->push_back(lrelu());        // 4x4
    s->push_back(convT(ngf * 8, ngf * 4, 4, 2, 1)), s->push_back(lrelu());   // 8x8
    s->push_back(convT(ngf * 4, ngf * 2, 4, 2, 1)), s->push_back(lrelu());   // 16x16
    s->push_back(convT(ngf * 2, ngf, 4, 2, 1)), s->push_back(lrelu());       // 32x32
    s->push_back(convT(ngf, channels, 4, 2, 1));                             // 64x64
  } else {  // celebahq128
    s->push_back(convT(nz, ngf * 16, 4, 1, 0)), s->push_back(lrelu());       // 4x4
    s->push_back(convT(ngf * 16, ngf * 8, 4, 2, 1)), s->push_back(lrelu());  // 8x8
    s->push_back(convT(ngf * 8, ngf * 4, 4, 2, 1)), s->push_back(lrelu());   // 16x16
    s->push_back(convT(ngf * 4, ngf * 2, 4, 2, 1)), s->push_back(lrelu());   // 32x32
    s->push_back(convT(ngf * 2, ngf, 4, 2, 1)), s->push_back(lrelu());       // 64x64
    s->push_back(convT(ngf, channels, 4, 2, 1));                             // 128x128
  }
  s->push_back(torch::nn::Tanh());
  net = register_module("net", s);
  xavier_init(*this);
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& z) {
  if (precision != Precision::kBf16) return net->forward(z.view({z.size(0), nz, 1, 1}));
  Bf16Autocast autocast(z.device().type(), true);
  return net->forward(z.view({z.size(0), nz, 1, 1})).to(torch::kFloat32);
}

void xavier_init(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters(/*recurse=*/true)) {
    const auto& name = p.key();
    auto& t = p.value();
    if (name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0 && t.dim() >= 2)
      torch::nn::init::xavier_normal_(t);
    else
      t.zero_();
  }
}

}  // namespace latentebm
