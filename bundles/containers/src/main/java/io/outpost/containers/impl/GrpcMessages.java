package io.outpost.containers.impl;

import io.outpost.containers.impl.Http2Frames.ProtocolError;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * The messages of the gRPC health protocol (grpc.health.v1), hand-coded in protobuf's wire format, and the names
 * and formats the kubelet's gRPC probe words its results with (grpc-go's code names, Go's durations).
 */
final class GrpcMessages {
  /** gRPC status code names, by number, as grpc-go prints them. */
  static final List<String> CODES = List.of("OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
      "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted",
      "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated");
  /** HealthCheckResponse.ServingStatus names, by number. */
  static final List<String> STATUSES = List.of("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN");

  private GrpcMessages() {}

  /** A gRPC status code's name as grpc-go's codes.Code prints it ({@code Code(17)} beyond the known ones). */
  static String codeName(int code) {
    return code < CODES.size() ? CODES.get(code) : "Code(" + code + ")";
  }

  /** A ServingStatus's name as Go's protobuf enums print it (the number when unknown). */
  static String statusName(long status) {
    return status < STATUSES.size() ? STATUSES.get((int) status) : Long.toString(status);
  }

  /** The gRPC message of HealthCheckRequest { string service = 1 }: flag 0, length, protobuf. */
  static byte[] request(String service) {
    byte[] name = service.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream proto = new ByteArrayOutputStream();
    if (name.length > 0) {
      proto.write(0x0A); // field 1, wire type 2
      for (int length = name.length; ; length >>>= 7) {
        if (length < 0x80) {
          proto.write(length);
          break;
        }
        proto.write((length & 0x7f) | 0x80);
      }
      proto.writeBytes(name);
    }
    int length = proto.size();
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    message.writeBytes(new byte[] {0, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
        (byte) length});
    message.writeBytes(proto.toByteArray());
    return message.toByteArray();
  }

  /** HealthCheckResponse { ServingStatus status = 1 } from {@code at}: the last field 1 wins, absent is 0. */
  static long servingStatus(byte[] proto, int at) throws ProtocolError {
    long status = 0;
    int[] pos = {at};
    while (pos[0] < proto.length) {
      long tag = varint(proto, pos);
      int wire = (int) (tag & 7);
      if (tag >>> 3 == 1 && wire == 0) {
        status = varint(proto, pos);
      } else if (wire == 0) {
        varint(proto, pos);
      } else if (wire == 1 || wire == 5) {
        pos[0] += wire == 1 ? 8 : 4;
      } else if (wire == 2) {
        long length = varint(proto, pos);
        if (length > proto.length - pos[0]) {
          throw new ProtocolError("protobuf field beyond the message");
        }
        pos[0] += (int) length;
      } else {
        throw new ProtocolError("protobuf wire type " + wire + " in HealthCheckResponse");
      }
      if (pos[0] > proto.length) {
        throw new ProtocolError("protobuf field beyond the message");
      }
    }
    return status;
  }

  private static long varint(byte[] proto, int[] pos) throws ProtocolError {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= proto.length) {
        throw new ProtocolError("truncated protobuf varint");
      }
      int b = proto[pos[0]++] & 0xff;
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new ProtocolError("protobuf varint too long");
  }

  /** grpc-message is percent-encoded UTF-8 (the gRPC HTTP/2 spec); a malformed escape stays as it is. */
  static String percentDecoded(String value) {
    if (value == null) {
      return "";
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '%' && i + 2 < value.length() && Character.digit(value.charAt(i + 1), 16) >= 0
          && Character.digit(value.charAt(i + 2), 16) >= 0) {
        bytes.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** Whole seconds as Go prints a time.Duration: 1s, 1m30s, 1h0m0s. */
  static String goDuration(Duration duration) {
    long seconds = duration.getSeconds();
    if (seconds < 60) {
      return duration.getNano() == 0 ? seconds + "s" : duration.toMillis() + "ms";
    }
    String minutes = (seconds % 3600 / 60) + "m" + (seconds % 60) + "s";
    return seconds < 3600 ? minutes : (seconds / 3600) + "h" + minutes;
  }
}
