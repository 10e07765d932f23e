#include "policy/support.h"

namespace vigil::policy {

bool is_supported(Feature f) {
    switch (f) {
        // Needs a CEL parser, type checker and BPF code generator.
        case Feature::CelExpr: return false;
        // Tetragon accepts these in userspace, but its BPF has no case for
        // them, so the filter silently never applies. Refusing is better than
        // pretending to filter.
        case Feature::StringFilterOnFilename:
        case Feature::StringFilterOnKiocb:
        case Feature::StringFilterOnIovec: return false;
    }
    return false;
}

std::string_view feature_name(Feature f) {
    switch (f) {
        case Feature::CelExpr: return "CelExpr operator (in-kernel CEL expressions)";
        case Feature::StringFilterOnFilename:
            return "string operators on 'filename' arguments (Tetragon's kernel side never "
                   "evaluates them; use a 'string' or 'path' argument)";
        case Feature::StringFilterOnKiocb:
            return "string operators on 'kiocb' arguments (Tetragon's kernel side never "
                   "evaluates them)";
        case Feature::StringFilterOnIovec:
            return "string operators on 'char_iovec' arguments (Tetragon's kernel side never "
                   "evaluates them)";
    }
    return "?";
}

}  // namespace vigil::policy
