// Placeholder until the Transport layer lands; removed by its first real file.
