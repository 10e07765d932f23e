// Parsing of the literal values a policy holds: integers the way Go's strconv
// reads them (Tetragon's parser), IP addresses and CIDRs, and the symbolic
// names Tetragon accepts for capabilities, protocols, families, TCP states
// and file types.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "policy/model.h"

namespace vigil::policy {

// Go strconv.ParseInt / ParseUint. base 0 accepts 0x, 0o, 0b prefixes and a
// leading 0 for octal; base 10 only decimal. `bits` bounds the result.
std::optional<int64_t> parse_int(std::string_view s, int base, int bits);
std::optional<uint64_t> parse_uint(std::string_view s, int base, int bits);

// A YAML 1.1 integer scalar as Kubernetes' YAML reader resolves it (decimal,
// 0x hex, 0o/0 octal, 0b binary, optional sign, '_' separators).
std::optional<int64_t> parse_yaml_int(std::string_view s);
// A YAML 1.1 boolean (true/false, yes/no, on/off, y/n in their case forms).
std::optional<bool> parse_yaml_bool(std::string_view s);

// "10.0.0.1", "10.0.0.0/8", "fd00::/8".
std::optional<Cidr> parse_cidr(std::string_view s);

// Capability names as Tetragon's proto spells them (CAP_CHOWN, DAC_OVERRIDE, ...).
std::optional<uint32_t> capability_from_name(std::string_view name);
std::vector<std::string_view> capability_names();

std::optional<uint32_t> protocol_from_name(std::string_view name);   // IPPROTO_*
std::optional<uint32_t> family_from_name(std::string_view name);     // AF_*
std::optional<uint32_t> tcp_state_from_name(std::string_view name);  // TCP_*
std::optional<uint32_t> file_type_from_name(std::string_view name);  // S_IF* bits
std::vector<std::string_view> protocol_names();
std::vector<std::string_view> family_names();
std::vector<std::string_view> tcp_state_names();
std::vector<std::string_view> file_type_names();

// "5", "10s", "1m", "2h" (Tetragon: seconds by default), in milliseconds
// capped at UINT32_MAX.
std::optional<uint32_t> parse_rate_limit_ms(std::string_view s);

// A BTF resolve path ("mm.owner.comm", "f[12].x") split into components, or
// nullopt when malformed (empty component, unbalanced or empty brackets).
std::optional<std::vector<std::string>> split_resolve_path(std::string_view s);

}  // namespace vigil::policy
