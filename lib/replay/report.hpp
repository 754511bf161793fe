// The replay report: one line per decision, in wire order (direction, kind, stanza; persist
// points with their fallback; the filters' notes where they happened), then the feature's
// summary. Expectation files are this text, with # comments allowed.
#pragma once

#include <string>

#include "replay/replayer.hpp"

namespace replay {

std::string report(const ReplayResult& result, const std::string& summary);

// The lines of an expectation file that are compared: comments (#) and blank lines dropped.
std::string without_comments(const std::string& text);

}  // namespace replay
