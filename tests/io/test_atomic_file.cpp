// io/atomic_file.h: a file written through it is either the old one or the
// whole new one, and no temporary is left behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "io/atomic_file.h"
#include "support/bytes.h"
#include "support/errors.h"
#include "support/scratch_dir.h"

namespace fs = std::filesystem;
using namespace latentebm;
using namespace latentebm::testing;

namespace {
std::vector<std::string> names_in(const ScratchDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}
}  // namespace

TEST(AtomicFile, WritesCreatesParentsAndReplacesLeavingNoTemporary) {
  ScratchDir dir;
  const auto path = dir.file("a/b/config.yaml");
  io::write_file_atomically(path, "first\n");
  EXPECT_EQ(read_text(path), "first\n");
  io::write_file_atomically(path, std::string("sec\0ond", 7));
  EXPECT_EQ(read_text(path), std::string("sec\0ond", 7));
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"a", "b", "config.yaml"}));
}

TEST(AtomicFile, WithoutCommitTheOldFileStaysAndTheTemporaryGoes) {
  ScratchDir dir;
  const auto path = dir.file("out.png");
  write_text(path, "old");
  {
    io::AtomicFile f(path, ".png");
    EXPECT_NE(f.temp_path(), path);
    EXPECT_EQ(f.temp_path().substr(f.temp_path().size() - 4), ".png");
    write_text(f.temp_path(), "half-written");
    EXPECT_EQ(read_text(path), "old");  // not visible before commit
  }  // e.g. the writer threw
  EXPECT_EQ(read_text(path), "old");
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"out.png"}));
  {
    io::AtomicFile f(path);
    write_text(f.temp_path(), "new");
    f.commit();
  }
  EXPECT_EQ(read_text(path), "new");
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"out.png"}));
}

TEST(AtomicFile, ErrorsNameThePath) {
  ScratchDir dir;
  write_text(dir.file("plain"), "x");
  // A regular file where a directory is needed.
  EXPECT_THROW_WITH(io::write_file_atomically(dir.file("plain/inside.txt"), "y"), "plain");
  io::AtomicFile f(dir.file("never.txt"));
  EXPECT_THROW_WITH(f.commit(), "never.txt");  // nothing was written to the temporary
}
