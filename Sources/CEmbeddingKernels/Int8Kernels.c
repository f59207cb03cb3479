// The int8 dense-layer kernels declared in EmbeddingKernels.h: one portable C loop, and AVX2
// and AVX-512 VNNI versions compiled per function (target attributes), so the binary still
// runs on CPUs without them and `ek_int8_best_kernel` picks one at run time.
#include "EmbeddingKernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Every kernel must round alike: no multiply-add is fused unless written as one.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>
#define EK_X86 1
#endif

/// Groups of 4 inputs per activation block.
#define GROUPS_PER_BLOCK (EK_INT8_BLOCK / EK_INT8_GROUP)

static int padded_inputs(int inputs) {
  return (inputs + EK_INT8_BLOCK - 1) / EK_INT8_BLOCK * EK_INT8_BLOCK;
}

static int block_count(int inputs) { return padded_inputs(inputs) / EK_INT8_BLOCK; }

static int panel_count(int outputs) { return (outputs + EK_INT8_PANEL - 1) / EK_INT8_PANEL; }

/// Bytes of one panel: 16 outputs × the padded inputs.
static size_t panel_bytes(int inputs) { return (size_t)padded_inputs(inputs) * EK_INT8_PANEL; }

/// Where weight (output, input) lives in a panel: groups of 4 inputs, 16 outputs × 4 each.
static size_t packed_index(int output, int input, int inputs) {
  int group = input / EK_INT8_GROUP;
  return (size_t)(output / EK_INT8_PANEL) * panel_bytes(inputs)
    + ((size_t)group * EK_INT8_PANEL + output % EK_INT8_PANEL) * EK_INT8_GROUP
    + input % EK_INT8_GROUP;
}

/// Where the sum of (output, block) lives: per panel, per block, 16 outputs.
static size_t block_sum_index(int output, int block, int inputs) {
  return ((size_t)(output / EK_INT8_PANEL) * block_count(inputs) + block) * EK_INT8_PANEL
    + output % EK_INT8_PANEL;
}

size_t ek_int8_packed_size(int outputs, int inputs) {
  return (size_t)panel_count(outputs) * panel_bytes(inputs);
}

size_t ek_int8_block_sums_count(int outputs, int inputs) {
  return (size_t)panel_count(outputs) * block_count(inputs) * EK_INT8_PANEL;
}

/// round(value × inverse_scale) clamped to ±127, rounding half to even by adding and taking
/// away 1.5·2²³ (exact for |x| < 2²²): plain arithmetic the compiler vectorises, where a
/// `lrintf` call per value cost a third of a layer's time.
static int8_t quantize(float value, float inverse_scale) {
  const float shifter = 12582912.0f;
  float scaled = value * inverse_scale;
  scaled = scaled > 127 ? 127 : scaled < -127 ? -127 : scaled;
  return (int8_t)(int)((scaled + shifter) - shifter);
}

/// max |v| over `count` values, in 8 independent lanes so the loop vectorises.
static float absolute_maximum(const float *values, int count) {
  float lanes[8] = {0};
  int i = 0;
  for (; i + 8 <= count; i += 8) {
    for (int j = 0; j < 8; j++) {
      float a = fabsf(values[i + j]);
      lanes[j] = a > lanes[j] ? a : lanes[j];
    }
  }
  float maximum = 0;
  for (int j = 0; j < 8; j++) maximum = lanes[j] > maximum ? lanes[j] : maximum;
  for (; i < count; i++) {
    float a = fabsf(values[i]);
    maximum = a > maximum ? a : maximum;
  }
  return maximum;
}

static int minimum(int a, int b) { return a < b ? a : b; }

void ek_int8_pack(
  const float *weights, int outputs, int inputs, int8_t *packed, float *scales,
  int32_t *block_sums) {
  memset(packed, 0, ek_int8_packed_size(outputs, inputs));
  memset(block_sums, 0, ek_int8_block_sums_count(outputs, inputs) * sizeof *block_sums);
  for (int o = 0; o < outputs; o++) {
    const float *row = weights + (size_t)o * inputs;
    float maximum = absolute_maximum(row, inputs);
    float inverse = maximum > 0 ? 127 / maximum : 0;
    scales[o] = maximum / 127;
    for (int k = 0; k < inputs; k++) {
      int8_t q = quantize(row[k], inverse);
      packed[packed_index(o, k, inputs)] = q;
      block_sums[block_sum_index(o, k / EK_INT8_BLOCK, inputs)] += q;
    }
  }
}

/// Quantises `rows` input rows into `q` (rows × padded inputs, zero-padded), each block of 64
/// inputs with its own scale (`block_scales`, rows × blocks).
static void quantize_rows(
  const float *x, int rows, int inputs, int8_t *q, float *block_scales) {
  int kp = padded_inputs(inputs);
  for (int r = 0; r < rows; r++) {
    for (int b = 0; b < block_count(inputs); b++) {
      int start = b * EK_INT8_BLOCK;
      int count = minimum(EK_INT8_BLOCK, inputs - start);
      const float *values = x + (size_t)r * inputs + start;
      float maximum = absolute_maximum(values, count);
      float inverse = maximum > 0 ? 127 / maximum : 0;
      block_scales[r * block_count(inputs) + b] = maximum / 127;
      int8_t *out = q + (size_t)r * kp + start;
      for (int k = 0; k < count; k++) out[k] = quantize(values[k], inverse);
      for (int k = count; k < EK_INT8_BLOCK; k++) out[k] = 0;
    }
  }
}

/// The shapes and operands of one call, shared by the kernels.
typedef struct {
  int rows, inputs, outputs;
  const int8_t *packed;
  const float *scales;
  const int32_t *block_sums;
  const float *bias;
  /// Rows (padded to the kernel's tile) × blocks.
  const float *block_scales;
  float *y;
} layer_call;

/// Writes a tile's outputs: its per-row sums over blocks (`sums`, each already Σ scale ⊗ exact
/// block sum) times the weight scale, plus the bias. Kept out of line and compiled without
/// target attributes so every kernel rounds the same way.
__attribute__((noinline)) static void finish_tile(
  const layer_call *call, const float *sums, int stride, int row0, int rows, int column0,
  int columns) {
  for (int r = 0; r < rows; r++) {
    float *y = call->y + (size_t)(row0 + r) * call->outputs;
    for (int c = 0; c < columns; c++) {
      int o = column0 + c;
      y[o] = sums[r * stride + c] * call->scales[o] + call->bias[o];
    }
  }
}

// MARK: - Portable

static void linear_scalar(const layer_call *call, const int8_t *q) {
  int kp = padded_inputs(call->inputs);
  int blocks = block_count(call->inputs);
  float sums[EK_INT8_PANEL];
  for (int p = 0; p < panel_count(call->outputs); p++) {
    const int8_t *panel = call->packed + (size_t)p * panel_bytes(call->inputs);
    int columns = minimum(EK_INT8_PANEL, call->outputs - p * EK_INT8_PANEL);
    for (int r = 0; r < call->rows; r++) {
      for (int j = 0; j < EK_INT8_PANEL; j++) {
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
          int32_t exact = 0;
          for (int g = b * GROUPS_PER_BLOCK; g < (b + 1) * GROUPS_PER_BLOCK; g++) {
            const int8_t *w = panel + ((size_t)g * EK_INT8_PANEL + j) * EK_INT8_GROUP;
            const int8_t *a = q + (size_t)r * kp + g * EK_INT8_GROUP;
            for (int t = 0; t < EK_INT8_GROUP; t++) exact += a[t] * w[t];
          }
          sum = fmaf(call->block_scales[r * blocks + b], (float)exact, sum);
        }
        sums[j] = sum;
      }
      finish_tile(call, sums, EK_INT8_PANEL, r, 1, p * EK_INT8_PANEL, columns);
    }
  }
}

#if EK_X86

// MARK: - AVX2

#define AVX2_TARGET "avx2,fma"
/// Rows per AVX2 tile: 4 rows × 8 outputs is 8 integer and 4 float accumulators, 2 weight and
/// 1 input register.
#define AVX2_ROWS 4

/// Sums of 4 rows × 8 outputs (half a panel: `w` points at its first 32 bytes).
__attribute__((always_inline, target(AVX2_TARGET))) static inline void avx2_tile(
  const int16_t *a, int kp, const int8_t *w, const float *block_scales, int blocks,
  float *out) {
  __m256 sums[AVX2_ROWS];
  for (int r = 0; r < AVX2_ROWS; r++) sums[r] = _mm256_setzero_ps();
  for (int b = 0; b < blocks; b++) {
    __m256i low[AVX2_ROWS], high[AVX2_ROWS];
    for (int r = 0; r < AVX2_ROWS; r++) low[r] = high[r] = _mm256_setzero_si256();
    for (int g = b * GROUPS_PER_BLOCK; g < (b + 1) * GROUPS_PER_BLOCK; g++) {
      const int8_t *wg = w + (size_t)g * EK_INT8_PANEL * EK_INT8_GROUP;
      // Outputs 0–3 and 4–7, 4 inputs each, widened to 16 bits: vpmaddwd then sums pairs of
      // products into 32 bits without the saturation vpmaddubsw would risk.
      __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)wg));
      __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wg + 16)));
      for (int r = 0; r < AVX2_ROWS; r++) {
        int64_t four;
        memcpy(&four, a + (size_t)r * kp + g * EK_INT8_GROUP, sizeof four);
        __m256i x = _mm256_set1_epi64x(four);
        low[r] = _mm256_add_epi32(low[r], _mm256_madd_epi16(x, w0));
        high[r] = _mm256_add_epi32(high[r], _mm256_madd_epi16(x, w1));
      }
    }
    for (int r = 0; r < AVX2_ROWS; r++) {
      // Each output's sum is still in two adjacent lanes; hadd gives outputs 0 1 4 5 | 2 3 6 7.
      __m256i exact = _mm256_permute4x64_epi64(_mm256_hadd_epi32(low[r], high[r]), 0xD8);
      __m256 scale = _mm256_set1_ps(block_scales[r * blocks + b]);
      sums[r] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(exact), sums[r]);
    }
  }
  for (int r = 0; r < AVX2_ROWS; r++) _mm256_storeu_ps(out + r * 8, sums[r]);
}

__attribute__((target(AVX2_TARGET))) static int linear_avx2(
  const layer_call *call, const int8_t *q) {
  int kp = padded_inputs(call->inputs);
  int blocks = block_count(call->inputs);
  int padded_rows = (call->rows + AVX2_ROWS - 1) / AVX2_ROWS * AVX2_ROWS;
  int16_t *a = calloc((size_t)padded_rows * kp, sizeof *a);
  if (a == NULL) return -1;
  for (size_t i = 0; i < (size_t)call->rows * kp; i++) a[i] = q[i];
  float sums[AVX2_ROWS * 8];
  for (int p = 0; p < panel_count(call->outputs); p++) {
    const int8_t *panel = call->packed + (size_t)p * panel_bytes(call->inputs);
    for (int half = 0; half < 2; half++) {
      int column0 = p * EK_INT8_PANEL + half * 8;
      int columns = minimum(8, call->outputs - column0);
      if (columns <= 0) break;
      for (int r0 = 0; r0 < call->rows; r0 += AVX2_ROWS) {
        avx2_tile(
          a + (size_t)r0 * kp, kp, panel + half * 32, call->block_scales + r0 * blocks, blocks,
          sums);
        finish_tile(call, sums, 8, r0, minimum(AVX2_ROWS, call->rows - r0), column0, columns);
      }
    }
  }
  free(a);
  return 0;
}

// MARK: - AVX-512 VNNI

#define VNNI_TARGET "avx512f,avx512bw,avx512vnni"
/// Rows per VNNI tile: 8 rows × 2 panels is 16 of the 32 zmm registers as integer
/// accumulators; the float sums live in the tile buffer (L1).
#define VNNI_ROWS 8
/// How far ahead (bytes) to prefetch the weights: at query sizes they come from memory once
/// per query, and the hardware prefetcher alone leaves the loop waiting (-7% time at 16 tokens).
#define INT8_PREFETCH 2048

/// Sums of 8 rows × 1 or 2 panels at `w` into `out` (8 × 32 floats).
__attribute__((always_inline, target(VNNI_TARGET))) static inline void vnni_tile(
  const uint8_t *a, int kp, const int8_t *w, const int32_t *block_sums, size_t panel_size,
  int two_panels, const float *block_scales, int blocks, float *out) {
  for (int i = 0; i < VNNI_ROWS * 32; i++) out[i] = 0;
  for (int b = 0; b < blocks; b++) {
    __m512i first[VNNI_ROWS], second[VNNI_ROWS];
    for (int r = 0; r < VNNI_ROWS; r++) first[r] = second[r] = _mm512_setzero_si512();
    for (int g = b * GROUPS_PER_BLOCK; g < (b + 1) * GROUPS_PER_BLOCK; g++) {
      size_t offset = (size_t)g * EK_INT8_PANEL * EK_INT8_GROUP;
      __m512i w0 = _mm512_loadu_si512(w + offset);
      __m512i w1 = two_panels ? _mm512_loadu_si512(w + panel_size + offset) : w0;
      _mm_prefetch((const char *)(w + offset + INT8_PREFETCH), _MM_HINT_T0);
      if (two_panels)
        _mm_prefetch((const char *)(w + panel_size + offset + INT8_PREFETCH), _MM_HINT_T0);
      for (int r = 0; r < VNNI_ROWS; r++) {
        int32_t four;
        memcpy(&four, a + (size_t)r * kp + g * EK_INT8_GROUP, sizeof four);
        __m512i x = _mm512_set1_epi32(four);
        first[r] = _mm512_dpbusd_epi32(first[r], x, w0);
        if (two_panels) second[r] = _mm512_dpbusd_epi32(second[r], x, w1);
      }
    }
    // The activations were q + 128: take away 128 × the block's weight sums.
    __m512i offset0 = _mm512_slli_epi32(
      _mm512_loadu_si512(block_sums + (size_t)b * EK_INT8_PANEL), 7);
    __m512i offset1 = two_panels
      ? _mm512_slli_epi32(
          _mm512_loadu_si512(block_sums + ((size_t)blocks + b) * EK_INT8_PANEL), 7)
      : offset0;
    for (int r = 0; r < VNNI_ROWS; r++) {
      __m512 scale = _mm512_set1_ps(block_scales[r * blocks + b]);
      float *row = out + r * 32;
      __m512 exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(first[r], offset0));
      _mm512_storeu_ps(row, _mm512_fmadd_ps(scale, exact, _mm512_loadu_ps(row)));
      if (two_panels) {
        exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(second[r], offset1));
        _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(scale, exact, _mm512_loadu_ps(row + 16)));
      }
    }
  }
}

/// finish_tile for up to 8 rows × 32 columns in zmm registers: the same multiply, then add
/// (not fused), so the same bits as the portable loop.
__attribute__((always_inline, target(VNNI_TARGET))) static inline void vnni_finish(
  const layer_call *call, const float *sums, int row0, int rows, int column0, int columns) {
  for (int half = 0; half < 2 && half * 16 < columns; half++) {
    int o = column0 + half * 16;
    int count = minimum(16, columns - half * 16);
    __mmask16 mask = (__mmask16)((1u << count) - 1);
    __m512 scale = _mm512_maskz_loadu_ps(mask, call->scales + o);
    __m512 bias = _mm512_maskz_loadu_ps(mask, call->bias + o);
    for (int r = 0; r < rows; r++) {
      __m512 sum = _mm512_loadu_ps(sums + r * 32 + half * 16);
      __m512 y = _mm512_add_ps(_mm512_mul_ps(sum, scale), bias);
      _mm512_mask_storeu_ps(call->y + (size_t)(row0 + r) * call->outputs + o, mask, y);
    }
  }
}

__attribute__((target(VNNI_TARGET))) static int linear_vnni(
  const layer_call *call, const int8_t *q) {
  int kp = padded_inputs(call->inputs);
  int blocks = block_count(call->inputs);
  int padded_rows = (call->rows + VNNI_ROWS - 1) / VNNI_ROWS * VNNI_ROWS;
  // vpdpbusd multiplies unsigned by signed bytes: activations are shifted to q + 128 and the
  // tile takes 128·Σw back off. Padding rows hold 128, a zero activation.
  uint8_t *a = malloc((size_t)padded_rows * kp);
  if (a == NULL) return -1;
  memset(a, 128, (size_t)padded_rows * kp);
  for (size_t i = 0; i < (size_t)call->rows * kp; i++) a[i] = (uint8_t)(q[i] + 128);
  size_t panel_size = panel_bytes(call->inputs);
  int panels = panel_count(call->outputs);
  float sums[VNNI_ROWS * 32];
  for (int p = 0; p < panels; p += 2) {
    const int8_t *w = call->packed + (size_t)p * panel_size;
    const int32_t *block_sums = call->block_sums + (size_t)p * blocks * EK_INT8_PANEL;
    int two_panels = p + 1 < panels;
    int column0 = p * EK_INT8_PANEL;
    int columns = minimum(two_panels ? 32 : 16, call->outputs - column0);
    for (int r0 = 0; r0 < call->rows; r0 += VNNI_ROWS) {
      const uint8_t *rows = a + (size_t)r0 * kp;
      const float *scales = call->block_scales + r0 * blocks;
      if (two_panels) vnni_tile(rows, kp, w, block_sums, panel_size, 1, scales, blocks, sums);
      else vnni_tile(rows, kp, w, block_sums, panel_size, 0, scales, blocks, sums);
      vnni_finish(call, sums, r0, minimum(VNNI_ROWS, call->rows - r0), column0, columns);
    }
  }
  free(a);
  return 0;
}

#endif

// MARK: - Dispatch

ek_int8_kernel ek_int8_best_kernel(void) {
#if EK_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"))
    return ek_int8_kernel_avx512_vnni;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return ek_int8_kernel_avx2;
#endif
  return ek_int8_kernel_scalar;
}

/// The tallest tile of any kernel: block scales are allocated for rows padded to it.
#define TALLEST_TILE 8

int ek_int8_linear(
  ek_int8_kernel kernel, const float *x, int rows, int inputs, int outputs,
  const int8_t *packed, const float *scales, const int32_t *block_sums, const float *bias,
  float *y) {
  int kp = padded_inputs(inputs);
  int padded_rows = (rows + TALLEST_TILE - 1) / TALLEST_TILE * TALLEST_TILE;
  int8_t *q = malloc((size_t)rows * kp + 1);
  float *block_scales = calloc((size_t)padded_rows * block_count(inputs) + 1, sizeof(float));
  int status = -1;
  if (q != NULL && block_scales != NULL) {
    quantize_rows(x, rows, inputs, q, block_scales);
    layer_call call = {rows, inputs, outputs, packed, scales, block_sums, bias, block_scales, y};
    switch (kernel) {
#if EK_X86
    case ek_int8_kernel_avx512_vnni: status = linear_vnni(&call, q); break;
    case ek_int8_kernel_avx2: status = linear_avx2(&call, q); break;
#endif
    default: linear_scalar(&call, q); status = 0; break;
    }
  }
  free(q);
  free(block_scales);
  return status;
}
