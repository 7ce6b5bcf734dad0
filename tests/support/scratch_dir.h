#pragma once
// The scratch directory of a single-process test: fresh, empty, named after
// the running test (and the process), removed with its contents afterwards.
// Use ScratchDir as a local, or derive a fixture from ScratchDirTest.
// (2-rank tests share one across ranks: tests/support/mpi_run_fixture.h.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

namespace latentebm::testing {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "latentebm_test") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = prefix + "_" + std::to_string(::getpid());
    if (info != nullptr) name += std::string("_") + info->test_suite_name() + "_" + info->name();
    for (auto& c : name)
      if (c == '/') c = '_';  // parameterised test names
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // Path of `name` inside the directory (not created).
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Path of `name` inside the directory, with its parent folders created.
  std::string make_path(const std::string& name) const {
    const auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

// A fixture whose every test gets a ScratchDir: path(name) is a file in it,
// make_path(name) the same with its parent folders created, dir_ the root.
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<ScratchDir>();
    dir_ = scratch_->path();
  }
  void TearDown() override { scratch_.reset(); }
  std::string path(const std::string& name) const { return scratch_->file(name); }
  std::string make_path(const std::string& name) const { return scratch_->make_path(name); }

  std::unique_ptr<ScratchDir> scratch_;
  std::filesystem::path dir_;
};

}  // namespace latentebm::testing
