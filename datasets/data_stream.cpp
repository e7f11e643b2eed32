// The weighted, shuffled, epoch-repeating training stream; see data_stream.h.
#include "datasets/data_stream.h"

#include <numeric>

#include "core/error.h"
#include "core/random.h"

namespace aha::datasets {

Json StreamPosition::to_json() const { return {{"draws", draws}, {"epoch", epoch}, {"offset", offset}}; }

StreamPosition StreamPosition::from_json(const Json& j, const std::string& where) {
    try {
        StreamPosition p;
        p.draws = j.at("draws").get<int64_t>();
        p.epoch = j.at("epoch").get<std::vector<int64_t>>();
        p.offset = j.at("offset").get<std::vector<int64_t>>();
        return p;
    } catch (const Json::exception& e) {
        throw FormatError(where + ": not a data stream position (" + std::string(e.what()) + ")");
    }
}

DataStream::DataStream(std::vector<size_t> sizes, std::vector<double> weights, uint64_t seed)
    : sizes_(std::move(sizes)), seed_(seed) {
    if (sizes_.empty() || sizes_.size() != weights.size()) throw ConfigError("data.train: expected at least one source");
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    double sum = 0;
    for (size_t i = 0; i < sizes_.size(); ++i) {
        if (sizes_[i] == 0) throw ConfigError("data.train[" + std::to_string(i) + "]: no prompts");
        sum += weights[i];
        cumulative_.push_back(sum / total);
    }
    position_.epoch.assign(sizes_.size(), 0);
    position_.offset.assign(sizes_.size(), 0);
    order_.resize(sizes_.size());
    for (size_t i = 0; i < sizes_.size(); ++i) shuffle_epoch(i);
}

void DataStream::shuffle_epoch(size_t source) {
    auto& order = order_[source];
    order.resize(sizes_[source]);
    std::iota(order.begin(), order.end(), 0u);
    // Fisher-Yates drawn from (seed, source, epoch) alone (core/random.h), so a seek needs no generator state.
    uint64_t state = splitmix64(seed_ ^ splitmix64(source * 0x100000001B3ULL + static_cast<uint64_t>(position_.epoch[source])));
    for (size_t i = order.size(); i > 1; --i) {
        state = splitmix64(state);
        const size_t j = static_cast<size_t>(unit_interval(state) * static_cast<double>(i));
        std::swap(order[i - 1], order[j]);
    }
}

size_t DataStream::pick_source() const {
    if (sizes_.size() == 1) return 0;
    const double u = unit_interval(splitmix64(seed_ * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(position_.draws)));
    for (size_t i = 0; i + 1 < cumulative_.size(); ++i) {
        if (u < cumulative_[i]) return i;
    }
    return cumulative_.size() - 1;
}

DataStream::Pick DataStream::next() {
    const size_t s = pick_source();
    if (position_.offset[s] == static_cast<int64_t>(sizes_[s])) {
        ++position_.epoch[s];
        position_.offset[s] = 0;
        shuffle_epoch(s);
    }
    const Pick p{s, order_[s][static_cast<size_t>(position_.offset[s]++)]};
    ++position_.draws;
    return p;
}

void DataStream::seek(const StreamPosition& p) {
    if (p.epoch.size() != sizes_.size() || p.offset.size() != sizes_.size()) {
        throw FormatError("data stream position: saved for " + std::to_string(p.epoch.size()) + " sources, the config has " +
                          std::to_string(sizes_.size()));
    }
    for (size_t i = 0; i < sizes_.size(); ++i) {
        if (p.offset[i] < 0 || p.offset[i] > static_cast<int64_t>(sizes_[i]) || p.epoch[i] < 0) {
            throw FormatError("data stream position: source " + std::to_string(i) + " offset " + std::to_string(p.offset[i]) +
                              " is outside its " + std::to_string(sizes_[i]) + " items");
        }
    }
    position_ = p;
    for (size_t i = 0; i < sizes_.size(); ++i) shuffle_epoch(i);
}

}  // namespace aha::datasets
