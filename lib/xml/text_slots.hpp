// Strings lent out one by one and all taken back at once, their buffers kept for the next
// round: text a view must hold itself (decoded values, a parser's names), with no allocation
// once the buffers have grown.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

namespace xml {

class TextSlots {
  public:
    // An empty string, valid until forget_all(); a deque: earlier ones stay where they are.
    std::string& next() {
        if (used_ == slots_.size()) slots_.emplace_back();
        std::string& slot = slots_[used_++];
        slot.clear();
        return slot;
    }
    void forget_all() { used_ = 0; }

  private:
    std::deque<std::string> slots_;
    std::size_t used_ = 0;
};

}  // namespace xml
