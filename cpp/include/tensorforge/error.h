// Typed errors thrown by the op front end. The Python bindings map them to Python exceptions
// (ShapeError -> ShapeError(RuntimeError, ValueError), DTypeError -> DTypeError(RuntimeError,
// TypeError), IndexError -> IndexError, DeviceError/Error -> RuntimeError).
// Every message starts with the op in brackets: "[matmul] shapes [2, 3] and [4, 5] ...".
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tensorforge {

/// Base of every tensorforge error; also used for generic runtime failures.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// Incompatible or invalid shapes, dims and sizes.
struct ShapeError : Error {
  using Error::Error;
};
/// A dtype the op does not accept.
struct DTypeError : Error {
  using Error::Error;
};
/// An index or dim out of range.
struct IndexError : Error {
  using Error::Error;
};
/// An argument value outside its domain (negative size, bad name...).
struct ValueError : Error {
  using Error::Error;
};
/// A device the op or the build cannot use.
struct DeviceError : Error {
  using Error::Error;
};
/// Failure reading or writing a file.
struct IOError : Error {
  using Error::Error;
};

/// "[2, 3]": how every message prints a shape.
std::string shape_str(const std::vector<int64_t>& shape);

namespace detail {
inline void stream_all(std::ostringstream&) {}
template <typename A, typename... Rest>
void stream_all(std::ostringstream& os, const A& a, const Rest&... rest) {
  os << a;
  stream_all(os, rest...);
}
}  // namespace detail

/// Throws E with the message "[op] " followed by the streamed parts.
template <typename E, typename... Parts>
[[noreturn]] void fail(const char* op, const Parts&... parts) {
  std::ostringstream os;
  os << '[' << op << "] ";
  detail::stream_all(os, parts...);
  throw E(os.str());
}

}  // namespace tensorforge
