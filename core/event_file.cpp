// TensorBoard scalar event files; see event_file.h.
#include "core/event_file.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>

#include "core/error.h"
#include "core/files.h"

namespace aha {

namespace {

const std::array<uint32_t, 256>& crc_table() {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // the reflected Castagnoli polynomial
            t[i] = c;
        }
        return t;
    }();
    return table;
}

// TFRecord's masking of a CRC: rotated right by 15 bits plus a constant.
uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

void put_fixed32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

void put_fixed64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

// A field's key: its number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
void put_key(std::string& out, int field, int wire) { put_varint(out, static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire)); }

void put_bytes(std::string& out, int field, const std::string& bytes) {
    put_key(out, field, 2);
    put_varint(out, bytes.size());
    out += bytes;
}

void put_double(std::string& out, int field, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    put_key(out, field, 1);
    put_fixed64(out, bits);
}

std::string event_head(double wall_time, int64_t step) {
    std::string e;
    put_double(e, 1, wall_time);
    if (step != 0) {
        put_key(e, 2, 0);
        put_varint(e, static_cast<uint64_t>(step));
    }
    return e;
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t crc32c(const std::string& data) {
    const auto& table = crc_table();
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::string tfrecord(const std::string& data) {
    std::string header;
    put_fixed64(header, data.size());
    std::string out = header;
    put_fixed32(out, masked(crc32c(header)));
    out += data;
    put_fixed32(out, masked(crc32c(data)));
    return out;
}

std::string version_event(double wall_time) {
    std::string e = event_head(wall_time, 0);
    put_bytes(e, 3, "brain.Event:2");
    return e;
}

std::string scalar_event(double wall_time, int64_t step, const std::vector<std::pair<std::string, double>>& scalars) {
    std::string summary;
    for (const auto& [tag, value] : scalars) {
        std::string v;
        put_bytes(v, 1, tag);
        const float f = static_cast<float>(value);
        uint32_t bits;
        std::memcpy(&bits, &f, sizeof bits);
        put_key(v, 2, 5);
        put_fixed32(v, bits);
        put_bytes(summary, 1, v);
    }
    std::string e = event_head(wall_time, step);
    put_bytes(e, 5, summary);
    return e;
}

EventFileWriter::EventFileWriter(const std::string& dir) {
    make_dirs(dir);
    char host[256] = "localhost";
    ::gethostname(host, sizeof host - 1);
    const double now = now_seconds();
    path_ = dir + "/events.out.tfevents." + std::to_string(static_cast<int64_t>(now)) + "." + host + "." +
            std::to_string(::getpid());
    file_ = std::fopen(path_.c_str(), "wb");
    if (!file_) throw IoError(path_ + ": cannot create the TensorBoard event file");
    const std::string record = tfrecord(version_event(now));
    if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0) {
        throw IoError(path_ + ": write failed (disk full?)");
    }
}

EventFileWriter::~EventFileWriter() {
    if (file_) std::fclose(file_);
}

void EventFileWriter::add(int64_t step, const std::vector<std::pair<std::string, double>>& scalars, double wall_time) {
    if (scalars.empty()) return;
    const std::string record = tfrecord(scalar_event(wall_time < 0 ? now_seconds() : wall_time, step, scalars));
    if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0) {
        throw IoError(path_ + ": write failed (disk full?)");
    }
}

}  // namespace aha
