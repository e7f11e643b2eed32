// TensorBoard scalar event files, written without TensorFlow: the TFRecord framing (each record a
// little-endian uint64 length, the masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of the
// data) around tensorflow.Event protocol-buffer messages, encoded by hand for the few fields a scalar
// needs: Event{wall_time = 1 (double), step = 2 (int64), file_version = 3 (string), summary = 5} and
// Summary{value = 1: Value{tag = 1 (string), simple_value = 2 (float)}}. TensorBoard's own event reader
// reads them back (tests/cli/train_smoke.sh).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace aha {

// CRC-32C (Castagnoli), as TFRecord uses; crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const std::string& data);

// One TFRecord: the framing above around `data`.
std::string tfrecord(const std::string& data);

// Serialized Events: a summary of `scalars` (tag, value; stored as float, as TensorBoard's simple_value)
// at `step`, and the file-version header ("brain.Event:2") every event file starts with.
std::string scalar_event(double wall_time, int64_t step, const std::vector<std::pair<std::string, double>>& scalars);
std::string version_event(double wall_time);

// An events.out.tfevents.<seconds>.<host> file in `dir`, opened (created with its version record) on
// construction; each add() appends one record and flushes, so a killed run loses at most the line being
// written, which TensorBoard's reader skips.
class EventFileWriter {
 public:
    explicit EventFileWriter(const std::string& dir);
    ~EventFileWriter();
    EventFileWriter(const EventFileWriter&) = delete;
    EventFileWriter& operator=(const EventFileWriter&) = delete;

    void add(int64_t step, const std::vector<std::pair<std::string, double>>& scalars, double wall_time = -1);
    const std::string& path() const { return path_; }

 private:
    std::string path_;
    std::FILE* file_ = nullptr;
};

}  // namespace aha
