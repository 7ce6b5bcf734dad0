#pragma once
// Logging: rank 0 prints to the console; every rank writes its own file
// <run_dir>/logs/rank-<r>.log (debug level) for post-mortems. Uses spdlog's
// default logger, so code logs with spdlog::info(...) and friends.
#include <string>

namespace latentebm {

// Console only (rank 0 prints, other ranks stay quiet).
void init_console_logging(int rank);
// Console on rank 0 plus a per-rank file under run_dir/logs/.
void init_run_logging(const std::string& run_dir, int rank);

// Seconds as HH:MM:SS (progress lines, summaries).
std::string format_duration(double seconds);

}  // namespace latentebm
