package io.outpost.containers.impl;

import io.outpost.containers.impl.Http2Frames.ProtocolError;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Decodes the HPACK (RFC 7541) header blocks one HTTP/2 connection receives, in order: static and dynamic table
 * (4096 bytes, the default this client never raises), Huffman-coded strings. The gRPC probe reads the server's
 * {@code grpc-status} and {@code grpc-message} with it. Every length is checked against the block: malformed input is
 * a {@link ProtocolError} (COMPRESSION_ERROR), never an exception of another kind or an unbounded allocation.
 */
final class HpackDecoder {
  /** RFC 7541 Appendix A, index 1..61: "name" or "name=value". */
  private static final String[] STATIC = (":authority|:method=GET|:method=POST|:path=/|:path=/index.html|"
      + ":scheme=http|:scheme=https|:status=200|:status=204|:status=206|:status=304|:status=400|:status=404|"
      + ":status=500|accept-charset|accept-encoding=gzip, deflate|accept-language|accept-ranges|accept|"
      + "access-control-allow-origin|age|allow|authorization|cache-control|content-disposition|content-encoding|"
      + "content-language|content-length|content-location|content-range|content-type|cookie|date|etag|expect|"
      + "expires|from|host|if-match|if-modified-since|if-none-match|if-range|if-unmodified-since|last-modified|"
      + "link|location|max-forwards|proxy-authenticate|proxy-authorization|range|referer|refresh|retry-after|"
      + "server|set-cookie|strict-transport-security|transfer-encoding|user-agent|vary|via|www-authenticate")
      .split("\\|");
  /**
   * RFC 7541 Appendix B, the Huffman code's length for each symbol 0..256 (EOS), as {@code 'a' + length - 5}. The
   * code is canonical (codes of one length are consecutive, in symbol order), so lengths alone define it.
   */
  private static final String CODE_LENGTHS = "isxxxxxxxtzxxzxxxxxxxxzxxxxxxxxxbffhibdgffdgdbbbaaabbbbbbbcdkbhfi"
      + "bccccccccccccccccccccccdcdioijbkabababbbaccbbbabcbaabccccckgjixprpprrrsrssssststtrstssssqrsrsstrqprrssqsrrtqr"
      + "ssqqrqsrssprrrsrrsvvporsruvvvwwvtuoqvwwvwtqqvvxwwwptpqrqqsrruuttvsvwvvwwwwwxwwwwwvz";
  private static final int EOS = 256;
  private static final int MAX_CODE_LENGTH = 30;
  /** Symbols sorted by (code length, symbol), and how many codes each length has: canonical decoding. */
  private static final int[] SYMBOLS = new int[EOS + 1];
  private static final int[] COUNTS = new int[MAX_CODE_LENGTH + 1];
  static final int TABLE_SIZE = 4096;

  static {
    int at = 0;
    for (int length = 5; length <= MAX_CODE_LENGTH; length++) {
      for (int symbol = 0; symbol <= EOS; symbol++) {
        if (CODE_LENGTHS.charAt(symbol) - 'a' + 5 == length) {
          SYMBOLS[at++] = symbol;
          COUNTS[length]++;
        }
      }
    }
  }

  /** Newest first: dynamic index 62 is its head. */
  private final Deque<String[]> dynamic = new ArrayDeque<>();
  private int size;
  private int maxSize = TABLE_SIZE;

  /** One header block's fields, name and value each. */
  List<String[]> decode(byte[] block) throws ProtocolError {
    List<String[]> fields = new ArrayList<>();
    int[] at = {0};
    while (at[0] < block.length) {
      int first = block[at[0]] & 0xff;
      if ((first & 0x80) != 0) {
        fields.add(entry(integer(block, at, 7)));
      } else if ((first & 0xe0) == 0x20) {
        int update = integer(block, at, 5);
        if (update > TABLE_SIZE) {
          throw new ProtocolError("HPACK table size update to " + update + " beyond " + TABLE_SIZE);
        }
        maxSize = update;
        evict(0);
      } else {
        boolean indexing = (first & 0x40) != 0;
        int index = integer(block, at, indexing ? 6 : 4);
        String name = index == 0 ? string(block, at) : entry(index)[0];
        String[] field = {name, string(block, at)};
        fields.add(field);
        if (indexing) {
          add(field);
        }
      }
    }
    return fields;
  }

  private String[] entry(int index) throws ProtocolError {
    if (index >= 1 && index <= STATIC.length) {
      String entry = STATIC[index - 1];
      int eq = entry.indexOf('=', 1);
      return eq < 0 ? new String[] {entry, ""} : new String[] {entry.substring(0, eq), entry.substring(eq + 1)};
    }
    int dynamicIndex = index - STATIC.length - 1;
    if (dynamicIndex < 0 || dynamicIndex >= dynamic.size()) {
      throw new ProtocolError("HPACK index " + index + " out of range");
    }
    return dynamic.stream().skip(dynamicIndex).findFirst().orElseThrow();
  }

  private void add(String[] field) {
    int entrySize = field[0].length() + field[1].length() + 32; // octets: fields are ISO-8859-1 here
    evict(entrySize);
    if (entrySize <= maxSize) {
      dynamic.addFirst(field);
      size += entrySize;
    }
  }

  private void evict(int room) {
    while (!dynamic.isEmpty() && size + room > maxSize) {
      String[] oldest = dynamic.removeLast();
      size -= oldest[0].length() + oldest[1].length() + 32;
    }
  }

  /** An HPACK integer with an {@code prefix}-bit prefix at {@code at[0]}; advances it. */
  private static int integer(byte[] block, int[] at, int prefix) throws ProtocolError {
    int max = (1 << prefix) - 1;
    int value = block[at[0]++] & max;
    if (value < max) {
      return value;
    }
    for (int shift = 0; ; shift += 7) {
      if (at[0] >= block.length || shift > 21) {
        throw new ProtocolError("HPACK integer truncated or too large");
      }
      int b = block[at[0]++] & 0xff;
      value += (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
  }

  /** A string literal at {@code at[0]}, raw or Huffman-coded, as ISO-8859-1 (octet for char); advances it. */
  private static String string(byte[] block, int[] at) throws ProtocolError {
    if (at[0] >= block.length) {
      throw new ProtocolError("HPACK string missing");
    }
    boolean huffman = (block[at[0]] & 0x80) != 0;
    int length = integer(block, at, 7);
    if (length > block.length - at[0]) {
      throw new ProtocolError("HPACK string of " + length + " bytes beyond the block");
    }
    byte[] raw = Arrays.copyOfRange(block, at[0], at[0] + length);
    at[0] += length;
    return new String(huffman ? huffman(raw) : raw, StandardCharsets.ISO_8859_1);
  }

  /** Canonical Huffman decoding, bit by bit; padding must be at most 7 one-bits (a prefix of EOS). */
  static byte[] huffman(byte[] coded) throws ProtocolError {
    ByteArrayOutputStream out = new ByteArrayOutputStream(coded.length * 8 / 5 + 1);
    int code = 0;
    int first = 0;
    int index = 0;
    int length = 0;
    boolean ones = true;
    for (byte b : coded) {
      for (int bit = 7; bit >= 0; bit--) {
        int value = (b >>> bit) & 1;
        ones &= value == 1;
        code |= value;
        length++;
        int count = COUNTS[length];
        if (code - first < count) {
          int symbol = SYMBOLS[index + code - first];
          if (symbol == EOS) {
            throw new ProtocolError("Huffman string contains EOS");
          }
          out.write(symbol);
          code = 0;
          first = 0;
          index = 0;
          length = 0;
          ones = true;
          continue;
        }
        if (length == MAX_CODE_LENGTH) {
          throw new ProtocolError("invalid Huffman code");
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
      }
    }
    if (length > 7 || !ones) {
      throw new ProtocolError("invalid Huffman padding");
    }
    return out.toByteArray();
  }
}
