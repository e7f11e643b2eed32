"""Writes the small Parquet files of tests/datasets/data_source_test.cpp with pyarrow (the reference writer):
verl's layout (chat-message prompt list, nested reward_model struct), every JSON-representable column type,
and a column type with no JSON form. Usage: .venv/bin/python scripts/ref/parquet_fixtures.py OUT_DIR"""
import sys

import pyarrow as pa
import pyarrow.parquet as pq

out = sys.argv[1]
message = pa.struct([("content", pa.string()), ("role", pa.string())])
verl = pa.table({
    "data_source": pa.array(["gsm8k", "gsm8k", "countdown"]),
    "prompt": pa.array([[{"content": "What is 1+1?", "role": "user"}],
                        [{"content": "Be brief.", "role": "system"}, {"content": "What is 2+3?", "role": "user"}],
                        [{"content": "Make 10 from [2, 5].", "role": "user"}]], type=pa.list_(message)),
    "reward_model": pa.array([{"ground_truth": "2", "style": "rule"}, {"ground_truth": "5", "style": "rule"},
                              {"ground_truth": "{\"numbers\": [2, 5], \"target\": 10}", "style": "rule"}]),
    "extra_info": pa.array([{"index": 0, "split": "train"}, {"index": 1, "split": "train"}, {"index": 2, "split": "train"}]),
})
pq.write_table(verl, out + "/verl_layout.parquet", row_group_size=2)  # two row groups: chunks are combined
types = pa.table({
    "b": pa.array([True, None]), "i8": pa.array([-3, 4], pa.int8()), "u64": pa.array([2**63, 1], pa.uint64()),
    "f": pa.array([0.5, float("inf")], pa.float32()), "s": pa.array(["h\u00e9", None], pa.large_string()),
    "l": pa.array([[1, 2], []], pa.list_(pa.int64())),
    "m": pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int32())),
    "d": pa.array(["x", "x"]).dictionary_encode(),
})
pq.write_table(types, out + "/types.parquet")
pq.write_table(pa.table({"q": ["a"], "raw": pa.array([b"\x00\x01"], pa.binary())}), out + "/binary_column.parquet")
pq.write_table(pa.table({"q": pa.array([], pa.string())}), out + "/empty.parquet")
