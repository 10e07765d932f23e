// The Vigil version string shared by vigild and the vigil CLI. Release
// builds pass -DVIGIL_VERSION="x.y.z"; everything else is a dev build.
#pragma once

namespace vigil {

#ifdef VIGIL_VERSION
inline constexpr const char* kVersion = VIGIL_VERSION;
#else
inline constexpr const char* kVersion = "0.1.0-dev";
#endif

}  // namespace vigil
