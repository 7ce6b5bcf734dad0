#include "distributed/collective_wait.h"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace latentebm {

void wait_for_collective(const std::function<CollectiveState()>& poll, const std::function<void()>& abort,
                         const CollectiveWaitOptions& opt) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto interval = std::chrono::duration_cast<std::chrono::microseconds>(opt.poll_interval);
  const auto max_interval = std::chrono::duration_cast<std::chrono::microseconds>(opt.max_poll_interval);
  const std::string who = "rank " + std::to_string(opt.rank) + ": " + opt.op + " '" + opt.what + "'";
  for (;;) {
    const CollectiveState s = poll();
    if (s.kind == CollectiveState::kDone) return;
    if (s.kind == CollectiveState::kFailed) {
      abort();
      throw CollectiveError(who + " failed: " + s.error +
                                " (the communicator was aborted; a peer rank may have died; set NCCL_DEBUG=INFO "
                                "for details and resume from the latest checkpoint)",
                            false);
    }
    const double waited = std::chrono::duration<double>(Clock::now() - start).count();
    if (opt.timeout_s > 0 && waited >= opt.timeout_s) {
      abort();
      char buf[96];
      std::snprintf(buf, sizeof(buf), "%.1f s (runtime.collective_timeout_s = %g)", waited, opt.timeout_s);
      throw CollectiveError(who + " has not completed after " + buf +
                                ": another rank has stalled or died; the communicator was aborted. Resume the job "
                                "from its latest checkpoint.",
                            true);
    }
    std::this_thread::sleep_for(interval);
    interval = std::min(interval * 2, max_interval);
  }
}

}  // namespace latentebm
