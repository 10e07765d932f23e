// vigild: the node agent. Parses configuration, then hands over to agent::run.
#include <cstdio>
#include <exception>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/logging.h"
#include "common/fatal.h"

extern char** environ;

int main(int argc, char** argv) {
    vigil::agent::block_shutdown_signals();
    auto parsed = vigil::agent::parse_config(argc, argv, environ);
    if (!parsed.ok) {
        std::fputs(parsed.error.message.c_str(), parsed.error.exit_code == 0 ? stdout : stderr);
        if (!parsed.error.message.empty() && parsed.error.message.back() != '\n') {
            std::fputc('\n', parsed.error.exit_code == 0 ? stdout : stderr);
        }
        return parsed.error.exit_code;
    }
    vigil::agent::setup_logging(parsed.config.log_level);
    try {
        return vigil::agent::run(parsed.config);
    } catch (const vigil::FatalError& e) {
        std::fprintf(stderr, "vigild: error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vigild: unexpected error: %s\n", e.what());
        return 1;
    }
}
