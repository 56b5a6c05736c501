"""Conan recipe for native builds of the tensorforge C++ core.

The only C++ dependency is Eigen (header-only). With ConanCenter unreachable, package Eigen's
headers locally first (e.g. from the PyPI wheel cmeel-eigen) as eigen/3.4.0; CMakeDeps then
provides the same Eigen3::Eigen target that CMakeLists.txt finds with find_package(Eigen3).
"""
from conan import ConanFile
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout


class TensorforgeConan(ConanFile):
    name = "tensorforge"
    version = "0.1.0"
    license = "MIT"
    description = "Deep-learning tensor core: SIMD/OpenMP kernels with a PyTorch-style API"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}
    exports_sources = "CMakeLists.txt", "cmake/*", "cpp/*", "tests/cpp/*", "bench/cpp/*"

    def requirements(self):
        self.requires("eigen/3.4.0")

    def layout(self):
        cmake_layout(self)

    def generate(self):
        CMakeDeps(self).generate()
        tc = CMakeToolchain(self)
        tc.variables["TENSORFORGE_PYTHON"] = False
        tc.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        CMake(self).install()

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "tensorforge")
        self.cpp_info.set_property("cmake_target_name", "tensorforge::core")
        self.cpp_info.libs = ["tensorforge"]
        self.cpp_info.system_libs = ["gomp", "pthread"]
        self.cpp_info.cxxflags = ["-fopenmp"]
