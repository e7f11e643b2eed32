// Free list and reference counts of KV-cache blocks; see block_pool.h.
#include "rollout/block_pool.h"

#include <stdexcept>
#include <string>

namespace aha::rollout {

BlockPool::BlockPool(int64_t num_blocks, int64_t block_size) : block_size_(block_size) {
    if (num_blocks < 1 || block_size < 1)
        throw std::invalid_argument("BlockPool: num_blocks and block_size must be >= 1");
    refs_.assign(static_cast<size_t>(num_blocks), 0);
    for (int64_t b = num_blocks - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

int32_t BlockPool::allocate() {
    if (free_.empty()) return -1;
    const int32_t b = free_.back();
    free_.pop_back();
    refs_[static_cast<size_t>(b)] = 1;
    if (num_used() > peak_) peak_ = num_used();
    return b;
}

void BlockPool::retain(int32_t block) {
    if (refs_.at(static_cast<size_t>(block)) < 1)
        throw std::logic_error("BlockPool: retain of free block " + std::to_string(block));
    ++refs_[static_cast<size_t>(block)];
}

void BlockPool::release(int32_t block) {
    int32_t& r = refs_.at(static_cast<size_t>(block));
    if (r < 1) throw std::logic_error("BlockPool: release of free block " + std::to_string(block));
    if (--r == 0) free_.push_back(block);
}

void BlockPool::release_all(std::vector<int32_t>& blocks) {
    // Last block first, so the stack hands the same blocks back in table order.
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) release(*it);
    blocks.clear();
}

}  // namespace aha::rollout
