// The `vigil` command line: getevents, status, version. Kept out of main()
// so the whole CLI is one library call.
#pragma once

namespace vigil::cli {

// Parses argv, runs the command, returns the process exit status:
// 0 success, 1 runtime failure (agent unreachable, malformed input lines),
// 2 usage error.
int run(int argc, char** argv);

}  // namespace vigil::cli
