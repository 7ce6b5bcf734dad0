#include "io/tensorboard.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "io/tfrecord.h"
#include "io/write_fault.h"

#if LATENTEBM_WITH_TENSORBOARD  // headers protoc generates at build time (CMakeLists.txt)
#include <tensorboard/compat/proto/event.pb.h>
#include <tensorboard/compat/proto/summary.pb.h>
#include <tensorboard/compat/proto/tensor.pb.h>
#endif

namespace fs = std::filesystem;

namespace latentebm {

namespace {
[[maybe_unused]] double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
[[maybe_unused]] std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}
[[maybe_unused]] const char* const kUnavailable =
    "this latentebm was built without TensorBoard support (CMake LATENTEBM_TENSORBOARD: protobuf and the tensorboard "
    "Python package were not found; bash scripts/setup.sh installs both); set log.tensorboard=off to silence this";
}  // namespace

std::vector<std::string> tensorboard_event_files(const std::string& dir) {
  std::vector<std::string> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

#if LATENTEBM_WITH_TENSORBOARD

bool tensorboard_available() { return true; }

struct TensorBoardWriter::Impl {
  std::FILE* fp = nullptr;
};

TensorBoardWriter::TensorBoardWriter(const std::string& dir) : impl_(std::make_unique<Impl>()) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  fs::create_directories(dir);
  const auto secs = static_cast<long long>(now_seconds());
  const std::string base = (fs::path(dir) / ("events.out.tfevents." + std::to_string(secs) + "." + hostname())).string();
  path_ = base;
  for (int i = 1; fs::exists(path_); ++i) path_ = base + "." + std::to_string(i);  // a second writer within the same second
  impl_->fp = std::fopen(path_.c_str(), "wb");
  if (!impl_->fp) throw std::runtime_error("cannot create TensorBoard events file '" + path_ + "'");
  tensorboard::Event e;
  e.set_wall_time(now_seconds());
  e.set_file_version("brain.Event:2");
  write_record(e.SerializeAsString());
}

TensorBoardWriter::~TensorBoardWriter() {
  if (impl_ && impl_->fp) std::fclose(impl_->fp);
}

void TensorBoardWriter::write_record(const std::string& bytes) {
  const std::string rec = tfrecord::frame(bytes);
  if (const int injected = io::write_fault("write.tensorboard")) {  // half a record, as a full disk leaves it
    std::fwrite(rec.data(), 1, rec.size() / 2, impl_->fp);
    std::fflush(impl_->fp);
    throw std::runtime_error("TensorBoard events: " + io::write_error(path_, injected));
  }
  errno = 0;
  if (std::fwrite(rec.data(), 1, rec.size(), impl_->fp) != rec.size() || std::fflush(impl_->fp) != 0)
    throw std::runtime_error("TensorBoard events: " + io::write_error(path_, errno != 0 ? errno : EIO));
}

void TensorBoardWriter::scalars(const std::vector<std::pair<std::string, double>>& values, int64_t step) {
  tensorboard::Event e;
  e.set_wall_time(now_seconds());
  e.set_step(step);
  for (const auto& [tag, v] : values) {
    auto* value = e.mutable_summary()->add_value();
    value->set_tag(tag);
    value->set_simple_value(static_cast<float>(v));
  }
  write_record(e.SerializeAsString());
}

void TensorBoardWriter::scalar(const std::string& tag, int64_t step, double value) { scalars({{tag, value}}, step); }

void TensorBoardWriter::image(const std::string& tag, int64_t step, const std::string& png_bytes, int64_t width,
                              int64_t height, int64_t channels) {
  tensorboard::Event e;
  e.set_wall_time(now_seconds());
  e.set_step(step);
  auto* value = e.mutable_summary()->add_value();
  value->set_tag(tag);
  auto* img = value->mutable_image();
  img->set_width(static_cast<int32_t>(width));
  img->set_height(static_cast<int32_t>(height));
  img->set_colorspace(static_cast<int32_t>(channels));  // 1 grey, 3 RGB
  img->set_encoded_image_string(png_bytes);
  write_record(e.SerializeAsString());
}

void TensorBoardWriter::text(const std::string& tag, int64_t step, const std::string& text) {
  tensorboard::Event e;
  e.set_wall_time(now_seconds());
  e.set_step(step);
  auto* value = e.mutable_summary()->add_value();
  value->set_tag(tag);
  value->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  auto* tensor = value->mutable_tensor();
  tensor->set_dtype(tensorboard::DT_STRING);
  tensor->mutable_tensor_shape();  // a scalar
  tensor->add_string_val(text);
  write_record(e.SerializeAsString());
}

void TensorBoardWriter::session_start(int64_t step) {
  tensorboard::Event e;
  e.set_wall_time(now_seconds());
  e.set_step(step);
  e.mutable_session_log()->set_status(tensorboard::SessionLog::START);
  write_record(e.SerializeAsString());
}

std::vector<TensorBoardEvent> read_tensorboard_events(const std::string& path) {
  std::vector<TensorBoardEvent> out;
  for (const auto& rec : tfrecord::read_all(path)) {
    tensorboard::Event e;
    if (!e.ParseFromString(rec)) throw std::runtime_error("'" + path + "': a record is not a tensorboard.Event");
    TensorBoardEvent ev;
    ev.wall_time = e.wall_time();
    ev.step = e.step();
    ev.file_version = e.file_version();
    ev.session_start = e.has_session_log() && e.session_log().status() == tensorboard::SessionLog::START;
    for (const auto& v : e.summary().value()) {
      TensorBoardEvent::Value out_v;
      out_v.tag = v.tag();
      out_v.plugin = v.metadata().plugin_data().plugin_name();
      if (v.has_simple_value()) out_v.simple_value = v.simple_value();
      if (v.has_image()) {
        out_v.is_image = true;
        out_v.width = v.image().width();
        out_v.height = v.image().height();
        out_v.png = v.image().encoded_image_string();
      }
      if (v.has_tensor() && v.tensor().string_val_size() > 0) out_v.text = v.tensor().string_val(0);
      ev.values.push_back(std::move(out_v));
    }
    out.push_back(std::move(ev));
  }
  return out;
}

#else  // built without protobuf

bool tensorboard_available() { return false; }
struct TensorBoardWriter::Impl {};
TensorBoardWriter::TensorBoardWriter(const std::string&) { throw std::runtime_error(kUnavailable); }
TensorBoardWriter::~TensorBoardWriter() = default;
void TensorBoardWriter::write_record(const std::string&) {}
void TensorBoardWriter::scalars(const std::vector<std::pair<std::string, double>>&, int64_t) {}
void TensorBoardWriter::scalar(const std::string&, int64_t, double) {}
void TensorBoardWriter::image(const std::string&, int64_t, const std::string&, int64_t, int64_t, int64_t) {}
void TensorBoardWriter::text(const std::string&, int64_t, const std::string&) {}
void TensorBoardWriter::session_start(int64_t) {}
std::vector<TensorBoardEvent> read_tensorboard_events(const std::string&) { throw std::runtime_error(kUnavailable); }

#endif

}  // namespace latentebm
