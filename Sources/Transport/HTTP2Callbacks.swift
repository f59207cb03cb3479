internal import CNGHTTP2

/// The nghttp2 callback table shared by every session. Each callback recovers its
/// `HTTP2Connection` from `user_data` (an unmanaged pointer the connection retains while its
/// session lives) and streams from nghttp2's per-stream user data.
final class HTTP2Callbacks: @unchecked Sendable {
  // @unchecked Sendable: the table is built once and nghttp2 only reads it.
  let pointer: OpaquePointer

  static let shared = HTTP2Callbacks()

  /// A data provider whose read callback pulls from the stream's queued DATA.
  static var dataProvider: nghttp2_data_provider {
    nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readData)
  }

  static func describe(_ code: Int) -> String {
    String(cString: nghttp2_strerror(Int32(clamping: code)))
  }

  private init() {
    var callbacks: OpaquePointer?
    nghttp2_session_callbacks_new(&callbacks)
    pointer = callbacks!
    nghttp2_session_callbacks_set_on_begin_headers_callback(pointer, onBeginHeaders)
    nghttp2_session_callbacks_set_on_header_callback(pointer, onHeader)
    nghttp2_session_callbacks_set_on_frame_recv_callback(pointer, onFrameReceived)
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(pointer, onDataChunk)
    nghttp2_session_callbacks_set_on_frame_send_callback(pointer, onFrameSent)
    nghttp2_session_callbacks_set_on_frame_not_send_callback(pointer, onFrameNotSent)
    nghttp2_session_callbacks_set_on_stream_close_callback(pointer, onStreamClose)
    nghttp2_session_callbacks_set_error_callback2(pointer, onError)
  }
}

/// The connection behind a session's `user_data`.
private func connectionFromUserData(_ userData: UnsafeMutableRawPointer?) -> HTTP2Connection {
  Unmanaged<HTTP2Connection>.fromOpaque(userData!).takeUnretainedValue()
}

// MARK: - Callbacks (non-capturing C functions)

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
  let frame = frame!.pointee
  let connection = connectionFromUserData(userData)
  if frame.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
    frame.headers.cat == NGHTTP2_HCAT_REQUEST, connection.role == .server
  {
    connection.beginRequest(streamID: frame.hd.stream_id)
  }
  return 0
}

private let onHeader: nghttp2_on_header_callback = {
  _, frame, name, nameLength, value, valueLength, _, userData in
  let connection = connectionFromUserData(userData)
  guard let stream = connection.stream(frame!.pointee.hd.stream_id) else { return 0 }
  let exceeded = stream.receivingHeaders.append(
    name: UnsafeBufferPointer(start: name, count: nameLength),
    value: UnsafeBufferPointer(start: value, count: valueLength))
  guard let exceeded else { return 0 }
  connection.headerListExceeded(exceeded, stream: stream)
  // nghttp2 decodes the rest of the block (its HPACK state must stay in step) without calling
  // us again for it, and resets the stream (with the code `headerListExceeded` submitted).
  return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
}

private let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
  let frame = frame!.pointee
  let connection = connectionFromUserData(userData)
  let endStream = frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
  if frame.hd.stream_id != 0, let stream = connection.stream(frame.hd.stream_id) {
    connection.noteProgress(stream)
  }
  switch UInt32(frame.hd.type) {
  case NGHTTP2_SETTINGS.rawValue:
    if frame.hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 { connection.receivedSettings() }
  case NGHTTP2_HEADERS.rawValue:
    guard let stream = connection.stream(frame.hd.stream_id) else { return 0 }
    if frame.headers.cat == NGHTTP2_HCAT_REQUEST && connection.role == .server {
      connection.requestHeadersComplete(stream, endStream: endStream)
    } else {
      let headers = stream.receivingHeaders.take()
      stream.delegate?.stream(stream, receivedHeaders: headers, endStream: endStream)
    }
  case NGHTTP2_DATA.rawValue:
    guard endStream, let stream = connection.stream(frame.hd.stream_id) else { return 0 }
    stream.delegate?.streamReceivedEnd(stream)
  default:
    break
  }
  return 0
}

private let onDataChunk: nghttp2_on_data_chunk_recv_callback = {
  _, _, streamID, data, length, userData in
  let connection = connectionFromUserData(userData)
  connection.receivedData(UnsafeRawBufferPointer(start: data, count: length), streamID: streamID)
  return 0
}

private let onFrameSent: nghttp2_on_frame_send_callback = { _, frame, userData in
  let frame = frame!.pointee
  let type = UInt32(frame.hd.type)
  let connection = connectionFromUserData(userData)
  if type == NGHTTP2_GOAWAY.rawValue { connection.goawaySent(errorCode: frame.goaway.error_code) }
  guard frame.hd.stream_id != 0, let stream = connection.stream(frame.hd.stream_id) else {
    return 0
  }
  connection.noteProgress(stream)
  guard type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue else { return 0 }
  if type == NGHTTP2_HEADERS.rawValue { stream.headersWereSent = true }
  if frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 { stream.sentEndStream() }
  return 0
}

private let onFrameNotSent: nghttp2_on_frame_not_send_callback = { _, frame, _, userData in
  let frame = frame!.pointee
  guard UInt32(frame.hd.type) == NGHTTP2_HEADERS.rawValue else { return 0 }
  let connection = connectionFromUserData(userData)
  connection.headersNotSent(streamID: frame.hd.stream_id)
  return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = {
  _, streamID, errorCode, userData in
  let connection = connectionFromUserData(userData)
  connection.streamClosed(streamID: streamID, errorCode: errorCode)
  return 0
}

private let onError: nghttp2_error_callback2 = { _, code, message, length, userData in
  let connection = connectionFromUserData(userData)
  let text = String(
    decoding: UnsafeRawBufferPointer(start: message, count: length), as: UTF8.self)
  connection.logger.debug("nghttp2: \(text) (\(code))")
  return 0
}

private let readData: nghttp2_data_source_read_callback = {
  session, streamID, buffer, length, flags, _, userData in
  let connection = connectionFromUserData(userData)
  guard let stream = connection.stream(streamID) else {
    return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
  }
  return stream.readData(into: buffer!, length: length, flags: &flags!.pointee)
}
