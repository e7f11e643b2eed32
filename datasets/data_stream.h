// The training stream over data sources: each draw picks a source by weight, then that source's next item in
// a seeded shuffle that is redrawn every epoch. It hands out (source, index) pairs, so it serves any item type;
// its position is plain data (StreamPosition), so a resumed run continues the stream where it stopped.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config.h"

namespace aha::datasets {

struct StreamPosition {
    int64_t draws = 0;             // items handed out so far
    std::vector<int64_t> epoch;    // per source: the current pass over it (0 = the first)
    std::vector<int64_t> offset;   // per source: items of the current pass handed out

    Json to_json() const;
    static StreamPosition from_json(const Json& j, const std::string& where);
};

class DataStream {
 public:
    struct Pick {
        size_t source = 0;
        size_t index = 0;
    };

    // Source i has sizes[i] (> 0) items and weight weights[i] (> 0).
    DataStream(std::vector<size_t> sizes, std::vector<double> weights, uint64_t seed);

    Pick next();

    const StreamPosition& position() const { return position_; }
    // Continues from a saved position (of a stream over the same sources and seed).
    void seek(const StreamPosition& position);

 private:
    size_t pick_source() const;
    void shuffle_epoch(size_t source);

    std::vector<size_t> sizes_;
    std::vector<double> cumulative_;  // normalised cumulative weights
    uint64_t seed_;
    StreamPosition position_;
    std::vector<std::vector<uint32_t>> order_;  // per source: the permutation of its current epoch
};

}  // namespace aha::datasets
