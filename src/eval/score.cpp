#include "eval/score.h"

#include <algorithm>
#include <stdexcept>

#include "data/dataset.h"
#include "distributed/communicator.h"
#include "distributed/gather.h"
#include "eval/anomaly.h"
#include "io/h5.h"

namespace latentebm {

namespace {
constexpr uint64_t kStreamScore = 3;  // batch_seed stream of `latentebm score`
}

DatasetScores score_dataset(Communicator& comm, Generator& g, MultiStagePrior& prior, const ScoreOptions& opt,
                            torch::Device device) {
  const std::string& path = opt.data_path;
  if (opt.split != "train" && opt.split != "test") throw std::runtime_error("--split must be train or test");
  const auto info = data::inspect_dataset(path);
  if (info.c != g->channels || info.h != g->image_size || info.w != g->image_size)
    throw std::runtime_error("'" + path + "' holds " + std::to_string(info.c) + "x" + std::to_string(info.h) + "x" +
                             std::to_string(info.w) + " images but the model generates " + std::to_string(g->channels) +
                             "x" + std::to_string(g->image_size) + "x" + std::to_string(g->image_size));
  if (opt.limit && *opt.limit < 1) throw std::runtime_error("--limit must be >= 1");
  // A limit keeps a fixed uniform subset of either split, in file order.
  const std::vector<int64_t> rows =
      data::test_subset(opt.split == "train" ? info.n_train : info.n_test, opt.limit.value_or(0));
  const auto n = static_cast<int64_t>(rows.size());
  if (n < 1) throw std::runtime_error("no images to score in the " + opt.split + " split of '" + path + "'");
  const auto mine = batch_range(n, opt.batch_size, comm.rank(), comm.size());
  ImageScores local;
  std::vector<double> labels;
  if (mine.size() > 0) {
    h5::File f(path, h5::Mode::Read);
    for (int64_t i = mine.begin, b = mine.first_batch; i < mine.end; i += opt.batch_size, ++b) {
      const int64_t e = std::min(i + opt.batch_size, mine.end);
      const data::ImageSet block = data::read_file_rows(f, info, opt.split, {rows.begin() + i, rows.begin() + e});
      labels.insert(labels.end(), block.labels.begin(), block.labels.end());
      torch::manual_seed(batch_seed(opt.seed, kStreamScore, b));
      local.append(score_image_terms(g, prior, opt.stages, block, opt.sigma, opt.langevin, opt.batch_size, device));
    }
  }
  DatasetScores out;
  out.score = gather_by_index(comm, n, mine.begin, local.score, "anomaly scores");
  out.reconstruction = gather_by_index(comm, n, mine.begin, local.reconstruction, "reconstruction terms");
  out.prior = gather_by_index(comm, n, mine.begin, local.prior, "prior terms");
  for (double l : gather_by_index(comm, n, mine.begin, labels, "anomaly labels")) out.labels.push_back(static_cast<int64_t>(l));
  out.rows = rows;
  return out;
}

}  // namespace latentebm
