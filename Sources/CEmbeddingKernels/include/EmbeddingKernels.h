// Integer kernels for the embedding model's dense layers. Only Embedding's
// Int8LinearLayer.swift includes this header.
//
// A layer y = x·Wᵀ + b is stored as int8 weights with one symmetric scale per output row;
// each input row is quantised on the fly with its own symmetric scale. Every kernel computes
// the same exact int32 sums Σ q(x)·q(w), so all of them give bit-identical outputs.
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

/// The fastest kernel this CPU (and its OS) can run.
ek_int8_kernel ek_int8_best_kernel(void);

/// Output columns per packed panel.
#define EK_INT8_PANEL 16
/// Inputs per packed group (the depth one vpdpbusd lane sums).
#define EK_INT8_GROUP 4

/// Bytes `ek_int8_pack` writes for a layer of `outputs × inputs` weights.
size_t ek_int8_packed_size(int outputs, int inputs);

/// Quantises row-major `outputs × inputs` f32 weights: `scales[outputs]` gets each row's
/// scale (max |w| / 127), `row_sums[outputs]` each row's sum of quantised weights, and
/// `packed` the quantised weights in panels of 16 outputs × groups of 4 inputs, zero-padded.
void ek_int8_pack(
  const float *weights, int outputs, int inputs, int8_t *packed, float *scales,
  int32_t *row_sums);

/// y[rows × outputs] = x[rows × inputs] · Wᵀ + bias, W as packed by `ek_int8_pack`.
/// Returns 0, or -1 when scratch memory could not be allocated (y is then untouched).
int ek_int8_linear(
  ek_int8_kernel kernel, const float *x, int rows, int inputs, int outputs,
  const int8_t *packed, const float *scales, const int32_t *row_sums, const float *bias,
  float *y);

#endif
