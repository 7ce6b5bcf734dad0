#include "train/faults.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

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

struct Injection {
  std::string action, point;
  int rank = -1;
  long occurrence = 1;
  bool active = false;
};

Injection parse_injection() {
  Injection inj;
  const char* env = std::getenv("LATENTEBM_INJECT");
  if (env == nullptr || *env == '\0') return inj;
  std::string s = env;
  std::string parts[4];
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t colon = i < 3 ? s.find(':', start) : std::string::npos;
    if (i < 3 && colon == std::string::npos)
      throw std::runtime_error("LATENTEBM_INJECT='" + s + "' must look like <action>:<point>:<rank>:<occurrence>");
    parts[i] = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    start = colon + 1;
  }
  inj.action = parts[0];
  inj.point = parts[1];
  inj.rank = std::stoi(parts[2]);
  inj.occurrence = std::stol(parts[3]);
  const bool sleep = inj.action.size() > 5 && inj.action.rfind("sleep", 0) == 0 &&
                     inj.action.find_first_not_of("0123456789", 5) == std::string::npos;
  if (inj.action != "kill" && inj.action != "term" && inj.action != "hang" && inj.action != "throw" && !sleep)
    throw std::runtime_error("LATENTEBM_INJECT: unknown action '" + inj.action + "' (kill, term, hang, throw, sleep<seconds>)");
  inj.active = true;
  return inj;
}

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

void fault_point(const char* point, int rank) {
  static const Injection inj = parse_injection();
  if (!inj.active || rank != inj.rank || inj.point != point) return;
  static std::map<std::string, long> seen;
  if (++seen[point] != inj.occurrence) return;
  std::fprintf(stderr, "latentebm: rank %d: injected fault '%s' at %s (LATENTEBM_INJECT)\n", rank, inj.action.c_str(), point);
  std::fflush(stderr);
  if (inj.action == "kill") ::raise(SIGKILL);
  if (inj.action == "term") ::raise(SIGTERM);
  if (inj.action == "throw") throw std::runtime_error(std::string("injected failure at ") + point);
  if (inj.action.rfind("sleep", 0) == 0) std::this_thread::sleep_for(std::chrono::seconds(std::stol(inj.action.substr(5))));
  if (inj.action == "hang")
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

}  // namespace latentebm
