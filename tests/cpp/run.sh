#!/usr/bin/env bash
# Builds and installs the C++ core, then builds the API tests and the examples against the
# installed package with find_package(tensorforge), as a native application would, and runs them.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build/native"
python -m pip install -q "cmeel-eigen>=3.4"
prefix_path="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cmake -S "$root" -B "$build/core" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build/core" -j 2 >/dev/null
cmake --install "$build/core" --prefix "$build/install" >/dev/null
cmake -S "$root/tests/cpp" -B "$build/tests" -DCMAKE_PREFIX_PATH="$build/install;$prefix_path" >/dev/null
cmake --build "$build/tests" -j 2 >/dev/null
cmake -S "$root/cpp/examples" -B "$build/examples" -DCMAKE_PREFIX_PATH="$build/install" >/dev/null
cmake --build "$build/examples" -j 2 >/dev/null
"$build/examples/matmul_relu"
(cd "$build/tests" && ctest --output-on-failure)
