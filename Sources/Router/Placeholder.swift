// Placeholder until the Router layer lands; removed by its first real file.
