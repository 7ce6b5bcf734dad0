#include "io/metrics_log.h"

#include "io/write_fault.h"

#include <filesystem>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace latentebm {

void MetricsWriter::append(const nlohmann::json& row) const {
  // The run directory may not exist yet (a Trainer driven directly, as the
  // tests do, before its first checkpoint): create it rather than fail.
  const auto dir = std::filesystem::path(path_).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  // A row cut by a full disk or a crash has no newline: start on a fresh line
  // so that the cut row alone is lost, not the next one glued to it.
  std::string line = row.dump() + "\n";
  {
    std::ifstream in(path_, std::ios::binary | std::ios::ate);
    if (in && in.tellg() > 0) {
      in.seekg(-1, std::ios::end);
      if (in.get() != '\n') line.insert(line.begin(), '\n');
    }
  }
  errno = 0;  // what the failure below reports, not what the probe above left
  std::ofstream out(path_, std::ios::app);
  if (const int injected = io::write_fault("write.metrics")) {  // a full disk cuts the line (readers skip it)
    out << line.substr(0, line.size() / 2);
    out.flush();
    throw std::runtime_error(io::write_error(path_, injected));
  }
  out << line;
  out.flush();
  if (!out) throw std::runtime_error(io::write_error(path_, errno != 0 ? errno : EIO));
}

namespace {
// One line of metrics.jsonl: an object row, or nothing for an empty line or a
// line cut by a crash.
void add_row(const std::string& line, std::vector<nlohmann::json>& rows) {
  if (line.empty()) return;
  try {
    auto row = nlohmann::json::parse(line);
    if (row.is_object()) rows.push_back(std::move(row));
  } catch (const std::exception&) {
    // a line cut by a crash: skip it
  }
}
}  // namespace

std::vector<nlohmann::json> read_metrics(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) add_row(line, rows);
  return rows;
}

MetricsFollower::MetricsFollower(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path_, ec);
  offset_ = ec ? 0 : size;
}

std::vector<nlohmann::json> MetricsFollower::poll() {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return rows;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto end = chunk.rfind('\n');
  if (end == std::string::npos) return rows;
  offset_ += end + 1;
  size_t at = 0;
  while (at <= end) {
    const size_t nl = chunk.find('\n', at);
    const std::string line = chunk.substr(at, nl - at);
    at = nl + 1;
    add_row(line, rows);
  }
  return rows;
}

namespace {
int64_t iteration_of(const nlohmann::json& row) {
  return row.contains("iteration") && row["iteration"].is_number_integer() ? row["iteration"].get<int64_t>() : -1;
}
}  // namespace

std::vector<nlohmann::json> current_metrics(const std::vector<nlohmann::json>& rows) {
  std::vector<nlohmann::json> kept;
  for (const auto& row : rows) {
    if (row.contains("restart")) {
      const int64_t from = iteration_of(row);
      std::vector<nlohmann::json> still;
      for (auto& r : kept)
        if (iteration_of(r) <= from) still.push_back(std::move(r));
      kept = std::move(still);
      continue;
    }
    kept.push_back(row);
  }
  return kept;
}

bool mark_restart(const MetricsWriter& metrics, int64_t iteration, const std::string& why) {
  bool undone = false;
  for (const auto& r : current_metrics(read_metrics(metrics.path()))) undone = undone || iteration_of(r) > iteration;
  if (undone) metrics.append({{"iteration", iteration}, {"restart", why}});
  return undone;
}

}  // namespace latentebm
