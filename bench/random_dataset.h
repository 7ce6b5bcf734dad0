#pragma once
// Random images of a preset's shape, for the benchmarks that run the Trainer
// without prepared data (bench_iteration, bench_peer_reference).
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "config.h"
#include "data/dataset.h"
#include "model/generator.h"

namespace latentebm::bench {

// Image channels of the data the preset's generator trains on (generator_kind.h).
inline int64_t image_channels(const Config& cfg) { return generator_spec(cfg.model.generator).channels; }

// Writes `images` uniform random uint8 images of the generator's shape (drawn
// from LibTorch's default generator) to dir/data.h5, creating dir, and points
// cfg.data at the file (its whole training split).
inline void use_random_dataset(Config& cfg, int64_t images, const std::filesystem::path& dir) {
  const int64_t side = generator_spec(cfg.model.generator).image_size, channels = image_channels(cfg);
  data::ImageSet train;
  train.n = images, train.c = channels, train.h = side, train.w = side;
  auto px = torch::randint(0, 256, {train.n * channels * side * side}, torch::kUInt8);
  train.pixels.assign(px.data_ptr<uint8_t>(), px.data_ptr<uint8_t>() + px.numel());
  train.labels.assign(static_cast<size_t>(train.n), -1);
  std::filesystem::create_directories(dir);
  const auto data_path = (dir / "data.h5").string();
  data::write_dataset(data_path, "bench", "random", train, data::ImageSet{});
  cfg.data.path = data_path;
  cfg.data.train_limit = 0;
}

}  // namespace latentebm::bench
