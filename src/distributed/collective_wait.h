#pragma once
// Timed wait on an asynchronous collective (the NCCL all-reduce), kept free
// of CUDA and NCCL so its logic is tested on any machine: the caller supplies
// how to poll the collective's state and how to abort it.
//
// wait_for_collective polls until the collective reports done, reports an
// error, or `timeout_s` passes. On error or timeout it calls `abort` once
// (ncclCommAbort for NCCL: the kernels of a hung collective return) and
// throws CollectiveError naming the rank, the collective and what it was for.
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

namespace latentebm {

struct CollectiveState {
  enum Kind { kPending, kDone, kFailed } kind = kPending;
  std::string error;  // kFailed: what the backend reported
  static CollectiveState pending() { return {}; }
  static CollectiveState done() { return {kDone, {}}; }
  static CollectiveState failed(std::string why) { return {kFailed, std::move(why)}; }
};

struct CollectiveError : std::runtime_error {
  CollectiveError(const std::string& msg, bool timed_out) : std::runtime_error(msg), timed_out(timed_out) {}
  bool timed_out;  // false: the backend reported an error
};

struct CollectiveWaitOptions {
  int rank = 0;
  std::string op;    // e.g. "NCCL all-reduce"
  std::string what;  // what the collective is for
  double timeout_s = 0;  // <= 0: wait without a limit (errors still end the wait)
  std::chrono::microseconds poll_interval{200};
  std::chrono::milliseconds max_poll_interval{20};  // the interval doubles up to this
};

void wait_for_collective(const std::function<CollectiveState()>& poll, const std::function<void()>& abort,
                         const CollectiveWaitOptions& opt);

}  // namespace latentebm
