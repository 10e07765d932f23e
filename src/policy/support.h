// The one place that decides which valid Tetragon features Vigil refuses as
// "unsupported". The parser asks here at every use of a feature; the hooks
// and selector issues tighten or loosen this list as the kernel side grows.
#pragma once

#include <string_view>

namespace vigil::policy {

enum class Feature {
    CelExpr,                 // CelExpr operator: CEL compiled to BPF subprograms
    StringFilterOnFilename,  // Prefix/Postfix/SubString on a `filename` argument
    StringFilterOnKiocb,     // string operators on a `kiocb` argument
    StringFilterOnIovec,     // string operators on a `char_iovec` argument
};

// True when Vigil implements the feature.
bool is_supported(Feature f);

// A short name for messages: "unsupported: <feature_name>".
std::string_view feature_name(Feature f);

}  // namespace vigil::policy
