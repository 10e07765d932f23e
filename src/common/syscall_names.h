// x86_64 syscall numbers and names: rendering raw_syscalls tracepoints, and
// InMap list: values (syscall lists) compiled to numbers.
#pragma once

#include <string_view>

namespace vigil {

// Name of x86_64 syscall `nr` ("openat"), or an empty view when unknown.
std::string_view syscall_name_x86_64(long nr);

// Number of x86_64 syscall `name` ("openat"), or -1 when unknown.
long syscall_number_x86_64(std::string_view name);

}  // namespace vigil
