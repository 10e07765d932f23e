// vigil: the command line client. Everything lives in cli::run.
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    try {
        return vigil::cli::run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vigil: unexpected error: %s\n", e.what());
        return 1;
    }
}
