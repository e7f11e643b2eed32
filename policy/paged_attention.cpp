// Paged KV cache and attention over block tables; see paged_attention.h.
#include "policy/paged_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/vector_math.h"

namespace aha::policy {

namespace {

int64_t key_dim(const TransformerConfig& c) {
    return c.mla.enabled ? c.mla.kv_lora_rank + c.mla.qk_rope_head_dim : c.head_dim();
}


}  // namespace

PagedKV PagedKV::allocate(const TransformerConfig& c,
                          int64_t num_blocks,
                          int64_t block_size,
                          torch::TensorOptions o) {
    TORCH_CHECK(num_blocks > 0 && block_size > 0,
                "PagedKV: num_blocks and block_size must be positive");
    PagedKV kv;
    kv.num_blocks = num_blocks;
    kv.block_size = block_size;
    kv.key_layout = c.mla.enabled ? KeyLayout::kRows : KeyLayout::kColumns;
    for (int l = 0; l < c.num_layers; ++l) {
        kv.keys.push_back(
            c.mla.enabled ? torch::empty({num_blocks, 1, block_size, key_dim(c)}, o)
                          : torch::empty({num_blocks, c.num_kv_heads, key_dim(c), block_size}, o));
        kv.values.push_back(
            c.mla.enabled
                ? kv.keys.back()
                : torch::empty({num_blocks, c.num_kv_heads, block_size, c.head_dim()}, o));
    }
    return kv;
}

int64_t PagedKV::bytes_per_block(const TransformerConfig& c,
                                 int64_t block_size,
                                 torch::ScalarType dtype) {
    const int64_t per_position = c.mla.enabled ? key_dim(c) : 2 * c.num_kv_heads * c.head_dim();
    return c.num_layers * block_size * per_position * static_cast<int64_t>(c10::elementSize(dtype));
}

void PagedKV::copy_blocks(const std::vector<int32_t>& src, const std::vector<int32_t>& dst) {
    if (src.empty()) return;
    auto device = keys.front().device();
    auto s = torch::tensor(std::vector<int64_t>(src.begin(), src.end()), torch::kLong).to(device);
    auto d = torch::tensor(std::vector<int64_t>(dst.begin(), dst.end()), torch::kLong).to(device);
    for (size_t l = 0; l < keys.size(); ++l) {
        keys[l].index_copy_(0, d, keys[l].index_select(0, s));
        if (!values[l].is_same(keys[l])) values[l].index_copy_(0, d, values[l].index_select(0, s));
    }
}

PagedBatch PagedBatch::build(PagedKV& kv,
                             const std::vector<std::vector<int32_t>>& tables,
                             const std::vector<int64_t>& num_tokens,
                             const std::vector<int64_t>& first_position) {
    const int64_t S = static_cast<int64_t>(tables.size());
    TORCH_CHECK(
        S > 0 && num_tokens.size() == tables.size() && first_position.size() == tables.size(),
        "PagedBatch: one block table, token count and first position per sequence");
    PagedBatch b;
    b.kv = &kv;
    int64_t N = 0;
    size_t widest = 1;
    for (int64_t s = 0; s < S; ++s) {
        N += num_tokens[s];
        widest = std::max(widest, tables[s].size());
    }
    b.query_start = torch::empty({S + 1}, torch::kLong);
    b.context_len = torch::empty({S}, torch::kLong);
    b.block_tables = torch::zeros({S, static_cast<int64_t>(widest)}, torch::kInt);
    auto slot_block = torch::empty({N}, torch::kLong),
         slot_offset = torch::empty({N}, torch::kLong);
    auto* qs = b.query_start.data_ptr<int64_t>();
    auto* cl = b.context_len.data_ptr<int64_t>();
    auto* bt = b.block_tables.data_ptr<int32_t>();
    auto* sb = slot_block.data_ptr<int64_t>();
    auto* so = slot_offset.data_ptr<int64_t>();
    const int64_t BS = kv.block_size;
    int64_t t = 0;
    qs[0] = 0;
    for (int64_t s = 0; s < S; ++s) {
        cl[s] = first_position[s] + num_tokens[s];
        TORCH_CHECK(static_cast<int64_t>(tables[s].size()) * BS >= cl[s],
                    "PagedBatch: sequence ",
                    s,
                    " needs ",
                    (cl[s] + BS - 1) / BS,
                    " blocks, its table has ",
                    tables[s].size());
        std::copy(tables[s].begin(), tables[s].end(), bt + s * static_cast<int64_t>(widest));
        for (int64_t j = 0; j < num_tokens[s]; ++j, ++t) {
            const int64_t pos = first_position[s] + j;
            sb[t] = tables[s][pos / BS];
            so[t] = pos % BS;
        }
        qs[s + 1] = t;
    }
    auto device = kv.keys.front().device();
    b.slot_block = slot_block.to(device);
    b.slot_offset = slot_offset.to(device);
    return b;
}

// ---- the CPU kernel
// -----------------------------------------------------------------------------------

namespace {

struct KernelArgs {
    const float* q;  // [N, H, Dk]
    const void* k;   // [NB, Hkv, BS, Dk], or [NB, Hkv, Dk, BS] when k_columns
    const void* v;   // [NB, Hkv, BS, v_row]
    bool k_columns;
    const int32_t* block_tables;
    int64_t table_width;
    const int64_t* token_seq;    // [N] sequence of each token
    const int64_t* token_limit;  // [N] positions each token sees
    int64_t H, Hkv, Dk, Dv, v_row, BS;
    float scale;
    float* out;  // [N, H, Dv]
};

template <typename T>
inline __attribute__((always_inline)) float dot(const float* a, const T* b, int64_t n) {
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += a[i] * static_cast<float>(b[i]);
    return s;
}

template <typename T>
inline __attribute__((always_inline)) void axpy(float* y, float a, const T* x, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] += a * static_cast<float>(x[i]);
}

inline __attribute__((always_inline)) void scale_row(float* y, float a, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

// 16 floats as one vector (GCC vector extension: one AVX-512 register, or split into smaller ones
// on older instruction sets), loaded and stored unaligned.
typedef float Vec16 __attribute__((vector_size(64), aligned(4)));
inline __attribute__((always_inline)) Vec16 load16(const float* p) {
    Vec16 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Scores of one column-stored float block of 16 positions (keys [Dk, 16]): out[i] = q . k_i. Four
// accumulators over the key dimension keep the multiply-adds in registers and off one dependency
// chain.
inline __attribute__((always_inline)) void block_scores16(const float* q,
                                                          const float* kb,
                                                          int64_t Dk,
                                                          float* out) {
    Vec16 s0 = {}, s1 = {}, s2 = {}, s3 = {};
    int64_t d = 0;
    for (; d + 4 <= Dk; d += 4) {
        s0 += q[d] * load16(kb + d * 16);
        s1 += q[d + 1] * load16(kb + (d + 1) * 16);
        s2 += q[d + 2] * load16(kb + (d + 2) * 16);
        s3 += q[d + 3] * load16(kb + (d + 3) * 16);
    }
    for (; d < Dk; ++d) s0 += q[d] * load16(kb + d * 16);
    const Vec16 sum = (s0 + s1) + (s2 + s3);
    std::memcpy(out, &sum, sizeof sum);
}

// acc[0, Dv) += sum over p < n of w[p] * v_p (float value rows of v_row entries): 16 outputs at a
// time, four accumulators over positions. Rows at p >= n are never read (unwritten slots may hold
// NaN).
inline __attribute__((always_inline)) void add_weighted_values(
    float* acc, const float* w, const float* vb, int64_t v_row, int64_t n, int64_t Dv) {
    int64_t c = 0;
    for (; c + 16 <= Dv; c += 16) {
        Vec16 s0 = {}, s1 = {}, s2 = {}, s3 = {};
        int64_t p = 0;
        for (; p + 4 <= n; p += 4) {
            s0 += w[p] * load16(vb + p * v_row + c);
            s1 += w[p + 1] * load16(vb + (p + 1) * v_row + c);
            s2 += w[p + 2] * load16(vb + (p + 2) * v_row + c);
            s3 += w[p + 3] * load16(vb + (p + 3) * v_row + c);
        }
        for (; p < n; ++p) s0 += w[p] * load16(vb + p * v_row + c);
        const Vec16 sum = load16(acc + c) + ((s0 + s1) + (s2 + s3));
        std::memcpy(acc + c, &sum, sizeof sum);
    }
    for (int64_t p = 0; c < Dv && p < n; ++p) axpy(acc + c, w[p], vb + p * v_row + c, Dv - c);
}

// Scores [G, BS] of a column-stored block (keys [Dk, BS]) for the G query heads q [G, Dk]: each key
// dimension is one contiguous row of BS positions, so a block is Dk vector multiply-adds per head.
template <typename T>
inline __attribute__((always_inline)) void score_column_block(
    const float* q, const T* kb, int64_t G, int64_t Dk, int64_t BS, float* scores) {
    std::fill(scores, scores + G * BS, 0.f);
    for (int64_t d = 0; d < Dk; ++d) {
        for (int64_t j = 0; j < G; ++j) axpy(scores + j * BS, q[j * Dk + d], kb + d * BS, BS);
    }
}

inline __attribute__((always_inline)) void score_column_block(
    const float* q, const float* kb, int64_t G, int64_t Dk, int64_t BS, float* scores) {
    if (BS != 16) {
        score_column_block<float>(q, kb, G, Dk, BS, scores);
        return;
    }
    for (int64_t j = 0; j < G; ++j) block_scores16(q + j * Dk, kb, Dk, scores + j * 16);
}

// acc[0, Dv) += sum over p < n of w[p] * v_p, any value dtype.
template <typename T>
inline __attribute__((always_inline)) void add_weighted_values(
    float* acc, const float* w, const T* vb, int64_t v_row, int64_t n, int64_t Dv) {
    for (int64_t p = 0; p < n; ++p) axpy(acc, w[p], vb + p * v_row, Dv);
}

// Tasks [begin, end) of (token, kv head): the G query heads of the KV head walk the token's visible
// blocks with an online softmax.
template <typename T>
inline __attribute__((always_inline)) void attend(const KernelArgs& a, int64_t begin, int64_t end) {
    const int64_t G = a.H / a.Hkv, BS = a.BS;
    std::vector<float> scores(static_cast<size_t>(G * BS)), acc(static_cast<size_t>(G * a.Dv));
    std::vector<float> m(static_cast<size_t>(G)), l(static_cast<size_t>(G));
    const auto* k = static_cast<const T*>(a.k);
    const auto* v = static_cast<const T*>(a.v);
    const int64_t k_block = a.Hkv * BS * a.Dk, v_block = a.Hkv * BS * a.v_row;
    for (int64_t task = begin; task < end; ++task) {
        const int64_t t = task / a.Hkv, g = task % a.Hkv;
        const int64_t limit = a.token_limit[t];
        const int32_t* table = a.block_tables + a.token_seq[t] * a.table_width;
        const float* q = a.q + (t * a.H + g * G) * a.Dk;  // the G query heads [G, Dk]
        std::fill(m.begin(), m.end(), -std::numeric_limits<float>::infinity());
        std::fill(l.begin(), l.end(), 0.f);
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int64_t blk = 0, pos = 0; pos < limit; ++blk, pos += BS) {
            const int64_t n = std::min(BS, limit - pos);
            const T* kb = k + table[blk] * k_block + g * BS * a.Dk;
            const T* vb = v + table[blk] * v_block + g * BS * a.v_row;
            // scores [G, BS] of this block
            if (a.k_columns) {
                score_column_block(q, kb, G, a.Dk, BS, scores.data());
            } else {
                for (int64_t j = 0; j < G; ++j) {
                    for (int64_t p = 0; p < n; ++p)
                        scores[j * BS + p] = dot(q + j * a.Dk, kb + p * a.Dk, a.Dk);
                }
            }
            for (int64_t j = 0; j < G; ++j) {
                float* sj = scores.data() + j * BS;
                float block_max = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : block_max)
                for (int64_t p = 0; p < n; ++p) {
                    sj[p] *= a.scale;
                    block_max = sj[p] > block_max ? sj[p] : block_max;
                }
                float* accj = acc.data() + j * a.Dv;
                const float new_max = std::max(m[j], block_max);
                if (new_max > m[j]) {
                    const float correction = std::exp(m[j] - new_max);  // 0 on the first block
                    l[j] *= correction;
                    scale_row(accj, correction, a.Dv);
                    m[j] = new_max;
                }
                // The block's weights exp(s - max) in one vector pass, then the weighted values.
                float block_sum = 0.f;
#pragma omp simd reduction(+ : block_sum)
                for (int64_t p = 0; p < n; ++p) {
                    sj[p] = exp_nonpositive(sj[p] - new_max);
                    block_sum += sj[p];
                }
                l[j] += block_sum;
                add_weighted_values(accj, sj, vb, a.v_row, n, a.Dv);
            }
        }
        for (int64_t j = 0; j < G; ++j) {
            float* o = a.out + (t * a.H + g * G + j) * a.Dv;
            const float inv = 1.f / l[j];
            for (int64_t d = 0; d < a.Dv; ++d) o[d] = acc[j * a.Dv + d] * inv;
        }
    }
}

// Runs the tasks for the cache's dtype. One clone per instruction set, chosen at load time (the
// build itself targets baseline x86-64).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void attend_any(const KernelArgs& a, torch::ScalarType dtype, int64_t begin, int64_t end) {
    if (dtype == torch::kFloat32) {
        attend<float>(a, begin, end);
    } else if (dtype == torch::kBFloat16) {
        attend<c10::BFloat16>(a, begin, end);
    } else {
        attend<c10::Half>(a, begin, end);
    }
}

int64_t key_dim_of(const torch::Tensor& k_pool, KeyLayout layout) {
    return k_pool.size(layout == KeyLayout::kColumns ? 2 : 3);
}

void check_shapes(const torch::Tensor& q,
                  const torch::Tensor& k_pool,
                  const torch::Tensor& v_pool,
                  int64_t v_dim,
                  const PagedBatch& batch,
                  KeyLayout layout) {
    TORCH_CHECK(q.dim() == 3 && k_pool.dim() == 4 && v_pool.dim() == 4,
                "paged_attention: q [N, H, Dk], pools 4-d");
    TORCH_CHECK(q.size(2) == key_dim_of(k_pool, layout),
                "paged_attention: query dim ",
                q.size(2),
                " != key dim ",
                key_dim_of(k_pool, layout));
    TORCH_CHECK(k_pool.numel() / k_pool.size(0) / k_pool.size(1) / q.size(2) == v_pool.size(2),
                "paged_attention: key and value pools disagree on the block size");
    TORCH_CHECK(q.size(1) % k_pool.size(1) == 0,
                "paged_attention: query heads must be a multiple of KV heads");
    TORCH_CHECK(v_dim > 0 && v_dim <= v_pool.size(3), "paged_attention: v_dim out of range");
    TORCH_CHECK(batch.query_start.size(0) == batch.context_len.size(0) + 1 &&
                    batch.query_start[-1].item<int64_t>() == q.size(0),
                "paged_attention: the batch describes ",
                batch.query_start[-1].item<int64_t>(),
                " tokens, q has ",
                q.size(0));
}

}  // namespace

torch::Tensor paged_attention(const torch::Tensor& q,
                              const torch::Tensor& k_pool,
                              const torch::Tensor& v_pool,
                              int64_t v_dim,
                              const PagedBatch& batch,
                              double scale,
                              KeyLayout layout) {
    if (!q.device().is_cpu()) {
        return paged_attention_reference(q, k_pool, v_pool, v_dim, batch, scale, layout);
    }
    check_shapes(q, k_pool, v_pool, v_dim, batch, layout);
    TORCH_CHECK(k_pool.is_contiguous() && v_pool.is_contiguous() &&
                    k_pool.scalar_type() == v_pool.scalar_type(),
                "paged_attention: pools must be contiguous and of one dtype");
    const int64_t N = q.size(0), H = q.size(1), S = batch.context_len.size(0);
    auto qf = q.to(torch::kFloat32).contiguous();
    auto out = torch::empty({N, H, v_dim}, qf.options());
    std::vector<int64_t> token_seq(static_cast<size_t>(N)), token_limit(static_cast<size_t>(N));
    const auto* qs = batch.query_start.data_ptr<int64_t>();
    const auto* cl = batch.context_len.data_ptr<int64_t>();
    for (int64_t s = 0; s < S; ++s) {
        const int64_t n = qs[s + 1] - qs[s];
        for (int64_t j = 0; j < n; ++j) {
            token_seq[qs[s] + j] = s;
            token_limit[qs[s] + j] = cl[s] - n + j + 1;
        }
    }
    KernelArgs a{qf.data_ptr<float>(),
                 k_pool.data_ptr(),
                 v_pool.data_ptr(),
                 layout == KeyLayout::kColumns,
                 batch.block_tables.data_ptr<int32_t>(),
                 batch.block_tables.size(1),
                 token_seq.data(),
                 token_limit.data(),
                 H,
                 k_pool.size(1),
                 q.size(2),
                 v_dim,
                 v_pool.size(3),
                 v_pool.size(2),
                 static_cast<float>(scale),
                 out.data_ptr<float>()};
    const auto dtype = k_pool.scalar_type();
    TORCH_CHECK(dtype == torch::kFloat32 || dtype == torch::kBFloat16 || dtype == torch::kFloat16,
                "paged_attention: unsupported cache dtype ",
                dtype);
    at::parallel_for(
        0, N * a.Hkv, 1, [&](int64_t begin, int64_t end) { attend_any(a, dtype, begin, end); });
    return out.to(q.scalar_type());
}

torch::Tensor paged_attention_reference(const torch::Tensor& q,
                                        const torch::Tensor& k_pool,
                                        const torch::Tensor& v_pool,
                                        int64_t v_dim,
                                        const PagedBatch& batch,
                                        double scale,
                                        KeyLayout layout) {
    check_shapes(q, k_pool, v_pool, v_dim, batch, layout);
    const int64_t N = q.size(0), H = q.size(1), Hkv = k_pool.size(1), BS = v_pool.size(2);
    const int64_t S = batch.context_len.size(0), width = batch.block_tables.size(1);
    auto device = q.device();
    auto tables = batch.block_tables.to(torch::kLong).to(device).flatten();  // [S*W]
    auto key_rows =
        layout == KeyLayout::kColumns ? k_pool.transpose(2, 3) : k_pool;  // [NB, Hkv, BS, Dk]
    auto keys = key_rows.index_select(0, tables)
                    .view({S, width, Hkv, BS, -1})
                    .permute({0, 2, 1, 3, 4})
                    .reshape({S, Hkv, width * BS, -1});  // [S, Hkv, L, Dk]
    auto values = v_pool.index_select(0, tables)
                      .view({S, width, Hkv, BS, -1})
                      .permute({0, 2, 1, 3, 4})
                      .reshape({S, Hkv, width * BS, -1})
                      .narrow(-1, 0, v_dim);  // [S, Hkv, L, Dv]
    // Positions past a sequence's length hold stale or uninitialised memory: zero them so that
    // masked positions cannot inject NaN (0 weight * NaN).
    auto lengths = batch.context_len.to(device).view({S, 1, 1, 1});
    auto stale =
        torch::arange(width * BS, torch::TensorOptions().dtype(torch::kLong).device(device))
            .view({1, 1, -1, 1}) >= lengths;
    keys = keys.masked_fill(stale, 0);
    values = values.masked_fill(stale, 0);
    // Scatter the packed queries into [S, H, Tmax, Dk] and build each query's visibility.
    const auto* qs = batch.query_start.data_ptr<int64_t>();
    const auto* cl = batch.context_len.data_ptr<int64_t>();
    int64_t tmax = 1;
    for (int64_t s = 0; s < S; ++s) tmax = std::max(tmax, qs[s + 1] - qs[s]);
    std::vector<int64_t> row(static_cast<size_t>(N)), limit_of(static_cast<size_t>(S * tmax), 1);
    for (int64_t s = 0; s < S; ++s) {
        const int64_t n = qs[s + 1] - qs[s];
        for (int64_t j = 0; j < n; ++j) {
            row[qs[s] + j] = s * tmax + j;
            limit_of[s * tmax + j] = cl[s] - n + j + 1;
        }
    }
    auto rows = torch::tensor(row, torch::kLong).to(device);
    auto padded = torch::zeros({S * tmax, H, q.size(2)}, q.options())
                      .index_copy(0, rows, q)
                      .view({S, tmax, H, -1})
                      .transpose(1, 2);  // [S, H, Tmax, Dk]
    auto limits = torch::tensor(limit_of, torch::kLong).to(device).view({S, 1, tmax, 1});
    auto mask =
        torch::arange(width * BS, torch::TensorOptions().dtype(torch::kLong).device(device)) <
        limits;  // [S, 1, Tmax, L]
    const int64_t G = H / Hkv;
    auto folded = padded.reshape({S, Hkv, G * tmax, -1});  // [S, Hkv, G*Tmax, Dk]
    auto out = at::scaled_dot_product_attention(
                   folded, keys, values, mask.repeat({1, 1, G, 1}), 0.0, false, scale)
                   .view({S, H, tmax, v_dim})
                   .transpose(1, 2)
                   .reshape({S * tmax, H, v_dim});  // [S*Tmax, H, Dv]
    return out.index_select(0, rows);               // [N, H, Dv]
}

}  // namespace aha::policy
