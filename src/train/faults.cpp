#include "train/faults.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "io/write_fault.h"

namespace latentebm {
namespace {

volatile sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_stop_signal != 0) _exit(128 + sig);  // second signal: leave now
  g_stop_signal = sig;
  const char msg[] = "latentebm: stop signal received; all ranks will checkpoint at the next iteration and exit "
                     "(send it again to exit at once)\n";
  ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)ignored;
}

// Every fault_point in the code, and whether the caller can corrupt data there.
struct KnownPoint {
  const char* name;
  bool corruptible;
  bool write = false;  // a file write (io/write_fault.h): enospc and eio strike here
};
constexpr KnownPoint kFaultPoints[] = {
    {"train.iteration", false},              // start of every iteration (trainer.cpp)
    {"train.before-allreduce", false},       // before the gradient all-reduce
    {"train.stage-broadcast", true},         // frozen ratio network broadcast, before its checksum
    {"checkpoint.begin", false},             // temp folder created (checkpoint.cpp)
    {"checkpoint.memory-sent", false},       // this rank's memory rows gathered to rank 0
    {"checkpoint.memory-written", false},    // rank 0: memory.h5 on disk
    {"checkpoint.model-written", false},     // rank 0: model.h5 on disk
    {"checkpoint.manifest-written", false},  // rank 0: manifest.json on disk
    {"checkpoint.renamed", false},           // rank 0: temp folder renamed to ckpt-X
    {"checkpoint.latest-written", false},    // rank 0: latest.tmp on disk, not yet renamed to latest
    {"report.final", false},                 // rank 0: before the final pictures of a finished run (app/training.cpp)
    // Writes (io/write_fault.h): enospc and eio make the write fail as a full disk or a bad device would.
    {"write.memory", false, true},       // rank 0: memory.h5 of a checkpoint
    {"write.model", false, true},        // rank 0: model.h5
    {"write.manifest", false, true},     // rank 0: manifest.json
    {"write.latest", false, true},       // rank 0: latest.tmp
    {"write.metrics", false, true},      // a metrics.jsonl row
    {"write.tensorboard", false, true},  // a TensorBoard event record
    {"write.file", false, true},         // a file replaced atomically (config.yaml, eval JSON, anomaly.json)
    {"write.dataset", false, true},      // `prepare`'s dataset
    {"write.export", false, true},       // `export`'s files
};
constexpr const char* kForm = "<action>:<point>:<rank>:<occurrence>";

std::string known_points() {
  std::string out;
  for (const auto& p : kFaultPoints)
    out += std::string(out.empty() ? "" : ", ") + p.name + (p.corruptible ? " (corruptible)" : "") + (p.write ? " (write)" : "");
  return out;
}

bool storage_action(const std::string& action) { return action == "enospc" || action == "eio"; }

// A whole, non-negative decimal number of at most 9 digits, or -1.
long parse_count(const std::string& s) {
  if (s.empty() || s.size() > 9) return -1;
  for (char c : s)
    if (c < '0' || c > '9') return -1;
  return std::stol(s);
}

// Parsed once per process (again after rearm_fault_injection).
struct Armed {
  bool parsed = false, active = false;
  FaultInjection inj;
  long seen = 0;  // times the target rank passed the target point
};
Armed g_armed;
int g_rank = 0;  // this process's rank, for the write points (0 for the single-process commands)

}  // namespace

void install_stop_signals() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);  // what mpirun forwards to every rank
}

bool stop_requested() { return g_stop_signal != 0; }
void reset_stop_request() { g_stop_signal = 0; }

FaultInjection parse_fault_injection(const std::string& value) {
  const std::string head = "LATENTEBM_INJECT='" + value + "': ";
  std::string parts[4];
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t colon = value.find(':', start);
    if ((i < 3) != (colon != std::string::npos))
      throw std::runtime_error(head + "expected " + kForm + " (four fields), e.g. kill:checkpoint.begin:1:2");
    parts[i] = value.substr(start, i < 3 ? colon - start : std::string::npos);
    start = colon + 1;
  }
  FaultInjection inj;
  inj.action = parts[0];
  inj.point = parts[1];
  const bool sleep = inj.action.size() > 5 && inj.action.size() <= 9 && inj.action.rfind("sleep", 0) == 0 &&
                     inj.action.find_first_not_of("0123456789", 5) == std::string::npos;
  if (inj.action != "kill" && inj.action != "term" && inj.action != "hang" && inj.action != "throw" && inj.action != "corrupt" &&
      !storage_action(inj.action) && !sleep)
    throw std::runtime_error(head + "unknown action '" + inj.action +
                             "' (kill, term, hang, throw, corrupt, enospc, eio, sleep<seconds>)");
  const KnownPoint* point = nullptr;
  for (const auto& p : kFaultPoints)
    if (inj.point == p.name) point = &p;
  if (point == nullptr) throw std::runtime_error(head + "unknown point '" + inj.point + "'; known points: " + known_points());
  if (inj.action == "corrupt" && !point->corruptible)
    throw std::runtime_error(head + "nothing to corrupt at '" + inj.point + "'; known points: " + known_points());
  if (storage_action(inj.action) != point->write)
    throw std::runtime_error(head + "'" + inj.action + "' " +
                             (point->write ? "is not a storage fault; at a write point use enospc or eio"
                                           : "strikes only at a write point (write.*)") +
                             "; known points: " + known_points());
  const long rank = parse_count(parts[2]), occurrence = parse_count(parts[3]);
  if (rank < 0) throw std::runtime_error(head + "rank '" + parts[2] + "' is not a whole number >= 0 (" + kForm + ")");
  if (occurrence < 1)
    throw std::runtime_error(head + "occurrence '" + parts[3] + "' is not a whole number >= 1 (" + kForm + ")");
  inj.rank = static_cast<int>(rank);
  inj.occurrence = occurrence;
  return inj;
}

namespace {
const Armed& armed() {
  if (!g_armed.parsed) {
    const char* env = std::getenv("LATENTEBM_INJECT");
    if (env != nullptr && *env != '\0') {
      g_armed.inj = parse_fault_injection(env);
      g_armed.active = true;
    }
    g_armed.parsed = true;
  }
  return g_armed;
}
}  // namespace

void check_fault_injection(int rank, int world_size) {
  g_rank = rank;
  const Armed& a = armed();
  if (!a.active) return;
  const FaultInjection& inj = a.inj;
  if (inj.rank >= world_size)
    throw std::runtime_error("LATENTEBM_INJECT names rank " + std::to_string(inj.rank) + ", but the job has " +
                             std::to_string(world_size) + " rank(s)");
  if (rank == 0)
    spdlog::warn("LATENTEBM_INJECT={}:{}:{}:{} is set: rank {} will {} at {} (pass {}). Fault injection is for the test "
                 "suite; unset LATENTEBM_INJECT for real runs.",
                 inj.action, inj.point, inj.rank, inj.occurrence, inj.rank,
                 inj.action == "kill"    ? "SIGKILL itself"
                 : inj.action == "term"  ? "SIGTERM itself"
                 : inj.action == "hang"  ? "hang"
                 : inj.action == "throw" ? "throw an error"
                 : inj.action == "corrupt" ? "corrupt its data"
                 : inj.action == "enospc"  ? "fail a write with ENOSPC"
                 : inj.action == "eio"     ? "fail a write with EIO"
                                           : "pause (" + inj.action + ")",
                 inj.point, inj.occurrence);
}

bool fault_point(const char* point, int rank) {
  const Armed& a = armed();
  if (!a.active || rank != a.inj.rank || a.inj.point != point) return false;
  if (++g_armed.seen != a.inj.occurrence) return false;
  const std::string& action = a.inj.action;
  std::fprintf(stderr, "latentebm: rank %d: injected fault '%s' at %s (LATENTEBM_INJECT)\n", rank, action.c_str(), point);
  std::fflush(stderr);
  if (action == "kill") ::raise(SIGKILL);
  if (action == "term") ::raise(SIGTERM);
  if (action == "throw") throw std::runtime_error(std::string("injected failure at ") + point);
  if (action.rfind("sleep", 0) == 0) std::this_thread::sleep_for(std::chrono::seconds(std::stol(action.substr(5))));
  if (action == "hang")
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  return action == "corrupt";
}

void rearm_fault_injection() { g_armed = Armed{}; }

namespace {
// The write points' answer (io/write_fault.h): the errno of an injected storage fault.
int write_fault_errno(const char* point) {
  const Armed& a = armed();
  if (!a.active || !storage_action(a.inj.action) || g_rank != a.inj.rank || a.inj.point != point) return 0;
  if (++g_armed.seen != a.inj.occurrence) return 0;
  std::fprintf(stderr, "latentebm: rank %d: injected fault '%s' at %s (LATENTEBM_INJECT)\n", g_rank, a.inj.action.c_str(),
               point);
  std::fflush(stderr);
  return a.inj.action == "enospc" ? ENOSPC : EIO;
}
[[maybe_unused]] const bool g_hook_set = (io::set_write_fault_hook(&write_fault_errno), true);
}  // namespace

}  // namespace latentebm
