// C kernels for the embedding model's dense layers: int8 ones, and an AVX-512 f32 one. Only
// Embedding's CKernels.swift imports this header.
//
// A layer y = x·Wᵀ + b is stored as int8 weights with one symmetric scale per output row;
// each input row is quantised on the fly with one symmetric scale per block of 64 inputs (one
// scale per row lets BERT's few outlier channels flatten the rest: worst cosine 0.989 against
// 0.996 with blocks). Every kernel computes the same exact int32 sums Σ q(x)·q(w) per block and
// adds them up in f32 in the same order, so all of them give bit-identical outputs.
#ifndef EMBEDDING_KERNELS_H
#define EMBEDDING_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The instruction sets an int8 kernel is written for.
typedef enum {
  ek_int8_kernel_scalar = 0,
  /// vpmaddwd on sign-extended 16-bit values.
  ek_int8_kernel_avx2 = 1,
  /// vpdpbusd on unsigned activations (offset by 128) and signed weights.
  ek_int8_kernel_avx512_vnni = 2,
} ek_int8_kernel;

/// The fastest kernel this CPU (and its OS) can run. It asks the CPU: call it once and keep
/// the answer (the kernels do not ask again on every call).
ek_int8_kernel ek_int8_best_kernel(void);

/// Output columns per packed panel.
#define EK_INT8_PANEL 16
/// Inputs per packed group (the depth one vpdpbusd lane sums).
#define EK_INT8_GROUP 4
/// Inputs per activation scale.
#define EK_INT8_BLOCK 64

/// Bytes `ek_int8_pack` writes to `packed` for a layer of `outputs × inputs` weights.
size_t ek_int8_packed_size(int outputs, int inputs);

/// Values `ek_int8_pack` writes to `block_sums`.
size_t ek_int8_block_sums_count(int outputs, int inputs);

/// Quantises row-major `outputs × inputs` f32 weights: `scales[outputs]` gets each row's
/// scale (max |w| / 127), `block_sums` each row's sum of quantised weights per input block
/// (VNNI's unsigned-offset correction), and `packed` the quantised weights in panels of 16
/// outputs × groups of 4 inputs, zero-padded to whole panels and blocks.
void ek_int8_pack(
  const float *weights, int outputs, int inputs, int8_t *packed, float *scales,
  int32_t *block_sums);

/// y[rows × outputs] = x[rows × inputs] · Wᵀ + bias, W as packed by `ek_int8_pack`, with
/// `kernel` at most `ek_int8_best_kernel()` (a kernel the CPU lacks faults). Returns 0, or -1
/// when scratch memory could not be allocated (y is then untouched).
int ek_int8_linear(
  ek_int8_kernel kernel, const float *x, int rows, int inputs, int outputs,
  const int8_t *packed, const float *scales, const int32_t *block_sums, const float *bias,
  float *y);

/// Whether this CPU (and its OS) runs `ek_f32_linear`. It asks the CPU: call it once and keep
/// the answer.
int ek_f32_avx512_available(void);

/// y[rows × outputs] = x[rows × inputs] · Wᵀ + bias with AVX-512, W in PackedLinearLayer's
/// panels (`panels × inputs × 16` floats, the last zero-padded; `bias` padded to whole panels).
/// Only where `ek_f32_avx512_available()` (on a CPU without AVX-512 it faults). Returns 0, or
/// -1 without touching y off x86-64, where it is not built.
int ek_f32_linear(
  const float *x, int rows, int inputs, int outputs, const float *packed, const float *bias,
  float *y);

#endif
