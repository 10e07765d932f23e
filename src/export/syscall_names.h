// Syscall number -> name lookup used when rendering raw_syscalls tracepoints.
#pragma once

#include <string_view>

namespace vigil::exporter {

// Name of x86_64 syscall `nr` ("openat"), or an empty view when unknown.
std::string_view syscall_name_x86_64(long nr);

}  // namespace vigil::exporter
