// The proxy binary the unit tests drive: the one built beside the running test binary, so the
// sanitizer build's suite (build/sanitize/unit-tests) runs the sanitizer build's proxy.
#pragma once

#include <string>

namespace test_support {

const std::string& built_proxy();

}  // namespace test_support
