// Placeholder until the ExtProc layer lands; removed by its first real file.
