// Placeholder until the TraceView module lands; removed by its first real file.
