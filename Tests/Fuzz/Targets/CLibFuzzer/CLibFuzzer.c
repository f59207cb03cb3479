// The module is its header; LLVMFuzzerRunDriver comes from the libFuzzer runtime.
