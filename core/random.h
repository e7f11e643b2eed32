// Counter-based randomness: SplitMix64 (Steele, Lea and Flood 2014) turns (seed, index) into bits that are the
// same on every platform and need no generator state, so a stream can be resumed or split from its counters
// alone (std::shuffle and the std distributions differ between standard libraries).
#pragma once

#include <cstdint>

namespace aha {

inline uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// The top 53 bits as a double in [0, 1).
inline double unit_interval(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

}  // namespace aha
