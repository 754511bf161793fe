// `muc-offline-proxy replay CAPTURE [--config F] [--expect F]`: runs a capture through the
// link's filter chain without sockets and prints what the chain injected, rewrote and
// dropped, per direction, in order; with --expect, compares that report with a file.
#pragma once

#include <string>

int replay_command(const std::string& capture, const std::string& config_path,
                   const std::string& expect_path);
