/// Envoy cluster names for backend endpoints.
///
/// The router puts this name in the cluster routing header and the Envoy config generator names
/// the cluster with it, so both sides always agree. The name is stable: it depends only on the
/// endpoint's name, never on its position in the file.
public enum ClusterName {
  /// The cluster of the ext_proc gRPC service (the router itself) in the generated Envoy config.
  public static let extProc = "semantic_router_extproc"

  /// `vsr_` followed by the endpoint name, lower-cased, with every character outside
  /// `[a-z0-9_.-]` replaced by `_` (e.g. `backend-1` → `vsr_backend-1`).
  public static func forEndpoint(named name: String) -> String {
    var result = "vsr_"
    for byte in name.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
        UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
        result.unicodeScalars.append(Unicode.Scalar(byte))
      case UInt8(ascii: "A")...UInt8(ascii: "Z"):
        result.unicodeScalars.append(Unicode.Scalar(byte + 32))
      default:
        result.unicodeScalars.append("_")
      }
    }
    return result
  }
}
