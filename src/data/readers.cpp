#include "data/readers.h"

#include <matio.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace latentebm::data {

std::string read_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw std::runtime_error(what + " '" + path + "' not found");
  if (std::filesystem::is_directory(path, ec)) {
    throw std::runtime_error(what + " '" + path + "' is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + what + " '" + path + "' (check permissions)");
  std::string bytes;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error("cannot read " + what + " '" + path + "' (not a regular file?)");
  bytes.resize(static_cast<size_t>(size));
  in.seekg(0, std::ios::beg);
  if (size > 0 && !in.read(bytes.data(), size)) {
    throw std::runtime_error("cannot read " + what + " '" + path + "' (I/O error)");
  }
  return bytes;
}

// ---------------------------------------------------------------- CIFAR-10

ImageSet parse_cifar10_batch(const uint8_t* data, size_t size, const std::string& name) {
  const std::string where = "CIFAR-10 batch '" + name + "'";
  if (size == 0) {
    throw std::runtime_error(where + " is empty (expected records of " + std::to_string(kCifarRecordBytes) +
                             " bytes: 1 label byte + 3072 pixel bytes)");
  }
  if (size % kCifarRecordBytes != 0) {
    throw std::runtime_error(where + " has " + std::to_string(size) + " bytes, not a whole number of " +
                             std::to_string(kCifarRecordBytes) + "-byte records (truncated download, or not the " +
                             "CIFAR-10 binary version; a batch has 10000 records = 30730000 bytes)");
  }
  ImageSet set;
  set.n = static_cast<int64_t>(size / kCifarRecordBytes);
  set.c = 3;
  set.h = kCifarSide;
  set.w = kCifarSide;
  set.pixels.resize(static_cast<size_t>(set.n * kCifarImageBytes));
  set.labels.resize(static_cast<size_t>(set.n));
  for (int64_t i = 0; i < set.n; ++i) {
    const uint8_t* record = data + i * kCifarRecordBytes;
    if (record[0] > 9) {
      throw std::runtime_error(where + ": record " + std::to_string(i) + " has label " + std::to_string(record[0]) +
                               ", expected 0..9 (CIFAR-100 files have 2 label bytes and are not supported; " +
                               "is this the CIFAR-10 binary version?)");
    }
    set.labels[static_cast<size_t>(i)] = record[0];
    // The record's pixel layout (R, G, B planes, each row-major) is already
    // the C x H x W order of the prepared file.
    std::memcpy(set.pixels.data() + i * kCifarImageBytes, record + 1, kCifarImageBytes);
  }
  return set;
}

ImageSet read_cifar10_batch(const std::string& path) {
  const std::string bytes = read_file(path, "CIFAR-10 batch");
  return parse_cifar10_batch(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

namespace {

void append(ImageSet& to, const ImageSet& from) {
  if (to.n == 0) {
    to.c = from.c;
    to.h = from.h;
    to.w = from.w;
  }
  to.pixels.insert(to.pixels.end(), from.pixels.begin(), from.pixels.end());
  to.labels.insert(to.labels.end(), from.labels.begin(), from.labels.end());
  to.n += from.n;
}

}  // namespace

TrainTest read_cifar10(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw std::runtime_error("CIFAR-10 directory '" + dir +
                             "' not found (expected the extracted cifar-10-batches-bin folder holding "
                             "data_batch_1.bin .. data_batch_5.bin and test_batch.bin)");
  }
  const std::filesystem::path d(dir);
  TrainTest out;
  for (int b = 1; b <= 5; ++b) {
    append(out.train, read_cifar10_batch((d / ("data_batch_" + std::to_string(b) + ".bin")).string()));
  }
  out.test = read_cifar10_batch((d / "test_batch.bin").string());
  return out;
}

// ---------------------------------------------------------------- SVHN (.mat)

namespace {

// matio reports problems through a log function; the default one prints to
// stderr (and aborts on some errors). Ours keeps the last message of this
// thread so it can go into the exception, and never aborts.
thread_local std::string g_matio_message;

void matio_log(int log_level, char* message) {
  if ((log_level & (MATIO_LOG_LEVEL_ERROR | MATIO_LOG_LEVEL_CRITICAL | MATIO_LOG_LEVEL_WARNING)) != 0 &&
      message != nullptr) {
    g_matio_message = message;
  }
}

void init_matio_logging() {
  static std::once_flag once;
  std::call_once(once, [] { Mat_LogInitFunc("latentebm", matio_log); });
}

std::string matio_detail() {
  std::string m = std::move(g_matio_message);
  g_matio_message.clear();
  return m.empty() ? std::string() : " (matio: " + m + ")";
}

struct MatCloser {
  void operator()(mat_t* m) const { Mat_Close(m); }
};
struct VarFreer {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};
using MatPtr = std::unique_ptr<mat_t, MatCloser>;
using VarPtr = std::unique_ptr<matvar_t, VarFreer>;

const char* class_name(matio_classes c) {
  switch (c) {
    case MAT_C_EMPTY: return "empty";
    case MAT_C_CELL: return "cell";
    case MAT_C_STRUCT: return "struct";
    case MAT_C_OBJECT: return "object";
    case MAT_C_CHAR: return "char";
    case MAT_C_SPARSE: return "sparse";
    case MAT_C_DOUBLE: return "double";
    case MAT_C_SINGLE: return "single";
    case MAT_C_INT8: return "int8";
    case MAT_C_UINT8: return "uint8";
    case MAT_C_INT16: return "int16";
    case MAT_C_UINT16: return "uint16";
    case MAT_C_INT32: return "int32";
    case MAT_C_UINT32: return "uint32";
    case MAT_C_INT64: return "int64";
    case MAT_C_UINT64: return "uint64";
    default: return "unsupported";
  }
}

std::string dims_string(const matvar_t* v) {
  std::string s;
  for (int i = 0; i < v->rank; ++i) s += (i ? "x" : "") + std::to_string(v->dims[i]);
  return s.empty() ? "(none)" : s;
}

// Element count of a variable, or 0 when it overflows / has no dimensions.
uint64_t element_count(const matvar_t* v) {
  if (v->rank <= 0 || v->dims == nullptr) return 0;
  uint64_t n = 1;
  for (int i = 0; i < v->rank; ++i) {
    const uint64_t d = v->dims[i];
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / d) return 0;
    n *= d;
  }
  return n;
}

// Value `i` of a real numeric variable as a double (matio stores the data in
// the variable's class type after reading).
bool numeric_at(const matvar_t* v, uint64_t i, double& out) {
  const void* p = v->data;
  switch (v->class_type) {
    case MAT_C_DOUBLE: out = static_cast<const double*>(p)[i]; return true;
    case MAT_C_SINGLE: out = static_cast<const float*>(p)[i]; return true;
    case MAT_C_INT8: out = static_cast<const int8_t*>(p)[i]; return true;
    case MAT_C_UINT8: out = static_cast<const uint8_t*>(p)[i]; return true;
    case MAT_C_INT16: out = static_cast<const int16_t*>(p)[i]; return true;
    case MAT_C_UINT16: out = static_cast<const uint16_t*>(p)[i]; return true;
    case MAT_C_INT32: out = static_cast<const int32_t*>(p)[i]; return true;
    case MAT_C_UINT32: out = static_cast<const uint32_t*>(p)[i]; return true;
    case MAT_C_INT64: out = static_cast<double>(static_cast<const int64_t*>(p)[i]); return true;
    case MAT_C_UINT64: out = static_cast<double>(static_cast<const uint64_t*>(p)[i]); return true;
    default: return false;
  }
}

size_t class_bytes(matio_classes c) {
  switch (c) {
    case MAT_C_DOUBLE: case MAT_C_INT64: case MAT_C_UINT64: return 8;
    case MAT_C_SINGLE: case MAT_C_INT32: case MAT_C_UINT32: return 4;
    case MAT_C_INT16: case MAT_C_UINT16: return 2;
    case MAT_C_INT8: case MAT_C_UINT8: return 1;
    default: return 0;
  }
}

// Reads variable `name`, first checking its header (class, shape and a size
// the file can hold) so that a corrupt header never drives a huge allocation.
VarPtr read_variable(mat_t* mat, const std::string& path, const char* name, uint64_t file_size,
                     const std::string& expect) {
  VarPtr info(Mat_VarReadInfo(mat, name));
  if (!info) {
    throw std::runtime_error("SVHN file '" + path + "' has no variable '" + name + "' (expected " + expect +
                             ")" + matio_detail());
  }
  const size_t elem = class_bytes(info->class_type);
  const uint64_t count = element_count(info.get());
  if (elem == 0 || info->isComplex || info->class_type == MAT_C_SPARSE) {
    throw std::runtime_error("SVHN file '" + path + "': variable '" + name + "' is " +
                             (info->isComplex ? "complex " : "") + class_name(info->class_type) + ", expected " +
                             expect);
  }
  // zlib cannot expand data by more than about 1032:1, so a variable that
  // claims more than that over the file size has a corrupt header.
  if (count == 0 || count > std::numeric_limits<uint64_t>::max() / elem / 2 ||
      count * elem > 1100 * (file_size + 64)) {
    throw std::runtime_error("SVHN file '" + path + "': variable '" + name + "' has dimensions " +
                             dims_string(info.get()) + ", which is empty or larger than the file can hold (" +
                             std::to_string(file_size) + " bytes); expected " + expect);
  }
  VarPtr var(Mat_VarRead(mat, name));
  if (!var || var->data == nullptr) {
    throw std::runtime_error("SVHN file '" + path + "': cannot read variable '" + name +
                             "' (truncated or corrupt file?)" + matio_detail());
  }
  if (var->class_type != info->class_type || element_count(var.get()) != count ||
      var->nbytes < count * elem) {
    throw std::runtime_error("SVHN file '" + path + "': variable '" + name +
                             "' read back inconsistent with its header (corrupt file)");
  }
  return var;
}

}  // namespace

ImageSet read_svhn_mat(const std::string& path) {
  init_matio_logging();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw std::runtime_error("SVHN file '" + path +
                             "' not found (expected train_32x32.mat / test_32x32.mat from the SVHN cropped-digits "
                             "'Format 2' download)");
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw std::runtime_error("SVHN file '" + path + "' is a directory, expected a .mat file");
  }
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw std::runtime_error("cannot stat SVHN file '" + path + "': " + ec.message());
  if (file_size == 0) throw std::runtime_error("SVHN file '" + path + "' is empty (expected a MATLAB 5 .mat file)");

  g_matio_message.clear();
  MatPtr mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!mat) {
    throw std::runtime_error("SVHN file '" + path + "' is not a MATLAB .mat file matio can open" + matio_detail() +
                             " (truncated download, or wrong file?)");
  }

  const std::string x_expect = "uint8 X of size 32x32x3xN ([row, col, channel, n])";
  VarPtr x = read_variable(mat.get(), path, "X", file_size, x_expect);
  // MATLAB drops trailing singleton dimensions: one image is 32x32x3.
  if (x->class_type != MAT_C_UINT8 || (x->rank != 4 && x->rank != 3) || x->dims[2] != 3) {
    throw std::runtime_error("SVHN file '" + path + "': X is " + class_name(x->class_type) + " of size " +
                             dims_string(x.get()) + ", expected " + x_expect);
  }
  const int64_t h = static_cast<int64_t>(x->dims[0]), w = static_cast<int64_t>(x->dims[1]);
  const int64_t n = x->rank == 4 ? static_cast<int64_t>(x->dims[3]) : 1;

  VarPtr y = read_variable(mat.get(), path, "y", file_size, "numeric labels y of size Nx1 with values 1..10");
  const uint64_t ny = element_count(y.get());
  if (y->rank != 2 || (y->dims[0] != 1 && y->dims[1] != 1) || ny != static_cast<uint64_t>(n)) {
    throw std::runtime_error("SVHN file '" + path + "': y has size " + dims_string(y.get()) + " but X holds " +
                             std::to_string(n) + " images; expected y of size " + std::to_string(n) + "x1");
  }

  ImageSet set;
  set.n = n;
  set.c = 3;
  set.h = h;
  set.w = w;
  set.labels.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double v = 0;
    numeric_at(y.get(), static_cast<uint64_t>(i), v);
    if (!(v >= 1 && v <= 10) || v != std::floor(v)) {
      throw std::runtime_error("SVHN file '" + path + "': y(" + std::to_string(i + 1) + ") = " + std::to_string(v) +
                               ", expected an integer 1..10 (10 means digit 0)");
    }
    set.labels[static_cast<size_t>(i)] = static_cast<int64_t>(v) % 10;  // 10 -> digit 0
  }

  // X(r, c, ch, i) sits at r + H*(c + W*(ch + 3*i)) (column-major); the
  // prepared layout wants [i][ch][r][c]: each plane is transposed.
  const auto* src = static_cast<const uint8_t*>(x->data);
  set.pixels.resize(static_cast<size_t>(n * 3 * h * w));
  uint8_t* dst = set.pixels.data();
  for (int64_t plane = 0; plane < n * 3; ++plane) {
    const uint8_t* sp = src + plane * h * w;
    uint8_t* dp = dst + plane * h * w;
    for (int64_t r = 0; r < h; ++r) {
      for (int64_t c = 0; c < w; ++c) dp[r * w + c] = sp[r + h * c];
    }
  }
  return set;
}

}  // namespace latentebm::data
