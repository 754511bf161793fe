// Capture records are whole UTF-8: a character cut by a read goes with the next record.
#include "net/capture.hpp"

#include <doctest/doctest.h>

TEST_CASE("capture: a multi-byte character cut between reads goes with the later chunk") {
    net::Utf8Carry carry;
    CHECK(carry.complete("ab\xf0\x9f") == "ab");
    CHECK(carry.complete("\x8d") == "");
    CHECK(carry.complete("\xb5"
                         "c\xc3") ==
          "\xf0\x9f\x8d\xb5"
          "c");
    CHECK(carry.complete("\xa9") == "\xc3\xa9");
    CHECK(carry.complete("plain") == "plain");
}
