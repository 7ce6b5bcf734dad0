#include "distributed/communicator.h"

#include <mpi.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace latentebm {

bool Communicator::all_equal(int64_t value, const char* what) {
  int64_t lo = value, hi = value;
  allreduce_min(&lo, 1, what);
  allreduce_max(&hi, 1, what);
  return lo == hi;
}

bool Communicator::all_true(bool flag, const char* what) {
  int64_t v = flag ? 1 : 0;
  allreduce_min(&v, 1, what);
  return v == 1;
}

bool Communicator::any_true(bool flag, const char* what) {
  int64_t v = flag ? 1 : 0;
  allreduce_max(&v, 1, what);
  return v == 1;
}

std::string Communicator::broadcast_string(const std::string& s, int root, const char* what) {
  int64_t n = static_cast<int64_t>(s.size());
  broadcast(&n, sizeof(n), root, what);
  std::string out = rank() == root ? s : std::string(static_cast<size_t>(n), '\0');
  if (n > 0) broadcast(out.data(), static_cast<size_t>(n), root, what);
  return out;
}

std::optional<std::pair<int, std::string>> Communicator::first_error(const std::string& error, const char* what) {
  int64_t first_bad = error.empty() ? size() : rank();
  allreduce_min(&first_bad, 1, what);
  if (first_bad == size()) return std::nullopt;
  const int bad = static_cast<int>(first_bad);
  return std::make_pair(bad, broadcast_string(error, bad, what));
}

void Communicator::allreduce_sum_device(float*, size_t, void*, const char* what) {
  throw std::logic_error(std::string("all-reduce '") + what + "': the " + backend() +
                         " communicator cannot reduce device memory (stage it through the host)");
}

namespace {
// (node-local rank, ranks on this node), from MPI_COMM_TYPE_SHARED.
std::pair<int, int> node_local() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return {0, 1};
  MPI_Comm local;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) failed: cannot find the node-local rank");
  int r = 0, n = 1;
  MPI_Comm_rank(local, &r);
  MPI_Comm_size(local, &n);
  MPI_Comm_free(&local);
  return {r, n};
}
}  // namespace

int node_local_rank() { return node_local().first; }
int node_local_size() { return node_local().second; }

namespace {

// --- collective watchdog
using WatchClock = std::chrono::steady_clock;
std::atomic<double> g_timeout_s{0.0};
std::atomic<int64_t> g_started_ns{0};  // 0: no collective in flight
std::atomic<const char*> g_op{""}, g_what{""};
std::atomic<int> g_rank{-1};
std::atomic<bool> g_watchdog_running{false};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(WatchClock::now().time_since_epoch()).count();
}

void watchdog_loop() {
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double limit = g_timeout_s.load();
    const int64_t started = g_started_ns.load();
    if (limit <= 0 || started == 0) continue;
    const double waited = static_cast<double>(now_ns() - started) * 1e-9;
    if (waited < limit) continue;
    std::fprintf(stderr,
                 "latentebm: rank %d: MPI %s '%s' has not completed after %.0f s (runtime.collective_timeout_s = %g): "
                 "another rank has stalled or died. Aborting the job; resume it from its latest checkpoint.\n",
                 g_rank.load(), g_op.load(), g_what.load(), waited, limit);
    std::fflush(stderr);
    _exit(4);  // not 124: that is timeout(1)'s status
  }
}

// Marks one collective as in flight for the watchdog.
struct Watched {
  Watched(const char* op, const char* what) {
    g_op = op;
    g_what = what;
    g_started_ns = now_ns();
  }
  ~Watched() { g_started_ns = 0; }
};

class SingleCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "single"; }
  void barrier(const char*) override {}
  void broadcast(void*, size_t, int root, const char* what) override {
    if (root != 0) throw std::runtime_error(std::string("broadcast '") + what + "': root rank out of range");
  }
  void allreduce_sum(float*, size_t, const char*) override {}
  void allreduce_sum(double*, size_t, const char*) override {}
  void allreduce_min(int64_t*, size_t, const char*) override {}
  void allreduce_max(int64_t*, size_t, const char*) override {}
  void gather(const void* send, size_t bytes, void* recv, const std::vector<size_t>& recv_bytes, int root,
              const char* what) override {
    if (root != 0 || recv_bytes.size() != 1 || recv_bytes[0] != bytes)
      throw std::logic_error(std::string("gather '") + what + "': sizes do not match a world of one");
    if (bytes > 0) std::memcpy(recv, send, bytes);
  }
};

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) throw std::logic_error("make_mpi_communicator: call init_mpi first");
    // Errors come back as return codes, which check() turns into exceptions.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    g_rank = rank_;
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void barrier(const char* what) override {
    Watched w("barrier", what);
    check(MPI_Barrier(MPI_COMM_WORLD), "barrier", what);
  }

  void broadcast(void* data, size_t bytes, int root, const char* what) override {
    // MPI counts are int: send large buffers in pieces.
    Watched w("broadcast", what);
    auto* p = static_cast<char*>(data);
    const size_t kMax = size_t(1) << 30;
    for (size_t off = 0; off < bytes; off += kMax) {
      const int n = static_cast<int>(std::min(kMax, bytes - off));
      check(MPI_Bcast(p + off, n, MPI_BYTE, root, MPI_COMM_WORLD), "broadcast", what);
    }
  }
  void allreduce_sum(float* data, size_t count, const char* what) override {
    reduce(data, count, MPI_FLOAT, MPI_SUM, what);
  }
  void allreduce_sum(double* data, size_t count, const char* what) override {
    reduce(data, count, MPI_DOUBLE, MPI_SUM, what);
  }
  void allreduce_min(int64_t* data, size_t count, const char* what) override {
    reduce(data, count, MPI_INT64_T, MPI_MIN, what);
  }
  void allreduce_max(int64_t* data, size_t count, const char* what) override {
    reduce(data, count, MPI_INT64_T, MPI_MAX, what);
  }
  void gather(const void* send, size_t bytes, void* recv, const std::vector<size_t>& recv_bytes, int root,
              const char* what) override {
    // MPI counts and displacements are int: refuse rather than truncate
    // (a memory matrix of 2 GiB is 5 million examples at nz = 100).
    const size_t kMax = static_cast<size_t>(std::numeric_limits<int>::max());
    std::vector<int> counts, displs;
    if (rank_ == root) {
      if (recv_bytes.size() != static_cast<size_t>(size_))
        throw std::logic_error(std::string("gather '") + what + "': one receive size per rank expected");
      size_t off = 0;
      for (size_t b : recv_bytes) {
        if (b > kMax || off > kMax) throw std::runtime_error(std::string("gather '") + what + "': more than 2 GiB");
        counts.push_back(static_cast<int>(b));
        displs.push_back(static_cast<int>(off));
        off += b;
      }
    }
    if (bytes > kMax) throw std::runtime_error(std::string("gather '") + what + "': more than 2 GiB from one rank");
    Watched w("gather", what);
    check(MPI_Gatherv(send, static_cast<int>(bytes), MPI_BYTE, recv, counts.data(), displs.data(), MPI_BYTE, root,
                      MPI_COMM_WORLD),
          "gather", what);
  }

 private:
  template <class T>
  void reduce(T* data, size_t count, MPI_Datatype type, MPI_Op op, const char* what) {
    Watched w("all-reduce", what);
    const size_t kMax = size_t(1) << 28;
    for (size_t off = 0; off < count; off += kMax) {
      const int n = static_cast<int>(std::min(kMax, count - off));
      check(MPI_Allreduce(MPI_IN_PLACE, data + off, n, type, op, MPI_COMM_WORLD), "all-reduce", what);
    }
  }
  void check(int rc, const char* op, const char* what) const {
    if (rc == MPI_SUCCESS) return;
    char buf[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, buf, &len);
    throw std::runtime_error("rank " + std::to_string(rank_) + ": MPI " + op + " '" + what + "' failed: " +
                             std::string(buf, static_cast<size_t>(len)) +
                             " (a peer rank probably died; see its log under <run_dir>/logs/)");
  }
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_single_communicator() { return std::make_unique<SingleCommunicator>(); }
std::unique_ptr<Communicator> make_mpi_communicator() { return std::make_unique<MpiCommunicator>(); }

void init_mpi(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return;
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Init_thread failed; is Open MPI installed and the job started with mpirun?");
  std::set_terminate([] {
    int rank = -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    std::fprintf(stderr, "latentebm: rank %d terminated by an uncaught error; aborting the job\n", rank);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::abort();
  });
}

void finalize_mpi() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Finalize();
}

void abort_job(int code) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  int size = 1;
  if (initialized && !finalized) MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (initialized && !finalized && size > 1) MPI_Abort(MPI_COMM_WORLD, code);
  finalize_mpi();
  std::exit(code);
}

}  // namespace latentebm

namespace latentebm {

void set_collective_timeout(double seconds) {
  g_timeout_s = seconds;
  if (seconds > 0 && !g_watchdog_running.exchange(true)) std::thread(watchdog_loop).detach();
}

double collective_timeout() { return g_timeout_s.load(); }

}  // namespace latentebm
