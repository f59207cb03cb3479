#!/usr/bin/env python3
"""Exports a sentence-transformers BERT folder's transformer to ONNX for bench/embedding.

    python bench/export-onnx.py MODEL_DIR OUT.onnx [OUT-INT8.onnx]

Inputs input_ids, attention_mask, token_type_ids (int64, batch × tokens, both axes dynamic);
output last_hidden_state. Pooling and normalisation stay outside the graph, as in the Swift
and PyTorch runs they are compared with. With a third argument, also writes ONNX Runtime's own
dynamic int8 quantisation of the same graph (`quantize_dynamic`: int8 weights with one scale
per output channel, as ours, and activations quantised per tensor at run time). Needs torch,
transformers, onnx and (for int8) onnxruntime.
"""

import sys

import torch
from transformers import AutoModel


class LastHiddenState(torch.nn.Module):
    """The transformer with positional inputs and the one output the benchmark pools."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    model = LastHiddenState(AutoModel.from_pretrained(model_dir).eval())
    ids = torch.ones(1, 16, dtype=torch.int64)
    dynamic = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            out,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "token_type_ids": dynamic,
                "last_hidden_state": dynamic,
            },
            opset_version=17,
            dynamo=False,
        )
    if len(sys.argv) > 3:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(out, sys.argv[3], per_channel=True, weight_type=QuantType.QInt8)


if __name__ == "__main__":
    main()
