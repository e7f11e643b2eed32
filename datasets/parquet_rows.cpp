// Parquet files as JSON rows, read with Apache Arrow's Parquet reader (the pyarrow wheel's C++ library).
// The only file that includes Arrow's headers, which need C++20: it is compiled with -std=c++20 and no Arrow
// type leaves it (datasets/rows.h is plain JSON).
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/util/utf8.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>

#include "core/error.h"
#include "datasets/rows.h"

namespace aha::datasets {

namespace {

// What went wrong at one cell, for the row/column message.
struct CellError {
    std::string what;
};

Json to_json(const arrow::Scalar& s);

Json list_to_json(const arrow::Array& values) {
    Json out = Json::array();
    for (int64_t i = 0; i < values.length(); ++i) {
        auto item = values.GetScalar(i);
        if (!item.ok()) throw CellError{item.status().ToString()};
        out.push_back(to_json(**item));
    }
    return out;
}

Json string_to_json(std::string_view v) {
    if (!arrow::util::ValidateUTF8(v)) throw CellError{"invalid UTF-8 in a string"};
    return std::string(v);
}

// One cell as JSON: nulls, booleans, integers, floats, strings, lists, structs and maps; other types (binary,
// dates, decimals, ...) have no single JSON form and are errors naming the type.
Json to_json(const arrow::Scalar& s) {
    if (!s.is_valid) return nullptr;
    using T = arrow::Type;
    switch (s.type->id()) {
        case T::BOOL: return static_cast<const arrow::BooleanScalar&>(s).value;
        case T::INT8: return static_cast<const arrow::Int8Scalar&>(s).value;
        case T::INT16: return static_cast<const arrow::Int16Scalar&>(s).value;
        case T::INT32: return static_cast<const arrow::Int32Scalar&>(s).value;
        case T::INT64: return static_cast<const arrow::Int64Scalar&>(s).value;
        case T::UINT8: return static_cast<const arrow::UInt8Scalar&>(s).value;
        case T::UINT16: return static_cast<const arrow::UInt16Scalar&>(s).value;
        case T::UINT32: return static_cast<const arrow::UInt32Scalar&>(s).value;
        case T::UINT64: return static_cast<const arrow::UInt64Scalar&>(s).value;
        case T::FLOAT: return static_cast<const arrow::FloatScalar&>(s).value;
        case T::DOUBLE: return static_cast<const arrow::DoubleScalar&>(s).value;
        case T::STRING:
        case T::LARGE_STRING:
        case T::STRING_VIEW:
            return string_to_json(static_cast<const arrow::BaseBinaryScalar&>(s).view());
        case T::LIST:
        case T::LARGE_LIST:
        case T::FIXED_SIZE_LIST:
        case T::LIST_VIEW:
        case T::LARGE_LIST_VIEW:
            return list_to_json(*static_cast<const arrow::BaseListScalar&>(s).value);
        case T::STRUCT: {
            const auto& st = static_cast<const arrow::StructScalar&>(s);
            Json out = Json::object();
            for (int i = 0; i < st.type->num_fields(); ++i) {
                out[st.type->field(i)->name()] = to_json(*st.value[static_cast<size_t>(i)]);
            }
            return out;
        }
        case T::MAP: {
            // A map of string keys is an object; any other key type stays a list of [key, value] pairs.
            const Json pairs = list_to_json(*static_cast<const arrow::MapScalar&>(s).value);
            bool string_keys = true;
            for (const auto& p : pairs) string_keys = string_keys && p.at("key").is_string();
            if (!string_keys) return pairs;
            Json out = Json::object();
            for (const auto& p : pairs) out[p.at("key").get<std::string>()] = p.at("value");
            return out;
        }
        case T::DICTIONARY: {
            auto decoded = static_cast<const arrow::DictionaryScalar&>(s).GetEncodedValue();
            if (!decoded.ok()) throw CellError{decoded.status().ToString()};
            return to_json(**decoded);
        }
        default:
            throw CellError{"column type " + s.type->ToString() + " has no JSON form (expected strings, numbers, "
                            "booleans, lists or structs)"};
    }
}

template <typename R>
R ok_or_throw(arrow::Result<R> r, const std::string& path) {
    if (!r.ok()) throw FormatError(path + ": not a readable Parquet file (" + r.status().ToString() + ")");
    return std::move(r).ValueOrDie();
}

}  // namespace

std::vector<Row> read_parquet_rows(const std::string& path) {
    std::shared_ptr<arrow::Table> table;
    try {
        auto file = arrow::io::ReadableFile::Open(path);
        if (!file.ok()) throw IoError(path + ": cannot open for reading (" + file.status().ToString() + ")");
        auto reader = ok_or_throw(parquet::arrow::OpenFile(*file, arrow::default_memory_pool()), path);
        table = ok_or_throw(reader->ReadTable(), path);
        table = ok_or_throw(table->CombineChunks(), path);
    } catch (const parquet::ParquetException& e) {
        throw FormatError(path + ": not a readable Parquet file (" + std::string(e.what()) + ")");
    }
    const auto& schema = *table->schema();
    std::vector<Row> rows(static_cast<size_t>(table->num_rows()));
    for (size_t r = 0; r < rows.size(); ++r) {
        rows[r].fields = Json::object();
        rows[r].where = path + ": row " + std::to_string(r + 1);
    }
    for (int c = 0; c < table->num_columns(); ++c) {
        const std::string& name = schema.field(c)->name();
        const auto& chunks = table->column(c)->chunks();
        if (chunks.empty()) continue;
        const arrow::Array& column = *chunks.front();  // one chunk after CombineChunks
        for (size_t r = 0; r < rows.size(); ++r) {
            try {
                auto cell = column.GetScalar(static_cast<int64_t>(r));
                if (!cell.ok()) throw CellError{cell.status().ToString()};
                rows[r].fields[name] = to_json(**cell);
            } catch (const CellError& e) {
                throw FormatError(rows[r].where + ", column '" + name + "': " + e.what);
            }
        }
    }
    return rows;
}

}  // namespace aha::datasets
