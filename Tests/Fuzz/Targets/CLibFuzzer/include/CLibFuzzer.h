// libFuzzer's driver, linked by `-sanitize=fuzzer`, for fuzz targets whose `main` is Swift's
// (SwiftPM names a debug executable's entry point itself, so libFuzzer's own `main` is not used).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef int (*FuzzTargetCallback)(const uint8_t *data, size_t size);

// As libFuzzer's FuzzerInterface.h declares it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, FuzzTargetCallback callback);

// Runs libFuzzer with the process arguments (fuzzing, or replaying the files they name) and
// exits with its status.
static inline void runLibFuzzer(int argc, char **argv, FuzzTargetCallback callback) {
  exit(LLVMFuzzerRunDriver(&argc, &argv, callback));
}
