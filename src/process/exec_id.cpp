#include "process/exec_id.h"

#include "common/base64.h"

namespace vigil::process {

std::string make_exec_id(std::string_view node, std::uint64_t ktime, std::uint32_t pid) {
    std::string raw;
    raw.reserve(node.size() + 32);
    raw.append(node);
    raw += ':';
    raw += std::to_string(ktime);
    raw += ':';
    raw += std::to_string(pid);
    return base64_encode(raw);
}

}  // namespace vigil::process
