#pragma once
// What training tells its user as it goes: the progress line every
// log.log_every iterations (means over the iterations since the last one),
// and rank 0's metrics.jsonl rows (progress, stage starts, restarts, I/O).
// The trainer hands it each step's all-reduced result and what it knows at
// that point; the reporter keeps the window and the clocks.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "io/io_stats.h"
#include "io/metrics_log.h"
#include "train/step_terms.h"

namespace latentebm {

class Communicator;

// What the trainer knows when a progress line is due.
struct ProgressContext {
  int64_t total = 0;         // T
  int64_t stage = 0, stages = 0;
  int64_t stage_start = 0;   // iteration the active stage began
  int64_t stage_length = 0;  // the fixed schedule's S (0: adaptive, no fixed length)
  double g_lr = 0;           // the generator's learning rate now
  std::optional<double> importance_ess;  // rank 0's noise reference of this stage, when drawn
};

class ProgressReporter {
 public:
  ProgressReporter(MetricsWriter metrics, bool root, const LogConfig& log);

  // The latest evaluation in words, repeated by every progress line until the next.
  void set_note(std::string note) { note_ = std::move(note); }
  // A new window of iterations begins now (train() starts, a rollback replays).
  void start_window();
  // Step t's result into the window; whether a progress line is due after it
  // (every log.log_every iterations, at `end`, on a stop signal).
  bool add(int64_t t, const StepStats& s, int64_t end);
  // The progress line for the `done` iterations so far and rank 0's
  // metrics row, from the window, which then starts again.
  void report(int64_t done, const ProgressContext& c);
  // Training goes on from `iteration` (resume, rollback, fresh start): rank
  // 0 marks metrics.jsonl (mark_restart); a rollback's window starts again.
  void restart(int64_t iteration, const char* why);
  // Rank 0's row for stage k beginning at `iteration`.
  void stage_started(int64_t iteration, int64_t k, const std::vector<int64_t>& starts, double bank_refreshed);
  // Collective: the files opened and bytes read per rank since start-up,
  // resume or rollback (`when`), into the log and rank 0's metrics.
  void io(Communicator& comm, const char* when, const io::IoCounters& used, int64_t iteration);
  double elapsed_s() const;

 private:
  MetricsWriter metrics_;
  bool root_;
  int64_t log_every_, checkpoint_every_;
  std::string note_;
  StepStats window_;  // iterations summed since the last progress line
  int64_t in_window_ = 0;
  std::chrono::steady_clock::time_point window_start_, start_;
};

}  // namespace latentebm
