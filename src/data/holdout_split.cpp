#include "data/holdout_split.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace latentebm::data {

TrainTest holdout_split(const ImageSet& train, const ImageSet& test, int64_t holdout, uint64_t seed,
                        double train_fraction) {
  if (train.labels.size() != static_cast<size_t>(train.n) || test.labels.size() != static_cast<size_t>(test.n))
    throw std::runtime_error("--holdout-label needs a labelled dataset");
  const int64_t bytes = train.image_bytes();
  // Pool: (set, row) of every image, normal and held-out apart.
  std::vector<std::pair<const ImageSet*, int64_t>> normal, held;
  for (const ImageSet* set : {&train, &test})
    for (int64_t i = 0; i < set->n; ++i)
      (set->labels[static_cast<size_t>(i)] == holdout ? held : normal).push_back({set, i});
  if (held.empty()) throw std::runtime_error("--holdout-label " + std::to_string(holdout) + ": no image has that label");
  if (normal.empty()) throw std::runtime_error("--holdout-label " + std::to_string(holdout) + ": every image has that label");
  // The same permutation as epoch orders use: deterministic on every platform.
  const Shard all_normal{0, static_cast<int64_t>(normal.size())};
  const auto order = epoch_order(all_normal.end, all_normal, seed, 0);
  const auto n_train = static_cast<int64_t>(static_cast<double>(normal.size()) * train_fraction);
  auto take = [&](const std::vector<std::pair<const ImageSet*, int64_t>>& rows) {
    ImageSet out;
    out.n = static_cast<int64_t>(rows.size()), out.c = train.c, out.h = train.h, out.w = train.w;
    out.pixels.resize(static_cast<size_t>(out.n * bytes));
    for (size_t k = 0; k < rows.size(); ++k) {
      std::memcpy(out.pixels.data() + static_cast<int64_t>(k) * bytes, rows[k].first->pixels.data() + rows[k].second * bytes,
                  static_cast<size_t>(bytes));
      out.labels.push_back(rows[k].first->labels[static_cast<size_t>(rows[k].second)]);
    }
    return out;
  };
  std::vector<std::pair<const ImageSet*, int64_t>> tr, te;
  for (int64_t k = 0; k < static_cast<int64_t>(order.size()); ++k) (k < n_train ? tr : te).push_back(normal[static_cast<size_t>(order[static_cast<size_t>(k)])]);
  te.insert(te.end(), held.begin(), held.end());
  const auto test_order = epoch_order(static_cast<int64_t>(te.size()), Shard{0, static_cast<int64_t>(te.size())}, seed, 1);
  std::vector<std::pair<const ImageSet*, int64_t>> te_shuffled;
  for (auto i : test_order) te_shuffled.push_back(te[static_cast<size_t>(i)]);
  return {take(tr), take(te_shuffled)};
}

}  // namespace latentebm::data
