#include "script.hpp"

#include <charconv>

namespace bench {

CopyTargets::CopyTargets(std::vector<std::string> bare_jids) : members(std::move(bare_jids)) {
    for (std::uint32_t i = 0; i < members.size(); ++i) index.emplace(members[i], i);
}

void append_number(std::string& out, std::uint64_t value) {
    char digits[24];
    auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, static_cast<std::size_t>(result.ptr - digits));
}

}  // namespace bench
