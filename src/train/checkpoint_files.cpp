#include "train/checkpoint_files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "io/io_stats.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace latentebm {
namespace {

// A damaged manifest: what is wrong, and what to do.
[[noreturn]] void bad_manifest(const std::string& where, const std::string& what) {
  throw std::runtime_error("'" + where + "' " + what +
                           ": the checkpoint is damaged or was not written by latentebm; resume from another checkpoint "
                           "(--checkpoint) or restore this one from a backup");
}

std::string quoted(const std::string& key) { return "\"" + key + "\""; }

// m[key] as an integer in [lo, hi]; `fallback` when absent (required when none).
int64_t integer_field(const json& m, const std::string& key, const std::string& where, int64_t lo, int64_t hi,
                      std::optional<int64_t> fallback = std::nullopt) {
  const auto it = m.find(key);
  if (it == m.end()) {
    if (fallback) return *fallback;
    bad_manifest(where, "has no " + quoted(key));
  }
  if (!it->is_number_integer()) bad_manifest(where, "has " + quoted(key) + " = " + it->dump() + ", not an integer");
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    bad_manifest(where, "has " + quoted(key) + " = " + it->dump() + ", out of range");
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi)
    bad_manifest(where, "has " + quoted(key) + " = " + std::to_string(v) + ", outside [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "]");
  return v;
}

// m[key] as a string; `fallback` when absent (required when none).
std::string string_field(const json& m, const std::string& key, const std::string& where,
                         std::optional<std::string> fallback = std::nullopt) {
  const auto it = m.find(key);
  if (it == m.end()) {
    if (fallback) return *fallback;
    bad_manifest(where, "has no " + quoted(key));
  }
  if (!it->is_string()) bad_manifest(where, "has " + quoted(key) + " that is not a string");
  return it->get<std::string>();
}

// m[key] as a boolean; false when absent.
bool flag_field(const json& m, const std::string& key, const std::string& where) {
  const auto it = m.find(key);
  if (it == m.end()) return false;
  if (!it->is_boolean()) bad_manifest(where, "has " + quoted(key) + " = " + it->dump() + ", not true or false");
  return it->get<bool>();
}

// m[key] as JSON object text ("{}" when absent).
std::string object_field(const json& m, const std::string& key, const std::string& where) {
  const auto it = m.find(key);
  if (it == m.end()) return "{}";
  if (!it->is_object()) bad_manifest(where, "has " + quoted(key) + " that is not a JSON object");
  return it->dump();
}

// A name that stays inside the checkpoint directory.
bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

bool hex8(const std::string& s) {
  if (s.size() != 8) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

}  // namespace

std::string FileSum::crc_hex() const {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", crc);
  return buf;
}

FileSum checksum_file(const std::string& path) {
  io::count_open();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  data::Crc32 crc;
  std::vector<char> buf(size_t(1) << 20);
  FileSum s;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n <= 0) break;
    crc.update(buf.data(), static_cast<size_t>(n));
    s.bytes += n;
  }
  s.crc = crc.value();
  return s;
}

std::string checkpoint_shard_name(int rank) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shard-%05d.h5", rank);
  return buf;
}

Manifest parse_manifest(const std::string& text, const std::string& where) {
  json m;
  try {
    m = json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error("'" + where + "' is corrupt (" + e.what() + "); resume from another checkpoint (--checkpoint)");
  }
  if (!m.is_object() || !m.contains("format") || !m["format"].is_string() || m["format"].get<std::string>() != kCheckpointFormat)
    throw std::runtime_error("'" + where + "' is not a latentebm checkpoint manifest");
  // The version decides how the rest reads, so it is checked first.
  int64_t version = 0;
  const auto version_it = m.find("version");
  if (version_it != m.end() && version_it->is_number_integer())
    version = version_it->is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(version_it->get<uint64_t>(), 1000))
                                               : version_it->get<int64_t>();
  if (version < kOldestReadableCheckpoint || version > kCheckpointVersion)
    throw std::runtime_error("'" + where + "' has checkpoint format version " +
                             (version_it == m.end() ? std::string("(none)") : version_it->dump()) + "; this build reads versions " +
                             std::to_string(kOldestReadableCheckpoint) + " to " + std::to_string(kCheckpointVersion));
  Manifest out;
  out.version = version;
  CheckpointMeta& meta = out.meta;
  meta.iteration = integer_field(m, "iteration", where, 0, kMaxInt);
  meta.stage = integer_field(m, "stage", where, 0, kMaxInt);
  meta.world_size = integer_field(m, "world_size", where, 1, kMaxCheckpointWorldSize);
  meta.total_iterations = integer_field(m, "total_iterations", where, 0, kMaxInt, 0);
  meta.global_batch = integer_field(m, "global_batch", where, 0, kMaxInt, 0);
  if (meta.total_iterations > 0 && meta.iteration > meta.total_iterations)
    bad_manifest(where, "has \"iteration\" " + std::to_string(meta.iteration) + " beyond its \"total_iterations\" " +
                            std::to_string(meta.total_iterations));
  meta.config_yaml = string_field(m, "config", where);
  meta.dataset_fingerprint = string_field(m, "dataset_fingerprint", where, std::string());
  meta.schedule_json = object_field(m, "schedule", where);
  meta.guard_json = object_field(m, "guard", where);
  out.structure = string_field(m, "structure", where);
  out.evaluation_only = flag_field(m, "evaluation_only", where);

  const auto files_it = m.find("files");
  if (files_it == m.end() || !files_it->is_array()) bad_manifest(where, "has no \"files\" list");
  std::set<std::string> names;
  for (const auto& entry : *files_it) {
    if (!entry.is_object()) bad_manifest(where, "lists a file that is not a JSON object");
    ManifestFile f;
    f.name = string_field(entry, "name", where);
    if (!plain_file_name(f.name))
      bad_manifest(where, "lists the file " + json(f.name).dump() + ", which is not a plain file name inside the checkpoint");
    if (!names.insert(f.name).second) bad_manifest(where, "lists the file '" + f.name + "' twice");
    f.bytes = integer_field(entry, "bytes", where, 0, kMaxInt);
    f.crc32 = string_field(entry, "crc32", where);
    if (!hex8(f.crc32)) bad_manifest(where, "gives '" + f.name + "' the CRC-32 " + json(f.crc32).dump() + ", not 8 hex digits");
    out.files.push_back(std::move(f));
  }
  auto require_listed = [&](const std::string& name) {
    if (!names.count(name)) bad_manifest(where, "does not list '" + name + "' among its files");
  };
  require_listed("model.h5");
  if (version >= 3) {
    const auto mem = m.find("memory");
    if (mem == m.end() || !mem->is_object()) bad_manifest(where, "has no \"memory\" entry");
    out.memory_file = string_field(*mem, "file", where);
    if (!plain_file_name(out.memory_file))
      bad_manifest(where, "names the memory file " + json(out.memory_file).dump() + ", which is not a plain file name");
    out.memory_rows = integer_field(*mem, "rows", where, 0, kMaxInt);
    require_listed(out.memory_file);
  } else {
    for (int r = 0; r < static_cast<int>(meta.world_size); ++r) require_listed(checkpoint_shard_name(r));
  }
  return out;
}

std::string read_manifest_text(const std::string& ckpt_dir) {
  const fs::path p = fs::path(ckpt_dir) / "manifest.json";
  io::count_open();
  std::ifstream in(p, std::ios::binary);
  if (!in)
    throw std::runtime_error("checkpoint '" + ckpt_dir + "' has no manifest.json: it is incomplete or was written by a "
                             "latentebm older than checkpoint format 2; resume from another checkpoint (--checkpoint)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Manifest read_manifest(const std::string& ckpt_dir) {
  return parse_manifest(read_manifest_text(ckpt_dir), (fs::path(ckpt_dir) / "manifest.json").string());
}

CheckpointMeta read_checkpoint_meta(const std::string& ckpt_dir) { return read_manifest(ckpt_dir).meta; }

void verify_checkpoint(const std::string& ckpt_dir, const std::string& only) {
  const Manifest m = read_manifest(ckpt_dir);
  if (m.evaluation_only && only.empty())
    throw std::runtime_error("checkpoint '" + ckpt_dir +
                             "' is evaluation-only: scripts/strip_checkpoint_for_eval.py removed its optimizer state and "
                             "memory matrix, so it can be evaluated, sampled and exported but not resumed or verified whole; "
                             "resume from a checkpoint that was not stripped (--checkpoint)");
  const std::string advice = "; the file is damaged: resume from an older checkpoint with --checkpoint " +
                             (fs::path(ckpt_dir).parent_path() / "ckpt-<iteration>").string() + ", or restore it from a backup";
  bool listed = only.empty();
  for (const auto& entry : m.files) {
    if (!only.empty() && entry.name != only) continue;
    listed = true;
    const fs::path p = fs::path(ckpt_dir) / entry.name;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) throw std::runtime_error("checkpoint file '" + p.string() + "' is missing" + advice);
    const int64_t have_bytes = static_cast<int64_t>(fs::file_size(p, ec));
    if (ec) throw std::runtime_error("cannot read the size of checkpoint file '" + p.string() + "': " + ec.message());
    if (have_bytes != entry.bytes)
      throw std::runtime_error("checkpoint file '" + p.string() + "' has " + std::to_string(have_bytes) + " bytes, the manifest says " +
                               std::to_string(entry.bytes) + " (truncated or overwritten)" + advice);
    const std::string crc = checksum_file(p.string()).crc_hex();
    if (crc != entry.crc32)
      throw std::runtime_error("checkpoint file '" + p.string() + "' fails its checksum (CRC-32 " + crc + ", manifest " + entry.crc32 +
                               ")" + advice);
  }
  if (!listed) bad_manifest((fs::path(ckpt_dir) / "manifest.json").string(), "does not list '" + only + "'");
}

std::vector<std::string> memory_files(const std::string& ckpt_dir, const Manifest& m, const data::Shard& mine,
                                      int64_t n_total) {
  if (m.version >= 3) {
    if (m.memory_rows != n_total)
      throw std::runtime_error("checkpoint '" + ckpt_dir + "' holds a memory matrix of " + std::to_string(m.memory_rows) +
                               " rows, this run has " + std::to_string(n_total) +
                               " training examples (was data.path or data.train_limit changed?)");
    return {(fs::path(ckpt_dir) / m.memory_file).string()};
  }
  std::vector<std::string> out;
  const int world = static_cast<int>(m.meta.world_size);
  for (int r = 0; r < world; ++r) {
    const auto sh = data::shard_range(n_total, r, world);
    if (sh.end <= mine.begin || sh.begin >= mine.end) continue;
    const auto p = fs::path(ckpt_dir) / checkpoint_shard_name(r);
    if (!fs::exists(p)) throw std::runtime_error("checkpoint '" + ckpt_dir + "' is missing " + p.filename().string());
    out.push_back(p.string());
  }
  return out;
}

// ---------------------------------------------------------------------------
// model.h5

ModelFileReader::ModelFileReader(const std::string& path) : file_(path, h5::Mode::Read) {}

int64_t ModelFileReader::num_stages() const {
  const int64_t k = file_.attr_i64("/", "num_stages");
  if (k < 0)
    throw std::runtime_error("checkpoint '" + path() + "' says it holds " + std::to_string(k) +
                             " ratio networks: the file is damaged; resume from another checkpoint (--checkpoint)");
  return k;
}

std::vector<float> ModelFileReader::tensor(const TensorSpec& spec) const {
  if (!file_.has(spec.name))
    throw std::runtime_error("checkpoint '" + path() + "' has no '" + spec.name +
                             "': it was written by a different model configuration");
  if (file_.shape(spec.name) != spec.shape)
    throw std::runtime_error("checkpoint '" + path() + "': '" + spec.name + "' has a different shape than this model (" +
                             "was model.nz, model.ngf, model.generator or train.stages changed?)");
  std::vector<float> values = file_.read_f32(spec.name);
  size_t want = 1;
  for (int64_t d : spec.shape) want *= static_cast<size_t>(d);
  if (values.size() != want)
    throw std::runtime_error("checkpoint '" + path() + "': '" + spec.name + "' holds " + std::to_string(values.size()) +
                             " values for its shape's " + std::to_string(want) + "; the file is damaged");
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw std::runtime_error("checkpoint '" + path() + "': '" + spec.name + "' holds a non-finite value (element " +
                               std::to_string(i) +
                               "): the file is damaged or the run had diverged; resume from an earlier checkpoint (--checkpoint)");
  return values;
}

int64_t ModelFileReader::steps(const std::string& group) const {
  const int64_t n = file_.attr_i64(group, "steps");
  if (n < 0)
    throw std::runtime_error("checkpoint '" + path() + "': '" + group + "' has " + std::to_string(n) +
                             " optimizer steps: the file is damaged; resume from another checkpoint (--checkpoint)");
  return n;
}

// ---------------------------------------------------------------------------
// memory matrix

void write_memory_rows(h5::File& file, const data::Shard& rows, int64_t n_total, int64_t nz, const float* memory,
                       const float* snapshot, const int64_t* written_at) {
  file.write_f32("/memory", memory, {rows.size(), nz});
  file.write_f32("/snapshot", snapshot, {rows.size(), nz});
  file.set_attr("/memory", "begin", rows.begin);
  file.set_attr("/memory", "end", rows.end);
  file.set_attr("/memory", "n_total", n_total);
  file.write_i64("/written_at", written_at, {rows.size()});
}

MemoryRows read_memory_rows(const std::vector<std::string>& paths, const data::Shard& mine, int64_t n_total, int64_t nz) {
  const size_t rows = static_cast<size_t>(mine.size()), width = static_cast<size_t>(nz);
  MemoryRows out;
  out.memory.assign(rows * width, 0.0f);
  out.snapshot.assign(rows * width, 0.0f);
  out.written_at.assign(rows, -1);
  std::vector<char> covered(rows, 0);
  int64_t filled = 0;
  for (const auto& path : paths) {
    h5::File f(path, h5::Mode::Read);
    const int64_t held = f.attr_i64("/memory", "n_total");
    if (held != n_total)
      throw std::runtime_error("memory shard '" + path + "' was written for " + std::to_string(held) + " training examples, this run has " +
                               std::to_string(n_total) + " (was data.path or data.train_limit changed?)");
    const int64_t b = f.attr_i64("/memory", "begin"), e = f.attr_i64("/memory", "end");
    if (b < 0 || e < b || e > n_total)
      throw std::runtime_error("memory shard '" + path + "' claims rows [" + std::to_string(b) + ", " + std::to_string(e) +
                               ") of " + std::to_string(n_total) +
                               ": the file is damaged; resume from another checkpoint (--checkpoint)");
    const std::vector<int64_t> want{e - b, nz};
    if (f.shape("/memory") != want || f.shape("/snapshot") != want)
      throw std::runtime_error("memory shard '" + path + "' has the wrong shape for nz = " + std::to_string(nz) + " and rows [" +
                               std::to_string(b) + ", " + std::to_string(e) + ") (was model.nz changed?)");
    const bool has_written = f.has("/written_at");
    if (has_written && f.shape("/written_at") != std::vector<int64_t>{e - b})
      throw std::runtime_error("memory shard '" + path + "': /written_at does not have its " + std::to_string(e - b) +
                               " rows; the file is damaged");
    const int64_t lo = std::max(b, mine.begin), hi = std::min(e, mine.end);
    if (lo >= hi) continue;
    for (int64_t i = lo; i < hi; ++i) {
      char& c = covered[static_cast<size_t>(i - mine.begin)];
      if (c)
        throw std::runtime_error("memory row " + std::to_string(i) + " is held by '" + path +
                                 "' and by another file of the checkpoint: it is inconsistent; resume from another checkpoint");
      c = 1;
    }
    const auto m = f.read_f32_rows("/memory", lo - b, hi - b), s = f.read_f32_rows("/snapshot", lo - b, hi - b);
    const size_t at = static_cast<size_t>(lo - mine.begin) * width, count = static_cast<size_t>(hi - lo) * width;
    if (m.size() != count || s.size() != count)
      throw std::runtime_error("memory shard '" + path + "' returned the wrong number of values; the file is damaged");
    for (size_t i = 0; i < count; ++i) {
      if (!std::isfinite(m[i]) || !std::isfinite(s[i]))
        throw std::runtime_error("memory shard '" + path + "' holds a non-finite value in row " +
                                 std::to_string(lo + static_cast<int64_t>(i / width)) +
                                 ": the file is damaged; resume from another checkpoint (--checkpoint)");
      out.memory[at + i] = m[i];
      out.snapshot[at + i] = s[i];
    }
    if (has_written) {  // absent in checkpoints of earlier versions: rows count as never written
      const auto w = f.read_i64_rows("/written_at", lo - b, hi - b);
      for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] < -1)
          throw std::runtime_error("memory shard '" + path + "': /written_at holds " + std::to_string(w[i]) + " for row " +
                                   std::to_string(lo + static_cast<int64_t>(i)) + " (at least -1); the file is damaged");
        out.written_at[static_cast<size_t>(lo - mine.begin) + i] = w[i];
      }
    }
    filled += hi - lo;
  }
  if (filled != mine.size())
    throw std::runtime_error("memory shards cover " + std::to_string(filled) + " of this rank's " + std::to_string(mine.size()) +
                             " rows: a shard file is missing from the checkpoint");
  return out;
}

}  // namespace latentebm
