// Small checks shared by the kernel tests' assertions.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/timestamp.pb.h>

namespace vigil::kt {

// Decodes standard base64 independently of the agent's encoder, so a test
// does not trust the code it checks. "<invalid>" on bad input.
std::string b64_decode(std::string_view in);

// A space-separated flag list contains `flag` as a whole word.
bool has_flag(std::string_view flags, std::string_view flag);

// Seconds between `ts` and the wall clock now (absolute value).
double seconds_from_now(const google::protobuf::Timestamp& ts);

// readlink("/proc/self/exe").
std::string self_exe();

}  // namespace vigil::kt
