# Two workarounds for LibTorch 2.x from PyPI's torch wheel (manylinux). Both
# are no-ops for Debian's LibTorch.
#
# 1. The wheel's libtorch.so and libtorch_cpu.so export parts of libstdc++
#    (std::filesystem, std::chrono::tzdb, ..., linked in from the newer GCC
#    they were built with). An executable that needs libtorch.so before
#    libstdc++.so.6 binds its own std::filesystem calls to those copies, and
#    std::filesystem::remove_all crashed there (SIGSEGV, jump to address 0).
#    Python never sees this because it has loaded libstdc++ before LibTorch.
#    So when LibTorch exports std::filesystem, libstdc++ is linked (as
#    needed or not) ahead of LibTorch, and the loader finds its definitions first.
set(_latentebm_torch_lib "${TORCH_LIBRARY}")  # libtorch.so, found by TorchConfig.cmake
if(_latentebm_torch_lib AND EXISTS "${_latentebm_torch_lib}")
  execute_process(COMMAND nm -D --defined-only "${_latentebm_torch_lib}" OUTPUT_VARIABLE _syms ERROR_QUIET)
  string(FIND "${_syms}" "_ZNSt10filesystem" _at)
  if(NOT _at EQUAL -1)
    set(TORCH_LIBRARIES "-Wl,--push-state,--no-as-needed;stdc++;-Wl,--pop-state;${TORCH_LIBRARIES}")
    message(STATUS "latentebm: ${_latentebm_torch_lib} exports libstdc++ symbols; linking libstdc++ ahead of it")
  endif()
endif()

# 2. The wheel ships fmt 12's headers in its include directory. The
# compiler would find them before the fmt that spdlog was built
# against (Debian 12: fmt 9; spdlog/common.h then fails on fmt::basic_runtime).
# When LibTorch's include directories carry fmt/, put a directory that holds
# only a link to spdlog's fmt in front of every target's include path.
# torch/torch.h does not include fmt, so LibTorch's own headers are unaffected.
# (Debian's LibTorch lives in /usr/include beside Debian's fmt: the same
# headers, nothing to do.)
set(_fmt_dir "")
if(TARGET fmt::fmt)
  get_target_property(_fmt_dirs fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  foreach(_dir ${_fmt_dirs})
    if(NOT _fmt_dir AND EXISTS "${_dir}/fmt/core.h")
      set(_fmt_dir "${_dir}")
    endif()
  endforeach()
endif()
set(_latentebm_torch_fmt OFF)
foreach(_dir ${TORCH_INCLUDE_DIRS})
  if(EXISTS "${_dir}/fmt/core.h" AND NOT "${_dir}" STREQUAL "${_fmt_dir}")
    set(_latentebm_torch_fmt ON)
  endif()
endforeach()
if(_latentebm_torch_fmt)
  if(NOT _fmt_dir)
    message(FATAL_ERROR "LibTorch bundles fmt headers, but the fmt that spdlog uses was not found")
  endif()
  set(_shim "${CMAKE_BINARY_DIR}/fmt-before-torch")
  file(MAKE_DIRECTORY "${_shim}")
  file(CREATE_LINK "${_fmt_dir}/fmt" "${_shim}/fmt" SYMBOLIC)
  include_directories(BEFORE SYSTEM "${_shim}")
  message(STATUS "latentebm: LibTorch bundles fmt; using spdlog's (${_fmt_dir}/fmt) first")
endif()
