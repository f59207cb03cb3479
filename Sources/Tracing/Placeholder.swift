// Placeholder until the Tracing layer lands; removed by its first real file.
