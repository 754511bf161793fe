#include "xml/start_tag.hpp"

#include <doctest/doctest.h>

TEST_CASE("start tag: attribute values found by name, whatever the quotes and spacing") {
    const std::string_view raw =
        "<message xmlns:to='x' from=\"r@c/a\" to = 'bob@localhost/phone'\n type='groupchat'><body "
        "to='no'/></message>";
    auto to = xml::find_attribute(raw, "to");
    REQUIRE(to);
    CHECK(raw.substr(to->offset, to->length) == "bob@localhost/phone");
    CHECK(to->quote == '\'');
    auto from = xml::find_attribute(raw, "from");
    REQUIRE(from);
    CHECK(raw.substr(from->offset, from->length) == "r@c/a");
    CHECK(from->quote == '"');
    CHECK_FALSE(xml::find_attribute(raw, "id"));
    CHECK_FALSE(xml::find_attribute("<presence/>", "to"));
    CHECK(raw.substr(0, xml::start_tag_end(raw)).ends_with("type='groupchat'>"));
    CHECK(xml::start_tag_end("<a b='>'>") == 9);
}
