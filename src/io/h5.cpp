// HDF5 C API behind the h5::File interface. Every HDF5 handle lives in a
// small RAII holder so that an exception thrown half way through a call never
// leaks identifiers, and every failure becomes a std::runtime_error naming the
// file, the object and, where HDF5 says something useful, the innermost entry
// of its error stack.
#include "io/h5.h"

#include "io/io_stats.h"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace latentebm::h5 {
namespace {

// H5Pset_file_locking exists in 1.10.7+ and 1.12.1+, but not in 1.12.0.
#if H5_VERSION_GE(1, 12, 1) || (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 12, 0))
#define LATENTEBM_H5_HAVE_FILE_LOCKING 1
#else
#define LATENTEBM_H5_HAVE_FILE_LOCKING 0
#endif

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
#if !LATENTEBM_H5_HAVE_FILE_LOCKING
    // Older libraries only read this variable; it must be set before the
    // first file is opened. An explicit setting by the user wins.
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
#endif
    H5open();
    // We report errors ourselves, as exceptions; HDF5's own printing to
    // stderr would only add noise (and does so for harmless probes too).
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

// The innermost description on the current error stack, then clear it.
herr_t walk_error(unsigned /*n*/, const H5E_error2_t* err, void* client) {
  auto* out = static_cast<std::string*>(client);
  if (err->desc != nullptr && err->desc[0] != '\0') *out = err->desc;
  return 0;
}

std::string hdf5_detail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_error, &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail.empty() ? std::string() : " (HDF5: " + detail + ")";
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("HDF5 file '" + path + "': " + what + hdf5_detail());
}

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer closer_;
};

std::string normalize(const std::string& name) {
  if (name.empty() || name[0] != '/') return "/" + name;
  return name;
}

std::string describe_type(hid_t type) {
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      return std::string(is_signed ? "int" : "uint") + std::to_string(size * 8);
    }
    case H5T_FLOAT:
      return "float" + std::to_string(size * 8);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    default:
      return "an unsupported type";
  }
}

// The element types this wrapper stores. The predefined HDF5 type ids are
// globals set up by H5open, so they are looked up at call time.
enum class Element { F32, U8, I64 };

struct ElementType {
  Element kind;
  const char* label;
  H5T_class_t cls;
  size_t size;
  H5T_sign_t sign;  // ignored for floats

  hid_t file_type() const {
    switch (kind) {
      case Element::F32: return H5T_IEEE_F32LE;
      case Element::U8: return H5T_STD_U8LE;
      case Element::I64: return H5T_STD_I64LE;
    }
    return -1;
  }
  hid_t mem_type() const {
    switch (kind) {
      case Element::F32: return H5T_NATIVE_FLOAT;
      case Element::U8: return H5T_NATIVE_UINT8;
      case Element::I64: return H5T_NATIVE_INT64;
    }
    return -1;
  }
};

const ElementType kF32{Element::F32, "float32", H5T_FLOAT, 4, H5T_SGN_ERROR};
const ElementType kU8{Element::U8, "uint8", H5T_INTEGER, 1, H5T_SGN_NONE};
const ElementType kI64{Element::I64, "int64", H5T_INTEGER, 8, H5T_SGN_2};

bool type_matches(hid_t type, const ElementType& want) {
  if (H5Tget_class(type) != want.cls || H5Tget_size(type) != want.size) return false;
  return want.cls != H5T_INTEGER || H5Tget_sign(type) == want.sign;
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

// ---------------------------------------------------------------- lifetime

File::File(const std::string& path, Mode mode) : path_(path) {
  init_library();
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.ok()) fail(path_, "cannot create a file access property list");
#if LATENTEBM_H5_HAVE_FILE_LOCKING
  // Shared cluster file systems often reject the lock; we never rely on it.
  H5Pset_file_locking(fapl.get(), false, true);
#endif

  hid_t id = -1;
  if (mode == Mode::Truncate) {
    id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
    if (id < 0) {
      throw std::runtime_error("cannot create HDF5 file '" + path +
                               "' (check that the directory exists and is writable)" + hdf5_detail());
    }
  } else {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw std::runtime_error("cannot open '" + path + "': no such file (check the path / re-run prepare)");
    }
    const unsigned flags = mode == Mode::Read ? H5F_ACC_RDONLY : H5F_ACC_RDWR;
    io::count_open();
    id = H5Fopen(path.c_str(), flags, fapl.get());
    if (id < 0) {
      throw std::runtime_error("cannot open '" + path +
                               "': not an HDF5 file or unreadable (check the path / re-run prepare)" +
                               hdf5_detail());
    }
  }
  id_ = id;
}

File::~File() {
  if (id_ >= 0) {
    H5Fclose(id_);
    H5Eclear2(H5E_DEFAULT);
    id_ = -1;
  }
}

File::File(File&& other) noexcept : path_(std::move(other.path_)), id_(other.id_) { other.id_ = -1; }

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0) {
      H5Fclose(id_);
      H5Eclear2(H5E_DEFAULT);
    }
    path_ = std::move(other.path_);
    id_ = other.id_;
    other.id_ = -1;
  }
  return *this;
}

void File::close() {
  if (id_ < 0) return;
  const hid_t id = id_;
  id_ = -1;
  if (H5Fclose(id) < 0) fail(path_, "close failed");
}

void File::flush() {
  if (id_ < 0) fail(path_, "flush on a closed file");
  unsigned intent = 0;
  if (H5Fget_intent(id_, &intent) >= 0 && intent == H5F_ACC_RDONLY) return;
  if (H5Fflush(id_, H5F_SCOPE_LOCAL) < 0) fail(path_, "flush failed");
  // H5Fflush only hands the bytes to the OS; fsync makes them durable
  // (checkpoints must survive a node dying right after they are written).
  void* handle = nullptr;
  if (H5Fget_vfd_handle(id_, H5P_DEFAULT, &handle) < 0 || handle == nullptr) {
    fail(path_, "cannot get the file descriptor to fsync");
  }
  const int fd = *static_cast<int*>(handle);
  if (fsync(fd) != 0) {
    throw std::runtime_error("HDF5 file '" + path_ + "': fsync failed: " + std::strerror(errno));
  }
}

// ---------------------------------------------------------------- structure

bool File::has(const std::string& name) const {
  if (id_ < 0) fail(path_, "query on a closed file");
  const std::string full = normalize(name);
  // H5Lexists fails (rather than returning false) when an intermediate
  // component is missing, so walk the path one component at a time.
  size_t pos = 1;
  while (pos <= full.size()) {
    size_t next = full.find('/', pos);
    if (next == std::string::npos) next = full.size();
    if (next > pos) {
      const std::string prefix = full.substr(0, next);
      const htri_t link = H5Lexists(id_, prefix.c_str(), H5P_DEFAULT);
      if (link <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
      // Dangling soft links exist as links but not as objects.
      const htri_t object = H5Oexists_by_name(id_, prefix.c_str(), H5P_DEFAULT);
      if (object <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
    }
    pos = next + 1;
  }
  return true;
}

namespace {

Handle open_dataset(const File& file, hid_t fid, const std::string& name) {
  const std::string full = normalize(name);
  if (!file.has(full)) {
    throw std::runtime_error("HDF5 file '" + file.path() + "': no dataset '" + full +
                             "' (was the file written by this version of latentebm?)");
  }
  // No chunk cache: a read of a few rows of a chunk then fetches those rows
  // only, not the whole chunk (about 1 MiB for prepared images). A rank's
  // training examples are scattered over the file, so with a cache every
  // example cost a chunk and start-up read the dataset many times over.
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  if (!dapl.ok() || H5Pset_chunk_cache(dapl.get(), 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0)
    fail(file.path(), "cannot set the chunk cache of '" + full + "'");
  Handle ds(H5Dopen2(fid, full.c_str(), dapl.get()), H5Dclose);
  if (!ds.ok()) fail(file.path(), "'" + full + "' is not a dataset");
  return ds;
}

std::vector<int64_t> dataspace_dims(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) return {};
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

}  // namespace

std::vector<int64_t> File::shape(const std::string& name) const {
  Handle ds = open_dataset(*this, id_, name);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  if (!space.ok()) fail(path_, "cannot get the dataspace of '" + normalize(name) + "'");
  return dataspace_dims(space.get());
}

std::vector<std::string> File::list(const std::string& group) const {
  const std::string full = normalize(group);
  if (!has(full)) fail(path_, "no group '" + full + "'");
  Handle g(H5Gopen2(id_, full.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.ok()) fail(path_, "'" + full + "' is not a group");
  H5G_info_t info;
  if (H5Gget_info(g.get(), &info) < 0) fail(path_, "cannot list group '" + full + "'");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len =
        H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail(path_, "cannot list group '" + full + "'");
    std::string name(static_cast<size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<size_t>(len));
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// ---------------------------------------------------------------- datasets

namespace {

// Creates dataset `name` of element type `type`, shape `shape`, optionally
// chunked by `chunk_rows` leading rows. Returns the open dataset.
// extendible: the leading dimension may later grow or shrink (set_rows);
// such a dataset is always chunked.
Handle create_dataset(File& file, hid_t fid, const std::string& name, const ElementType& type,
                      const std::vector<int64_t>& shape, int64_t chunk_rows, bool extendible = false) {
  const std::string full = normalize(name);
  if (full == "/" || full.back() == '/') fail(file.path(), "invalid dataset name '" + name + "'");
  for (int64_t d : shape) {
    if (d < 0) fail(file.path(), "negative dimension in shape " + shape_string(shape) + " for '" + full + "'");
  }
  if (chunk_rows < 0) fail(file.path(), "negative chunk_rows for '" + full + "'");
  if (file.has(full)) {
    fail(file.path(), "dataset '" + full + "' already exists (datasets are written once)");
  }

  if (extendible && (shape.empty() || chunk_rows <= 0)) {
    fail(file.path(), "an extendible dataset needs at least one dimension and chunk_rows > 0 ('" + full + "')");
  }
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  std::vector<hsize_t> maxdims = dims;
  if (extendible) maxdims[0] = H5S_UNLIMITED;
  Handle space(shape.empty() ? H5Screate(H5S_SCALAR)
                             : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxdims.data()),
               H5Sclose);
  if (!space.ok()) fail(file.path(), "cannot create the dataspace for '" + full + "'");

  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!lcpl.ok() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0) {
    fail(file.path(), "cannot create a link creation property list");
  }
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!dcpl.ok()) fail(file.path(), "cannot create a dataset creation property list");
  // A chunk may not exceed a fixed dimension, so empty datasets (and scalars)
  // stay contiguous; the leading chunk dimension is clamped to the row count.
  // An extendible dataset has no fixed row count to clamp to.
  if (chunk_rows > 0 && !shape.empty() && (extendible || element_count(shape) > 0)) {
    std::vector<hsize_t> chunk = dims;
    for (size_t d = 1; d < chunk.size(); ++d) chunk[d] = std::max<hsize_t>(chunk[d], 1);
    chunk[0] = static_cast<hsize_t>(extendible ? chunk_rows : std::min(chunk_rows, shape[0]));
    if (H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) < 0) {
      fail(file.path(), "cannot set chunking for '" + full + "'");
    }
  }

  Handle ds(H5Dcreate2(fid, full.c_str(), type.file_type(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
            H5Dclose);
  if (!ds.ok()) fail(file.path(), "cannot create dataset '" + full + "' (is the file open for writing?)");
  return ds;
}

void write_whole(File& file, hid_t fid, const std::string& name, const ElementType& type, const void* data,
                 const std::vector<int64_t>& shape, int64_t chunk_rows) {
  if (data == nullptr && element_count(shape) > 0) fail(file.path(), "null data for '" + normalize(name) + "'");
  Handle ds = create_dataset(file, fid, name, type, shape, chunk_rows);
  if (element_count(shape) == 0) return;
  if (H5Dwrite(ds.get(), type.mem_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    fail(file.path(), "cannot write dataset '" + normalize(name) + "'");
  }
}

// Opens `name` and checks that its elements are of `type`.
Handle open_typed(const File& file, hid_t fid, const std::string& name, const ElementType& type) {
  Handle ds = open_dataset(file, fid, name);
  Handle dtype(H5Dget_type(ds.get()), H5Tclose);
  if (!dtype.ok()) fail(file.path(), "cannot get the element type of '" + normalize(name) + "'");
  if (!type_matches(dtype.get(), type)) {
    throw std::runtime_error("HDF5 file '" + file.path() + "': dataset '" + normalize(name) + "' holds " +
                             describe_type(dtype.get()) + " elements, but " + type.label +
                             " was expected (was the file written by another tool or version?)");
  }
  // A compact or contiguous dataset whose stored bytes fall short of what its
  // shape needs is damaged, and libhdf5 1.10 reads a compact one from a NULL
  // buffer (it crashes; docs/FUZZING.md). Refuse it before H5Dread. (A
  // contiguous dataset never written has no storage: it reads as fill values.)
  Handle dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const H5D_layout_t layout = dcpl.ok() ? H5Pget_layout(dcpl.get()) : H5D_LAYOUT_ERROR;
  const hssize_t points = space.ok() ? H5Sget_simple_extent_npoints(space.get()) : -1;
  if (points < 0) fail(file.path(), "cannot get the size of '" + normalize(name) + "'");
  if (layout == H5D_COMPACT || layout == H5D_CONTIGUOUS) {
    const unsigned long long need = static_cast<unsigned long long>(points) * H5Tget_size(dtype.get());
    const unsigned long long have = H5Dget_storage_size(ds.get());
    if (have < need && (layout == H5D_COMPACT || have > 0))
      throw std::runtime_error("HDF5 file '" + file.path() + "': dataset '" + normalize(name) + "' stores " +
                               std::to_string(have) + " bytes, but its shape needs " + std::to_string(need) +
                               " (the file is damaged: use another copy)");
  }
  return ds;
}

template <typename T>
std::vector<T> read_whole(const File& file, hid_t fid, const std::string& name, const ElementType& type) {
  Handle ds = open_typed(file, fid, name, type);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) fail(file.path(), "cannot get the size of '" + normalize(name) + "'");
  std::vector<T> out(static_cast<size_t>(n));
  if (n == 0) return out;
  if (H5Dread(ds.get(), type.mem_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    fail(file.path(), "cannot read dataset '" + normalize(name) + "'");
  }
  return out;
}

// Selects rows [begin, begin + rows) of the leading dimension in `space`
// and returns the matching memory dataspace dimensions.
std::vector<hsize_t> select_rows(const File& file, const std::string& name, hid_t space, int64_t begin,
                                 int64_t rows) {
  const std::vector<int64_t> dims = dataspace_dims(space);
  if (dims.empty()) fail(file.path(), "'" + normalize(name) + "' is a scalar; it has no rows");
  if (begin < 0 || rows < 0 || begin + rows > dims[0]) {
    throw std::runtime_error("HDF5 file '" + file.path() + "': rows [" + std::to_string(begin) + ", " +
                             std::to_string(begin + rows) + ") are out of range for '" + normalize(name) +
                             "' with " + std::to_string(dims[0]) + " rows");
  }
  std::vector<hsize_t> start(dims.size(), 0), count(dims.begin(), dims.end());
  start[0] = static_cast<hsize_t>(begin);
  count[0] = static_cast<hsize_t>(rows);
  if (rows > 0 && H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0) {
    fail(file.path(), "cannot select rows of '" + normalize(name) + "'");
  }
  return count;
}

template <typename T>
std::vector<T> read_rows(const File& file, hid_t fid, const std::string& name, const ElementType& type,
                         int64_t begin, int64_t end) {
  Handle ds = open_typed(file, fid, name, type);
  Handle fspace(H5Dget_space(ds.get()), H5Sclose);
  if (end < begin) {
    throw std::runtime_error("HDF5 file '" + file.path() + "': invalid row range [" + std::to_string(begin) +
                             ", " + std::to_string(end) + ") for '" + normalize(name) + "'");
  }
  const std::vector<hsize_t> count = select_rows(file, name, fspace.get(), begin, end - begin);
  size_t n = 1;
  for (hsize_t c : count) n *= static_cast<size_t>(c);
  std::vector<T> out(n);
  if (n == 0) return out;
  Handle mspace(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  if (H5Dread(ds.get(), type.mem_type(), mspace.get(), fspace.get(), H5P_DEFAULT, out.data()) < 0) {
    fail(file.path(), "cannot read rows of '" + normalize(name) + "'");
  }
  return out;
}

}  // namespace

void File::write_f32(const std::string& name, const float* data, const std::vector<int64_t>& shape,
                     int64_t chunk_rows) {
  write_whole(*this, id_, name, kF32, data, shape, chunk_rows);
}

void File::write_u8(const std::string& name, const uint8_t* data, const std::vector<int64_t>& shape,
                    int64_t chunk_rows) {
  write_whole(*this, id_, name, kU8, data, shape, chunk_rows);
}

void File::write_i64(const std::string& name, const int64_t* data, const std::vector<int64_t>& shape,
                     int64_t chunk_rows) {
  write_whole(*this, id_, name, kI64, data, shape, chunk_rows);
}

namespace {

void write_rows(File& file, hid_t fid, const std::string& name, const ElementType& type, int64_t row_begin,
                const void* data, int64_t rows) {
  Handle ds = open_typed(file, fid, name, type);
  Handle fspace(H5Dget_space(ds.get()), H5Sclose);
  const std::vector<hsize_t> count = select_rows(file, name, fspace.get(), row_begin, rows);
  size_t n = 1;
  for (hsize_t c : count) n *= static_cast<size_t>(c);
  if (n == 0) return;
  if (data == nullptr) fail(file.path(), "null data for '" + normalize(name) + "'");
  Handle mspace(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  if (H5Dwrite(ds.get(), type.mem_type(), mspace.get(), fspace.get(), H5P_DEFAULT, data) < 0) {
    fail(file.path(), "cannot write rows of '" + normalize(name) + "' (is the file open for writing?)");
  }
}

}  // namespace

void File::create_u8(const std::string& name, const std::vector<int64_t>& shape, int64_t chunk_rows) {
  if (shape.empty()) fail(path_, "create_u8 needs at least one dimension for '" + normalize(name) + "'");
  create_dataset(*this, id_, name, kU8, shape, chunk_rows, /*extendible=*/true);
}

void File::create_i64(const std::string& name, const std::vector<int64_t>& shape, int64_t chunk_rows) {
  if (shape.empty()) fail(path_, "create_i64 needs at least one dimension for '" + normalize(name) + "'");
  create_dataset(*this, id_, name, kI64, shape, chunk_rows, /*extendible=*/true);
}

void File::write_u8_rows(const std::string& name, int64_t row_begin, const uint8_t* data, int64_t rows) {
  write_rows(*this, id_, name, kU8, row_begin, data, rows);
}

void File::write_i64_rows(const std::string& name, int64_t row_begin, const int64_t* data, int64_t rows) {
  write_rows(*this, id_, name, kI64, row_begin, data, rows);
}

void File::set_rows(const std::string& name, int64_t rows) {
  if (rows < 0) fail(path_, "negative row count for '" + normalize(name) + "'");
  Handle ds = open_dataset(*this, id_, name);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  std::vector<int64_t> dims = dataspace_dims(space.get());
  if (dims.empty()) fail(path_, "'" + normalize(name) + "' is a scalar; it has no rows");
  std::vector<hsize_t> maxdims(dims.size());
  H5Sget_simple_extent_dims(space.get(), nullptr, maxdims.data());
  if (maxdims[0] != H5S_UNLIMITED && static_cast<hsize_t>(rows) > maxdims[0]) {
    fail(path_, "'" + normalize(name) + "' was not created extendible (create_u8 / create_i64); cannot resize it");
  }
  std::vector<hsize_t> size(dims.begin(), dims.end());
  size[0] = static_cast<hsize_t>(rows);
  if (H5Dset_extent(ds.get(), size.data()) < 0) fail(path_, "cannot resize '" + normalize(name) + "'");
}

std::vector<float> File::read_f32(const std::string& name) const {
  return read_whole<float>(*this, id_, name, kF32);
}

std::vector<uint8_t> File::read_u8(const std::string& name) const {
  return read_whole<uint8_t>(*this, id_, name, kU8);
}

std::vector<int64_t> File::read_i64(const std::string& name) const {
  return read_whole<int64_t>(*this, id_, name, kI64);
}

std::vector<uint8_t> File::read_u8_rows(const std::string& name, int64_t begin, int64_t end) const {
  return read_rows<uint8_t>(*this, id_, name, kU8, begin, end);
}

std::vector<float> File::read_f32_rows(const std::string& name, int64_t begin, int64_t end) const {
  return read_rows<float>(*this, id_, name, kF32, begin, end);
}

std::vector<int64_t> File::read_i64_rows(const std::string& name, int64_t begin, int64_t end) const {
  return read_rows<int64_t>(*this, id_, name, kI64, begin, end);
}

// ---------------------------------------------------------------- attributes

namespace {

Handle open_object(const File& file, hid_t fid, const std::string& object) {
  const std::string full = normalize(object);
  if (!file.has(full)) fail(file.path(), "no object '" + full + "' to hold attributes");
  Handle obj(H5Oopen(fid, full.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.ok()) fail(file.path(), "cannot open object '" + full + "'");
  return obj;
}

std::string attr_where(const std::string& object, const std::string& key) {
  return "attribute '" + key + "' of '" + normalize(object) + "'";
}

// Writes one scalar attribute, replacing any existing one of the same name.
void write_attr(const File& file, hid_t fid, const std::string& object, const std::string& key, hid_t file_type,
                hid_t mem_type, const void* value) {
  Handle obj = open_object(file, fid, object);
  const htri_t exists = H5Aexists(obj.get(), key.c_str());
  if (exists < 0) fail(file.path(), "cannot query " + attr_where(object, key));
  if (exists > 0 && H5Adelete(obj.get(), key.c_str()) < 0) {
    fail(file.path(), "cannot replace " + attr_where(object, key) + " (is the file open for writing?)");
  }
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj.get(), key.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) fail(file.path(), "cannot create " + attr_where(object, key) + " (is the file open for writing?)");
  if (H5Awrite(attr.get(), mem_type, value) < 0) fail(file.path(), "cannot write " + attr_where(object, key));
}

Handle open_attr(const File& file, hid_t fid, const std::string& object, const std::string& key) {
  Handle obj = open_object(file, fid, object);
  if (H5Aexists(obj.get(), key.c_str()) <= 0) {
    fail(file.path(), "missing " + attr_where(object, key) + " (was the file written by latentebm?)");
  }
  Handle attr(H5Aopen(obj.get(), key.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) fail(file.path(), "cannot open " + attr_where(object, key));
  return attr;
}

// Attributes hold a single value; reject arrays rather than read one element.
void require_scalar(const File& file, hid_t attr, const std::string& object, const std::string& key) {
  Handle space(H5Aget_space(attr), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    fail(file.path(), attr_where(object, key) + " is not a single value");
  }
}

}  // namespace

void File::set_attr(const std::string& object, const std::string& key, const std::string& value) {
  // Fixed-length string sized to the value (HDF5 rejects size 0).
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<size_t>(1, value.size()));
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  std::string buffer = value;
  if (buffer.empty()) buffer.push_back('\0');
  write_attr(*this, id_, object, key, type.get(), type.get(), buffer.data());
}

void File::set_attr(const std::string& object, const std::string& key, int64_t value) {
  write_attr(*this, id_, object, key, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void File::set_attr(const std::string& object, const std::string& key, double value) {
  write_attr(*this, id_, object, key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

bool File::has_attr(const std::string& object, const std::string& key) const {
  if (!has(object)) return false;
  Handle obj = open_object(*this, id_, object);
  const htri_t exists = H5Aexists(obj.get(), key.c_str());
  if (exists < 0) fail(path_, "cannot query " + attr_where(object, key));
  return exists > 0;
}

std::string File::attr_str(const std::string& object, const std::string& key) const {
  Handle attr = open_attr(*this, id_, object, key);
  require_scalar(*this, attr.get(), object, key);
  Handle ftype(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_STRING) {
    fail(path_, attr_where(object, key) + " is " + describe_type(ftype.get()) + ", not a string");
  }
  if (H5Tis_variable_str(ftype.get()) > 0) {
    // Written by other tools (h5py writes variable-length strings).
    Handle mtype(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mtype.get(), H5T_VARIABLE);
    char* raw = nullptr;
    if (H5Aread(attr.get(), mtype.get(), &raw) < 0) fail(path_, "cannot read " + attr_where(object, key));
    std::string value = raw != nullptr ? raw : "";
    H5free_memory(raw);
    return value;
  }
  const size_t size = H5Tget_size(ftype.get());
  std::string value(size, '\0');
  Handle mtype(H5Tcopy(ftype.get()), H5Tclose);
  if (H5Aread(attr.get(), mtype.get(), value.data()) < 0) fail(path_, "cannot read " + attr_where(object, key));
  // Null padding (ours) or a terminator (null-terminated strings) ends the value.
  const size_t end = value.find('\0');
  if (end != std::string::npos) value.resize(end);
  return value;
}

int64_t File::attr_i64(const std::string& object, const std::string& key) const {
  Handle attr = open_attr(*this, id_, object, key);
  require_scalar(*this, attr.get(), object, key);
  Handle ftype(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_INTEGER) {
    fail(path_, attr_where(object, key) + " is " + describe_type(ftype.get()) + ", not an integer");
  }
  int64_t value = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_INT64, &value) < 0) fail(path_, "cannot read " + attr_where(object, key));
  return value;
}

double File::attr_f64(const std::string& object, const std::string& key) const {
  Handle attr = open_attr(*this, id_, object, key);
  require_scalar(*this, attr.get(), object, key);
  Handle ftype(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_FLOAT) {
    fail(path_, attr_where(object, key) + " is " + describe_type(ftype.get()) + ", not a floating-point number");
  }
  double value = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value) < 0) fail(path_, "cannot read " + attr_where(object, key));
  return value;
}

}  // namespace latentebm::h5
