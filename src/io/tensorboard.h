#pragma once
// TensorBoard event files: TFRecord files (io/tfrecord.h) of TensorBoard's own
// Event protocol buffers (compiled at build time from the `tensorboard`
// package's event.proto; see CMakeLists.txt, LATENTEBM_TENSORBOARD). Each
// TensorBoardWriter opens a new file
//   <dir>/events.out.tfevents.<unix seconds>.<hostname>
// whose first record carries file_version "brain.Event:2", and flushes every
// record as it is written, so a killed process leaves a file TensorBoard reads
// up to its last whole record. A resumed run opens another file in the same
// folder; TensorBoard reads the folder's files in name (= time) order.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace latentebm {

// Was this build compiled with TensorBoard support (protobuf)?
bool tensorboard_available();

class TensorBoardWriter {
 public:
  // Creates `dir` if needed and a new events file in it. Throws where the
  // build lacks TensorBoard support (tensorboard_available()) or the file
  // cannot be written.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // A scalar (Summary.Value.simple_value, a float32).
  void scalar(const std::string& tag, int64_t step, double value);
  // Several scalars in one event (one record).
  void scalars(const std::vector<std::pair<std::string, double>>& values, int64_t step);
  // A PNG image (Summary.Image).
  void image(const std::string& tag, int64_t step, const std::string& png_bytes, int64_t width, int64_t height,
             int64_t channels);
  // Text (the text plugin: a string tensor; TensorBoard renders it as Markdown).
  void text(const std::string& tag, int64_t step, const std::string& text);
  // SessionLog START at `step`: TensorBoard discards the events it read
  // earlier with a step >= `step` (rows undone by a resume or rollback).
  void session_start(int64_t step);

  const std::string& path() const { return path_; }

 private:
  struct Impl;
  void write_record(const std::string& bytes);
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

// One event read back from a file (for tests and tools): its step and, for
// summaries, each value's tag and simple_value / image size / text.
struct TensorBoardEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;  // first record only
  bool session_start = false;
  struct Value {
    std::string tag, plugin, text;
    double simple_value = 0;
    bool is_image = false;
    int64_t width = 0, height = 0;
    std::string png;
  };
  std::vector<Value> values;
};
std::vector<TensorBoardEvent> read_tensorboard_events(const std::string& path);

// The events files of a folder, in the order TensorBoard reads them.
std::vector<std::string> tensorboard_event_files(const std::string& dir);

}  // namespace latentebm
