#pragma once
// The rig's knobs come from the environment so that `make e2e` needs no arguments.
// README.md in this folder lists them.
#include <cstdlib>
#include <string>

namespace rig {

inline std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return (value != nullptr && *value != '\0') ? std::string(value) : fallback;
}

inline bool env_is(const char* name, const std::string& expected) {
    const char* value = std::getenv(name);
    return value != nullptr && expected == value;
}

}  // namespace rig
