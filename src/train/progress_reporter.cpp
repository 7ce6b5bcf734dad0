#include "train/progress_reporter.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "distributed/communicator.h"
#include "log.h"

namespace latentebm {
namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

ProgressReporter::ProgressReporter(MetricsWriter metrics, bool root, const LogConfig& log)
    : metrics_(std::move(metrics)),
      root_(root),
      log_every_(log.log_every),
      checkpoint_every_(log.checkpoint_every),
      window_start_(Clock::now()),
      start_(Clock::now()) {}

double ProgressReporter::elapsed_s() const { return seconds_since(start_); }

void ProgressReporter::start_window() {
  window_ = StepStats{};
  in_window_ = 0;
  window_start_ = Clock::now();
}

bool ProgressReporter::add(int64_t t, const StepStats& s, int64_t end) {
  add_fields<StepTermsOf>(window_, s);
  window_.t_langevin += s.t_langevin, window_.t_update += s.t_update, window_.t_allreduce += s.t_allreduce;
  window_.diag_count += s.diag_count;
  ++in_window_;
  return (t + 1) % log_every_ == 0 || t + 1 == end || s.stop_requested;
}

void ProgressReporter::report(int64_t t, const ProgressContext& ctx) {
  const StepStats& sum = window_;
  const double c = static_cast<double>(std::max<int64_t>(1, in_window_));
  const double window_s = seconds_since(window_start_);
  const double it_per_s = window_s > 0 ? c / window_s : 0.0;
  const double eta = it_per_s > 0 ? static_cast<double>(ctx.total - t) / it_per_s : 0.0;
  const double dc = static_cast<double>(sum.diag_count);
  const std::string noise =
      sum.diag_count > 0 ? fmt::format(" | noise MMD2 {:.4f} log p_k {:.2f} vs ref {:.2f}", sum.mmd2 / dc,
                                       sum.logp_noise / dc, sum.logp_reference / dc)
                         : "";
  // Stage k of K (k = 0..K-1, as "stage k of K begins" says) and how far
  // into it; the fixed schedule knows each stage's length.
  const int64_t in_stage = t - ctx.stage_start;
  const std::string stage =
      ctx.stages == 0 ? "no prior stages"
                      : fmt::format("stage {} of {} ({}{} it)", ctx.stage, ctx.stages, in_stage,
                                    ctx.stage_length == 0 ? "" : "/" + std::to_string(ctx.stage_length));
  // Time to the next checkpoint (every log.checkpoint_every iterations, and one at the end).
  const int64_t every = checkpoint_every_;
  const int64_t next_ckpt = std::min(ctx.total, (t / every + 1) * every);
  const std::string ckpt = it_per_s > 0 && next_ckpt > t
                               ? " | checkpoint in " + format_duration(static_cast<double>(next_ckpt - t) / it_per_s)
                               : "";
  spdlog::info("it {}/{} | {} | gen {:.3f} | nce {:.4f} acc {:.3f}{} | |grad z| {:.3f} | {:.2f} it/s | ETA {}{}{}", t,
               ctx.total, stage, sum.gen_loss / c, sum.nce_loss / c, sum.nce_acc / c, noise, sum.langevin_grad_norm / c,
               it_per_s, format_duration(eta), ckpt, note_.empty() ? "" : " | last eval: " + note_);
  if (root_) {
    nlohmann::json row = {{"iteration", t},
                          {"stage", ctx.stage},
                          {"gen_loss", sum.gen_loss / c},
                          {"nce_loss", sum.nce_loss / c},
                          {"nce_acc", sum.nce_acc / c},
                          {"langevin_grad_norm", sum.langevin_grad_norm / c},
                          {"g_lr", ctx.g_lr},
                          {"it_per_s", it_per_s},
                          {"time_langevin_s", sum.t_langevin / c},
                          {"time_update_s", sum.t_update / c},
                          {"time_allreduce_s", sum.t_allreduce / c},
                          {"elapsed_s", elapsed_s()}};
    if (sum.diag_count > 0) {
      row["noise_mmd2"] = sum.mmd2 / dc;
      row["noise_logp"] = sum.logp_noise / dc;
      row["reference_logp"] = sum.logp_reference / dc;
      row["posterior_logp"] = sum.logp_posterior / dc;
      row["noise_f"] = sum.f_noise / dc;
      row["reference_f"] = sum.f_reference / dc;
      if (ctx.importance_ess) row["importance_ess"] = *ctx.importance_ess;  // the weights of `importance` noise
    }
    metrics_.append(row);
  }
  start_window();
}

void ProgressReporter::restart(int64_t iteration, const char* why) {
  if (root_) mark_restart(metrics_, iteration, why);
  // A rollback's replay: the undone iterations' losses (a runaway's, say)
  // must not blur the first row after it.
  start_window();
}

void ProgressReporter::stage_started(int64_t iteration, int64_t k, const std::vector<int64_t>& starts, double refreshed) {
  if (!root_) return;
  nlohmann::json row = {{"iteration", iteration},  {"stage_start", k},           {"stage", k},
                        {"stage_starts", starts}, {"bank_refreshed_fraction", refreshed}};
  metrics_.append(row);
}

void ProgressReporter::io(Communicator& comm, const char* when, const io::IoCounters& used, int64_t iteration) {
  // Per-rank I/O of start-up / resume / rollback: the largest, rank 0's and
  // the job's total, in the log and as a metrics.jsonl row.
  // bytes_read is -1 where /proc/self/io is missing (then on every rank alike).
  std::vector<int64_t> mx{used.opens, used.bytes_read};
  comm.allreduce_max(mx.data(), mx.size(), "I/O report: per-rank maximum");
  std::vector<double> total{static_cast<double>(used.opens), static_cast<double>(std::max<int64_t>(0, used.bytes_read))};
  comm.allreduce_sum(total.data(), total.size(), "I/O report: job total");
  if (mx[1] < 0) total[1] = -1;
  spdlog::debug("{} I/O on rank {}: {} file opens, {} bytes read", when, comm.rank(), used.opens, used.bytes_read);
  if (!root_) return;
  spdlog::info("{} I/O: at most {} file opens and {:.2f} MB read per rank (rank 0: {} opens, {:.2f} MB; job: {:.2f} MB over "
               "{} rank(s))",
               when, mx[0], static_cast<double>(mx[1]) / 1e6, used.opens, static_cast<double>(used.bytes_read) / 1e6,
               total[1] / 1e6, comm.size());
  nlohmann::json row = {{"iteration", iteration},      {"io", when},
                        {"ranks", comm.size()},        {"opens_max", mx[0]},
                        {"opens_rank0", used.opens},    {"bytes_read_max", mx[1]},
                        {"bytes_read_rank0", used.bytes_read}, {"bytes_read_total", static_cast<int64_t>(total[1])}};
  metrics_.append(row);
}

}  // namespace latentebm
