// safetensors reader and writer; see safetensors.h.
#include "policy/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"

namespace aha::policy {

namespace {

struct DtypeInfo {
    const char* name;
    torch::ScalarType type;
};

const DtypeInfo kDtypes[] = {
    {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
    {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},   {"I8", torch::kInt8},
    {"U8", torch::kUInt8},    {"BOOL", torch::kBool},
};

torch::ScalarType dtype_from_name(const std::string& name, const std::string& where) {
    for (const auto& d : kDtypes) {
        if (name == d.name) return d.type;
    }
    throw FormatError(where + ": unsupported dtype '" + name + "'");
}

const char* dtype_name(torch::ScalarType t, const std::string& where) {
    for (const auto& d : kDtypes) {
        if (t == d.type) return d.name;
    }
    throw FormatError(where + ": dtype " + std::string(c10::toString(t)) + " cannot be stored in safetensors");
}

constexpr uint64_t kMaxHeader = 100u << 20;

// A read-only file mapped copy-on-write: tensors point into it (no copy) and keep it alive; writing to such a
// tensor touches a private page, never the file.
class Mapping {
 public:
    explicit Mapping(const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw IoError(path + ": cannot open (" + std::strerror(errno) + ")");
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            ::close(fd);
            throw IoError(path + ": cannot stat (" + std::strerror(errno) + ")");
        }
        size_ = static_cast<size_t>(st.st_size);
        if (size_ > 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                ::close(fd);
                throw IoError(path + ": cannot map (" + std::strerror(errno) + ")");
            }
            data_ = static_cast<char*>(p);
        }
        ::close(fd);
    }
    ~Mapping() {
        if (data_) ::munmap(data_, size_);
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    char* data() const { return data_; }
    size_t size() const { return size_; }

 private:
    char* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace

TensorMap load_safetensors(const std::string& path) {
    auto mapping = std::make_shared<Mapping>(path);
    const std::string_view bytes(mapping->data(), mapping->size());
    if (bytes.size() < 8) throw FormatError(path + ": too short for a safetensors file (" + std::to_string(bytes.size()) + " bytes)");
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<unsigned char>(bytes[i]);
    if (header_size > kMaxHeader || header_size > bytes.size() - 8) {
        throw FormatError(path + ": header size " + std::to_string(header_size) + " exceeds the file; not a safetensors file or truncated");
    }
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<int64_t>(header_size));
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": header is not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!header.is_object()) throw FormatError(path + ": header is not a JSON object");
    const uint64_t data_size = bytes.size() - 8 - header_size;

    TensorMap out;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& item : header.items()) {
        if (item.key() == "__metadata__") continue;
        const std::string where = path + ": tensor " + item.key();
        const auto& e = item.value();
        if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets") ||
            !e["dtype"].is_string() || !e["shape"].is_array() || !e["data_offsets"].is_array() ||
            e["data_offsets"].size() != 2) {
            throw FormatError(where + ": expected {dtype, shape, data_offsets: [begin, end]}");
        }
        torch::ScalarType type = dtype_from_name(e["dtype"].get<std::string>(), where);
        std::vector<int64_t> shape;
        uint64_t numel = 1;
        for (const auto& s : e["shape"]) {
            if (!s.is_number_unsigned()) throw FormatError(where + ": shape entries must be non-negative integers");
            shape.push_back(s.get<int64_t>());
            numel *= s.get<uint64_t>();
        }
        if (!e["data_offsets"][0].is_number_unsigned() || !e["data_offsets"][1].is_number_unsigned()) {
            throw FormatError(where + ": data_offsets must be non-negative integers");
        }
        uint64_t begin = e["data_offsets"][0].get<uint64_t>(), end = e["data_offsets"][1].get<uint64_t>();
        uint64_t expected = numel * c10::elementSize(type);
        if (end < begin || end > data_size) {
            throw FormatError(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                              "] outside the data section (" + std::to_string(data_size) + " bytes); file truncated?");
        }
        if (end - begin != expected) {
            throw FormatError(where + ": holds " + std::to_string(end - begin) + " bytes but its shape and dtype need " +
                              std::to_string(expected));
        }
        ranges.emplace_back(begin, end);
        const auto options = torch::TensorOptions().dtype(type);
        char* at = mapping->data() + 8 + header_size + begin;
        torch::Tensor t;
        if (expected && reinterpret_cast<uintptr_t>(at) % c10::elementSize(type) == 0) {
            t = torch::from_blob(at, shape, [mapping](void*) {}, options);
        } else {  // empty, or misaligned for its dtype: copy
            t = torch::empty(shape, options);
            if (expected) std::memcpy(t.data_ptr(), at, expected);
        }
        out.emplace(item.key(), t);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].first < ranges[i - 1].second) throw FormatError(path + ": tensors overlap in the data section");
    }
    return out;
}

void save_safetensors(const std::string& path,
                      const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::vector<torch::Tensor> ordered;
    uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        auto t = tensor.detach().to(torch::kCPU).contiguous();
        uint64_t n = t.numel() * t.element_size();
        header[name] = {{"dtype", dtype_name(t.scalar_type(), path + ": tensor " + name)},
                        {"shape", t.sizes().vec()},
                        {"data_offsets", {offset, offset + n}}};
        offset += n;
        ordered.push_back(t);
    }
    std::string head = header.dump();
    head.append((8 - head.size() % 8) % 8, ' ');  // align the data section to 8 bytes
    char size_bytes[8];
    const uint64_t size = head.size();
    for (int i = 0; i < 8; ++i) size_bytes[i] = static_cast<char>((size >> (8 * i)) & 0xff);
    // Streamed to a temporary file and renamed into place: no second copy of the weights in memory, and
    // no half-written file under the final name.
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw IoError(tmp + ": cannot create (" + std::strerror(errno) + ")");
    bool ok = std::fwrite(size_bytes, 1, 8, f) == 8 && std::fwrite(head.data(), 1, head.size(), f) == head.size();
    for (const auto& t : ordered) {
        const size_t n = t.numel() * t.element_size();
        if (ok && n) ok = std::fwrite(t.data_ptr(), 1, n, f) == n;
    }
    ok = std::fflush(f) == 0 && ok;
    ok = ::fsync(fileno(f)) == 0 && ok;
    ok = std::fclose(f) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw IoError(path + ": write failed (" + why + ")");
    }
}

}  // namespace aha::policy
