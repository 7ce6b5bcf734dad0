#include "io/npz.h"

#include <unistd.h>
#include <zip.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "io/atomic_file.h"

namespace latentebm::npz {

namespace {

std::string zip_error_text(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string s = zip_error_strerror(&err);
  zip_error_fini(&err);
  return s;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
  return s + ")";
}

// Value of `'key': ` in a .npy header dict, up to the next top-level comma.
std::string header_value(const std::string& header, const std::string& key, const std::string& where) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) throw std::runtime_error(where + ": .npy header lacks '" + key + "': " + header);
  auto p = header.find(':', k);
  if (p == std::string::npos) throw std::runtime_error(where + ": malformed .npy header: " + header);
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  size_t e = p;
  if (header[p] == '(') e = header.find(')', p) + 1;
  else if (header[p] == '\'') e = header.find('\'', p + 1) + 1;
  else while (e < header.size() && header[e] != ',' && header[e] != '}') ++e;
  return header.substr(p, e - p);
}

}  // namespace

int64_t Array::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

int64_t dtype_size(const std::string& dtype) {
  if (dtype == "|u1" || dtype == "|i1" || dtype == "|b1") return 1;
  if (dtype == "<f4" || dtype == "<i4") return 4;
  if (dtype == "<f8" || dtype == "<i8") return 8;
  throw std::invalid_argument("npz: unsupported dtype '" + dtype + "' (|u1, |i1, <i4, <i8, <f4, <f8)");
}

std::vector<uint8_t> to_npy(const Array& a) {
  if (static_cast<int64_t>(a.data.size()) != a.numel() * dtype_size(a.dtype))
    throw std::invalid_argument("npz: array '" + a.name + "' has " + std::to_string(a.data.size()) + " bytes, shape " +
                                shape_text(a.shape) + " of " + a.dtype + " needs " +
                                std::to_string(a.numel() * dtype_size(a.dtype)));
  std::string header = "{'descr': '" + a.dtype + "', 'fortran_order': False, 'shape': " + shape_text(a.shape) + ", }";
  // magic(6) + version(2) + length(2) + header + '\n' must be a multiple of 64.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) throw std::invalid_argument("npz: header too long for .npy version 1.0");
  const uint8_t prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(header.size() & 0xff),
                              static_cast<uint8_t>(header.size() >> 8)};
  std::vector<uint8_t> out(10 + header.size() + a.data.size());
  std::memcpy(out.data(), prefix, 10);
  std::memcpy(out.data() + 10, header.data(), header.size());
  if (!a.data.empty()) std::memcpy(out.data() + 10 + header.size(), a.data.data(), a.data.size());
  return out;
}

Array from_npy(const std::string& name, const std::vector<uint8_t>& b) {
  const std::string where = "npz member '" + name + ".npy'";
  if (b.size() < 10 || b[0] != 0x93 || std::memcmp(b.data() + 1, "NUMPY", 5) != 0)
    throw std::runtime_error(where + ": not a .npy file (bad magic)");
  size_t header_len = 0, offset = 0;
  if (b[6] == 1) {
    header_len = b[8] | (size_t{b[9]} << 8);
    offset = 10;
  } else if (b[6] == 2 || b[6] == 3) {
    if (b.size() < 12) throw std::runtime_error(where + ": truncated header");
    header_len = b[8] | (size_t{b[9]} << 8) | (size_t{b[10]} << 16) | (size_t{b[11]} << 24);
    offset = 12;
  } else {
    throw std::runtime_error(where + ": unsupported .npy version " + std::to_string(b[6]));
  }
  if (offset + header_len > b.size()) throw std::runtime_error(where + ": truncated header");
  const std::string header(reinterpret_cast<const char*>(b.data() + offset), header_len);
  Array a;
  a.name = name;
  auto descr = header_value(header, "descr", where);
  a.dtype = descr.size() >= 2 ? descr.substr(1, descr.size() - 2) : descr;
  if (header_value(header, "fortran_order", where) != "False")
    throw std::runtime_error(where + ": Fortran-order arrays are not supported");
  const auto shape = header_value(header, "shape", where);
  for (size_t p = 1; p < shape.size();) {
    while (p < shape.size() && (shape[p] == ' ' || shape[p] == ',')) ++p;
    if (p >= shape.size() || shape[p] == ')') break;
    size_t used = 0;
    a.shape.push_back(std::stoll(shape.substr(p), &used));
    p += used;
  }
  const size_t bytes = static_cast<size_t>(a.numel() * dtype_size(a.dtype));
  if (b.size() - offset - header_len != bytes)
    throw std::runtime_error(where + ": " + std::to_string(b.size() - offset - header_len) + " data bytes, shape " +
                             shape_text(a.shape) + " needs " + std::to_string(bytes));
  a.data.assign(b.begin() + static_cast<std::ptrdiff_t>(offset + header_len), b.end());
  return a;
}

namespace {
int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}
}  // namespace

Array uint8_array(const std::string& name, std::vector<uint8_t> bytes, const std::vector<int64_t>& shape) {
  if (product(shape) != static_cast<int64_t>(bytes.size()))
    throw std::invalid_argument("npz array '" + name + "': shape does not match its " + std::to_string(bytes.size()) + " bytes");
  return Array{name, "|u1", shape, std::move(bytes)};
}

Array float32_array(const std::string& name, const float* values, const std::vector<int64_t>& shape) {
  const auto* p = reinterpret_cast<const uint8_t*>(values);
  return Array{name, "<f4", shape, std::vector<uint8_t>(p, p + product(shape) * 4)};
}

void write(const std::string& path, const std::vector<Array>& arrays) {
  // Every array is checked (and encoded) before the file is created. libzip
  // reads the buffers at zip_close(): they stay alive until then.
  std::vector<std::vector<uint8_t>> buffers;
  buffers.reserve(arrays.size());
  for (const auto& a : arrays) buffers.push_back(to_npy(a));
  io::AtomicFile file(path);
  const std::string& tmp = file.temp_path();
  int code = 0;
  zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (!z) throw std::runtime_error("cannot create '" + tmp + "': " + zip_error_text(code));
  try {
    for (size_t i = 0; i < arrays.size(); ++i) {
      const auto& a = arrays[i];
      zip_source_t* src = zip_source_buffer(z, buffers[i].data(), buffers[i].size(), 0);
      if (!src) throw std::runtime_error(zip_strerror(z));
      const std::string member = a.name + ".npy";
      const zip_int64_t idx = zip_file_add(z, member.c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
      if (idx < 0) {
        zip_source_free(src);
        throw std::runtime_error(zip_strerror(z));
      }
      if (zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_DEFLATE, 0) != 0)
        throw std::runtime_error(zip_strerror(z));
    }
    if (zip_close(z) != 0) throw std::runtime_error(zip_strerror(z));
  } catch (const std::exception& e) {
    zip_discard(z);
    throw std::runtime_error("writing '" + path + "': " + e.what());
  }
  file.commit();
}

std::vector<Array> read(const std::string& path) {
  int code = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &code);
  if (!z) throw std::runtime_error("cannot open '" + path + "' as a zip (.npz) file: " + zip_error_text(code));
  std::vector<Array> out;
  try {
    const zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      zip_stat_t st;
      if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) != 0) throw std::runtime_error(zip_strerror(z));
      std::string name = st.name;
      if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0) continue;
      std::vector<uint8_t> bytes(static_cast<size_t>(st.size));
      zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
      if (!f) throw std::runtime_error(zip_strerror(z));
      const zip_int64_t got = zip_fread(f, bytes.data(), bytes.size());
      zip_fclose(f);
      if (got != static_cast<zip_int64_t>(bytes.size())) throw std::runtime_error("short read of member " + name);
      out.push_back(from_npy(name.substr(0, name.size() - 4), bytes));
    }
  } catch (const std::exception& e) {
    zip_discard(z);
    throw std::runtime_error("reading '" + path + "': " + e.what());
  }
  zip_discard(z);
  return out;
}

}  // namespace latentebm::npz
