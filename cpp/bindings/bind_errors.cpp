// Maps the core's typed errors to Python exceptions. ShapeError and DTypeError derive from
// both RuntimeError (what PyTorch raises) and ValueError/TypeError (what Python code expects).
#include "bindings.h"
#include "tensorforge/error.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
PyObject* make_exception(py::module_& m, const char* name, PyObject* base1, PyObject* base2) {
  py::tuple bases = base2 ? py::tuple(py::make_tuple(py::handle(base1), py::handle(base2)))
                          : py::tuple(py::make_tuple(py::handle(base1)));
  const std::string qualified = std::string("tensorforge._C.") + name;
  PyObject* exc = PyErr_NewException(qualified.c_str(), bases.ptr(), nullptr);
  m.add_object(name, py::handle(exc));
  return exc;
}
}  // namespace

void bind_errors(py::module_& m) {
  static PyObject* shape_error = make_exception(m, "ShapeError", PyExc_RuntimeError, PyExc_ValueError);
  static PyObject* dtype_error = make_exception(m, "DTypeError", PyExc_RuntimeError, PyExc_TypeError);
  static PyObject* index_error = make_exception(m, "TFIndexError", PyExc_IndexError, nullptr);
  static PyObject* value_error = make_exception(m, "TFValueError", PyExc_ValueError, PyExc_RuntimeError);
  static PyObject* io_error = make_exception(m, "TFIOError", PyExc_OSError, PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ShapeError& e) {
      PyErr_SetString(shape_error, e.what());
    } catch (const DTypeError& e) {
      PyErr_SetString(dtype_error, e.what());
    } catch (const IndexError& e) {
      PyErr_SetString(index_error, e.what());
    } catch (const ValueError& e) {
      PyErr_SetString(value_error, e.what());
    } catch (const IOError& e) {
      PyErr_SetString(io_error, e.what());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

}  // namespace tensorforge::bindings
