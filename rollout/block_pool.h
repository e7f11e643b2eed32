// The bookkeeping of the paged KV cache (no tensors): a free list of fixed-size blocks and a
// reference count per block, so that sequences can share blocks (the n samples of one prompt share
// the prompt's) and copy a shared block before writing into it.
#pragma once

#include <cstdint>
#include <vector>

namespace aha::rollout {

class BlockPool {
   public:
    BlockPool(int64_t num_blocks, int64_t block_size);

    int64_t num_blocks() const { return static_cast<int64_t>(refs_.size()); }
    int64_t block_size() const { return block_size_; }
    int64_t num_free() const { return static_cast<int64_t>(free_.size()); }
    int64_t num_used() const { return num_blocks() - num_free(); }
    // The most blocks in use at once since construction or the last reset_peak().
    int64_t peak_used() const { return peak_; }
    void reset_peak() { peak_ = num_used(); }

    // Blocks needed to hold `positions` positions.
    int64_t blocks_for(int64_t positions) const {
        return (positions + block_size_ - 1) / block_size_;
    }

    // A free block with reference count 1, or -1 when none is left.
    int32_t allocate();
    // Another owner of `block` (sharing).
    void retain(int32_t block);
    // One owner fewer; the block returns to the free list at zero.
    void release(int32_t block);
    void release_all(std::vector<int32_t>& blocks);
    int32_t ref_count(int32_t block) const { return refs_.at(static_cast<size_t>(block)); }

   private:
    int64_t block_size_;
    std::vector<int32_t> refs_;
    std::vector<int32_t>
        free_;  // used as a stack: recently freed (already committed) memory is reused first
    int64_t peak_ = 0;
};

}  // namespace aha::rollout
