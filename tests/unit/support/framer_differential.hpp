// Runs one stream through the framer's scanner path and through expat alone, with the same
// chunking, and names the first way their verdicts differ. Shared by the unit test and the
// fuzz target (tests/fuzz).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "xml/framer.hpp"

namespace test_support {

struct FramingRecord {
    std::vector<std::string> units;  // kind, view and raw bytes; adjacent whitespace joined
    std::vector<bool> feed_results;
    std::vector<std::size_t> elements_after_feed;  // header, stanzas and close so far
    xml::FrameError error;
    std::size_t stanzas_scanned = 0;
};

// With `pause_after_each_unit`, the sink pauses the framer after every unit and each chunk is
// resumed until it is all framed.
FramingRecord frame_stream(xml::FramingPath path, std::string_view stream,
                           const std::vector<std::size_t>& cuts, xml::FramerLimits limits,
                           bool pause_after_each_unit = false);

// Empty when both paths agree on every unit (raw bytes and view), on each feed's result and on
// the error; otherwise what differs first.
std::string framing_difference(const FramingRecord& scanner, const FramingRecord& expat);

// Frames `stream` both ways, each also paused after every unit; the difference, if any, with
// the input quoted for the report.
std::string compare_paths(std::string_view stream, const std::vector<std::size_t>& cuts,
                          xml::FramerLimits limits = {}, std::size_t* stanzas_scanned = nullptr);

// Cut points: none, every byte, or random pieces of 1 to `max_piece` bytes.
std::vector<std::size_t> random_cuts(std::size_t size, std::size_t max_piece, std::mt19937& random);

// A stanza made of the features the scanner must judge: nesting, quotes, references, CDATA,
// UTF-8 text, namespaces, xml:lang, whitespace in tags.
std::string random_stanza(std::mt19937& random);

// `input` changed in 1 to 4 places by XML-aware and blind edits (tokens from a dictionary of
// delimiters, references, bad UTF-8, prefixes, comments...; deletions, repeats, byte flips).
std::string mutate(std::string input, std::mt19937& random);

}  // namespace test_support
