#include "event_checks.h"

#include <chrono>
#include <cmath>
#include <filesystem>

namespace vigil::kt {

std::string b64_decode(std::string_view in) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        const auto v = kAlphabet.find(c);
        if (v == std::string_view::npos) return "<invalid>";
        buf = (buf << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buf >> bits) & 0xff);
        }
    }
    return out;
}

bool has_flag(std::string_view flags, std::string_view flag) {
    while (!flags.empty()) {
        const auto sp = flags.find(' ');
        if (flags.substr(0, sp) == flag) return true;
        if (sp == std::string_view::npos) break;
        flags.remove_prefix(sp + 1);
    }
    return false;
}

double seconds_from_now(const google::protobuf::Timestamp& ts) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const double now_s = std::chrono::duration<double>(now).count();
    return std::fabs(now_s - (static_cast<double>(ts.seconds()) + ts.nanos() / 1e9));
}

std::string self_exe() {
    std::error_code ec;
    return std::filesystem::read_symlink("/proc/self/exe", ec).string();
}

}  // namespace vigil::kt
