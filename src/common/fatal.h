// The one exception type: a fatal start-up problem, caught in main(). Its
// message names what is wrong and how to fix it.
#pragma once

#include <stdexcept>
#include <string>

namespace vigil {

class FatalError : public std::runtime_error {
public:
    explicit FatalError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace vigil
