// Placeholder until the Metrics module lands; removed by its first real file.
