// The structured hook arguments (sock, skb, cred): their fixed kernel layouts
// (abi.h) -> model values, so nothing past ingest/ reads ABI structs.
#pragma once

#include "model/hook.h"

namespace vigil::ingest {

// Fills v.sock / v.skb / v.cred from v.bytes for those kinds; a short buffer
// marks the argument as an error instead.
void decode_struct_arg(model::HookArgValue& v);

}  // namespace vigil::ingest
