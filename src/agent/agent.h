// The composition root: builds every component from the Config, runs until
// SIGINT/SIGTERM, then shuts down in reverse order so that no BPF link, map
// or socket outlives the process.
#pragma once

#include "agent/config.h"

namespace vigil::agent {

// Blocks SIGINT and SIGTERM in the calling thread; call first in main(), so
// every thread started later inherits the mask and the signals are taken
// only by run()'s sigwait().
void block_shutdown_signals();

// Start-up problems throw FatalError (message names what and how to fix).
// Returns the process exit status after a clean shutdown.
int run(const Config& cfg);

}  // namespace vigil::agent
