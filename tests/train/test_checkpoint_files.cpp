// The checkpoint files' readers (train/checkpoint_files.h) on damaged and
// hostile files: a manifest that names a file outside its directory, lacks a
// field or holds one out of range is refused naming the field; model.h5 with
// a NaN or a wrong shape, and memory files whose row ranges overlap, leave
// the matrix or hold a NaN are refused naming the file; good files read back
// exactly what was written.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "config.h"
#include "io/h5.h"
#include "train/checkpoint.h"
#include "train/checkpoint_files.h"
#include "train/run_schedule.h"

namespace fs = std::filesystem;
using namespace latentebm;
using json = nlohmann::json;

namespace {

// A manifest as format 3 writes it, listing model.h5 (5 bytes) and memory.h5 (6 bytes).
json good_manifest() {
  json files = json::array();
  files.push_back({{"name", "model.h5"}, {"bytes", 5}, {"crc32", "00000000"}});
  files.push_back({{"name", "memory.h5"}, {"bytes", 6}, {"crc32", "00000000"}});
  return {{"format", "latentebm-checkpoint"},
          {"version", 3},
          {"iteration", 8},
          {"stage", 1},
          {"world_size", 2},
          {"total_iterations", 12},
          {"global_batch", 32},
          {"structure", "model.nz: 8\n"},
          {"config", "model:\n  nz: 8\n"},
          {"dataset_fingerprint", "tiny"},
          {"schedule", {{"stage_starts", {0, 6}}}},
          {"guard", json::object()},
          {"memory", {{"file", "memory.h5"}, {"rows", 10}}},
          {"files", files}};
}

// The error parse_manifest gives `m`, or "" when it parses.
std::string manifest_error(const json& m) {
  try {
    parse_manifest(m.dump(), "ckpt/manifest.json");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

class CheckpointFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("latentebm_ckpt_files_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A memory file of n_total rows holding rows [begin, end), row r's values r + j / 10
  // (snapshot -r); the snapshot's value number `inf_at` is infinite when given.
  std::string memory_file(const std::string& name, int64_t begin, int64_t end, int64_t n_total, int64_t nz = 2,
                          int64_t inf_at = -1) {
    const std::string path = (dir_ / name).string();
    h5::File f(path, h5::Mode::Truncate);
    std::vector<float> m, s;
    std::vector<int64_t> w;
    for (int64_t r = begin; r < end; ++r) {
      for (int64_t j = 0; j < nz; ++j) {
        m.push_back(static_cast<float>(r) + 0.1f * static_cast<float>(j));
        s.push_back(-static_cast<float>(r));
      }
      w.push_back(r);
    }
    if (inf_at >= 0) s[static_cast<size_t>(inf_at)] = std::numeric_limits<float>::infinity();
    write_memory_rows(f, data::Shard{begin, end}, n_total, nz, m.data(), s.data(), w.data());
    return path;
  }

  fs::path dir_;
};

TEST(Manifest, AGoodManifestParsesToItsFields) {
  const Manifest m = parse_manifest(good_manifest().dump(), "manifest.json");
  EXPECT_EQ(m.version, 3);
  EXPECT_EQ(m.meta.iteration, 8);
  EXPECT_EQ(m.meta.stage, 1);
  EXPECT_EQ(m.meta.world_size, 2);
  EXPECT_EQ(m.meta.total_iterations, 12);
  EXPECT_EQ(m.meta.global_batch, 32);
  EXPECT_EQ(m.meta.config_yaml, "model:\n  nz: 8\n");
  EXPECT_EQ(json::parse(m.meta.schedule_json), json({{"stage_starts", {0, 6}}}));
  EXPECT_EQ(m.meta.guard_json, "{}");
  EXPECT_EQ(m.structure, "model.nz: 8\n");
  EXPECT_EQ(m.memory_file, "memory.h5");
  EXPECT_EQ(m.memory_rows, 10);
  ASSERT_EQ(m.files.size(), 2u);
  EXPECT_EQ(m.files[0].name, "model.h5");
  EXPECT_EQ(m.files[0].bytes, 5);
}

TEST(Manifest, AFileNameThatLeavesTheCheckpointIsRefused) {
  for (const char* name : {"../model.h5", "/etc/passwd", "..", ".", "", "sub/model.h5"}) {
    json m = good_manifest();
    m["files"].push_back({{"name", name}, {"bytes", 1}, {"crc32", "00000000"}});
    EXPECT_NE(manifest_error(m).find("not a plain file name"), std::string::npos) << name << ": " << manifest_error(m);
  }
  json m = good_manifest();
  m["memory"]["file"] = "../../other/memory.h5";
  EXPECT_NE(manifest_error(m).find("not a plain file name"), std::string::npos) << manifest_error(m);
}

TEST(Manifest, AMissingOrMistypedFieldIsNamedNotAJsonLibraryError) {
  for (const char* key : {"iteration", "stage", "world_size", "config", "structure", "files", "memory"}) {
    json m = good_manifest();
    m.erase(key);
    const std::string e = manifest_error(m);
    EXPECT_NE(e.find(std::string("\"") + key + "\""), std::string::npos) << key << ": " << e;
    EXPECT_NE(e.find("resume from another checkpoint"), std::string::npos) << e;
  }
  json m = good_manifest();
  m["iteration"] = "eight";
  EXPECT_NE(manifest_error(m).find("\"iteration\" = \"eight\", not an integer"), std::string::npos) << manifest_error(m);
  m = good_manifest();
  m["files"][0]["bytes"] = 5.5;
  EXPECT_NE(manifest_error(m).find("not an integer"), std::string::npos) << manifest_error(m);
  m = good_manifest();
  m["schedule"] = json::array();
  EXPECT_NE(manifest_error(m).find("\"schedule\" that is not a JSON object"), std::string::npos) << manifest_error(m);
}

TEST(Manifest, ValuesOutOfRangeAreRefused) {
  auto with = [](const char* key, json value) {
    json m = good_manifest();
    m[key] = std::move(value);
    return manifest_error(m);
  };
  EXPECT_NE(with("iteration", -1).find("\"iteration\" = -1, outside"), std::string::npos);
  EXPECT_NE(with("stage", -3).find("\"stage\" = -3, outside"), std::string::npos);
  EXPECT_NE(with("world_size", 0).find("\"world_size\" = 0, outside"), std::string::npos);
  EXPECT_NE(with("world_size", int64_t{1} << 40).find("\"world_size\""), std::string::npos);
  EXPECT_NE(with("global_batch", 18446744073709551615ull).find("out of range"), std::string::npos);
  EXPECT_NE(with("iteration", 13).find("beyond its \"total_iterations\" 12"), std::string::npos);
  EXPECT_NE(with("version", 4).find("format version 4; this build reads versions 2 to 3"), std::string::npos);
  EXPECT_NE(with("version", "3").find("format version \"3\""), std::string::npos);
  EXPECT_NE(with("format", "other").find("not a latentebm checkpoint manifest"), std::string::npos);
  json m = good_manifest();
  m["files"][1]["crc32"] = "XYZ";
  EXPECT_NE(manifest_error(m).find("not 8 hex digits"), std::string::npos) << manifest_error(m);
  m = good_manifest();
  m["files"][1]["bytes"] = -6;
  EXPECT_NE(manifest_error(m).find("\"bytes\" = -6"), std::string::npos) << manifest_error(m);
}

TEST(Manifest, TheModelAndMemoryFilesMustBeListed) {
  json m = good_manifest();
  m["files"].erase(0);  // model.h5
  EXPECT_NE(manifest_error(m).find("does not list 'model.h5'"), std::string::npos) << manifest_error(m);
  m = good_manifest();
  m["files"].erase(1);  // memory.h5: a manifest listing nothing would verify anything
  EXPECT_NE(manifest_error(m).find("does not list 'memory.h5'"), std::string::npos) << manifest_error(m);
  m = good_manifest();
  m["files"].push_back(m["files"][0]);
  EXPECT_NE(manifest_error(m).find("lists the file 'model.h5' twice"), std::string::npos) << manifest_error(m);
  // Format 2: one shard per writing rank.
  m = good_manifest();
  m["version"] = 2;
  m.erase("memory");
  m["files"][1]["name"] = "shard-00000.h5";
  EXPECT_NE(manifest_error(m).find("does not list 'shard-00001.h5'"), std::string::npos) << manifest_error(m);
  m["files"].push_back({{"name", "shard-00001.h5"}, {"bytes", 1}, {"crc32", "00000000"}});
  EXPECT_EQ(manifest_error(m), "");
}

TEST(Manifest, CorruptTextSaysSo) {
  try {
    parse_manifest("{\"format\": ", "ckpt/manifest.json");
    FAIL() << "parsed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'ckpt/manifest.json' is corrupt"), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointFilesTest, VerifyChecksTheListedFilesOnly) {
  std::ofstream(dir_ / "model.h5") << "model";
  std::ofstream(dir_ / "memory.h5") << "memory";
  json m = good_manifest();
  m["files"][0]["crc32"] = checksum_file((dir_ / "model.h5").string()).crc_hex();
  m["files"][1]["crc32"] = checksum_file((dir_ / "memory.h5").string()).crc_hex();
  std::ofstream(dir_ / "manifest.json") << m.dump();
  EXPECT_NO_THROW(verify_checkpoint(dir_.string()));
  std::ofstream(dir_ / "memory.h5") << "memorY";
  try {
    verify_checkpoint(dir_.string());
    FAIL() << "a changed byte verified";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("memory.h5' fails its checksum"), std::string::npos) << e.what();
  }
  // One file alone (the sampling commands check model.h5 so): the damaged memory.h5 is not read.
  EXPECT_NO_THROW(verify_checkpoint(dir_.string(), "model.h5"));
  EXPECT_THROW(verify_checkpoint(dir_.string(), "memory.h5"), std::runtime_error);
  try {
    verify_checkpoint(dir_.string(), "other.h5");
    FAIL() << "an unlisted file verified";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not list 'other.h5'"), std::string::npos) << e.what();
  }
}

// scripts/strip_checkpoint_for_eval.py's checkpoints: model.h5 (rewritten,
// with its new size and CRC in the manifest) evaluates, the memory file is
// gone, and a whole verify (which resume runs) refuses the checkpoint by name.
TEST_F(CheckpointFilesTest, AnEvaluationOnlyCheckpointChecksItsModelButCannotResume) {
  std::ofstream(dir_ / "model.h5") << "model";
  json m = good_manifest();
  m["files"][0]["crc32"] = checksum_file((dir_ / "model.h5").string()).crc_hex();
  m["evaluation_only"] = true;
  std::ofstream(dir_ / "manifest.json") << m.dump();
  EXPECT_TRUE(read_manifest(dir_.string()).evaluation_only);
  EXPECT_NO_THROW(verify_checkpoint(dir_.string(), "model.h5"));
  try {
    verify_checkpoint(dir_.string());
    FAIL() << "an evaluation-only checkpoint verified whole";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is evaluation-only"), std::string::npos) << e.what();
  }
  std::ofstream(dir_ / "model.h5") << "modeL";
  EXPECT_THROW(verify_checkpoint(dir_.string(), "model.h5"), std::runtime_error);
  m["evaluation_only"] = "yes";
  EXPECT_NE(manifest_error(m).find("\"evaluation_only\" = \"yes\", not true or false"), std::string::npos) << manifest_error(m);
  m.erase("evaluation_only");
  EXPECT_FALSE(parse_manifest(m.dump(), "m").evaluation_only);
}

TEST_F(CheckpointFilesTest, ModelFileTensorsAreCheckedForShapeAndFiniteValues) {
  const std::string path = (dir_ / "model.h5").string();
  {
    h5::File f(path, h5::Mode::Truncate);
    const std::vector<float> good{1, 2, 3, 4, 5, 6}, bad{1, 2, std::nanf(""), 4, 5, 6};
    f.write_f32("/generator/w", good.data(), {2, 3});
    f.write_f32("/generator/nan", bad.data(), {2, 3});
    f.set_attr("/", "num_stages", int64_t{2});
    f.set_attr("/generator", "steps", int64_t{-4});
  }
  const ModelFileReader r(path);
  EXPECT_EQ(r.num_stages(), 2);
  EXPECT_EQ(r.tensor({"/generator/w", {2, 3}}), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  auto error_of = [&](const TensorSpec& spec) {
    try {
      r.tensor(spec);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of({"/generator/w", {3, 2}}).find("has a different shape than this model"), std::string::npos);
  EXPECT_NE(error_of({"/generator/absent", {1}}).find("has no '/generator/absent'"), std::string::npos);
  EXPECT_NE(error_of({"/generator/nan", {2, 3}}).find("holds a non-finite value (element 2)"), std::string::npos);
  EXPECT_THROW(r.steps("/generator"), std::runtime_error);  // -4 steps
}

TEST_F(CheckpointFilesTest, MemoryRowsComeFromTheFilesThatHoldThem) {
  // Format 2 as 3 ranks wrote 9 rows: [0, 3), [3, 6), [6, 9); this rank holds [2, 7).
  const auto a = memory_file("a.h5", 0, 3, 9), b = memory_file("b.h5", 3, 6, 9), c = memory_file("c.h5", 6, 9, 9);
  const MemoryRows rows = read_memory_rows({a, b, c}, data::Shard{2, 7}, 9, 2);
  ASSERT_EQ(rows.memory.size(), 10u);
  for (int64_t r = 2; r < 7; ++r) {
    EXPECT_FLOAT_EQ(rows.memory[static_cast<size_t>((r - 2) * 2 + 1)], static_cast<float>(r) + 0.1f);
    EXPECT_FLOAT_EQ(rows.snapshot[static_cast<size_t>((r - 2) * 2)], -static_cast<float>(r));
    EXPECT_EQ(rows.written_at[static_cast<size_t>(r - 2)], r);
  }
}

TEST_F(CheckpointFilesTest, OverlappingMissingOrOutOfRangeRowsAreRefused) {
  auto error_of = [](const std::vector<std::string>& paths, data::Shard mine, int64_t n_total) {
    try {
      read_memory_rows(paths, mine, n_total, 2);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const auto a = memory_file("a.h5", 0, 5, 9), b = memory_file("b.h5", 4, 9, 9);
  EXPECT_NE(error_of({a, b}, {0, 9}, 9).find("memory row 4 is held by"), std::string::npos) << error_of({a, b}, {0, 9}, 9);
  EXPECT_NE(error_of({a}, {0, 9}, 9).find("cover 5 of this rank's 9 rows"), std::string::npos);
  const auto beyond = memory_file("beyond.h5", 6, 12, 9);
  EXPECT_NE(error_of({beyond}, {0, 9}, 9).find("claims rows [6, 12) of 9"), std::string::npos) << error_of({beyond}, {0, 9}, 9);
  EXPECT_NE(error_of({a}, {0, 9}, 10).find("was written for 9 training examples"), std::string::npos);
  const auto nan = memory_file("nan.h5", 0, 9, 9, 2, 7);
  EXPECT_NE(error_of({nan}, {0, 9}, 9).find("holds a non-finite value in row 3"), std::string::npos) << error_of({nan}, {0, 9}, 9);
}

TEST(Manifest, AStageBeyondTheConfigsStagesIsRefusedAtResume) {
  Config cfg;
  cfg.train.stages = 4;
  json m = good_manifest();
  m["structure"] = structural_config(cfg);
  for (int64_t stage : {3, 4, 9}) {
    m["stage"] = stage;
    std::string error;
    try {
      check_resume_compatible(CheckpointRef{"ckpt", m.dump(), parse_manifest(m.dump(), "ckpt/manifest.json")}, cfg, "tiny");
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    if (stage == 3)
      EXPECT_EQ(error, "");
    else
      EXPECT_NE(error.find("its active stage " + std::to_string(stage) + " does not exist with train.stages = 4"),
                std::string::npos)
          << error;
  }
}

TEST(Manifest, AMalformedScheduleIsACheckpointErrorNotAJsonLibraryOne) {
  Config cfg;
  cfg.train.stages = 4;
  RunSchedule schedule(cfg.train, 12);
  EXPECT_NO_THROW(schedule.restore(R"({"stage_starts": [0, 3], "stage_length": 3, "cycle_ends": [12]})", 1, 12));
  for (const char* bad : {R"({"stage_length": "three"})", R"({"stage_starts": {"a": 1}, "cycle_ends": [12]})",
                          R"({"cycle_ends": [12], "stage_starts": [0, 3], "vote_pending": 7})"}) {
    try {
      schedule.restore(bad, 1, 12);
      ADD_FAILURE() << bad << " restored";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("checkpoint schedule is malformed"), std::string::npos) << bad << ": " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << bad << ": not a std::runtime_error: " << e.what();
    }
  }
}

}  // namespace
