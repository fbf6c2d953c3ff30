package io.outpost.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The bound ServiceAccount tokens of one pod, as the bridge obtained them with the TokenRequest API for the pod's
 * projected {@code serviceAccountToken} sources: one entry per (volume, path). Sent under the store key
 * {@code ServiceAccountToken/<namespace>/<pod name>} with the pod's uid, only to the pod's node; replaced whenever
 * the bridge refreshes a token. {@code podUid} repeats the ref's uid so that a node never mounts a token into another
 * incarnation of the pod. {@link #toString()} never shows a token.
 */
public record ServiceAccountTokensV1(String podUid, List<TokenV1> tokens) {
  /** At most this many tokens per pod. */
  public static final int MAX_TOKENS = 64;
  /** A token longer than this is refused (API server tokens are JWTs of 1–2 KiB). */
  public static final int MAX_TOKEN_CHARS = 16_384;
  /** A JWS compact serialisation: base64url segments separated by dots; nothing a file or log could misread. */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._\\-]+");

  /**
   * One token: the file {@code path} in volume {@code volume}, the token text, and {@code expiresAt} (epoch seconds,
   * the TokenRequest's {@code status.expirationTimestamp}).
   */
  public record TokenV1(String volume, String path, String token, long expiresAt) {
    @Override
    public String toString() {
      return "TokenV1[volume=" + volume + ", path=" + path + ", expiresAt=" + expiresAt + "]";
    }
  }

  /** The entry for a volume's path, or null. */
  public TokenV1 token(String volume, String path) {
    for (TokenV1 token : tokens()) {
      if (token.volume().equals(volume) && token.path().equals(path)) {
        return token;
      }
    }
    return null;
  }

  @Override
  public List<TokenV1> tokens() {
    return tokens == null ? List.of() : tokens;
  }

  void validate(ObjectRef ref) throws ProtocolException {
    Validation.require(podUid, "serviceAccountTokens.podUid");
    if (!podUid.equals(ref.uid())) {
      throw new ProtocolException(ProtocolException.Reason.INVALID,
          "serviceAccountTokens.podUid does not match ref.uid");
    }
    if (tokens == null || tokens.isEmpty() || tokens.size() > MAX_TOKENS) {
      throw new ProtocolException(ProtocolException.Reason.INVALID,
          "serviceAccountTokens.tokens needs 1 to " + MAX_TOKENS + " entries");
    }
    Set<String> files = new HashSet<>();
    for (TokenV1 token : tokens) {
      Validation.require(token, "serviceAccountTokens.tokens[]");
      Validation.require(token.volume(), "serviceAccountTokens.tokens[].volume");
      VolumeV1.requireRelative(token.path(), "serviceAccountTokens.tokens[].path");
      if (!files.add(token.volume() + "\0" + token.path())) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "serviceAccountTokens: volume "
            + token.volume() + " path " + token.path() + " given twice");
      }
      // The value itself is never quoted in a reason: reasons are logged.
      if (token.token() == null || token.token().isEmpty() || token.token().length() > MAX_TOKEN_CHARS
          || !TOKEN.matcher(token.token()).matches()) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "serviceAccountTokens: the token for volume "
            + token.volume() + " path " + token.path() + " is not 1 to " + MAX_TOKEN_CHARS
            + " characters of [A-Za-z0-9._-]");
      }
      if (token.expiresAt() <= 0) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "serviceAccountTokens: expiresAt for volume "
            + token.volume() + " path " + token.path() + " must be positive");
      }
    }
  }

  @Override
  public String toString() {
    return "ServiceAccountTokensV1[podUid=" + podUid + ", tokens=" + tokens() + "]";
  }
}
