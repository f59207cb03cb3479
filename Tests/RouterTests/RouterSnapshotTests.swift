import Foundation
import Router
import Testing

@Suite struct RouterSnapshotTests {
  static let yaml = """
    models:
      - name: m
        category: [math]
        endpoints: [{ name: e, address: "http://127.0.0.1:8101" }]
    default_model: m
    categories:
      - { name: math, examples: ["solve the equation"] }
    semantic_cache: { enabled: true, max_entries: 10 }
    """

  @Test func digest_isFNV1a64OfTheFileBytes_inSixteenHexDigits() {
    // FNV-1a 64 reference values: the empty input is the offset basis; "a" is the spec's
    // first test vector.
    #expect(ConfigurationIdentity(generation: 1, fileBytes: []).digest == "cbf29ce484222325")
    #expect(ConfigurationIdentity(generation: 1, fileBytes: Array("a".utf8)).digest
      == "af63dc4c8601ec8c")
    #expect(ConfigurationIdentity(generation: 1, fileBytes: Array("foobar".utf8)).digest
      == "85944171f73967e8")
  }

  @Test func holder_givesTheReplacementToLaterReaders_andReturnsTheOneReplaced() throws {
    let first = RouterSnapshot(
      router: SemanticRouter(configuration: try RouterConfiguration.parse(yaml: Self.yaml)),
      identity: ConfigurationIdentity(generation: 1, digest: "a"))
    let holder = RouterSnapshotHolder(first)
    let taken = holder.current  // a stream that started before the reload
    let second = RouterSnapshot(
      router: SemanticRouter(configuration: try RouterConfiguration.parse(yaml: Self.yaml)),
      identity: ConfigurationIdentity(generation: 2, digest: "b"))
    #expect(holder.replace(with: second).identity.generation == 1)
    #expect(holder.current.identity == second.identity)
    #expect(taken.router === first.router)
  }

  @Test func reload_keepsTheCacheWhenItsSettingsAreUnchanged_elseStartsAFreshOne() throws {
    let before = SemanticRouter(configuration: try RouterConfiguration.parse(yaml: Self.yaml))
    let renamedExamples = Self.yaml.replacingOccurrences(
      of: "solve the equation", with: "integrate this")
    let same = SemanticRouter(
      configuration: try RouterConfiguration.parse(yaml: renamedExamples),
      reusingCacheOf: before)
    #expect(same.cache != nil && same.cache === before.cache)
    let resized = SemanticRouter(
      configuration: try RouterConfiguration.parse(
        yaml: Self.yaml.replacingOccurrences(of: "max_entries: 10", with: "max_entries: 20")),
      reusingCacheOf: before)
    #expect(resized.cache != nil && resized.cache !== before.cache)
    let off = SemanticRouter(
      configuration: try RouterConfiguration.parse(
        yaml: Self.yaml.replacingOccurrences(of: "enabled: true", with: "enabled: false")),
      reusingCacheOf: before)
    #expect(off.cache == nil)
  }
}
