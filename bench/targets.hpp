// The report's last section: each of the targets, the figure the suite measured for
// it, and whether it was met.
#pragma once

#include <ostream>

#include "suite_figures.hpp"

namespace bench {

void write_targets(const SuiteFigures& figures, std::ostream& out);

}  // namespace bench
