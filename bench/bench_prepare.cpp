// Throughput and peak memory of `latentebm prepare folder` (issue 4).
//
//   bench_prepare [--dir DIR] [--count N] [--side S] [--format jpg|png]
//                 [--size OUT] [--workers 1,2] [--bin PATH]
//
// Generates DIR/images-N (N random-ish S x S images, default 20000 JPEGs of
// 128 x 128, quality 90: smooth gradients plus noise, so files are of a
// realistic size) and DIR/images-N10 (a tenth as many) unless they exist,
// then runs the real binary on each for every worker count and reports wall
// time, images/s, CPU time and the child's peak RSS (wait4 ru_usage). The small
// folder shows that memory does not grow with the image count.
#include <stb_image_write.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli/command_line.h"

namespace fs = std::filesystem;

namespace {

struct Options {
  std::string dir = "/tmp/latentebm-bench-prepare";
  int count = 20000, side = 128, size = 64;
  std::string format = "jpg";
  std::vector<int> workers = {1, 2};
  std::string bin = LATENTEBM_BIN_PATH;
};

void generate_one(const fs::path& path, int side, uint64_t seed, const std::string& format) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> coef(-3, 3), base(30, 220), noise(-12, 12);
  const int r0 = base(rng), g0 = base(rng), b0 = base(rng);
  const int rx = coef(rng), ry = coef(rng), gx = coef(rng), gy = coef(rng), bx = coef(rng), by = coef(rng);
  const int cx = static_cast<int>(rng() % side), cy = static_cast<int>(rng() % side), rad = 10 + static_cast<int>(rng() % 40);
  std::vector<uint8_t> px(static_cast<size_t>(side) * side * 3);
  const auto clamp = [](int v) { return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); };
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      const bool disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < rad * rad;
      uint8_t* p = &px[(static_cast<size_t>(y) * side + x) * 3];
      p[0] = clamp(r0 + (rx * x + ry * y) / 4 + noise(rng) + (disc ? 60 : 0));
      p[1] = clamp(g0 + (gx * x + gy * y) / 4 + noise(rng));
      p[2] = clamp(b0 + (bx * x + by * y) / 4 + noise(rng) - (disc ? 60 : 0));
    }
  const int ok = format == "png" ? stbi_write_png(path.c_str(), side, side, 3, px.data(), side * 3)
                                 : stbi_write_jpg(path.c_str(), side, side, 3, px.data(), 90);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
}

// N images in 100 sub-folders; skipped when DIR/.complete says it is done.
fs::path generate(const Options& o, int count) {
  const fs::path dir = fs::path(o.dir) / ("images-" + std::to_string(count) + "-" + std::to_string(o.side) + "-" + o.format);
  if (fs::exists(dir / ".complete")) return dir;
  fs::remove_all(dir);
  const auto t0 = std::chrono::steady_clock::now();
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = static_cast<int>(t); i < count; i += static_cast<int>(threads)) {
        const fs::path sub = dir / std::to_string(i % 100);
        fs::create_directories(sub);
        char name[32];
        std::snprintf(name, sizeof name, "%06d.%s", i, o.format.c_str());
        generate_one(sub / name, o.side, 1000003ull * i + 17, o.format);
      }
    });
  for (auto& t : pool) t.join();
  std::ofstream(dir / ".complete") << count << "\n";
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += e.file_size();
  std::printf("generated %d %dx%d %s files in %s (%.1f MB) in %.1f s\n", count, o.side, o.side, o.format.c_str(),
              dir.c_str(), bytes / 1e6, s);
  return dir;
}

struct Result {
  double seconds = 0, cpu_seconds = 0;
  long maxrss_kb = 0;
  int status = -1;
};

Result run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  std::fflush(nullptr);  // or the child would print our buffered output again
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    execv(argv[0], argv.data());
    _exit(127);
  }
  Result r;
  struct rusage ru {};
  int status = 0;
  wait4(pid, &status, 0, &ru);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.maxrss_kb = ru.ru_maxrss;
  r.cpu_seconds = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App cmd("Throughput and peak memory of `latentebm prepare folder` (issue 4): generates DIR/images-N\n"
               "(and a tenth as many) unless they exist, then runs the real binary on each for every worker count.",
               "bench_prepare");
  latentebm::cli::configure(cmd);
  cmd.add_option("--dir", o.dir, "where the generated images and the output go")->capture_default_str()->type_name("DIR");
  cmd.add_option("--count", o.count, "images of the large folder")
      ->capture_default_str()
      ->type_name("N")
      ->check(latentebm::cli::positive_integer());
  cmd.add_option("--side", o.side, "side of the generated images")
      ->capture_default_str()
      ->type_name("S")
      ->check(latentebm::cli::positive_integer());
  cmd.add_option("--size", o.size, "prepare's --size (output side)")
      ->capture_default_str()
      ->type_name("OUT")
      ->check(latentebm::cli::positive_integer());
  cmd.add_option("--format", o.format, "generated files")->capture_default_str()->type_name("jpg|png")
      ->check(latentebm::cli::one_of({"jpg", "png"}));
  std::string default_workers;
  for (int w : o.workers) default_workers += (default_workers.empty() ? "" : ",") + std::to_string(w);
  cmd.add_option("--workers", o.workers, "prepare's --num-workers values, comma-separated")
      ->default_str(default_workers)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("N,N,...")
      ->check(latentebm::cli::positive_integer());
  cmd.add_option("--bin", o.bin, "the latentebm binary")->capture_default_str()->type_name("PATH");
  if (const auto status = latentebm::cli::parse(cmd, argc, argv)) return *status;
  const fs::path big = generate(o, o.count), small = generate(o, o.count / 10);
  std::printf("prepare folder --size %d (from %dx%d %s), %u hardware threads\n", o.size, o.side, o.side,
              o.format.c_str(), std::thread::hardware_concurrency());
  // cpu s: user + system time of the child; cpu/wall > 1 means the workers
  // really ran in parallel (on a busy machine they may not get the cores).
  std::printf("%8s %8s %10s %10s %10s %9s %12s\n", "images", "workers", "seconds", "images/s", "cpu s", "cpu/wall",
              "peak RSS MB");
  for (const fs::path& dir : {small, big}) {
    const int n = dir == big ? o.count : o.count / 10;
    for (int w : o.workers) {
      const std::string out = (fs::path(o.dir) / "out.h5").string();
      const Result r = run({o.bin, "prepare", "folder", "--dir", dir.string(), "--size", std::to_string(o.size),
                            "--num-workers", std::to_string(w), "--test-fraction", "0.1", "--out", out});
      if (r.status != 0) {
        std::fprintf(stderr, "prepare failed (status %d)\n", r.status);
        return 1;
      }
      std::printf("%8d %8d %10.2f %10.0f %10.2f %9.2f %12.1f\n", n, w, r.seconds, n / r.seconds, r.cpu_seconds,
                  r.cpu_seconds / r.seconds, r.maxrss_kb / 1024.0);
      std::fflush(stdout);
      fs::remove(out);
    }
  }
  return 0;
}
