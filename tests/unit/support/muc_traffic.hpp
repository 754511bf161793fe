// Stanzas shaped like MUC traffic, for tests of what a relay passes through untouched.
#pragma once

#include <random>
#include <string>

namespace test_support {

// Stanzas shaped like MUC traffic, with the formatting quirks a relay must not touch:
// attribute quotes, namespace prefixes, entities, CDATA, multi-byte UTF-8, keepalives.
inline std::string traffic(int count, unsigned seed) {
    std::mt19937 random(seed);
    std::string out;
    for (int i = 0; i < count; ++i) {
        switch (random() % 5) {
            case 0:
                out +=
                    "<message from='room@conference.localhost/alice' to='bob@localhost/phone' "
                    "type='groupchat' id='m" +
                    std::to_string(i) + "'><body>caf\xc3\xa9 &amp; &#x1F375; " +
                    std::string(random() % 600, 'x') + "</body></message>";
                break;
            case 1:
                out +=
                    "<presence to=\"bob@localhost/phone\" from=\"room@conference.localhost/c\"><x "
                    "xmlns=\"http://jabber.org/protocol/muc#user\"><item affiliation='none' "
                    "role='participant'/>"
                    "</x></presence>";
                break;
            case 2:
                out += "<iq type='result' id='q" + std::to_string(i) + "'  to='a@b/c'/>";
                break;
            case 3:
                out += " \n\t";
                break;
            default:
                out += "<ns:message xmlns:ns='jabber:component:accept' to='x@y'><![CDATA[<b>" +
                       std::to_string(i) + "</b>]]></ns:message>";
        }
    }
    return out;
}

}  // namespace test_support
