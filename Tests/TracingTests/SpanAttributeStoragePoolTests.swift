import Testing

@testable import Tracing

@Suite("span attribute storage pool")
struct SpanAttributeStoragePoolTests {
  /// A sampled span whose attributes start in a pooled storage, with a string and an array.
  private func pooledSpan(_ name: String) -> SpanData {
    var span = sampledSpan(name)
    span.attributes = SpanAttributes(minimumCapacity: SpanAttributeStoragePool.entryCapacity)
    span.attributes.set("category.name", "math")
    span.attributes.set("tags", .stringArray(["a", "b"]))
    return span
  }

  @Test func recycle_takesBackOnlyUnsharedPooledStorages_emptied() {
    let pool = SpanAttributeStoragePool(limit: 10)
    let kept = pooledSpan("kept by an exporter")
    var grown = pooledSpan("grown")
    for i in 0..<20 { grown.attributes.set("key.\(i)", .int(Int64(i))) }
    var spans = [pooledSpan("recycled"), kept, grown]

    pool.recycle(&spans)

    #expect(pool.spareCountForTesting == 1)
    #expect(spans[0].attributes.isEmpty)
    // Shared with `kept`, and no longer the pooled size: both left as they were.
    #expect(kept.attributes == spans[1].attributes)
    #expect(kept.attributes.count == 2)
    #expect(spans[2].attributes.count == 22)
    let reused = pool.take()
    #expect(reused.count == 0)
    #expect(reused.withEntries { $2.isEmpty })
    #expect(pool.spareCountForTesting == 0)
  }

  @Test func recycle_keepsAtMostTheLimit() {
    let pool = SpanAttributeStoragePool(limit: 2)
    var spans = (0..<5).map { pooledSpan("span \($0)") }
    pool.recycle(&spans)
    #expect(pool.spareCountForTesting == 2)
    var more = [pooledSpan("one more")]
    pool.recycle(&more)
    #expect(pool.spareCountForTesting == 2)
  }

  @Test func reusedStorage_holdsOnlyWhatIsSetAfterwards() {
    let pool = SpanAttributeStoragePool(limit: 1)
    var spans = [pooledSpan("first")]
    pool.recycle(&spans)
    let storage = pool.take()
    // A key the first span had, and a new one: both appended from the start of the block.
    for (key, value) in [("category.name", "law"), ("endpoint.name", "model-b")] {
      var key = key
      var text = value
      let outcome = key.withUTF8 { key in
        text.withUTF8 { text in storage.set(key, .string(value), text: text, countLimit: .max) }
      }
      #expect(outcome == .stored)
    }
    let (keys, textCount, boxedCount) = storage.withEntries { entries, text, boxed in
      (entries.map(\.keyOffset), text.count, boxed.count)
    }
    // Each string value is written before its key: "law\0category.name\0model-b\0…".
    #expect(keys == [4, 26])
    #expect(
      textCount == "category.name".utf8.count + "law".utf8.count + "endpoint.name".utf8.count
        + "model-b".utf8.count + 4)
    #expect(boxedCount == 0)
  }

  @Test func batchProcessor_leavesSpansAnExporterKeptIntact() {
    let exporter = RecordingExporter()
    let processor = BatchSpanProcessor(exporter: exporter)
    let tracer = Tracer(processor: processor)
    for i in 0..<3 {
      let span = tracer.startSpan("request \(i)", parent: nil)
      span.setAttribute("category.name", "math")
      span.setAttribute("index", .int(Int64(i)))
      span.end()
    }
    #expect(processor.forceFlush(timeout: .seconds(5)))
    let exported = exporter.batches.flatMap { $0 }
    #expect(
      exported.map { Array($0.attributes) }
        == (0..<3).map {
          [SpanAttribute("category.name", "math"), SpanAttribute("index", .int(Int64($0)))]
        })
    _ = processor.shutdown(timeout: .seconds(5))
  }
}
