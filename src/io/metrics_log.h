#pragma once
// metrics.jsonl: one JSON object per line, appended by rank 0 as training
// goes (across resumed invocations). Row kinds, told apart by their keys:
//   progress  {"iteration", "stage", "gen_loss", "nce_loss", "nce_acc",
//              "langevin_grad_norm", "it_per_s", "time_*_s", "elapsed_s"}
//   anomaly   {"iteration", "stage", "auprc", "auroc", "anomaly_label", "test_images"}
//   final     {"iteration", "final": true, "recon_mse", "recon_images"}
//   restart   {"iteration": X, "restart": "resume" | "rollback" | "fresh"}:
//             training went on from iteration X (a checkpoint), so rows with
//             an iteration beyond X written before this line describe steps
//             that were undone. Written only when such rows exist.
// MetricsWriter is the only writer; read_metrics and MetricsFollower (which
// tails the file for the TensorBoard log) the only readers.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace latentebm {

class MetricsWriter {
 public:
  MetricsWriter() = default;
  explicit MetricsWriter(std::string path) : path_(std::move(path)) {}
  // Append one row (one line) and flush it. Throws when the file cannot be written.
  void append(const nlohmann::json& row) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The rows appended to a metrics file since the last poll(), starting from
// the file's end at construction. Only whole lines are taken (a row being
// written is picked up by the next poll); lines that are not JSON objects are
// skipped, as read_metrics does. Restart rows are returned like any other.
class MetricsFollower {
 public:
  explicit MetricsFollower(std::string path);
  std::vector<nlohmann::json> poll();

 private:
  std::string path_;
  std::uintmax_t offset_ = 0;
};

// Every row of `path` in file order; a missing file gives no rows, and a line
// that is not a JSON object (one cut short by a crash) is skipped.
std::vector<nlohmann::json> read_metrics(const std::string& path);

// The rows that describe the run as it stands: each restart row drops the
// rows before it with an iteration beyond its own (undone by a rollback, or
// by a resume from an earlier checkpoint); restart rows themselves are left
// out. Summaries and plots read these.
std::vector<nlohmann::json> current_metrics(const std::vector<nlohmann::json>& rows);

// Rank 0, when training continues from `iteration`: appends a restart row if
// the file holds rows beyond `iteration` (else leaves it untouched).
// Returns whether it wrote one.
bool mark_restart(const MetricsWriter& metrics, int64_t iteration, const std::string& why);

}  // namespace latentebm
