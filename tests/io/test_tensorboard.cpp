// TFRecord framing and TensorBoard event files: the CRC against its standard
// check value, the frame layout, and what the writer puts in a file read back
// through the same protocol buffers. (tests/cli/tensorboard.sh reads a
// training run's files with TensorBoard's own reader.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "io/png.h"
#include "io/tensorboard.h"
#include "io/tfrecord.h"
#include "support/scratch_dir.h"

using namespace latentebm;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
uint32_t le32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(s[at + static_cast<size_t>(i)])) << (8 * i);
  return v;
}
}  // namespace

TEST(TfRecord, Crc32cCheckValues) {
  EXPECT_EQ(tfrecord::crc32c("123456789"), 0xe3069283u);  // the standard check value of CRC-32C
  EXPECT_EQ(tfrecord::crc32c(""), 0u);
  EXPECT_EQ(tfrecord::crc32c(std::string(32, '\0')), 0x8a9136aau);  // RFC 3720 B.4: 32 bytes of zeros
  const uint32_t c = tfrecord::crc32c("abc");
  EXPECT_EQ(tfrecord::masked_crc32c("abc"), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(TfRecord, FrameLayout) {
  const std::string rec = tfrecord::frame("hello");
  ASSERT_EQ(rec.size(), 8u + 4u + 5u + 4u);
  EXPECT_EQ(rec.substr(0, 8), std::string("\x05\0\0\0\0\0\0\0", 8));  // little-endian length
  EXPECT_EQ(le32(rec, 8), tfrecord::masked_crc32c(rec.substr(0, 8)));
  EXPECT_EQ(rec.substr(12, 5), "hello");
  EXPECT_EQ(le32(rec, 17), tfrecord::masked_crc32c("hello"));
}

TEST(TfRecord, ReaderStopsAtACutRecordAndRejectsACorruptOne) {
  const latentebm::testing::ScratchDir dir;
  const std::string path = dir.file("r.tfrecord");
  const std::string two = tfrecord::frame("first") + tfrecord::frame("second");
  std::ofstream(path, std::ios::binary) << two.substr(0, two.size() - 3);  // killed mid-record
  EXPECT_EQ(tfrecord::read_all(path), std::vector<std::string>{"first"});
  std::string bad = two;
  bad[14] ^= 1;  // a bit of "first" flipped
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
  EXPECT_THROW(tfrecord::read_all(path), std::runtime_error);
}

TEST(Png, EncodeInMemoryEqualsTheFile) {
  const latentebm::testing::ScratchDir dir;
  std::vector<uint8_t> px(5 * 4 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 7);
  png::write(dir.file("a.png"), px.data(), 5, 4, 3);
  EXPECT_EQ(png::encode(px.data(), 5, 4, 3), slurp(dir.file("a.png")));
}

TEST(TensorBoard, WriterRecordsReadBack) {
  const latentebm::testing::ScratchDir dir;
  const std::string tb = dir.file("tb");
  if (!tensorboard_available()) {
    try {
      TensorBoardWriter w(tb);
      FAIL() << "a build without TensorBoard support made a writer";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("LATENTEBM_TENSORBOARD"), std::string::npos) << e.what();
    }
    return;
  }
  std::vector<uint8_t> px(6 * 4, 200);
  const std::string image = png::encode(px.data(), 6, 4, 1);
  std::string first;
  {
    TensorBoardWriter w(tb);
    first = w.path();
    w.scalars({{"train/gen_loss", 1.25}, {"nce/stage_0/loss", 0.5}}, 10);
    w.image("samples/prior", 10, image, 6, 4, 1);
    w.text("config", 0, "    a: 1\n");
    w.session_start(11);
  }
  EXPECT_EQ(std::filesystem::path(first).filename().string().rfind("events.out.tfevents.", 0), 0u) << first;
  const auto events = read_tensorboard_events(first);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_GT(events[0].wall_time, 1.6e9);
  EXPECT_EQ(events[1].step, 10);
  ASSERT_EQ(events[1].values.size(), 2u);
  EXPECT_EQ(events[1].values[0].tag, "train/gen_loss");
  EXPECT_DOUBLE_EQ(events[1].values[0].simple_value, 1.25);
  EXPECT_EQ(events[1].values[1].tag, "nce/stage_0/loss");
  EXPECT_DOUBLE_EQ(events[1].values[1].simple_value, 0.5);
  ASSERT_EQ(events[2].values.size(), 1u);
  EXPECT_TRUE(events[2].values[0].is_image);
  EXPECT_EQ(events[2].values[0].width, 6);
  EXPECT_EQ(events[2].values[0].height, 4);
  EXPECT_EQ(events[2].values[0].png, image);
  EXPECT_EQ(events[3].values[0].plugin, "text");
  EXPECT_EQ(events[3].values[0].text, "    a: 1\n");
  EXPECT_TRUE(events[4].session_start);
  EXPECT_EQ(events[4].step, 11);

  // A second writer (a resumed run) adds a file that sorts after the first.
  TensorBoardWriter again(tb);
  again.scalar("train/gen_loss", 20, 1.0);
  const auto files = tensorboard_event_files(tb);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], first);
  EXPECT_EQ(files[1], again.path());
  // Flushed as written: readable while the writer is still open.
  EXPECT_EQ(read_tensorboard_events(again.path()).size(), 2u);
}
