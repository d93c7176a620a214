#include "harness/allocator_probe.h"

#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

namespace lab {
namespace {
template <typename Fn>
Fn Sym(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Load address of the object that defines `addr` (dladdr), or 0.
uintptr_t ObjectBase(const void* addr) {
  Dl_info info{};
  if (addr == nullptr || dladdr(addr, &info) == 0) return 0;
  return reinterpret_cast<uintptr_t>(info.dli_fbase);
}

// The allocator API symbol `name` when the object serving malloc (`base`) defines it: an API
// exported by some other loaded object says nothing about who answers malloc().
void* ApiIn(uintptr_t base, const char* name) {
  void* s = dlsym(RTLD_DEFAULT, name);
  return s != nullptr && base != 0 && ObjectBase(s) == base ? s : nullptr;
}

// One loaded object, as the dynamic loader lists it (dl_iterate_phdr).
struct LoadedObject {
  const void* addr = nullptr;  // what to look for
  bool found = false;
  int seen = 0;                // objects visited so far
  bool is_main = false;        // the executable (the loader lists it first)
  std::string name, soname;
};

int FindObject(struct dl_phdr_info* info, size_t, void* data) {
  auto* obj = static_cast<LoadedObject*>(data);
  const bool is_main = obj->seen++ == 0;
  const uintptr_t a = reinterpret_cast<uintptr_t>(obj->addr);
  bool contains = false;
  const ElfW(Dyn)* dyn = nullptr;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    const uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && a >= start && a < start + ph.p_memsz) contains = true;
    if (ph.p_type == PT_DYNAMIC) dyn = reinterpret_cast<const ElfW(Dyn)*>(start);
  }
  if (!contains) return 0;
  obj->found = true;
  obj->is_main = is_main;
  obj->name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (dyn != nullptr) {
    uintptr_t strtab = 0;
    size_t soname = SIZE_MAX;
    for (const ElfW(Dyn)* d = dyn; d->d_tag != DT_NULL; ++d) {
      if (d->d_tag == DT_STRTAB) strtab = d->d_un.d_ptr;
      if (d->d_tag == DT_SONAME) soname = d->d_un.d_val;
    }
    // The loader relocates DT_STRTAB in place on most targets; an unrelocated one is an offset.
    if (strtab != 0 && strtab < info->dlpi_addr) strtab += info->dlpi_addr;
    if (strtab != 0 && soname != SIZE_MAX) obj->soname = reinterpret_cast<const char*>(strtab + soname);
  }
  return 1;
}

std::string RealPath(const std::string& p) {
  char buf[PATH_MAX];
  return realpath(p.c_str(), buf) != nullptr ? std::string(buf) : p;
}

// The path and soname of the loaded object that defines `addr`: dladdr names it, and the
// loader's own list (dl_iterate_phdr) must hold a segment that contains it.
bool Locate(const void* addr, std::string* path, std::string* soname) {
  Dl_info info{};
  if (addr == nullptr || dladdr(addr, &info) == 0) return false;
  LoadedObject obj;
  obj.addr = addr;
  dl_iterate_phdr(FindObject, &obj);
  if (!obj.found) return false;
  *soname = obj.soname;
  if (obj.is_main || obj.name.empty()) {
    char buf[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    *path = n > 0 ? std::string(buf, size_t(n)) : std::string(info.dli_fname ? info.dli_fname : "");
  } else {
    *path = RealPath(obj.name);
  }
  return true;
}

void JsonEscapeTo(const std::string& s, std::string* out) {
  out->push_back('"');
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      *out += buf;
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}
}  // namespace

std::string OtherAllocatorName(const std::string& soname, const std::string& path) {
  return "other:" + (soname.empty() ? Basename(path) : soname);
}

ProbeResult ProbeAllocator() {
  ProbeResult r{"glibc", "", false};
  // malloc as this process binds it: the first definition in the global scope (the executable,
  // then LD_PRELOAD, then the libraries in load order).
  void* const malloc_sym = Sym<void*>("malloc");
  const uintptr_t base = ObjectBase(malloc_sym);
  const bool located = Locate(malloc_sym, &r.path, &r.soname);
  void* volatile p = malloc(100);
  if (auto variant = reinterpret_cast<const char* (*)()>(ApiIn(base, "hak_variant_string"))) {
    r.allocator = "hakmem";
    r.variant = variant();
    auto usable = reinterpret_cast<size_t (*)(const void*)>(ApiIn(base, "hak_malloc_usable_size"));
    // Our usable size of a block we did not allocate is 0 (the ownership map says "not ours").
    r.owns_malloc = usable != nullptr && usable(p) >= 100;
  } else if (auto in_heap = reinterpret_cast<bool (*)(const void*)>(ApiIn(base, "mi_is_in_heap_region"))) {
    r.allocator = "mimalloc";
    r.owns_malloc = in_heap(p);
  } else if (auto mallctl = reinterpret_cast<int (*)(const char*, void*, size_t*, void*, size_t)>(
                 ApiIn(base, "mallctl"))) {
    r.allocator = "jemalloc";
    // thread.allocated grows by what this thread allocates through jemalloc.
    uint64_t before = 0, after = 0;
    size_t len = sizeof(before);
    if (mallctl("thread.allocated", &before, &len, nullptr, 0) == 0) {
      void* volatile q = malloc(4096);
      mallctl("thread.allocated", &after, &len, nullptr, 0);
      free(q);
      r.owns_malloc = after >= before + 4096;
    }
  } else if (auto owner = reinterpret_cast<int (*)(const void*)>(ApiIn(base, "MallocExtension_GetOwnership"))) {
    r.allocator = "tcmalloc";
    r.owns_malloc = owner(p) == 1;  // MallocExtension_kOwned
  } else {
    // glibc only when malloc is glibc's own symbol: libc.so.6, the object that also defines
    // glibc's gnu_get_libc_version. Anything else is an allocator the lab does not know.
    const bool is_glibc = located && r.soname == "libc.so.6" && ApiIn(base, "gnu_get_libc_version") != nullptr;
    r.allocator = is_glibc ? "glibc" : located ? OtherAllocatorName(r.soname, r.path) : "other:unknown";
    // No API to ask: at least free() must be served by the same object as malloc().
    r.owns_malloc = located && ObjectBase(Sym<void*>("free")) == base;
  }
  free(p);
  return r;
}

std::string CheckAllocator(const std::string& want) {
  const ProbeResult r = ProbeAllocator();
  const std::string w = want == "system" ? "glibc" : want;
  if (r.allocator != w) {
    return "asked for " + want + " but malloc is served by " + r.allocator +
           (r.path.empty() ? "" : " (" + r.path + ")");
  }
  if (!r.owns_malloc) {
    const bool has_api = r.allocator != "glibc" && r.allocator.rfind("other:", 0) != 0;
    return r.allocator + (has_api ? " is loaded but does not own a fresh malloc() block"
                                  : " serves malloc() but free() is served by another object") +
           (r.path.empty() ? "" : " (" + r.path + ")");
  }
  return "";
}

bool ReadElfSoname(const std::string& path, std::string* soname, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = path + ": cannot open";
    return false;
  }
  auto read_at = [&](uint64_t off, void* buf, size_t n) {
    f.clear();
    f.seekg(std::streamoff(off));
    f.read(static_cast<char*>(buf), std::streamsize(n));
    return f.gcount() == std::streamsize(n);
  };
  ElfW(Ehdr) eh{};
  if (!read_at(0, &eh, sizeof(eh)) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    *error = path + ": not an ELF file";
    return false;
  }
  // The machine this program runs on: the same as the executable's.
  ElfW(Ehdr) self{};
  std::ifstream me("/proc/self/exe", std::ios::binary);
  me.read(reinterpret_cast<char*>(&self), sizeof(self));
  const unsigned char native_class = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
  if (eh.e_ident[EI_CLASS] != native_class || (me && eh.e_machine != self.e_machine)) {
    auto bits = [](unsigned char c) { return c == ELFCLASS64 ? "64-bit" : c == ELFCLASS32 ? "32-bit" : "?-bit"; };
    *error = path + ": built for another architecture (" + bits(eh.e_ident[EI_CLASS]) + ", ELF machine " +
             std::to_string(eh.e_machine) + "; this machine runs " + bits(native_class) + ", ELF machine " +
             std::to_string(self.e_machine) + ")";
    return false;
  }
  if (eh.e_type != ET_DYN || eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum == 0) {
    *error = path + ": not a shared library (ELF type " + std::to_string(eh.e_type) + ")";
    return false;
  }
  std::vector<ElfW(Phdr)> ph(eh.e_phnum);
  if (!read_at(eh.e_phoff, ph.data(), ph.size() * sizeof(ElfW(Phdr)))) {
    *error = path + ": truncated program headers";
    return false;
  }
  auto file_offset = [&](uint64_t vaddr, uint64_t* off) {
    for (const auto& p : ph) {
      if (p.p_type == PT_LOAD && vaddr >= p.p_vaddr && vaddr < p.p_vaddr + p.p_filesz) {
        *off = vaddr - p.p_vaddr + p.p_offset;
        return true;
      }
    }
    return false;
  };
  soname->clear();
  for (const auto& p : ph) {
    if (p.p_type != PT_DYNAMIC) continue;
    std::vector<ElfW(Dyn)> dyn(std::min<uint64_t>(p.p_filesz, 1 << 20) / sizeof(ElfW(Dyn)));
    if (dyn.empty() || !read_at(p.p_offset, dyn.data(), dyn.size() * sizeof(ElfW(Dyn)))) {
      *error = path + ": truncated dynamic section";
      return false;
    }
    uint64_t strtab = 0, name = UINT64_MAX;
    bool pie = false;
    for (const auto& d : dyn) {
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag == DT_STRTAB) strtab = d.d_un.d_ptr;
      if (d.d_tag == DT_SONAME) name = d.d_un.d_val;
      if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE) != 0) pie = true;
    }
    if (pie) {
      *error = path + ": a position-independent executable, not a shared library";
      return false;
    }
    uint64_t off = 0;
    if (name == UINT64_MAX) return true;
    if (!file_offset(strtab, &off)) {
      *error = path + ": DT_STRTAB outside the file";
      return false;
    }
    char buf[256];
    f.clear();
    f.seekg(std::streamoff(off + name));
    f.getline(buf, sizeof(buf), '\0');
    if (f.fail()) {
      *error = path + ": unreadable soname";
      return false;
    }
    *soname = buf;
    return true;
  }
  *error = path + ": no dynamic section (a static object, not a shared library)";
  return false;
}

std::string ProbeJsonFields(const ProbeResult& r) {
  std::string s = "\"allocator_path\":";
  JsonEscapeTo(r.path, &s);
  s += ",\"allocator_soname\":";
  JsonEscapeTo(r.soname, &s);
  return s;
}

}  // namespace lab
