// safetensors I/O. The header parser is a small non-recursive reader for exactly the JSON the
// format allows (an object of objects/strings), so a hostile header cannot recurse deeply,
// allocate without bound or escape the file's data section.
#include "tensorforge/serialize.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/frontend.h"

namespace tensorforge {

using namespace core;

namespace {

constexpr uint64_t kMaxHeader = uint64_t{100} << 20;  // the format's own limit: 100 MB

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  fail<IOError>("load", "'", path, "' is not a valid safetensors file: ", why);
}

// ---- a strict reader for the header's JSON subset ---------------------------------------
class HeaderReader {
 public:
  HeaderReader(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  bool peek(char c) {
    ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  void expect(char c) {
    ws();
    if (i_ >= s_.size() || s_[i_] != c) bad(path_, std::string("expected '") + c + "' in the header at byte " + std::to_string(i_));
    ++i_;
  }
  std::string str() {
    expect('"');
    std::string out;
    while (true) {
      if (i_ >= s_.size()) bad(path_, "unterminated string in the header");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) bad(path_, "unterminated escape in the header");
      const char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) bad(path_, "bad \\u escape in the header");
          unsigned cp = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= h - '0';
            else if (h >= 'a' && h <= 'f') cp |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') cp |= h - 'A' + 10;
            else bad(path_, "bad \\u escape in the header");
          }
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: bad(path_, "bad escape in the header");
      }
    }
  }
  uint64_t uint() {
    ws();
    if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') bad(path_, "expected a non-negative integer in the header at byte " + std::to_string(i_));
    uint64_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      const uint64_t d = static_cast<uint64_t>(s_[i_++] - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) bad(path_, "integer overflow in the header");
      v = v * 10 + d;
    }
    return v;
  }
  std::vector<uint64_t> uint_list() {
    std::vector<uint64_t> out;
    expect('[');
    if (peek(']')) {
      ++i_;
      return out;
    }
    while (true) {
      out.push_back(uint());
      if (out.size() > 64) bad(path_, "more than 64 dimensions");
      if (peek(',')) {
        ++i_;
        continue;
      }
      expect(']');
      return out;
    }
  }
  bool done() {
    ws();
    return i_ >= s_.size();
  }
  size_t pos() const { return i_; }

 private:
  const std::string& s_;
  const std::string& path_;
  size_t i_ = 0;
};

struct Entry {
  std::string name;
  std::string dtype;
  std::vector<uint64_t> shape;
  uint64_t begin = 0, end = 0;
};

struct FileDType {
  const char* name;
  int64_t bytes;
  DType loads_as;
};

const FileDType kFileDTypes[] = {
    {"F32", 4, DType::Float32}, {"F64", 8, DType::Float64}, {"I32", 4, DType::Int32}, {"I64", 8, DType::Int64},
    {"BOOL", 1, DType::Bool},   {"F16", 2, DType::Float32}, {"BF16", 2, DType::Float32},
    {"I8", 1, DType::Int32},    {"U8", 1, DType::Int32},    {"I16", 2, DType::Int32},  {"U16", 2, DType::Int32},
};

const FileDType* find_dtype(const std::string& name) {
  for (const FileDType& d : kFileDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

const char* file_dtype_name(DType dt) {
  switch (dt) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int32: return "I32";
    case DType::Int64: return "I64";
    case DType::Bool: return "BOOL";
  }
  return "F32";
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3FF) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Converts one entry's raw little-endian bytes to a tensor.
Tensor decode(const Entry& e, const FileDType& fd, const char* data) {
  Shape shape(e.shape.begin(), e.shape.end());
  Tensor t = Tensor::empty(shape, fd.loads_as);
  const int64_t n = t.numel();
  const std::string name = fd.name;
  if (name == "F16" || name == "BF16") {
    float* out = t.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, data + 2 * i, 2);
      if (name == "F16") {
        out[i] = half_to_float(h);
      } else {
        const uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
    }
  } else if (name == "I8" || name == "U8" || name == "I16" || name == "U16") {
    int32_t* out = t.data<int32_t>();
    for (int64_t i = 0; i < n; ++i) {
      if (name == "I8") out[i] = static_cast<int8_t>(data[i]);
      else if (name == "U8") out[i] = static_cast<uint8_t>(data[i]);
      else {
        uint16_t v;
        std::memcpy(&v, data + 2 * i, 2);
        out[i] = name == "I16" ? static_cast<int32_t>(static_cast<int16_t>(v)) : static_cast<int32_t>(v);
      }
    }
  } else if (fd.loads_as == DType::Bool) {
    bool* out = t.data<bool>();
    for (int64_t i = 0; i < n; ++i) out[i] = data[i] != 0;
  } else if (n > 0) {
    std::memcpy(t.data_ptr(), data, static_cast<size_t>(n * fd.bytes));
  }
  return t;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

}  // namespace

TensorFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail<IOError>("load", "cannot open '", path, "': no such file or not readable");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8) bad(path, "shorter than the 8-byte header length");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int k = 7; k >= 0; --k) header_len = header_len << 8 | len_bytes[k];
  if (header_len > kMaxHeader) bad(path, "header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  if (header_len > file_size - 8)
    bad(path, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                  std::to_string(file_size) + " bytes)");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) bad(path, "truncated header");
  const uint64_t data_size = file_size - 8 - header_len;

  TensorFile out;
  std::vector<Entry> entries;
  std::set<std::string> names;
  HeaderReader r(header, path);
  r.expect('{');
  bool first = true;
  while (!r.peek('}')) {
    if (!first) r.expect(',');
    first = false;
    const std::string name = r.str();
    r.expect(':');
    if (!names.insert(name).second) bad(path, "duplicate name '" + name + "'");
    if (name == "__metadata__") {
      r.expect('{');
      bool f2 = true;
      while (!r.peek('}')) {
        if (!f2) r.expect(',');
        f2 = false;
        std::string k = r.str();
        r.expect(':');
        out.metadata[k] = r.str();
      }
      r.expect('}');
      continue;
    }
    Entry e;
    e.name = name;
    bool has_dtype = false, has_shape = false, has_offsets = false;
    r.expect('{');
    bool f2 = true;
    while (!r.peek('}')) {
      if (!f2) r.expect(',');
      f2 = false;
      const std::string key = r.str();
      r.expect(':');
      if (key == "dtype") {
        e.dtype = r.str();
        has_dtype = true;
      } else if (key == "shape") {
        e.shape = r.uint_list();
        has_shape = true;
      } else if (key == "data_offsets") {
        const auto off = r.uint_list();
        if (off.size() != 2) bad(path, "data_offsets of '" + name + "' must have 2 entries");
        e.begin = off[0];
        e.end = off[1];
        has_offsets = true;
      } else {
        bad(path, "unexpected key '" + key + "' in the entry of '" + name + "'");
      }
    }
    r.expect('}');
    if (!has_dtype || !has_shape || !has_offsets) bad(path, "entry '" + name + "' lacks dtype, shape or data_offsets");
    entries.push_back(std::move(e));
  }
  r.expect('}');
  if (!r.done()) bad(path, "trailing bytes after the header JSON");

  in.seekg(static_cast<std::streamoff>(8 + header_len));
  std::string data(data_size, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data_size));
  if (!in && data_size > 0) bad(path, "truncated data section");

  for (const Entry& e : entries) {
    const FileDType* fd = find_dtype(e.dtype);
    if (!fd) bad(path, "unknown dtype '" + e.dtype + "' for '" + e.name + "'");
    uint64_t numel = 1;
    for (uint64_t s : e.shape) {
      if (s != 0 && numel > (uint64_t{1} << 46) / s) bad(path, "shape of '" + e.name + "' is too large");
      numel *= s;
    }
    if (e.begin > e.end || e.end > data_size)
      bad(path, "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "] of '" + e.name +
                    "' are outside the data section of " + std::to_string(data_size) + " bytes");
    if (e.end - e.begin != numel * static_cast<uint64_t>(fd->bytes))
      bad(path, "'" + e.name + "' has " + std::to_string(e.end - e.begin) + " bytes of data but its shape and dtype need " +
                    std::to_string(numel * static_cast<uint64_t>(fd->bytes)));
    out.tensors.emplace_back(e.name, decode(e, *fd, data.data() + e.begin));
  }
  return out;
}

void save_safetensors(const std::string& path, const TensorFile& file) {
  struct stat st{};
  const std::string dir = dir_of(path);
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail<IOError>("save", "cannot write '", path, "': directory '", dir, "' does not exist");
  std::set<std::string> names;
  std::ostringstream header;
  header << '{';
  uint64_t offset = 0;
  std::vector<Tensor> blobs;
  bool first = true;
  if (!file.metadata.empty()) {
    header << "\"__metadata__\":{";
    bool f2 = true;
    for (const auto& kv : file.metadata) {
      header << (f2 ? "" : ",") << '"' << json_escape(kv.first) << "\":\"" << json_escape(kv.second) << '"';
      f2 = false;
    }
    header << '}';
    first = false;
  }
  for (const auto& [name, t] : file.tensors) {
    if (name.empty() || name == "__metadata__") fail<ValueError>("save", "invalid tensor name '", name, "'");
    if (!names.insert(name).second) fail<ValueError>("save", "duplicate tensor name '", name, "'");
    check_defined(t, "save");
    const Tensor c = contiguous(t);
    const uint64_t bytes = static_cast<uint64_t>(c.numel() * c.itemsize());
    header << (first ? "" : ",") << '"' << json_escape(name) << "\":{\"dtype\":\"" << file_dtype_name(c.dtype())
           << "\",\"shape\":[";
    for (size_t i = 0; i < c.shape().size(); ++i) header << (i ? "," : "") << c.shape()[i];
    header << "],\"data_offsets\":[" << offset << ',' << offset + bytes << "]}";
    offset += bytes;
    blobs.push_back(c);
    first = false;
  }
  header << '}';
  std::string h = header.str();
  while ((8 + h.size()) % 8 != 0) h += ' ';  // align the data section to 8 bytes

  std::string tmpl = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) fail<IOError>("save", "cannot create a temporary file next to '", path, "'");
  auto write_all = [&](const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      const ssize_t w = ::write(fd, c, n);
      if (w <= 0) {
        ::close(fd);
        ::unlink(tmpl.c_str());
        fail<IOError>("save", "writing '", path, "' failed (disk full?)");
      }
      c += w;
      n -= static_cast<size_t>(w);
    }
  };
  unsigned char len_bytes[8];
  uint64_t hl = h.size();
  for (int k = 0; k < 8; ++k) len_bytes[k] = static_cast<unsigned char>(hl >> (8 * k));
  write_all(len_bytes, 8);
  write_all(h.data(), h.size());
  for (const Tensor& b : blobs) {
    if (b.numel() > 0) write_all(b.data_ptr(), static_cast<size_t>(b.numel() * b.itemsize()));
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    fail<IOError>("save", "flushing '", path, "' to disk failed");
  }
  ::chmod(tmpl.c_str(), 0644);
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    ::unlink(tmpl.c_str());
    fail<IOError>("save", "cannot rename the temporary file to '", path, "'");
  }
}

}  // namespace tensorforge
