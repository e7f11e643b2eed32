// TensorBoard event files: CRC-32C against its published check value, the TFRecord framing, and the
// protocol-buffer bytes of a scalar event worked out by hand from the wire format. (TensorBoard's own
// reader reads a run's files back in tests/cli/train_smoke.sh.)
#include "core/event_file.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/files.h"

namespace aha {
namespace {

uint32_t le32(const std::string& s, size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
    return v;
}

uint32_t unmask(uint32_t m) {
    const uint32_t r = m - 0xA282EAD8u;
    return (r << 15) | (r >> 17);
}

TEST(EventFileTest, Crc32cCheckValues) {
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the CRC catalogue's check value for CRC-32C
    EXPECT_EQ(crc32c(""), 0u);
    EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720, B.4: 32 bytes of zeros
}

TEST(EventFileTest, RecordFramesLengthAndMaskedCrcs) {
    const std::string data = "hello";
    const std::string r = tfrecord(data);
    ASSERT_EQ(r.size(), 8 + 4 + data.size() + 4);
    EXPECT_EQ(r.substr(0, 8), std::string("\x05\0\0\0\0\0\0\0", 8));
    EXPECT_EQ(unmask(le32(r, 8)), crc32c(r.substr(0, 8)));
    EXPECT_EQ(r.substr(12, 5), data);
    EXPECT_EQ(unmask(le32(r, 17)), crc32c(data));
}

TEST(EventFileTest, ScalarEventWireBytes) {
    // Event{wall_time: 1.5, step: 300, summary{value{tag: "a", simple_value: 2.0}}}
    const std::string e = scalar_event(1.5, 300, {{"a", 2.0}});
    const std::string expected = std::string("\x09\0\0\0\0\0\0\xF8\x3F", 9)  // 1: fixed64 double 1.5
                                 + "\x10\xAC\x02"                            // 2: varint 300
                                 + "\x2A\x0A"                                // 5: 10 bytes of Summary
                                 + "\x0A\x08"                                //   1: 8 bytes of Value
                                 + "\x0A\x01" "a"                            //     1: tag
                                 + std::string("\x15\0\0\0\x40", 5);         //     2: fixed32 float 2.0
    EXPECT_EQ(e, expected);
    const std::string v = version_event(0);
    EXPECT_EQ(v.substr(9), std::string("\x1A\x0D") + "brain.Event:2");
}

TEST(EventFileTest, WriterStartsWithTheVersionRecordAndAppends) {
    const std::string dir = ::testing::TempDir() + "aha_event_file_test";
    remove_tree(dir);
    std::string path;
    {
        EventFileWriter w(dir);
        path = w.path();
        EXPECT_NE(path.find("/events.out.tfevents."), std::string::npos) << path;
        w.add(1, {{"train/loss", 0.25}}, 10.0);
        w.add(2, {}, 11.0);  // nothing to write
    }
    const std::string bytes = read_file(path);
    const std::string first = tfrecord(version_event(0));
    const std::string second = tfrecord(scalar_event(10.0, 1, {{"train/loss", 0.25}}));
    ASSERT_EQ(bytes.size(), first.size() + second.size());
    EXPECT_EQ(bytes.substr(first.size()), second);
    EXPECT_NE(bytes.find("brain.Event:2"), std::string::npos);
}

}  // namespace
}  // namespace aha
