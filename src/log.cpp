#include "log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "io/run_dir.h"

namespace latentebm {

namespace {
std::shared_ptr<spdlog::sinks::sink> console_sink(int rank) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_pattern("[%H:%M:%S] %^%l%$ %v");
  sink->set_level(rank == 0 ? spdlog::level::info : spdlog::level::err);
  return sink;
}
}  // namespace

void init_console_logging(int rank) {
  auto logger = std::make_shared<spdlog::logger>("latentebm", console_sink(rank));
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void init_run_logging(const std::string& run_dir, int rank) {
  const RunDir run(run_dir);
  std::filesystem::create_directories(run.logs());
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(run.rank_log(rank), /*truncate=*/false);
  file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [rank " + std::to_string(rank) + "] %l %v");
  file->set_level(spdlog::level::debug);
  auto logger = std::make_shared<spdlog::logger>("latentebm", spdlog::sinks_init_list{console_sink(rank), file});
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::max(0.0, seconds));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
  return buf;
}

}  // namespace latentebm
