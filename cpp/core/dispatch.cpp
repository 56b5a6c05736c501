// Chooses the kernel table for the best ISA this CPU supports; tests may force a lower one.
#include "core/dispatch.h"

#include <cstring>

#include "tensorforge/error.h"
#include "tensorforge/parallel.h"

namespace tensorforge::kernels {
namespace {

struct IsaEntry {
  const char* name;
  void (*fill)(KernelTable&);
  bool (*supported)();
};

const IsaEntry kIsas[] = {
    {"avx512", cpu::avx512::fill_table,
     [] {
       return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("fma");
     }},
    {"avx2", cpu::avx2::fill_table,
     [] { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"); }},
    {"scalar", cpu::scalar::fill_table, [] { return true; }},
};

struct Tables {
  KernelTable tables[3];
  const char* names[3];
  int count = 0;
  const KernelTable* active = nullptr;
  Tables() {
    for (const IsaEntry& e : kIsas) {
      if (!e.supported()) continue;
      e.fill(tables[count]);
      names[count] = e.name;
      ++count;
    }
    active = &tables[0];
  }
};

Tables& tables() {
  static Tables t;
  return t;
}

}  // namespace

const KernelTable& table() { return *tables().active; }

const char* const* available_isas(int* count) {
  *count = tables().count;
  return tables().names;
}

const char* current_isa() { return tables().active->isa; }

void set_isa(const char* name) {
  Tables& t = tables();
  for (int i = 0; i < t.count; ++i) {
    if (std::strcmp(t.names[i], name) == 0) {
      t.active = &t.tables[i];
      return;
    }
  }
  fail<ValueError>("set_isa", "ISA '", name, "' is not built in or not supported by this CPU");
}

}  // namespace tensorforge::kernels

namespace tensorforge {
const char* current_isa() { return kernels::current_isa(); }
std::vector<std::string> available_isas() {
  int n = 0;
  const char* const* names = kernels::available_isas(&n);
  return std::vector<std::string>(names, names + n);
}
void set_isa(const std::string& name) { kernels::set_isa(name.c_str()); }
}  // namespace tensorforge
